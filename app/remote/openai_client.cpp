// The OpenAI-compatible chat client (see openai_client.h).
#include "app/remote/openai_client.h"

#include "app/remote/api_key_store.h"
#include "app/remote/sse_parser.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

namespace folio::remote {

namespace {

QString serverMessage(const QByteArray &body)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QJsonValue err = o.value(QLatin1String("error"));
    if (err.isObject())
        return err.toObject().value(QLatin1String("message")).toString();
    if (err.isString())
        return err.toString();
    const QString detail = o.value(QLatin1String("detail")).toString(); // some proxies
    if (!detail.isEmpty())
        return detail;
    return QString::fromUtf8(body.left(300)).trimmed();
}

} // namespace

OpenAiClient::OpenAiClient(RemoteEndpoint endpoint, QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
    , m_nam(new QNetworkAccessManager(this))
    , m_idleTimer(new QTimer(this))
    , m_retryTimer(new QTimer(this))
{
    m_idleTimer->setSingleShot(true);
    m_retryTimer->setSingleShot(true);
    connect(m_idleTimer, &QTimer::timeout, this, &OpenAiClient::onIdleTimeout);
    connect(m_retryTimer, &QTimer::timeout, this, [this] {
        m_retryPending = false;
        sendAttempt();
    });
}

OpenAiClient::~OpenAiClient()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
    }
}

