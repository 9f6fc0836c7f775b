// InferenceService: engine calls on the engine thread; text, progress and results posted back.
#include "app/inference_service.h"

#include "app/analysis/analysis_prompt.h"
#include "app/logging.h"
#include "app/model_directory.h"
#include "app/thread_guard.h"
#include "app/worker_thread.h"
#include "folio/chat_format.h"
#include "folio/engine.h"
#include "folio/tokenizer.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QScopeGuard>

#include <mutex>

namespace folio::app {

struct InferenceService::State
{
    std::shared_ptr<const folio::Model> model;
    std::shared_ptr<const folio::Tokenizer> tokenizer;
    // The state after the system prompt (instructions + sources), and the hash of its text.
    std::unique_ptr<folio::Session> prefix;
    QByteArray prefixKey;
    std::atomic_bool stop{false};
    std::mutex activeMutex;
    folio::Session *active = nullptr; // the session running now, for cancel()
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
    void add(const std::string &text)
    {
        m_pending += QString::fromStdString(text);
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
    m_thread->post([state] {
        state->prefix.reset();
        state->model.reset();
    });
    m_thread.reset();
}

void InferenceService::waitForIdle()
{
    m_thread->drain();
}

void InferenceService::loadModel(const QString &directory, int threads)
{
    m_loaded = false;
    auto state = m_state;
    m_thread->post([this, state, directory, threads] {
        noteLayerWork("engine: load model");
        state->prefix.reset();
        state->prefixKey.clear();
        folio::LoadOptions options;
        options.threads = threads;
        auto model = folio::Model::load(directory.toStdString(), options);
        if (!model) {
            const QString m = QString::fromStdString(model.status().message());
            postBack(this, [this, m] { Q_EMIT loadFailed(m); });
            return;
        }
        auto tokenizer = folio::Tokenizer::load(
            QDir(directory).filePath(QStringLiteral("tokenizer.json")).toStdString());
        if (!tokenizer) {
            const QString m = QString::fromStdString(tokenizer.status().message());
            postBack(this, [this, m] { Q_EMIT loadFailed(m); });
            return;
        }
        state->model = *model;
        state->tokenizer = *tokenizer;
        const ModelDirectoryInfo dirInfo = inspectModelDirectory(directory);
        ModelInfo info;
        info.directory = directory;
        info.randomWeights = dirInfo.looksLikeDemo;
        info.name = QDir(directory).dirName();
        info.device = QStringLiteral("CPU");
        info.contextTokens = state->model->info().max_context;
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
        QElapsedTimer clock;
        clock.start();
        auto finish = [this](ChatMessage::State s, AnswerStats stats, QString error) {
            postBack(this, [this, s, stats, error] {
                Q_EMIT busyChanged(false);
                Q_EMIT answerFinished(s, stats, error);
            });
        };
        if (!state->model || !state->tokenizer) {
            finish(ChatMessage::State::Failed, {}, tr("No model is loaded."));
            return;
        }
        // The prompt is built where every Folio front end builds it (analysis_prompt.h), so a
        // prefix state made here is the one the CLI and the server would make.
        QVector<folio::analysis::Turn> history;
        for (const ChatMessage &m : request.history)
            history.append({m.role == ChatMessage::Role::User, m.text, m.thinking});
        const auto built = folio::analysis::buildAnalysisPrompt(request.sources, history,
                                                                request.question, request.thinking);
        if (!built) {
            finish(ChatMessage::State::Failed, {}, QString::fromStdString(built.status().message()));
            return;
        }
        // The system prompt ends where "<｜User｜>" (an added token) begins, so its tokens are a
        // prefix of the whole prompt's tokens and its state can be reused.
        const std::string &full = built.value().text;
        std::string systemPart = built.value().prefixText;
        const bool splits = full.compare(0, systemPart.size(), systemPart) == 0;
        if (!splits)
            systemPart.clear();
        const std::vector<int32_t> prefixIds = state->tokenizer->encode(systemPart);
        const std::vector<int32_t> restIds = state->tokenizer->encode(
            std::string_view(full).substr(systemPart.size()));
        const QByteArray key = QCryptographicHash::hash(QByteArray::fromStdString(systemPart),
                                                        QCryptographicHash::Sha256);
        const qint64 total = qint64(prefixIds.size() + restIds.size());
        const qint64 context = state->model->info().max_context;
        if (context > 0 && total + request.maxTokens / 8 > context) {
            finish(ChatMessage::State::Failed, {},
                   tr("The prompt has %L1 tokens; the model's context is %L2.")
                       .arg(total)
                       .arg(context));
            return;
        }

        AnswerStats stats;
        stats.promptTokens = int(total);
        std::unique_ptr<folio::Session> session;
        qint64 done = 0;
        auto prefill = [&](const std::vector<int32_t> &ids, bool last) -> folio::Status {
            for (size_t at = 0; at < ids.size(); at += kPrefillChunk) {
                if (state->stop)
                    return folio::Status::error("cancelled");
                const size_t end = std::min(ids.size(), at + size_t(kPrefillChunk));
                const std::vector<int> chunk(ids.begin() + at, ids.begin() + end);
                const bool final = last && end == ids.size();
                const folio::Status st = session->prefill(chunk, final ? folio::LogitsMode::Last
                                                                       : folio::LogitsMode::None);
                if (!st)
                    return st;
                done += qint64(chunk.size());
                const double seconds = clock.elapsed() / 1000.0;
                const double rate = seconds > 0 ? done / seconds : 0;
                const double eta = rate > 0 ? (total - done) / rate : 0;
                const qint64 d = done;
                postBack(this, [this, d, total, rate, eta] {
                    Q_EMIT prefillProgress(d, total, rate, eta);
                });
            }
            return {};
        };
        if (!systemPart.empty() && state->prefix && state->prefixKey == key) {
            session = state->prefix->fork();
            stats.snapshotReused = true;
            done = qint64(prefixIds.size());
        } else {
            session = state->model->create_session();
            {
                std::lock_guard lock(state->activeMutex);
                state->active = session.get();
            }
            const folio::Status st = prefill(prefixIds, restIds.empty());
            if (!st) {
                std::lock_guard lock(state->activeMutex);
                state->active = nullptr;
                const bool stopped = state->stop.load();
                finish(stopped ? ChatMessage::State::Stopped : ChatMessage::State::Failed, stats,
                       stopped ? QString() : QString::fromStdString(st.message()));
                return;
            }
            if (!systemPart.empty()) {
                state->prefix = session->fork();
                state->prefixKey = key;
            }
        }
        {
            std::lock_guard lock(state->activeMutex);
            state->active = session.get();
        }
        auto release = qScopeGuard([&] {
            std::lock_guard lock(state->activeMutex);
            state->active = nullptr;
        });
        if (const folio::Status st = prefill(restIds, true); !st) {
            const bool stopped = state->stop.load();
            finish(stopped ? ChatMessage::State::Stopped : ChatMessage::State::Failed, stats,
                   stopped ? QString() : QString::fromStdString(st.message()));
            return;
        }

        folio::GenerateParams params;
        params.max_tokens = std::max(1, request.maxTokens);
        params.sampling.temperature = float(request.sampling.temperature);
        params.sampling.top_p = float(std::max(0.01, request.sampling.topP));
        params.sampling.top_k = request.sampling.topK;
        params.sampling.seed = request.sampling.seed != 0
                                   ? request.sampling.seed
                                   : QRandomGenerator::global()->generate64();
        const std::optional<int32_t> thinkEnd = state->tokenizer->token_id(folio::chat::kThinkEnd);
        folio::StreamDecoder decoder(state->tokenizer, /*skip_special=*/true);
        TextBatcher batcher(this, request.thinking);
        QElapsedTimer decodeClock;
        bool first = true;
        const auto result = session->generate(params, [&](int token) {
            if (first) {
                stats.timeToFirstTokenMs = clock.elapsed();
                decodeClock.start();
                first = false;
            }
            if (thinkEnd && token == *thinkEnd) {
                batcher.setThinking(false);
                return !state->stop;
            }
            batcher.add(decoder.push(token));
            return !state->stop.load();
        });
        batcher.add(decoder.finish());
        batcher.flush();
        const qint64 used = session->position();
        postBack(this, [this, used, context] { Q_EMIT contextUsed(used, context); });
        if (!result) {
            const bool stopped = state->stop.load();
            finish(stopped ? ChatMessage::State::Stopped : ChatMessage::State::Failed, stats,
                   stopped ? QString() : QString::fromStdString(result.status().message()));
            return;
        }
        stats.generatedTokens = int(result.value().tokens.size());
        const double decodeSeconds = decodeClock.isValid() ? decodeClock.elapsed() / 1000.0 : 0;
        stats.tokensPerSecond = decodeSeconds > 0 ? stats.generatedTokens / decodeSeconds : 0;
        const bool stopped = result.value().reason == folio::StopReason::Callback || state->stop;
        finish(stopped ? ChatMessage::State::Stopped : ChatMessage::State::Done, stats, QString());
    });
}

} // namespace folio::app
