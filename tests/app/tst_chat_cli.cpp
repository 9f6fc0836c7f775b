// `folio-cli chat` end to end with the demo model, driven through stdin as a script would: two
// turns with /think in between, /sources, /history, /branch, /export; every turn saved in the
// session; resuming the session by title with --session, branching at an earlier question, and
// switching branches; Ctrl+C stopping an answer without ending the program (local engine and
// endpoint); the conversation answered by an OpenAI-compatible endpoint (a `folio-cli serve`);
// unknown commands and usage errors. Arguments: the folio-cli executable, the demo model directory.
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

class TestChatCli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data;
    QTemporaryDir m_repo;
    qint64 m_session = 0;
    qint64 m_firstQuestion = 0;

    QProcessEnvironment env() const { return cli_test::environment(m_data.path()); }

    Run run(const QStringList &args, const QByteArray &input = {})
    {
        return cli_test::run(m_data.path(), args, input);
    }

    QJsonObject showSession(qint64 id)
    {
        const Run show = run({"session", "show", QString::number(id), "--json"});
        return QJsonDocument::fromJson(show.out).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_data.isValid() && m_repo.isValid());
        QVERIFY(cli_test::makeRepository(m_repo.path()));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("two sources")
            << QStringList{"chat", "--repo", "x", "--pdf", "y.pdf", "--model", "m"};
        QTest::newRow("no model") << QStringList{"chat", "--repo", "x"};
        QTest::newRow("endpoint without model name")
            << QStringList{"chat", "--endpoint", "http://127.0.0.1:1/v1", "--tokenizer", "t"};
        QTest::newRow("positional argument") << QStringList{"chat", "--model", "m", "question?"};
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        const Run r = run(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("usage"), r.err.constData());
    }

    void scriptedConversation()
    {
        const QString exported = m_data.filePath("chat.md");
        const Run r = run({"chat", "--repo", m_repo.path(), "--model", g_model, "-n", "8", "--json"},
                          "/export\n"
                          "What does main print?\n"
                          "/sources\n"
                          "/think\n"
                          "Which function is defined?\n"
                          "/history\n"
                          "/branch\n"
                          "/export md "
                              + exported.toUtf8()
                              + "\n"
                                "/quit\n"
                                "Never asked?\n");
        // The /export before the first question fails (nothing saved yet): exit code 1, and the
        // conversation went on.
        QVERIFY2(r.exitCode == 1, r.err.constData());
        QVERIFY2(r.err.contains("nothing to export yet"), r.err.constData());
        QVERIFY2(r.lines.size() == 7, r.out.constData());

        const QJsonObject first = r.lines[0];
        m_session = first["session"].toInteger();
        m_firstQuestion = first["question_id"].toInteger();
        QVERIFY(m_session > 0 && m_firstQuestion > 0);
        QVERIFY(first["answer"].isString());
        QCOMPARE(first["stopped"].toBool(), false);
        const QJsonObject firstStats = first["stats"].toObject();
        QVERIFY(firstStats["prompt_tokens"].toInt() > 50);
        QCOMPARE(firstStats["thinking"].toBool(), false);

        const QJsonArray sources = r.lines[1]["sources"].toArray();
        QCOMPARE(sources.size(), 1);
        QVERIFY(sources[0].toObject()["tokens"].toInt() > 0);
        QCOMPARE(r.lines[2]["thinking"].toBool(), true);

        // The second turn carries the first in its prompt and reuses the state of the sources
        // (the engine stays loaded between turns).
        const QJsonObject second = r.lines[3];
        QCOMPARE(second["session"].toInteger(), m_session);
        const QJsonObject stats = second["stats"].toObject();
        QCOMPARE(stats["thinking"].toBool(), true);
        QVERIFY(stats["prompt_tokens"].toInt() > firstStats["prompt_tokens"].toInt());
        QVERIFY(stats["cached_prompt_tokens"].toInt() > 0);
        QCOMPARE(stats["prefix_reuse"].toString(), QString("memory"));
        QCOMPARE(stats["snapshot_reused"].toBool(), false);

        const QJsonArray history = r.lines[4]["history"].toArray();
        QCOMPARE(history.size(), 4);
        QCOMPARE(history[0].toObject()["content"].toString(), QString("What does main print?"));
        QCOMPARE(history[3].toObject()["id"].toInteger(), second["message"].toInteger());
        const QJsonArray branches = r.lines[5]["branches"].toArray();
        QCOMPARE(branches.size(), 1);
        QCOMPARE(branches[0].toObject()["current"].toBool(), true);
        QCOMPARE(branches[0].toObject()["messages"].toInt(), 4);
        QCOMPARE(r.lines[6]["exported"].toString(), exported);

        QFile md(exported);
        QVERIFY(md.open(QIODevice::ReadOnly));
        const QByteArray text = md.readAll();
        QVERIFY2(text.contains("What does main print?") && text.contains("Which function"),
                 text.constData());
        QVERIFY(!text.contains("Never asked?"));

        const QByteArray shown = QJsonDocument(showSession(m_session)).toJson();
        QVERIFY2(shown.contains("Which function is defined?"), shown.constData());
        QVERIFY(!shown.contains("Never asked?"));
    }

    void resumeByTitleAndBranch()
    {
        if (m_session == 0)
            QSKIP("needs scriptedConversation");
        // The title is the first question; the sources are rebuilt from the stored session.
        const Run r = run({"chat", "--session", "What does main print?", "--model", g_model, "-n",
                           "6", "--json"},
                          "/branch at " + QByteArray::number(m_firstQuestion)
                              + "\n"
                                "What does main return?\n"
                                "/branch\n"
                                "/branch 1\n"
                                "/history\n");
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.lines.size() == 5, r.out.constData());
        QCOMPARE(r.lines[0]["anchor"].toInteger(), 0); // a first question: a new root
        QCOMPARE(r.lines[1]["session"].toInteger(), m_session);
        // A new first question: the state after the sources is all the prompt shares.
        const QJsonArray branches = r.lines[2]["branches"].toArray();
        QCOMPARE(branches.size(), 2);
        QCOMPARE(branches[0].toObject()["current"].toBool(), false);
        QCOMPARE(branches[1].toObject()["current"].toBool(), true);
        QCOMPARE(branches[1].toObject()["messages"].toInt(), 2);
        QCOMPARE(branches[1].toObject()["last_question"].toString(),
                 QString("What does main return?"));
        QCOMPARE(r.lines[3]["branch"].toInt(), 1);
        QCOMPARE(r.lines[4]["history"].toArray().size(), 4);
    }

    void ctrlCStopsTheAnswerNotTheProgram()
    {
        QProcess p;
        p.setProcessEnvironment(env());
        p.start(g_cli, {"chat", "--repo", m_repo.path(), "--model", g_model, "-n", "100000"});
        QVERIFY(p.waitForStarted());
        p.write("Tell me everything about main.\n");
        // The answer streams to stdout: interrupt once it has begun.
        QVERIFY(p.waitForReadyRead(120000));
        ::kill(pid_t(p.processId()), SIGINT);
        p.write("/history\n/quit\n");
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(120000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("[stopped"), err.constData());
        // The stopped answer was saved and /history still ran after it.
        QVERIFY2(p.readAllStandardOutput().contains("folio: "), err.constData());
    }

    // The same conversation answered by an OpenAI-compatible endpoint (a `folio-cli serve` here):
    // the second turn's prompt continues the first, which the endpoint reports as cached; Ctrl+C
    // cancels the HTTP request and keeps what arrived.
    void chatThroughAnEndpoint()
    {
        QProcess serve;
        serve.setProcessEnvironment(env());
        serve.start(g_cli, {"serve", "--model", g_model, "--port", "0", "--no-discovery"});
        QVERIFY(serve.waitForReadyRead(120000));
        const QString url = QString::fromUtf8(serve.readLine().trimmed());
        QVERIFY2(url.startsWith("http://127.0.0.1:"), qPrintable(url));
        const QStringList endpoint{"--endpoint",  url,
                                   "--api-model", "demo",
                                   "--tokenizer", QDir(g_model).filePath("tokenizer.json")};

        const Run r = run(QStringList{"chat", "--repo", m_repo.path(), "-n", "6", "--json"}
                              + endpoint,
                          "What does main print?\nAnd what does it return?\n");
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.lines.size() == 2, r.out.constData());
        const QJsonObject stats = r.lines[1]["stats"].toObject();
        QCOMPARE(stats["backend"].toString(), url);
        QVERIFY(stats["cached_prompt_tokens"].toInt() > 0);
        QCOMPARE(stats["prefix_reuse"].toString(), QString("endpoint"));
        QCOMPARE(stats["snapshot_reused"].toBool(), false);

        QProcess p;
        p.setProcessEnvironment(env());
        p.start(g_cli, QStringList{"chat", "-n", "100000"} + endpoint);
        QVERIFY(p.waitForStarted());
        p.write("Tell me a long story.\n");
        QVERIFY(p.waitForReadyRead(120000));
        ::kill(pid_t(p.processId()), SIGINT);
        p.write("/quit\n");
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(120000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("[stopped"), err.constData());

        serve.terminate();
        QVERIFY(serve.waitForFinished(60000));
        QCOMPARE(serve.exitCode(), 0);
    }

    void unknownCommandIsAnError()
    {
        const Run r = run({"chat", "--model", g_model}, "/frobnicate\n/sources\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("unknown command /frobnicate"), r.err.constData());
        QVERIFY2(r.out.contains("no sources"), r.out.constData());
    }
};

int main(int argc, char **argv)
{
    return cli_test::runTests<TestChatCli>(argc, argv);
}

#include "tst_chat_cli.moc"
