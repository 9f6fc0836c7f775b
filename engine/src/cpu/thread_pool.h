// ThreadPool: the engine's small persistent compute pool. parallel_for splits an index range into
// contiguous chunks and runs them on the pool's workers plus the calling thread, returning when all
// are done. One parallel_for runs at a time per pool (concurrent callers wait their turn); a pool
// of one thread runs everything inline.
//
// Why chunks are contiguous and deterministic: every op computes each output element on exactly
// one thread with a fixed reduction order, so results never depend on the thread count.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace folio {

class ThreadPool
{
public:
    // n_threads <= 0: the hardware concurrency.
    explicit ThreadPool(int n_threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    int size() const { return int(m_workers.size()) + 1; }

    // fn(begin, end) over [0, n) in at most size() chunks of at least `grain` indices. Calls from
    // different threads (sessions sharing a model) are serialised; fn must not call
    // parallel_for itself.
    void parallel_for(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)> &fn,
                      std::int64_t grain = 1);

private:
    void worker_loop(int index);

    std::vector<std::thread> m_workers;
    std::mutex m_run; // one parallel_for at a time
    std::mutex m_mutex;
    std::condition_variable m_start, m_done;
    const std::function<void(std::int64_t, std::int64_t)> *m_fn = nullptr;
    std::int64_t m_n = 0, m_chunk = 0;
    std::uint64_t m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
};

} // namespace folio
