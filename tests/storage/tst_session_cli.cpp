// `folio-cli session` as a user runs it, against a database filled through the storage API:
// list/show/delete/export/import/search/snapshots, --json output, exit codes, --db and the
// FOLIO_DATA_DIR default. The executable's path is the first argument (passed by CTest).
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace folio::storage;

static QString g_cli;

class TestSessionCli : public QObject
{
    Q_OBJECT

    struct Run
    {
        int exitCode;
        QString out;
        QString err;
    };

    std::unique_ptr<QTemporaryDir> m_dir;
    qint64 m_sid = 0;

    Run run(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FOLIO_DATA_DIR"), m_dir->path()); // the default --db
        p.setProcessEnvironment(env);
        p.start(g_cli, args);
        if (!p.waitForFinished(60000))
            return {-1, {}, QStringLiteral("timeout")};
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
        QVERIFY(db.ok());
        m_sid = SessionStore(**db).create(storage_test::titled(QStringLiteral("Kernel study")))->id;
        SessionStore(**db).create(storage_test::titled(QStringLiteral("Other")));
        Message q;
        q.sessionId = m_sid;
        q.role = QStringLiteral("user");
        q.content = QStringLiteral("Where is the scheduler?");
        const qint64 qid = MessageStore(**db).add(q)->id;
        Message a = q;
        a.parentId = qid;
        a.role = QStringLiteral("assistant");
        a.content = QStringLiteral("In kernel/sched/core.c.");
        a.citationsJson = QStringLiteral(
            R"([{"label":"kernel/sched/core.c:10-20","path":"kernel/sched/core.c","line_begin":10,"line_end":20}])");
        MessageStore(**db).add(a);
        SnapshotInfo meta;
        meta.sessionId = m_sid;
        meta.key = storage_test::keyFor(5);
        SnapshotStore store(**db);
        QVERIFY(storage_test::writeSnapshot(store, meta, 200000, 5).ok());
    }
    void cleanup() { m_dir.reset(); }