QByteArray OpenAiClient::requestBody(const RemoteRequest &r) const
{
    QJsonObject o{{QStringLiteral("model"), m_endpoint.model},
                  {QStringLiteral("messages"), r.messages},
                  {QStringLiteral("stream"), r.stream}};
    if (r.stream)
        o.insert(QStringLiteral("stream_options"),
                 QJsonObject{{QStringLiteral("include_usage"), true}});
    if (r.maxTokens > 0)
        o.insert(QStringLiteral("max_tokens"), r.maxTokens);
    if (r.temperature)
        o.insert(QStringLiteral("temperature"), *r.temperature);
    if (r.topP)
        o.insert(QStringLiteral("top_p"), *r.topP);
    if (!r.stop.isEmpty())
        o.insert(QStringLiteral("stop"), QJsonArray::fromStringList(r.stop));
    switch (m_endpoint.thinking) {
    case ThinkingStyle::DeepSeek:
        o.insert(QStringLiteral("thinking"),
                 QJsonObject{{QStringLiteral("type"), r.thinking ? QStringLiteral("enabled")
                                                                 : QStringLiteral("disabled")}});
        break;
    case ThinkingStyle::ChatTemplateKwargs:
        o.insert(QStringLiteral("chat_template_kwargs"),
                 QJsonObject{{QStringLiteral("thinking"), r.thinking}});
        break;
    case ThinkingStyle::OpenRouter:
        o.insert(QStringLiteral("reasoning"), QJsonObject{{QStringLiteral("enabled"), r.thinking}});
        break;
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void OpenAiClient::start(const RemoteRequest &request)
{
    cancel();
    m_request = request;
    m_cancelled = false;
    m_attempt = 0;
    m_result = {};
    m_receivedAnswer = false;
    sendAttempt();
}

void OpenAiClient::cancel()
{
    const bool wasRunning = isRunning();
    m_retryTimer->stop();
    m_retryPending = false;
    m_idleTimer->stop();
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    if (wasRunning && !m_cancelled) {
        m_cancelled = true;
        RemoteError e;
        e.kind = RemoteError::Cancelled;
        e.message = QStringLiteral("Cancelled");
        e.attempts = m_attempt;
        emit failed(e);
    }
}

void OpenAiClient::sendAttempt()
{
    ++m_attempt;
    m_timedOut = false;
    m_sawDone = false;
    m_body.clear();
    m_sse = SseParser();
    QUrl url = m_endpoint.baseUrl;
    QString path = url.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    url.setPath(path + QStringLiteral("/chat/completions"));
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    req.setRawHeader("Accept", m_request.stream ? "text/event-stream" : "application/json");
    if (!m_endpoint.apiKey.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_endpoint.apiKey.toUtf8());
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::NoLessSafeRedirectPolicy);
    m_reply = m_nam->post(req, requestBody(m_request));
    connect(m_reply, &QNetworkReply::readyRead, this, &OpenAiClient::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &OpenAiClient::onFinished);
    m_idleTimer->start(m_endpoint.idleTimeoutMs);
}

void OpenAiClient::onIdleTimeout()
{
    if (!m_reply)
        return;
    m_timedOut = true;
    m_reply->abort(); // → onFinished with OperationCanceledError; m_timedOut tells them apart
}

void OpenAiClient::onReadyRead()
{
    if (!m_reply)
        return;
    m_idleTimer->start(m_endpoint.idleTimeoutMs);
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray bytes = m_reply->readAll();
    const bool sse = m_reply->header(QNetworkRequest::ContentTypeHeader)
                         .toString()
                         .startsWith(QLatin1String("text/event-stream"));
    if (status != 200 || !sse) {
        m_body += bytes;
        return;
    }
    const QList<QByteArray> events = m_sse.feed(bytes);
    for (const QByteArray &data : events) {
        if (!m_reply)
            return; // a handler failed the request
        handleEvent(data);
    }
}

void OpenAiClient::handleEvent(const QByteArray &data)
{
    if (data == "[DONE]") {
        m_sawDone = true;
        return;
    }
    QJsonParseError perr;
    const QJsonObject o = QJsonDocument::fromJson(data, &perr).object();
    if (perr.error != QJsonParseError::NoError) {
        RemoteError e;
        e.kind = RemoteError::BadResponse;
        e.message = QStringLiteral("The endpoint sent an event that is not JSON: %1")
                        .arg(QString::fromUtf8(data.left(200)));
        fail(e);
        return;
    }
    if (o.contains(QLatin1String("error"))) {
        // An error in the middle of a stream (the server's timeout, shutdown, ...).
        RemoteError e;
        e.kind = RemoteError::ServerError;
        e.message = QStringLiteral("The endpoint stopped the answer: %1").arg(serverMessage(data));
        fail(e);
        return;
    }
    if (o.contains(QLatin1String("model")))
        m_result.model = o.value(QLatin1String("model")).toString();
    const QJsonArray choices = o.value(QLatin1String("choices")).toArray();
    if (!choices.isEmpty()) {
        const QJsonObject choice = choices.first().toObject();
        const QJsonObject delta = choice.value(QLatin1String("delta")).toObject();
        QString reasoning = delta.value(QLatin1String("reasoning_content")).toString();
        if (reasoning.isEmpty())
            reasoning = delta.value(QLatin1String("reasoning")).toString();
        const QString content = delta.value(QLatin1String("content")).toString();
        if (!reasoning.isEmpty()) {
            m_receivedAnswer = true;
            m_result.reasoning += reasoning;
            emit reasoningDelta(reasoning);
        }
        if (!content.isEmpty()) {
            m_receivedAnswer = true;
            m_result.content += content;
            emit contentDelta(content);
        }
        const QJsonValue finish = choice.value(QLatin1String("finish_reason"));
        if (finish.isString())
            m_result.finishReason = finish.toString();
    }
    const QJsonObject usage = o.value(QLatin1String("usage")).toObject();
    if (!usage.isEmpty()) {
        m_result.promptTokens = usage.value(QLatin1String("prompt_tokens")).toInt();
        m_result.completionTokens = usage.value(QLatin1String("completion_tokens")).toInt();
        m_result.cachedPromptTokens
            = usage.value(QLatin1String("prompt_tokens_details"))
                  .toObject()
                  .value(QLatin1String("cached_tokens"))
                  .toInt(usage.value(QLatin1String("prompt_cache_hit_tokens")).toInt());
    }
}

QString OpenAiClient::describeHttpError(int status, const QByteArray &body) const
{
    const QString host = m_endpoint.baseUrl.host();
    const QString said = redact(serverMessage(body), m_endpoint.apiKey);
    const QString suffix = said.isEmpty() ? QString()
                                          : QStringLiteral(" The server said: %1").arg(said);
    switch (status) {
    case 401:
    case 403:
        return QStringLiteral("%1 rejected the API key (HTTP %2). %3%4")
            .arg(host)
            .arg(status)
            .arg(m_endpoint.apiKey.isEmpty()
                     ? QStringLiteral("No key is set for this endpoint; add one in the settings "
                                      "or with --api-key-file.")
                     : QStringLiteral("Check that the key is valid for this endpoint."),
                 suffix);
    case 404:
        return QStringLiteral("%1 has no %2 (HTTP 404): check the base URL (it usually ends in "
                              "/v1) and the model name \"%3\".%4")
            .arg(host, m_reply ? m_reply->url().path() : QStringLiteral("such endpoint"),
                 m_endpoint.model, suffix);
    case 429:
        return QStringLiteral("%1 is rate-limiting requests (HTTP 429) after %2 attempts; wait "
                              "and try again.%3")
            .arg(host)
            .arg(m_attempt)
            .arg(suffix);
    default:
        if (status >= 500)
            return QStringLiteral("%1 failed (HTTP %2) after %3 attempts.%4")
                .arg(host)
                .arg(status)
                .arg(m_attempt)
                .arg(suffix);
        return QStringLiteral("%1 refused the request (HTTP %2).%3")
            .arg(host)
            .arg(status)
            .arg(suffix);
    }
}

bool OpenAiClient::retryLater(const QString &reason, int retryAfterMs)
{
    if (m_receivedAnswer || m_attempt >= m_endpoint.maxAttempts)
        return false;
    int delay = m_endpoint.initialBackoffMs << std::min(m_attempt - 1, 16);
    delay = std::min(delay, m_endpoint.maxBackoffMs);
    if (retryAfterMs > 0)
        delay = std::min(std::max(delay, retryAfterMs), 60000);
    emit retrying(m_attempt + 1, delay, reason);
    m_retryPending = true;
    m_retryTimer->start(delay);
    return true;
}

void OpenAiClient::onFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    m_idleTimer->stop();
    m_reply = nullptr;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray tail = reply->isOpen() ? reply->readAll() : QByteArray();
    const QNetworkReply::NetworkError netError = reply->error();
    const bool sse = status == 200
                     && reply->header(QNetworkRequest::ContentTypeHeader)
                            .toString()
                            .startsWith(QLatin1String("text/event-stream"));
    if (!sse)
        m_body += tail;

    if (m_timedOut) {
        const QString reason = QStringLiteral("no data from %1 for %2 s")
                                   .arg(m_endpoint.baseUrl.host())
                                   .arg(m_endpoint.idleTimeoutMs / 1000.0);
        if (retryLater(reason, 0))
            return;
        RemoteError e;
        e.kind = RemoteError::Timeout;
        e.message = QStringLiteral("Timed out: %1 (attempt %2).").arg(reason).arg(m_attempt);
        fail(e);
        return;
    }
    if (status == 0) {
        // No HTTP response at all: refused, reset, DNS, TLS.
        const QString reason = redact(reply->errorString(), m_endpoint.apiKey);
        if (retryLater(reason, 0))
            return;
        RemoteError e;
        e.kind = RemoteError::Network;
        e.message = QStringLiteral("Cannot reach %1: %2 (after %3 attempts).")
                        .arg(m_endpoint.baseUrl.toString(QUrl::RemoveUserInfo), reason)
                        .arg(m_attempt);
        fail(e);
        return;
    }
    if (status != 200) {
        if (status == 429 || status >= 500) {
            bool ok = false;
            const int retryAfter = reply->rawHeader("Retry-After").toInt(&ok);
            if (retryLater(QStringLiteral("HTTP %1").arg(status), ok ? retryAfter * 1000 : 0))
                return;
        }
        RemoteError e;
        e.httpStatus = status;
        e.kind = status == 401 || status == 403 ? RemoteError::Unauthorized
                 : status == 404                ? RemoteError::NotFound
                 : status == 429                ? RemoteError::RateLimited
                 : status >= 500                ? RemoteError::ServerError
                                                : RemoteError::BadRequest;
        e.message = describeHttpError(status, m_body);
        fail(e);
        return;
    }
    if (sse) {
        QList<QByteArray> events = m_sse.feed(tail);
        const QByteArray rest = m_sse.flush();
        if (!rest.isEmpty())
            events.push_back(rest);
        m_reply = reply; // handleEvent() may fail() the request, which checks m_reply
        for (const QByteArray &data : events) {
            if (!m_reply)
                return;
            handleEvent(data);
        }
        if (!m_reply)
            return;
        m_reply = nullptr;
        if (netError != QNetworkReply::NoError || (!m_sawDone && m_result.finishReason.isEmpty())) {
            RemoteError e;
            e.kind = RemoteError::Network;
            e.message = QStringLiteral("The connection to %1 ended in the middle of the answer%2.")
                            .arg(m_endpoint.baseUrl.host(),
                                 netError != QNetworkReply::NoError
                                     ? QStringLiteral(": ")
                                           + redact(reply->errorString(), m_endpoint.apiKey)
                                     : QString());
            e.attempts = m_attempt;
            emit failed(e);
            return;
        }
    } else {
        const QJsonObject o = QJsonDocument::fromJson(m_body).object();
        const QJsonObject choice = o.value(QLatin1String("choices")).toArray().first().toObject();
        const QJsonObject message = choice.value(QLatin1String("message")).toObject();
        if (message.isEmpty()) {
            RemoteError e;
            e.kind = RemoteError::BadResponse;
            e.message = QStringLiteral("%1 answered without a message: %2")
                            .arg(m_endpoint.baseUrl.host(), QString::fromUtf8(m_body.left(200)));
            e.attempts = m_attempt;
            emit failed(e);
            return;
        }
        m_result.content = message.value(QLatin1String("content")).toString();
        m_result.reasoning = message.value(QLatin1String("reasoning_content")).toString();
        if (m_result.reasoning.isEmpty())
            m_result.reasoning = message.value(QLatin1String("reasoning")).toString();
        m_result.finishReason = choice.value(QLatin1String("finish_reason")).toString();
        m_result.model = o.value(QLatin1String("model")).toString();
        const QJsonObject usage = o.value(QLatin1String("usage")).toObject();
        m_result.promptTokens = usage.value(QLatin1String("prompt_tokens")).toInt();
        m_result.completionTokens = usage.value(QLatin1String("completion_tokens")).toInt();
        m_result.cachedPromptTokens = usage.value(QLatin1String("prompt_tokens_details"))
                                          .toObject()
                                          .value(QLatin1String("cached_tokens"))
                                          .toInt();
        if (!m_result.reasoning.isEmpty())
            emit reasoningDelta(m_result.reasoning);
        if (!m_result.content.isEmpty())
            emit contentDelta(m_result.content);
    }
    m_result.attempts = m_attempt;
    emit finished(m_result);
}

