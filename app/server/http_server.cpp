// Folio's local OpenAI-compatible HTTP server (see http_server.h).
//
// Threads: cpp-httplib accepts on the server thread and runs each connection on its pool; a
// handler turns the request into an Exchange and queues a job on the EngineQueue's one worker.
// The worker calls the backend and puts what it produces into the Exchange; the connection's
// thread waits on it and writes (a streamed response is written by httplib's content provider on
// that same connection thread). So the engine never waits on a slow client and a client never
// touches the engine.
#include "app/server/http_server.h"

#include "app/server/engine_queue.h"
#include "app/server/openai_protocol.h"
#include "app/server/stop_matcher.h"

#include <httplib.h>

#include <QHostAddress>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

namespace folio::server {

namespace {

using Clock = std::chrono::steady_clock;

long long unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void sendError(httplib::Response &res, const ApiError &error)
{
    res.status = error.httpStatus;
    res.set_content(errorBody(error), "application/json");
}

ApiError makeError(int status, std::string message, std::string type, std::string code = {})
{
    ApiError e;
    e.httpStatus = status;
    e.message = std::move(message);
    e.type = std::move(type);
    e.code = std::move(code);
    return e;
}

// Compares without an early exit, so response timing does not reveal how much of a key matched.
bool sameKey(const std::string &sent, const std::string &key)
{
    unsigned diff = sent.size() == key.size() ? 0u : 1u;
    for (size_t i = 0; i < sent.size(); ++i)
        diff |= unsigned(static_cast<unsigned char>(sent[i])
                         ^ static_cast<unsigned char>(key[i % key.size()]));
    return diff == 0;
}

// What one chat request and the worker share.
struct Exchange
{
    explicit Exchange(Clock::time_point deadline)
        : cancel(deadline)
    {}
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::string> events; // stream: SSE events not yet written
    std::string content;            // non-stream: the answer so far
    std::string reasoning;
    bool started = false;
    bool finished = false;
    GenerationResult result;
    FinishReason finish = FinishReason::Stop;
    std::optional<ApiError> error;
    CancelToken cancel;
};

} // namespace

bool isLoopbackHost(const std::string &host)
{
    if (host == "localhost")
        return true;
    QHostAddress address;
    return address.setAddress(QString::fromStdString(host)) && address.isLoopback();
}

Status validateServerOptions(const ServerOptions &o)
{
    if (o.host.empty())
        return Status::error("no host to bind to");
    if (!isLoopbackHost(o.host) && o.apiKey.empty())
        return Status::error("binding " + o.host
                             + " exposes the model beyond this machine: set an API key "
                               "(--api-key) or bind 127.0.0.1");
    if (o.port < 0 || o.port > 65535)
        return Status::error("port " + std::to_string(o.port) + " is outside 0..65535");
    if (o.maxBodyBytes == 0 || o.maxHeaderBytes == 0)
        return Status::error("request size limits must be positive");
    if (o.requestTimeout.count() <= 0 || o.readTimeout.count() <= 0)
        return Status::error("timeouts must be positive");
    if (o.maxWaiting < 0)
        return Status::error("the queue length must not be negative");
    return Status::ok();
}

struct LocalServer::Impl
{
    Impl(std::shared_ptr<ChatBackend> b, ServerOptions o)
        : backend(std::move(b))
        , options(std::move(o))
        , queue(options.maxWaiting)
        , created(unixNow())
    {}

    void installRoutes();
    void handleChat(const httplib::Request &req, httplib::Response &res);
    void runJob(const std::shared_ptr<Exchange> &ex, const ChatCompletionRequest &request,
                const ResponseWriter &writer, bool run);
    void track(const std::shared_ptr<Exchange> &ex);
    void untrack(const std::shared_ptr<Exchange> &ex);
    std::string nextId();

    std::shared_ptr<ChatBackend> backend;
    ServerOptions options;
    httplib::Server http;
    EngineQueue queue;
    long long created;
    std::thread thread;
    int boundPort = 0;
    std::atomic_bool stopping{false};
    std::atomic<long long> idCounter{0};
    std::atomic<long long> requests{0}, rejectedBusy{0}, cancelledByClient{0};

    std::mutex activeMutex;
    std::set<std::shared_ptr<Exchange>> active; // to cancel them all on stop()
    std::mutex stopMutex;
    std::condition_variable stopped;
    bool isStopped = false;
};

std::string LocalServer::Impl::nextId()
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "chatcmpl-folio-%llx-%llx", created, idCounter.fetch_add(1) + 1);
    return buf;
}

void LocalServer::Impl::track(const std::shared_ptr<Exchange> &ex)
{
    std::lock_guard lock(activeMutex);
    active.insert(ex);
}

