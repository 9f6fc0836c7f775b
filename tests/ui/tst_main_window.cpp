// The main window, driven as a person would: its layout and accessible names, window state, the
// welcome page, opening a repository created in the test and seeing its token counts, a question
// stored in a session that is there again after reopening the window, a verified citation that
// lands on its lines in the code viewer, switching the language, and no engine/ingest/storage
// work on the UI thread.
#include "app/answer_backend.h"
#include "app/chat_message.h"
#include "app/ingest_service.h"
#include "app/messages_model.h"
#include "app/session_controller.h"
#include "app/settings.h"
#include "app/storage_service.h"
#include "app/thread_guard.h"
#include "ui/chat_view.h"
#include "ui/code_viewer.h"
#include "ui/main_window.h"

#include <QAbstractItemModel>
#include <QDir>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSplitter>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTreeView>

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
        chat->activateLink(QUrl(QStringLiteral("folio-cite:0/0")));
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

    void layerWorkNeverOnUiThread()
    {
        const folio::app::LayerWorkCounts counts = folio::app::layerWorkCounts();
        QVERIFY2(counts.calls > 10, qPrintable(QString::number(counts.calls)));
        QCOMPARE(counts.onUiThread, 0);
    }

private:
    QTemporaryDir m_settingsDir;
    QTemporaryDir m_dataDir;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
