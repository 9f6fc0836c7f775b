// Folio's local OpenAI-compatible HTTP server (`folio-cli serve`), on cpp-httplib.
//
//   auto backend = std::make_shared<EngineBackend>(...);     // or any ChatBackend
//   LocalServer server(backend, ServerOptions{.port = 0});     // 0 = any free port
//   if (Status st = server.start(); !st) ...                   // binds; serves on its own threads
//   ... server.port() ...
//   server.stop();                                             // cancels, closes, joins
//
// Routes: GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions (plain and `stream`),
// GET /health. Policies, all answered with OpenAI-style error bodies: an API key when one is set
// (401), malformed or invalid JSON (400), a request body or header block over its limit (413/431),
// a full queue (429), a request that outlives its timeout (504, or an error event mid-stream). One
// engine, one generation at a time (EngineQueue); a streaming client that disconnects cancels its
// generation, noticed on the next write (a comment line is written while nothing else is, so a
// client that leaves during a long prefill is noticed too).
#pragma once

#include "app/server/server_backend.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace folio::server {

struct ServerOptions
{
    std::string host = "127.0.0.1";
    int port = 8080;    // 0 = any free port (see LocalServer::port())
    std::string apiKey; // required by start() when `host` is not a loopback address
    std::size_t maxBodyBytes = 64u << 20; // 64 MiB: a 1M-token conversation is ~4 MB of text
    std::size_t maxHeaderBytes = 16u << 10;
    std::chrono::seconds requestTimeout{1800};         // queue wait + prefill + generation
    std::chrono::seconds readTimeout{30};              // a client that stops sending its request
    int maxWaiting = 8;                                // requests waiting behind the running one
    std::chrono::milliseconds keepAliveInterval{1000}; // SSE comment while the stream is idle
    int defaultMaxTokens = 4096;
};

// Checks the options without binding: a non-loopback host needs an API key, limits are positive.
Status validateServerOptions(const ServerOptions &options);
// True for "127.0.0.1", "::1", "localhost" and the rest of 127.0.0.0/8.
bool isLoopbackHost(const std::string &host);

class LocalServer
{
public:
    LocalServer(std::shared_ptr<ChatBackend> backend, ServerOptions options);
    ~LocalServer(); // stop()
    LocalServer(const LocalServer &) = delete;
    LocalServer &operator=(const LocalServer &) = delete;

    // Validates the options, binds and starts serving on a background thread. Errors name the
    // address ("127.0.0.1:8080: address already in use").
    Status start();
    // Cancels running and queued generations, stops accepting, waits for the server thread.
    // Safe to call from any thread except the server's own handler threads; idempotent.
    void stop();
    // Blocks until stop() has been called (from another thread) and the server has wound down.
    void wait();

    int port() const; // the bound port (after start())
    const ServerOptions &options() const;

    // Counters for tests and `serve --verbose`.
    struct Stats
    {
        long long requests = 0;
        long long rejectedBusy = 0; // 429
        long long cancelledByClient = 0;
    };
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace folio::server
