// The bounded single-worker queue in front of the engine (see engine_queue.h).
#include "app/server/engine_queue.h"

namespace folio::server {

EngineQueue::EngineQueue(int maxWaiting)
    : m_maxWaiting(maxWaiting < 0 ? 0 : maxWaiting)
{
    m_worker = std::thread([this] { workerLoop(); });
}

EngineQueue::~EngineQueue()
{
    shutdown();
}

bool EngineQueue::submit(Job job)
{
    std::lock_guard lock(m_mutex);
    // The running job does not count: `maxWaiting` is how many may wait behind it. When the worker
    // is idle, one job may always start even with maxWaiting = 0.
    const int limit = m_running || !m_jobs.empty() ? m_maxWaiting : m_maxWaiting + 1;
    if (m_shutdown || int(m_jobs.size()) >= limit)
        return false;
    m_jobs.push_back(std::move(job));
    m_wake.notify_one();
    return true;
}

void EngineQueue::shutdown()
{
    std::deque<Job> dropped;
    {
        std::lock_guard lock(m_mutex);
        if (m_shutdown && !m_worker.joinable())
            return;
        m_shutdown = true;
        dropped.swap(m_jobs);
        m_wake.notify_all();
    }
    for (Job &job : dropped)
        job(false);
    if (m_worker.joinable())
        m_worker.join();
}

int EngineQueue::waiting() const
{
    std::lock_guard lock(m_mutex);
    return int(m_jobs.size());
}

bool EngineQueue::busy() const
{
    std::lock_guard lock(m_mutex);
    return m_running;
}

void EngineQueue::workerLoop()
{
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_shutdown || !m_jobs.empty(); });
            if (m_shutdown)
                return;
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
            m_running = true;
        }
        job(true);
        std::lock_guard lock(m_mutex);
        m_running = false;
    }
}

} // namespace folio::server