void OpenAiClient::fail(RemoteError error)
{
    m_idleTimer->stop();
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    error.message = redact(error.message, m_endpoint.apiKey);
    error.attempts = m_attempt;
    emit failed(error);
}

std::variant<RemoteResult, RemoteError> OpenAiClient::runBlocking(
    const RemoteEndpoint &endpoint, const RemoteRequest &request,
    const std::function<void(bool, const QString &)> &onDelta, const std::atomic_bool *stop)
{
    OpenAiClient client(endpoint);
    QEventLoop loop;
    QTimer stopPoll;
    if (stop) {
        connect(&stopPoll, &QTimer::timeout, &loop, [&] {
            if (stop->load() && client.isRunning())
                client.cancel();
        });
        stopPoll.start(50);
    }
    std::variant<RemoteResult, RemoteError> out = RemoteError{};
    if (onDelta) {
        connect(&client, &OpenAiClient::reasoningDelta, &loop,
                [&](const QString &t) { onDelta(true, t); });
        connect(&client, &OpenAiClient::contentDelta, &loop,
                [&](const QString &t) { onDelta(false, t); });
    }
    connect(&client, &OpenAiClient::finished, &loop, [&](const RemoteResult &r) {
        out = r;
        loop.quit();
    });
    connect(&client, &OpenAiClient::failed, &loop, [&](const RemoteError &e) {
        out = e;
        loop.quit();
    });
    client.start(request);
    loop.exec();
    return out;
}

} // namespace folio::remote
