// folio-bench server: what the local OpenAI-compatible server costs, on a model directory (the
// demo model: build/share/folio/demo-model). The server is the one `folio-cli serve` runs
// (LocalServer over an EngineBackend), started in this process on a loopback port; the client is
// a raw HTTP/1.1 socket that timestamps the bytes as they arrive (no client library in the way).
//
//   1. Streaming: tokens/s of one greedy generation streamed through the server's SSE vs the
//      same generation in process (EngineBackend::generate), from the request to the last token
//      (the prompt is the same, so both reuse its state and time decoding plus their own
//      overhead). Runs alternate, medians are compared. Goal: server >= 0.95x in process.
//   2. Prefix reuse: time from sending a request to the first answer token for a prompt with a
//      long system prompt (--prefix-tokens, numbered words) — first with nothing reused, then a
//      new question after the same system prompt (its state reused). Goal: >= 50x at 32K tokens.
//
//   folio-bench server --model DIR [--decode N] [--runs N] [--prefix-tokens N] [--threads N]
//                      [--skip-stream] [--skip-prefix]
#include "bench_sections.h"

#include "app/server/engine_backend.h"
#include "app/server/http_server.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace folio;

namespace {

struct Timing
{
    double firstToken = -1; // seconds from sending the request to the first answer token
    double end = -1;        // ... to the end of the response
    int completionTokens = 0;
    int cachedTokens = 0;
    bool ok = false;
};

// Posts `body` to /v1/chat/completions (stream) and timestamps the first content or reasoning
// delta and the end. The usage is read from the final chunk.
Timing streamThroughServer(int port, const QByteArray &body)
{
    Timing t;
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), quint16(port));
    if (!s.waitForConnected(10000))
        return t;
    const QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Connection: close\r\nContent-Type: application/json\r\n"
                               "Content-Length: "
                               + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    QElapsedTimer clock;
    clock.start();
    s.write(request);
    s.flush();
    QByteArray raw;
    while (s.state() == QAbstractSocket::ConnectedState || s.bytesAvailable() > 0) {
        if (!s.waitForReadyRead(600000) && s.bytesAvailable() == 0)
            break;
        raw += s.readAll();
        if (t.firstToken < 0
            && (raw.contains("\"delta\":{\"content\":") || raw.contains("\"reasoning_content\":")))
            t.firstToken = clock.elapsed() / 1000.0;
    }
    t.end = clock.elapsed() / 1000.0;
    // The usage of the chunk with the finish reason.
    const qsizetype u = raw.lastIndexOf("\"usage\":");
    if (u >= 0) {
        // The usage object is the last member of the final chunk: it ends at the first "}}".
        const qsizetype close = raw.indexOf("}}", u);
        const QJsonObject usage = QJsonDocument::fromJson(raw.mid(u + 8, close - (u + 8) + 1))
                                      .object();
        t.completionTokens = usage.value(QStringLiteral("completion_tokens")).toInt();
        t.cachedTokens = usage.value(QStringLiteral("prompt_tokens_details"))
                             .toObject()
                             .value(QStringLiteral("cached_tokens"))
                             .toInt();
    }
    t.ok = raw.contains("data: [DONE]") && t.firstToken >= 0;
    return t;
}

server::GenerationRequest chatRequest(const std::string &system, const std::string &question,
                                      int maxTokens)
{
    server::GenerationRequest r;
    chat::Message m;
    if (!system.empty()) {
        m.role = "system";
        m.content = system;
        r.messages.push_back(m);
    }
    m.role = "user";
    m.content = question;
    r.messages.push_back(m);
    r.maxTokens = maxTokens;
    r.sampling.temperature = 0; // greedy: both paths produce the same tokens
    r.sampling.seed = 1;
    return r;
}

