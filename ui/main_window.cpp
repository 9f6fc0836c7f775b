// MainWindow: builds appcore's services and models, the panels, menus (every action with its
// shortcut) and status bar, and routes between them: sources → viewer, citations → viewer, the
// question box → the session controller, settings changes → services.
#include "ui/main_window.h"

#include "app/answer_backend.h"
#include "app/app_info.h"
#include "app/backend_choices.h"
#include "app/inference_service.h"
#include "app/ingest_service.h"
#include "app/messages_model.h"
#include "app/remote_answer_backend.h"
#include "app/session_controller.h"
#include "app/sessions_model.h"
#include "app/settings.h"
#include "app/sources_model.h"
#include "app/storage_service.h"
#include "ui/chat_view.h"
#include "ui/code_viewer.h"
#include "ui/language.h"
#include "ui/log_category.h"
#include "ui/open_repository_dialog.h"
#include "ui/pdf_viewer.h"
#include "ui/sessions_panel.h"
#include "ui/settings_dialog.h"
#include "ui/sources_panel.h"
#include "ui/welcome_page.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

namespace folio::ui {

namespace {
template<class W>
W *named(W *widget, const char *objectName)
{
    widget->setObjectName(QLatin1String(objectName));
    return widget;
}

QString formatBytes(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

enum ViewerPage { EmptyPage, CodePage, PdfPage };
enum CentrePage { WelcomeCentre, ConversationCentre };
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);

    // appcore: settings, services on their threads, models.
    m_settings = new folio::app::Settings(this);
    applyLanguage(m_settings->language());
    m_storage = new folio::app::StorageService(this);
    m_sessions = new folio::app::SessionsModel(this);
    m_messages = new folio::app::MessagesModel(this);
    m_sourcesModel = new folio::app::SourcesModel(this);
    m_ingest = new folio::app::IngestService(m_sourcesModel, this);
    m_controller = new folio::app::SessionController(m_settings, m_storage, m_sessions, m_messages,
                                                     this);
    m_controller->setIngest(m_ingest);

    m_sessionsPanel = new SessionsPanel(m_sessions, m_controller);
    m_sourcesPanel = new SourcesPanel(m_sourcesModel, m_ingest);

    m_rightSplitter = named(new QSplitter(Qt::Vertical), "rightSplitter");
    m_rightSplitter->addWidget(m_sourcesPanel);
    m_rightSplitter->addWidget(createViewer());
    m_rightSplitter->setStretchFactor(1, 1);

    m_mainSplitter = named(new QSplitter(Qt::Horizontal), "mainSplitter");
    m_mainSplitter->addWidget(m_sessionsPanel);
    m_mainSplitter->addWidget(createConversation());
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(0, 0);
    m_mainSplitter->setStretchFactor(1, 3);
    m_mainSplitter->setStretchFactor(2, 2);
    m_mainSplitter->setSizes({240, 640, 480});
    setCentralWidget(m_mainSplitter);

    createMenus();
    createStatusBar();
    onRetranslate([this] {
        setWindowTitle(tr("Folio"));
        m_rightSplitter->setAccessibleName(tr("Sources and viewer"));
        m_mainSplitter->setAccessibleName(tr("Main areas"));
    });

