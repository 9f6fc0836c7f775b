// Reliability of folio.db under the failures a desktop app meets (issue 8):
//  - a process killed with SIGKILL at random points while it writes snapshots, 20 times: the
//    database stays sound, everything committed stays intact and restorable, no partial snapshot
//    is ever listed, and unfinished payload files are cleaned up;
//  - two processes (the GUI and the CLI) writing the same database at once: no errors, no lost
//    writes.
// The child processes are this executable re-run with --crash-child / --writer.
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QCoreApplication>
#include <QDir>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <cstdio>
#include <cstring>

using namespace folio::storage;

namespace {

// Child: writes snapshots (each after a new message) until killed, printing each commit.
int crashChild(const QString &path, quint64 seedBase)
{
    auto db = Database::open(path);
    if (!db.ok()) {
        std::fprintf(stderr, "child: %s\n", qPrintable(db.status().message()));
        return 1;
    }
    SessionStore sessions(**db);
    MessageStore messages(**db);
    SnapshotStore store(**db);
    store.setEvictionPolicy({0, 0}); // keep all: the parent checks every one it was told about
    auto session = sessions.create(
        storage_test::titled(QStringLiteral("crash child %1").arg(seedBase)));
    if (!session.ok())
        return 1;
    std::printf("ready\n");
    std::fflush(stdout);
    SnapshotWriteOptions options;
    options.chunkSize = 256 << 10;
    for (quint64 i = 0;; ++i) {
        const quint64 seed = seedBase * 1000 + i;
        Message m;
        m.sessionId = session->id;
        m.role = QStringLiteral("user");
        m.content = QStringLiteral("message %1").arg(seed);
        auto msg = messages.add(m);
        if (!msg.ok())
            return 1;
        std::printf("message %lld %llu\n", msg->id, seed);
        std::fflush(stdout);
        SnapshotInfo meta;
        meta.sessionId = session->id;
        meta.messageId = msg->id;
        meta.key = storage_test::keyFor(seed);
        const qint64 size = qint64(512 << 10) + qint64(seed % 7) * (300 << 10) + qint64(seed % 13);
        auto info = storage_test::writeSnapshot(store, meta, size, seed, options, 64 << 10);
        if (!info.ok()) {
            std::fprintf(stderr, "child: %s\n", qPrintable(info.status().message()));
            return 1;
        }
        std::printf("snapshot %lld %llu %lld\n", info->id, seed, size);
        std::fflush(stdout);
    }
}

// Child: adds `count` messages tagged `tag` to session `sessionId`, and a snapshot every 10th.
int writerChild(const QString &path, qint64 sessionId, int count, const QString &tag)
{
    auto db = Database::open(path);
    if (!db.ok()) {
        std::fprintf(stderr, "writer: %s\n", qPrintable(db.status().message()));
        return 1;
    }
    MessageStore messages(**db);
    SnapshotStore store(**db);
    store.setEvictionPolicy({0, 0});
    qint64 parent = 0;
    for (int i = 0; i < count; ++i) {
        Message m;
        m.sessionId = sessionId;
        m.parentId = parent;
        m.role = i % 2 ? QStringLiteral("assistant") : QStringLiteral("user");
        m.content = QStringLiteral("%1 %2").arg(tag).arg(i);
        auto r = messages.add(m);
        if (!r.ok()) {
            std::fprintf(stderr, "writer %s: %s\n", qPrintable(tag),
                         qPrintable(r.status().message()));
            return 1;
        }
        parent = r->id;
        if (i % 10 == 9) {
            SnapshotInfo meta;
            meta.sessionId = sessionId;
            meta.messageId = r->id;
            meta.key = storage_test::keyFor(quint64(i) + (tag == QLatin1String("gui") ? 0 : 100000));
            auto s = storage_test::writeSnapshot(store, meta, 200000, quint64(i), {}, 50000);
            if (!s.ok()) {
                std::fprintf(stderr, "writer %s: %s\n", qPrintable(tag),
                             qPrintable(s.status().message()));
                return 1;
            }
        }
    }
    return 0;
}

} // namespace