void LocalServer::Impl::untrack(const std::shared_ptr<Exchange> &ex)
{
    std::lock_guard lock(activeMutex);
    active.erase(ex);
}

void LocalServer::Impl::installRoutes()
{
    // Runs before routing: the API key and the header limit apply to every route.
    http.set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
        ++requests;
        std::size_t headerBytes = req.method.size() + req.target.size();
        for (const auto &[name, value] : req.headers)
            headerBytes += name.size() + value.size() + 4;
        if (headerBytes > options.maxHeaderBytes) {
            sendError(res, makeError(431,
                                     "The request headers are " + std::to_string(headerBytes)
                                         + " bytes; the limit is "
                                         + std::to_string(options.maxHeaderBytes),
                                     "invalid_request_error", "headers_too_large"));
            return httplib::Server::HandlerResponse::Handled;
        }
        if (!options.apiKey.empty() && req.path != "/health") {
            const std::string auth = req.get_header_value("Authorization");
            const std::string prefix = "Bearer ";
            const bool ok = auth.size() > prefix.size()
                            && auth.compare(0, prefix.size(), prefix) == 0
                            && sameKey(auth.substr(prefix.size()), options.apiKey);
            if (!ok) {
                // Never echo the key that was sent: it may be someone's real secret.
                sendError(res, makeError(401,
                                         auth.empty() ? "Missing API key: send it as "
                                                        "\"Authorization: Bearer KEY\""
                                                      : "Incorrect API key provided",
                                         "invalid_request_error", "invalid_api_key"));
                return httplib::Server::HandlerResponse::Handled;
            }
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    // Gives every error httplib produces itself (413 body too large, 404 no route, 400 bad request
    // line) the OpenAI error body clients parse.
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request &req, httplib::Response &res) {
            if (!res.body.empty())
                return httplib::Server::HandlerResponse::Unhandled;
            ApiError e;
            e.httpStatus = res.status;
            switch (res.status) {
            case 413:
                e.message = "The request body is larger than this server accepts";
                e.code = "request_too_large";
                break;
            case 404:
                e.message = "Unknown endpoint: " + req.method + " " + req.path;
                e.code = "unknown_url";
                break;
            case 405:
                e.message = "Method not allowed: " + req.method + " " + req.path;
                break;
            default:
                e.message = "HTTP " + std::to_string(res.status);
                break;
            }
            res.set_content(errorBody(e), "application/json");
            return httplib::Server::HandlerResponse::Handled;
        }));

    http.set_exception_handler(
        [](const httplib::Request &, httplib::Response &res, std::exception_ptr ep) {
            std::string what = "unknown error";
            try {
                if (ep)
                    std::rethrow_exception(ep);
            } catch (const std::exception &e) {
                what = e.what();
            } catch (...) {
            }
            sendError(res, makeError(500, "Internal server error: " + what, "server_error"));
        });

    http.Get("/health", [this](const httplib::Request &, httplib::Response &res) {
        std::string body = "{\"status\":\"ok\",\"model\":";
        chat::append_json_string(body, backend->modelId());
        body += ",\"busy\":" + std::string(queue.busy() ? "true" : "false")
                + ",\"waiting\":" + std::to_string(queue.waiting()) + "}";
        res.set_content(body, "application/json");
    });

    http.Get("/v1/models", [this](const httplib::Request &, httplib::Response &res) {
        res.set_content(modelsBody(backend->modelId(), created), "application/json");
    });

    http.Get(R"(/v1/models/(.+))", [this](const httplib::Request &req, httplib::Response &res) {
        const std::string id = req.matches[1];
        if (id != backend->modelId()) {
            sendError(res, makeError(404,
                                     "The model '" + id
                                         + "' does not exist; this server "
                                           "has '"
                                         + backend->modelId() + "'",
                                     "invalid_request_error", "model_not_found"));
            return;
        }
        res.set_content(modelBody(id, created), "application/json");
    });

    http.Post("/v1/chat/completions", [this](const httplib::Request &req, httplib::Response &res) {
        handleChat(req, res);
    });
}