QByteArray chatBody(const std::string &system, const std::string &question, int maxTokens)
{
    QJsonArray messages;
    if (!system.empty())
        messages.append(
            QJsonObject{{"role", "system"}, {"content", QString::fromStdString(system)}});
    messages.append(QJsonObject{{"role", "user"}, {"content", QString::fromStdString(question)}});
    return QJsonDocument(QJsonObject{{"model", "bench"},
                                     {"stream", true},
                                     {"temperature", 0},
                                     {"seed", 1},
                                     {"max_tokens", maxTokens},
                                     {"messages", messages}})
        .toJson(QJsonDocument::Compact);
}

Timing inProcess(server::EngineBackend &backend, const server::GenerationRequest &request)
{
    Timing t;
    server::CancelToken cancel;
    QElapsedTimer clock;
    clock.start();
    auto r = backend.generate(
        request,
        [&](server::DeltaKind, std::string_view) {
            if (t.firstToken < 0)
                t.firstToken = clock.elapsed() / 1000.0;
            return true;
        },
        cancel);
    t.end = clock.elapsed() / 1000.0;
    if (auto *g = std::get_if<server::GenerationResult>(&r)) {
        t.completionTokens = g->completionTokens;
        t.cachedTokens = g->cachedPromptTokens;
        t.ok = t.firstToken >= 0;
    }
    return t;
}

// Tokens per second from sending the request to the end of the answer. The prompt's state is
// reused on both paths, so this is decoding plus what each path adds; it does not depend on when
// the client happens to see the first piece (a stream delivered in bursts would make a rate
// "after the first token" look faster than it is).
double endToEndRate(const Timing &t)
{
    return t.end > 0 ? t.completionTokens / t.end : 0;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// A system prompt of about `tokens` tokens: "w0 w1 w2 ..." (each word 1-2 tokens), sized with
// the model's tokenizer.
std::string longSystemPrompt(const Tokenizer &tok, int tokens)
{
    auto words = [](int n) {
        std::string s;
        for (int i = 0; i < n; ++i)
            s += "w" + std::to_string(i) + ' ';
        return s;
    };
    int n = std::max(1, tokens / 2);
    for (int step = 0; step < 8; ++step) {
        const int count = int(tok.encode(words(n)).size());
        if (count >= tokens - 16 && count <= tokens)
            break;
        n = std::max(1, int(double(n) * double(tokens) / double(std::max(1, count))) - 2);
    }
    return words(n);
}

int usage(const char *error)
{
    if (error)
        std::fprintf(stderr, "folio-bench server: %s\n", error);
    std::fprintf(error ? stderr : stdout,
                 "usage: folio-bench server --model DIR [--decode N (128)] [--runs N (3)]\n"
                 "                          [--prefix-tokens N (32768)] [--threads N (0 = all)]\n"
                 "                          [--skip-stream] [--skip-prefix]\n");
    return error ? 2 : 0;
}

} // namespace

