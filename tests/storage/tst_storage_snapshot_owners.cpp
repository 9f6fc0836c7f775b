// Whose a KV snapshot is: snapshots tied to a session and a message of its tree (the schema's
// triggers refuse a message of another session), tied after the fact to a stored turn
// (SnapshotStore::tieToTurn, as the app does once the answer is stored), deleted with their
// session — rows and payload files, also when the process dies between the two (the next open
// collects the orphans) — and evicted per branch of the message tree (the snapshot farthest along
// each branch stays), while snapshots of no session only count against the size cap.
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace folio::storage;
using storage_test::checkSnapshot;
using storage_test::keyFor;
using storage_test::writeSnapshot;

class TestStorageSnapshotOwners : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;

    QString dbPath() const { return m_dir->filePath(QStringLiteral("folio.db")); }
    QStringList payloadFiles() const
    {
        return QDir(m_db->payloadDirectory()).entryList(QDir::Files);
    }
    qint64 addMessage(qint64 session, qint64 parent, const char *role)
    {
        Message m;
        m.sessionId = session;
        m.parentId = parent;
        m.role = QString::fromLatin1(role);
        auto r = MessageStore(*m_db).add(m);
        return r.ok() ? r->id : 0;
    }
    // A committed snapshot of 4,000 pattern bytes of `seed`, taken after `message` of `session`.
    qint64 snap(SnapshotStore &store, uint64_t seed, qint64 session, qint64 message,
                const char *kind = "answer")
    {
        SnapshotInfo m;
        m.sessionId = session;
        m.messageId = message;
        m.kind = QString::fromLatin1(kind);
        m.key = keyFor(seed);
        auto r = writeSnapshot(store, m, 4000, seed);
        QTest::qWait(2); // distinct created times: "newest" is well defined
        return r.ok() ? r->id : 0;
    }
    bool exists(SnapshotStore &store, qint64 id) { return store.get(id).ok(); }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto db = Database::open(dbPath());
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        m_db = std::move(*db);
    }
    void cleanup()
    {
        m_db.reset();
        m_dir.reset();
    }

    // A snapshot's message must be in the snapshot's session: refused at commit, nothing left.
    void messageMustBeInTheSnapshotsSession()
    {
        SessionStore sessions(*m_db);
        const qint64 s1 = sessions.create({})->id, s2 = sessions.create({})->id;
        const qint64 q1 = addMessage(s1, 0, "user");
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        SnapshotInfo m;
        m.sessionId = s2;
        m.messageId = q1;
        m.key = keyFor(1);
        auto bad = writeSnapshot(store, m, 4000, 1);
        QVERIFY(!bad.ok());
        QVERIFY2(bad.status().message().contains(QLatin1String("session")),
                 qPrintable(bad.status().message()));
        m.sessionId = 0; // a message without its session: refused too
        QVERIFY(!writeSnapshot(store, m, 4000, 1).ok());
        QVERIFY(store.list()->empty());
        QVERIFY(payloadFiles().isEmpty());
        m.sessionId = s1;
        QVERIFY(writeSnapshot(store, m, 4000, 1).ok());
    }

    // What the app does after storing a turn: the request's snapshots, written before the turn
    // (and, for a new session, before the session) existed, are tied to it by kind.
    void tieToTurnFollowsTheKinds()
    {
        SessionStore sessions(*m_db);
        const qint64 sid = sessions.create({})->id, other = sessions.create({})->id;
        const qint64 q1 = addMessage(sid, 0, "user"), a1 = addMessage(sid, q1, "assistant");
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        const qint64 prefix = snap(store, 1, 0, 0, "prefix");
        const qint64 checkpoint = snap(store, 2, 0, 0, "checkpoint");
        const qint64 answer = snap(store, 3, 0, 0, "answer");
        QVERIFY(storeEvictionPolicy(*m_db, {0, 0}).ok()); // see every tie before any eviction
        const std::vector<qint64> ids{prefix, checkpoint, answer, 987654};
        const Status tied = store.tieToTurn(ids, sid, q1, a1);
        QVERIFY2(tied.ok(), qPrintable(tied.message()));
        auto owner = [&](qint64 id) {
            const SnapshotInfo i = *store.get(id);
            return qMakePair(i.sessionId, i.messageId);
        };
        QCOMPARE(owner(prefix), qMakePair(sid, qint64(0)));
        QCOMPARE(owner(checkpoint), qMakePair(sid, q1));
        QCOMPARE(owner(answer), qMakePair(sid, a1));
        QCOMPARE(store.list(sid)->size(), size_t(3));

        // A turn of another session is refused and changes nothing; so is no session at all.
        QVERIFY(!store.tieToTurn(ids, other, q1, a1).ok());
        QCOMPARE(owner(answer), qMakePair(sid, a1));
        QVERIFY(!store.tieToTurn(ids, 0, 0, 0).ok());

        // With the stored per-branch rule, tying runs it: the checkpoint is not the farthest
        // snapshot of any branch any more.
        QVERIFY(storeEvictionPolicy(*m_db, {1, 0}).ok());
        QVERIFY(store.tieToTurn(std::vector<qint64>{answer}, sid, q1, a1).ok());
        QVERIFY(exists(store, prefix));
        QVERIFY(!exists(store, checkpoint));
        QVERIFY(exists(store, answer));
        QCOMPARE(payloadFiles().size(), 2);
    }

    // Regression (issue 8): deleting a session deletes its snapshots, rows and payload files;
    // other sessions' and session-less snapshots stay readable.
    void issue8_sessionDeleteRemovesItsSnapshots()
    {
        SessionStore sessions(*m_db);
        const qint64 s1 = sessions.create({})->id, s2 = sessions.create({})->id;
        const qint64 q1 = addMessage(s1, 0, "user"), a1 = addMessage(s1, q1, "assistant");
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        const qint64 p1 = snap(store, 1, s1, 0, "prefix"), on1 = snap(store, 2, s1, a1);
        const qint64 p2 = snap(store, 3, s2, 0, "prefix"), free = snap(store, 4, 0, 0);
        QCOMPARE(payloadFiles().size(), 4);
        QVERIFY(sessions.remove(s1).ok());
        QVERIFY(!exists(store, p1));
        QVERIFY(!exists(store, on1));
        QCOMPARE(payloadFiles().size(), 2);
        QCOMPARE(checkSnapshot(store, p2, keyFor(3), 4000, 3), QString());
        QCOMPARE(checkSnapshot(store, free, keyFor(4), 4000, 4), QString());

        // Deleting a message deletes the snapshots taken after it and its subtree.
        const qint64 q2 = addMessage(s2, 0, "user"), a2 = addMessage(s2, q2, "assistant");
        const qint64 on2 = snap(store, 5, s2, a2);
        QVERIFY(MessageStore(*m_db).remove(q2).ok());
        QVERIFY(!exists(store, on2));
        QVERIFY(exists(store, p2));
        QVERIFY(store.collectGarbage().ok());
        QCOMPARE(payloadFiles().size(), 2);
    }

    // Regression (issue 8): the process dies after the session's rows are deleted (committed)
    // and before its payload files are removed: only unreferenced files are left, and the next
    // open removes them. Simulated by deleting the rows through a raw connection.
    void issue8_crashBetweenRowDeleteAndFileRemoval()
    {
        SessionStore sessions(*m_db);
        const qint64 gone = sessions.create({})->id, kept = sessions.create({})->id;
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        snap(store, 1, gone, 0, "prefix");
        snap(store, 2, gone, 0, "checkpoint");
        const qint64 stays = snap(store, 3, kept, 0, "prefix");
        QCOMPARE(payloadFiles().size(), 3);
        m_db.reset();

        sqlite3 *raw = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(dbPath()).constData(), &raw), SQLITE_OK);
        const QByteArray sql = "PRAGMA foreign_keys=ON; DELETE FROM sessions WHERE id = "
                               + QByteArray::number(gone) + ";";
        QCOMPARE(sqlite3_exec(raw, sql.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(raw);

        auto db = Database::open(dbPath());
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        m_db = std::move(*db);
        SnapshotStore again(*m_db);
        QCOMPARE(again.list()->size(), size_t(1));
        QCOMPARE(payloadFiles().size(), 1); // the two orphans were collected at open
        QCOMPARE(checkSnapshot(again, stays, keyFor(3), 4000, 3), QString());
    }

    // The per-branch rule keeps, on every branch, the snapshot taken farthest along it. A
    // snapshot still tied to the branch tip its request continued (its answer not stored yet)
    // sits at a message shared with other branches: it must not push out their deeper ones.
    void evictionKeepsTheFarthestSnapshotPerBranch()
    {
        SessionStore sessions(*m_db);
        const qint64 sid = sessions.create({})->id;
        const qint64 q1 = addMessage(sid, 0, "user"), a1 = addMessage(sid, q1, "assistant");
        const qint64 q2 = addMessage(sid, a1, "user"), a2 = addMessage(sid, q2, "assistant");
        const qint64 q2b = addMessage(sid, a1, "user"); // an edited question, answer pending
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        const qint64 prefix = snap(store, 1, sid, 0, "prefix");
        const qint64 onA1 = snap(store, 2, sid, a1);
        const qint64 onA2 = snap(store, 3, sid, a2);
        const qint64 pending = snap(store, 4, sid, a1);    // the q2b request's answer, tied to a1
        const qint64 firstAnswer = snap(store, 5, sid, 0); // an answer not tied to its turn yet
        auto removed = store.evict({1, 0});
        QVERIFY2(removed.ok(), qPrintable(removed.status().message()));
        QVERIFY(exists(store, prefix));       // the sources' branch: an answer never displaces it
        QVERIFY(exists(store, onA2));         // deepest on q1 a1 q2 a2, though older than `pending`
        QVERIFY(exists(store, pending));      // deepest on q1 a1 q2b (newest at a1)
        QVERIFY(!exists(store, onA1));        // older than `pending` at the same message
        QVERIFY(!exists(store, firstAnswer)); // no branch's first
        QCOMPARE(*removed, 2);
        QVERIFY(q2b > 0);

        // Two per branch: the next one along each path stays too.
        const qint64 onQ2b = snap(store, 6, sid, q2b);
        QCOMPARE(*store.evict({2, 0}), 0);
        QVERIFY(exists(store, onQ2b));
        QCOMPARE(*store.evict({1, 0}), 1);
        QVERIFY(!exists(store, pending)); // onQ2b is farther along q2b's branch
        QVERIFY(exists(store, onA2));

        // The sources changed and their new prefill was stopped: its checkpoint is the sources'
        // newest state and stays; the old sources' prefix goes.
        const qint64 newSources = snap(store, 7, sid, 0, "checkpoint");
        QCOMPARE(*store.evict({1, 0}), 1);
        QVERIFY(exists(store, newSources));
        QVERIFY(!exists(store, prefix));
    }

    // Snapshots of no session (a plain `folio-cli serve` request) have no branch in a message
    // tree: the per-branch rule leaves them alone, only the size cap (LRU) removes them.
    void sessionLessSnapshotsOnlyCountAgainstTheCap()
    {
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        const qint64 a = snap(store, 1, 0, 0, "prefix");
        const qint64 b = snap(store, 2, 0, 0, "answer");
        const qint64 c = snap(store, 3, 0, 0, "answer");
        QCOMPARE(*store.evict({1, 0}), 0);
        QVERIFY(exists(store, a) && exists(store, b) && exists(store, c));
        QCOMPARE(*store.evict({1, 8500}), 1); // 3 x 4000 bytes over a cap of 8500: the LRU goes
        QVERIFY(!exists(store, a));
        QVERIFY(exists(store, b) && exists(store, c));
    }
};

QTEST_GUILESS_MAIN(TestStorageSnapshotOwners)
#include "tst_storage_snapshot_owners.moc"
