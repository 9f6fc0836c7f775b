// StorageService, the GUI's storage path (one connection on its own thread), with KV snapshots and
// a concurrent CLI (issue 8): an answer stored with the ids of the snapshots its request wrote
// ties them to its turn, and deleting the session deletes them with their payload files; the GUI
// adding messages while several real `folio-cli session import` processes write the same folio.db
// (WAL, busy timeout): no errors on either side, no lost writes, a sound database.
// Argument: the folio-cli executable.
#include "app/storage_service.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_export.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace folio;

static QString g_cli;

namespace {

// A committed snapshot of `bytes` bytes, as the engine backend writes it for a GUI request.
qint64 writeSnapshot(storage::Database &db, qint64 session, const QString &kind, int seed,
                     int bytes = 8192)
{
    storage::SnapshotStore store(db);
    store.setEvictionPolicy({0, 0});
    storage::SnapshotInfo meta;
    meta.sessionId = session;
    meta.kind = kind;
    meta.key = {QStringLiteral("fp"), 1, QStringLiteral("prefix-%1").arg(seed), 100 + seed};
    auto w = store.beginWrite(meta);
    if (!w.ok())
        return 0;
    const QByteArray state(bytes, char('a' + seed));
    if (!(*w)->write(state.constData(), size_t(state.size())).ok())
        return 0;
    auto saved = (*w)->commit();
    return saved.ok() ? saved->id : 0;
}

} // namespace