    // Wiring: panels ↔ services.
    connect(m_sourcesPanel, &SourcesPanel::openRepositoryRequested, this,
            &MainWindow::openRepository);
    connect(m_sourcesPanel, &SourcesPanel::addDocumentsRequested, this, &MainWindow::addDocuments);
    connect(m_sourcesPanel, &SourcesPanel::itemActivated, this, &MainWindow::showSourceItem);
    connect(m_ingest, &folio::app::IngestService::budgetChanged, this, &MainWindow::showBudget);
    connect(m_ingest, &folio::app::IngestService::needsPassword, this, &MainWindow::askPassword);
    connect(m_ingest, &folio::app::IngestService::failed, this, [this](const QString &m) {
        statusBar()->showMessage(tr("Could not add the source: %1").arg(m), 10000);
    });
    connect(m_ingest, &folio::app::IngestService::sourceAdded, this,
            [this](const QString &name, int items, int skipped, double seconds) {
                statusBar()->showMessage(tr("Added %1: %2 items, %3 skipped, in %4 s (%5 items/s)")
                                             .arg(name)
                                             .arg(items)
                                             .arg(skipped)
                                             .arg(seconds, 0, 'f', 1)
                                             .arg(seconds > 0 ? items / seconds : 0.0, 0, 'f', 0),
                                         8000);
            });
    connect(m_ingest, &folio::app::IngestService::itemText, this,
            [this](int source, const QString &path, const QString &text) {
                m_codeViewer->showText(path, text);
                if (m_pendingLines.source == source && m_pendingLines.path == path)
                    m_codeViewer->showLines(m_pendingLines.first, m_pendingLines.last);
                m_pendingLines = {};
                m_viewer->setCurrentIndex(CodePage);
            });
    connect(m_conversation, &ChatView::citationActivated, this, &MainWindow::openCitation);
    connect(m_conversation, &ChatView::statusMessage, this,
            [this](const QString &m) { statusBar()->showMessage(m, 8000); });
    connect(m_conversation, &ChatView::regenerateRequested, m_controller,
            &folio::app::SessionController::regenerate);
    connect(m_conversation, &ChatView::branchRequested, m_controller,
            &folio::app::SessionController::switchBranch);
    connect(m_conversation, &ChatView::editRequested, this, [this](int row) {
        if (row < 0 || row >= m_messages->rowCount())
            return;
        m_editingRow = row;
        m_questionEdit->setPlainText(m_messages->message(row).text);
        m_editBanner->show();
        m_questionEdit->setFocus();
        updateSendState();
    });
    connect(m_controller, &folio::app::SessionController::answeringChanged, this,
            &MainWindow::updateSendState);
    connect(m_controller, &folio::app::SessionController::message, this,
            [this](const QString &m) { statusBar()->showMessage(m, 10000); });
    connect(m_questionEdit, &QPlainTextEdit::textChanged, this, &MainWindow::updateSendState);
    connect(m_welcome, &WelcomePage::modelChosen, this, &MainWindow::updateModelState);
    connect(m_welcome, &WelcomePage::settingsRequested, this, &MainWindow::showSettings);
    connect(m_settings, &folio::app::Settings::changed, this, &MainWindow::onSettingChanged);

    resize(1360, 840);
    restoreWindowState();

