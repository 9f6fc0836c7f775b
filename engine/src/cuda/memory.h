// Device memory services of the CUDA backend: a staged uploader that streams weights from the
// memory-mapped checkpoint (pageable memory) to the device through two pinned staging buffers,
// so the copy of one chunk overlaps the memcpy into the other; and the device cache of routed
// experts, whose slot policy is ExpertLru (backend_plan.h) and whose misses copy an expert from
// host memory into its slot. Both report every CUDA failure as a Status with file:line.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "backend_plan.h"
#include "folio/status.h"

namespace folio::cuda {

class StagedUploader
{
public:
    StagedUploader() = default;
    ~StagedUploader();
    StagedUploader(const StagedUploader &) = delete;
    StagedUploader &operator=(const StagedUploader &) = delete;

    // Two pinned buffers of chunk_bytes each, and a stream for the copies.
    Status init(std::size_t chunk_bytes);
    // Copies bytes from host (any memory) to dst on the device; returns when the copy is done.
    Status upload(const void *host, std::size_t bytes, void *dst);
    std::uint64_t bytes_uploaded() const { return m_total; }

private:
    std::size_t m_chunk = 0;
    void *m_pinned[2] = {nullptr, nullptr};
    cudaEvent_t m_done[2] = {nullptr, nullptr};
    cudaStream_t m_stream = nullptr;
    std::uint64_t m_total = 0;
};

class DeviceExpertCache
{
public:
    DeviceExpertCache() = default;
    ~DeviceExpertCache();
    DeviceExpertCache(const DeviceExpertCache &) = delete;
    DeviceExpertCache &operator=(const DeviceExpertCache &) = delete;

    // slots experts of expert_bytes each, allocated on the current device. A step fetches all the
    // experts it uses before launching their kernels, so slots must be at least that many
    // (n_activated_experts): fewer would let a later fetch reuse a slot still to be read.
    Status init(std::uint64_t slots, std::size_t expert_bytes);
    // The device copy of expert `key` (layer * n_routed_experts + expert), whose host bytes are at
    // `host` (expert_bytes of them; pinned memory copies asynchronously). On a miss the copy is
    // enqueued on `stream` before the caller's kernels that read *dev.
    Status fetch(std::int64_t key, const void *host, cudaStream_t stream, const void **dev);
    std::uint64_t hits() const { return m_lru.hits(); }
    std::uint64_t misses() const { return m_lru.misses(); }
    std::uint64_t slots() const { return m_lru.slots(); }

private:
    ExpertLru m_lru{0};
    std::size_t m_expert_bytes = 0;
    std::uint8_t *m_pool = nullptr;
};

} // namespace folio::cuda
