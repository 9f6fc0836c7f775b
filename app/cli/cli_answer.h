// Where `folio-cli ask` and `folio-cli chat` get their answers from, and how one answer runs.
// The Answerer picks, in this order, a running `folio-cli serve` of the same model directory
// (discovery file; `--no-server` skips it), the `--endpoint`, or the model loaded in this process
// (loaded once: chat asks many questions on it). One answer() streams the thinking part and the
// answer through a callback, draws the prefill progress on a terminal, and can be stopped by
// Ctrl+C through an InterruptWatcher without ending the program.
#pragma once

#include "app/analysis/analysis_prompt.h"
#include "app/analysis/conversation.h"
#include "app/remote/openai_client.h"
#include "app/server/server_backend.h"
#include "folio/engine.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace folio::server {
class EngineBackend;
}
namespace folio::ingest {
class TokenCounter;
}

namespace folio::cli {

// Ctrl+C as "stop the current answer" (chat). Construct it before any other thread starts: it
// blocks SIGINT in the calling thread, so every thread started later inherits the mask, and takes
// the signal synchronously on its own thread — no async-signal-safety rules to break, and no
// system call elsewhere interrupted. While armed, SIGINT cancels the armed token and sets fired();
// while idle it prints a hint on stderr (reading the next line goes on).
class InterruptWatcher
{
public:
    InterruptWatcher();
    ~InterruptWatcher(); // stops the thread, restores the signal mask
    InterruptWatcher(const InterruptWatcher &) = delete;
    InterruptWatcher &operator=(const InterruptWatcher &) = delete;

    void arm(server::CancelToken *token); // token may be null (remote answers poll fired())
    void disarm();
    bool fired() const { return m_fired.load(); }
    const std::atomic_bool &firedFlag() const { return m_fired; }

private:
    void run();

    std::thread m_thread;
    std::mutex m_mutex;
    server::CancelToken *m_token = nullptr;
    bool m_armed = false;
    std::atomic_bool m_fired{false};
    std::atomic_bool m_quit{false};
};

using analysis::AnswerOutcome;

// --model, --endpoint, --api-model, --no-server, --tokenizer, --thinking, -n, --db (ask and
// chat share them).
void addBackendOptions(QCommandLineParser &parser);
// --repo, --ref, --pdf, --session (ask and chat take the same sources).
void addSourceOptions(QCommandLineParser &parser);
// The ingest request of --repo/--pdf; nullopt when neither is given.
std::optional<ingest::IngestRequest> sourceRequest(const QCommandLineParser &parser);
// --db, or the data directory's folio.db.
QString databasePath(const QCommandLineParser &parser);
// Folio's tokenizer for token counts (the budget is counted here even for remote endpoints):
// --tokenizer, or the --model directory's tokenizer.json.
std::unique_ptr<ingest::TokenCounter> loadCounter(const QCommandLineParser &parser, QString *error);

class Answerer
{
public:
    struct Options
    {
        QString modelDir; // local model (may be served by a running server)
        QString endpoint; // OpenAI-compatible base URL instead
        QString apiModel; // the endpoint's model name
        bool noServer = false;
        // folio.db: the in-process engine restores and stores KV snapshots there
        // (EngineBackend's SnapshotOptions); empty: states are reused from memory only.
        QString databasePath;
        LoadOptions engine;    // where the in-process engine runs (device, GPUs, expert cache)
        int maxTokens = 2048;  // -n
        bool progress = false; // draw the prefill progress bar on stderr
    };
    // The options from addBackendOptions(); false with a usage message when they do not fit.
    static bool optionsFrom(const QCommandLineParser &parser, Options *out, QString *usage);

    explicit Answerer(Options options);
    ~Answerer();

    // Chooses the backend (loading the model in process when it has to). Messages on stderr.
    bool prepare(QString *error);
    QString backendName() const { return m_backendName; }
    bool inProcess() const { return m_local != nullptr; }

    using DeltaFn = std::function<void(bool reasoning, const QString &text)>;
    // Answers `prompt` (system + earlier turns + question). `interrupts` may be null. The
    // in-process engine ties its KV snapshots to the stored `session` and its `branchTip` (the
    // message the question follows; 0 for both when not stored yet: saveTurn ties them).
    AnswerOutcome answer(const analysis::AnalysisPrompt &prompt, int maxTokens,
                         const DeltaFn &onDelta, InterruptWatcher *interrupts, qint64 session = 0,
                         qint64 branchTip = 0);

private:
    AnswerOutcome answerRemote(const analysis::AnalysisPrompt &prompt, int maxTokens,
                               const DeltaFn &onDelta, InterruptWatcher *interrupts);
    AnswerOutcome answerLocal(const analysis::AnalysisPrompt &prompt, int maxTokens,
                              const DeltaFn &onDelta, InterruptWatcher *interrupts, qint64 session,
                              qint64 branchTip);

    Options m_options;
    QString m_backendName;
    std::optional<remote::RemoteEndpoint> m_remote;
    bool m_localServer = false;
    std::shared_ptr<server::EngineBackend> m_local;
    QElapsedTimer m_prefillClock;
};

} // namespace folio::cli
