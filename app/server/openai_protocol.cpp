// The OpenAI chat-completions wire format (see openai_protocol.h).
#include "app/server/openai_protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace folio::server {

namespace {

ApiError badField(const std::string &param, const std::string &message)
{
    ApiError e;
    e.httpStatus = 400;
    e.param = param;
    e.message = param + ": " + message;
    return e;
}

// The request's messages and tools, read by the chat format's own reader
// (chat::parse_messages_json: the one owner of "OpenAI-style messages -> chat::Message", shared
// with `folio-cli chat-render`); only the API's policies are checked here: known roles (before the
// reader, so the error names messages[i].role), a question in every user message, and tools that
// the server can honour. The reader's errors ("messages[2]: tool_calls: ...") become a 400 whose
// param names the message and field.
std::variant<std::vector<chat::Message>, ApiError> readMessages(const QJsonObject &o,
                                                                std::string_view body)
{
    const QJsonValue messages = o.value(QLatin1String("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty())
        return badField("messages", "expected a non-empty array of messages");
    static const char *const roles[] = {"system", "user", "assistant", "tool", "developer"};
    int index = 0;
    for (const QJsonValue &m : messages.toArray()) {
        const std::string where = "messages[" + std::to_string(index++) + "]";
        if (!m.isObject())
            return badField(where, "expected an object");
        const QJsonValue role = m.toObject().value(QLatin1String("role"));
        if (!role.isString())
            return badField(where + ".role", "expected a string");
        const std::string r = role.toString().toStdString();
        if (std::none_of(std::begin(roles), std::end(roles), [&](const char *k) { return r == k; }))
            return badField(where + ".role", "unknown role \"" + r
                                                 + "\" (system, user, assistant, tool, developer)");
    }
    const QJsonValue tools = o.value(QLatin1String("tools"));
    if (!tools.isUndefined() && !tools.isNull() && !tools.isArray())
        return badField("tools", "expected an array");
    // Tools are rendered into the prompt (the chat format supports them); the answer's tool calls
    // are returned as text, so a client that requires a call cannot be served.
    if (tools.isArray() && !tools.toArray().isEmpty()
        && o.value(QLatin1String("tool_choice")).toString() == QLatin1String("required"))
        return badField("tool_choice", "\"required\" is not supported by this server");

    Result<std::vector<chat::Message>> parsed = chat::parse_messages_json(body);
    if (!parsed) {
        // "messages[2]: tool_calls: ..." -> param "messages[2].tool_calls", and the message
        // "messages[2].tool_calls: ..." (every error message starts with its param).
        const std::string &text = parsed.status().message();
        ApiError e;
        e.message = text;
        const size_t colon = text.find(": ");
        e.param = colon == std::string::npos ? "messages" : text.substr(0, colon);
        const size_t next = colon == std::string::npos ? colon : text.find(": ", colon + 2);
        if (next != std::string::npos) {
            const std::string key = text.substr(colon + 2, next - colon - 2);
            if (!key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
                    return c == '_' || std::islower(static_cast<unsigned char>(c));
                })) {
                e.param += "." + key;
                e.message = e.param + text.substr(next);
            }
        }
        return e;
    }
    std::vector<chat::Message> out = std::move(*parsed);
    for (size_t i = 0; i < out.size(); ++i)
        if (out[i].role == "user" && out[i].content.empty())
            return badField("messages[" + std::to_string(i) + "].content",
                            "a user message needs content");
    if (tools.isArray() && tools.toArray().isEmpty())
        out.front().tools_json.clear(); // "tools": [] is no tools, not an empty tools block
    return out;
}

// Optional number in [lo, hi]; `v` undefined/null leaves `out` unset.
std::optional<ApiError> readNumber(const QJsonObject &o, const char *key, double lo, double hi,
                                   std::optional<double> &out)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < lo || v.toDouble() > hi) {
        char range[64];
        std::snprintf(range, sizeof range, "expected a number in [%g, %g]", lo, hi);
        return badField(key, range);
    }
    out = v.toDouble();
    return std::nullopt;
}

std::optional<ApiError> readInt(const QJsonObject &o, const char *key, long long lo, long long hi,
                                std::optional<long long> &out)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    const double d = v.toDouble();
    if (!v.isDouble() || d != std::floor(d) || d < double(lo) || d > double(hi))
        return badField(key, "expected an integer in [" + std::to_string(lo) + ", "
                                 + std::to_string(hi) + "]");
    out = static_cast<long long>(d);
    return std::nullopt;
}

