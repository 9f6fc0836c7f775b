// RemoteAnswerBackend: an OpenAI-compatible endpoint as the GUI's AnswerBackend — a remote API
// (DeepSeek, OpenRouter, a vLLM/SGLang cluster) chosen in the settings, or a local `folio-cli
// serve` that already holds the configured model (app/server/discovery.h), so the GUI does not map
// a second copy. The request carries the same system prompt the local engine sees (Folio's
// instructions + the packed sources, app/analysis/analysis_prompt.h), the branch's earlier turns
// without their thinking parts, and the question. Streams through app/remote's OpenAiClient,
// which lives on the UI thread and never blocks it (QNetworkAccessManager is asynchronous).
#pragma once

#include "app/answer_backend.h"
#include "app/remote/openai_client.h"

#include <QElapsedTimer>
#include <QPointer>

namespace folio::app {

class RemoteAnswerBackend : public AnswerBackend
{
    Q_OBJECT

public:
    // `info` is what the status bar shows (name, device such as "remote: api.deepseek.com").
    RemoteAnswerBackend(folio::remote::RemoteEndpoint endpoint, ModelInfo info,
                        QObject *parent = nullptr);
    ~RemoteAnswerBackend() override;

    // Configured when the endpoint has a URL and a model name; nothing is loaded locally.
    bool isLoaded() const override;
    ModelInfo modelInfo() const override { return m_info; }
    void answer(const AnswerRequest &request) override;
    void stop() override;

    // The backend the settings call for instead of loading the model here: the configured remote
    // endpoint (ModelSource::Remote, its key from ApiKeyStore), or a running local `folio-cli
    // serve` of the configured model directory (no second copy of the weights). nullptr when the
    // local engine should load the model; then `note` is empty. `note` says what was chosen.
    static RemoteAnswerBackend *fromSettings(const Settings &settings, QObject *parent,
                                             QString *note);

    const folio::remote::RemoteEndpoint &endpoint() const { return m_endpoint; }
    // True when this is a local Folio server found through its discovery file.
    bool isLocalServer() const { return m_localServer; }
    // The request answer() sends for `request` (tests).
    static folio::remote::RemoteRequest remoteRequest(const AnswerRequest &request);

private:
    void finish(ChatMessage::State state, const AnswerStats &stats, const QString &error);

    folio::remote::RemoteEndpoint m_endpoint;
    ModelInfo m_info;
    QPointer<folio::remote::OpenAiClient> m_client;
    QElapsedTimer m_clock;
    double m_firstTokenMs = 0;
    bool m_localServer = false;
};

} // namespace folio::app
