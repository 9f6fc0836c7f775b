// The server's ChatBackend on Folio's own engine: renders the request in the V4 chat format,
// tokenizes it, reuses the longest cached prefix of its tokens, prefills the rest in chunks
// (polling cancellation between chunks), samples, and streams decoded text split into reasoning
// and answer at </think>.
//
// Prompt-prefix reuse: the engine has no rollback, so states are kept where a later request is
// likely to continue — the live session (prompt + answer: a client that resends the conversation
// with one more turn continues from it), a fork at the end of the last prompt (the same
// conversation asked again with other sampling), and a fork at the end of the leading system
// messages (Folio's sources prefix: a new question on the same sources). A request continues
// from the longest of these whose tokens are a prefix of its own; only the rest is prefilled.
// Memory: each fork holds a copy of the state (3.5 KB per token for V4-Flash).
#pragma once

#include "app/server/server_backend.h"

#include "folio/engine.h"
#include "folio/tokenizer.h"

#include <QByteArray>

#include <functional>
#include <memory>

namespace folio::server {

class EngineBackend : public ChatBackend
{
public:
    struct Options
    {
        std::string modelId;    // listed by /v1/models; default: the model directory's name
        int prefillChunk = 512; // tokens per prefill call: the cancellation granularity
        SamplingParams defaults = defaultSampling();
        // Resolves a Folio session id or name to its packed sources (the "session" field);
        // unset: such requests are refused with a 400.
        std::function<Result<QByteArray>(const std::string &session)> sessionSources;
        // Called on the generating thread after each prefill chunk: tokens done of those to
        // prefill in this request (the CLI's progress bar).
        std::function<void(std::size_t done, std::size_t total)> prefillProgress;
        static SamplingParams defaultSampling();
    };

    // Loads the model and its tokenizer.json from `modelDir`.
    static Result<std::shared_ptr<EngineBackend>> load(const std::string &modelDir, Options options,
                                                       int threads = 0);
    EngineBackend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
                  Options options);
    ~EngineBackend() override;

    std::string modelId() const override { return m_options.modelId; }
    int contextTokens() const override;
    std::variant<GenerationResult, Failure> generate(const GenerationRequest &request,
                                                     const DeltaSink &onDelta,
                                                     const CancelToken &cancel) override;

    const std::shared_ptr<const Model> &model() const { return m_model; }
    const std::shared_ptr<const Tokenizer> &tokenizer() const { return m_tokenizer; }

private:
    struct Cached
    {
        std::unique_ptr<Session> session;
        std::vector<int> tokens; // what the state holds, in order
    };
    // Prefills tokens[from, to) in chunks; Last logits after the final chunk when `wantLogits`.
    Status prefillRange(Session &s, const std::vector<int> &tokens, size_t from, size_t to,
                        bool wantLogits, const CancelToken &cancel);

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    Options m_options;
    Cached m_live;   // the state after the last answer
    Cached m_prompt; // fork at the end of the last prompt
    Cached m_system; // fork at the end of the leading system messages
    int m_eos = -1;
    int m_thinkEnd = -1;
};

} // namespace folio::server
