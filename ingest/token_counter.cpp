// TokenCountCache and parallelFor (see token_counter.h). The pool is ingest's own, internal and
// short-lived: threads live for one parallelFor call.
#include "ingest/token_counter.h"

#include <atomic>
#include <thread>

namespace folio::ingest {

bool TokenCountCache::lookup(const QByteArray &key, std::vector<std::uint32_t> *counts) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_map.constFind(key);
    if (it == m_map.constEnd()) {
        ++m_misses;
        return false;
    }
    ++m_hits;
    *counts = it.value();
    return true;
}

void TokenCountCache::insert(const QByteArray &key, std::vector<std::uint32_t> counts)
{
    std::lock_guard lock(m_mutex);
    m_map.insert(key, std::move(counts));
}

std::size_t TokenCountCache::size() const
{
    std::lock_guard lock(m_mutex);
    return std::size_t(m_map.size());
}

std::size_t TokenCountCache::hits() const
{
    std::lock_guard lock(m_mutex);
    return m_hits;
}

std::size_t TokenCountCache::misses() const
{
    std::lock_guard lock(m_mutex);
    return m_misses;
}

QHash<QByteArray, std::vector<std::uint32_t>> TokenCountCache::entries() const
{
    std::lock_guard lock(m_mutex);
    return m_map;
}

void parallelFor(std::size_t n, unsigned threads, const std::function<void(std::size_t)> &job)
{
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    threads = unsigned(std::min<std::size_t>(threads, n));
    if (threads <= 1) {
        for (std::size_t i = 0; i < n; ++i)
            job(i);
        return;
    }
    std::atomic_size_t next{0};
    auto worker = [&] {
        for (std::size_t i = next++; i < n; i = next++)
            job(i);
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back(worker);
    worker();
    for (std::thread &t : pool)
        t.join();
}

} // namespace folio::ingest