// Thinking mode, in the spellings clients use: DeepSeek's `thinking: {"type": "enabled"}`, a
// boolean `thinking`, and vLLM/SGLang's `chat_template_kwargs: {"thinking": true}` (or
// "enable_thinking").
std::variant<bool, ApiError> readThinking(const QJsonObject &o)
{
    const QJsonValue t = o.value(QLatin1String("thinking"));
    if (t.isBool())
        return t.toBool();
    if (t.isObject()) {
        const QString type = t.toObject().value(QLatin1String("type")).toString();
        if (type == QLatin1String("enabled"))
            return true;
        if (type == QLatin1String("disabled"))
            return false;
        return badField("thinking.type", "expected \"enabled\" or \"disabled\"");
    }
    if (!t.isUndefined() && !t.isNull())
        return badField("thinking", "expected {\"type\": \"enabled\"|\"disabled\"} or a boolean");
    const QJsonObject kw = o.value(QLatin1String("chat_template_kwargs")).toObject();
    for (const char *key : {"thinking", "enable_thinking"}) {
        const QJsonValue b = kw.value(QLatin1String(key));
        if (b.isBool())
            return b.toBool();
    }
    return false;
}

} // namespace

std::string errorBody(const ApiError &error)
{
    std::string out = "{\"error\":{\"message\":";
    chat::append_json_string(out, error.message);
    out += ",\"type\":";
    chat::append_json_string(out, error.type);
    out += ",\"param\":";
    if (error.param.empty())
        out += "null";
    else
        chat::append_json_string(out, error.param);
    out += ",\"code\":";
    if (error.code.empty())
        out += "null";
    else
        chat::append_json_string(out, error.code);
    out += "}}";
    return out;
}

std::variant<ChatCompletionRequest, ApiError> parseChatCompletionRequest(std::string_view body)
{
    QJsonParseError perr;
    const QJsonDocument doc
        = QJsonDocument::fromJson(QByteArray::fromRawData(body.data(), qsizetype(body.size())),
                                  &perr);
    if (perr.error != QJsonParseError::NoError) {
        ApiError e;
        e.message = "The request body is not valid JSON: " + perr.errorString().toStdString()
                    + " at offset " + std::to_string(perr.offset);
        return e;
    }
    if (!doc.isObject()) {
        ApiError e;
        e.message = "The request body must be a JSON object";
        return e;
    }
    const QJsonObject o = doc.object();
    ChatCompletionRequest r;

    const QJsonValue model = o.value(QLatin1String("model"));
    if (!model.isUndefined() && !model.isNull() && !model.isString())
        return badField("model", "expected a string");
    r.model = model.toString().toStdString();

    auto messages = readMessages(o, body);
    if (auto *e = std::get_if<ApiError>(&messages))
        return *e;
    r.generation.messages = std::move(std::get<std::vector<chat::Message>>(messages));

    const QJsonValue stream = o.value(QLatin1String("stream"));
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool())
        return badField("stream", "expected a boolean");
    r.stream = stream.toBool();

    std::optional<long long> n;
    if (auto e = readInt(o, "n", 1, 1, n))
        return badField("n", "only n = 1 is supported");
    std::optional<long long> maxTokens;
    for (const char *key : {"max_tokens", "max_completion_tokens"}) {
        std::optional<long long> v;
        if (auto e = readInt(o, key, 1, 1LL << 30, v))
            return *e;
        if (v)
            maxTokens = v;
    }
    if (maxTokens)
        r.generation.maxTokens = int(*maxTokens);

    SamplingRequest &s = r.generation.sampling;
    if (auto e = readNumber(o, "temperature", 0, 2, s.temperature))
        return *e;
    if (auto e = readNumber(o, "top_p", 0, 1, s.topP))
        return *e;
    if (s.topP && *s.topP <= 0)
        return badField("top_p", "must be greater than 0");
    if (auto e = readNumber(o, "min_p", 0, 1, s.minP))
        return *e;
    std::optional<long long> topK, seed;
    if (auto e = readInt(o, "top_k", -1, 1 << 20, topK))
        return *e;
    if (topK)
        s.topK = int(std::max(0LL, *topK)); // -1 is vLLM's "off"
    if (auto e = readInt(o, "seed", -(1LL << 53), 1LL << 53, seed))
        return *e;
    if (seed)
        s.seed = static_cast<std::uint64_t>(*seed);

    const QJsonValue stop = o.value(QLatin1String("stop"));
    if (stop.isString()) {
        r.stop.push_back(stop.toString().toStdString());
    } else if (stop.isArray()) {
        for (const QJsonValue &v : stop.toArray()) {
            if (!v.isString())
                return badField("stop", "expected a string or an array of strings");
            r.stop.push_back(v.toString().toStdString());
        }
    } else if (!stop.isUndefined() && !stop.isNull()) {
        return badField("stop", "expected a string or an array of strings");
    }
    if (int(r.stop.size()) > kMaxStopSequences)
        return badField("stop", "at most " + std::to_string(kMaxStopSequences) + " sequences");
    for (const std::string &st : r.stop)
        if (st.empty())
            return badField("stop", "stop sequences must not be empty");

    auto thinking = readThinking(o);
    if (auto *e = std::get_if<ApiError>(&thinking))
        return *e;
    r.generation.mode = std::get<bool>(thinking) ? chat::ThinkingMode::Thinking
                                                 : chat::ThinkingMode::Chat;
    const QJsonValue effort = o.value(QLatin1String("reasoning_effort"));
    if (effort.isString()) {
        const std::string e = effort.toString().toStdString();
        if (e == "max" || e == "high")
            r.generation.reasoningEffort = e;
        else if (e != "low" && e != "medium" && e != "minimal" && e != "none")
            return badField("reasoning_effort", "expected low, medium, high or max");
    }

    // A Folio session (session_backend.h): the extension field, or the model name for clients
    // that cannot add fields. The field wins when both are given.
    const QJsonValue session = o.value(QLatin1String("folio_session"));
    if (session.isString() && !session.toString().trimmed().isEmpty()) {
        r.generation.session = session.toString().trimmed().toStdString();
    } else if (session.isDouble() && session.toDouble() >= 1
               && session.toDouble() == std::floor(session.toDouble())) {
        r.generation.session = std::to_string(static_cast<long long>(session.toDouble()));
    } else if (!session.isUndefined() && !session.isNull()) {
        return badField("folio_session", "expected a Folio session id or title");
    } else if (r.model.rfind(kSessionModelPrefix, 0) == 0) {
        r.generation.session = r.model.substr(std::string_view(kSessionModelPrefix).size());
        if (r.generation.session.empty())
            return badField("model", "expected folio:session/<id or title>");
    }
    return r;
}