    m_ingest->setBudget(m_settings->contextLimit(), m_settings->answerReserve());
    const QString tokenizer = QDir(m_settings->effectiveModelDirectory())
                                  .filePath(QStringLiteral("tokenizer.json"));
    m_ingest->setTokenizerPath(QFileInfo::exists(tokenizer) ? tokenizer : QString());
    connect(m_storage, &folio::app::StorageService::opened, this, [this](bool ok, const QString &m) {
        if (ok)
            m_storage->listSessions();
        else
            statusBar()->showMessage(tr("The session database could not be opened: %1").arg(m));
    });
    m_storage->open(folio::app::dataDirectory() + QStringLiteral("/folio.db"));
    m_inference = new folio::app::InferenceService(this);
    loadModel();
}

void MainWindow::loadModel()
{
    using folio::app::ModelSource;
    const ModelSource source = m_settings->modelSource();
    const QString dir = m_settings->effectiveModelDirectory();
    // A remote endpoint, or a local server that already holds this model, answers instead of
    // the engine in this process. A running answer ends (Stopped) before its backend is replaced.
    if (m_controller->isAnswering())
        m_controller->stop();
    QString note;
    folio::app::RemoteAnswerBackend *remote
        = folio::app::RemoteAnswerBackend::fromSettings(*m_settings, this, &note);
    if (m_remote && m_backend == m_remote)
        setAnswerBackend(nullptr);
    delete m_remote;
    m_remote = remote;
    if (remote) {
        setAnswerBackend(remote);
        statusBar()->showMessage(note, 15000);
    } else {
        setAnswerBackend(m_inference);
        if ((source == ModelSource::Local || source == ModelSource::Demo) && !dir.isEmpty()) {
            statusBar()->showMessage(tr("Loading the model from %1…").arg(dir));
            m_inference->applySettings(*m_settings,
                                       folio::app::dataDirectory() + QStringLiteral("/folio.db"));
            m_inference->loadModel(dir, m_settings->threads());
        }
    }
    updateModelState();
}

MainWindow::~MainWindow()
{
    m_controller->commitPendingDeletes();
}

void MainWindow::onRetranslate(std::function<void()> f)
{
    f();
    m_retranslators.push_back(std::move(f));
}

QWidget *MainWindow::createConversation()
{
    auto *panel = named(new QWidget, "conversationPanel");
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(6, 6, 6, 6);
    m_conversation = new ChatView;
    m_conversation->setModel(m_messages);
    m_questionEdit = named(new QPlainTextEdit, "questionEdit");
    m_questionEdit->setMaximumHeight(110);
    m_questionEdit->setTabChangesFocus(true);
    m_thinkingToggle = named(new QCheckBox, "thinkingToggle");
    m_thinkingToggle->setChecked(m_settings->thinkingByDefault());
    m_sendButton = named(new QPushButton, "sendButton");
    m_sendButton->setEnabled(false); // enabled once there is a question and a model
    m_stopButton = named(new QPushButton, "stopButton");
    m_stopButton->setEnabled(false);
    m_prefillLabel = named(new QLabel, "prefillProgress");
    m_prefillLabel->hide();
    m_editBanner = named(new QLabel, "editBanner");
    m_editBanner->hide();
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(m_thinkingToggle);
    buttons->addStretch(1);
    buttons->addWidget(m_stopButton);
    buttons->addWidget(m_sendButton);
    auto *row = new QHBoxLayout;
    row->addWidget(m_questionEdit, 1);
    row->addLayout(buttons);
    layout->addWidget(m_conversation, 1);
    layout->addWidget(m_prefillLabel);
    layout->addWidget(m_editBanner);
    layout->addLayout(row);
    connect(m_sendButton, &QPushButton::clicked, this, &MainWindow::send);
    connect(m_stopButton, &QPushButton::clicked, m_controller, &folio::app::SessionController::stop);
    onRetranslate([this, panel] {
        panel->setAccessibleName(tr("Conversation"));
        m_questionEdit->setAccessibleName(tr("Question"));
        m_questionEdit->setPlaceholderText(tr("Ask about your sources… (Ctrl+Enter sends)"));
        m_thinkingToggle->setText(tr("&Think"));
        m_thinkingToggle->setAccessibleName(tr("Think before answering"));
        m_thinkingToggle->setToolTip(tr("Let the model reason before it answers (slower, better "
                                        "on hard questions)"));
        m_sendButton->setText(m_editingRow >= 0 ? tr("Resend") : tr("Send"));
        m_sendButton->setAccessibleName(tr("Send question"));
        m_stopButton->setText(tr("Stop"));
        m_stopButton->setAccessibleName(tr("Stop the answer"));
        m_prefillLabel->setAccessibleName(tr("Reading progress"));
        m_editBanner->setText(tr("Editing a question: sending makes a new branch. Esc cancels."));
        m_editBanner->setAccessibleName(tr("Editing a question"));
    });

    m_welcome = new WelcomePage(m_settings);
    m_centre = named(new QStackedWidget, "centreStack");
    m_centre->addWidget(m_welcome);
    m_centre->addWidget(panel);
    onRetranslate([this] { m_centre->setAccessibleName(tr("Conversation area")); });
    return m_centre;
}

QWidget *MainWindow::createViewer()
{
    m_viewer = named(new QStackedWidget, "viewer");
    auto *empty = named(new QLabel, "viewerEmptyPage");
    empty->setAlignment(Qt::AlignCenter);
    empty->setWordWrap(true);
    m_codeViewer = new CodeViewer;
    m_pdfViewer = new PdfViewer;
    m_viewer->addWidget(empty);
    m_viewer->addWidget(m_codeViewer);
    m_viewer->addWidget(m_pdfViewer);
    onRetranslate([this, empty] {
        m_viewer->setAccessibleName(tr("Viewer"));
        empty->setText(tr("Click a file, a page or a citation to view it here."));
        empty->setAccessibleName(tr("Viewer"));
    });
    return m_viewer;
}

QAction *MainWindow::addMenuAction(QMenu *menu, const char *objectName,
                                   std::function<QString()> text, const QKeySequence &shortcut,
                                   std::function<void()> slot)
{
    auto *action = new QAction(this);
    action->setObjectName(QLatin1String(objectName));
    action->setShortcut(shortcut);
    connect(action, &QAction::triggered, this, std::move(slot));
    menu->addAction(action);
    onRetranslate([action, text] { action->setText(text()); });
    return action;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(QString());
    file->setObjectName(QStringLiteral("menuFile"));
    onRetranslate([file] { file->setTitle(tr("&File")); });
    addMenuAction(
        file, "actionNewSession", [] { return tr("&New Session"); }, QKeySequence::New,
        [this] { m_controller->newSession(); });
    addMenuAction(
        file, "actionOpenRepository", [] { return tr("Open &Repository…"); },
        QKeySequence(Qt::CTRL | Qt::Key_O), [this] { openRepository(); });
    addMenuAction(
        file, "actionCloneRepository", [] { return tr("&Clone Repository from URL…"); },
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L), [this] { openRepositoryAt(QString()); });
    addMenuAction(
        file, "actionAddDocuments", [] { return tr("Add &Documents…"); },
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), [this] { addDocuments(); });
    file->addSeparator();
    addMenuAction(
        file, "actionSettings", [] { return tr("&Settings…"); },
        QKeySequence(Qt::CTRL | Qt::Key_Comma), [this] { showSettings(); });
    file->addSeparator();
    addMenuAction(
        file, "actionQuit", [] { return tr("&Quit"); }, QKeySequence::Quit, [this] { close(); });

    QMenu *conversation = menuBar()->addMenu(QString());
    conversation->setObjectName(QStringLiteral("menuConversation"));
    onRetranslate([conversation] { conversation->setTitle(tr("&Conversation")); });
    m_sendAction = addMenuAction(
        conversation, "actionSend", [] { return tr("&Send Question"); },
        QKeySequence(Qt::CTRL | Qt::Key_Return), [this] { send(); });
    m_stopAction = addMenuAction(
        conversation, "actionStop", [] { return tr("S&top Answer"); }, QKeySequence(Qt::Key_Escape),
        [this] {
            if (m_controller->isAnswering()) {
                m_controller->stop();
            } else if (m_editingRow >= 0) {
                m_editingRow = -1;
                m_editBanner->hide();
                m_questionEdit->clear();
                updateSendState();
            }
        });
    addMenuAction(
        conversation, "actionRegenerate", [] { return tr("&Regenerate Answer"); },
        QKeySequence(Qt::CTRL | Qt::Key_R),
        [this] {
            const int last = m_messages->rowCount() - 1;
            if (last >= 1)
                m_controller->regenerate(last);
        });
    addMenuAction(
        conversation, "actionToggleThinking", [] { return tr("Toggle &Thinking"); },
        QKeySequence(Qt::CTRL | Qt::Key_T), [this] { m_thinkingToggle->toggle(); });
    conversation->addSeparator();
    addMenuAction(
        conversation, "actionCopyConversation", [] { return tr("&Copy Conversation"); },
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C),
        [this] {
            QApplication::clipboard()->setText(m_messages->toPlainText());
            statusBar()->showMessage(tr("Copied the conversation."), 5000);
        });
    addMenuAction(
        conversation, "actionRenameSession", [] { return tr("Re&name Session"); },
        QKeySequence(Qt::Key_F2), [this] { m_sessionsPanel->renameSelected(); });
    addMenuAction(
        conversation, "actionDeleteSession", [] { return tr("&Delete Session"); },
        QKeySequence(Qt::CTRL | Qt::Key_Delete), [this] { m_sessionsPanel->deleteSelected(); });

    QMenu *view = menuBar()->addMenu(QString());
    view->setObjectName(QStringLiteral("menuView"));
    onRetranslate([view] { view->setTitle(tr("&View")); });
    addMenuAction(
        view, "actionSearchSessions", [] { return tr("Search &Sessions"); },
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F),
        [this] { m_sessionsPanel->searchEdit()->setFocus(); });
    addMenuAction(
        view, "actionFocusSessions", [] { return tr("Focus Session &List"); },
        QKeySequence(Qt::CTRL | Qt::Key_1), [this] { m_sessionsPanel->listView()->setFocus(); });
    addMenuAction(
        view, "actionFocusQuestion", [] { return tr("Focus &Question"); },
        QKeySequence(Qt::CTRL | Qt::Key_2), [this] { m_questionEdit->setFocus(); });
    addMenuAction(
        view, "actionFocusSources", [] { return tr("Focus S&ources"); },
        QKeySequence(Qt::CTRL | Qt::Key_3), [this] { m_sourcesPanel->tree()->setFocus(); });
    addMenuAction(
        view, "actionFocusViewer", [] { return tr("Focus &Viewer"); },
        QKeySequence(Qt::CTRL | Qt::Key_4),
        [this] {
            if (QWidget *w = m_viewer->currentWidget())
                w->setFocus();
        });
    addMenuAction(
        view, "actionFocusConversation", [] { return tr("Focus &Conversation"); },
        QKeySequence(Qt::CTRL | Qt::Key_5), [this] { m_conversation->setFocus(); });

    QMenu *help = menuBar()->addMenu(QString());
    help->setObjectName(QStringLiteral("menuHelp"));
    onRetranslate([help] { help->setTitle(tr("&Help")); });
    addMenuAction(
        help, "actionShortcuts", [] { return tr("&Keyboard Shortcuts"); },
        QKeySequence::HelpContents, [this] { showShortcuts(); });
    addMenuAction(
        help, "actionAbout", [] { return tr("&About Folio"); }, QKeySequence(),
        [this] { showAbout(); });
}