int run_server_bench(int argc, char **argv)
{
    std::string modelDir;
    int decode = 128, runs = 3, prefixTokens = 32768, threads = 0;
    bool skipStream = false, skipPrefix = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto intArg = [&](int *out) {
            if (i + 1 >= argc)
                return false;
            char *end = nullptr;
            const long v = std::strtol(argv[++i], &end, 10);
            *out = int(v);
            return *end == '\0' && v >= 0;
        };
        if (a == "--help" || a == "-h")
            return usage(nullptr);
        if (a == "--model" && i + 1 < argc)
            modelDir = argv[++i];
        else if (a == "--decode"          ? !intArg(&decode)
                 : a == "--runs"          ? !intArg(&runs)
                 : a == "--prefix-tokens" ? !intArg(&prefixTokens)
                 : a == "--threads"       ? !intArg(&threads)
                                          : false)
            return usage(("bad value for " + a).c_str());
        else if (a == "--skip-stream")
            skipStream = true;
        else if (a == "--skip-prefix")
            skipPrefix = true;
        else if (a != "--decode" && a != "--runs" && a != "--prefix-tokens" && a != "--threads")
            return usage(("unknown option " + a).c_str());
    }
    if (modelDir.empty() || decode < 2 || runs < 1 || prefixTokens < 64)
        return usage("--model DIR is required; --decode >= 2, --runs >= 1, --prefix-tokens >= 64");

    int qtArgc = 1;
    char name[] = "folio-bench";
    char *qtArgv[] = {name, nullptr};
    QCoreApplication app(qtArgc, qtArgv); // QTcpSocket needs one

    auto loaded = server::EngineBackend::load(modelDir, {}, threads);
    if (!loaded) {
        std::fprintf(stderr, "folio-bench server: %s\n", loaded.status().message().c_str());
        return 1;
    }
    std::shared_ptr<server::EngineBackend> backend = *loaded;
    server::ServerOptions so;
    so.port = 0;
    so.requestTimeout = std::chrono::seconds(24 * 3600);
    server::LocalServer srv(backend, so);
    if (Status st = srv.start(); !st) {
        std::fprintf(stderr, "folio-bench server: %s\n", st.message().c_str());
        return 1;
    }
    std::printf("model %s, server on 127.0.0.1:%d\n", modelDir.c_str(), srv.port());

    if (!skipStream) {
        const std::string system = "You are a helpful assistant.";
        const std::string question = "Count from one to a thousand, one number per line.";
        // Warm-up: prefills the prompt once, so every timed run below reuses it alike.
        inProcess(*backend, chatRequest(system, question, 2));
        std::vector<double> local, served;
        for (int r = 0; r < runs; ++r) {
            const Timing a = inProcess(*backend, chatRequest(system, question, decode));
            const Timing b = streamThroughServer(srv.port(), chatBody(system, question, decode));
            if (!a.ok || !b.ok) {
                std::fprintf(stderr, "folio-bench server: a streaming run failed\n");
                return 1;
            }
            local.push_back(endToEndRate(a));
            served.push_back(endToEndRate(b));
            std::printf("  run %d: in process %.2f tok/s (%d tokens, first after %.3f s), "
                        "through serve %.2f tok/s (%d tokens, first after %.3f s)\n",
                        r + 1, local.back(), a.completionTokens, a.firstToken, served.back(),
                        b.completionTokens, b.firstToken);
            std::fflush(stdout);
        }
        const double l = median(local), s = median(served);
        std::printf("streaming, %d tokens from request to end, median of %d:\n"
                    "  %-34s %10.2f tok/s\n  %-34s %10.2f tok/s\n  %-34s %10.3fx (goal >= "
                    "0.95x)\n",
                    decode, runs, "in process (EngineBackend)", l, "through serve (SSE)", s,
                    "ratio serve / in process", l > 0 ? s / l : 0.0);
        std::fflush(stdout);
    }

    if (!skipPrefix) {
        const std::string system = longSystemPrompt(*backend->tokenizer(), prefixTokens);
        // A fresh engine state: the system prompt differs from everything before it.
        const Timing cold = streamThroughServer(srv.port(),
                                                chatBody(system, "What is the first word?", 1));
        const Timing warm = streamThroughServer(srv.port(),
                                                chatBody(system, "What is the last word?", 1));
        if (!cold.ok || !warm.ok) {
            std::fprintf(stderr, "folio-bench server: a prefix run failed\n");
            return 1;
        }
        std::printf("time to the first token, system prompt of ~%d tokens:\n"
                    "  %-34s %10.3f s (%d tokens reused)\n  %-34s %10.3f s (%d tokens reused)\n"
                    "  %-34s %10.1fx (goal >= 50x at 32K)\n",
                    prefixTokens, "nothing reused", cold.firstToken, cold.cachedTokens,
                    "same system prompt, new question", warm.firstToken, warm.cachedTokens, "ratio",
                    warm.firstToken > 0 ? cold.firstToken / warm.firstToken : 0.0);
    }
    srv.stop();
    return 0;
}
