// The server's ChatBackend on Folio's engine (see engine_backend.h).
#include "app/server/engine_backend.h"

#include "app/logging.h"
#include "storage/database.h"
#include "storage/snapshot_store.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <random>
#include <span>

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

std::span<const int32_t> head(const std::vector<int> &ids, size_t count)
{
    static_assert(sizeof(int) == sizeof(int32_t));
    return std::span<const int32_t>(reinterpret_cast<const int32_t *>(ids.data()), count);
}

// Counts a snapshot stream's bytes and reports them (Options::snapshotProgress) each time
// another kReportEvery have passed, and once at the end: the engine reads and writes the state
// in pieces of any size, down to a few bytes of header.
class SnapshotProgress
{
public:
    using Callback = std::function<void(bool, std::uint64_t, std::uint64_t)>;
    SnapshotProgress(const Callback &report, bool restoring, std::uint64_t total)
        : m_report(report)
        , m_restoring(restoring)
        , m_total(total)
    {
        if (m_report)
            m_report(m_restoring, 0, m_total); // started: the receiver's clock starts here
    }
    void add(std::size_t bytes)
    {
        m_done += bytes;
        if (m_report && m_done >= m_next) {
            m_report(m_restoring, m_done, m_total);
            m_next = m_done + kReportEvery;
        }
    }
    void finish()
    {
        if (m_report)
            m_report(m_restoring, m_done, m_restoring ? m_total : m_done);
    }

private:
    static constexpr std::uint64_t kReportEvery = std::uint64_t(4) << 20;
    const Callback &m_report;
    bool m_restoring;
    std::uint64_t m_total, m_done = 0, m_next = kReportEvery;
};

} // namespace

QString PrefixStats::reuseName(PrefixReuse reuse)
{
    switch (reuse) {
    case PrefixReuse::Snapshot:
        return QStringLiteral("snapshot");
    case PrefixReuse::Memory:
        return QStringLiteral("memory");
    case PrefixReuse::Prefilled:
        break;
    }
    return {};
}

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
    LoadOptions lo = options.engine;
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

std::int64_t EngineBackend::liveTokens() const
{
    return m_live.session ? m_live.session->position() : 0;
}

storage::SnapshotStore *EngineBackend::snapshotStore()
{
    const SnapshotOptions &o = m_options.snapshots;
    if (o.databasePath.isEmpty())
        return nullptr;
    if (!m_dbTried) {
        m_dbTried = true;
        auto db = storage::Database::open(o.databasePath);
        if (!db.ok()) {
            m_lastPrefix.snapshotWriteError = QStringLiteral("KV snapshots are off: ")
                                              + db.status().message();
            qCWarning(lcApp) << m_lastPrefix.snapshotWriteError;
            return nullptr;
        }
        m_db = std::move(*db);
        m_store = std::make_unique<storage::SnapshotStore>(*m_db);
        storage::Result<storage::EvictionPolicy> policy = storage::storedEvictionPolicy(*m_db);
        if (o.eviction)
            m_store->setEvictionPolicy(*o.eviction);
        else if (policy.ok())
            m_store->setEvictionPolicy(*policy);
        else
            qCWarning(lcApp) << "snapshot eviction policy:" << policy.status().message();
    }
    return m_store.get();
}

void EngineBackend::storeSnapshot(const Session &s, const std::vector<int> &tokens, size_t count,
                                  const QString &kind)
{
    storage::SnapshotStore *store = snapshotStore();
    if (!store || qint64(count) < m_options.snapshots.minTokens || count == 0
        || s.position() != std::int64_t(count))
        return;
    storage::SnapshotInfo meta;
    meta.kind = kind;
    meta.key.modelFingerprint = QString::fromStdString(m_model->info().fingerprint);
    meta.key.stateFormat = kStateFormatVersion;
    meta.key.prefixHash = storage::prefixHash(head(tokens, count));
    meta.key.tokenCount = qint64(count);
    // Whose it is: the sources' prefix belongs to the session's root; a state past it (a checkpoint
    // in the conversation, the state after the answer) to the branch tip the prompt continues.
    // The caller re-ties them to the stored question and answer (tieToTurn) once it has them.
    meta.sessionId = m_ownerSession;
    meta.messageId = m_ownerSession != 0 && kind != QLatin1String("prefix") && count > m_systemEnd
                         ? m_ownerTip
                         : 0;
    auto fail = [&](const QString &why) {
        m_lastPrefix.snapshotWriteError = QStringLiteral("%1 snapshot of %2 tokens not stored: %3")
                                              .arg(kind)
                                              .arg(count)
                                              .arg(why);
        qCWarning(lcApp) << m_lastPrefix.snapshotWriteError;
    };
    auto writer = store->beginWrite(meta, m_options.snapshots.write);
    if (!writer.ok())
        return fail(writer.status().message());
    // The engine streams its buffers into the writer, which holds at most one chunk.
    SnapshotProgress progress(m_options.snapshotProgress, false, 0);
    FunctionSink sink([&](const void *data, std::size_t size) {
        const storage::Status st = (*writer)->write(data, size);
        progress.add(size);
        return st.ok() ? Status::ok() : Status::error(st.message().toStdString());
    });
    if (Status st = s.save_to(sink); !st) {
        (*writer)->abort();
        return fail(QString::fromStdString(st.message()));
    }
    progress.finish();
    storage::Result<storage::SnapshotInfo> saved = (*writer)->commit(); // + the LRU cap
    if (!saved.ok())
        return fail(saved.status().message());
    ++m_lastPrefix.snapshotsWritten;
    m_lastPrefix.snapshotIds.push_back(saved->id);
    const int keep = store->evictionPolicy().keepPerBranch;
    if (auto gone = store->removeSuperseded(*saved, head(tokens, count), keep); !gone.ok())
        qCWarning(lcApp) << "removing superseded snapshots:" << gone.status().message();
}