void MainWindow::createStatusBar()
{
    m_modelLabel = named(new QLabel, "statusModel");
    m_deviceLabel = named(new QLabel, "statusDevice");
    m_memoryLabel = named(new QLabel, "statusMemory");
    m_contextLabel = named(new QLabel, "statusContext");
    // Permanent widgets: transient status messages never hide the model and device.
    statusBar()->addPermanentWidget(m_modelLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    statusBar()->addPermanentWidget(m_contextLabel);
    onRetranslate([this] {
        m_modelLabel->setAccessibleName(tr("Model"));
        m_deviceLabel->setAccessibleName(tr("Device"));
        m_memoryLabel->setAccessibleName(tr("Memory in use"));
        m_contextLabel->setAccessibleName(tr("Context used"));
        updateModelState();
        showBudget(m_ingest->budget());
    });
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::LanguageChange) {
        for (const auto &f : m_retranslators)
            f();
    }
}

void MainWindow::onSettingChanged(const QString &key)
{
    if (key == QLatin1String("ui/language")) {
        applyLanguage(m_settings->language());
    } else if (key.startsWith(QLatin1String("context/"))) {
        const qint64 model = m_backend && m_backend->isLoaded()
                                 ? m_backend->modelInfo().contextTokens
                                 : 0;
        const qint64 limit = m_settings->contextLimit();
        m_ingest->setBudget(model > 0 ? std::min(model, limit) : limit, m_settings->answerReserve());
    } else if (key.startsWith(QLatin1String("model/"))
               || (key.startsWith(QLatin1String("remote/"))
                   && m_settings->modelSource() == folio::app::ModelSource::Remote)) {
        const QString tokenizer = QDir(m_settings->effectiveModelDirectory())
                                      .filePath(QStringLiteral("tokenizer.json"));
        m_ingest->setTokenizerPath(QFileInfo::exists(tokenizer) ? tokenizer : QString());
        loadModel();
    } else if (key.startsWith(QLatin1String("engine/"))) { // threads, device, expert cache
        loadModel();
    } else if (key == QLatin1String("sampling/thinking")) {
        m_thinkingToggle->setChecked(m_settings->thinkingByDefault());
    }
}

