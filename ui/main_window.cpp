#include "ui/main_window.h"

#include "app/app_info.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

namespace folio::ui {

namespace {
// Context size of DeepSeek-V4-Flash; the budget bar shows tokens used out of this.
constexpr int kContextTokens = 1'048'576;

// Gives a widget its object name (for tests and style sheets) and its accessible name (for screen
// readers) in one place, so no control is left without either.
template<class W>
W *named(W *widget, const char *objectName, const QString &accessibleName)
{
    widget->setObjectName(QLatin1String(objectName));
    widget->setAccessibleName(accessibleName);
    return widget;
}
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Folio"));

    m_rightSplitter = named(new QSplitter(Qt::Vertical), "rightSplitter", tr("Sources and viewer"));
    m_rightSplitter->addWidget(createSourcesPanel());
    m_rightSplitter->addWidget(createViewer());
    m_rightSplitter->setStretchFactor(1, 1);

    m_mainSplitter = named(new QSplitter(Qt::Horizontal), "mainSplitter", tr("Main areas"));
    m_mainSplitter->addWidget(createSessionsPanel());
    m_mainSplitter->addWidget(createConversation());
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(0, 0);
    m_mainSplitter->setStretchFactor(1, 3);
    m_mainSplitter->setStretchFactor(2, 2);
    m_mainSplitter->setSizes({240, 640, 480});
    setCentralWidget(m_mainSplitter);

    createMenus();
    createStatusBar();
    resize(1360, 840);
    restoreWindowState();
}

MainWindow::~MainWindow() = default;

QWidget *MainWindow::createSessionsPanel()
{
    auto *panel = named(new QWidget, "sessionsPanel", tr("Sessions"));
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(6, 6, 6, 6);
    auto *title = new QLabel(tr("<b>Sessions</b>"));
    m_sessionSearch = named(new QLineEdit, "sessionSearch", tr("Search sessions"));
    m_sessionSearch->setPlaceholderText(tr("Search sessions…"));
    m_sessionSearch->setClearButtonEnabled(true);
    m_sessionsList = named(new QListView, "sessionsList", tr("Session list"));
    layout->addWidget(title);
    layout->addWidget(m_sessionSearch);
    layout->addWidget(m_sessionsList, 1);
    return panel;
}

QWidget *MainWindow::createConversation()
{
    auto *panel = named(new QWidget, "conversationPanel", tr("Conversation"));
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(6, 6, 6, 6);
    m_conversation = named(new QTextBrowser, "conversationView", tr("Conversation"));
    m_conversation->setOpenLinks(false);
    m_conversation->setPlaceholderText(
        tr("Add a repository or documents, then ask a question about them."));
    m_questionEdit = named(new QPlainTextEdit, "questionEdit", tr("Question"));
    m_questionEdit->setPlaceholderText(tr("Ask about your sources…"));
    m_questionEdit->setMaximumHeight(110);
    m_sendButton = named(new QPushButton(tr("Send")), "sendButton", tr("Send question"));
    m_sendButton->setEnabled(false); // enabled once a model and sources are loaded
    auto *row = new QHBoxLayout;
    row->addWidget(m_questionEdit, 1);
    row->addWidget(m_sendButton, 0, Qt::AlignBottom);
    layout->addWidget(m_conversation, 1);
    layout->addLayout(row);
    return panel;
}

QWidget *MainWindow::createSourcesPanel()
{
    auto *panel = named(new QWidget, "sourcesPanel", tr("Sources"));
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(6, 6, 6, 6);
    auto *title = new QLabel(tr("<b>Sources</b>"));
    m_sourcesTree = named(new QTreeView, "sourcesTree", tr("Sources tree"));
    m_budgetBar = named(new QProgressBar, "budgetBar", tr("Context budget"));
    m_budgetBar->setRange(0, kContextTokens);
    m_budgetBar->setValue(0);
    m_budgetBar->setFormat(tr("%v / %m tokens"));
    layout->addWidget(title);
    layout->addWidget(m_sourcesTree, 1);
    layout->addWidget(m_budgetBar);
    return panel;
}

QWidget *MainWindow::createViewer()
{
    m_viewer = named(new QStackedWidget, "viewer", tr("Viewer"));
    auto *empty = new QLabel(tr("Click a file, a page or a citation to view it here."));
    empty->setObjectName(QStringLiteral("viewerEmptyPage"));
    empty->setAlignment(Qt::AlignCenter);
    empty->setWordWrap(true);
    m_viewer->addWidget(empty);
    return m_viewer;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName(QStringLiteral("actionQuit"));

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *focusSessions = view->addAction(tr("Focus &Sessions"), this,
                                             [this] { m_sessionSearch->setFocus(); });
    focusSessions->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction *focusQuestion = view->addAction(tr("Focus &Question"), this,
                                             [this] { m_questionEdit->setFocus(); });
    focusQuestion->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    QAction *focusSources = view->addAction(tr("Focus S&ources"), this,
                                            [this] { m_sourcesTree->setFocus(); });
    focusSources->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *shortcuts = help->addAction(tr("&Keyboard Shortcuts"), this,
                                         &MainWindow::showShortcuts);
    shortcuts->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About Folio"), this, &MainWindow::showAbout);
}

void MainWindow::createStatusBar()
{
    m_modelLabel = named(new QLabel(tr("No model")), "statusModel", tr("Model"));
    m_deviceLabel = named(new QLabel(tr("CPU")), "statusDevice", tr("Device"));
    m_memoryLabel = named(new QLabel(tr("Memory: —")), "statusMemory", tr("Memory in use"));
    m_contextLabel = named(new QLabel(tr("Context: 0 / %L1").arg(kContextTokens)), "statusContext",
                           tr("Context used"));
    statusBar()->addWidget(m_modelLabel);
    statusBar()->addWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    statusBar()->addPermanentWidget(m_contextLabel);
}

void MainWindow::restoreWindowState()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_mainSplitter->restoreState(
        settings.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_rightSplitter->restoreState(
        settings.value(QStringLiteral("window/rightSplitter")).toByteArray());
}

void MainWindow::saveWindowState() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("window/rightSplitter"), m_rightSplitter->saveState());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveWindowState();
    event->accept();
}

void MainWindow::showShortcuts()
{
    QString rows;
    for (QAction *menuAction : menuBar()->actions()) {
        for (QAction *action : menuAction->menu()->actions()) {
            if (action->shortcut().isEmpty())
                continue;
            rows += QStringLiteral("<tr><td>%1</td><td><b>%2</b></td></tr>")
                        .arg(action->text().remove(QLatin1Char('&')),
                             action->shortcut().toString(QKeySequence::NativeText));
        }
    }
    QMessageBox::information(this, tr("Keyboard Shortcuts"),
                             QStringLiteral("<table cellpadding=4>%1</table>").arg(rows));
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
