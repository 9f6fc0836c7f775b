// ThreadPool: the engine's small persistent compute pool. parallel_for splits an index range into
// contiguous chunks and runs them on the pool's workers plus the calling thread, returning when all
// are done. One parallel_for runs at a time per pool (concurrent callers wait their turn); a pool
// of one thread runs everything inline.
//
// Why chunks are contiguous and deterministic: every op computes each output element on exactly
// one thread with a fixed reduction order, so results never depend on the thread count.
//
// Why workers sleep instead of spinning: the app may tokenize (ingest's own threads) or render
// while the engine computes; a spinning pool would take those cores even when idle. The pool's
// size is LoadOptions::threads (folio-cli --threads N); see docs/cpu.md "Threads" for sizing it
// next to the tokenizer. parallel_for takes any callable through a non-owning reference, so a
// call allocates nothing (a std::function of a lambda with captures would).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace folio {

// A non-owning reference to a callable void(int64 begin, int64 end); valid while the callable is.
class RangeFn
{
public:
    template<class F>
    RangeFn(const F &f) // NOLINT(google-explicit-constructor): built at every call site
        : m_obj(&f)
        , m_call([](const void *o, std::int64_t b, std::int64_t e) {
            (*static_cast<const F *>(o))(b, e);
        })
    {}
    void operator()(std::int64_t b, std::int64_t e) const { m_call(m_obj, b, e); }

private:
    const void *m_obj;
    void (*m_call)(const void *, std::int64_t, std::int64_t);
};

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
    void parallel_for(std::int64_t n, RangeFn fn, std::int64_t grain = 1);

    // Benchmark accounting (folio-bench model): on a 1-thread pool, the calling thread's CPU time
    // spent in parallel_for bodies that a 2-thread pool would split (n >= 2 * grain). Divided by
    // the whole forward pass's CPU time it is the parallel fraction p, and 1 / ((1 - p) + p / 2)
    // the best 2-thread speedup the work split allows (Amdahl), measurable on a loaded machine.
    void set_accounting(bool on) { m_accounting = on; }
    double split_cpu_seconds() const { return double(m_split_ns) * 1e-9; }

private:
    void worker_loop(int index);

    std::vector<std::thread> m_workers;
    std::mutex m_run; // one parallel_for at a time
    std::mutex m_mutex;
    std::condition_variable m_start, m_done;
    const RangeFn *m_fn = nullptr;
    std::int64_t m_n = 0, m_chunk = 0;
    std::uint64_t m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
    bool m_accounting = false;
    std::int64_t m_split_ns = 0;
};

} // namespace folio
