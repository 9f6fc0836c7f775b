// The remote-endpoint client: against Folio's own server (with a scripted backend), and against a
// scripted HTTP server on loopback for what a real endpoint does wrong: 401/404/400 (no retry),
// 429/5xx and refused connections (retried with backoff), a stall (timeout), an error mid-stream.
// Also the SSE parser cut at every byte, the request body per thinking style, and the key file.
#include "app/remote/api_key_store.h"
#include "app/remote/openai_client.h"
#include "app/remote/sse_parser.h"
#include "app/server/http_server.h"
#include "server_test_support.h"

#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace folio;
using namespace folio::remote;

namespace {

// Answers each connection with the next canned reply ("" = never answer), counting them.
class ScriptedHttp : public QObject
{
public:
    QList<QByteArray> replies;
    int connections = 0;
    QTcpServer server;
    QList<QByteArray> requests;

    ScriptedHttp()
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                const QByteArray reply = replies.value(connections);
                ++connections;
                connect(s, &QTcpSocket::readyRead, s, [this, s, reply] {
                    s->setProperty("buf", s->property("buf").toByteArray() + s->readAll());
                    const QByteArray buf = s->property("buf").toByteArray();
                    const qsizetype end = buf.indexOf("\r\n\r\n");
                    if (end < 0 || s->property("answered").toBool())
                        return;
                    const qsizetype lenAt = buf.toLower().indexOf("content-length:");
                    const int len = lenAt < 0 ? 0
                                              : buf.mid(lenAt + 15,
                                                        buf.indexOf("\r\n", lenAt) - lenAt - 15)
                                                    .trimmed()
                                                    .toInt();
                    if (buf.size() < end + 4 + len)
                        return;
                    requests.push_back(buf);
                    s->setProperty("answered", true);
                    if (reply.isEmpty())
                        return; // stall
                    s->write(reply);
                    s->disconnectFromHost();
                });
            }
        });
    }
    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(server.serverPort()));
    }
};

QByteArray httpReply(int status, const QByteArray &body, const QByteArray &extra = {},
                     const QByteArray &type = "application/json")
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: " + type
           + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n"
           + extra + "\r\n" + body;
}

const QByteArray kStream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"O\"}}]}\n\n"
                           "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"K\"},"
                           "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
                           "\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";

RemoteRequest hello(bool stream = true)
{
    RemoteRequest r;
    r.messages = QJsonArray{QJsonObject{{"role", "user"}, {"content", "Hi"}}};
    r.stream = stream;
    return r;
}

RemoteEndpoint fastEndpoint(const QUrl &url)
{
    RemoteEndpoint ep;
    ep.baseUrl = url;
    ep.model = "m";
    ep.initialBackoffMs = 10;
    ep.maxBackoffMs = 40;
    ep.idleTimeoutMs = 5000;
    return ep;
}

} // namespace

