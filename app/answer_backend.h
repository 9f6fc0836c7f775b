// AnswerBackend: where answers come from, as the session controller sees it — the local engine
// (InferenceService, the model on its own thread) or a remote OpenAI-compatible endpoint. A
// backend streams text through signals and polls its stop flag between steps; the controller never
// blocks on it.
#pragma once

#include "app/chat_message.h"
#include "app/settings.h"

#include <QObject>
#include <QVector>

namespace folio::app {

struct ModelInfo
{
    QString directory;
    QString name;   // "DeepSeek-V4-Flash", "demo model (random weights)"
    QString device; // "CPU", "cuda:0"
    qint64 contextTokens = 0;
    qint64 memoryBytes = 0; // weights mapped + state allocated
    bool randomWeights = false;
};

struct AnswerRequest
{
    QByteArray sources;           // the packed sources (system prompt part)
    QVector<ChatMessage> history; // earlier questions and answers on this branch
    QString question;
    bool thinking = false;
    SamplingSettings sampling;
    int maxTokens = 4096;
    // The stored session and the message the question follows (0: none or not stored yet): the
    // engine's KV snapshots are tied to them until the answer is stored (StorageService).
    qint64 sessionId = 0, branchTip = 0;
};

class AnswerBackend : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;
    ~AnswerBackend() override = default;

    virtual bool isLoaded() const = 0;
    virtual ModelInfo modelInfo() const = 0;
    // Starts an answer; textChunk… then exactly one answerFinished follow.
    virtual void answer(const AnswerRequest &request) = 0;
    // Stops the running prefill or answer at its next step (answerFinished with Stopped).
    virtual void stop() = 0;

Q_SIGNALS:
    void modelLoaded(const folio::app::ModelInfo &info);
    void loadFailed(const QString &message);
    void busyChanged(bool busy);
    // Prefill of the prompt: tokens done of total, rate, and the estimated seconds left.
    void prefillProgress(qint64 done, qint64 total, double tokensPerSecond, double etaSeconds);
    // A KV snapshot being read back (restoring) or written: bytes done of total (0 while a
    // write's length is not known yet; done == total at the end) and the rate. Local engine only.
    void snapshotProgress(bool restoring, qint64 doneBytes, qint64 totalBytes,
                          double bytesPerSecond);
    // Streamed text: `thinking` says which part it belongs to.
    void textChunk(const QString &text, bool thinking);
    // The answer ended: Done, Stopped or Failed (with `error`).
    void answerFinished(folio::app::ChatMessage::State state, const folio::app::AnswerStats &stats,
                        const QString &error);
    // Context held by the session's state after the last step.
    void contextUsed(qint64 tokens, qint64 contextTokens);
};

} // namespace folio::app

Q_DECLARE_METATYPE(folio::app::ModelInfo)
Q_DECLARE_METATYPE(folio::app::AnswerStats)
Q_DECLARE_METATYPE(folio::app::ChatMessage::State)