void LocalServer::Impl::runJob(const std::shared_ptr<Exchange> &ex,
                               const ChatCompletionRequest &request, const ResponseWriter &writer,
                               bool run)
{
    auto finishWith = [&](std::optional<ApiError> error) {
        std::lock_guard lock(ex->mutex);
        ex->error = std::move(error);
        ex->finished = true;
        ex->changed.notify_all();
    };
    if (!run || stopping) {
        finishWith(makeError(503, "The server is shutting down", "server_error"));
        return;
    }
    if (ex->cancel.isCancelled()) {
        finishWith(ex->cancel.timedOut()
                       ? makeError(504, "The request timed out waiting for the engine",
                                   "server_error", "timeout")
                       : makeError(499, "Cancelled", "server_error"));
        return;
    }
    {
        std::lock_guard lock(ex->mutex);
        ex->started = true;
    }

    StopMatcher stops(request.stop);
    auto publish = [&](DeltaKind kind, std::string text) {
        if (text.empty())
            return;
        std::lock_guard lock(ex->mutex);
        if (request.stream)
            ex->events.push_back(writer.deltaChunk(kind, text));
        else
            (kind == DeltaKind::Reasoning ? ex->reasoning : ex->content) += text;
        ex->changed.notify_all();
    };
    // Stop sequences apply to the answer, not to the reasoning (as DeepSeek's API does).
    const DeltaSink onDelta = [&](DeltaKind kind, std::string_view text) {
        if (ex->cancel.isCancelled())
            return false;
        if (kind == DeltaKind::Reasoning) {
            publish(kind, std::string(text));
            return true;
        }
        publish(kind, stops.push(text));
        return !stops.stopped();
    };

    GenerationRequest generation = request.generation;
    if (generation.maxTokens <= 0)
        generation.maxTokens = options.defaultMaxTokens;
    auto outcome = backend->generate(generation, onDelta, ex->cancel);
    if (auto *failure = std::get_if<ChatBackend::Failure>(&outcome)) {
        finishWith(failure->badRequest
                       ? makeError(400, failure->status.message(), "invalid_request_error")
                       : makeError(500, failure->status.message(), "server_error"));
        return;
    }
    GenerationResult result = std::get<GenerationResult>(outcome);
    if (stops.stopped()) {
        result.finish = FinishReason::Stop;
    } else {
        publish(DeltaKind::Content, stops.finish());
        if (result.finish == FinishReason::Cancelled) {
            if (stopping) {
                finishWith(makeError(503, "The server is shutting down", "server_error"));
                return;
            }
            finishWith(ex->cancel.timedOut()
                           ? makeError(504,
                                       "The request timed out after "
                                           + std::to_string(options.requestTimeout.count()) + " s",
                                       "server_error", "timeout")
                           : makeError(499, "Cancelled", "server_error"));
            return;
        }
    }
    std::lock_guard lock(ex->mutex);
    ex->result = result;
    ex->finish = result.finish;
    if (request.stream)
        ex->events.push_back(writer.finalChunk(result.finish, result));
    ex->finished = true;
    ex->changed.notify_all();
}

void LocalServer::Impl::handleChat(const httplib::Request &req, httplib::Response &res)
{
    auto parsed = parseChatCompletionRequest(req.body);
    if (auto *e = std::get_if<ApiError>(&parsed)) {
        sendError(res, *e);
        return;
    }
    auto request = std::make_shared<ChatCompletionRequest>(
        std::move(std::get<ChatCompletionRequest>(parsed)));
    const auto deadline = Clock::now() + options.requestTimeout;
    auto ex = std::make_shared<Exchange>(deadline);
    // The response names the loaded model, whatever name the client used.
    auto writer = std::make_shared<ResponseWriter>(nextId(), unixNow(), backend->modelId());
    if (request->stream)
        ex->events.push_back(writer->roleChunk());

    track(ex);
    const bool queued = !stopping && queue.submit([this, ex, request, writer](bool run) {
        runJob(ex, *request, *writer, run);
    });
    if (!queued) {
        untrack(ex);
        ++rejectedBusy;
        if (stopping) {
            sendError(res, makeError(503, "The server is shutting down", "server_error"));
            return;
        }
        res.set_header("Retry-After", "1");
        sendError(res, makeError(429,
                                 "The engine is busy and " + std::to_string(options.maxWaiting)
                                     + " requests are already waiting; retry later",
                                 "rate_limit_error", "rate_limit_exceeded"));
        return;
    }

    if (!request->stream) {
        std::unique_lock lock(ex->mutex);
        if (!ex->changed.wait_until(lock, deadline, [&] { return ex->finished; })) {
            // Past the deadline: a request still waiting is answered now (the worker skips it);
            // a running one stops at the backend's next cancellation check.
            ex->cancel.cancel();
            if (!ex->started) {
                lock.unlock();
                untrack(ex);
                sendError(res, makeError(504, "The request timed out waiting for the engine",
                                         "server_error", "timeout"));
                return;
            }
            ex->changed.wait(lock, [&] { return ex->finished; });
        }
        if (ex->error) {
            const ApiError error = *ex->error;
            lock.unlock();
            untrack(ex);
            sendError(res, error);
            return;
        }
        const std::string body = writer->completion(ex->content, ex->reasoning, ex->finish,
                                                    ex->result);
        lock.unlock();
        untrack(ex);
        res.set_content(body, "application/json");
        return;
    }

    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    const auto interval = options.keepAliveInterval;
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, ex, interval](size_t, httplib::DataSink &sink) {
            std::deque<std::string> batch;
            bool finished = false;
            std::optional<ApiError> error;
            {
                std::unique_lock lock(ex->mutex);
                ex->changed.wait_for(lock, interval,
                                     [&] { return ex->finished || !ex->events.empty(); });
                batch.swap(ex->events);
                finished = ex->finished;
                error = ex->error;
            }
            auto write = [&](const std::string &s) {
                if (sink.write(s.data(), s.size()))
                    return true;
                // The client is gone: stop its generation (or drop it from the queue).
                ex->cancel.cancel();
                ++cancelledByClient;
                return false;
            };
            if (batch.empty() && !finished)
                return write(": keep-alive\n\n"); // an SSE comment: clients ignore it
            for (const std::string &event : batch)
                if (!write(event))
                    return false;
            if (!finished)
                return true;
            if (error && !write(ResponseWriter::errorEvent(*error)))
                return false;
            if (!write(ResponseWriter::done()))
                return false;
            sink.done();
            return true;
        },
        [this, ex](bool success) {
            if (!success)
                ex->cancel.cancel();
            untrack(ex);
        });
}

