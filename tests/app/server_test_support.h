// Test support for the local server's tests: a scripted ChatBackend (no model needed) and a raw
// HTTP/1.1 client over QTcpSocket, so a test controls every byte (oversized bodies, a client that
// hangs up mid-stream) instead of trusting a client library's behaviour.
#pragma once

#include "app/server/server_backend.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <mutex>

namespace folio::test {

// Emits a fixed script of pieces, one every `delayMs`, honouring max_tokens (one piece = one
// token) and cancellation. Thread-safe counters let tests see what the server asked of it.
class FakeBackend : public server::ChatBackend
{
public:
    struct Piece
    {
        server::DeltaKind kind;
        std::string text;
    };
    std::vector<Piece> script{{server::DeltaKind::Content, "Hello"},
                              {server::DeltaKind::Content, " world"}};
    int delayMs = 0;
    std::atomic<int> calls{0};
    std::atomic<int> cancelled{0}; // generations that ended because the token was cancelled
    std::atomic<int> running{0};
    std::atomic<int> maxRunning{0}; // the queue must keep this at 1
    std::mutex mutex;
    server::GenerationRequest last; // guarded by mutex

    std::string modelId() const override { return "fake-model"; }
    int contextTokens() const override { return 4096; }

    std::variant<server::GenerationResult, Failure> generate(
        const server::GenerationRequest &request, const server::DeltaSink &onDelta,
        const server::CancelToken &cancel) override
    {
        ++calls;
        const int now = ++running;
        int prev = maxRunning.load();
        while (now > prev && !maxRunning.compare_exchange_weak(prev, now)) {
        }
        {
            std::lock_guard lock(mutex);
            last = request;
        }
        server::GenerationResult r;
        for (const auto &m : request.messages)
            r.promptTokens += int(m.content.size());
        if (!request.messages.empty() && request.messages.back().content == "fail-bad") {
            --running;
            return Failure{Status::error("the prompt is too long for the context"), true};
        }
        r.finish = server::FinishReason::Stop;
        for (const Piece &p : script) {
            if (request.maxTokens > 0 && r.completionTokens >= request.maxTokens) {
                r.finish = server::FinishReason::Length;
                break;
            }
            if (delayMs > 0) {
                // Sleep in small steps so cancellation is seen promptly, as the engine does.
                QElapsedTimer t;
                t.start();
                while (t.elapsed() < delayMs && !cancel.isCancelled())
                    QThread::msleep(2);
            }
            if (cancel.isCancelled()) {
                ++cancelled;
                r.finish = server::FinishReason::Cancelled;
                break;
            }
            ++r.completionTokens;
            if (!onDelta(p.kind, p.text)) {
                r.finish = server::FinishReason::Cancelled;
                break;
            }
        }
        --running;
        return r;
    }
};

struct HttpReply
{
    int status = 0;                       // 0: no reply (connection failed or closed early)
    QMap<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;                      // de-chunked
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QString errorMessage() const
    {
        return json().value("error").toObject().value("message").toString();
    }
};

// Decodes a chunked body; returns what decoded so far if it is cut short.
inline QByteArray dechunk(const QByteArray &raw)
{
    QByteArray out;
    qsizetype pos = 0;
    while (pos < raw.size()) {
        const qsizetype eol = raw.indexOf("\r\n", pos);
        if (eol < 0)
            break;
        bool ok = false;
        const qsizetype len = raw.mid(pos, eol - pos).trimmed().toLongLong(&ok, 16);
        if (!ok || len == 0)
            break;
        out += raw.mid(eol + 2, len);
        pos = eol + 2 + len + 2;
    }
    return out;
}

inline HttpReply parseReply(const QByteArray &raw)
{
    HttpReply r;
    const qsizetype headEnd = raw.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return r;
    const QList<QByteArray> lines = raw.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    r.status = statusLine.value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            r.headers.insert(lines[i].left(colon).trimmed().toLower(),
                             lines[i].mid(colon + 1).trimmed());
    }
    const QByteArray body = raw.mid(headEnd + 4);
    r.body = r.headers.value("transfer-encoding") == "chunked" ? dechunk(body) : body;
    return r;
}

// One request on a fresh connection ("Connection: close"); reads until the server closes.
inline HttpReply httpRequest(int port, const QByteArray &method, const QByteArray &path,
                             const QByteArray &body = {},
                             const QList<QByteArray> &extraHeaders = {}, int timeoutMs = 30000)
{
    QTcpSocket s;
    s.connectToHost("127.0.0.1", quint16(port));
    if (!s.waitForConnected(5000))
        return {};
    QByteArray req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const QByteArray &h : extraHeaders)
        req += h + "\r\n";
    if (!body.isEmpty() || method == "POST")
        req += "Content-Type: application/json\r\nContent-Length: "
               + QByteArray::number(body.size()) + "\r\n";
    req += "\r\n" + body;
    s.write(req);
    QByteArray raw;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (s.waitForReadyRead(100))
            raw += s.readAll();
        if (s.state() == QAbstractSocket::UnconnectedState)
            break;
    }
    raw += s.readAll();
    return parseReply(raw);
}

// The JSON objects of the `data:` events of an SSE body, and whether it ended with [DONE].
inline QList<QJsonObject> sseEvents(const QByteArray &body, bool *sawDone = nullptr)
{
    QList<QJsonObject> events;
    if (sawDone)
        *sawDone = false;
    for (const QByteArray &block : body.split('\n')) {
        if (!block.startsWith("data: "))
            continue;
        const QByteArray data = block.mid(6).trimmed();
        if (data == "[DONE]") {
            if (sawDone)
                *sawDone = true;
            continue;
        }
        events.push_back(QJsonDocument::fromJson(data).object());
    }
    return events;
}

} // namespace folio::test
