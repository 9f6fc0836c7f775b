// The one line in front of the engine: a single worker thread runs generation jobs one after the
// other (a model holds one KV state at a time, and a real model fills the machine), with a bounded
// number of jobs waiting. A full queue refuses new work at once, which the server answers with
// HTTP 429, instead of piling up requests that would time out anyway.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace folio::server {

class EngineQueue
{
public:
    // A job is called once: with `run` true on the worker thread when its turn comes, or with `run`
    // false (on the thread calling shutdown()) when the queue shuts down before it ran.
    using Job = std::function<void(bool run)>;

    explicit EngineQueue(int maxWaiting);
    ~EngineQueue(); // shutdown()
    EngineQueue(const EngineQueue &) = delete;
    EngineQueue &operator=(const EngineQueue &) = delete;

    // Queues `job`; false when `maxWaiting` jobs are already waiting or the queue is shut down.
    bool submit(Job job);
    // Refuses new jobs, calls the waiting ones with run = false, waits for the running one to end
    // (the caller cancels it first) and joins the worker. Idempotent.
    void shutdown();

    int waiting() const;
    bool busy() const;

private:
    void workerLoop();

    const int m_maxWaiting;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_jobs;
    bool m_running = false; // a job is executing
    bool m_shutdown = false;
    std::thread m_worker;
};

} // namespace folio::server
