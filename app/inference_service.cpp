// InferenceService: engine calls on the engine thread; text, progress and results posted back.
#include "app/inference_service.h"

#include "app/analysis/analysis_prompt.h"
#include "app/logging.h"
#include "app/model_directory.h"
#include "app/settings.h"
#include "app/thread_guard.h"
#include "app/worker_thread.h"

#include <QDir>
#include <QElapsedTimer>

#include <mutex>

namespace folio::app {

struct InferenceService::State
{
    std::shared_ptr<server::EngineBackend> backend; // engine thread only
    std::atomic_bool stop{false};
    std::mutex activeMutex;
    server::CancelToken *active = nullptr; // the answer running now, for stop()
    QElapsedTimer clock;                   // since the running answer started (engine thread only)
    QElapsedTimer snapshotClock;           // since the running snapshot transfer started (same)
};

namespace {

// Posts text to the UI thread in pieces rather than per token: a fast model would otherwise queue
// tens of thousands of tiny events.
class TextBatcher
{
public:
    TextBatcher(InferenceService *owner, bool thinking)
        : m_owner(owner)
        , m_thinking(thinking)
    {
        m_clock.start();
    }
    void add(const QString &text)
    {
        m_pending += text;
        if (m_clock.elapsed() >= 30)
            flush();
    }
    void flush()
    {
        if (m_pending.isEmpty())
            return;
        const QString text = std::exchange(m_pending, QString());
        const bool thinking = m_thinking;
        InferenceService *owner = m_owner;
        postBack(owner, [owner, text, thinking] { Q_EMIT owner->textChunk(text, thinking); });
        m_clock.restart();
    }
    void setThinking(bool thinking)
    {
        if (thinking != m_thinking) {
            flush();
            m_thinking = thinking;
        }
    }

private:
    InferenceService *m_owner;
    bool m_thinking;
    QString m_pending;
    QElapsedTimer m_clock;
};

} // namespace

InferenceService::InferenceService(QObject *parent)
    : AnswerBackend(parent)
    , m_state(std::make_shared<State>())
    , m_thread(std::make_unique<WorkerThread>(QStringLiteral("folio-engine")))
{
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<AnswerStats>();
    qRegisterMetaType<ChatMessage::State>();
}

InferenceService::~InferenceService()
{
    stop();
    auto state = m_state;
    m_thread->post([state] { state->backend.reset(); });
    m_thread.reset();
}

void InferenceService::waitForIdle()
{
    m_thread->drain();
}

void InferenceService::applySettings(const Settings &settings, const QString &databasePath)
{
    m_snapshots.databasePath = databasePath;
    // The settings' cap (GiB) replaces the database's stored size cap; 0 = the stored policy.
    if (const int capGiB = settings.snapshotCapGiB(); capGiB > 0) {
        storage::EvictionPolicy policy;
        policy.maxTotalBytes = qint64(capGiB) << 30;
        m_snapshots.eviction = policy;
    } else {
        m_snapshots.eviction.reset();
    }
    LoadOptions engine;
    engine.device = settings.device().toStdString();
    engine.expert_cache_bytes = std::uint64_t(settings.expertCacheGiB() * double(1ull << 30));
    m_engine = engine;
}

void InferenceService::loadModel(const QString &directory, int threads)
{
    m_loaded = false;
    auto state = m_state;
    server::EngineBackend::Options options;
    options.prefillChunk = kPrefillChunk;
    options.snapshots = m_snapshots;
    options.engine = m_engine;
    // Prefill progress of the running answer over the whole prompt (the reused part counts as
    // done), the rate of this prefill, and the time left at that rate.
    options.prefillProgress = [this, state](std::size_t done, std::size_t total) {
        const qint64 reused = state->backend ? state->backend->lastPrefix().reusedTokens : 0;
        const qint64 d = reused + qint64(done), all = reused + qint64(total);
        const double seconds = state->clock.elapsed() / 1000.0;
        const double rate = seconds > 0 ? double(done) / seconds : 0;
        const double eta = rate > 0 ? double(total - done) / rate : 0;
        postBack(this, [this, d, all, rate, eta] { Q_EMIT prefillProgress(d, all, rate, eta); });
    };
    // A KV snapshot read back from folio.db or written to it: bytes so far and the rate.
    options.snapshotProgress = [this, state](bool restoring, std::uint64_t done,
                                             std::uint64_t total) {
        if (done == 0)
            state->snapshotClock.start();
        const double seconds = state->snapshotClock.elapsed() / 1000.0;
        const double rate = seconds > 0 ? double(done) / seconds : 0;
        const qint64 d = qint64(done), all = qint64(total);
        postBack(this, [this, restoring, d, all, rate] {
            Q_EMIT snapshotProgress(restoring, d, all, rate);
        });
    };
    m_thread->post([this, state, directory, threads, options] {
        noteLayerWork("engine: load model");
        state->backend.reset();
        auto backend = server::EngineBackend::load(directory.toStdString(), options, threads);
        if (!backend) {
            const QString m = QString::fromStdString(backend.status().message());
            postBack(this, [this, m] { Q_EMIT loadFailed(m); });
            return;
        }
        state->backend = std::move(*backend);
        const ModelDirectoryInfo dirInfo = inspectModelDirectory(directory);
        ModelInfo info;
        info.directory = directory;
        info.randomWeights = dirInfo.looksLikeDemo;
        info.name = QDir(directory).dirName();
        // Where the forward pass runs ("cpu", "cuda:0", "cuda:0,1"), as the engine decided.
        const std::string device = state->backend->model()->info().device;
        info.device = device == "cpu" ? QStringLiteral("CPU")
                                      : QString::fromStdString(device).toUpper();
        info.contextTokens = state->backend->model()->info().max_context;
        info.memoryBytes = dirInfo.weightBytes;
        postBack(this, [this, info] {
            m_info = info;
            m_loaded = true;
            Q_EMIT modelLoaded(info);
        });
    });
}

void InferenceService::stop()
{
    m_state->stop = true;
    std::lock_guard lock(m_state->activeMutex);
    if (m_state->active)
        m_state->active->cancel();
}

void InferenceService::answer(const AnswerRequest &request)
{
    auto state = m_state;
    state->stop = false;
    Q_EMIT busyChanged(true);
    m_thread->post([this, state, request] {
        noteLayerWork("engine: answer");
        auto finish = [this](ChatMessage::State s, AnswerStats stats, QString error) {
            postBack(this, [this, s, stats, error] {
                Q_EMIT busyChanged(false);
                Q_EMIT answerFinished(s, stats, error);
            });
        };
        server::EngineBackend *backend = state->backend.get();
        if (!backend) {
            finish(ChatMessage::State::Failed, {}, tr("No model is loaded."));
            return;
        }
        // The prompt is built where every Folio front end builds it (analysis_prompt.h), so a
        // prefix state or snapshot made here is the one the CLI and the server would make.
        QVector<folio::analysis::Turn> history;
        for (const ChatMessage &m : request.history)
            history.append({m.role == ChatMessage::Role::User, m.text, m.thinking});
        const auto built = folio::analysis::buildAnalysisPrompt(request.sources, history,
                                                                request.question, request.thinking);
        if (!built) {
            finish(ChatMessage::State::Failed, {}, QString::fromStdString(built.status().message()));
            return;
        }
        server::GenerationRequest gr;
        gr.messages = built.value().messages;
        gr.mode = built.value().options.mode;
        gr.reasoningEffort = built.value().options.reasoning_effort;
        gr.maxTokens = std::max(1, request.maxTokens);
        gr.sampling.temperature = request.sampling.temperature;
        gr.sampling.topP = std::max(0.01, request.sampling.topP);
        gr.sampling.topK = request.sampling.topK;
        if (request.sampling.seed != 0)
            gr.sampling.seed = request.sampling.seed;
        gr.snapshotSession = request.sessionId; // tied to the answer when it is stored
        gr.snapshotBranchTip = request.branchTip;

        server::CancelToken cancel;
        {
            std::lock_guard lock(state->activeMutex);
            state->active = &cancel;
            if (state->stop)
                cancel.cancel();
        }
        state->clock.start();
        TextBatcher batcher(this, request.thinking);
        AnswerStats stats;
        QElapsedTimer decodeClock;
        const auto result = backend->generate(
            gr,
            [&](server::DeltaKind kind, std::string_view text) {
                if (!decodeClock.isValid()) {
                    stats.timeToFirstTokenMs = state->clock.elapsed();
                    decodeClock.start();
                }
                batcher.setThinking(kind == server::DeltaKind::Reasoning);
                batcher.add(QString::fromUtf8(text.data(), qsizetype(text.size())));
                return !state->stop.load();
            },
            cancel);
        {
            std::lock_guard lock(state->activeMutex);
            state->active = nullptr;
        }
        batcher.flush();
        const server::PrefixStats &prefix = backend->lastPrefix();
        if (!prefix.snapshotProblem.isEmpty())
            qCWarning(lcApp) << prefix.snapshotProblem;
        stats.snapshotReused = prefix.reuse != server::PrefixReuse::Prefilled;
        stats.snapshotIds = QVector<qint64>(prefix.snapshotIds.begin(), prefix.snapshotIds.end());
        const qint64 used = backend->liveTokens();
        const qint64 context = backend->model()->info().max_context;
        postBack(this, [this, used, context] { Q_EMIT contextUsed(used, context); });
        if (const auto *failure = std::get_if<server::ChatBackend::Failure>(&result)) {
            finish(ChatMessage::State::Failed, stats,
                   QString::fromStdString(failure->status.message()));
            return;
        }
        const server::GenerationResult &g = std::get<server::GenerationResult>(result);
        stats.promptTokens = g.promptTokens;
        stats.generatedTokens = g.completionTokens;
        const double decodeSeconds = decodeClock.isValid() ? decodeClock.elapsed() / 1000.0 : 0;
        stats.tokensPerSecond = decodeSeconds > 0 ? stats.generatedTokens / decodeSeconds : 0;
        const bool stopped = g.finish == server::FinishReason::Cancelled || state->stop;
        finish(stopped ? ChatMessage::State::Stopped : ChatMessage::State::Done, stats, QString());
    });
}

} // namespace folio::app
