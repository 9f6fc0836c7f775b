// ThreadPool implementation (see thread_pool.h): workers sleep on a condition variable and wake
// for each parallel_for generation; chunk i of a generation goes to worker i-1, chunk 0 to the
// caller.
#include "cpu/thread_pool.h"

#include <algorithm>
#include <ctime>

namespace folio {

ThreadPool::ThreadPool(int n_threads)
{
    if (n_threads <= 0)
        n_threads = int(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 1; i < n_threads; ++i)
        m_workers.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_start.notify_all();
    for (std::thread &t : m_workers)
        t.join();
}

void ThreadPool::worker_loop(int index)
{
    std::uint64_t seen = 0;
    for (;;) {
        const RangeFn *fn;
        std::int64_t begin, end;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_start.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop)
                return;
            seen = m_generation;
            fn = m_fn;
            begin = std::min(m_n, std::int64_t(index) * m_chunk);
            end = std::min(m_n, begin + m_chunk);
        }
        if (begin < end)
            (*fn)(begin, end);
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (--m_pending == 0)
                m_done.notify_one();
        }
    }
}

void ThreadPool::parallel_for(std::int64_t n, RangeFn fn, std::int64_t grain)
{
    if (n <= 0)
        return;
    const std::int64_t max_chunks = std::max<std::int64_t>(1, n / std::max<std::int64_t>(grain, 1));
    const std::int64_t chunks = std::min<std::int64_t>(size(), max_chunks);
    if (chunks <= 1) {
        if (m_accounting && size() == 1 && n >= 2 * std::max<std::int64_t>(grain, 1)) {
            timespec a, b;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
            fn(0, n);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
            m_split_ns += std::int64_t(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
            return;
        }
        fn(0, n);
        return;
    }
    const std::int64_t chunk = (n + chunks - 1) / chunks;
    std::lock_guard<std::mutex> run(m_run);
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_fn = &fn;
        m_n = n;
        m_chunk = chunk;
        m_pending = int(m_workers.size());
        ++m_generation;
    }
    m_start.notify_all();
    fn(0, std::min(n, chunk));
    std::unique_lock<std::mutex> lock(m_mutex);
    m_done.wait(lock, [&] { return m_pending == 0; });
    m_fn = nullptr;
}

} // namespace folio