    void exitCodes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stdoutContains");
        QTest::newRow("help") << QStringList{"session", "--help"} << 0 << "snapshots";
        QTest::newRow("no action") << QStringList{"session"} << 2 << "";
        QTest::newRow("unknown action") << QStringList{"session", "frob"} << 2 << "";
        QTest::newRow("show without id") << QStringList{"session", "show"} << 2 << "";
        QTest::newRow("show bad id") << QStringList{"session", "show", "abc"} << 2 << "";
        QTest::newRow("show missing session") << QStringList{"session", "show", "999"} << 1 << "";
        QTest::newRow("search without query") << QStringList{"session", "search"} << 2 << "";
        QTest::newRow("bad format")
            << QStringList{"session", "export", "1", "--format", "pdf"} << 2 << "";
        QTest::newRow("bundle needs --out")
            << QStringList{"session", "export", "1", "--format", "bundle"} << 2 << "";
        QTest::newRow("list") << QStringList{"session", "list"} << 0 << "Kernel study";
        QTest::newRow("show") << QStringList{"session", "show", "1"} << 0
                              << "Where is the scheduler?";
        QTest::newRow("export md to stdout")
            << QStringList{"session", "export", "1", "--format", "md"} << 0
            << "[kernel/sched/core.c:10-20](kernel/sched/core.c#L10-L20)";
        QTest::newRow("search") << QStringList{"session", "search", "scheduler"} << 0
                                << "[scheduler]";
        QTest::newRow("snapshots") << QStringList{"session", "snapshots", "--verify"} << 0 << "ok";
        QTest::newRow("check") << QStringList{"session", "check"} << 0 << "1 snapshots verified";
        QTest::newRow("import missing file")
            << QStringList{"session", "import", "/nonexistent/x.folio"} << 1 << "";
    }

    void exitCodes()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, stdoutContains);
        const Run r = run(args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(r.err));
        QVERIFY2(r.out.contains(stdoutContains), qPrintable(r.out));
        if (exitCode != 0)
            QVERIFY2(r.err.startsWith(QLatin1String("folio-cli session: ")), qPrintable(r.err));
    }

    void listJson()
    {
        const Run r = run({"session", "list", "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray arr = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(arr.size(), 2);
        for (const QJsonValue &v : arr) {
            const QJsonObject o = v.toObject();
            QVERIFY(o.contains(QLatin1String("id")));
            QVERIFY(o.contains(QLatin1String("title")));
            QVERIFY(!o.value(QLatin1String("updated")).toString().isEmpty());
        }
        // Adding messages bumped the session's updated time: it is listed first.
        QCOMPARE(arr[0].toObject().value(QLatin1String("title")).toString(),
                 QStringLiteral("Kernel study"));
        QCOMPARE(arr[0].toObject().value(QLatin1String("messages")).toInt(), 2);
        QCOMPARE(arr[1].toObject().value(QLatin1String("messages")).toInt(), 0);
    }

    void explicitDbPath()
    {
        const QString other = m_dir->filePath(QStringLiteral("elsewhere/other.db"));
        const Run r = run({"session", "list", "--json", "--db", other});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 0);
        QVERIFY(QFile::exists(other));
    }

    void exportToFileAndBundleRoundTrip()
    {
        const QString html = m_dir->filePath(QStringLiteral("s.html"));
        Run r = run(
            {"session", "export", QString::number(m_sid), "--format", "html", "--out", html});
        QCOMPARE(r.exitCode, 0);
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll().contains("<h1>Kernel study</h1>"));

        const QString bundle = m_dir->filePath(QStringLiteral("s.folio"));
        r = run({"session", "export", QString::number(m_sid), "--format", "bundle",
                 "--with-snapshots", "--out", bundle});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = run({"session", "import", bundle, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const qint64 imported = qint64(QJsonDocument::fromJson(r.out.toUtf8())
                                           .object()
                                           .value(QLatin1String("imported"))
                                           .toDouble());
        QVERIFY(imported > m_sid);
        r = run({"session", "snapshots", "--json"});
        const QJsonArray snaps = QJsonDocument::fromJson(r.out.toUtf8())
                                     .object()
                                     .value(QLatin1String("snapshots"))
                                     .toArray();
        QCOMPARE(snaps.size(), 2);
    }

    // Issue 8: each snapshot's session and branch (the message it was taken after): a session's
    // prefix (no message), a state after its answer, and a session-less one.
    void snapshotsShowSessionAndBranch()
    {
        qint64 answer = 0, free = 0;
        {
            auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
            QVERIFY(db.ok());
            const auto all = MessageStore(**db).all(m_sid);
            QVERIFY(all.ok());
            for (const Message &m : *all)
                if (m.role == QLatin1String("assistant"))
                    answer = m.id;
            SnapshotStore store(**db);
            store.setEvictionPolicy({0, 0});
            SnapshotInfo meta;
            meta.sessionId = m_sid;
            meta.messageId = answer;
            meta.kind = QStringLiteral("answer");
            meta.key = storage_test::keyFor(6);
            QVERIFY(storage_test::writeSnapshot(store, meta, 100000, 6).ok());
            meta.sessionId = meta.messageId = 0;
            meta.key = storage_test::keyFor(7);
            free = storage_test::writeSnapshot(store, meta, 100000, 7)->id;
        }
        QVERIFY(answer > 0);
        Run r = run({"session", "snapshots", "--json"});
        QCOMPARE(r.exitCode, 0);
        QStringList owners; // "session/message" of each; "" where null
        const QJsonArray listed
            = QJsonDocument::fromJson(r.out.toUtf8()).object().value("snapshots").toArray();
        for (const QJsonValue &v : listed) {
            const QJsonObject o = v.toObject();
            owners << o.value("session").toVariant().toString() + QLatin1Char('/')
                          + o.value("message").toVariant().toString();
        }
        owners.sort();
        QStringList want{QStringLiteral("/"), QStringLiteral("%1/").arg(m_sid),
                         QStringLiteral("%1/%2").arg(m_sid).arg(answer)};
        want.sort();
        QCOMPARE(owners, want);

        r = run({"session", "snapshots"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QLatin1String("AFTER MSG")), qPrintable(r.out));
        QStringList freeRow;
        for (const QString &line : r.out.split(QLatin1Char('\n')))
            if (line.simplified().startsWith(QString::number(free) + QLatin1Char(' '))
                && line.simplified().count(QLatin1Char(' ')) >= 6) // not the summary line
                freeRow = line.simplified().split(QLatin1Char(' ')).mid(1, 2);
        QCOMPARE(freeRow, (QStringList{"-", "-"})); // no session, no message
    }

    void deleteAndSearchJson()
    {
        Run r = run({"session", "search", "scheduler", "--json"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 1);
        r = run({"session", "delete", QString::number(m_sid)});
        QCOMPARE(r.exitCode, 0);
        r = run({"session", "search", "scheduler", "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 0);
        r = run({"session", "snapshots", "--gc", "--json"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8())
                     .object()
                     .value(QLatin1String("snapshots"))
                     .toArray()
                     .size(),
                 0);
        r = run({"session", "delete", QString::number(m_sid)});
        QCOMPARE(r.exitCode, 1);
    }

    void checkFindsDamagedSnapshot()
    {
        {
            auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
            QVERIFY(db.ok());
            auto list = SnapshotStore(**db).list();
            QFile f(QDir((*db)->payloadDirectory()).filePath(list->front().fileName));
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(1000);
            f.write("!");
        }
        const Run r = run({"session", "check", "--json"});
        QCOMPARE(r.exitCode, 1);
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(o.value(QLatin1String("ok")).toBool(), false);
        QVERIFY(o.value(QLatin1String("problems"))
                    .toArray()
                    .first()
                    .toString()
                    .contains(QLatin1String("checksum")));
    }

    void newerDatabaseRefused()
    {
        const QString path = m_dir->filePath(QStringLiteral("newer.db"));
        {
            auto db = Database::open(path);
            QVERIFY(
                (*db)
                    ->exec(
                        QStringLiteral("PRAGMA user_version=%1").arg(Database::kSchemaVersion + 5))
                    .ok());
        }
        const Run r = run({"session", "list", "--db", path});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QLatin1String("newer Folio")), qPrintable(r.err));
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        qCritical("usage: tst_session_cli PATH-TO-folio-cli [QTest options]");
        return 2;
    }
    g_cli = QString::fromLocal8Bit(argv[1]);
    QStringList rest = app.arguments();
    rest.removeAt(1);
    TestSessionCli test;
    return QTest::qExec(&test, rest);
}

#include "tst_session_cli.moc"