class TestStorageService : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<app::StorageService> m_service;

    QString dbPath() const { return m_dir->filePath(QStringLiteral("folio.db")); }

    qint64 createSession(const QString &title)
    {
        QSignalSpy created(m_service.get(), &app::StorageService::sessionCreated);
        m_service->createSession(title);
        if (!created.wait(10000))
            return 0;
        return created.first().first().value<app::SessionInfo>().id;
    }

    qint64 addMessage(qint64 session, qint64 parent, const app::ChatMessage &m)
    {
        QSignalSpy added(m_service.get(), &app::StorageService::messageAdded);
        app::NewMessage nm;
        nm.sessionId = session;
        nm.parentId = parent;
        nm.message = m;
        m_service->addMessage(nm, 7);
        if (!added.wait(10000))
            return 0;
        return added.first().at(1).toLongLong();
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_service = std::make_unique<app::StorageService>();
        QSignalSpy opened(m_service.get(), &app::StorageService::opened);
        m_service->open(dbPath());
        QVERIFY(opened.wait(10000));
        QVERIFY2(opened.first().first().toBool(), qPrintable(opened.first().at(1).toString()));
    }

    void cleanup()
    {
        m_service.reset();
        m_dir.reset();
    }

    // Issue 8: the GUI's answer ties the snapshots of its request (AnswerStats::snapshotIds) to
    // the stored turn; deleting the session deletes them, rows and payload files.
    void answerTiesItsSnapshots()
    {
        const qint64 sid = createSession(QStringLiteral("tied"));
        QVERIFY(sid > 0);
        auto db = storage::Database::open(dbPath());
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        // What the engine wrote for the first question of `sid`: tied to the session only.
        const qint64 prefix = writeSnapshot(**db, sid, QStringLiteral("prefix"), 1);
        const qint64 answerState = writeSnapshot(**db, sid, QStringLiteral("answer"), 2);
        QVERIFY(prefix > 0 && answerState > 0);

        app::ChatMessage q;
        q.role = app::ChatMessage::Role::User;
        q.text = QStringLiteral("A question?");
        const qint64 qid = addMessage(sid, 0, q);
        QVERIFY(qid > 0);
        app::ChatMessage a;
        a.role = app::ChatMessage::Role::Assistant;
        a.text = QStringLiteral("An answer.");
        a.stats.snapshotIds = {prefix, answerState};
        const qint64 aid = addMessage(sid, qid, a);
        QVERIFY(aid > 0);

        storage::SnapshotStore store(**db);
        QCOMPARE(store.get(prefix)->messageId, qint64(0)); // the sources' prefix
        QCOMPARE(store.get(answerState)->messageId, aid);
        QCOMPARE(store.get(answerState)->sessionId, sid);

        QSignalSpy deleted(m_service.get(), &app::StorageService::sessionDeleted);
        m_service->deleteSession(sid);
        QVERIFY(deleted.wait(10000));
        QVERIFY(store.list()->empty());
        QVERIFY(QDir((*db)->payloadDirectory()).entryList(QDir::Files).isEmpty());
    }

    // Regression (issue 8): the GUI (StorageService) and the CLI (`folio-cli session import`,
    // four processes) write the same database at once: every write of both lands.
    void issue8_guiAndCliWriteAtOnce()
    {
        // The bundle the CLI imports: a session with two messages and a snapshot.
        const QString bundle = m_dir->filePath(QStringLiteral("s.folio"));
        {
            auto other = storage::Database::open(m_dir->filePath(QStringLiteral("other.db")));
            QVERIFY(other.ok());
            storage::Session s;
            s.title = QStringLiteral("imported");
            const qint64 sid = storage::SessionStore(**other).create(s)->id;
            storage::Message m;
            m.sessionId = sid;
            m.role = QStringLiteral("user");
            m.content = QStringLiteral("question from the cli");
            const qint64 qid = storage::MessageStore(**other).add(m)->id;
            m.parentId = qid;
            m.role = QStringLiteral("assistant");
            m.content = QStringLiteral("answer from the cli");
            storage::MessageStore(**other).add(m);
            QVERIFY(writeSnapshot(**other, sid, QStringLiteral("prefix"), 3, 1 << 20) > 0);
            const storage::Status st = storage::exportBundle(**other, sid, bundle, true);
            QVERIFY2(st.ok(), qPrintable(st.message()));
        }

        const qint64 gui = createSession(QStringLiteral("gui"));
        QVERIFY(gui > 0);
        QSignalSpy failed(m_service.get(), &app::StorageService::failed);
        QSignalSpy added(m_service.get(), &app::StorageService::messageAdded);
        constexpr int kCli = 4, kGuiMessages = 300;
        std::vector<std::unique_ptr<QProcess>> cli;
        for (int i = 0; i < kCli; ++i) {
            cli.push_back(std::make_unique<QProcess>());
            cli.back()->start(g_cli, {"session", "import", bundle, "--db", dbPath()});
        }
        for (int i = 0; i < kGuiMessages; ++i) {
            app::NewMessage nm;
            nm.sessionId = gui;
            nm.message.role = app::ChatMessage::Role::User;
            nm.message.text = QStringLiteral("gui message %1").arg(i);
            m_service->addMessage(nm, i);
        }
        for (auto &p : cli) {
            QVERIFY(p->waitForFinished(120000));
            QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0,
                     p->readAllStandardError().constData());
        }
        m_service->waitForIdle();
        QCoreApplication::processEvents(); // deliver the queued messageAdded signals
        QTRY_COMPARE_WITH_TIMEOUT(added.size(), kGuiMessages, 10000);
        QVERIFY2(failed.isEmpty(),
                 failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));

        auto db = storage::Database::open(dbPath());
        QVERIFY(db.ok());
        QVERIFY((*db)->integrityCheck()->isEmpty());
        QCOMPARE(storage::MessageStore(**db).all(gui)->size(), size_t(kGuiMessages));
        auto sessions = storage::SessionStore(**db).list();
        QVERIFY(sessions.ok());
        int imported = 0;
        storage::SnapshotStore store(**db);
        for (const storage::Session &s : *sessions) {
            if (s.title != QLatin1String("imported"))
                continue;
            ++imported;
            QCOMPARE(storage::MessageStore(**db).all(s.id)->size(), size_t(2));
            const auto snaps = store.list(s.id);
            QCOMPARE(snaps->size(), size_t(1));
            QVERIFY(store.verify(snaps->front().id).ok());
        }
        QCOMPARE(imported, kCli);
    }
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        qWarning("usage: tst_storage_service FOLIO_CLI [QtTest options]");
        return 2;
    }
    g_cli = QString::fromLocal8Bit(argv[1]);
    QCoreApplication app(argc, argv);
    TestStorageService t;
    QStringList rest{QString::fromLocal8Bit(argv[0])};
    for (int i = 2; i < argc; ++i)
        rest << QString::fromLocal8Bit(argv[i]);
    return QTest::qExec(&t, rest);
}

#include "tst_storage_service.moc"
