// Folio sessions over the OpenAI-compatible API (app/server/session_backend.h), with the scripted
// backend (no model): a request naming a saved session — "folio_session": ID, "folio_session":
// "title", or the model "folio:session/ID" — gets the session's packed sources as its system
// prompt, and its question and answer are appended to the session's current branch (streamed and
// not); unknown sessions and session requests without a final question are 400s; requests without
// a session pass through untouched.
#include "app/analysis/conversation.h"
#include "app/server/http_server.h"
#include "app/server/session_backend.h"
#include "ingest/tokenizer_counter.h"
#include "server_test_support.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "tests/support/git_process.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace folio;
using namespace folio::server;
using folio::test::FakeBackend;
using folio::test::HttpReply;
using folio::test::httpRequest;

namespace {

QByteArray body(const QJsonObject &extra, const QString &question = "Where is main?")
{
    QJsonObject o{{"model", "folio"},
                  {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", question}}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o.insert(it.key(), it.value());
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

using folio::testing::git;

} // namespace

class TestServerSessions : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    std::shared_ptr<const ingest::TokenCounter> m_counter;
    qint64 m_session = 0;
    std::shared_ptr<FakeBackend> m_backend;
    std::unique_ptr<LocalServer> m_server;
    int m_port = 0;

    std::vector<storage::Message> messages()
    {
        auto db = storage::Database::open(m_db);
        if (!db.ok())
            return {};
        auto all = storage::MessageStore(**db).all(m_session);
        return all.ok() ? *all : std::vector<storage::Message>{};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        m_counter = ingest::loadTokenizerCounter(FOLIO_TOKENIZER_JSON, &error);
        QVERIFY2(m_counter, qPrintable(error));
        const QString repo = m_dir.filePath("repo");
        QVERIFY(QDir().mkpath(repo));
        QFile f(repo + "/main.cpp");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("int main()\n{\n    return 0;\n}\n");
        f.close();
        QVERIFY(git(repo, {"init", "-q"}));
        QVERIFY(git(repo, {"add", "main.cpp"}));
        QVERIFY(git(repo, {"commit", "-q", "-m", "first"}));

        // A session with one turn, stored as `folio-cli ask` stores it.
        m_db = m_dir.filePath("folio.db");
        auto conv = analysis::Conversation::open(m_db, &error);
        QVERIFY2(conv, qPrintable(error));
        ingest::IngestRequest request;
        request.kind = ingest::IngestRequest::Kind::Repository;
        request.git.location = repo;
        auto sources = analysis::ingestSources(request, *m_counter, 0, 1024, &error);
        QVERIFY2(sources, qPrintable(error));
        conv->startNew(std::move(*sources));
        analysis::AnswerOutcome first;
        first.content = "It is in `main.cpp:1-4`.";
        QVERIFY2(conv->saveTurn("Session title question", false, first, "test", {}, &error),
                 qPrintable(error));
        m_session = conv->sessionId();
        QVERIFY(m_session > 0);
    }

    void init()
    {
        m_backend = std::make_shared<FakeBackend>();
        SessionBackend::Options o;
        o.databasePath = m_db;
        o.counter = m_counter;
        ServerOptions so;
        so.port = 0;
        m_server = std::make_unique<LocalServer>(std::make_shared<SessionBackend>(m_backend, o), so);
        const Status st = m_server->start();
        QVERIFY2(st, st.message().c_str());
        m_port = m_server->port();
    }

    void cleanup()
    {
        m_server.reset();
        m_backend.reset();
    }

    void sessionRequestsAreAnsweredOnTheSession_data()
    {
        QTest::addColumn<QJsonObject>("extra");
        QTest::addColumn<bool>("stream");
        QTest::newRow("folio_session id") << QJsonObject{{"folio_session", 0}} << false;
        QTest::newRow("folio_session title")
            << QJsonObject{{"folio_session", "Session title question"}} << true;
        QTest::newRow("model name") << QJsonObject{{"model", "folio:session/ID"}} << false;
    }

    void sessionRequestsAreAnsweredOnTheSession()
    {
        QFETCH(QJsonObject, extra);
        QFETCH(bool, stream);
        // The session id is known only now.
        if (extra.contains("folio_session") && extra["folio_session"].isDouble())
            extra["folio_session"] = m_session;
        if (extra.contains("model"))
            extra["model"] = QString("folio:session/%1").arg(m_session);
        extra["stream"] = stream;
        const size_t before = messages().size();
        const QString question = QString("Question %1").arg(QTest::currentDataTag());

        const HttpReply r = httpRequest(m_port, "POST", "/v1/chat/completions",
                                        body(extra, question));
        QVERIFY2(r.status == 200, r.body.constData());
        QVERIFY(r.body.contains("Hello"));
        {
            std::lock_guard lock(m_backend->mutex);
            const auto &sent = m_backend->last.messages;
            QCOMPARE(sent.size(), size_t(2));
            QCOMPARE(sent[0].role, std::string("system"));
            // The analysis instructions, then the packed sources with line numbers.
            QVERIFY(sent[0].content.find("You are Folio") == 0);
            QVERIFY(sent[0].content.find("main.cpp") != std::string::npos);
            QVERIFY(sent[0].content.find("return 0;") != std::string::npos);
            QCOMPARE(sent[1].content, question.toStdString());
            QVERIFY(m_backend->last.session.empty());
        }

        // The question and the answer were appended after the session's latest answer.
        const std::vector<storage::Message> after = messages();
        QCOMPARE(after.size(), before + 2);
        const storage::Message &q = after[after.size() - 2];
        const storage::Message &a = after.back();
        QCOMPARE(q.role, QString("user"));
        QCOMPARE(q.content, question);
        QCOMPARE(q.parentId, after[after.size() - 3].id);
        QCOMPARE(a.role, QString("assistant"));
        QCOMPARE(a.parentId, q.id);
        QCOMPARE(a.content, QString("Hello world"));
        QVERIFY2(a.statsJson.contains("folio-cli serve"), qPrintable(a.statsJson));
    }

    void badSessionRequestsAre400_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown id") << body({{"folio_session", 987654}}) << "no session 987654";
        QTest::newRow("unknown title")
            << body({{"folio_session", "nothing like it"}}) << "no session is titled";
        QTest::newRow("wrong type") << body({{"folio_session", true}}) << "folio_session";
        QTest::newRow("empty model suffix") << body({{"model", "folio:session/"}}) << "model";
        QTest::newRow("no question last")
            << QJsonDocument(
                   QJsonObject{{"folio_session", "Session title question"},
                               {"messages",
                                QJsonArray{QJsonObject{{"role", "user"}, {"content", "Hi"}},
                                           QJsonObject{{"role", "assistant"},
                                                       {"content", "Hello"}}}}})
                   .toJson(QJsonDocument::Compact)
            << "last message must be the user's question";
    }

    void badSessionRequestsAre400()
    {
        QFETCH(QByteArray, request);
        QFETCH(QString, message);
        const size_t before = messages().size();
        const HttpReply r = httpRequest(m_port, "POST", "/v1/chat/completions", request);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.errorMessage().contains(message), r.body.constData());
        QCOMPARE(messages().size(), before);
    }

