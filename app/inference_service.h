// InferenceService: the local engine as an AnswerBackend. The model, its tokenizer and its
// sessions live on one "folio-engine" thread; the UI thread only posts requests and receives
// queued signals. An answer builds the analysis prompt (app/analysis: Folio's instructions + the
// packed sources as the system prompt, then the branch's earlier turns and the question), prefills it in chunks — reporting
// tokens, rate and time left, and polling the stop flag between chunks — and streams the decoded
// text, split into the thinking part and the answer at </think>. The KV state after the system
// prompt is kept (Session::fork) and reused while the sources stay the same.
#pragma once

#include "app/answer_backend.h"

#include <memory>

namespace folio::app {

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
};

} // namespace folio::app
