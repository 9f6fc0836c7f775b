// The main window, driven as a person would: its layout and accessible names, window state, the
// welcome page, opening a repository created in the test and seeing its token counts, a question
// stored in a session that is there again after reopening the window, a verified citation that
// lands on its lines in the code viewer, switching the language, and no engine/ingest/storage
// work on the UI thread.
#include "app/answer_backend.h"
#include "app/chat_message.h"
#include "app/ingest_service.h"
#include "app/messages_model.h"
#include "app/remote_answer_backend.h"
#include "app/server/discovery.h"
#include "app/session_controller.h"
#include "app/settings.h"
#include "app/storage_service.h"
#include "app/thread_guard.h"
#include "storage/database.h"
#include "storage/session_store.h"
#include "tests/support/git_process.h"
#include "ui/chat_view.h"
#include "ui/code_viewer.h"
#include "ui/main_window.h"
#include "ui/open_repository_dialog.h"
#include "ui/settings_dialog.h"
#include "ui/sources_panel.h"

#include <QAbstractItemModel>
#include <QAccessible>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSemaphore>
#include <QSignalSpy>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTimer>
#include <QTreeView>
#include <QTreeWidget>

#include <atomic>

using folio::testing::runGit;

namespace {
// A small git repository with a known file; returns its path.
QString makeRepository(const QString &dir)
{
    QDir().mkpath(dir + QStringLiteral("/src"));
    QFile f(dir + QStringLiteral("/src/parse.cpp"));
    if (!f.open(QIODevice::WriteOnly))
        return {};
    for (int i = 1; i <= 40; ++i)
        f.write(QStringLiteral("int parse_step_%1(int x) { return x + %1; }\n").arg(i).toUtf8());
    f.close();
    QFile readme(dir + QStringLiteral("/README.md"));
    if (!readme.open(QIODevice::WriteOnly))
        return {};
    readme.write("# Demo\n\nA parser.\n");
    readme.close();
    auto git = [&dir](const QStringList &args) {
        QProcess p;
        p.setWorkingDirectory(dir);
        p.start(QStringLiteral("git"),
                QStringList{QStringLiteral("-c"), QStringLiteral("user.name=T"),
                            QStringLiteral("-c"), QStringLiteral("user.email=t@e")}
                    + args);
        return p.waitForFinished(30000) && p.exitCode() == 0;
    };
    if (!git({QStringLiteral("init"), QStringLiteral("-q")})
        || !git({QStringLiteral("add"), QStringLiteral(".")})
        || !git({QStringLiteral("commit"), QStringLiteral("-q"), QStringLiteral("-m"),
                 QStringLiteral("init")}))
        return {};
    return dir;
}

// A source row whose name starts with `prefix` ("refsrepo @ 0123456789").
QModelIndex findRowStartingWith(const QAbstractItemModel *model, const QString &prefix)
{
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->index(r, 0).data().toString().startsWith(prefix))
            return model->index(r, 0);
    return {};
}

// A scripted OpenAI-compatible endpoint on loopback: every request gets the same streamed answer
// (a reasoning piece, two content pieces, usage); the requests are kept.
class ScriptedEndpoint : public QObject
{
public:
    QTcpServer server;
    QList<QByteArray> requests;

    ScriptedEndpoint()
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    s->setProperty("buf", s->property("buf").toByteArray() + s->readAll());
                    const QByteArray buf = s->property("buf").toByteArray();
                    const qsizetype end = buf.indexOf("\r\n\r\n");
                    if (end < 0 || s->property("answered").toBool())
                        return;
                    const qsizetype at = buf.toLower().indexOf("content-length:");
                    const int len = at < 0 ? 0
                                           : buf.mid(at + 15, buf.indexOf("\r\n", at) - at - 15)
                                                 .trimmed()
                                                 .toInt();
                    if (buf.size() < end + 4 + len)
                        return;
                    requests.push_back(buf);
                    s->setProperty("answered", true);
                    QByteArray body;
                    for (const char *piece :
                         {R"({"choices":[{"index":0,"delta":{"reasoning_content":"Looking."}}]})",
                          R"({"choices":[{"index":0,"delta":{"content":"Hello from "}}]})",
                          R"({"choices":[{"index":0,"delta":{"content":"the endpoint."}}]})",
                          R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],)"
                          R"("usage":{"prompt_tokens":120,"completion_tokens":5}})"})
                        body += "data: " + QByteArray(piece) + "\n\n";
                    body += "data: [DONE]\n\n";
                    s->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Content-Length: "
                             + QByteArray::number(body.size()) + "\r\n\r\n" + body);
                    s->disconnectFromHost();
                });
            }
        });
    }
    QString baseUrl() const
    {
        return QStringLiteral("http://127.0.0.1:%1/v1").arg(server.serverPort());
    }
};