    // Issue 8: saving a turn ties the KV snapshots its answer wrote (AnswerOutcome::snapshotIds,
    // from the engine backend) to it: here in a new session, created by that save as `folio-cli
    // ask --repo` creates one, so they were written without a session. Deleting the session then
    // deletes them.
    void saveTurnTiesTheAnswersSnapshots()
    {
        QString error;
        auto conv = analysis::Conversation::open(m_dir.filePath("ties.db"), &error);
        QVERIFY2(conv, qPrintable(error));
        conv->startNew({});
        storage::SnapshotStore store(conv->database());
        analysis::AnswerOutcome out;
        out.content = "An answer.";
        for (const char *kind : {"prefix", "answer"}) {
            storage::SnapshotInfo meta;
            meta.kind = QString::fromLatin1(kind);
            meta.key = {QStringLiteral("fp"), 1, QStringLiteral("hash-") + meta.kind, 100};
            auto w = store.beginWrite(meta);
            QVERIFY(w.ok());
            const QByteArray state(8192, 'x');
            QVERIFY((*w)->write(state.constData(), size_t(state.size())).ok());
            auto saved = (*w)->commit();
            QVERIFY2(saved.ok(), qPrintable(saved.status().message()));
            QCOMPARE(saved->sessionId, qint64(0));
            out.snapshotIds.push_back(saved->id);
        }
        const auto turn = conv->saveTurn("A question?", false, out, "test", {}, &error);
        QVERIFY2(turn, qPrintable(error));
        const qint64 sid = conv->sessionId();
        QCOMPARE(store.get(out.snapshotIds[0])->sessionId, sid);
        QCOMPARE(store.get(out.snapshotIds[0])->messageId, qint64(0)); // the sources' prefix
        QCOMPARE(store.get(out.snapshotIds[1])->sessionId, sid);
        QCOMPARE(store.get(out.snapshotIds[1])->messageId, turn->answer);
        QVERIFY(storage::SessionStore(conv->database()).remove(sid).ok());
        QVERIFY(store.list()->empty());
    }

    void plainRequestsPassThrough()
    {
        const size_t before = messages().size();
        const HttpReply r = httpRequest(m_port, "POST", "/v1/chat/completions", body({}));
        QCOMPARE(r.status, 200);
        std::lock_guard lock(m_backend->mutex);
        QCOMPARE(m_backend->last.messages.size(), size_t(1));
        QCOMPARE(messages().size(), before);
    }
};

QTEST_GUILESS_MAIN(TestServerSessions)
#include "tst_server_sessions.moc"
