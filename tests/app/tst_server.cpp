// The local OpenAI-compatible server's HTTP behaviour with a scripted backend (no model): routes,
// plain and streamed completions, thinking mode, stop sequences, the API key, malformed JSON,
// size limits, the bounded queue (429), timeouts, a client that disconnects mid-stream, shutdown.
// The engine backend and the official `openai` client are tested in tst_server_engine and
// tests/app/python.
#include "app/server/http_server.h"
#include "server_test_support.h"

#include <QJsonArray>
#include <QTest>

#include <future>
#include <memory>

using namespace folio;
using namespace folio::server;
using folio::test::FakeBackend;
using folio::test::HttpReply;
using folio::test::httpRequest;

namespace {

const QByteArray kHello = R"({"model":"anything","messages":[{"role":"user","content":"Hi"}]})";

QByteArray chatBody(const QJsonObject &extra)
{
    QJsonObject o{{"model", "whatever"},
                  {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Hi"}}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        o.insert(it.key(), it.value());
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class TestServer : public QObject
{
    Q_OBJECT

    std::shared_ptr<FakeBackend> m_backend;
    std::unique_ptr<LocalServer> m_server;

    int startServer(ServerOptions o = {})
    {
        o.port = 0;
        m_server = std::make_unique<LocalServer>(m_backend, o);
        const Status st = m_server->start();
        if (!st)
            qFatal("server start: %s", st.message().c_str());
        return m_server->port();
    }

private Q_SLOTS:
    void init() { m_backend = std::make_shared<FakeBackend>(); }
    void cleanup()
    {
        m_server.reset();
        m_backend.reset();
    }

    void modelsListsTheLoadedModel()
    {
        const int port = startServer();
        const HttpReply r = httpRequest(port, "GET", "/v1/models");
        QCOMPARE(r.status, 200);
        const QJsonArray data = r.json().value("data").toArray();
        QCOMPARE(data.size(), 1);
        QCOMPARE(data[0].toObject().value("id").toString(), QString("fake-model"));
        QCOMPARE(data[0].toObject().value("object").toString(), QString("model"));
        QCOMPARE(httpRequest(port, "GET", "/v1/models/fake-model").status, 200);
        const HttpReply missing = httpRequest(port, "GET", "/v1/models/other");
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json().value("error").toObject().value("code").toString(),
                 QString("model_not_found"));
    }

    void unknownRouteIsAnOpenAiError()
    {
        const int port = startServer();
        const HttpReply r = httpRequest(port, "GET", "/v1/nothing");
        QCOMPARE(r.status, 404);
        QVERIFY2(r.errorMessage().contains("/v1/nothing"), r.body.constData());
    }

    void nonStreamedCompletion()
    {
        const int port = startServer();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions", kHello);
        QCOMPARE(r.status, 200);
        const QJsonObject o = r.json();
        QCOMPARE(o.value("object").toString(), QString("chat.completion"));
        QCOMPARE(o.value("model").toString(), QString("fake-model")); // any name is answered
        const QJsonObject choice = o.value("choices").toArray()[0].toObject();
        QCOMPARE(choice.value("message").toObject().value("content").toString(),
                 QString("Hello world"));
        QCOMPARE(choice.value("message").toObject().value("role").toString(), QString("assistant"));
        QCOMPARE(choice.value("finish_reason").toString(), QString("stop"));
        const QJsonObject usage = o.value("usage").toObject();
        QCOMPARE(usage.value("prompt_tokens").toInt(), 2);
        QCOMPARE(usage.value("completion_tokens").toInt(), 2);
        QCOMPARE(usage.value("total_tokens").toInt(), 4);
    }

    void streamedCompletion()
    {
        const int port = startServer();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions",
                                        chatBody({{"stream", true}}));
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("content-type").startsWith("text/event-stream"));
        bool done = false;
        const QList<QJsonObject> events = folio::test::sseEvents(r.body, &done);
        QVERIFY2(done, "the stream ends with data: [DONE]");
        QVERIFY(events.size() >= 3);
        QCOMPARE(
            events.first()["choices"].toArray()[0].toObject()["delta"].toObject()["role"].toString(),
            QString("assistant"));
        QString text;
        for (const QJsonObject &e : events) {
            QCOMPARE(e.value("object").toString(), QString("chat.completion.chunk"));
            QCOMPARE(e.value("id").toString(), events.first().value("id").toString());
            text += e["choices"].toArray()[0].toObject()["delta"].toObject()["content"].toString();
        }
        QCOMPARE(text, QString("Hello world"));
        const QJsonObject last = events.last();
        QCOMPARE(last["choices"].toArray()[0].toObject()["finish_reason"].toString(),
                 QString("stop"));
        QCOMPARE(last["usage"].toObject()["completion_tokens"].toInt(), 2);
    }

    void thinkingModeStreamsReasoningContent()
    {
        m_backend->script = {{DeltaKind::Reasoning, "Let me see."}, {DeltaKind::Content, "Yes."}};
        const int port = startServer();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions",
                                        chatBody({{"stream", true},
                                                  {"thinking", QJsonObject{{"type", "enabled"}}}}));
        QCOMPARE(r.status, 200);
        QString reasoning, content;
        for (const QJsonObject &e : folio::test::sseEvents(r.body)) {
            const QJsonObject delta = e["choices"].toArray()[0].toObject()["delta"].toObject();
            reasoning += delta["reasoning_content"].toString();
            content += delta["content"].toString();
        }
        QCOMPARE(reasoning, QString("Let me see."));
        QCOMPARE(content, QString("Yes."));
        {
            std::lock_guard lock(m_backend->mutex);
            QCOMPARE(m_backend->last.mode, chat::ThinkingMode::Thinking);
        }

        const HttpReply plain = httpRequest(port, "POST", "/v1/chat/completions",
                                            chatBody({{"chat_template_kwargs",
                                                       QJsonObject{{"thinking", true}}}}));
        const QJsonObject msg = plain.json()["choices"].toArray()[0].toObject()["message"].toObject();
        QCOMPARE(msg["reasoning_content"].toString(), QString("Let me see."));
        QCOMPARE(msg["content"].toString(), QString("Yes."));
    }