LocalServer::LocalServer(std::shared_ptr<ChatBackend> backend, ServerOptions options)
    : d(std::make_unique<Impl>(std::move(backend), std::move(options)))
{}

LocalServer::~LocalServer()
{
    stop();
}

Status LocalServer::start()
{
    if (Status st = validateServerOptions(d->options); !st)
        return st;
    if (d->thread.joinable())
        return Status::error("the server is already running");
    const ServerOptions &o = d->options;
    d->http.set_payload_max_length(o.maxBodyBytes);
    d->http.set_read_timeout(std::chrono::seconds(o.readTimeout));
    d->http.set_write_timeout(std::chrono::seconds(o.readTimeout));
    d->http.set_keep_alive_timeout(2);
    d->http.set_tcp_nodelay(true); // one small SSE event per token: do not let Nagle batch them
    // Connection threads: the running request, every waiting one, and a few more so that a
    // request beyond the queue is still read and answered 429 rather than left unaccepted.
    const size_t threads = size_t(o.maxWaiting) + 8;
    d->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    d->installRoutes();

    const std::string where = o.host + ":" + std::to_string(o.port);
    if (o.port == 0) {
        d->boundPort = d->http.bind_to_any_port(o.host);
        if (d->boundPort <= 0)
            return Status::error(where + ": cannot bind (" + std::strerror(errno) + ")");
    } else {
        if (!d->http.bind_to_port(o.host, o.port))
            return Status::error(where + ": cannot bind (" + std::strerror(errno) + ")");
        d->boundPort = o.port;
    }
    d->thread = std::thread([this] {
        d->http.listen_after_bind();
        std::lock_guard lock(d->stopMutex);
        d->isStopped = true;
        d->stopped.notify_all();
    });
    return Status::ok();
}

void LocalServer::stop()
{
    if (!d->thread.joinable())
        return;
    d->stopping = true;
    {
        std::lock_guard lock(d->activeMutex);
        for (const auto &ex : d->active)
            ex->cancel.cancel();
    }
    d->queue.shutdown();
    // httplib's stop() does nothing until listen_after_bind() has marked the server running, so a
    // stop right after start() (a SIGINT at once) would be lost and join() would wait forever:
    // send it once the server runs, and keep waiting until the listening thread has ended.
    bool sent = false;
    std::unique_lock lock(d->stopMutex);
    while (!d->isStopped) {
        if (!sent && d->http.is_running()) {
            lock.unlock();
            d->http.stop();
            sent = true;
            lock.lock();
        }
        d->stopped.wait_for(lock, std::chrono::milliseconds(10), [this] { return d->isStopped; });
    }
    lock.unlock();
    d->thread.join();
}

void LocalServer::wait()
{
    std::unique_lock lock(d->stopMutex);
    d->stopped.wait(lock, [this] { return d->isStopped; });
}

int LocalServer::port() const
{
    return d->boundPort;
}

const ServerOptions &LocalServer::options() const
{
    return d->options;
}

LocalServer::Stats LocalServer::stats() const
{
    return {d->requests.load(), d->rejectedBusy.load(), d->cancelledByClient.load()};
}

} // namespace folio::server