Status EngineBackend::prefillRange(Session &s, const std::vector<int> &tokens, size_t from,
                                   size_t to, bool wantLogits, const CancelToken &cancel)
{
    const size_t chunk = size_t(std::max(1, m_options.prefillChunk));
    const size_t every = size_t(std::max<qint64>(0, m_options.snapshots.checkpointEvery));
    std::vector<float> logits;
    for (size_t at = from; at < to;) {
        if (cancel.isCancelled())
            return Status::error("cancelled");
        // Chunks end at checkpoint positions, so a checkpoint's key is a whole multiple of N.
        size_t end = std::min(to, at + chunk);
        if (every > 0 && snapshotStore())
            end = std::min(end, (at / every + 1) * every);
        const bool last = end == to;
        const std::vector<int> piece(tokens.begin() + std::ptrdiff_t(at),
                                     tokens.begin() + std::ptrdiff_t(end));
        if (Status st = s.prefill(piece, last && wantLogits ? LogitsMode::Last : LogitsMode::None,
                                  last && wantLogits ? &logits : nullptr);
            !st)
            return st;
        m_lastPrefix.prefilledTokens += qint64(end - at);
        at = end;
        if (m_options.prefillProgress)
            m_options.prefillProgress(size_t(m_lastPrefix.prefilledTokens), m_prefillTotal);
        if (every > 0 && end % every == 0 && !last)
            storeSnapshot(s, tokens, end, QStringLiteral("checkpoint"));
    }
    return Status::ok();
}

