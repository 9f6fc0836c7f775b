// StagedUploader and DeviceExpertCache (see memory.h).
#include <cstring>

#include "check.cuh"
#include "memory.h"

namespace folio::cuda {

StagedUploader::~StagedUploader()
{
    for (int i = 0; i < 2; ++i) {
        if (m_done[i])
            cudaEventDestroy(m_done[i]);
        if (m_pinned[i])
            cudaFreeHost(m_pinned[i]);
    }
    if (m_stream)
        cudaStreamDestroy(m_stream);
}

Status StagedUploader::init(std::size_t chunk_bytes)
{
    if (chunk_bytes == 0)
        return Status::error("staged upload: chunk size 0");
    m_chunk = chunk_bytes;
    CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
    for (int i = 0; i < 2; ++i) {
        CUDA_CHECK(cudaMallocHost(&m_pinned[i], chunk_bytes));
        CUDA_CHECK(cudaEventCreateWithFlags(&m_done[i], cudaEventDisableTiming));
    }
    return Status::ok();
}

Status StagedUploader::upload(const void *host, std::size_t bytes, void *dst)
{
    if (!m_stream)
        return Status::error("staged upload: not initialised");
    const auto *src = static_cast<const std::uint8_t *>(host);
    auto *out = static_cast<std::uint8_t *>(dst);
    bool used[2] = {false, false};
    int buf = 0;
    for (std::size_t off = 0; off < bytes; off += m_chunk) {
        const std::size_t n = std::min(m_chunk, bytes - off);
        // Wait until the copy that last read this buffer has finished before refilling it.
        if (used[buf])
            CUDA_CHECK(cudaEventSynchronize(m_done[buf]));
        std::memcpy(m_pinned[buf], src + off, n);
        CUDA_CHECK(cudaMemcpyAsync(out + off, m_pinned[buf], n, cudaMemcpyHostToDevice, m_stream));
        CUDA_CHECK(cudaEventRecord(m_done[buf], m_stream));
        used[buf] = true;
        buf ^= 1;
    }
    CUDA_CHECK(cudaStreamSynchronize(m_stream));
    m_total += bytes;
    return Status::ok();
}

DeviceExpertCache::~DeviceExpertCache()
{
    if (m_pool)
        cudaFree(m_pool);
}

Status DeviceExpertCache::init(std::uint64_t slots, std::size_t expert_bytes)
{
    if (slots == 0 || expert_bytes == 0)
        return Status::error("expert cache: " + std::to_string(slots) + " slots of "
                             + std::to_string(expert_bytes) + " bytes");
    void *p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, slots * expert_bytes));
    m_pool = static_cast<std::uint8_t *>(p);
    m_expert_bytes = expert_bytes;
    m_lru = ExpertLru(slots);
    return Status::ok();
}

Status DeviceExpertCache::fetch(std::int64_t key, const void *host, cudaStream_t stream,
                                const void **dev)
{
    if (!m_pool)
        return Status::error("expert cache: not initialised");
    const ExpertLru::Access a = m_lru.lookup(key);
    std::uint8_t *slot = m_pool + a.slot * m_expert_bytes;
    if (!a.hit)
        CUDA_CHECK(cudaMemcpyAsync(slot, host, m_expert_bytes, cudaMemcpyHostToDevice, stream));
    *dev = slot;
    return Status::ok();
}

} // namespace folio::cuda
