// The server's ChatBackend on Folio's engine (see engine_backend.h).
#include "app/server/engine_backend.h"

#include "app/analysis/analysis_prompt.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <random>

namespace folio::server {

namespace {

bool isPrefix(const std::vector<int> &prefix, const std::vector<int> &of)
{
    return prefix.size() <= of.size() && std::equal(prefix.begin(), prefix.end(), of.begin());
}

std::vector<int> encode(const Tokenizer &tok, const std::string &text)
{
    const std::vector<int32_t> ids = tok.encode(text);
    return std::vector<int>(ids.begin(), ids.end());
}

} // namespace

SamplingParams EngineBackend::Options::defaultSampling()
{
    // DeepSeek's recommended defaults for V4 chat.
    SamplingParams p;
    p.temperature = 0.6f;
    p.top_p = 0.95f;
    return p;
}

Result<std::shared_ptr<EngineBackend>> EngineBackend::load(const std::string &modelDir,
                                                           Options options, int threads)
{
    LoadOptions lo;
    lo.threads = threads;
    auto model = Model::load(modelDir, lo);
    if (!model)
        return model.status();
    const std::string tokPath = QDir(QString::fromStdString(modelDir))
                                    .filePath(QStringLiteral("tokenizer.json"))
                                    .toStdString();
    auto tok = Tokenizer::load(tokPath);
    if (!tok)
        return tok.status();
    if (options.modelId.empty())
        options.modelId = QFileInfo(QString::fromStdString(modelDir)).canonicalFilePath().isEmpty()
                              ? modelDir
                              : QFileInfo(QString::fromStdString(modelDir)).fileName().toStdString();
    return std::make_shared<EngineBackend>(std::move(*model), std::move(*tok), std::move(options));
}

EngineBackend::EngineBackend(std::shared_ptr<const Model> model,
                             std::shared_ptr<const Tokenizer> tokenizer, Options options)
    : m_model(std::move(model))
    , m_tokenizer(std::move(tokenizer))
    , m_options(std::move(options))
{
    m_eos = m_model->info().eos_token_id;
    if (auto id = m_tokenizer->token_id(chat::kThinkEnd))
        m_thinkEnd = *id;
    if (m_options.modelId.empty())
        m_options.modelId = "folio";
}

EngineBackend::~EngineBackend() = default;

int EngineBackend::contextTokens() const
{
    return int(std::min<std::int64_t>(m_model->info().max_context, 1 << 30));
}

Status EngineBackend::prefillRange(Session &s, const std::vector<int> &tokens, size_t from,
                                   size_t to, bool wantLogits, const CancelToken &cancel)
{
    const size_t chunk = size_t(std::max(1, m_options.prefillChunk));
    std::vector<float> logits;
    for (size_t at = from; at < to; at += chunk) {
        if (cancel.isCancelled())
            return Status::error("cancelled");
        const size_t end = std::min(to, at + chunk);
        const bool last = end == to;
        const std::vector<int> piece(tokens.begin() + std::ptrdiff_t(at),
                                     tokens.begin() + std::ptrdiff_t(end));
        if (Status st = s.prefill(piece, last && wantLogits ? LogitsMode::Last : LogitsMode::None,
                                  last && wantLogits ? &logits : nullptr);
            !st)
            return st;
        if (m_options.prefillProgress)
            m_options.prefillProgress(end - from, to - from);
    }
    return Status::ok();
}

std::variant<GenerationResult, ChatBackend::Failure> EngineBackend::generate(
    const GenerationRequest &request, const DeltaSink &onDelta, const CancelToken &cancel)
{
    std::vector<chat::Message> messages = request.messages;
    if (!request.session.empty()) {
        if (!m_options.sessionSources)
            return Failure{Status::error("this server does not serve Folio sessions"), true};
        Result<QByteArray> sources = m_options.sessionSources(request.session);
        if (!sources)
            return Failure{sources.status(), true};
        // The session's analysis system prompt comes first, so its state is the shared prefix.
        chat::Message system;
        system.role = "system";
        system.content = analysis::systemPromptText(*sources);
        messages.insert(messages.begin(), system);
    }
    chat::RenderOptions ro;
    ro.mode = request.mode;
    ro.reasoning_effort = request.reasoningEffort;
    Result<std::string> text = chat::render(messages, ro);
    if (!text)
        return Failure{text.status(), true};
    const std::vector<int> ids = encode(*m_tokenizer, *text);

    // The leading system messages: the boundary where the sources prefix ends.
    size_t nSystem = 0;
    while (nSystem < messages.size()
           && (messages[nSystem].role == "system" || messages[nSystem].role == "developer"))
        ++nSystem;
    std::vector<int> systemIds;
    if (nSystem > 0 && nSystem < messages.size()) {
        Result<std::string> prefix
            = chat::render(std::vector<chat::Message>(messages.begin(),
                                                      messages.begin() + std::ptrdiff_t(nSystem)),
                           ro);
        if (prefix && text->compare(0, prefix->size(), *prefix) == 0) {
            systemIds = encode(*m_tokenizer, *prefix);
            if (!isPrefix(systemIds, ids))
                systemIds.clear();
        }
    }

    const std::int64_t context = m_model->info().max_context;
    if (std::int64_t(ids.size()) >= context)
        return Failure{Status::error("the prompt is " + std::to_string(ids.size())
                                     + " tokens; the model's context is " + std::to_string(context)),
                       true};
    const int maxTokens = int(
        std::min<std::int64_t>(request.maxTokens > 0 ? request.maxTokens : 4096,
                               context - std::int64_t(ids.size())));

    // Pick the longest cached state that the prompt continues.
    size_t reused = 0;
    if (m_live.session && m_live.tokens.size() < ids.size() && isPrefix(m_live.tokens, ids)) {
        reused = m_live.tokens.size();
    } else {
        Cached *best = nullptr;
        for (Cached *c : {&m_prompt, &m_system})
            if (c->session && isPrefix(c->tokens, ids)
                && (!best || c->tokens.size() > best->tokens.size()))
                best = c;
        if (best && !best->tokens.empty()) {
            m_live.session = best->session->fork();
            m_live.tokens = best->tokens;
            reused = best->tokens.size();
        } else {
            m_live.session = m_model->create_session();
            m_live.tokens.clear();
        }
    }
    Session &s = *m_live.session;
    // The engine state now holds exactly m_live.tokens; keep that true on every exit below.
    auto invalidate = [&] {
        m_live.session.reset();
        m_live.tokens.clear();
    };

    GenerationResult result;
    result.promptTokens = int(ids.size());
    result.cachedPromptTokens = int(reused);
    size_t at = reused;
    if (!systemIds.empty() && systemIds.size() > at && systemIds.size() < ids.size()) {
        if (Status st = prefillRange(s, ids, at, systemIds.size(), false, cancel); !st) {
            invalidate();
            if (cancel.isCancelled()) {
                result.finish = FinishReason::Cancelled;
                return result;
            }
            return Failure{st, false};
        }
        m_system.session = s.fork();
        m_system.tokens = systemIds;
        at = systemIds.size();
    }
    if (at < ids.size()) {
        if (Status st = prefillRange(s, ids, at, ids.size(), true, cancel); !st) {
            invalidate();
            if (cancel.isCancelled()) {
                result.finish = FinishReason::Cancelled;
                return result;
            }
            return Failure{st, false};
        }
        m_prompt.session = s.fork();
        m_prompt.tokens = ids;
    }
    m_live.tokens = ids;

    GenerateParams gp;
    gp.sampling = m_options.defaults;
    const SamplingRequest &sr = request.sampling;
    if (sr.temperature)
        gp.sampling.temperature = float(*sr.temperature);
    if (sr.topP)
        gp.sampling.top_p = float(*sr.topP);
    if (sr.topK)
        gp.sampling.top_k = *sr.topK;
    if (sr.minP)
        gp.sampling.min_p = float(std::min(*sr.minP, 0.999));
    gp.sampling.seed = sr.seed ? *sr.seed : std::random_device{}();
    if (Status st = validate_sampling(gp.sampling); !st)
        return Failure{st, true};
    gp.max_tokens = maxTokens;
    gp.stop_at_eos = true;

    StreamDecoder decoder(m_tokenizer, /*skip_special=*/true);
    DeltaKind kind = request.mode == chat::ThinkingMode::Thinking ? DeltaKind::Reasoning
                                                                  : DeltaKind::Content;
    std::vector<int> generated;
    bool sinkStopped = false;
    auto onToken = [&](int token) {
        generated.push_back(token);
        if (cancel.isCancelled())
            return false;
        if (token == m_eos)
            return true; // the engine stops after it
        if (token == m_thinkEnd && kind == DeltaKind::Reasoning) {
            const std::string rest = decoder.finish();
            if (!rest.empty() && !onDelta(kind, rest)) {
                sinkStopped = true;
                return false;
            }
            kind = DeltaKind::Content;
            return true;
        }
        const std::string piece = decoder.push(token);
        if (!piece.empty() && !onDelta(kind, piece)) {
            sinkStopped = true;
            return false;
        }
        return true;
    };
    Result<GenerateResult> gen = s.generate(gp, onToken);
    if (!gen) {
        invalidate();
        if (cancel.isCancelled()) {
            result.finish = FinishReason::Cancelled;
            return result;
        }
        return Failure{gen.status(), false};
    }
    if (!sinkStopped && !cancel.isCancelled()) {
        const std::string rest = decoder.finish();
        if (!rest.empty())
            onDelta(kind, rest);
    }
    // What the state holds now: the prompt and the generated tokens that were fed back.
    m_live.tokens.insert(m_live.tokens.end(), generated.begin(), generated.end());
    m_live.tokens.resize(
        size_t(std::min<std::int64_t>(s.position(), std::int64_t(m_live.tokens.size()))));
    if (std::int64_t(m_live.tokens.size()) != s.position())
        invalidate(); // cannot tell what the state holds: do not reuse it

    result.completionTokens = int(generated.size());
    switch (gen->reason) {
    case StopReason::Eos:
    case StopReason::StopToken:
        result.finish = FinishReason::Stop;
        break;
    case StopReason::MaxTokens:
        result.finish = FinishReason::Length;
        break;
    case StopReason::Callback:
        result.finish = sinkStopped ? FinishReason::Stop : FinishReason::Cancelled;
        break;
    }
    return result;
}

} // namespace folio::server