size_t EngineBackend::resume(const std::vector<int> &ids)
{
    // In memory: the live state when the prompt continues it, else the longest fork.
    size_t reused = 0;
    Cached *fork = nullptr;
    if (m_live.session && m_live.tokens.size() < ids.size() && isPrefix(m_live.tokens, ids)) {
        reused = m_live.tokens.size();
    } else {
        for (Cached *c : {&m_prompt, &m_system})
            if (c->session && !c->tokens.empty() && isPrefix(c->tokens, ids)
                && (!fork || c->tokens.size() > fork->tokens.size()))
                fork = c;
        reused = fork ? fork->tokens.size() : 0;
    }
    // On disk: a longer stored state wins (a new process, a cancelled prefill's checkpoint).
    if (storage::SnapshotStore *store = snapshotStore()) {
        const QString fingerprint = QString::fromStdString(m_model->info().fingerprint);
        auto found = store->findLongestPrefix(fingerprint, kStateFormatVersion,
                                              head(ids, ids.size()));
        if (!found.ok()) {
            qCWarning(lcApp) << "snapshot lookup:" << found.status().message();
        } else if (found->has_value() && size_t((*found)->key.tokenCount) > reused) {
            const storage::SnapshotInfo &info = **found;
            QElapsedTimer clock;
            clock.start();
            auto restored = m_model->create_session();
            auto reader = store->openForRestore(info.id, info.key);
            Status st;
            if (!reader.ok()) {
                st = Status::error(reader.status().message().toStdString());
            } else {
                // Every chunk is verified before its bytes reach the engine.
                SnapshotProgress progress(m_options.snapshotProgress, true,
                                          std::uint64_t(std::max<qint64>(0, info.rawSize)));
                FunctionSource source([&](void *data, std::size_t size) -> Result<std::size_t> {
                    storage::Result<size_t> n = (*reader)->read(data, size);
                    if (!n.ok())
                        return Status::error(n.status().message().toStdString());
                    progress.add(*n);
                    return *n;
                });
                st = restored->load_from(source);
                if (st)
                    progress.finish();
                if (st && restored->position() != info.key.tokenCount)
                    st = Status::error("the state holds " + std::to_string(restored->position())
                                       + " tokens, the snapshot's key says "
                                       + std::to_string(info.key.tokenCount));
            }
            if (st) {
                m_live.session = std::move(restored);
                m_live.tokens.assign(ids.begin(), ids.begin() + std::ptrdiff_t(info.key.tokenCount));
                m_lastPrefix.reuse = PrefixReuse::Snapshot;
                m_lastPrefix.reusedTokens = info.key.tokenCount;
                m_lastPrefix.snapshotId = info.id;
                m_lastPrefix.restoreSeconds = double(clock.nsecsElapsed()) / 1e9;
                return m_live.tokens.size();
            }
            // Reported, removed (so the next request does not trip over it again; the prefill
            // below stores a good one), and the prompt is prefilled instead.
            m_lastPrefix.snapshotProblem
                = QStringLiteral("snapshot %1 (%2, %3 tokens) could not be restored: %4; removed, "
                                 "prefilling instead")
                      .arg(info.id)
                      .arg(info.kind)
                      .arg(info.key.tokenCount)
                      .arg(QString::fromStdString(st.message()));
            qCWarning(lcApp) << m_lastPrefix.snapshotProblem;
            if (reader.ok())
                reader->reset(); // close the file before removing it
            if (storage::Status rm = store->remove(info.id); !rm.ok())
                qCWarning(lcApp) << "removing snapshot" << info.id << ":" << rm.message();
        }
    }
    if (fork) {
        m_live.session = fork->session->fork();
        m_live.tokens = fork->tokens;
    } else if (reused == 0) {
        m_live.session = m_model->create_session();
        m_live.tokens.clear();
    }
    if (reused > 0) {
        m_lastPrefix.reuse = PrefixReuse::Memory;
        m_lastPrefix.reusedTokens = qint64(reused);
    }
    return reused;
}

std::variant<GenerationResult, ChatBackend::Failure> EngineBackend::generate(
    const GenerationRequest &request, const DeltaSink &onDelta, const CancelToken &cancel)
{
    m_lastPrefix = PrefixStats{};
    m_ownerSession = std::max<std::int64_t>(0, request.snapshotSession);
    m_ownerTip = m_ownerSession ? std::max<std::int64_t>(0, request.snapshotBranchTip) : 0;
    m_systemEnd = 0;
    // Folio sessions are resolved by SessionBackend (app/server/session_backend.h), which puts
    // the session's sources in front and clears the field; one reaching here was not resolved.
    if (!request.session.empty())
        return Failure{Status::error("Folio sessions are not served by this backend"), true};
    const std::vector<chat::Message> &messages = request.messages;
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
    m_systemEnd = systemIds.size();

    const std::int64_t context = m_model->info().max_context;
    if (std::int64_t(ids.size()) >= context)
        return Failure{Status::error("the prompt is " + std::to_string(ids.size())
                                     + " tokens; the model's context is " + std::to_string(context)),
                       true};
    const int maxTokens = int(
        std::min<std::int64_t>(request.maxTokens > 0 ? request.maxTokens : 4096,
                               context - std::int64_t(ids.size())));

    // Continue from the longest reusable state (memory or snapshot); prefill the rest.
    const size_t reused = resume(ids);
    Session &s = *m_live.session;
    // The engine state now holds exactly m_live.tokens; keep that true on every exit below.
    auto invalidate = [&] {
        m_live.session.reset();
        m_live.tokens.clear();
    };

    m_prefillTotal = ids.size() - reused;
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
        // The sources' prefix: every question on these sources starts from it.
        storeSnapshot(s, ids, at, QStringLiteral("prefix"));
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
    if (std::int64_t(m_live.tokens.size()) != s.position()) {
        invalidate(); // cannot tell what the state holds: do not reuse it
    } else if (!cancel.isCancelled() && request.mode != chat::ThinkingMode::Thinking
               && m_options.snapshots.answerMaxBytes > 0
               && s.state_bytes() <= std::uint64_t(m_options.snapshots.answerMaxBytes)) {
        // Cheap enough: the conversation continued later (another process, another day) starts
        // after this answer.
        storeSnapshot(s, m_live.tokens, m_live.tokens.size(), QStringLiteral("answer"));
    }

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
