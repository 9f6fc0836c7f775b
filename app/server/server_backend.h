// The seam between the local HTTP server and whatever produces the answers. The server (HTTP,
// JSON, SSE, keys, limits, the queue) knows nothing about the engine: it turns a request into a
// GenerationRequest and calls ChatBackend::generate() on the queue's single worker thread. The
// engine backend (engine_backend.h) implements it on an engine Session; the tests implement it with
// a scripted fake, so every HTTP behaviour is testable without a model.
#pragma once

#include "folio/chat_format.h"
#include "folio/status.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace folio::server {

// Sampling as the OpenAI API names it. Unset fields use the backend's defaults.
struct SamplingRequest
{
    std::optional<double> temperature; // [0, 2]; 0 = greedy
    std::optional<double> topP;        // (0, 1]
    std::optional<int> topK;           // extension (vLLM/SGLang name): 0 = off
    std::optional<double> minP;        // extension: [0, 1]
    std::optional<std::uint64_t> seed;
};

struct GenerationRequest
{
    std::vector<chat::Message> messages;
    chat::ThinkingMode mode = chat::ThinkingMode::Chat;
    std::string reasoningEffort; // "", "high" or "max" (chat::RenderOptions)
    int maxTokens = 0;           // 0 = the backend's default
    SamplingRequest sampling;
    // A Folio session (id or title) whose packed sources become the system prompt and which the
    // answer is appended to ("folio_session", or the model "folio:session/ID"; answered by
    // SessionBackend); empty for a plain chat request.
    std::string session;
    // The stored Folio session this request answers in, and its branch tip: the last stored
    // message of the conversation the prompt continues (0: none, the first question). The
    // engine backend ties the KV snapshots it writes to them (docs/storage.md), so deleting the
    // session deletes them and eviction keeps the newest per branch; 0: a session-less request,
    // whose snapshots only count against the size cap.
    std::int64_t snapshotSession = 0;
    std::int64_t snapshotBranchTip = 0;
};

enum class DeltaKind { Reasoning, Content };

// Why a generation ended, as the OpenAI API reports it.
enum class FinishReason { Stop, Length, Cancelled };

struct GenerationResult
{
    FinishReason finish = FinishReason::Stop;
    int promptTokens = 0;
    int cachedPromptTokens = 0; // prompt tokens whose state was reused instead of prefilled
    int completionTokens = 0;
};

// Cancellation polled by the backend between engine steps: set by the server when the client goes
// away, the request times out, a stop sequence matched, or the server shuts down.
class CancelToken
{
public:
    using Clock = std::chrono::steady_clock;
    explicit CancelToken(Clock::time_point deadline = Clock::time_point::max())
        : m_deadline(deadline)
    {}
    void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
    bool isCancelled() const
    {
        return m_cancelled.load(std::memory_order_relaxed) || Clock::now() >= m_deadline;
    }
    bool timedOut() const { return Clock::now() >= m_deadline; }

private:
    std::atomic_bool m_cancelled{false};
    Clock::time_point m_deadline;
};

// Receives decoded text as it is produced (complete UTF-8 characters). Returns false to stop the
// generation now (a stop sequence matched, the client is gone).
using DeltaSink = std::function<bool(DeltaKind kind, std::string_view text)>;

class ChatBackend
{
public:
    virtual ~ChatBackend() = default;
    // The id /v1/models lists ("deepseek-v4-flash", the model directory's name, ...).
    virtual std::string modelId() const = 0;
    // The context size in tokens (prompt + answer).
    virtual int contextTokens() const = 0;
    // Runs one generation to the end on the calling thread (the server calls it from one worker
    // thread only, so implementations need no locking). `onDelta` is called on that same thread.
    // Errors (prompt too long, unknown session, engine failure) come back as a Failure whose
    // message the client sees.
    struct Failure
    {
        Status status;
        bool badRequest = false; // the request itself is at fault (HTTP 400), not the server
    };
    virtual std::variant<GenerationResult, Failure> generate(const GenerationRequest &request,
                                                             const DeltaSink &onDelta,
                                                             const CancelToken &cancel)
        = 0;
};

} // namespace folio::server
