// folio.db itself: pragmas after open, refusal of newer and foreign files (left byte-identical),
// migration of every frozen past schema to the latest (equal to a fresh create, data kept), the
// integrity check on request, and unclean-shutdown detection through the open markers.
#include "storage/database.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace folio::storage;

namespace {

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

// Runs `sql` on a raw connection (bypassing Database) and closes it.
bool rawExec(const QString &path, const QString &sql)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open(QFile::encodeName(path).constData(), &db) != SQLITE_OK)
        return false;
    char *err = nullptr;
    const int rc = sqlite3_exec(db, sql.toUtf8().constData(), nullptr, nullptr, &err);
    if (err)
        qWarning("%s", err);
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK;
}

QStringList signatureOf(const QString &path)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    QStringList sig = storage_test::schemaSignature(db);
    sqlite3_close(db);
    return sig;
}

} // namespace

class TestStorageDatabase : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void freshDatabaseHasPragmas()
    {
        QTemporaryDir dir;
        auto db = Database::open(dir.filePath(QStringLiteral("sub/folio.db")));
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        QVERIFY((*db)->openReport().created);
        QCOMPARE((*db)->openReport().schemaAfter, Database::kSchemaVersion);
        QCOMPARE(*(*db)->queryInt(QStringLiteral("PRAGMA application_id")),
                 qint64(Database::kApplicationId));
        QCOMPARE(*(*db)->queryInt(QStringLiteral("PRAGMA user_version")),
                 qint64(Database::kSchemaVersion));
        QCOMPARE(*(*db)->queryInt(QStringLiteral("PRAGMA foreign_keys")), qint64(1));
        QCOMPARE(*(*db)->queryInt(QStringLiteral("PRAGMA synchronous")), qint64(2));
        QVERIFY(*(*db)->queryInt(QStringLiteral("PRAGMA busy_timeout")) > 0);
        auto jm = (*db)->exec(QStringLiteral("SELECT 1")); // exec works on statements with rows too
        QVERIFY(jm.ok());
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("sub/folio.db-wal"))));
        auto problems = (*db)->integrityCheck();
        QVERIFY(problems.ok());
        QVERIFY(problems->isEmpty());
    }

    void refusesUntouched_data()
    {
        QTest::addColumn<QString>("setupSql");
        QTest::addColumn<QByteArray>("garbage");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("messageContains");
        QTest::newRow("newer schema")
            << QStringLiteral(
                   "PRAGMA application_id=%1; CREATE TABLE future(x); PRAGMA user_version=%2;")
                   .arg(Database::kApplicationId)
                   .arg(Database::kSchemaVersion + 1)
            << QByteArray() << int(Status::NewerSchema) << QStringLiteral("newer Folio");
        QTest::newRow("other application id")
            << QStringLiteral("PRAGMA application_id=1234; CREATE TABLE t(x);") << QByteArray()
            << int(Status::NotFolio) << QStringLiteral("application_id");
        QTest::newRow("foreign tables, no id")
            << QStringLiteral("CREATE TABLE t(x);") << QByteArray() << int(Status::NotFolio)
            << QStringLiteral("other tables");
        QTest::newRow("not sqlite")
            << QString()
            << QByteArray("this is not a database file at all, "
                          "just some text that is long enough")
            << int(Status::NotFolio) << QStringLiteral("not an SQLite file");
    }

    void refusesUntouched()
    {
        QFETCH(QString, setupSql);
        QFETCH(QByteArray, garbage);
        QFETCH(int, code);
        QFETCH(QString, messageContains);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        if (!garbage.isEmpty()) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(garbage.repeated(200));
        } else {
            QVERIFY(rawExec(path, setupSql));
        }
        const QByteArray before = fileHash(path);
        auto db = Database::open(path);
        QVERIFY(!db.ok());
        QCOMPARE(int(db.status().code()), code);
        QVERIFY2(db.status().message().contains(messageContains), qPrintable(db.status().message()));
        QCOMPARE(fileHash(path), before);
    }

    // Every frozen schema (storage/schema/vN.sql), filled with a row per table, opened by this
    // build: it must end up identical to a fresh create, with its data intact.
    void migratesEveryFrozenSchema_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 1; v < Database::kSchemaVersion; ++v)
            QTest::addRow("v%d", v) << v;
    }

    void migratesEveryFrozenSchema()
    {
        QFETCH(int, version);
        QTemporaryDir dir;
        const QString fresh = dir.filePath(QStringLiteral("fresh.db"));
        const QString old = dir.filePath(QStringLiteral("old.db"));
        {
            auto db = Database::open(fresh);
            QVERIFY2(db.ok(), qPrintable(db.status().message()));
        }
        const QString script = Database::schemaScript(version);
        QVERIFY(!script.isEmpty());
        QVERIFY(rawExec(old, script
                                 + QStringLiteral(
                                       "PRAGMA application_id=%1; PRAGMA user_version=%2;"
                                       "INSERT INTO sessions (id, title, created_ms, updated_ms)"
                                       " VALUES (7, 'old session', 1, 2);"
                                       "INSERT INTO messages (id, session_id, role, content,"
                                       " created_ms) VALUES (3, 7, 'user', 'needle in v%2', 5);"
                                       // A snapshot after message 3 that lost its session (a
                                       // state version 3 refuses): the migration ties it back.
                                       "INSERT INTO snapshots (id, session_id, message_id, kind,"
                                       " model_fingerprint, state_format, prefix_hash,"
                                       " token_count, raw_size, stored_size, chunk_size,"
                                       " payload_checksum, file_name, created_ms) VALUES (11,"
                                       " NULL, 3, 'answer', 'fp', 1, 'ab', 9, 4, 4, 4096, 'cd',"
                                       " 'gone.fsnap', 6);"
                                       "INSERT INTO snapshot_chunks (snapshot_id, idx, offset,"
                                       " raw_size, stored_size, codec, checksum) VALUES (11, 0,"
                                       " 0, 4, 4, 'none', 42);")
                                       .arg(Database::kApplicationId)
                                       .arg(version)));
        {
            auto db = Database::open(old);
            QVERIFY2(db.ok(), qPrintable(db.status().message()));
            QCOMPARE((*db)->openReport().schemaBefore, version);
            QCOMPARE((*db)->openReport().schemaAfter, Database::kSchemaVersion);
            auto s = SessionStore(**db).get(7);
            QVERIFY(s.ok());
            QCOMPARE(s->title, QStringLiteral("old session"));
            auto snap = SnapshotStore(**db).get(11);
            QVERIFY2(snap.ok(), qPrintable(snap.status().message()));
            QCOMPARE(snap->sessionId, qint64(7));
            QCOMPARE(snap->messageId, qint64(3));
            QCOMPARE(snap->chunkCount, 1);
            QCOMPARE(snap->lastUsedMs, version >= 2 ? qint64(0) : qint64(6));
            // Rows that existed before the migration are searchable after it.
            QCOMPARE(*(*db)->queryInt(QStringLiteral(
                         "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'needle'")),
                     qint64(1));
        }
        const QStringList a = signatureOf(fresh), b = signatureOf(old);
        for (int i = 0; i < std::max(a.size(), b.size()); ++i)
            QCOMPARE(i < b.size() ? b[i] : QString(), i < a.size() ? a[i] : QString());
    }

    // The latest frozen script is what a fresh database is created from: it must exist, and a
    // schema change without a new version would show up as a difference here.
    void frozenScriptsExist()
    {
        for (int v = 1; v <= Database::kSchemaVersion; ++v)
            QVERIFY2(!Database::schemaScript(v).isEmpty(), qPrintable(QString::number(v)));
        for (int v = 2; v <= Database::kSchemaVersion; ++v)
            QVERIFY2(!Database::migrationScript(v).isEmpty(), qPrintable(QString::number(v)));
        QVERIFY(Database::schemaScript(Database::kSchemaVersion + 1).isEmpty());
    }

    // Released scripts are frozen: a file written by that version has exactly this layout, and
    // the migrations start from it. A change to the schema is a new vN.sql + migrate_to_vN.sql.
    void frozenScriptsUnchanged_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("sha256");
        QTest::newRow("v1")
            << QStringLiteral("v1.sql")
            << QByteArray("e0c7c1668ced1a388f9a522534e068588b107b0a757acee215014c6328eaeacc");
        QTest::newRow("v2")
            << QStringLiteral("v2.sql")
            << QByteArray("42aaefd34d0090ff1be65ec37d83fb3396c838949f0b157abe9ff5b5bbe20e58");
        QTest::newRow("migrate_to_v2")
            << QStringLiteral("migrate_to_v2.sql")
            << QByteArray("c6ef837cd24999f1b859955c3721f7252169079ee4a1a9e1c939df0510d14b76");
    }

    void frozenScriptsUnchanged()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, sha256);
        QFile f(QStringLiteral(":/folio/storage/schema/") + name);
        QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(name));
        QCOMPARE(QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex(), sha256);
    }

    void cleanCloseIsNotUnclean()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        {
            auto db = Database::open(path);
            QVERIFY(db.ok());
            // A second connection in the same process sees the first one alive, not dead.
            auto db2 = Database::open(path);
            QVERIFY(db2.ok());
            QVERIFY(!(*db2)->openReport().uncleanShutdown);
        }
        auto db = Database::open(path);
        QVERIFY(db.ok());
        QVERIFY(!(*db)->openReport().uncleanShutdown);
        QVERIFY(!(*db)->openReport().integrityChecked);
    }

    void integrityCheckOnRequest()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        OpenOptions o;
        o.checkIntegrity = true;
        auto db = Database::open(path, o);
        QVERIFY(db.ok());
        QVERIFY((*db)->openReport().integrityChecked);
    }

    // A marker left by a connection whose process died (its lock is gone) means an unclean
    // shutdown: the next open checks integrity and removes the stale marker.
    void staleMarkerMeansUncleanShutdown()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        {
            auto db = Database::open(path);
            QVERIFY(db.ok());
        }
        const QString stale = path + QStringLiteral(".open.999999-0");
        QFile f(stale);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        auto db = Database::open(path);
        QVERIFY(db.ok());
        QVERIFY((*db)->openReport().uncleanShutdown);
        QVERIFY((*db)->openReport().integrityChecked);
        QVERIFY(!QFile::exists(stale));
    }

    void corruptFileIsReported()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("folio.db"));
        qint64 rootPage = 0;
        {
            auto db = Database::open(path);
            QVERIFY(db.ok());
            rootPage = *(*db)->queryInt(
                QStringLiteral("SELECT rootpage FROM sqlite_master WHERE name = 'sessions'"));
            SessionStore sessions(**db);
            for (int i = 0; i < 300; ++i)
                QVERIFY(sessions
                            .create(storage_test::titled(
                                QStringLiteral("session %1 ").arg(i).repeated(20)))
                            .ok());
            QVERIFY((*db)->exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")).ok());
        }
        // Overwrite the root page of the sessions table's b-tree (4 KiB pages).
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(rootPage > 1 && f.size() > rootPage * 4096);
        f.seek((rootPage - 1) * 4096);
        f.write(QByteArray(4096, '\x5a'));
        f.close();
        OpenOptions o;
        o.checkIntegrity = true;
        auto db = Database::open(path, o);
        QVERIFY(!db.ok());
        QCOMPARE(db.status().code(), Status::Corrupt);
    }
};

QTEST_GUILESS_MAIN(TestStorageDatabase)
#include "tst_storage_database.moc"