    void samplingAndLimitsReachTheBackend()
    {
        m_backend->script.assign(10, {DeltaKind::Content, "x"});
        const int port = startServer();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions",
                                        chatBody({{"max_tokens", 3},
                                                  {"temperature", 0.25},
                                                  {"top_p", 0.5},
                                                  {"seed", 7},
                                                  {"top_k", 20}}));
        QCOMPARE(r.status, 200);
        const QJsonObject choice = r.json()["choices"].toArray()[0].toObject();
        QCOMPARE(choice["message"].toObject()["content"].toString(), QString("xxx"));
        QCOMPARE(choice["finish_reason"].toString(), QString("length"));
        std::lock_guard lock(m_backend->mutex);
        QCOMPARE(m_backend->last.maxTokens, 3);
        QCOMPARE(*m_backend->last.sampling.temperature, 0.25);
        QCOMPARE(*m_backend->last.sampling.topP, 0.5);
        QCOMPARE(*m_backend->last.sampling.seed, std::uint64_t(7));
        QCOMPARE(*m_backend->last.sampling.topK, 20);
    }

    void stopSequenceEndsTheAnswer_data()
    {
        QTest::addColumn<bool>("stream");
        QTest::newRow("plain") << false;
        QTest::newRow("streamed") << true;
    }

    void stopSequenceEndsTheAnswer()
    {
        QFETCH(bool, stream);
        m_backend->script = {{DeltaKind::Content, "Hello wo"},
                             {DeltaKind::Content, "rld. And"},
                             {DeltaKind::Content, " more"}};
        const int port = startServer();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions",
                                        chatBody({{"stream", stream},
                                                  {"stop", QJsonArray{"zzz", "world"}}}));
        QCOMPARE(r.status, 200);
        QString text, finish;
        if (stream) {
            for (const QJsonObject &e : folio::test::sseEvents(r.body)) {
                const QJsonObject c = e["choices"].toArray()[0].toObject();
                text += c["delta"].toObject()["content"].toString();
                if (c["finish_reason"].isString())
                    finish = c["finish_reason"].toString();
            }
        } else {
            const QJsonObject c = r.json()["choices"].toArray()[0].toObject();
            text = c["message"].toObject()["content"].toString();
            finish = c["finish_reason"].toString();
        }
        QCOMPARE(text, QString("Hello "));
        QCOMPARE(finish, QString("stop"));
        QCOMPARE(m_backend->calls.load(), 1);
    }

    void malformedRequestsAre400_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("messageContains");
        QTest::newRow("not JSON") << QByteArray("{\"messages\": [") << "not valid JSON";
        QTest::newRow("array body") << QByteArray("[1,2]") << "JSON object";
        QTest::newRow("no messages") << QByteArray("{}") << "messages";
        QTest::newRow("empty messages") << QByteArray(R"({"messages":[]})") << "messages";
        QTest::newRow("bad role") << QByteArray(R"({"messages":[{"role":"robot","content":"x"}]})")
                                  << "unknown role";
        QTest::newRow("temperature out of range")
            << chatBody({{"temperature", 5}}) << "temperature";
        QTest::newRow("max_tokens zero") << chatBody({{"max_tokens", 0}}) << "max_tokens";
        QTest::newRow("n = 2") << chatBody({{"n", 2}}) << "n = 1";
        QTest::newRow("stop not text") << chatBody({{"stop", 3}}) << "stop";
        QTest::newRow("image part")
            << QByteArray(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})")
            << "only text";
        QTest::newRow("backend rejects") << chatBody(
            {{"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "fail-bad"}}}}})
                                         << "too long";
    }

    void malformedRequestsAre400()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, messageContains);
        const int port = startServer();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions", body);
        QCOMPARE(r.status, 400);
        const QJsonObject error = r.json().value("error").toObject();
        QCOMPARE(error.value("type").toString(), QString("invalid_request_error"));
        QVERIFY2(error.value("message").toString().contains(messageContains), r.body.constData());
    }

    void apiKey_data()
    {
        QTest::addColumn<QList<QByteArray>>("headers");
        QTest::addColumn<int>("status");
        QTest::newRow("missing") << QList<QByteArray>{} << 401;
        QTest::newRow("wrong") << QList<QByteArray>{"Authorization: Bearer nope"} << 401;
        QTest::newRow("prefix of the key")
            << QList<QByteArray>{"Authorization: Bearer s3cr"} << 401;
        QTest::newRow("not bearer") << QList<QByteArray>{"Authorization: s3cret"} << 401;
        QTest::newRow("right") << QList<QByteArray>{"Authorization: Bearer s3cret"} << 200;
    }

    void apiKey()
    {
        QFETCH(QList<QByteArray>, headers);
        QFETCH(int, status);
        ServerOptions o;
        o.apiKey = "s3cret";
        const int port = startServer(o);
        for (const QByteArray &path : {QByteArray("/v1/models")}) {
            const HttpReply r = httpRequest(port, "GET", path, {}, headers);
            QCOMPARE(r.status, status);
            if (status == 401) {
                QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                         QString("invalid_api_key"));
                QVERIFY2(!r.body.contains("nope"), "the sent key is never echoed");
            }
        }
        const HttpReply chat = httpRequest(port, "POST", "/v1/chat/completions", kHello, headers);
        QCOMPARE(chat.status, status);
        QCOMPARE(httpRequest(port, "GET", "/health").status, 200); // probes need no key
    }

    void bindingBeyondLoopbackNeedsAKey()
    {
        ServerOptions o;
        o.host = "0.0.0.0";
        QVERIFY(!validateServerOptions(o));
        QVERIFY(QString::fromStdString(validateServerOptions(o).message()).contains("--api-key"));
        o.apiKey = "k";
        QVERIFY(validateServerOptions(o));
        o.host = "127.0.0.1";
        o.apiKey.clear();
        QVERIFY(validateServerOptions(o));
        QVERIFY(isLoopbackHost("::1"));
        QVERIFY(isLoopbackHost("localhost"));
        QVERIFY(!isLoopbackHost("192.168.1.4"));
        ServerOptions open;
        open.host = "0.0.0.0";
        open.port = 0;
        LocalServer server(m_backend, open);
        QVERIFY(!server.start());
    }

    void oversizedBodyIs413()
    {
        ServerOptions o;
        o.maxBodyBytes = 1024;
        const int port = startServer(o);
        const QByteArray big = chatBody({{"padding", QString(4096, 'x')}});
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions", big);
        QCOMPARE(r.status, 413);
        QVERIFY2(r.errorMessage().contains("larger"), r.body.constData());
        QCOMPARE(m_backend->calls.load(), 0);
        // A body under the limit still works.
        QCOMPARE(httpRequest(port, "POST", "/v1/chat/completions", kHello).status, 200);
    }

    void oversizedHeadersAre431()
    {
        ServerOptions o;
        o.maxHeaderBytes = 1024;
        const int port = startServer(o);
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions", kHello,
                                        {"X-Padding: " + QByteArray(2000, 'y')});
        QCOMPARE(r.status, 431);
        QCOMPARE(m_backend->calls.load(), 0);
    }

    void requestsRunOneAtATime()
    {
        m_backend->delayMs = 50;
        const int port = startServer();
        std::vector<std::future<HttpReply>> replies;
        for (int i = 0; i < 4; ++i)
            replies.push_back(std::async(std::launch::async, [port] {
                return httpRequest(port, "POST", "/v1/chat/completions", kHello);
            }));
        for (auto &f : replies)
            QCOMPARE(f.get().status, 200);
        QCOMPARE(m_backend->calls.load(), 4);
        QCOMPARE(m_backend->maxRunning.load(), 1);
    }

    void fullQueueIs429()
    {
        m_backend->delayMs = 300; // two pieces: each request holds the engine ~600 ms
        ServerOptions o;
        o.maxWaiting = 1;
        const int port = startServer(o);
        std::vector<std::future<HttpReply>> replies;
        for (int i = 0; i < 4; ++i) {
            replies.push_back(std::async(std::launch::async, [port] {
                return httpRequest(port, "POST", "/v1/chat/completions", kHello);
            }));
            QTest::qWait(50); // arrive in order: 1 runs, 1 waits, 2 are refused
        }
        int ok = 0, busy = 0;
        for (auto &f : replies) {
            const HttpReply r = f.get();
            if (r.status == 200)
                ++ok;
            if (r.status == 429) {
                ++busy;
                QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                         QString("rate_limit_exceeded"));
                QCOMPARE(r.headers.value("retry-after"), QByteArray("1"));
            }
        }
        QCOMPARE(ok, 2);
        QCOMPARE(busy, 2);
        QCOMPARE(m_server->stats().rejectedBusy, 2);
    }

    void requestTimeoutIs504()
    {
        m_backend->delayMs = 3000;
        ServerOptions o;
        o.requestTimeout = std::chrono::seconds(1);
        const int port = startServer(o);
        QElapsedTimer t;
        t.start();
        const HttpReply r = httpRequest(port, "POST", "/v1/chat/completions", kHello);
        QCOMPARE(r.status, 504);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(), QString("timeout"));
        QVERIFY2(t.elapsed() < 2500, "the generation is cancelled at the deadline");
    }

    void clientDisconnectCancelsGeneration()
    {
        m_backend->script.assign(200, {DeltaKind::Content, "tok "});
        m_backend->delayMs = 20;
        ServerOptions o;
        o.keepAliveInterval = std::chrono::milliseconds(50);
        const int port = startServer(o);
        {
            QTcpSocket s;
            s.connectToHost("127.0.0.1", quint16(port));
            QVERIFY(s.waitForConnected(5000));
            const QByteArray body = chatBody({{"stream", true}});
            s.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    "application/json\r\nContent-Length: "
                    + QByteArray::number(body.size()) + "\r\n\r\n" + body);
            QByteArray got;
            while (got.count("tok ") < 3 && s.waitForReadyRead(5000))
                got += s.readAll();
            QVERIFY2(got.contains("tok"), got.constData());
            s.abort(); // hang up mid-stream
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_backend->running.load(), 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_server->stats().cancelledByClient >= 1, 2000);
        QVERIFY2(m_backend->cancelled.load() == 1, "the generation stopped early");
        // The engine is free again at once.
        m_backend->script = {{DeltaKind::Content, "next"}};
        m_backend->delayMs = 0;
        QCOMPARE(httpRequest(port, "POST", "/v1/chat/completions", kHello, {}, 5000).status, 200);
    }

    void stopEndsStreamsAndReturns()
    {
        m_backend->script.assign(1000, {DeltaKind::Content, "tok "});
        m_backend->delayMs = 20;
        const int port = startServer();
        auto reply = std::async(std::launch::async, [port] {
            return httpRequest(port, "POST", "/v1/chat/completions", chatBody({{"stream", true}}),
                               {}, 20000);
        });
        QTRY_VERIFY_WITH_TIMEOUT(m_backend->running.load() == 1, 5000);
        QElapsedTimer t;
        t.start();
        m_server->stop();
        QVERIFY2(t.elapsed() < 5000, "stop() does not wait for the generation to finish");
        const HttpReply r = reply.get();
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("shutting down") || r.body.contains("Cancelled"));
        QCOMPARE(m_backend->running.load(), 0);
    }
};

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
