// The server's pure parts: the OpenAI request parser (what each field becomes, what is refused),
// the response objects' exact shape, and stop sequences over a stream cut at every position.
#include "app/server/openai_protocol.h"
#include "app/server/stop_matcher.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace folio;
using namespace folio::server;

class TestServerProtocol : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesAFullRequest()
    {
        // (Not a raw string literal: moc misparses multi-line ones.)
        const std::string body
            = "{\n"
              "\"model\": \"deepseek-v4-flash\", \"stream\": true, \"max_tokens\": 64,\n"
              "\"temperature\": 0.7, \"top_p\": 0.9, \"top_k\": -1, \"min_p\": 0.05, \"seed\": "
              "42,\n"
              "\"stop\": \"END\", \"thinking\": {\"type\": \"enabled\"}, \"reasoning_effort\": "
              "\"max\",\n"
              "\"folio_session\": \"my-session\",\n"
              "\"messages\": [\n"
              "{\"role\": \"system\", \"content\": \"Be brief.\"},\n"
              "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hello \"},\n"
              "{\"type\": \"text\", \"text\": \"there\"}]},\n"
              "{\"role\": \"assistant\", \"content\": null, \"reasoning_content\": \"hmm\",\n"
              "\"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\",\n"
              "\"function\": {\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}}]},\n"
              "{\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\": \"42\"}\n"
              "]}";
        auto parsed = parseChatCompletionRequest(body);
        QVERIFY2(std::holds_alternative<ChatCompletionRequest>(parsed),
                 std::get_if<ApiError>(&parsed) ? std::get<ApiError>(parsed).message.c_str() : "");
        const ChatCompletionRequest &r = std::get<ChatCompletionRequest>(parsed);
        QCOMPARE(r.model, std::string("deepseek-v4-flash"));
        QVERIFY(r.stream);
        QCOMPARE(r.generation.maxTokens, 64);
        QCOMPARE(*r.generation.sampling.temperature, 0.7);
        QCOMPARE(*r.generation.sampling.topK, 0); // -1 = off
        QCOMPARE(*r.generation.sampling.minP, 0.05);
        QCOMPARE(*r.generation.sampling.seed, std::uint64_t(42));
        QCOMPARE(r.stop, std::vector<std::string>{"END"});
        QCOMPARE(r.generation.mode, chat::ThinkingMode::Thinking);
        QCOMPARE(r.generation.reasoningEffort, std::string("max"));
        QCOMPARE(r.generation.session, std::string("my-session"));
        QCOMPARE(r.generation.messages.size(), size_t(4));
        QCOMPARE(r.generation.messages[1].content, std::string("Hello there"));
        QCOMPARE(r.generation.messages[2].reasoning_content, std::string("hmm"));
        QCOMPARE(r.generation.messages[2].tool_calls.at(0).name, std::string("f"));
        QCOMPARE(r.generation.messages[2].tool_calls.at(0).arguments, std::string("{\"a\": 1}"));
        QCOMPARE(r.generation.messages[3].tool_call_id, std::string("c1"));
    }

    void defaultsAreChatModeNoLimits()
    {
        auto parsed = parseChatCompletionRequest(R"({"messages":[{"role":"user","content":"x"}]})");
        const ChatCompletionRequest &r = std::get<ChatCompletionRequest>(parsed);
        QVERIFY(!r.stream);
        QCOMPARE(r.generation.mode, chat::ThinkingMode::Chat);
        QCOMPARE(r.generation.maxTokens, 0);
        QVERIFY(!r.generation.sampling.temperature);
        QVERIFY(r.stop.empty());
    }

    // The messages are read by the chat format's reader (chat::parse_messages_json), which keeps a
    // tool schema's key order as the model was trained on it (json.dumps order), and "tools": []
    // means no tools.
    void toolsKeepTheirKeyOrder()
    {
        auto parsed = parseChatCompletionRequest(
            R"({"tools":[{"type":"function","function":{"name":"f","parameters":{"zeta":1,"alpha":2}}}],"messages":[{"role":"user","content":"x"}]})");
        QVERIFY(std::holds_alternative<ChatCompletionRequest>(parsed));
        const std::string &tools
            = std::get<ChatCompletionRequest>(parsed).generation.messages.front().tools_json;
        QVERIFY2(tools.find("zeta") < tools.find("alpha"), tools.c_str());
        auto none = parseChatCompletionRequest(
            R"({"tools":[],"messages":[{"role":"user","content":"x"}]})");
        QVERIFY(
            std::get<ChatCompletionRequest>(none).generation.messages.front().tools_json.empty());
    }

    void sessionByFieldOrModelName_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("session");
        QTest::newRow("field, number")
            << QByteArray(R"({"folio_session":12,"messages":[{"role":"user","content":"x"}]})")
            << "12";
        QTest::newRow("field, title") << QByteArray(
            R"({"folio_session":" My notes ","messages":[{"role":"user","content":"x"}]})")
                                      << "My notes";
        QTest::newRow("model name") << QByteArray(
            R"({"model":"folio:session/7","messages":[{"role":"user","content":"x"}]})")
                                    << "7";
        QTest::newRow("field wins") << QByteArray(
            R"({"model":"folio:session/7","folio_session":"9","messages":[{"role":"user","content":"x"}]})")
                                    << "9";
        QTest::newRow("other model")
            << QByteArray(R"({"model":"folio-session","messages":[{"role":"user","content":"x"}]})")
            << "";
    }

    void sessionByFieldOrModelName()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, session);
        auto parsed = parseChatCompletionRequest(body.toStdString());
        QVERIFY(std::holds_alternative<ChatCompletionRequest>(parsed));
        QCOMPARE(QString::fromStdString(std::get<ChatCompletionRequest>(parsed).generation.session),
                 session);
    }

    void errorsNameTheField_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("param");
        QTest::newRow("model type")
            << QByteArray(R"({"model":3,"messages":[{"role":"user","content":"x"}]})") << "model";
        QTest::newRow("message role")
            << QByteArray(R"({"messages":[{"content":"x"}]})") << "messages[0].role";
        QTest::newRow("top_p zero")
            << QByteArray(R"({"top_p":0,"messages":[{"role":"user","content":"x"}]})") << "top_p";
        QTest::newRow("seed fraction")
            << QByteArray(R"({"seed":1.5,"messages":[{"role":"user","content":"x"}]})") << "seed";
        QTest::newRow("stream type")
            << QByteArray(R"({"stream":"yes","messages":[{"role":"user","content":"x"}]})")
            << "stream";
        QTest::newRow("thinking type") << QByteArray(
            R"({"thinking":{"type":"maybe"},"messages":[{"role":"user","content":"x"}]})")
                                       << "thinking.type";
        QTest::newRow("empty stop")
            << QByteArray(R"({"stop":[""],"messages":[{"role":"user","content":"x"}]})") << "stop";
        QTest::newRow("too many stops") << QByteArray(
            R"({"stop":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"],"messages":[{"role":"user","content":"x"}]})")
                                        << "stop";
        QTest::newRow("image part") << QByteArray(
            R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]})")
                                    << "messages[0].content";
        QTest::newRow("tool call without a name") << QByteArray(
            R"({"messages":[{"role":"assistant","tool_calls":[{"function":{}}]},{"role":"user","content":"x"}]})")
                                                  << "messages[0].tool_calls";
        QTest::newRow("session fraction")
            << QByteArray(R"({"folio_session":1.5,"messages":[{"role":"user","content":"x"}]})")
            << "folio_session";
        QTest::newRow("session model without id")
            << QByteArray(R"({"model":"folio:session/","messages":[{"role":"user","content":"x"}]})")
            << "model";
        QTest::newRow("empty user") << QByteArray(R"({"messages":[{"role":"user","content":""}]})")
                                    << "messages[0].content";
        QTest::newRow("tool_choice required") << QByteArray(
            R"({"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","messages":[{"role":"user","content":"x"}]})")
                                              << "tool_choice";
    }

    void errorsNameTheField()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, param);
        auto parsed = parseChatCompletionRequest(body.toStdString());
        QVERIFY(std::holds_alternative<ApiError>(parsed));
        const ApiError &e = std::get<ApiError>(parsed);
        QCOMPARE(e.httpStatus, 400);
        QCOMPARE(QString::fromStdString(e.param), param);
        QVERIFY(QString::fromStdString(e.message).startsWith(param));
    }

    void errorBodyIsOpenAiShaped()
    {
        ApiError e;
        e.message = "bad \"quote\"\n";
        e.code = "invalid_api_key";
        const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(errorBody(e)))
                                  .object()["error"]
                                  .toObject();
        QCOMPARE(o["message"].toString(), QString("bad \"quote\"\n"));
        QCOMPARE(o["type"].toString(), QString("invalid_request_error"));
        QVERIFY(o["param"].isNull());
        QCOMPARE(o["code"].toString(), QString("invalid_api_key"));
    }

    void chunksAreExactlyOpenAiShaped()
    {
        ResponseWriter w("chatcmpl-1", 1700000000, "m");
        QCOMPARE(QByteArray::fromStdString(w.deltaChunk(DeltaKind::Content, "a\"b")),
                 QByteArray("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
                            "\"created\":1700000000,\"model\":\"m\",\"system_fingerprint\":null,"
                            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\\\"b\"},"
                            "\"logprobs\":null,\"finish_reason\":null}]}\n\n"));
        GenerationResult u;
        u.promptTokens = 10;
        u.cachedPromptTokens = 6;
        u.completionTokens = 3;
        const QByteArray fin = QByteArray::fromStdString(w.finalChunk(FinishReason::Length, u));
        QVERIFY(fin.startsWith("data: {") && fin.endsWith("}\n\n"));
        const QJsonObject o = QJsonDocument::fromJson(fin.mid(6)).object();
        QCOMPARE(o["choices"].toArray()[0].toObject()["finish_reason"].toString(),
                 QString("length"));
        QCOMPARE(o["usage"].toObject()["total_tokens"].toInt(), 13);
        QCOMPARE(o["usage"].toObject()["prompt_tokens_details"].toObject()["cached_tokens"].toInt(),
                 6);
        QCOMPARE(o["usage"].toObject()["prompt_cache_miss_tokens"].toInt(), 4);
        const QJsonObject c = QJsonDocument::fromJson(
                                  QByteArray::fromStdString(
                                      w.completion("ans", "why", FinishReason::Stop, u)))
                                  .object();
        QCOMPARE(c["object"].toString(), QString("chat.completion"));
        QCOMPARE(c["choices"]
                     .toArray()[0]
                     .toObject()["message"]
                     .toObject()["reasoning_content"]
                     .toString(),
                 QString("why"));
        QCOMPARE(QByteArray::fromStdString(ResponseWriter::done()), QByteArray("data: [DONE]\n\n"));
    }

    void jsonStringEscapesControlCharacters()
    {
        std::string out;
        folio::chat::append_json_string(out, std::string("a\x01\tb\xc3\xa9", 6));
        QCOMPARE(QByteArray::fromStdString(out), QByteArray("\"a\\u0001\\tb\xc3\xa9\""));
    }

    // Every way of cutting the stream into pieces gives the same emitted text and match.
    void stopMatcherIsIndependentOfChunking_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("stops");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("stopped");
        QTest::newRow("no stops") << "abc" << QStringList{} << "abc" << false;
        QTest::newRow("match in the middle")
            << "hello END world" << QStringList{"END"} << "hello " << true;
        QTest::newRow("earliest of two") << "xxBByyAA" << QStringList{"AA", "BB"} << "xx" << true;
        QTest::newRow("partial at the end is released")
            << "abcEN" << QStringList{"END"} << "abcEN" << false;
        QTest::newRow("overlapping prefix") << "aaab" << QStringList{"aab"} << "a" << true;
        QTest::newRow("utf-8 stop") << "résumé: done" << QStringList{"é:"} << "résum" << true;
    }

    void stopMatcherIsIndependentOfChunking()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, stops);
        QFETCH(QString, expected);
        QFETCH(bool, stopped);
        const std::string t = text.toStdString();
        std::vector<std::string> s;
        for (const QString &x : stops)
            s.push_back(x.toStdString());
        for (size_t piece = 1; piece <= t.size(); ++piece) {
            StopMatcher m(s);
            std::string out;
            for (size_t i = 0; i < t.size() && !m.stopped(); i += piece)
                out += m.push(std::string_view(t).substr(i, piece));
            out += m.finish();
            QCOMPARE(QString::fromStdString(out), expected);
            QCOMPARE(m.stopped(), stopped);
        }
    }
};

QTEST_GUILESS_MAIN(TestServerProtocol)
#include "tst_server_protocol.moc"
