// An OpenAI-compatible chat client over QtNetwork: the backend the GUI and the CLI use for a remote
// endpoint (DeepSeek's API, OpenRouter, vLLM/SGLang on a cluster) or for a local Folio server that
// already holds the model.
//
//   RemoteEndpoint ep{.baseUrl = QUrl("https://api.deepseek.com"), .model = "deepseek-v4-flash",
//                     .apiKey = ApiKeyStore().key(url)};
//   auto *client = new OpenAiClient(ep, parent);
//   connect(client, &OpenAiClient::contentDelta, ...);      // text as it streams
//   connect(client, &OpenAiClient::finished, ...);          // RemoteResult
//   connect(client, &OpenAiClient::failed, ...);            // RemoteError, readable
//   client->start(request);
//
// Streams with SSE; reads `reasoning_content` (DeepSeek, vLLM, SGLang, Folio) or `reasoning`
// (OpenRouter). Connection failures, 429 and 5xx are retried with exponential backoff (honouring
// Retry-After) as long as nothing of the answer arrived yet; 400/401/403/404 are not retried. A
// stall longer than the idle timeout is an error. The API key goes only into the Authorization
// header: it is never logged and is removed from every error text. Lives on the thread that
// created it (QNetworkAccessManager's rule).
#pragma once

#include "app/remote/endpoint_presets.h"
#include "app/remote/sse_parser.h"

#include <QJsonArray>
#include <QNetworkReply>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <atomic>
#include <functional>
#include <optional>
#include <variant>

class QNetworkAccessManager;
class QTimer;

namespace folio::remote {

struct RemoteEndpoint
{
    QUrl baseUrl;   // "https://api.deepseek.com", "http://10.0.0.5:8000/v1"
    QString model;  // "deepseek-v4-flash"
    QString apiKey; // empty: no Authorization header
    ThinkingStyle thinking = ThinkingStyle::DeepSeek;
    int maxAttempts = 4;        // first try + retries
    int initialBackoffMs = 500; // doubled per retry, capped at maxBackoffMs
    int maxBackoffMs = 8000;
    int idleTimeoutMs = 120000; // no byte for this long (a long prefill counts) → Timeout
};

struct RemoteRequest
{
    QJsonArray messages; // OpenAI-format messages
    bool thinking = false;
    int maxTokens = 0; // 0: the endpoint's default
    std::optional<double> temperature;
    std::optional<double> topP;
    QStringList stop;
    bool stream = true;
};

struct RemoteResult
{
    QString content;
    QString reasoning;
    QString finishReason; // "stop", "length", ...
    QString model;        // as the endpoint reported it
    int promptTokens = 0;
    int completionTokens = 0;
    int cachedPromptTokens = 0;
    int attempts = 1;
};

struct RemoteError
{
    enum Kind {
        Unauthorized,
        NotFound,
        RateLimited,
        ServerError,
        BadRequest,
        Timeout,
        Network,
        BadResponse,
        Cancelled
    };
    Kind kind = Network;
    int httpStatus = 0; // 0 when no HTTP status arrived
    QString message;    // readable, key-free: what happened and what to do
    int attempts = 1;
};

class OpenAiClient : public QObject
{
    Q_OBJECT

public:
    explicit OpenAiClient(RemoteEndpoint endpoint, QObject *parent = nullptr);
    ~OpenAiClient() override;

    const RemoteEndpoint &endpoint() const { return m_endpoint; }
    bool isRunning() const { return m_reply != nullptr || m_retryPending; }

    // Starts a chat completion; ends with exactly one finished() or failed().
    void start(const RemoteRequest &request);
    // Stops the request in flight; emits failed() with kind Cancelled.
    void cancel();

    // The request body start() sends (tests, `--verbose`).
    QByteArray requestBody(const RemoteRequest &request) const;

    // Runs `request` to the end in a local event loop (for the CLI); `onDelta` gets each piece.
    // When `stop` becomes true (polled every 50 ms) the request is cancelled (RemoteError
    // Cancelled; the pieces already passed to `onDelta` are what arrived).
    static std::variant<RemoteResult, RemoteError> runBlocking(
        const RemoteEndpoint &endpoint, const RemoteRequest &request,
        const std::function<void(bool reasoning, const QString &text)> &onDelta = {},
        const std::atomic_bool *stop = nullptr);

Q_SIGNALS:
    void reasoningDelta(const QString &text);
    void contentDelta(const QString &text);
    void retrying(int attempt, int delayMs, const QString &reason);
    void finished(const folio::remote::RemoteResult &result);
    void failed(const folio::remote::RemoteError &error);

private:
    void sendAttempt();
    void onReadyRead();
    void onFinished();
    void onIdleTimeout();
    void handleEvent(const QByteArray &data);
    void fail(RemoteError error);
    // Retries when allowed (nothing received yet, attempts left); false when it did not.
    bool retryLater(const QString &reason, int retryAfterMs);
    QString describeHttpError(int status, const QByteArray &body) const;

    RemoteEndpoint m_endpoint;
    RemoteRequest m_request;
    QNetworkAccessManager *m_nam;
    QPointer<QNetworkReply> m_reply;
    QTimer *m_idleTimer;
    QTimer *m_retryTimer;
    bool m_retryPending = false;
    bool m_timedOut = false;
    bool m_cancelled = false;
    bool m_receivedAnswer = false; // some of the answer arrived: retrying would repeat it
    int m_attempt = 0;
    SseParser m_sse;
    QByteArray m_body; // non-SSE body (errors, non-streamed answers)
    RemoteResult m_result;
    bool m_sawDone = false;
};

} // namespace folio::remote