void MainWindow::setAnswerBackend(folio::app::AnswerBackend *backend)
{
    if (backend == m_backend && backend)
        return;
    if (m_backend) {
        m_backend->disconnect(this);
        m_backend->disconnect(m_prefillLabel);
    }
    m_backend = backend;
    m_controller->setBackend(backend);
    if (!backend)
        return;
    connect(backend, &folio::app::AnswerBackend::modelLoaded, this,
            [this](const folio::app::ModelInfo &info) {
                statusBar()->showMessage(tr("Loaded %1.").arg(info.name), 5000);
                // The budget is the smaller of the model's context and the user's limit.
                const qint64 context = info.contextTokens > 0
                                           ? std::min<qint64>(info.contextTokens,
                                                              m_settings->contextLimit())
                                           : m_settings->contextLimit();
                m_ingest->setBudget(context, m_settings->answerReserve());
                updateModelState();
            });
    connect(backend, &folio::app::AnswerBackend::loadFailed, this, [this](const QString &m) {
        statusBar()->showMessage(tr("The model could not be loaded: %1").arg(m));
        updateModelState();
    });
    connect(backend, &folio::app::AnswerBackend::prefillProgress, this,
            [this](qint64 done, qint64 total, double rate, double eta) {
                m_prefillLabel->setVisible(done < total);
                m_prefillLabel->setText(
                    tr("Reading the sources: %1 / %2 tokens, %3 tokens/s, about "
                       "%4 s left (Esc stops)")
                        .arg(QLocale().toString(done), QLocale().toString(total))
                        .arg(rate, 0, 'f', 0)
                        .arg(eta, 0, 'f', 0));
            });
    // A KV snapshot read back (the sources' state, instead of prefilling it) or written for later.
    connect(backend, &folio::app::AnswerBackend::snapshotProgress, this,
            [this](bool restoring, qint64 done, qint64 total, double rate) {
                const QLocale locale;
                const QString speed = tr("%1/s").arg(locale.formattedDataSize(qint64(rate)));
                if (done > 0 && done == total) {
                    m_prefillLabel->hide();
                    return;
                }
                m_prefillLabel->setText(
                    restoring ? tr("Restoring the stored state: %1 of %2, %3")
                                    .arg(locale.formattedDataSize(done),
                                         locale.formattedDataSize(total), speed)
                              : tr("Saving the state for the next question: %1 written, %2")
                                    .arg(locale.formattedDataSize(done), speed));
                m_prefillLabel->show();
            });
    connect(backend, &folio::app::AnswerBackend::answerFinished, m_prefillLabel, &QWidget::hide);
    // From the question until the prefill reports or the first text arrives, the backend is
    // tokenizing and finding the state to continue from (kept in memory, or a KV snapshot read
    // back from folio.db), or waiting for the endpoint: say so rather than show nothing.
    connect(backend, &folio::app::AnswerBackend::busyChanged, this, [this, backend](bool busy) {
        if (!busy)
            return;
        m_prefillLabel->setText(backend == m_remote ? tr("Waiting for the endpoint… (Esc stops)")
                                                    : tr("Preparing the prompt: reusing a kept or "
                                                         "stored state of the sources when one "
                                                         "matches… (Esc stops)"));
        m_prefillLabel->show();
    });
    connect(backend, &folio::app::AnswerBackend::textChunk, m_prefillLabel, &QWidget::hide);
    connect(backend, &folio::app::AnswerBackend::contextUsed, this, [this](qint64 used, qint64) {
        m_contextUsed = used;
        showBudget(m_ingest->budget());
    });
    updateModelState();
}

