// The main window: sessions on the left, the conversation in the centre (or the welcome page while
// no model is configured), the sources panel above a viewer on the right, a status bar with model,
// device, memory and context. It is the GUI's composition root: it owns appcore's services and
// models, connects them to the panels, and owns layout, menus, shortcuts, drag and drop and window
// state; the panels and services own their own behaviour.
#pragma once

#include "app/chat_message.h"

#include <QMainWindow>
#include <QPointer>

#include <functional>

class QAction;
class QCheckBox;
class QLabel;
class QListView;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QStackedWidget;
class QTextBrowser;
class QTreeView;

namespace folio::app {
class AnswerBackend;
class InferenceService;
class RemoteAnswerBackend;
class IngestService;
class MessagesModel;
class SessionController;
class SessionsModel;
class Settings;
class SourcesModel;
class StorageService;
struct BudgetInfo;
struct ModelInfo;
} // namespace folio::app

namespace folio::ui {

class ChatView;
class CodeViewer;
class PdfViewer;
class SessionsPanel;
class SourcesPanel;
class WelcomePage;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    folio::app::Settings *settings() const { return m_settings; }
    folio::app::SessionController *controller() const { return m_controller; }
    folio::app::IngestService *ingest() const { return m_ingest; }
    folio::app::StorageService *storage() const { return m_storage; }
    folio::app::MessagesModel *messages() const { return m_messages; }
    folio::app::AnswerBackend *answerBackend() const { return m_backend; }
    // Sets where answers come from (the local engine or a remote endpoint); the window does not
    // take ownership.
    void setAnswerBackend(folio::app::AnswerBackend *backend);

public Q_SLOTS:
    void openRepository();
    // The revision dialog for `location` (empty: type a folder or a URL to clone).
    void openRepositoryAt(const QString &location);
    void addDocuments();
    void showSettings();
    void send();
    void openCitation(const folio::app::CitationLink &citation);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    QWidget *createConversation();
    QWidget *createViewer();
    void createMenus();
    void createStatusBar();
    void restoreWindowState();
    void saveWindowState() const;
    void showShortcuts();
    void showAbout();
    void updateModelState();
    void updateSendState();
    void showBudget(const folio::app::BudgetInfo &budget);
    void showSourceItem(const QModelIndex &index);
    void askPassword(const QStringList &pdfs, bool wrong);
    void onSettingChanged(const QString &key);
    // Loads the configured local or demo model into the engine (on the engine's thread).
    void loadModel();
    // Registers `f` to set translated texts now and again on every language change.
    void onRetranslate(std::function<void()> f);
    QAction *addMenuAction(QMenu *menu, const char *objectName, std::function<QString()> text,
                           const QKeySequence &shortcut, std::function<void()> slot);

    folio::app::Settings *m_settings = nullptr;
    folio::app::StorageService *m_storage = nullptr;
    folio::app::SessionsModel *m_sessions = nullptr;
    folio::app::MessagesModel *m_messages = nullptr;
    folio::app::SourcesModel *m_sourcesModel = nullptr;
    folio::app::IngestService *m_ingest = nullptr;
    folio::app::SessionController *m_controller = nullptr;
    folio::app::AnswerBackend *m_backend = nullptr;
    folio::app::InferenceService *m_inference = nullptr;
    // The remote endpoint or local server answering instead of m_inference, when one does.
    QPointer<folio::app::RemoteAnswerBackend> m_remote;

    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_rightSplitter = nullptr;
    SessionsPanel *m_sessionsPanel = nullptr;
    QStackedWidget *m_centre = nullptr;
    WelcomePage *m_welcome = nullptr;
    ChatView *m_conversation = nullptr;
    QPlainTextEdit *m_questionEdit = nullptr;
    QCheckBox *m_thinkingToggle = nullptr;
    QPushButton *m_sendButton = nullptr;
    QPushButton *m_stopButton = nullptr;
    QLabel *m_prefillLabel = nullptr;
    QLabel *m_editBanner = nullptr;
    SourcesPanel *m_sourcesPanel = nullptr;
    QStackedWidget *m_viewer = nullptr;
    CodeViewer *m_codeViewer = nullptr;
    PdfViewer *m_pdfViewer = nullptr;
    QLabel *m_modelLabel = nullptr;
    QLabel *m_deviceLabel = nullptr;
    QLabel *m_memoryLabel = nullptr;
    QLabel *m_contextLabel = nullptr;
    QAction *m_sendAction = nullptr;
    QAction *m_stopAction = nullptr;

    std::vector<std::function<void()>> m_retranslators;
    int m_editingRow = -1; // edit-and-resend: the question being replaced
    // A citation waiting for its file's text from the ingest thread.
    struct PendingLines
    {
        int source = -1;
        QString path;
        int first = 0;
        int last = 0;
    } m_pendingLines;
    qint64 m_contextUsed = 0;
};

} // namespace folio::ui
