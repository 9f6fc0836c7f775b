// The server on Folio's engine with the demo model (tiny random weights, built by folio-mkmodel):
// prompt-prefix reuse across requests (a new question on the same system prompt, a resent longer
// conversation, the same request again) and that reuse changes nothing in the output (greedy
// answers equal those of a fresh backend), plus the remote client streaming from it.
#include "app/remote/openai_client.h"
#include "app/server/engine_backend.h"
#include "app/server/http_server.h"
#include "server_test_support.h"

#include <QJsonArray>
#include <QTest>

using namespace folio;
using namespace folio::server;
using folio::test::HttpReply;
using folio::test::httpRequest;

namespace {

const char *kModelDir = FOLIO_BINARY_DIR "/share/folio/demo-model";

QJsonObject msg(const char *role, const QString &content)
{
    return QJsonObject{{"role", role}, {"content", content}};
}

QByteArray body(const QJsonArray &messages, int maxTokens = 3)
{
    return QJsonDocument(
               QJsonObject{{"messages", messages}, {"max_tokens", maxTokens}, {"temperature", 0}})
        .toJson(QJsonDocument::Compact);
}

struct Answer
{
    int status = 0;
    QString content;
    int prompt = 0;
    int cached = 0;
};

Answer ask(int port, const QJsonArray &messages, int maxTokens = 3)
{
    const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions", body(messages, maxTokens),
                                    {}, 120000);
    const QJsonObject o = r.json();
    const QJsonObject usage = o["usage"].toObject();
    return {r.status,
            o["choices"].toArray()[0].toObject()["message"].toObject()["content"].toString(),
            usage["prompt_tokens"].toInt(),
            usage["prompt_tokens_details"].toObject()["cached_tokens"].toInt()};
}

} // namespace

class TestServerEngine : public QObject
{
    Q_OBJECT

    std::shared_ptr<EngineBackend> m_backend;
    std::unique_ptr<LocalServer> m_server;

private Q_SLOTS:
    void initTestCase()
    {
        auto b = EngineBackend::load(kModelDir, {});
        QVERIFY2(b, b ? "" : b.status().message().c_str());
        m_backend = *b;
        ServerOptions o;
        o.port = 0;
        m_server = std::make_unique<LocalServer>(m_backend, o);
        QVERIFY(m_server->start());
    }

    void cleanupTestCase() { m_server.reset(); }

    void prefixIsReusedAcrossRequests()
    {
        const int port = m_server->port();
        const QString sources = QString("Sources: ") + QString("alpha beta gamma ").repeated(40);
        const QJsonArray first{msg("system", sources), msg("user", "First question?")};
        const Answer a = ask(port, first);
        QCOMPARE(a.status, 200);
        QVERIFY(a.prompt > 100);

        // A new question on the same system prompt: the system prefix is reused.
        const Answer b = ask(port, {msg("system", sources), msg("user", "Second question?")});
        QCOMPARE(b.status, 200);
        QVERIFY2(b.cached >= 100 && b.cached < b.prompt,
                 qPrintable(QString("cached %1 of %2").arg(b.cached).arg(b.prompt)));

        // The client resends the conversation with one more turn: everything before is reused.
        const Answer c = ask(port, {msg("system", sources), msg("user", "Second question?"),
                                    msg("assistant", b.content), msg("user", "And then?")});
        QCOMPARE(c.status, 200);
        QVERIFY2(c.cached >= b.prompt,
                 qPrintable(QString("cached %1, previous prompt %2").arg(c.cached).arg(b.prompt)));

        // The same request again: served from the last prompt's state, same greedy answer.
        const Answer d = ask(port, {msg("system", sources), msg("user", "Second question?"),
                                    msg("assistant", b.content), msg("user", "And then?")});
        QCOMPARE(d.cached, d.prompt);
        QCOMPARE(d.content, c.content);
    }

    void reuseDoesNotChangeTheAnswer()
    {
        const QJsonArray conversation{msg("system",
                                          "You answer briefly. " + QString("x").repeated(50)),
                                      msg("user", "Tell me something.")};
        const Answer warm = ask(m_server->port(), conversation, 5);
        // A fresh backend and server: no state to reuse.
        auto fresh = EngineBackend::load(kModelDir, {});
        QVERIFY(fresh);
        ServerOptions o;
        o.port = 0;
        LocalServer other(*fresh, o);
        QVERIFY(other.start());
        const Answer cold = ask(other.port(), conversation, 5);
        QCOMPARE(cold.cached, 0);
        QCOMPARE(warm.content, cold.content);
    }

    void remoteClientStreamsFromIt()
    {
        remote::RemoteEndpoint ep;
        ep.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(m_server->port()));
        ep.model = "whatever";
        remote::RemoteRequest r;
        r.messages = QJsonArray{msg("user", "Stream please")};
        r.maxTokens = 4;
        r.temperature = 0;
        int deltas = 0;
        auto out = remote::OpenAiClient::runBlocking(ep, r,
                                                     [&](bool, const QString &) { ++deltas; });
        QVERIFY2(std::holds_alternative<remote::RemoteResult>(out),
                 qPrintable(std::get_if<remote::RemoteError>(&out)
                                ? std::get<remote::RemoteError>(out).message
                                : ""));
        const remote::RemoteResult res = std::get<remote::RemoteResult>(out);
        QVERIFY(res.completionTokens > 0 && res.completionTokens <= 4);
        QVERIFY(deltas > 0 || res.content.isEmpty());
        QCOMPARE(res.model, QString("demo-model"));
    }
};

QTEST_GUILESS_MAIN(TestServerEngine)
#include "tst_server_engine.moc"