void MainWindow::updateModelState()
{
    using folio::app::ModelSource;
    const ModelSource source = m_settings->modelSource();
    m_centre->setCurrentIndex(source == ModelSource::None ? WelcomeCentre : ConversationCentre);
    QString model;
    switch (source) {
    case ModelSource::None:
        model = tr("No model");
        break;
    case ModelSource::Demo:
        model = tr("Demo model (random weights)");
        break;
    case ModelSource::Local:
        model = QDir(m_settings->modelDirectory()).dirName();
        break;
    case ModelSource::Remote:
        model = tr("Remote: %1").arg(m_settings->remoteModel());
        break;
    }
    const bool loaded = m_backend && m_backend->isLoaded();
    if (source != ModelSource::None && !loaded)
        model += tr(" (not loaded)");
    m_modelLabel->setText(model);
    m_deviceLabel->setText(loaded ? m_backend->modelInfo().device
                                  : folio::app::describeBackend(m_settings->backend()));
    m_memoryLabel->setText(
        loaded && m_backend->modelInfo().memoryBytes > 0
            ? tr("Memory: %1").arg(formatBytes(m_backend->modelInfo().memoryBytes))
            : tr("Memory: —"));
    updateSendState();
}

void MainWindow::updateSendState()
{
    const bool answering = m_controller->isAnswering();
    const bool canSend = !answering && !m_questionEdit->toPlainText().trimmed().isEmpty()
                         && m_settings->modelSource() != folio::app::ModelSource::None;
    m_sendButton->setEnabled(canSend);
    m_sendAction->setEnabled(canSend);
    m_stopButton->setEnabled(answering);
    m_sendButton->setText(m_editingRow >= 0 ? tr("Resend") : tr("Send"));
}