class TestStorageReliability : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Regression (issue 8): SIGKILL in the middle of writing a snapshot, 20 times.
    void issue8_killedWhileWritingSnapshots()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        const quint32 seed = QRandomGenerator::global()->generate();
        qInfo("random seed %u", seed);
        QRandomGenerator rng(seed);
        QHash<qint64, QPair<quint64, qint64>> committed; // snapshot id -> (seed, size)
        QHash<qint64, quint64> messagesWritten;          // message id -> seed
        for (int round = 0; round < 20; ++round) {
            QProcess child;
            child.start(QCoreApplication::applicationFilePath(),
                        {QStringLiteral("--crash-child"), path, QString::number(round + 1)});
            QVERIFY(child.waitForStarted(10000));
            QVERIFY2(child.waitForReadyRead(20000), "child never became ready");
            // Kill somewhere in the middle of its work: after 0..400 ms of writing.
            QThread::msleep(rng.bounded(400));
            child.kill();
            QVERIFY(child.waitForFinished(10000));
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);
            const QList<QByteArray> lines = child.readAllStandardOutput().split('\n');
            for (const QByteArray &line : lines) {
                const QList<QByteArray> f = line.split(' ');
                if (f.value(0) == "snapshot" && f.size() == 4)
                    committed.insert(f[1].toLongLong(), {f[2].toULongLong(), f[3].toLongLong()});
                if (f.value(0) == "message" && f.size() == 3)
                    messagesWritten.insert(f[1].toLongLong(), f[2].toULongLong());
            }
            const QByteArray err = child.readAllStandardError();
            QVERIFY2(!err.contains("child:"), err.constData());

            auto db = Database::open(path);
            QVERIFY2(db.ok(), qPrintable(db.status().message()));
            QVERIFY2((*db)->openReport().uncleanShutdown, "the killed child was not noticed");
            QVERIFY((*db)->openReport().integrityChecked);
            auto problems = (*db)->integrityCheck();
            QVERIFY(problems.ok());
            QVERIFY2(problems->isEmpty(), qPrintable(problems->join(QLatin1Char('\n'))));

            SnapshotStore store(**db);
            for (auto it = committed.cbegin(); it != committed.cend(); ++it) {
                const QString bad = storage_test::checkSnapshot(store, it.key(),
                                                                storage_test::keyFor(it->first),
                                                                it->second, it->first);
                QVERIFY2(bad.isEmpty(), qPrintable(QStringLiteral("round %1 snapshot %2: %3")
                                                       .arg(round)
                                                       .arg(it.key())
                                                       .arg(bad)));
            }
            // Every listed snapshot is complete, including one committed in the instant before
            // the kill (the child had no time to report it).
            auto listed = store.list();
            QVERIFY(listed.ok());
            for (const SnapshotInfo &s : *listed) {
                const Status v = store.verify(s.id);
                QVERIFY2(v.ok(), qPrintable(v.message()));
            }
            QVERIFY(listed->size() >= size_t(committed.size()));
            // No unfinished payload is left behind: one file per listed snapshot.
            const QStringList files = QDir((*db)->payloadDirectory()).entryList(QDir::Files);
            QCOMPARE(files.size(), int(listed->size()));
            for (const QString &f : files)
                QVERIFY2(f.endsWith(QLatin1String(".fsnap")), qPrintable(f));
            MessageStore messages(**db);
            for (auto it = messagesWritten.cbegin(); it != messagesWritten.cend(); ++it) {
                auto m = messages.get(it.key());
                QVERIFY2(m.ok(), qPrintable(m.status().message()));
                QCOMPARE(m->content, QStringLiteral("message %1").arg(*it));
            }
        }
        qInfo("%lld snapshots committed over 20 kills", qint64(committed.size()));
        QVERIFY(!committed.isEmpty());
    }

    // Regression (issue 8): the GUI and the CLI writing one database at once (WAL).
    void issue8_twoProcessesWriteAtOnce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        qint64 sid = 0;
        {
            auto db = Database::open(path);
            QVERIFY(db.ok());
            sid = SessionStore(**db).create(storage_test::titled(QStringLiteral("shared")))->id;
        }
        const int count = 150;
        QProcess gui, cli;
        for (auto [p, tag] : {std::pair{&gui, "gui"}, std::pair{&cli, "cli"}})
            p->start(QCoreApplication::applicationFilePath(),
                     {QStringLiteral("--writer"), path, QString::number(sid),
                      QString::number(count), QString::fromLatin1(tag)});
        for (QProcess *p : {&gui, &cli}) {
            QVERIFY(p->waitForFinished(60000));
            QVERIFY2(p->exitStatus() == QProcess::NormalExit && p->exitCode() == 0,
                     p->readAllStandardError().constData());
        }
        auto db = Database::open(path);
        QVERIFY(db.ok());
        QVERIFY(!(*db)->openReport().uncleanShutdown);
        auto all = MessageStore(**db).all(sid);
        QVERIFY(all.ok());
        QCOMPARE(all->size(), size_t(2 * count));
        QSet<QString> contents;
        for (const Message &m : *all)
            contents.insert(m.content);
        for (int i = 0; i < count; ++i) {
            QVERIFY(contents.contains(QStringLiteral("gui %1").arg(i)));
            QVERIFY(contents.contains(QStringLiteral("cli %1").arg(i)));
        }
        SnapshotStore store(**db);
        auto listed = store.list(sid);
        QCOMPARE(listed->size(), size_t(2 * count / 10));
        for (const SnapshotInfo &s : *listed)
            QVERIFY(store.verify(s.id).ok());
    }
};

int main(int argc, char **argv)
{
    if (argc == 4 && std::strcmp(argv[1], "--crash-child") == 0)
        return crashChild(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toULongLong());
    if (argc == 6 && std::strcmp(argv[1], "--writer") == 0)
        return writerChild(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toLongLong(),
                           QByteArray(argv[4]).toInt(), QString::fromLocal8Bit(argv[5]));
    QCoreApplication app(argc, argv);
    TestStorageReliability test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_storage_reliability.moc"