class TestRemote : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void talksToFolioServer_data()
    {
        QTest::addColumn<bool>("stream");
        QTest::newRow("streamed") << true;
        QTest::newRow("plain") << false;
    }

    void talksToFolioServer()
    {
        QFETCH(bool, stream);
        auto backend = std::make_shared<folio::test::FakeBackend>();
        backend->script = {{server::DeltaKind::Reasoning, "think"},
                           {server::DeltaKind::Content, "Hel"},
                           {server::DeltaKind::Content, "lo é"}};
        server::ServerOptions options;
        options.port = 0;
        options.apiKey = "k3y";
        server::LocalServer srv(backend, options);
        QVERIFY(srv.start());
        RemoteEndpoint ep = fastEndpoint(
            QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(srv.port())));
        ep.apiKey = "k3y";
        RemoteRequest req = hello(stream);
        req.thinking = true;
        QString streamed;
        auto out = OpenAiClient::runBlocking(ep, req, [&](bool reasoning, const QString &t) {
            if (!reasoning)
                streamed += t;
        });
        QVERIFY2(std::holds_alternative<RemoteResult>(out),
                 qPrintable(std::get_if<RemoteError>(&out) ? std::get<RemoteError>(out).message
                                                           : ""));
        const RemoteResult r = std::get<RemoteResult>(out);
        QCOMPARE(r.content, QString("Hello é"));
        QCOMPARE(streamed, QString("Hello é"));
        QCOMPARE(r.reasoning, QString("think"));
        QCOMPARE(r.finishReason, QString("stop"));
        QCOMPARE(r.completionTokens, 3);
        QCOMPARE(r.model, QString("fake-model"));
        std::lock_guard lock(backend->mutex);
        QCOMPARE(backend->last.mode, chat::ThinkingMode::Thinking);
    }

    void httpErrorsAreClearAndNotRetried_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("says");
        QTest::newRow("401") << 401 << int(RemoteError::Unauthorized) << "rejected the API key";
        QTest::newRow("403") << 403 << int(RemoteError::Unauthorized) << "rejected the API key";
        QTest::newRow("404") << 404 << int(RemoteError::NotFound) << "model name \"m\"";
        QTest::newRow("400") << 400 << int(RemoteError::BadRequest) << "refused the request";
    }

    void httpErrorsAreClearAndNotRetried()
    {
        QFETCH(int, status);
        QFETCH(int, kind);
        QFETCH(QString, says);
        ScriptedHttp http;
        const QByteArray key = "sk-0123456789abcdef";
        http.replies = {httpReply(status, R"({"error":{"message":"Bad key sk-01234567****"}})")};
        RemoteEndpoint ep = fastEndpoint(http.url());
        ep.apiKey = QString::fromLatin1(key);
        auto out = OpenAiClient::runBlocking(ep, hello());
        QVERIFY(std::holds_alternative<RemoteError>(out));
        const RemoteError e = std::get<RemoteError>(out);
        QCOMPARE(int(e.kind), kind);
        QCOMPARE(e.httpStatus, status);
        QVERIFY2(e.message.contains(says), qPrintable(e.message));
        QVERIFY2(!e.message.contains("sk-01234567"), "the key never appears in errors");
        QCOMPARE(http.connections, 1);
        QVERIFY(http.requests.first().contains("Authorization: Bearer " + key));
    }

    void transientFailuresAreRetried()
    {
        ScriptedHttp http;
        http.replies = {httpReply(503, "{}"), httpReply(429, "{}", "Retry-After: 0\r\n"),
                        httpReply(200, kStream, {}, "text/event-stream")};
        OpenAiClient client(fastEndpoint(http.url()));
        QSignalSpy retrying(&client, &OpenAiClient::retrying);
        QSignalSpy finished(&client, &OpenAiClient::finished);
        client.start(hello());
        QVERIFY(finished.wait(10000));
        QCOMPARE(retrying.size(), 2);
        const RemoteResult r = finished.first().first().value<RemoteResult>();
        QCOMPARE(r.content, QString("OK"));
        QCOMPARE(r.attempts, 3);
        QCOMPARE(r.promptTokens, 5);
        QCOMPARE(http.connections, 3);
    }

    void givesUpAfterMaxAttempts()
    {
        ScriptedHttp http;
        http.replies = {httpReply(500, "{}"), httpReply(502, "{}"), httpReply(500, "{}"),
                        httpReply(200, kStream, {}, "text/event-stream")};
        RemoteEndpoint ep = fastEndpoint(http.url());
        ep.maxAttempts = 3;
        auto out = OpenAiClient::runBlocking(ep, hello());
        QVERIFY(std::holds_alternative<RemoteError>(out));
        QCOMPARE(std::get<RemoteError>(out).kind, RemoteError::ServerError);
        QVERIFY(std::get<RemoteError>(out).message.contains("after 3 attempts"));
        QCOMPARE(http.connections, 3);
    }

    void refusedConnectionIsANetworkError()
    {
        quint16 port;
        {
            QTcpServer s;
            s.listen(QHostAddress::LocalHost, 0);
            port = s.serverPort();
        } // closed: nothing listens there now
        RemoteEndpoint ep = fastEndpoint(QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(port)));
        ep.maxAttempts = 2;
        auto out = OpenAiClient::runBlocking(ep, hello());
        QVERIFY(std::holds_alternative<RemoteError>(out));
        QCOMPARE(std::get<RemoteError>(out).kind, RemoteError::Network);
        QVERIFY(std::get<RemoteError>(out).message.contains("Cannot reach"));
        QCOMPARE(std::get<RemoteError>(out).attempts, 2);
    }

    void stallIsATimeout()
    {
        ScriptedHttp http;
        http.replies = {QByteArray()}; // accept, read, never answer
        RemoteEndpoint ep = fastEndpoint(http.url());
        ep.idleTimeoutMs = 300;
        ep.maxAttempts = 1;
        QElapsedTimer t;
        t.start();
        auto out = OpenAiClient::runBlocking(ep, hello());
        QVERIFY(std::holds_alternative<RemoteError>(out));
        QCOMPARE(std::get<RemoteError>(out).kind, RemoteError::Timeout);
        QVERIFY(t.elapsed() < 5000);
    }

    void errorEventMidStream()
    {
        ScriptedHttp http;
        http.replies = {
            httpReply(200,
                      "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"
                      "data: {\"error\":{\"message\":\"timed out\"}}\n\ndata: [DONE]\n\n",
                      {}, "text/event-stream")};
        auto out = OpenAiClient::runBlocking(fastEndpoint(http.url()), hello());
        QVERIFY(std::holds_alternative<RemoteError>(out));
        QVERIFY(std::get<RemoteError>(out).message.contains("timed out"));
        QCOMPARE(http.connections, 1); // part of the answer arrived: never retried
    }

    void truncatedStreamIsAnError()
    {
        ScriptedHttp http;
        http.replies = {httpReply(200, "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n",
                                  {}, "text/event-stream")};
        auto out = OpenAiClient::runBlocking(fastEndpoint(http.url()), hello());
        QVERIFY(std::holds_alternative<RemoteError>(out));
        QVERIFY(std::get<RemoteError>(out).message.contains("middle of the answer"));
    }

    void requestBodyPerThinkingStyle_data()
    {
        QTest::addColumn<int>("style");
        QTest::addColumn<QByteArray>("fragment");
        QTest::newRow("deepseek") << int(ThinkingStyle::DeepSeek)
                                  << QByteArray(R"("thinking":{"type":"enabled"})");
        QTest::newRow("vllm") << int(ThinkingStyle::ChatTemplateKwargs)
                              << QByteArray(R"("chat_template_kwargs":{"thinking":true})");
        QTest::newRow("openrouter")
            << int(ThinkingStyle::OpenRouter) << QByteArray(R"("reasoning":{"enabled":true})");
    }

    void requestBodyPerThinkingStyle()
    {
        QFETCH(int, style);
        QFETCH(QByteArray, fragment);
        RemoteEndpoint ep;
        ep.model = "deepseek-v4-pro";
        ep.thinking = ThinkingStyle(style);
        OpenAiClient client(ep);
        RemoteRequest r = hello();
        r.thinking = true;
        r.maxTokens = 100;
        const QByteArray body = client.requestBody(r);
        QVERIFY2(body.contains(fragment), body.constData());
        QVERIFY(body.contains(R"("model":"deepseek-v4-pro")"));
        QVERIFY(body.contains(R"("max_tokens":100)"));
        QVERIFY(body.contains(R"("stream":true)"));
    }

    void presets()
    {
        const EndpointPreset *ds = findPreset("deepseek");
        QVERIFY(ds);
        QVERIFY(ds->models.contains("deepseek-v4-flash"));
        QVERIFY(ds->models.contains("deepseek-v4-pro"));
        QVERIFY(findPreset("openrouter") && findPreset("vllm") && findPreset("sglang"));
        QCOMPARE(presetForUrl(QUrl("https://api.deepseek.com/v1")), ds);
        QCOMPARE(presetForUrl(QUrl("http://127.0.0.1:8000/v1"))->id, QString("vllm"));
    }

    void sseParserIsIndependentOfChunking()
    {
        const QByteArray stream = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\ndata: line1\ndata: "
                                  "line2\n\nevent: x\ndata:nospace\n\ndata: [DONE]\n\n";
        const QList<QByteArray> expected = {"{\"a\":1}", "line1\nline2", "nospace", "[DONE]"};
        for (int piece = 1; piece <= stream.size(); ++piece) {
            SseParser p;
            QList<QByteArray> got;
            for (int i = 0; i < stream.size(); i += piece)
                got += p.feed(stream.mid(i, piece));
            QCOMPARE(got, expected);
        }
        SseParser p;
        QCOMPARE(p.feed("data: tail"), QList<QByteArray>{});
        QCOMPARE(p.flush(), QByteArray("tail"));
    }

    void keyFileIsOwnerOnly()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("keys/api-keys.json");
        ApiKeyStore store(path);
        const QUrl ds("https://api.deepseek.com/v1");
        QString error;
        QVERIFY2(store.setKey(ds, "sk-secret-1", &error), qPrintable(error));
        QCOMPARE(QFile(path).permissions() & 0x0077, QFileDevice::Permissions());
        QCOMPARE(store.key(QUrl("https://api.deepseek.com"), &error), QString("sk-secret-1"));
        QCOMPARE(store.key(QUrl("http://127.0.0.1:8000/v1")), QString());
        QVERIFY(store.setKey(QUrl("http://127.0.0.1:8000/v1"), "other"));
        QCOMPARE(store.key(ds), QString("sk-secret-1"));
        QVERIFY(store.setKey(ds, QString()));
        QCOMPARE(store.key(ds), QString());

        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                        | QFileDevice::ReadOther);
        error.clear();
        QCOMPARE(store.key(QUrl("http://127.0.0.1:8000/v1"), &error), QString());
        QVERIFY2(error.contains("chmod 600"), qPrintable(error));
        QVERIFY(!store.setKey(ds, "x"));
    }

    void redactRemovesKeys()
    {
        QCOMPARE(redact("key sk-0123456789abcdef bad", "sk-0123456789abcdef"),
                 QString("key *** bad"));
        QCOMPARE(redact("hint sk-01234567****", "sk-0123456789abcdef"), QString("hint *******"));
        QCOMPARE(redact("nothing", ""), QString("nothing"));
    }
};

QTEST_GUILESS_MAIN(TestRemote)
#include "tst_remote.moc"