void MainWindow::send()
{
    const QString question = m_questionEdit->toPlainText().trimmed();
    if (question.isEmpty() || m_controller->isAnswering())
        return;
    if (m_editingRow >= 0) {
        m_controller->editAndResend(m_editingRow, question);
        m_editingRow = -1;
        m_editBanner->hide();
    } else {
        m_controller->ask(question, m_thinkingToggle->isChecked());
    }
    m_questionEdit->clear();
    updateSendState();
}

void MainWindow::showBudget(const folio::app::BudgetInfo &budget)
{
    const qint64 context = budget.context > 0 ? budget.context : m_settings->contextLimit();
    // The sources' tokens until an answer has run; then what the model's state really holds.
    const qint64 used = std::max(budget.used, m_contextUsed);
    m_contextLabel->setText(
        tr("Context: %1 / %2").arg(QLocale().toString(used), QLocale().toString(context)));
}

void MainWindow::openRepository()
{
    // The folder first, then the revision (branches, tags, recent commits, working tree).
    const QStringList recent = m_settings->recentRepositories();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Repository"),
                                                          recent.isEmpty() ? QDir::homePath()
                                                                           : recent.first());
    if (!dir.isEmpty())
        openRepositoryAt(dir);
}

void MainWindow::openRepositoryAt(const QString &location)
{
    OpenRepositoryDialog dialog(m_settings->recentRepositories(), m_ingest, this);
    if (!location.isEmpty())
        dialog.setLocation(location);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const folio::app::RepositoryRequest request = dialog.request();
    if (request.location.isEmpty())
        return;
    m_settings->addRecentRepository(request.location);
    m_ingest->addRepository(request);
}

void MainWindow::addDocuments()
{
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Add Documents"), QString(),
        tr("Documents (*.pdf *.txt *.md *.markdown *.rst);;PDF (*.pdf);;All files (*)"));
    if (!files.isEmpty())
        m_ingest->addDocuments(files);
}

void MainWindow::askPassword(const QStringList &pdfs, bool wrong)
{
    bool ok = false;
    const QString name = pdfs.size() == 1 ? QFileInfo(pdfs.first()).fileName()
                                          : tr("%n documents", nullptr, int(pdfs.size()));
    const QString prompt = wrong ? tr("The password was wrong. Password for %1:").arg(name)
                                 : tr("%1 is encrypted. Password:").arg(name);
    const QString password = QInputDialog::getText(this, tr("Encrypted PDF"), prompt,
                                                   QLineEdit::Password, QString(), &ok);
    if (ok && !password.isEmpty())
        m_ingest->addDocuments(pdfs, password.toUtf8());
}

void MainWindow::showSettings()
{
    SettingsDialog dialog(m_settings, this);
    if (m_settings->modelSource() == folio::app::ModelSource::None)
        dialog.showModelTab();
    dialog.exec();
}

void MainWindow::showSourceItem(const QModelIndex &index)
{
    using Kind = folio::app::SourceNode::Kind;
    const auto kind = Kind(index.data(folio::app::SourcesModel::KindRole).toInt());
    const QString absolute = index.data(folio::app::SourcesModel::AbsolutePathRole).toString();
    if (kind == Kind::Page
        || (kind == Kind::Source && absolute.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive))) {
        if (m_pdfViewer->path() != absolute
            && m_pdfViewer->openFile(absolute) != PdfViewer::OpenResult::Ok) {
            statusBar()->showMessage(m_pdfViewer->errorString(), 8000);
            return;
        }
        m_pdfViewer->showPage(std::max(1, index.data(folio::app::SourcesModel::PageRole).toInt()));
        m_viewer->setCurrentIndex(PdfPage);
    } else if (kind == Kind::File) {
        m_pendingLines = {};
        m_ingest->requestItemText(index.data(folio::app::SourcesModel::SourceRole).toInt(),
                                  index.data(folio::app::SourcesModel::PathRole).toString());
    }
}