QModelIndex findRow(const QAbstractItemModel *model, const QString &text,
                    const QModelIndex &parent = {})
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex i = model->index(r, 0, parent);
        if (i.data().toString() == text)
            return i;
        const QModelIndex below = findRow(model, text, i);
        if (below.isValid())
            return below;
    }
    return {};
}
} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Keep the test's settings and database out of the user's.
        QVERIFY(m_settingsDir.isValid());
        QVERIFY(m_dataDir.isValid());
        QCoreApplication::setOrganizationName(QStringLiteral("FolioTest"));
        QCoreApplication::setApplicationName(QStringLiteral("folio-ui-test"));
        qputenv("XDG_CONFIG_HOME", m_settingsDir.path().toUtf8());
        qputenv("FOLIO_DATA_DIR", m_dataDir.path().toUtf8());
        // Clones of URLs go to the cache: keep them in the test's directory.
        qputenv("XDG_CACHE_HOME", m_dataDir.filePath(QStringLiteral("cache")).toUtf8());
        // A fake demo model directory: the window only needs it to exist.
        QDir().mkpath(m_dataDir.filePath(QStringLiteral("demo-model")));
        qputenv("FOLIO_DEMO_MODEL", m_dataDir.filePath(QStringLiteral("demo-model")).toUtf8());
        folio::app::resetLayerWorkCounts();
    }

    void welcomePageUntilAModelIsChosen()
    {
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *centre = window.findChild<QStackedWidget *>(QStringLiteral("centreStack"));
        QVERIFY(centre);
        QCOMPARE(centre->currentWidget()->objectName(), QStringLiteral("welcomePage"));
        auto *warning = window.findChild<QLabel *>(QStringLiteral("welcomeDemoWarning"));
        QVERIFY(warning->text().contains(QStringLiteral("meaningless")));
        auto *demo = window.findChild<QPushButton *>(QStringLiteral("welcomeDemoButton"));
        QVERIFY(!demo->accessibleName().isEmpty());
        QTest::mouseClick(demo, Qt::LeftButton);
        QCOMPARE(window.settings()->modelSource(), folio::app::ModelSource::Demo);
        QCOMPARE(centre->currentWidget()->objectName(), QStringLiteral("conversationPanel"));
    }

    void widgetsExist_data()
    {
        QTest::addColumn<QString>("objectName");
        QTest::addColumn<QString>("className");
        QTest::newRow("sessions list") << "sessionsList"
                                       << "QListView";
        QTest::newRow("conversation") << "conversationView"
                                      << "QTextBrowser";
        QTest::newRow("question box") << "questionEdit"
                                      << "QPlainTextEdit";
        QTest::newRow("send button") << "sendButton"
                                     << "QPushButton";
        QTest::newRow("stop button") << "stopButton"
                                     << "QPushButton";
        QTest::newRow("sources tree") << "sourcesTree"
                                      << "QTreeView";
        QTest::newRow("budget bar") << "budgetBar"
                                    << "QProgressBar";
        QTest::newRow("viewer") << "viewer"
                                << "QStackedWidget";
        QTest::newRow("main splitter") << "mainSplitter"
                                       << "QSplitter";
        QTest::newRow("status: model") << "statusModel"
                                       << "QLabel";
        QTest::newRow("status: context") << "statusContext"
                                         << "QLabel";
    }

    void widgetsExist()
    {
        QFETCH(QString, objectName);
        QFETCH(QString, className);
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QWidget *w = window.findChild<QWidget *>(objectName);
        QVERIFY2(w, qPrintable(objectName + " not found"));
        QVERIFY(w->inherits(className.toLatin1().constData()));
        QVERIFY2(!w->accessibleName().isEmpty(), "every control has an accessible name");
        QVERIFY(w->isVisible());
    }

    // Every control a person can reach (buttons, inputs, lists, trees, bars) has a name a screen
    // reader announces, in the main window and in its dialogs; listed by object and class when
    // one has none.
    void everyControlHasAnAccessibleName()
    {
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        folio::ui::SettingsDialog settings(window.settings(), &window);
        folio::ui::OpenRepositoryDialog repository({}, window.ingest(), &window);
        QStringList unnamed;
        for (QWidget *top : {static_cast<QWidget *>(&window), static_cast<QWidget *>(&settings),
                             static_cast<QWidget *>(&repository)}) {
            const QList<QWidget *> widgets = top->findChildren<QWidget *>();
            for (QWidget *w : widgets) {
                const bool control = w->inherits("QAbstractButton") || w->inherits("QLineEdit")
                                     || w->inherits("QPlainTextEdit") || w->inherits("QTextEdit")
                                     || w->inherits("QComboBox") || w->inherits("QAbstractSpinBox")
                                     || w->inherits("QAbstractItemView")
                                     || w->inherits("QProgressBar") || w->inherits("QSlider")
                                     || w->inherits("QTabBar");
                if (!control)
                    continue;
                // The parts Qt builds inside a composite control (a combo box's popup list, a
                // line edit's clear button) are named through it.
                bool part = false;
                for (QWidget *a = w->parentWidget(); a && a != top; a = a->parentWidget())
                    part = part || a->inherits("QComboBox") || a->inherits("QAbstractSpinBox")
                           || a->inherits("QTabBar") || a->inherits("QLineEdit")
                           || a->inherits("QAbstractScrollArea");
                if (part)
                    continue;
                if (w->inherits("QScrollBar") || w->objectName().startsWith(QLatin1String("qt_")))
                    continue;
                QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(w);
                const QString name = iface ? iface->text(QAccessible::Name) : QString();
                if (name.trimmed().isEmpty())
                    unnamed << QStringLiteral("%1 (%2) in %3")
                                   .arg(w->objectName(),
                                        QLatin1String(w->metaObject()->className()),
                                        top->objectName());
            }
        }
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(QStringLiteral("; "))));
    }

    void menuActionsShowShortcuts()
    {
        folio::ui::MainWindow window;
        int withShortcut = 0;
        for (QAction *menu : window.menuBar()->actions()) {
            for (QAction *a : menu->menu()->actions()) {
                if (!a->isSeparator() && !a->shortcut().isEmpty())
                    ++withShortcut;
            }
        }
        QVERIFY(withShortcut >= 15);
        const QStringList frequent = {"actionNewSession",   "actionOpenRepository",
                                      "actionAddDocuments", "actionSend",
                                      "actionStop",         "actionSearchSessions",
                                      "actionFocusSources"};
        for (const QString &name : frequent) {
            auto *a = window.findChild<QAction *>(name);
            QVERIFY2(a && !a->shortcut().isEmpty(), qPrintable(name));
        }
    }

    // Help → Keyboard Shortcuts (F1) lists every menu shortcut, with the panels' own keys.
    void shortcutsHelpListsEveryShortcut()
    {
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *help = window.findChild<QAction *>(QStringLiteral("actionShortcuts"));
        QCOMPARE(help->shortcut(), QKeySequence(QKeySequence::HelpContents));
        QString text;
        QTimer::singleShot(0, &window, [&] {
            auto *box = window.findChild<QMessageBox *>(QStringLiteral("shortcutsDialog"));
            QVERIFY(box);
            text = box->text();
            box->close();
        });
        help->trigger();
        QVERIFY(!text.isEmpty());
        int listed = 0;
        for (QAction *menu : window.menuBar()->actions()) {
            for (QAction *a : menu->menu()->actions()) {
                if (a->shortcut().isEmpty())
                    continue;
                const QString keys = a->shortcut().toString(QKeySequence::NativeText);
                QVERIFY2(text.contains(keys.toHtmlEscaped()), qPrintable(keys));
                QVERIFY2(text.contains(a->text().remove(QLatin1Char('&')).toHtmlEscaped()),
                         qPrintable(a->text()));
                ++listed;
            }
        }
        QVERIFY(listed >= 15);
        QVERIFY(text.contains(QKeySequence(QKeySequence::Find).toString(QKeySequence::NativeText)));
    }

    void budgetCoversFullContext()
    {
        folio::ui::MainWindow window;
        auto *bar = window.findChild<QProgressBar *>(QStringLiteral("budgetBar"));
        QVERIFY(bar);
        QCOMPARE(bar->maximum(), 1048576);
    }

    void splitterStateIsRemembered()
    {
        QList<int> sizes;
        {
            folio::ui::MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto *splitter = window.findChild<QSplitter *>(QStringLiteral("mainSplitter"));
            splitter->setSizes({100, 700, 400});
            sizes = splitter->sizes();
            window.close();
        }
        folio::ui::MainWindow reopened;
        reopened.show();
        QVERIFY(QTest::qWaitForWindowExposed(&reopened));
        auto *splitter = reopened.findChild<QSplitter *>(QStringLiteral("mainSplitter"));
        QCOMPARE(splitter->sizes(), sizes);
    }

    void openRepositoryShowsTokenCounts()
    {
        const QString repo = makeRepository(m_dataDir.filePath(QStringLiteral("repo")));
        QVERIFY(!repo.isEmpty());
        folio::ui::MainWindow window;
        window.show();
        window.ingest()->addRepository({repo, QString(), false});
        auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
        QTRY_VERIFY_WITH_TIMEOUT(findRow(tree->model(), QStringLiteral("parse.cpp")).isValid(),
                                 30000);
        const QModelIndex file = findRow(tree->model(), QStringLiteral("parse.cpp"));
        const qint64 tokens
            = tree->model()->index(file.row(), 1, file.parent()).data(Qt::UserRole + 6).toLongLong();
        QVERIFY2(tokens > 100, qPrintable(QString::number(tokens)));
        QVERIFY(!tree->model()->index(file.row(), 1, file.parent()).data().toString().isEmpty());
        auto *bar = window.findChild<QProgressBar *>(QStringLiteral("budgetBar"));
        QTRY_VERIFY(bar->value() > 0);
        // Unchecking the file takes its tokens out of the budget.
        const int before = bar->value();
        QVERIFY(tree->model()->setData(file, Qt::Unchecked, Qt::CheckStateRole));
        QTRY_VERIFY(bar->value() < before);
    }

    // Folders and files dropped on the window are read as sources (a folder with .git as a
    // repository, a Markdown file as text); a web link is refused.
    void dropFoldersAndFilesOntoTheWindow()
    {
        const QString repo = m_dataDir.filePath(QStringLiteral("repo"));
        QVERIFY(QDir(repo).exists());
        const QString notes = m_dataDir.filePath(QStringLiteral("notes.md"));
        QFile f(notes);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# Notes\n\nThe parser is fast.\n");
        f.close();
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.acceptDrops());

        QMimeData web;
        web.setUrls({QUrl(QStringLiteral("https://example.org/page"))});
        QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, &web, Qt::LeftButton,
                                Qt::NoModifier);
        QApplication::sendEvent(&window, &refused);
        QVERIFY(!refused.isAccepted());

        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(repo), QUrl::fromLocalFile(notes)});
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QVERIFY(drop.isAccepted());
        auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
        QTRY_VERIFY_WITH_TIMEOUT(!window.ingest()->isBusy() && window.ingest()->sourceCount() == 2,
                                 30000);
        QVERIFY(findRow(tree->model(), QStringLiteral("parse.cpp")).isValid());
        QVERIFY(findRow(tree->model(), QStringLiteral("notes.md")).isValid());
        QVERIFY(findRowStartingWith(tree->model(), QStringLiteral("repo @ ")).isValid());
    }

    void citationOpensCodeViewerAtLines()
    {
        const QString repo = m_dataDir.filePath(QStringLiteral("repo"));
        QVERIFY(QDir(repo).exists());
        folio::ui::MainWindow window;
        window.show();
        window.ingest()->addRepository({repo, QString(), false});
        QTRY_VERIFY_WITH_TIMEOUT(!window.ingest()->isBusy() && window.ingest()->sourceCount() == 1,
                                 30000);

        // A known answer with a verified citation, fed to the message view.
        const QString text = QStringLiteral("Step 12 is in src/parse.cpp:12-14.");
        folio::app::ChatMessage answer;
        answer.id = 99;
        answer.role = folio::app::ChatMessage::Role::Assistant;
        answer.text = text;
        folio::app::CitationLink c;
        c.text = QStringLiteral("src/parse.cpp:12-14");
        c.offset = int(text.indexOf(c.text));
        c.length = int(c.text.size());
        c.verified = true;
        c.source = 0;
        c.path = QStringLiteral("src/parse.cpp");
        c.lineBegin = 12;
        c.lineEnd = 14;
        answer.citations = {c};
        window.messages()->append(answer);
        auto *chat = window.findChild<folio::ui::ChatView *>(QStringLiteral("conversationView"));
        chat->renderNow();
        QVERIFY(chat->toHtml().contains(QStringLiteral("folio-cite:0/0")));
        // Without a mouse: Ctrl+5 focuses the conversation, Tab reaches the citation (the first
        // link of the answer), Enter opens it.
        QVERIFY(QTest::qWaitForWindowActive(&window));
        window.findChild<QAction *>(QStringLiteral("actionFocusConversation"))->trigger();
        QTRY_VERIFY(chat->hasFocus());
        QTest::keyClick(chat, Qt::Key_Tab);
        QCOMPARE(chat->textCursor().selectedText(), c.text);
        QTest::keyClick(chat, Qt::Key_Return);
        auto *viewer = window.findChild<folio::ui::CodeViewer *>(QStringLiteral("codeViewer"));
        QTRY_COMPARE(viewer->highlightedFirstLine(), 12);
        QCOMPARE(viewer->highlightedLastLine(), 14);
        QCOMPARE(viewer->path(), QStringLiteral("src/parse.cpp"));
        QVERIFY(viewer->isVisible());
        QVERIFY(viewer->editor()->document()->findBlockByNumber(11).text().contains(
            QStringLiteral("parse_step_12")));
    }

    void sessionSurvivesReopening()
    {
        {
            folio::ui::MainWindow window;
            window.show();
            auto *question = window.findChild<QPlainTextEdit *>(QStringLiteral("questionEdit"));
            auto *send = window.findChild<QPushButton *>(QStringLiteral("sendButton"));
            QTest::keyClicks(question, QStringLiteral("Where is the parser?"));
            QVERIFY(send->isEnabled());
            QTest::mouseClick(send, Qt::LeftButton);
            // The session is created, the question stored; without a loaded model the answer says so.
            QTRY_COMPARE(window.messages()->rowCount(), 2);
            QTRY_VERIFY(window.messages()->message(1).error.contains(QStringLiteral("No model")));
            QTRY_VERIFY(window.messages()->message(0).id > 0);
            QTRY_VERIFY(window.messages()->message(1).id > 0);
            window.storage()->waitForIdle();
            window.close();
        }
        folio::ui::MainWindow reopened;
        reopened.show();
        auto *list = reopened.findChild<QListView *>(QStringLiteral("sessionsList"));
        QTRY_VERIFY(list->model()->rowCount() >= 1);
        QCOMPARE(list->model()->index(0, 0).data().toString(),
                 QStringLiteral("Where is the parser?"));
        list->setCurrentIndex(list->model()->index(0, 0));
        QTRY_COMPARE(reopened.messages()->rowCount(), 2);
        QCOMPARE(reopened.messages()->message(0).text, QStringLiteral("Where is the parser?"));
    }

    void deleteSessionWithUndo()
    {
        folio::ui::MainWindow window;
        window.show();
        auto *list = window.findChild<QListView *>(QStringLiteral("sessionsList"));
        QTRY_VERIFY(list->model()->rowCount() >= 1);
        const int before = list->model()->rowCount();
        list->setCurrentIndex(list->model()->index(0, 0));
        const qint64 id = list->model()->index(0, 0).data(Qt::UserRole + 1).toLongLong();
        window.controller()->deleteSession(id);
        QCOMPARE(list->model()->rowCount(), before - 1);
        auto *undo = window.findChild<QPushButton *>(QStringLiteral("sessionUndoButton"));
        QVERIFY(undo->isVisible());
        QTest::mouseClick(undo, Qt::LeftButton);
        QCOMPARE(list->model()->rowCount(), before);
    }

    void askTheDemoModelAndStop()
    {
        // The real demo model (random weights): tokens stream in, Esc stops the answer.
        const QString demo = QStringLiteral(FOLIO_BINARY_DIR "/share/folio/demo-model");
        if (!QDir(demo).exists())
            QSKIP("the demo model is not built (target folio-demo-model)");
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.settings()->setModelDirectory(demo);
        window.settings()->setModelSource(folio::app::ModelSource::Local);
        folio::app::AnswerBackend *backend = window.answerBackend();
        QVERIFY(backend);
        QTRY_VERIFY_WITH_TIMEOUT(backend->isLoaded() && backend->modelInfo().directory == demo,
                                 120000);
        auto *model = window.findChild<QLabel *>(QStringLiteral("statusModel"));
        QVERIFY(!model->text().contains(QStringLiteral("not loaded")));
        // A new session of its own (the list may have opened an earlier one when it got focus).
        QSignalSpy created(window.storage(), &folio::app::StorageService::sessionCreated);
        window.controller()->newSession();
        QTRY_COMPARE(created.size(), 1);
        const qint64 id = created.first().first().value<folio::app::SessionInfo>().id;
        QTRY_COMPARE(window.controller()->currentSession(), id);
        QCOMPARE(window.messages()->rowCount(), 0);
        auto *question = window.findChild<QPlainTextEdit *>(QStringLiteral("questionEdit"));
        QTest::keyClicks(question, QStringLiteral("Summarise the sources."));
        QVERIFY2(backend->isLoaded(), "still loaded before sending");
        // Until the prefill reports, the window says the prompt is being prepared.
        auto *progress = window.findChild<QLabel *>(QStringLiteral("prefillProgress"));
        QString preparing;
        connect(backend, &folio::app::AnswerBackend::busyChanged, progress, [&](bool busy) {
            if (busy && !progress->isHidden())
                preparing = progress->text();
        });
        QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("sendButton")),
                          Qt::LeftButton);
        QTRY_COMPARE(window.messages()->rowCount(), 2);
        QVERIFY2(window.messages()->message(1).state != folio::app::ChatMessage::State::Failed,
                 qPrintable(window.messages()->message(1).error));
        // Streaming: the answer grows while it is still being written.
        QTRY_VERIFY_WITH_TIMEOUT(window.messages()->message(1).text.size()
                                         + window.messages()->message(1).thinking.size()
                                     > 0,
                                 120000);
        QCOMPARE(window.messages()->message(1).state, folio::app::ChatMessage::State::Streaming);
        QVERIFY2(preparing.contains(QStringLiteral("Preparing the prompt")), qPrintable(preparing));
        auto *stop = window.findChild<QPushButton *>(QStringLiteral("stopButton"));
        QVERIFY(stop->isEnabled());
        auto *stopAction = window.findChild<QAction *>(QStringLiteral("actionStop"));
        QCOMPARE(stopAction->shortcut(), QKeySequence(Qt::Key_Escape));
        stopAction->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller()->isAnswering(), 60000);
        QVERIFY2(window.messages()->message(1).state == folio::app::ChatMessage::State::Stopped,
                 qPrintable(window.messages()->message(1).error));
        QVERIFY(window.messages()->message(1).stats.promptTokens > 0);
        QVERIFY(!stop->isEnabled());
        window.settings()->setModelSource(folio::app::ModelSource::Demo);
    }

    void switchLanguage()
    {
        folio::ui::MainWindow window;
        window.show();
        auto *file = window.findChild<QMenu *>(QStringLiteral("menuFile"));
        QCOMPARE(file->title(), QStringLiteral("&File"));
        window.settings()->setLanguage(QStringLiteral("zh_CN"));
        QTRY_VERIFY2(file->title().contains(QStringLiteral("文件")), qPrintable(file->title()));
        auto *send = window.findChild<QPushButton *>(QStringLiteral("sendButton"));
        QVERIFY(send->text() != QStringLiteral("Send"));
        window.settings()->setLanguage(QStringLiteral("de"));
        QTRY_COMPARE(file->title(), QStringLiteral("&Datei"));
        window.settings()->setLanguage(QStringLiteral("en"));
        QTRY_COMPARE(file->title(), QStringLiteral("&File"));
    }

    // The repository of the next tests: two commits on a branch "feature", a tag "v1".
    void makeRefsRepository()
    {
        m_refsRepo = makeRepository(m_dataDir.filePath(QStringLiteral("refsrepo")));
        QVERIFY(!m_refsRepo.isEmpty());
        m_firstCommit = runGit(m_refsRepo, {QStringLiteral("rev-parse"), QStringLiteral("HEAD")});
        QVERIFY(!runGit(m_refsRepo, {QStringLiteral("checkout"), QStringLiteral("-qb"),
                                     QStringLiteral("feature")})
                     .isNull());
        QFile f(m_refsRepo + QStringLiteral("/src/extra.cpp"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("int extra() { return 7; }\n");
        f.close();
        QVERIFY(!runGit(m_refsRepo, {QStringLiteral("add"), QStringLiteral(".")}).isNull());
        QVERIFY(!runGit(m_refsRepo, {QStringLiteral("commit"), QStringLiteral("-qm"),
                                     QStringLiteral("Add the extra step")})
                     .isNull());
        QVERIFY(!runGit(m_refsRepo, {QStringLiteral("tag"), QStringLiteral("v1")}).isNull());
        m_secondCommit = runGit(m_refsRepo, {QStringLiteral("rev-parse"), QStringLiteral("HEAD")});
        QCOMPARE(m_secondCommit.size(), 40);
    }

    void openRepositoryDialogListsRefsAndCommits()
    {
        QVERIFY(!m_refsRepo.isEmpty());
        folio::ui::MainWindow window;
        folio::ui::OpenRepositoryDialog dialog({}, window.ingest(), &window);
        QSignalSpy shown(&dialog, &folio::ui::OpenRepositoryDialog::refsShown);
        dialog.setLocation(m_refsRepo);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() > 0, 30000);
        auto *commits = dialog.findChild<QTreeWidget *>(QStringLiteral("repositoryCommits"));
        QCOMPARE(commits->topLevelItemCount(), 2);
        QVERIFY(commits->topLevelItem(0)->text(0).startsWith(QStringLiteral("Add the extra step")));
        QCOMPARE(commits->topLevelItem(0)->text(1), QStringLiteral("T"));
        QCOMPARE(commits->topLevelItem(0)->text(3), QString::fromLatin1(m_secondCommit.left(10)));
        QCOMPARE(commits->topLevelItem(1)->text(0), QStringLiteral("init"));
        QCOMPARE(commits->topLevelItem(1)->text(3), QString::fromLatin1(m_firstCommit.left(10)));
        QVERIFY(!commits->topLevelItem(1)->text(2).isEmpty()); // the date
        auto *choice = dialog.findChild<QComboBox *>(QStringLiteral("repositoryRefChoice"));
        QVERIFY(choice->itemText(0).contains(QStringLiteral("feature"))); // HEAD (feature)
        QVERIFY(choice->findData(QStringLiteral("feature")) > 0);
        const int tag = choice->findData(QStringLiteral("v1"));
        QVERIFY(tag > 0);
        QVERIFY(!choice->accessibleName().isEmpty());
        QVERIFY(!commits->accessibleName().isEmpty());

        // The older commit, then the tag, then the working tree.
        commits->setCurrentItem(commits->topLevelItem(1));
        QCOMPARE(dialog.request().ref, QString::fromLatin1(m_firstCommit));
        QCOMPARE(dialog.request().location, m_refsRepo);
        Q_EMIT choice->activated(tag);
        QCOMPARE(dialog.request().ref, QStringLiteral("v1"));
        auto *worktree = dialog.findChild<QCheckBox *>(QStringLiteral("repositoryWorktree"));
        worktree->setChecked(true);
        QVERIFY(dialog.request().worktree);
        QVERIFY(dialog.request().ref.isEmpty());
        QVERIFY(!commits->isEnabled());
        worktree->setChecked(false);

        // A folder that is not a repository: said so, and Open is disabled.
        const QString plain = m_dataDir.filePath(QStringLiteral("not-a-repo"));
        QVERIFY(QDir().mkpath(plain));
        shown.clear();
        dialog.setLocation(plain);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() > 0, 30000);
        QCOMPARE(commits->topLevelItemCount(), 0);
        auto *buttons = dialog.findChild<QDialogButtonBox *>();
        QVERIFY(!buttons->button(QDialogButtonBox::Ok)->isEnabled());
        QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("repositoryHint"))
                    ->text()
                    .contains(QStringLiteral("not inside a git repository")));
    }

    void openRepositoryAtAnOlderCommitFromTheWindow()
    {
        QVERIFY(!m_refsRepo.isEmpty());
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        bool picked = false;
        // The dialog is modal: drive it from the event loop it runs.
        QTimer::singleShot(0, &window, [&] {
            auto *dialog = window.findChild<folio::ui::OpenRepositoryDialog *>();
            QVERIFY(dialog);
            // Never leave the test hanging in the dialog's loop.
            QTimer::singleShot(30000, dialog, &QDialog::reject);
            auto *commits = dialog->findChild<QTreeWidget *>(QStringLiteral("repositoryCommits"));
            QTRY_VERIFY_WITH_TIMEOUT(commits->topLevelItemCount() == 2, 30000);
            commits->setCurrentItem(commits->topLevelItem(1));
            picked = true;
            dialog->accept();
        });
        window.openRepositoryAt(m_refsRepo);
        QVERIFY(picked);
        auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
        const QString name = QStringLiteral("refsrepo @ %1")
                                 .arg(QLatin1String(m_firstCommit.left(10)));
        QTRY_VERIFY_WITH_TIMEOUT(findRowStartingWith(tree->model(), name).isValid(), 30000);
        // The older commit has no extra.cpp.
        QTRY_VERIFY(!window.ingest()->isBusy());
        QVERIFY(findRow(tree->model(), QStringLiteral("parse.cpp")).isValid());
        QVERIFY(!findRow(tree->model(), QStringLiteral("extra.cpp")).isValid());
        // What was read is reported with its rate.
        auto *lastRead = window.findChild<QLabel *>(QStringLiteral("ingestLastRead"));
        QVERIFY2(lastRead->text().contains(QStringLiteral("per second")),
                 qPrintable(lastRead->text()));
    }

    // Clone from URL: the dialog lists the URL's branches and tags before anything is cloned (no
    // commits: nothing is fetched yet), and the branch chosen there is the one cloned and read.
    void cloneFromUrlListsRefsFirst()
    {
        QVERIFY(!m_refsRepo.isEmpty());
        const QString url = QStringLiteral("file://") + m_refsRepo;
        // Where GitSource clones URLs (under XDG_CACHE_HOME, set in initTestCase).
        const QString cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
        QVERIFY(cache.startsWith(m_dataDir.path()));
        QDir(cache + QStringLiteral("/repos")).removeRecursively();
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QString chosen;
        QStringList listed;
        int commitsListed = -1;
        QTimer::singleShot(0, &window, [&] {
            auto *dialog = window.findChild<folio::ui::OpenRepositoryDialog *>();
            QVERIFY(dialog);
            QTimer::singleShot(30000, dialog, &QDialog::reject);
            auto *location = dialog->findChild<QComboBox *>(QStringLiteral("repositoryLocation"));
            QVERIFY(location->accessibleName().size() > 0);
            location->setCurrentText(url); // as typed or pasted
            auto *choice = dialog->findChild<QComboBox *>(QStringLiteral("repositoryRefChoice"));
            QTRY_VERIFY_WITH_TIMEOUT(choice->count() > 1, 30000);
            // Nothing was cloned to list them.
            QVERIFY(!QDir(cache + QStringLiteral("/repos")).exists()
                    || QDir(cache + QStringLiteral("/repos"))
                           .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                           .isEmpty());
            for (int i = 0; i < choice->count(); ++i)
                listed << choice->itemData(i).toString();
            auto *commits = dialog->findChild<QTreeWidget *>(QStringLiteral("repositoryCommits"));
            commitsListed = commits->topLevelItemCount();
            QVERIFY(!commits->isVisible()); // nothing to list before the clone
            // The branch that is not the remote's HEAD ("feature"): the first commit only.
            for (int i = 1; i < choice->count(); ++i) {
                const QString ref = choice->itemData(i).toString();
                if (choice->itemText(i).startsWith(QStringLiteral("branch"))
                    && ref != QStringLiteral("feature")) {
                    Q_EMIT choice->activated(i);
                    chosen = ref;
                }
            }
            QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("repositoryHint"))
                        ->text()
                        .contains(QStringLiteral("at the remote")));
            dialog->accept();
        });
        window.findChild<QAction *>(QStringLiteral("actionCloneRepository"))->trigger();
        QVERIFY2(listed.contains(QStringLiteral("feature")), qPrintable(listed.join(u',')));
        QVERIFY(listed.contains(QStringLiteral("v1")));
        QCOMPARE(commitsListed, 0);
        QVERIFY(!chosen.isEmpty());
        auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
        const QString name = QStringLiteral("refsrepo @ %1")
                                 .arg(QLatin1String(m_firstCommit.left(10)));
        QTRY_VERIFY_WITH_TIMEOUT(findRowStartingWith(tree->model(), name).isValid(), 30000);
        QTRY_VERIFY(!window.ingest()->isBusy());
        QVERIFY(findRow(tree->model(), QStringLiteral("parse.cpp")).isValid());
        QVERIFY(!findRow(tree->model(), QStringLiteral("extra.cpp")).isValid());
        // Now it is cloned, into the cache.
        QCOMPARE(QDir(cache + QStringLiteral("/repos"))
                     .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                     .size(),
                 1);
    }

    // The progress row while one large repository is read: files read of the total and files
    // per second, live (the read is held half-way on its reading thread), not only at the end.
    void ingestProgressWhileReading()
    {
        const QString repo = m_dataDir.filePath(QStringLiteral("manyfiles"));
        QDir().mkpath(repo);
        for (int i = 0; i < 120; ++i) {
            QFile f(repo + QStringLiteral("/f%1.txt").arg(i));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("text\n");
        }
        QVERIFY(!runGit(repo, {QStringLiteral("init"), QStringLiteral("-q")}).isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("add"), QStringLiteral(".")}).isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("commit"), QStringLiteral("-qm"), QStringLiteral("m")})
                     .isNull());
        QSemaphore held, release;
        std::atomic_bool once{false};
        folio::ui::MainWindow window;
        window.show();
        window.ingest()->setReadProgressHook([&](qint64 done, qint64) {
            if (done >= 60 && !once.exchange(true)) {
                held.release();
                release.tryAcquire(1, 30000); // never hangs the test
            }
        });
        window.ingest()->addRepository({repo, QString(), false});
        QVERIFY(held.tryAcquire(1, 30000));
        auto *stage = window.findChild<QLabel *>(QStringLiteral("ingestStage"));
        auto *bar = window.findChild<QProgressBar *>(QStringLiteral("ingestProgressBar"));
        QTRY_VERIFY_WITH_TIMEOUT(stage->text().contains(QStringLiteral(" of 120")), 30000);
        QVERIFY2(stage->text().contains(QStringLiteral("files/s")), qPrintable(stage->text()));
        QVERIFY2(stage->text().contains(QStringLiteral("Reading repository")),
                 qPrintable(stage->text()));
        QVERIFY(stage->isVisible());
        QCOMPARE(bar->maximum(), 1000);
        QVERIFY(bar->value() >= 500 && bar->value() < 1000);
        release.release();
        QTRY_VERIFY_WITH_TIMEOUT(!window.ingest()->isBusy(), 30000);
        auto *lastRead = window.findChild<QLabel *>(QStringLiteral("ingestLastRead"));
        QVERIFY2(lastRead->text().contains(QStringLiteral("120 file")),
                 qPrintable(lastRead->text()));
    }

    void ingestProgressText()
    {
        folio::app::IngestProgress p;
        p.stage = QStringLiteral("Counting tokens…");
        p.bytes = true;
        p.done = 4 * 1024 * 1024;
        p.total = 10 * 1024 * 1024;
        p.seconds = 2;
        p.rate = 2 * 1024 * 1024;
        p.etaSeconds = 3;
        const QString text = folio::ui::SourcesPanel::progressText(p);
        QVERIFY2(text.contains(QStringLiteral("4.00 MiB of 10.00 MiB")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("2.00 MiB/s")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("about 3 s left")), qPrintable(text));
        p.total = 0;
        QVERIFY(!folio::ui::SourcesPanel::progressText(p).contains(QStringLiteral("left")));
        // Reading PDFs counts pages.
        p.bytes = false;
        p.pages = true;
        p.done = 3;
        p.total = 12;
        p.rate = 2;
        const QString pages = folio::ui::SourcesPanel::progressText(p);
        QVERIFY2(pages.contains(QStringLiteral("3 of 12")), qPrintable(pages));
        QVERIFY2(pages.contains(QStringLiteral("2 pages/s")), qPrintable(pages));
    }

    // Sources are stored with their session and come back, pinned at their commit, with the
    // person's exclusions, after the window is closed and opened again.
    void sourcesPersistWithTheSession()
    {
        QVERIFY(!m_refsRepo.isEmpty());
        qint64 session = 0;
        {
            folio::ui::MainWindow window;
            window.show();
            auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
            window.ingest()->addRepository({m_refsRepo, QString::fromLatin1(m_firstCommit), false});
            QTRY_VERIFY_WITH_TIMEOUT(!window.ingest()->isBusy()
                                         && findRow(tree->model(), QStringLiteral("README.md"))
                                                .isValid(),
                                     30000);
            const QModelIndex readme = findRow(tree->model(), QStringLiteral("README.md"));
            QVERIFY(tree->model()->setData(readme, Qt::Unchecked, Qt::CheckStateRole));
            QTRY_VERIFY(!window.ingest()->isBusy());
            // A new session takes the sources on screen as its own.
            QSignalSpy created(window.storage(), &folio::app::StorageService::sessionCreated);
            QSignalSpy saved(window.storage(), &folio::app::StorageService::sourcesSaved);
            window.controller()->newSession();
            QTRY_COMPARE(created.size(), 1);
            session = created.first().first().value<folio::app::SessionInfo>().id;
            QTRY_VERIFY(saved.size() >= 1);
            QCOMPARE(saved.last().first().toLongLong(), session);
            window.ingest()->waitForIdle();
            window.storage()->waitForIdle();
            window.close();
        }
        // The branch moves on; the session keeps the commit it read.
        QFile f(m_refsRepo + QStringLiteral("/src/parse.cpp"));
        QVERIFY(f.open(QIODevice::Append));
        f.write("int moved_on() { return 0; }\n");
        f.close();
        QVERIFY(!runGit(m_refsRepo,
                        {QStringLiteral("commit"), QStringLiteral("-qam"), QStringLiteral("later")})
                     .isNull());

        folio::ui::MainWindow reopened;
        reopened.show();
        auto *list = reopened.findChild<QListView *>(QStringLiteral("sessionsList"));
        QTRY_VERIFY(list->model()->rowCount() >= 1);
        int row = -1;
        for (int r = 0; r < list->model()->rowCount(); ++r)
            if (list->model()->index(r, 0).data(Qt::UserRole + 1).toLongLong() == session)
                row = r;
        QVERIFY(row >= 0);
        list->setCurrentIndex(list->model()->index(row, 0));
        auto *tree = reopened.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
        const QString name = QStringLiteral("refsrepo @ %1")
                                 .arg(QLatin1String(m_firstCommit.left(10)));
        QTRY_VERIFY_WITH_TIMEOUT(findRowStartingWith(tree->model(), name).isValid(), 30000);
        QTRY_VERIFY(!reopened.ingest()->isBusy());
        const QModelIndex readme = findRow(tree->model(), QStringLiteral("README.md"));
        QVERIFY(readme.isValid());
        QCOMPARE(readme.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY(!findRow(tree->model(), QStringLiteral("extra.cpp")).isValid());
        // The packed context is the pinned commit's: no trace of the later change.
        QVERIFY(reopened.ingest()->packed().text.contains("parse_step_12"));
        QVERIFY(!reopened.ingest()->packed().text.contains("moved_on"));
        QVERIFY(!reopened.ingest()->packed().text.contains("# Demo"));
    }

    // A session `folio-cli ask` saved (a repository record with its commit, nothing else) opens
    // with its repository in the sources panel.
    void sessionSavedByTheCliOpensWithItsSources()
    {
        QVERIFY(!m_refsRepo.isEmpty());
        qint64 id = 0;
        {
            auto db = folio::storage::Database::open(
                m_dataDir.filePath(QStringLiteral("folio.db")));
            QVERIFY(db.ok());
            folio::storage::SessionStore store(**db);
            folio::storage::Session s;
            s.title = QStringLiteral("Asked from the command line");
            auto created = store.create(s);
            QVERIFY(created.ok());
            id = created.value().id;
            folio::storage::Source src; // as cmd_ask writes it
            src.sessionId = id;
            src.kind = QStringLiteral("git");
            src.uri = m_refsRepo;
            src.revision = QString::fromLatin1(m_secondCommit);
            QVERIFY(store.addSource(src).ok());
        }
        folio::ui::MainWindow window;
        window.show();
        auto *list = window.findChild<QListView *>(QStringLiteral("sessionsList"));
        QTRY_VERIFY(list->model()->rowCount() >= 1);
        int row = -1;
        for (int r = 0; r < list->model()->rowCount(); ++r)
            if (list->model()->index(r, 0).data(Qt::UserRole + 1).toLongLong() == id)
                row = r;
        QVERIFY(row >= 0);
        list->setCurrentIndex(list->model()->index(row, 0));
        auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
        const QString name = QStringLiteral("refsrepo @ %1")
                                 .arg(QLatin1String(m_secondCommit.left(10)));
        QTRY_VERIFY_WITH_TIMEOUT(findRowStartingWith(tree->model(), name).isValid(), 30000);
        QTRY_VERIFY(findRow(tree->model(), QStringLiteral("extra.cpp")).isValid());
    }

    void remoteEndpointAnswers()
    {
        ScriptedEndpoint endpoint;
        QVERIFY(endpoint.server.isListening());
        folio::ui::MainWindow window;
        window.show();
        window.ingest()->addRepository({m_refsRepo, QString(), false});
        QTRY_VERIFY_WITH_TIMEOUT(!window.ingest()->isBusy() && window.ingest()->sourceCount() == 1,
                                 30000);
        window.settings()->setRemoteUrl(endpoint.baseUrl());
        window.settings()->setRemoteModel(QStringLiteral("scripted-model"));
        window.settings()->setModelSource(folio::app::ModelSource::Remote);
        auto *remote = qobject_cast<folio::app::RemoteAnswerBackend *>(window.answerBackend());
        QVERIFY(remote);
        QVERIFY(remote->isLoaded());
        QVERIFY(!remote->isLocalServer());
        auto *device = window.findChild<QLabel *>(QStringLiteral("statusDevice"));
        QVERIFY2(device->text().contains(QStringLiteral("127.0.0.1")), qPrintable(device->text()));
        // Until the first text arrives the window says what it waits for; hidden after it.
        auto *waiting = window.findChild<QLabel *>(QStringLiteral("prefillProgress"));
        QString waitingText;
        bool waitingShown = false;
        connect(remote, &folio::app::AnswerBackend::busyChanged, waiting, [&](bool busy) {
            if (busy) {
                waitingText = waiting->text();
                waitingShown = !waiting->isHidden();
            }
        });
        window.controller()->ask(QStringLiteral("What is in parse.cpp?"), true);
        QTRY_VERIFY_WITH_TIMEOUT(window.messages()->rowCount() == 2
                                     && window.messages()->message(1).state
                                            != folio::app::ChatMessage::State::Streaming,
                                 30000);
        const folio::app::ChatMessage answer = window.messages()->message(1);
        QVERIFY2(answer.state == folio::app::ChatMessage::State::Done, qPrintable(answer.error));
        QCOMPARE(answer.text, QStringLiteral("Hello from the endpoint."));
        QVERIFY2(waitingShown && waitingText.contains(QStringLiteral("Waiting for the endpoint")),
                 qPrintable(waitingText));
        QVERIFY(waiting->isHidden());
        QCOMPARE(answer.thinking, QStringLiteral("Looking."));
        QCOMPARE(answer.stats.promptTokens, 120);
        QCOMPARE(answer.stats.generatedTokens, 5);
        // The endpoint saw the packed sources in the system prompt, and the question.
        QCOMPARE(endpoint.requests.size(), 1);
        QVERIFY(endpoint.requests.first().contains("parse_step_12"));
        QVERIFY(endpoint.requests.first().contains("What is in parse.cpp?"));
        QVERIFY(endpoint.requests.first().contains("scripted-model"));
        window.settings()->setModelSource(folio::app::ModelSource::None);
        QVERIFY(!qobject_cast<folio::app::RemoteAnswerBackend *>(window.answerBackend()));
    }

    void runningLocalServerIsUsedInsteadOfASecondCopy()
    {
        ScriptedEndpoint endpoint;
        QVERIFY(endpoint.server.isListening());
        const QString demo = qEnvironmentVariable("FOLIO_DEMO_MODEL");
        folio::server::ServerInfo info;
        info.baseUrl = QUrl(endpoint.baseUrl());
        info.pid = QCoreApplication::applicationPid(); // alive: this process
        info.modelDir = QFileInfo(demo).canonicalFilePath();
        info.modelId = QStringLiteral("folio-demo");
        QString error;
        QVERIFY2(folio::server::writeDiscoveryFile(info, &error), qPrintable(error));
        struct Cleanup
        {
            ~Cleanup() { folio::server::removeDiscoveryFile(); }
        } cleanup;

        folio::ui::MainWindow window;
        window.show();
        window.settings()->setModelSource(folio::app::ModelSource::Demo);
        auto *remote = qobject_cast<folio::app::RemoteAnswerBackend *>(window.answerBackend());
        QVERIFY(remote);
        QVERIFY(remote->isLocalServer());
        QCOMPARE(remote->endpoint().model, QStringLiteral("folio-demo"));
        auto *device = window.findChild<QLabel *>(QStringLiteral("statusDevice"));
        QVERIFY2(device->text().contains(QStringLiteral("local server")),
                 qPrintable(device->text()));
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("second time")),
                 qPrintable(window.statusBar()->currentMessage()));
        window.controller()->ask(QStringLiteral("Hello?"), false);
        QTRY_VERIFY_WITH_TIMEOUT(window.messages()->rowCount() == 2
                                     && window.messages()->message(1).state
                                            == folio::app::ChatMessage::State::Done,
                                 30000);
        QCOMPARE(window.messages()->message(1).text, QStringLiteral("Hello from the endpoint."));
        window.settings()->setModelSource(folio::app::ModelSource::None);
    }

    // Settings: a remote preset fills in URL and model; its API key goes to the owner-only key
    // file, never into the settings, and the remote backend answers with it.
    void settingsDialogRemotePresetAndKey()
    {
        folio::ui::MainWindow window;
        folio::ui::SettingsDialog dialog(window.settings(), &window);
        dialog.findChild<QRadioButton *>(QStringLiteral("remoteModelRadio"))->setChecked(true);
        auto *preset = dialog.findChild<QComboBox *>(QStringLiteral("remotePresetCombo"));
        QVERIFY(preset && !preset->accessibleName().isEmpty());
        Q_EMIT preset->activated(preset->findData(QStringLiteral("deepseek")));
        auto *url = dialog.findChild<QLineEdit *>(QStringLiteral("remoteUrlEdit"));
        QCOMPARE(url->text(), QStringLiteral("https://api.deepseek.com"));
        QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("remoteModelEdit"))->text(),
                 QStringLiteral("deepseek-v4-flash"));
        const QString key = QStringLiteral("sk-test-0123456789abcdef");
        dialog.findChild<QLineEdit *>(QStringLiteral("remoteKeyEdit"))->setText(key);
        dialog.accept();
        QCOMPARE(window.settings()->modelSource(), folio::app::ModelSource::Remote);
        QCOMPARE(window.settings()->backend(), QStringLiteral("remote"));
        auto *backend = qobject_cast<folio::app::RemoteAnswerBackend *>(window.answerBackend());
        QVERIFY(backend);
        QCOMPARE(backend->endpoint().apiKey, key);
        QDirIterator it(m_settingsDir.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile f(it.next());
            QVERIFY(f.open(QIODevice::ReadOnly));
            QVERIFY2(!f.readAll().contains(key.toUtf8()), qPrintable(f.fileName()));
        }
        // Reopened, the dialog shows the stored key and the preset.
        folio::ui::SettingsDialog again(window.settings(), &window);
        QCOMPARE(again.findChild<QLineEdit *>(QStringLiteral("remoteKeyEdit"))->text(), key);
        QCOMPARE(again.findChild<QComboBox *>(QStringLiteral("remotePresetCombo"))->currentData(),
                 QVariant(QStringLiteral("deepseek")));
        window.settings()->setModelSource(folio::app::ModelSource::None);
        window.settings()->setBackend(QStringLiteral("auto"));
    }

    // Settings → Model checks the directory as it is typed, on appcore's check thread (the
    // engine's config reader and the shard index never run on the UI thread): a missing one is
    // refused by OK; the demo model is described; OK pressed while a check runs waits for it.
    void settingsChecksTheModelDirectoryOffTheUiThread()
    {
        const QString demo = QStringLiteral(FOLIO_BINARY_DIR "/share/folio/demo-model");
        if (!QDir(QStringLiteral(FOLIO_BINARY_DIR "/share/folio/demo-model")).exists())
            QSKIP("the demo model is not built (target folio-demo-model)");
        folio::ui::MainWindow window;
        const int before = folio::app::layerWorkCounts().onUiThread;
        folio::ui::SettingsDialog dialog(window.settings(), &window);
        dialog.findChild<QRadioButton *>(QStringLiteral("localModelRadio"))->setChecked(true);
        auto *edit = dialog.findChild<QLineEdit *>(QStringLiteral("modelDirectoryEdit"));
        edit->setText(m_dataDir.filePath(QStringLiteral("no-model")));
        QTRY_VERIFY2(dialog.modelCheckText().contains(QStringLiteral("does not exist")),
                     qPrintable(dialog.modelCheckText()));
        dialog.accept();
        QVERIFY(dialog.result() != QDialog::Accepted);
        edit->setText(demo);
        QTRY_VERIFY2(dialog.modelCheckText().contains(QStringLiteral("layers")),
                     qPrintable(dialog.modelCheckText()));
        edit->setText(demo + QLatin1Char('/'));
        dialog.accept(); // while its check runs
        QTRY_COMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(window.settings()->modelSource(), folio::app::ModelSource::Local);
        QCOMPARE(window.settings()->modelDirectory(), demo + QLatin1Char('/'));
        QCOMPARE(folio::app::layerWorkCounts().onUiThread, before);
        QVERIFY(folio::app::layerWorkCounts().kinds.contains(
            QStringLiteral("engine: inspect model directory")));
        window.settings()->setModelSource(folio::app::ModelSource::None);
    }

    // Settings: the device list (auto, CPU, the engine's CUDA devices, remote) kept in step with
    // the model source, and the expert cache.
    void settingsDialogDeviceChoice()
    {
        folio::ui::MainWindow window;
        folio::ui::SettingsDialog dialog(window.settings(), &window);
        auto *device = dialog.findChild<QComboBox *>(QStringLiteral("backendCombo"));
        auto *cache = dialog.findChild<QDoubleSpinBox *>(QStringLiteral("expertCacheSpin"));
        auto *remote = dialog.findChild<QRadioButton *>(QStringLiteral("remoteModelRadio"));
        auto *demo = dialog.findChild<QRadioButton *>(QStringLiteral("demoModelRadio"));
        QVERIFY(device && cache && remote && demo);
        for (const char *id : {"auto", "cpu", "remote"})
            QVERIFY2(device->findData(QLatin1String(id)) >= 0, id);
        QVERIFY(!cache->accessibleName().isEmpty());
        // The engine's device list arrives from its own thread; the choice made so far is kept.
        Q_EMIT device->activated(device->findData(QStringLiteral("cpu")));
        auto *note = dialog.findChild<QLabel *>(QStringLiteral("backendNote"));
        QTRY_VERIFY_WITH_TIMEOUT(!note->text().startsWith(QStringLiteral("Looking")), 30000);
        QCOMPARE(device->currentData().toString(), QStringLiteral("cpu"));
        QVERIFY(device->findData(QStringLiteral("remote")) == device->count() - 1);
        QVERIFY(
            folio::app::layerWorkCounts().kinds.contains(QStringLiteral("engine: list devices")));

        // Remote as the device selects the remote endpoint as the source, and back.
        Q_EMIT device->activated(device->findData(QStringLiteral("remote")));
        QVERIFY(remote->isChecked());
        QVERIFY(!cache->isEnabled());
        demo->setChecked(true);
        QCOMPARE(device->currentData().toString(), QStringLiteral("auto"));
        Q_EMIT device->activated(device->findData(QStringLiteral("cpu")));
        QVERIFY(demo->isChecked());
        QVERIFY(!cache->isEnabled()); // the CPU has no expert cache
        dialog.accept();
        QCOMPARE(window.settings()->device(), QStringLiteral("cpu"));
        QCOMPARE(window.settings()->modelSource(), folio::app::ModelSource::Demo);
        window.settings()->setModelSource(folio::app::ModelSource::None);
        window.settings()->setDevice(QStringLiteral("auto"));
    }

    void layerWorkNeverOnUiThread()
    {
        const folio::app::LayerWorkCounts counts = folio::app::layerWorkCounts();
        QVERIFY2(counts.calls > 10, qPrintable(QString::number(counts.calls)));
        QCOMPARE(counts.onUiThread, 0);
        // The paths the tests above drove were counted (and so checked).
        for (const char *kind :
             {"ingest: repository", "ingest: pack", "ingest: list refs", "ingest: restore sources",
              "engine: inspect model directory", "engine: list devices", "storage: save sources",
              "storage: load sources", "storage: add message"})
            QVERIFY2(counts.kinds.contains(QLatin1String(kind)),
                     qPrintable(counts.kinds.join(QStringLiteral(", "))));
    }

private:
    QTemporaryDir m_settingsDir;
    QTemporaryDir m_dataDir;
    QString m_refsRepo;
    QByteArray m_firstCommit;
    QByteArray m_secondCommit;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