std::string finishReasonName(FinishReason reason)
{
    return reason == FinishReason::Length ? "length" : "stop";
}

std::string modelBody(const std::string &modelId, long long created)
{
    std::string out = "{\"id\":";
    chat::append_json_string(out, modelId);
    out += ",\"object\":\"model\",\"created\":" + std::to_string(created)
           + ",\"owned_by\":\"folio\"}";
    return out;
}

std::string modelsBody(const std::string &modelId, long long created)
{
    return "{\"object\":\"list\",\"data\":[" + modelBody(modelId, created) + "]}";
}

ResponseWriter::ResponseWriter(std::string id, long long created, std::string model)
    : m_id(std::move(id))
    , m_created(created)
    , m_model(std::move(model))
{
    // Every chunk starts the same way: build that part once (the stream writes one per token).
    m_chunkPrefix = "data: {\"id\":";
    chat::append_json_string(m_chunkPrefix, m_id);
    m_chunkPrefix += ",\"object\":\"chat.completion.chunk\",\"created\":"
                     + std::to_string(m_created) + ",\"model\":";
    chat::append_json_string(m_chunkPrefix, m_model);
    m_chunkPrefix += ",\"system_fingerprint\":null,\"choices\":[";
}

std::string ResponseWriter::roleChunk() const
{
    return m_chunkPrefix
           + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
             "\"finish_reason\":null}]}\n\n";
}

std::string ResponseWriter::deltaChunk(DeltaKind kind, std::string_view text) const
{
    std::string out = m_chunkPrefix;
    out += kind == DeltaKind::Reasoning ? "{\"index\":0,\"delta\":{\"reasoning_content\":"
                                        : "{\"index\":0,\"delta\":{\"content\":";
    chat::append_json_string(out, text);
    out += "},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    return out;
}

std::string ResponseWriter::finalChunk(FinishReason finish, const GenerationResult &usage) const
{
    // DeepSeek's API puts the usage in the chunk that carries the finish reason; OpenAI clients
    // read `usage` from whichever chunk has it.
    std::string out = m_chunkPrefix;
    out += "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\""
           + finishReasonName(finish) + "\"}],\"usage\":" + usageJson(usage) + "}\n\n";
    return out;
}

std::string ResponseWriter::errorEvent(const ApiError &error)
{
    return "data: " + errorBody(error) + "\n\n";
}

std::string ResponseWriter::usageJson(const GenerationResult &u) const
{
    const int cached = std::min(u.cachedPromptTokens, u.promptTokens);
    return "{\"prompt_tokens\":" + std::to_string(u.promptTokens)
           + ",\"completion_tokens\":" + std::to_string(u.completionTokens)
           + ",\"total_tokens\":" + std::to_string(u.promptTokens + u.completionTokens)
           + ",\"prompt_tokens_details\":{\"cached_tokens\":" + std::to_string(cached)
           + "},\"prompt_cache_hit_tokens\":" + std::to_string(cached)
           + ",\"prompt_cache_miss_tokens\":" + std::to_string(u.promptTokens - cached) + "}";
}

std::string ResponseWriter::completion(std::string_view content, std::string_view reasoning,
                                       FinishReason finish, const GenerationResult &usage) const
{
    std::string out = "{\"id\":";
    chat::append_json_string(out, m_id);
    out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(m_created)
           + ",\"model\":";
    chat::append_json_string(out, m_model);
    out += ",\"system_fingerprint\":null,\"choices\":[{\"index\":0,\"message\":{\"role\":"
           "\"assistant\",\"content\":";
    chat::append_json_string(out, content);
    if (!reasoning.empty()) {
        out += ",\"reasoning_content\":";
        chat::append_json_string(out, reasoning);
    }
    out += "},\"logprobs\":null,\"finish_reason\":\"" + finishReasonName(finish)
           + "\"}],\"usage\":" + usageJson(usage) + "}";
    return out;
}

} // namespace folio::server
