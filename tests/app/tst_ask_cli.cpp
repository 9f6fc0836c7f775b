// `folio-cli ask` end to end on a test repository with the demo model: ingest, pack, prompt,
// answer, citations, and a saved session that `folio-cli session show` lists; `--json` output;
// usage errors; asking again on the saved session by id and by title (--session); and that ask uses a running `folio-cli serve` of the same model (discovery file)
// instead of loading the model again. Arguments: the folio-cli executable, the demo model dir.
#include "cli_test_support.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using cli_test::g_cli;
using cli_test::g_model;
using Run = cli_test::Run;

class TestAskCli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data;
    QTemporaryDir m_repo;
    qint64 m_session = 0;
    int m_firstPromptTokens = 0;

    Run run(const QStringList &args) { return cli_test::run(m_data.path(), args); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_data.isValid() && m_repo.isValid());
        QVERIFY(cli_test::makeRepository(m_repo.path()));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("no question") << QStringList{"ask", "--repo", "x", "--model", "m"};
        QTest::newRow("no source") << QStringList{"ask", "--model", "m", "q?"};
        QTest::newRow("two sources")
            << QStringList{"ask", "--repo", "x", "--pdf", "y.pdf", "--model", "m", "q?"};
        QTest::newRow("no model") << QStringList{"ask", "--repo", "x", "q?"};
        QTest::newRow("endpoint without model name")
            << QStringList{"ask", "--repo", "x", "--endpoint", "http://127.0.0.1:1/v1", "q?"};
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        const Run r = run(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("usage"));
    }

    void askJsonCreatesASession()
    {
        const Run r = run({"ask", "--repo", m_repo.path(), "--model", g_model, "-n", "6", "--json",
                           "What does main print?"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY2(!o.isEmpty(), r.out.constData());
        QVERIFY(o["answer"].isString());
        QVERIFY(o["citations"].isArray());
        const QJsonObject stats = o["stats"].toObject();
        QVERIFY(stats["prompt_tokens"].toInt() > 50);
        QVERIFY(stats["completion_tokens"].toInt() > 0 && stats["completion_tokens"].toInt() <= 6);
        QVERIFY(stats.contains("prefill_tokens_per_s") && stats.contains("decode_tokens_per_s"));
        QCOMPARE(stats["snapshot_reused"].toBool(), false);
        const int session = o["session"].toInt();
        QVERIFY(session > 0);

        const Run show = run({"session", "show", QString::number(session), "--json"});
        QVERIFY2(show.exitCode == 0, show.err.constData());
        QVERIFY2(show.out.contains("What does main print?"), show.out.constData());
        const Run list = run({"session", "list", "--json"});
        QVERIFY2(list.out.contains("What does main print?"), list.out.constData());
        m_session = session;
        m_firstPromptTokens = stats["prompt_tokens"].toInt();
    }

    void askContinuesASession_data()
    {
        QTest::addColumn<bool>("byTitle");
        QTest::newRow("by id") << false;
        QTest::newRow("by title") << true;
    }

    // --session: the sources are rebuilt from storage (the repository at its pinned commit) and
    // the question is appended on the session's current branch, its earlier turns in the prompt.
    void askContinuesASession()
    {
        QFETCH(bool, byTitle);
        if (m_session == 0)
            QSKIP("needs askJsonCreatesASession");
        const QString question = byTitle ? "And what does it return?" : "Is there a loop?";
        const Run r = run({"ask", "--session",
                           byTitle ? QString("What does main print?") : QString::number(m_session),
                           "--model", g_model, "-n", "4", "--json", question});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o["session"].toInteger(), qint64(m_session));
        QVERIFY(o["stats"].toObject()["prompt_tokens"].toInt() > m_firstPromptTokens);

        const Run show = run({"session", "show", QString::number(m_session), "--json"});
        QVERIFY2(show.out.contains("What does main print?") && show.out.contains(question.toUtf8()),
                 show.out.constData());
    }

    // A prompt whose sources are long enough for a KV snapshot (>= 2048 tokens): the first ask
    // prefills and stores the sources' state in folio.db; asking again in a new process restores
    // it from disk instead of prefilling, and the stats say so.
    void askRestoresTheSourcesSnapshot()
    {
        QTemporaryDir repo;
        QFile f(repo.filePath("table.cpp"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 260; ++i)
            f.write(QByteArray("int value") + QByteArray::number(i) + "() { return "
                    + QByteArray::number(i * 7) + "; }\n");
        f.close();
        QVERIFY(cli_test::git(repo.path(), {"init", "-q"}));
        QVERIFY(cli_test::git(repo.path(), {"add", "table.cpp"}));
        QVERIFY(cli_test::git(repo.path(), {"commit", "-q", "-m", "table"}));

        const Run first = run({"ask", "--repo", repo.path(), "--model", g_model, "-n", "2",
                               "--json", "What does value3 return?"});
        QVERIFY2(first.exitCode == 0, first.err.constData());
        const QJsonObject a = QJsonDocument::fromJson(first.out).object();
        const QJsonObject s1 = a["stats"].toObject();
        QVERIFY2(s1["prompt_tokens"].toInt() > 2048, first.out.constData());
        QCOMPARE(s1["prefix_reuse"].toString(), QString("none"));
        QCOMPARE(s1["snapshot_reused"].toBool(), false);
        QVERIFY2(s1["snapshots_written"].toInt() >= 1, first.out.constData());

        const Run second = run({"ask", "--session", QString::number(a["session"].toInteger()),
                                "--model", g_model, "-n", "2", "--json", "And value4?"});
        QVERIFY2(second.exitCode == 0, second.err.constData());
        const QJsonObject s2 = QJsonDocument::fromJson(second.out).object()["stats"].toObject();
        QCOMPARE(s2["prefix_reuse"].toString(), QString("snapshot"));
        QCOMPARE(s2["snapshot_reused"].toBool(), true);
        QVERIFY(s2["snapshot_id"].toInteger() > 0);
        QVERIFY(s2["cached_prompt_tokens"].toInt() > 2048);
    }

    void askUnknownSession()
    {
        const Run r = run({"ask", "--session", "no such session", "--model", g_model, "q?"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no session is titled"), r.err.constData());
    }

    void askUsesARunningServer()
    {
        QProcess serve;
        serve.setProcessEnvironment(cli_test::environment(m_data.path()));
        serve.start(g_cli, {"serve", "--model", g_model, "--port", "0"});
        QVERIFY(serve.waitForReadyRead(120000));
        const QByteArray url = serve.readLine().trimmed();
        QVERIFY2(url.startsWith("http://127.0.0.1:"), url.constData());

        const Run r = run({"ask", "--repo", m_repo.path(), "--model", g_model, "-n", "4", "--json",
                           "Which function is defined?"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.contains("using the running server"), r.err.constData());
        const QJsonObject stats = QJsonDocument::fromJson(r.out).object()["stats"].toObject();
        QVERIFY(stats["backend"].toString().contains(QString::fromUtf8(url)));

        serve.terminate(); // SIGTERM: clean shutdown
        QVERIFY(serve.waitForFinished(60000));
        QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.exitCode(), 0);
        QVERIFY(!QFile::exists(QDir(m_data.path()).filePath("server.json")));
    }

    // Ctrl+C (SIGINT) stops the server as cleanly as SIGTERM does.
    void serveStopsOnSigint()
    {
        QProcess serve;
        serve.setProcessEnvironment(cli_test::environment(m_data.path()));
        serve.start(g_cli, {"serve", "--model", g_model, "--port", "0"});
        QVERIFY(serve.waitForReadyRead(120000));
        QVERIFY(serve.readLine().startsWith("http://127.0.0.1:"));
        QVERIFY(QFile::exists(QDir(m_data.path()).filePath("server.json")));
        ::kill(pid_t(serve.processId()), SIGINT);
        QVERIFY(serve.waitForFinished(60000));
        QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
        QCOMPARE(serve.exitCode(), 0);
        QVERIFY(serve.readAllStandardError().contains("SIGINT, shutting down"));
        QVERIFY(!QFile::exists(QDir(m_data.path()).filePath("server.json")));
    }
};

int main(int argc, char **argv)
{
    return cli_test::runTests<TestAskCli>(argc, argv);
}

#include "tst_ask_cli.moc"
