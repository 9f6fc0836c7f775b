// The main window: sessions on the left, the conversation in the centre, the sources panel above a
// viewer on the right, a status bar with model, device, memory and context. Owns only layout and
// window state; the panels own their own behaviour.
#pragma once

#include <QMainWindow>

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

namespace folio::ui {

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QWidget *createSessionsPanel();
    QWidget *createConversation();
    QWidget *createSourcesPanel();
    QWidget *createViewer();
    void createMenus();
    void createStatusBar();
    void restoreWindowState();
    void saveWindowState() const;
    void showShortcuts();
    void showAbout();

    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_rightSplitter = nullptr;
    QLineEdit *m_sessionSearch = nullptr;
    QListView *m_sessionsList = nullptr;
    QTextBrowser *m_conversation = nullptr;
    QPlainTextEdit *m_questionEdit = nullptr;
    QPushButton *m_sendButton = nullptr;
    QTreeView *m_sourcesTree = nullptr;
    QProgressBar *m_budgetBar = nullptr;
    QStackedWidget *m_viewer = nullptr;
    QLabel *m_modelLabel = nullptr;
    QLabel *m_deviceLabel = nullptr;
    QLabel *m_memoryLabel = nullptr;
    QLabel *m_contextLabel = nullptr;
};

} // namespace folio::ui