void MainWindow::openCitation(const folio::app::CitationLink &c)
{
    if (!c.verified)
        return; // ChatView already said why in the status bar
    if (c.page > 0) {
        const QModelIndex index = m_sourcesModel->find(c.source, c.path);
        const QString absolute = index.data(folio::app::SourcesModel::AbsolutePathRole).toString();
        if (absolute.isEmpty()) {
            statusBar()->showMessage(tr("%1 is not among the loaded sources.").arg(c.path), 8000);
            return;
        }
        if (m_pdfViewer->path() != absolute
            && m_pdfViewer->openFile(absolute) != PdfViewer::OpenResult::Ok) {
            statusBar()->showMessage(m_pdfViewer->errorString(), 8000);
            return;
        }
        m_pdfViewer->showPage(c.page, c.quote);
        m_viewer->setCurrentIndex(PdfPage);
        return;
    }
    m_pendingLines = {c.source, c.path, c.lineBegin, std::max(c.lineBegin, c.lineEnd)};
    m_ingest->requestItemText(c.source, c.path);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls()) {
        for (const QUrl &url : event->mimeData()->urls()) {
            if (url.isLocalFile()) {
                event->acceptProposedAction();
                return;
            }
        }
    }
}

void MainWindow::dropEvent(QDropEvent *event)
{
    QStringList paths;
    for (const QUrl &url : event->mimeData()->urls()) {
        if (url.isLocalFile())
            paths.append(url.toLocalFile());
    }
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    m_ingest->addPaths(paths);
}

void MainWindow::restoreWindowState()
{
    restoreGeometry(m_settings->windowState(QStringLiteral("geometry")));
    restoreState(m_settings->windowState(QStringLiteral("state")));
    m_mainSplitter->restoreState(m_settings->windowState(QStringLiteral("mainSplitter")));
    m_rightSplitter->restoreState(m_settings->windowState(QStringLiteral("rightSplitter")));
}

void MainWindow::saveWindowState() const
{
    m_settings->setWindowState(QStringLiteral("geometry"), saveGeometry());
    m_settings->setWindowState(QStringLiteral("state"), saveState());
    m_settings->setWindowState(QStringLiteral("mainSplitter"), m_mainSplitter->saveState());
    m_settings->setWindowState(QStringLiteral("rightSplitter"), m_rightSplitter->saveState());
    m_settings->sync();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveWindowState();
    m_controller->commitPendingDeletes();
    event->accept();
}

void MainWindow::showShortcuts()
{
    QString rows;
    for (QAction *menuAction : menuBar()->actions()) {
        if (!menuAction->menu())
            continue;
        rows += QStringLiteral("<tr><td colspan=2><b>%1</b></td></tr>")
                    .arg(menuAction->text().remove(QLatin1Char('&')).toHtmlEscaped());
        for (QAction *action : menuAction->menu()->actions()) {
            if (action->shortcut().isEmpty())
                continue;
            rows += QStringLiteral("<tr><td>%1</td><td><code>%2</code></td></tr>")
                        .arg(action->text().remove(QLatin1Char('&')).toHtmlEscaped(),
                             action->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped());
        }
    }
    rows += QStringLiteral("<tr><td colspan=2><b>%1</b></td></tr>").arg(tr("Panels"));
    const QList<QPair<QString, QString>> extra = {
        {tr("Find in the code viewer"),
         QKeySequence(QKeySequence::Find).toString(QKeySequence::NativeText)},
        {tr("Rename the selected session"), QStringLiteral("F2")},
        {tr("Delete the selected session"),
         QKeySequence(QKeySequence::Delete).toString(QKeySequence::NativeText)},
        {tr("Move between controls"), QStringLiteral("Tab / Shift+Tab")},
    };
    for (const auto &[what, keys] : extra)
        rows += QStringLiteral("<tr><td>%1</td><td><code>%2</code></td></tr>")
                    .arg(what.toHtmlEscaped(), keys);
    QMessageBox box(QMessageBox::NoIcon, tr("Keyboard Shortcuts"),
                    QStringLiteral("<table cellpadding=3>%1</table>").arg(rows), QMessageBox::Close,
                    this);
    box.setObjectName(QStringLiteral("shortcutsDialog"));
    box.exec();
}

void MainWindow::showAbout()
{
    QMessageBox::about(
        this, tr("About Folio"),
        tr("<h3>Folio %1</h3><p>Ask questions about whole repositories and long "
           "documents with DeepSeek-V4-Flash running on your own machine.</p><p>%2</p>")
            .arg(folio::app::version(), folio::app::buildDescription().toHtmlEscaped()));
}

} // namespace folio::ui
