// KV snapshots: streamed round trips over chunk sizes, codecs and write/read piece sizes; checksum
// failures (a flipped byte anywhere is caught), key mismatches, longest-prefix lookup, eviction by
// branch and by LRU size cap, clean-up of unfinished payloads, and disk-full behaviour (database
// full via max_page_count, payload file limit via RLIMIT_FSIZE): a clear error, nothing lost.
#include "storage/chunk_codec.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/resource.h>

using namespace folio::storage;
using storage_test::checkSnapshot;
using storage_test::keyFor;
using storage_test::writeSnapshot;

class TestStorageSnapshots : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;

    SnapshotInfo meta(uint64_t seed, qint64 session = 0, qint64 message = 0, qint64 tokens = 1000)
    {
        SnapshotInfo m;
        m.sessionId = session;
        m.messageId = message;
        m.key = keyFor(seed, tokens);
        return m;
    }
    QStringList payloadFiles() const
    {
        return QDir(m_db->payloadDirectory()).entryList(QDir::Files);
    }
    static SnapshotWriteOptions chunks(qint64 size, Codec codec = Codec::None)
    {
        SnapshotWriteOptions o;
        o.chunkSize = size;
        o.codec = codec;
        return o;
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        m_db = std::move(*db);
    }
    void cleanup()
    {
        m_db.reset();
        m_dir.reset();
    }

    void roundTrip_data()
    {
        QTest::addColumn<qint64>("size");
        QTest::addColumn<qint64>("chunkSize");
        QTest::addColumn<QString>("codec");
        QTest::addColumn<int>("writePiece");
        QTest::addColumn<int>("readPiece");
        QTest::newRow("one byte") << qint64(1) << qint64(4096) << "none" << 1 << 1;
        QTest::newRow("exactly one chunk")
            << qint64(65536) << qint64(65536) << "none" << 65536 << 65536;
        QTest::newRow("chunks + tail, small pieces")
            << qint64(1000003) << qint64(65536) << "none" << 777 << 1000;
        QTest::newRow("writes larger than chunks")
            << qint64(3 << 20) << qint64(65536) << "none" << (1 << 20) << 4096;
        QTest::newRow("reads larger than chunks")
            << qint64(1 << 20) << qint64(65536) << "none" << 5000 << (300 << 10);
        QTest::newRow("zstd on random bytes")
            << qint64(500000) << qint64(65536) << "zstd" << 10000 << 10000;
        QTest::newRow("lz4 on random bytes")
            << qint64(500000) << qint64(65536) << "lz4" << 10000 << 70000;
        QTest::newRow("default 32 MiB chunks")
            << qint64(40 << 20) << SnapshotWriteOptions::kDefaultChunkSize << "none" << (4 << 20)
            << (8 << 20);
    }

    void roundTrip()
    {
        QFETCH(qint64, size);
        QFETCH(qint64, chunkSize);
        QFETCH(QString, codec);
        QFETCH(int, writePiece);
        QFETCH(int, readPiece);
        SnapshotStore store(*m_db);
        SnapshotWriteOptions o = chunks(chunkSize);
        QVERIFY(parseCodec(codec, &o.codec));
        auto info = writeSnapshot(store, meta(42), size, 42, o, size_t(writePiece));
        QVERIFY2(info.ok(), qPrintable(info.status().message()));
        QCOMPARE(info->rawSize, size);
        QCOMPARE(info->chunkCount, int((size + chunkSize - 1) / chunkSize));
        QCOMPARE(info->storedSize, size); // random bytes: compression did not pay, stored raw
        auto listed = store.list();
        QCOMPARE(listed->size(), size_t(1));
        QCOMPARE(listed->front().chunkCount, info->chunkCount);
        QCOMPARE(listed->front().key, meta(42).key);
        QCOMPARE(checkSnapshot(store, info->id, meta(42).key, size, 42, size_t(readPiece)),
                 QString());
        QVERIFY(store.verify(info->id).ok());
        QCOMPARE(payloadFiles(), QStringList{info->fileName});
    }

    void compressibleState_data()
    {
        QTest::addColumn<QString>("codec");
        QTest::newRow("zstd") << "zstd";
        QTest::newRow("lz4") << "lz4";
    }

    void compressibleState()
    {
        QFETCH(QString, codec);
        SnapshotStore store(*m_db);
        SnapshotWriteOptions o = chunks(100000);
        QVERIFY(parseCodec(codec, &o.codec));
        QByteArray data;
        for (int i = 0; data.size() < 1000000; ++i)
            data += QByteArray::number(i % 1000) + ' ';
        auto w = store.beginWrite(meta(1), o);
        QVERIFY(w.ok());
        QVERIFY((*w)->write(data.constData(), size_t(data.size())).ok());
        auto info = (*w)->commit();
        QVERIFY(info.ok());
        QVERIFY2(info->storedSize < info->rawSize / 2,
                 qPrintable(QString::number(info->storedSize)));
        auto r = store.openForRestore(info->id, meta(1).key);
        QVERIFY(r.ok());
        QByteArray back(data.size() + 10, 0);
        qint64 got = 0;
        for (;;) {
            auto n = (*r)->read(back.data() + got, 3333);
            QVERIFY2(n.ok(), qPrintable(n.status().message()));
            if (*n == 0)
                break;
            got += qint64(*n);
        }
        QCOMPARE(got, qint64(data.size()));
        back.truncate(data.size());
        QVERIFY(back == data);
    }

    // Regression (issue 8): a single flipped byte anywhere in a payload is reported on restore.
    void issue8_flippedByteDetected_data()
    {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<double>("where"); // fraction of the file
        QTest::newRow("first byte") << "none" << 0.0;
        QTest::newRow("middle") << "none" << 0.5;
        QTest::newRow("last byte") << "none" << 1.0;
        QTest::newRow("zstd chunk") << "zstd" << 0.3;
    }

    void issue8_flippedByteDetected()
    {
        QFETCH(QString, codec);
        QFETCH(double, where);
        SnapshotStore store(*m_db);
        SnapshotWriteOptions o = chunks(65536);
        QVERIFY(parseCodec(codec, &o.codec));
        SnapshotInfo m = meta(7);
        auto w = store.beginWrite(m, o);
        QVERIFY(w.ok());
        QByteArray data(300000, 'x'); // compressible when the codec is on
        storage_test::fillPattern(data.data(), 1000, 7, 0);
        QVERIFY((*w)->write(data.constData(), size_t(data.size())).ok());
        auto info = (*w)->commit();
        QVERIFY(info.ok());
        QFile f(QDir(m_db->payloadDirectory()).filePath(info->fileName));
        QVERIFY(f.open(QIODevice::ReadWrite));
        const qint64 at = std::min(f.size() - 1, qint64(where * double(f.size())));
        f.seek(at);
        char c = 0;
        f.getChar(&c);
        f.seek(at);
        f.putChar(char(c ^ 0x10));
        f.close();

        const Status s = store.verify(info->id);
        QCOMPARE(s.code(), Status::Corrupt);
        QVERIFY2(s.message().contains(QLatin1String("checksum")), qPrintable(s.message()));
        // Through the restore path, the failure surfaces as an error from read(), never as bytes.
        auto r = store.openForRestore(info->id, m.key);
        QVERIFY(r.ok());
        std::vector<char> buf(1 << 20);
        Status last;
        for (;;) {
            auto n = (*r)->read(buf.data(), buf.size());
            if (!n.ok()) {
                last = n.status();
                break;
            }
            QVERIFY2(*n != 0, "reached the end without noticing the flipped byte");
        }
        QCOMPARE(last.code(), Status::Corrupt);
    }

    void truncatedOrMissingPayload()
    {
        SnapshotStore store(*m_db);
        auto a = writeSnapshot(store, meta(1), 200000, 1, chunks(65536));
        auto b = writeSnapshot(store, meta(2), 200000, 2, chunks(65536));
        QVERIFY(a.ok() && b.ok());
        QVERIFY(QFile::resize(QDir(m_db->payloadDirectory()).filePath(a->fileName), 150000));
        QVERIFY(QFile::remove(QDir(m_db->payloadDirectory()).filePath(b->fileName)));
        QCOMPARE(store.open(a->id).status().code(), Status::Corrupt);
        QCOMPARE(store.open(b->id).status().code(), Status::Corrupt);
        QCOMPARE(store.open(999).status().code(), Status::NotFound);

        // A damaged chunk table whose totals still add up: an uncompressed chunk that claims
        // fewer raw bytes than it stores would overrun the caller's buffer; refused up front.
        auto c = writeSnapshot(store, meta(3), 200000, 3, chunks(65536));
        QVERIFY(c.ok());
        const QString id = QString::number(c->id);
        QVERIFY(m_db->exec(QStringLiteral("UPDATE snapshot_chunks SET raw_size = raw_size - 10"
                                          " WHERE snapshot_id = %1 AND idx = 0;"
                                          "UPDATE snapshot_chunks SET raw_size = raw_size + 10"
                                          " WHERE snapshot_id = %1 AND idx = 1")
                               .arg(id))
                    .ok());
        auto reader = store.openForRestore(c->id, meta(3).key);
        QCOMPARE(reader.status().code(), Status::Corrupt);
        QVERIFY2(reader.status().message().contains(QLatin1String("inconsistent")),
                 qPrintable(reader.status().message()));
    }

    void keyMismatch_data()
    {
        QTest::addColumn<int>("field");
        QTest::newRow("model fingerprint") << 0;
        QTest::newRow("state format") << 1;
        QTest::newRow("prefix hash") << 2;
        QTest::newRow("token count") << 3;
    }

    void keyMismatch()
    {
        QFETCH(int, field);
        SnapshotStore store(*m_db);
        auto info = writeSnapshot(store, meta(3), 5000, 3);
        QVERIFY(info.ok());
        SnapshotKey k = meta(3).key;
        QVERIFY(store.openForRestore(info->id, k).ok());
        switch (field) {
        case 0:
            k.modelFingerprint = QStringLiteral("another-model");
            break;
        case 1:
            k.stateFormat += 1;
            break;
        case 2:
            k.prefixHash = keyFor(4).prefixHash;
            break;
        default:
            k.tokenCount += 1;
            break;
        }
        auto r = store.openForRestore(info->id, k);
        QCOMPARE(r.status().code(), Status::Mismatch);
    }

    void longestPrefix()
    {
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        std::vector<int32_t> tokens(2000);
        for (size_t i = 0; i < tokens.size(); ++i)
            tokens[i] = int32_t(i * 17 % 5000);
        std::span<const int32_t> all(tokens);
        auto save = [&](qint64 n, const QString &fp) {
            SnapshotInfo m;
            m.key = {fp, 1, prefixHash(all.first(size_t(n))), n};
            return writeSnapshot(store, m, 1000, uint64_t(n))->id;
        };
        const qint64 s100 = save(100, QStringLiteral("fp")), s500 = save(500, QStringLiteral("fp"));
        const qint64 s1000 = save(1000, QStringLiteral("fp"));
        save(1500, QStringLiteral("other-fp"));

        auto find = [&](std::vector<int32_t> t, const QString &fp = QStringLiteral("fp"),
                        quint32 fmt = 1) {
            auto r = store.findLongestPrefix(fp, fmt, std::span<const int32_t>(t));
            return r.ok() && r->has_value() ? (*r)->id : qint64(0);
        };
        QCOMPARE(find(tokens), s1000);
        QCOMPARE(find({tokens.begin(), tokens.begin() + 800}), s500);
        QCOMPARE(find({tokens.begin(), tokens.begin() + 500}), s500);
        QCOMPARE(find({tokens.begin(), tokens.begin() + 99}), qint64(0));
        std::vector<int32_t> forked(tokens.begin(), tokens.begin() + 1200);
        forked[300] = 99999; // the conversation diverges at token 300
        QCOMPARE(find(forked), s100);
        QCOMPARE(find(tokens, QStringLiteral("nope")), qint64(0));
        QCOMPARE(find(tokens, QStringLiteral("fp"), 2), qint64(0));
        // The candidate form gives the same answer.
        auto c = store.findLongestPrefix(QStringLiteral("fp"), 1,
                                         std::vector<PrefixCandidate>{{100,
                                                                       prefixHash(all.first(100))},
                                                                      {500,
                                                                       prefixHash(all.first(500))},
                                                                      {700, prefixHash(
                                                                                all.first(700))}});
        QVERIFY(c.ok() && c->has_value());
        QCOMPARE((*c)->id, s500);
    }

    // Eviction keeps the newest snapshot on each branch of the message tree, plus the newest of
    // the shared sources' prefix.
    void evictionKeepsNewestPerBranch()
    {
        SessionStore sessions(*m_db);
        MessageStore messages(*m_db);
        const qint64 sid = sessions.create({})->id;
        auto add = [&](qint64 parent, const char *role) {
            Message m;
            m.sessionId = sid;
            m.parentId = parent;
            m.role = QString::fromLatin1(role);
            return messages.add(m)->id;
        };
        const qint64 q1 = add(0, "user"), a1 = add(q1, "assistant");
        const qint64 q2 = add(a1, "user"), a2 = add(q2, "assistant");
        const qint64 q2b = add(a1, "user"), a2b = add(q2b, "assistant");
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0}); // keep everything while setting up
        auto snap = [&](qint64 message, uint64_t seed) {
            auto m = meta(seed, sid, message);
            m.createdMs = 0;
            auto r = writeSnapshot(store, m, 1000, seed);
            QTest::qWait(2); // distinct created times
            return r->id;
        };
        const qint64 prefixOld = snap(0, 1), prefixNew = snap(0, 2);
        const qint64 onA1 = snap(a1, 3), onA2 = snap(a2, 4), onA2b = snap(a2b, 5);
        QCOMPARE(store.list(sid)->size(), size_t(5));
        auto removed = store.evict({1, 0});
        QVERIFY(removed.ok());
        QCOMPARE(*removed, 2);
        QStringList kept;
        const auto listed = store.list(sid);
        for (const SnapshotInfo &s : *listed)
            kept << QString::number(s.id);
        kept.sort();
        QStringList want{QString::number(prefixNew), QString::number(onA2), QString::number(onA2b)};
        want.sort();
        QCOMPARE(kept, want);
        QVERIFY(store.get(prefixOld).status().code() == Status::NotFound);
        QVERIFY(store.get(onA1).status().code() == Status::NotFound);
        QCOMPARE(payloadFiles().size(), 3);
    }

    // Snapshots without a session (the engine backend's) form branches by their tokens: a new
    // snapshot supersedes the checkpoints on its way and older answers of its branch; prefix
    // snapshots, other branches, other models and other sessions stay.
    void removeSupersededFollowsTheTokenBranch()
    {
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 0});
        std::vector<int32_t> tokens(3000);
        for (size_t i = 0; i < tokens.size(); ++i)
            tokens[i] = int32_t(i * 13 % 7000);
        std::vector<int32_t> other = tokens;
        other[1500] = 99999; // another branch from token 1500 on
        auto save = [&](const std::vector<int32_t> &t, qint64 n, const char *kind,
                        const QString &fp = QStringLiteral("fp")) {
            SnapshotInfo m;
            m.kind = QString::fromLatin1(kind);
            m.key = {fp, 1, prefixHash(std::span<const int32_t>(t).first(size_t(n))), n};
            auto r = writeSnapshot(store, m, 1000, uint64_t(n));
            QTest::qWait(2); // distinct created times
            return *r;
        };
        const qint64 cp500 = save(tokens, 500, "checkpoint").id;
        const qint64 prefix = save(tokens, 1000, "prefix").id;
        const qint64 ans1200 = save(tokens, 1200, "answer").id;
        const qint64 ans1600 = save(tokens, 1600, "answer").id;
        const qint64 otherAns = save(other, 1800, "answer").id;
        const qint64 otherModel = save(tokens, 1100, "checkpoint", QStringLiteral("fp2")).id;
        const SnapshotInfo latest = save(tokens, 2000, "answer");
        auto gone = store.removeSuperseded(latest, std::span<const int32_t>(tokens).first(2000), 2);
        QVERIFY2(gone.ok(), qPrintable(gone.status().message()));
        QCOMPARE(*gone, 2); // the checkpoint and the older of the two answers before `latest`
        auto exists = [&](qint64 id) { return store.get(id).ok(); };
        QVERIFY(!exists(cp500));
        QVERIFY(exists(prefix));
        QVERIFY(!exists(ans1200));
        QVERIFY(exists(ans1600)); // keepPerBranch 2: latest + the newest older answer
        QVERIFY(exists(otherAns));
        QVERIFY(exists(otherModel));
        QVERIFY(exists(latest.id));
        QCOMPARE(store.removeSuperseded(latest, std::span<const int32_t>(tokens).first(1999), 1)
                     .status()
                     .code(),
                 Status::Mismatch);
        QCOMPARE(*store.removeSuperseded(latest, std::span<const int32_t>(tokens).first(2000), 1),
                 1);
        QVERIFY(!exists(ans1600));
    }

    void evictionPolicyStoredInSettings()
    {
        auto p = storedEvictionPolicy(*m_db);
        QVERIFY(p.ok());
        QCOMPARE(p->keepPerBranch, EvictionPolicy{}.keepPerBranch);
        QCOMPARE(p->maxTotalBytes, EvictionPolicy{}.maxTotalBytes);
        QVERIFY(storeEvictionPolicy(*m_db, {3, qint64(5) << 30}).ok());
        p = storedEvictionPolicy(*m_db);
        QVERIFY(p.ok());
        QCOMPARE(p->keepPerBranch, 3);
        QCOMPARE(p->maxTotalBytes, qint64(5) << 30);
    }

    void evictionLruSizeCap()
    {
        SnapshotStore store(*m_db);
        store.setEvictionPolicy({0, 250000}); // room for two of 100 000 bytes
        const qint64 a = writeSnapshot(store, meta(1), 100000, 1)->id;
        const qint64 b = writeSnapshot(store, meta(2), 100000, 2)->id;
        QTest::qWait(5);
        QVERIFY(store.openForRestore(a, meta(1).key).ok()); // a is now more recently used than b
        QTest::qWait(5);
        const qint64 c = writeSnapshot(store, meta(3), 100000, 3)->id;
        QVERIFY(store.get(a).ok());
        QCOMPARE(store.get(b).status().code(), Status::NotFound);
        QVERIFY(store.get(c).ok());
        QCOMPARE(*store.totalStoredBytes(), qint64(200000));
        // A snapshot bigger than the cap is kept (the newest is never evicted by its own write).
        const qint64 big = writeSnapshot(store, meta(4), 300000, 4)->id;
        QVERIFY(store.get(big).ok());
        QCOMPARE(store.list()->size(), size_t(1));
    }

    void abortedWriteLeavesNothing()
    {
        SnapshotStore store(*m_db);
        {
            auto w = store.beginWrite(meta(1), chunks(4096));
            QVERIFY(w.ok());
            std::vector<char> buf(50000, 'a');
            QVERIFY((*w)->write(buf.data(), buf.size()).ok());
            QCOMPARE(payloadFiles().size(), 1);
        } // destroyed without commit
        QVERIFY(store.list()->empty());
        QVERIFY(payloadFiles().isEmpty());
        auto w = store.beginWrite(meta(1));
        QVERIFY(w.ok());
        QVERIFY(!(*w)->commit().ok()); // empty snapshot refused
        QVERIFY(payloadFiles().isEmpty());
        SnapshotInfo bad = meta(1);
        bad.key.modelFingerprint.clear();
        QVERIFY(!store.beginWrite(bad).ok());
        QVERIFY(!store.beginWrite(meta(1), chunks(100)).ok());
    }

    void orphanPayloadsCollected()
    {
        SnapshotStore store(*m_db);
        auto kept = writeSnapshot(store, meta(1), 10000, 1);
        QVERIFY(kept.ok());
        const QDir dir(m_db->payloadDirectory());
        for (const char *name : {"dead.partial", "dead.fsnap"}) {
            QFile f(dir.filePath(QString::fromLatin1(name)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("leftover");
        }
        // A write in progress (its file is locked) must survive a collection.
        auto inProgress = store.beginWrite(meta(2));
        QVERIFY(inProgress.ok());
        QVERIFY((*inProgress)->write("abc", 3).ok());
        auto removed = store.collectGarbage();
        QVERIFY(removed.ok());
        QCOMPARE(*removed, 2);
        QCOMPARE(payloadFiles().size(), 2);
        auto done = (*inProgress)->commit();
        QVERIFY(done.ok());
        QCOMPARE(checkSnapshot(store, kept->id, meta(1).key, 10000, 1), QString());
        // Deleting a session removes its snapshots' payloads.
        const qint64 sid = SessionStore(*m_db).create({})->id;
        QVERIFY(writeSnapshot(store, meta(5, sid), 10000, 5).ok());
        QCOMPARE(payloadFiles().size(), 3);
        QVERIFY(SessionStore(*m_db).remove(sid).ok());
        QCOMPARE(payloadFiles().size(), 2);
    }

    // Regression (issue 8): the database hits its size limit (a full disk, simulated with
    // max_page_count). Writes fail with a clear "full" error; everything committed before stays.
    void issue8_databaseFull()
    {
        SessionStore sessions(*m_db);
        MessageStore messages(*m_db);
        SnapshotStore store(*m_db);
        const qint64 sid = sessions.create(storage_test::titled(QStringLiteral("before")))->id;
        auto before = writeSnapshot(store, meta(1, sid), 100000, 1, chunks(4096));
        QVERIFY(before.ok());
        const qint64 pages = *m_db->queryInt(QStringLiteral("PRAGMA page_count"));
        QVERIFY(m_db->exec(QStringLiteral("PRAGMA max_page_count=%1").arg(pages + 3)).ok());
        Status failure;
        int added = 0;
        for (int i = 0; i < 10000 && failure.ok(); ++i) {
            Message m;
            m.sessionId = sid;
            m.role = QStringLiteral("user");
            m.content = QString(2000, QLatin1Char('a' + i % 26));
            auto r = messages.add(m);
            if (r.ok())
                ++added;
            else
                failure = r.status();
        }
        QCOMPARE(failure.code(), Status::Full);
        QVERIFY2(failure.message().contains(QLatin1String("full")), qPrintable(failure.message()));
        // A snapshot whose chunk rows do not fit is not committed and leaves no file behind.
        auto big = writeSnapshot(store, meta(2, sid), 4000000, 2, chunks(4096));
        QVERIFY(!big.ok());
        QCOMPARE(big.status().code(), Status::Full);
        QCOMPARE(store.list()->size(), size_t(1));
        QCOMPARE(payloadFiles(), QStringList{before->fileName});
        m_db.reset();

        auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
        QVERIFY(db.ok());
        QVERIFY((*db)->integrityCheck()->isEmpty());
        QCOMPARE(SessionStore(**db).get(sid)->title, QStringLiteral("before"));
        QCOMPARE(MessageStore(**db).all(sid)->size(), size_t(added));
        SnapshotStore again(**db);
        QCOMPARE(checkSnapshot(again, before->id, meta(1).key, 100000, 1), QString());
        m_db = std::move(*db);
    }

    // Regression (issue 8): the payload file cannot grow (a full disk, simulated with
    // RLIMIT_FSIZE): a clear "full" error, no partial snapshot, the previous one intact.
    void issue8_payloadDiskFull()
    {
        SnapshotStore store(*m_db);
        auto before = writeSnapshot(store, meta(1), 100000, 1, chunks(4096));
        QVERIFY(before.ok());
        struct rlimit old;
        QVERIFY(getrlimit(RLIMIT_FSIZE, &old) == 0);
        auto oldHandler = std::signal(SIGXFSZ, SIG_IGN); // EFBIG instead of a fatal signal
        struct rlimit capped = old;
        capped.rlim_cur = 1 << 20;
        QVERIFY(setrlimit(RLIMIT_FSIZE, &capped) == 0);
        auto failed = writeSnapshot(store, meta(2), 3 << 20, 2, chunks(65536));
        setrlimit(RLIMIT_FSIZE, &old);
        std::signal(SIGXFSZ, oldHandler);
        QVERIFY(!failed.ok());
        QCOMPARE(failed.status().code(), Status::Full);
        QVERIFY2(failed.status().message().contains(QLatin1String("large")),
                 qPrintable(failed.status().message()));
        QCOMPARE(store.list()->size(), size_t(1));
        QCOMPARE(payloadFiles(), QStringList{before->fileName});
        QCOMPARE(checkSnapshot(store, before->id, meta(1).key, 100000, 1), QString());
    }
};

QTEST_GUILESS_MAIN(TestStorageSnapshots)
#include "tst_storage_snapshots.moc"
