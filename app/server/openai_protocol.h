// The OpenAI chat-completions wire format, as the server speaks it: request parsing and validation
// (every error names the field, for a 400 with an OpenAI-style error body), the non-streamed
// response object, the streamed `chat.completion.chunk` objects and the error body. DeepSeek's
// extensions are followed where clients rely on them: `reasoning_content` beside `content` for
// thinking mode, `thinking: {"type": "enabled"}` to turn it on, and the prompt-cache fields in
// `usage`. No I/O here: http_server.cpp moves the bytes.
#pragma once

#include "app/server/server_backend.h"

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace folio::server {

// An error as the API reports it: HTTP status + {"error":{"message","type","param","code"}}.
struct ApiError
{
    int httpStatus = 400;
    std::string message;
    std::string type = "invalid_request_error";
    std::string param; // the offending field, "" for none
    std::string code;  // "", "invalid_api_key", "model_not_found", "rate_limit_exceeded", ...
};

std::string errorBody(const ApiError &error);

struct ChatCompletionRequest
{
    GenerationRequest generation;
    std::string model; // as the client named it (any name is answered by the loaded model)
    bool stream = false;
    std::vector<std::string> stop; // at most kMaxStopSequences, none empty
};

inline constexpr int kMaxStopSequences = 16;
// A model name that addresses a Folio session: "folio:session/12" (see session_backend.h).
inline constexpr const char *kSessionModelPrefix = "folio:session/";

// Parses and validates a /v1/chat/completions body. Unknown fields are ignored (clients send many
// optional ones); fields this server cannot honour (n > 1, tools with tool_choice "required", ...)
// are errors rather than being silently dropped.
std::variant<ChatCompletionRequest, ApiError> parseChatCompletionRequest(std::string_view body);

std::string finishReasonName(FinishReason reason); // "stop", "length"

// {"object":"list","data":[{"id":...,"object":"model","created":...,"owned_by":"folio"}]}
std::string modelsBody(const std::string &modelId, long long created);
std::string modelBody(const std::string &modelId, long long created);

// Writes the response objects of one completion; `id` is "chatcmpl-…", `created` Unix seconds.
class ResponseWriter
{
public:
    ResponseWriter(std::string id, long long created, std::string model);

    // The SSE events ("data: {...}\n\n") of a streamed answer, in order: roleChunk() first, then
    // one deltaChunk() per piece of text, then finalChunk() with the finish reason and the usage,
    // then done().
    std::string roleChunk() const;
    std::string deltaChunk(DeltaKind kind, std::string_view text) const;
    std::string finalChunk(FinishReason finish, const GenerationResult &usage) const;
    static std::string errorEvent(const ApiError &error);
    static std::string done() { return "data: [DONE]\n\n"; }

    // The non-streamed `chat.completion` object.
    std::string completion(std::string_view content, std::string_view reasoning,
                           FinishReason finish, const GenerationResult &usage) const;

private:
    std::string usageJson(const GenerationResult &usage) const;
    std::string m_chunkPrefix; // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`
    std::string m_id;
    long long m_created;
    std::string m_model;
};

} // namespace folio::server
