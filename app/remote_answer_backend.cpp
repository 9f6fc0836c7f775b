// RemoteAnswerBackend: one OpenAiClient per answer; its deltas become textChunk, its end one
// answerFinished with the endpoint's token counts.
#include "app/remote_answer_backend.h"

#include "app/analysis/analysis_prompt.h"
#include "app/remote/api_key_store.h"
#include "app/server/discovery.h"

#include <QFileInfo>
#include <QJsonObject>

namespace folio::app {

RemoteAnswerBackend::RemoteAnswerBackend(folio::remote::RemoteEndpoint endpoint, ModelInfo info,
                                         QObject *parent)
    : AnswerBackend(parent)
    , m_endpoint(std::move(endpoint))
    , m_info(std::move(info))
{}

RemoteAnswerBackend::~RemoteAnswerBackend()
{
    if (m_client) {
        m_client->disconnect(this);
        m_client->cancel();
    }
}

RemoteAnswerBackend *RemoteAnswerBackend::fromSettings(const Settings &settings, QObject *parent,
                                                       QString *note)
{
    note->clear();
    const ModelSource source = settings.modelSource();
    if (source == ModelSource::Remote) {
        folio::remote::RemoteEndpoint ep;
        ep.baseUrl = QUrl(settings.remoteUrl().trimmed());
        ep.model = settings.remoteModel().trimmed();
        QString keyError;
        ep.apiKey = folio::remote::ApiKeyStore().key(ep.baseUrl, &keyError);
        if (const folio::remote::EndpointPreset *p = folio::remote::presetForUrl(ep.baseUrl))
            ep.thinking = p->thinking;
        ModelInfo info;
        info.name = ep.model;
        info.device = tr("remote: %1").arg(ep.baseUrl.host());
        *note = keyError.isEmpty()
                    ? tr("Answers come from %1 (%2).").arg(ep.baseUrl.toString(), ep.model)
                    : keyError;
        return new RemoteAnswerBackend(ep, info, parent);
    }
    const QString dir = settings.effectiveModelDirectory();
    if (dir.isEmpty() || (source != ModelSource::Local && source != ModelSource::Demo))
        return nullptr;
    const QString canonical = QFileInfo(dir).canonicalFilePath();
    const std::optional<folio::server::ServerInfo> server = folio::server::findLocalServer(
        canonical.isEmpty() ? dir : canonical);
    // A server started with --api-key needs a key the GUI does not have: load the model instead.
    if (!server || server->needsKey)
        return nullptr;
    folio::remote::RemoteEndpoint ep;
    ep.baseUrl = server->baseUrl;
    ep.model = server->modelId;
    ep.thinking = folio::remote::ThinkingStyle::DeepSeek; // Folio's server speaks DeepSeek's API
    ModelInfo info;
    info.directory = dir;
    info.name = QFileInfo(dir).fileName();
    info.device = tr("local server %1 (pid %2)").arg(server->baseUrl.authority()).arg(server->pid);
    *note = tr("Using the running Folio server at %1 (pid %2): the model is not loaded a second "
               "time.")
                .arg(server->baseUrl.toString())
                .arg(server->pid);
    auto *backend = new RemoteAnswerBackend(ep, info, parent);
    backend->m_localServer = true;
    return backend;
}

bool RemoteAnswerBackend::isLoaded() const
{
    return m_endpoint.baseUrl.isValid() && !m_endpoint.baseUrl.isEmpty()
           && !m_endpoint.model.isEmpty();
}

folio::remote::RemoteRequest RemoteAnswerBackend::remoteRequest(const AnswerRequest &request)
{
    folio::remote::RemoteRequest r;
    r.messages.append(
        QJsonObject{{QStringLiteral("role"), QStringLiteral("system")},
                    {QStringLiteral("content"),
                     QString::fromStdString(folio::analysis::systemPromptText(request.sources))}});
    // Earlier answers go without their thinking part: DeepSeek's API refuses reasoning_content in
    // the input, and the V4 format drops it from earlier turns anyway.
    for (const ChatMessage &m : request.history)
        r.messages.append(QJsonObject{{QStringLiteral("role"), m.role == ChatMessage::Role::User
                                                                   ? QStringLiteral("user")
                                                                   : QStringLiteral("assistant")},
                                      {QStringLiteral("content"), m.text}});
    r.messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                  {QStringLiteral("content"), request.question}});
    r.thinking = request.thinking;
    r.maxTokens = std::max(1, request.maxTokens);
    r.temperature = request.sampling.temperature;
    r.topP = request.sampling.topP;
    return r;
}

void RemoteAnswerBackend::answer(const AnswerRequest &request)
{
    if (m_client) {
        finish(ChatMessage::State::Failed, {}, tr("An answer is already running."));
        return;
    }
    if (!isLoaded()) {
        finish(ChatMessage::State::Failed, {},
               tr("The remote endpoint needs a URL and a model name (Settings → Model)."));
        return;
    }
    auto *client = new folio::remote::OpenAiClient(m_endpoint, this);
    m_client = client;
    m_firstTokenMs = 0;
    m_clock.start();
    Q_EMIT busyChanged(true);
    auto firstToken = [this] {
        if (m_firstTokenMs == 0)
            m_firstTokenMs = double(m_clock.nsecsElapsed()) / 1e6;
    };
    connect(client, &folio::remote::OpenAiClient::reasoningDelta, this,
            [this, firstToken](const QString &text) {
                firstToken();
                Q_EMIT textChunk(text, true);
            });
    connect(client, &folio::remote::OpenAiClient::contentDelta, this,
            [this, firstToken](const QString &text) {
                firstToken();
                Q_EMIT textChunk(text, false);
            });
    connect(client, &folio::remote::OpenAiClient::finished, this,
            [this](const folio::remote::RemoteResult &result) {
                AnswerStats stats;
                stats.promptTokens = result.promptTokens;
                stats.generatedTokens = result.completionTokens;
                stats.timeToFirstTokenMs = m_firstTokenMs;
                const double decodeMs = double(m_clock.nsecsElapsed()) / 1e6 - m_firstTokenMs;
                stats.tokensPerSecond = decodeMs > 0 ? result.completionTokens * 1000.0 / decodeMs
                                                     : 0;
                stats.snapshotReused = result.cachedPromptTokens > 0;
                finish(ChatMessage::State::Done, stats, QString());
            });
    connect(client, &folio::remote::OpenAiClient::failed, this,
            [this](const folio::remote::RemoteError &error) {
                if (error.kind == folio::remote::RemoteError::Cancelled)
                    finish(ChatMessage::State::Stopped, {}, QString());
                else
                    finish(ChatMessage::State::Failed, {}, error.message);
            });
    client->start(remoteRequest(request));
}

void RemoteAnswerBackend::stop()
{
    if (m_client)
        m_client->cancel();
}

void RemoteAnswerBackend::finish(ChatMessage::State state, const AnswerStats &stats,
                                 const QString &error)
{
    const bool wasRunning = m_client;
    if (m_client) {
        m_client->disconnect(this);
        m_client->deleteLater();
        m_client = nullptr;
    }
    if (wasRunning)
        Q_EMIT busyChanged(false);
    Q_EMIT answerFinished(state, stats, error);
}

} // namespace folio::app
