// InferenceService: the local engine as an AnswerBackend for the GUI. The model lives in an
// EngineBackend (app/server/engine_backend.h — the same engine, prompt-prefix reuse and KV
// snapshots the server and `folio-cli ask`/`chat` run on) on one "folio-engine" thread; the UI
// thread only posts requests and receives queued signals. An answer builds the analysis prompt
// (app/analysis: Folio's instructions + the packed sources as the system prompt, then the
// branch's earlier turns and the question), and the backend continues from the longest state it
// holds in memory or finds in folio.db, prefills the rest in chunks — reported as tokens, rate
// and time left; Stop is polled between chunks — and streams the text, split into the thinking
// part and the answer at </think>.
#pragma once

#include "app/answer_backend.h"
#include "app/server/engine_backend.h"

#include <memory>

namespace folio::app {

class Settings;
class WorkerThread;

class InferenceService : public AnswerBackend
{
    Q_OBJECT

public:
    // Prefill granularity: small enough for a responsive Stop and progress, large enough that the
    // per-call overhead does not matter.
    static constexpr int kPrefillChunk = 256;

    explicit InferenceService(QObject *parent = nullptr);
    ~InferenceService() override;

    // KV snapshots (off by default): the GUI passes its folio.db and, as `eviction`, the size
    // cap of its settings (Settings::snapshotCapGiB). Takes effect at the next loadModel().
    void setSnapshotOptions(const server::SnapshotOptions &options) { m_snapshots = options; }
    // Where the engine runs (LoadOptions device, gpus, expert cache; Settings::device() and
    // expertCacheGiB()). Takes effect at the next loadModel(), whose `threads` wins.
    void setEngineOptions(const LoadOptions &engine) { m_engine = engine; }
    // Both of the above from the app's settings (device, expert cache, snapshot size cap) and
    // the session database `databasePath`: what the main window calls before loadModel().
    void applySettings(const Settings &settings, const QString &databasePath);
    // Loads `directory` (config, weights, tokenizer.json) on the engine thread.
    void loadModel(const QString &directory, int threads);
    bool isLoaded() const override { return m_loaded; }
    ModelInfo modelInfo() const override { return m_info; }
    void answer(const AnswerRequest &request) override;
    void stop() override;
    // Blocks until the engine thread has finished what was posted (tests, shutdown).
    void waitForIdle();

private:
    struct State;
    std::shared_ptr<State> m_state;
    std::unique_ptr<WorkerThread> m_thread;
    bool m_loaded = false;
    ModelInfo m_info;
    server::SnapshotOptions m_snapshots;
    LoadOptions m_engine;
};

} // namespace folio::app
