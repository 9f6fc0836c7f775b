// The CUDA model shared by cuda_model.cpp (loading: weights uploaded onto the plan's GPUs) and
// cuda_forward.cpp (the layer driver of a session): one `Gpu` per device of the plan (stream,
// cuBLAS handle, scratch buffers, pinned staging), the weights of every block on the GPU that
// runs it (`DevBlock`, device pointers in the release's formats), the routed experts resident or
// in pinned host memory behind the device expert cache, and the head/MTP on the last GPU.
// Internal to the engine; built only with CUDA.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "backend_plan.h"
#include "cpu/linear.h"
#include "cuda/gemm_fp8_lt.h"
#include "cuda/memory.h"
#include "cuda_backend.h"
#include "folio/device_stats.h"
#include "model/weights.h"

namespace folio::cuda {

// The longest forward call the driver runs at once (longer prefills are split; every piece but
// a first one shorter than the window reproduces the one-shot call, see docs/engine.md).
constexpr int kMaxChunk = 2048;

// Device memory owned by one allocation; ensure() grows it (contents lost) after the device's
// pending work is done.
class DeviceBuffer
{
public:
    DeviceBuffer() = default;
    ~DeviceBuffer();
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;
    DeviceBuffer(DeviceBuffer &&o) noexcept;
    DeviceBuffer &operator=(DeviceBuffer &&o) noexcept;

    Status ensure(int device, std::size_t bytes);
    void *get() const { return m_ptr; }
    std::size_t size() const { return m_bytes; }

private:
    void release();
    void *m_ptr = nullptr;
    std::size_t m_bytes = 0;
    int m_device = 0;
};

// Pinned host memory, grown on demand (the D2H staging of the state updates, host experts).
class PinnedBuffer
{
public:
    PinnedBuffer() = default;
    ~PinnedBuffer();
    PinnedBuffer(const PinnedBuffer &) = delete;
    PinnedBuffer &operator=(const PinnedBuffer &) = delete;
    Status ensure(std::size_t bytes);
    std::uint8_t *get() const { return m_ptr; }

private:
    std::uint8_t *m_ptr = nullptr;
    std::size_t m_bytes = 0;
};

// A linear's weight on the device, in its storage format (wo_a dequantised to BF16 at upload).
struct DevLinear
{
    WeightKind kind = WeightKind::BF16;
    int out = 0, in = 0;
    const std::uint8_t *data = nullptr;
    const std::uint8_t *scale = nullptr; // FP8/FP4 only
    // FP8 only: the tile scales expanded once at upload to FP32 in cuBLASLt's BLK128x128_32F
    // layout [ceil(out/128), Fp8LtGemm::scale_row_stride(in)], for the prefill GEMM.
    const float *scale_f32 = nullptr;
};

struct DevHc
{
    const float *fn = nullptr, *base = nullptr, *scale = nullptr;
};

struct DevCompressor
{
    int ratio = 0, head_dim = 0;
    bool overlap = false, rotate = false;
    DevLinear wkv, wgate;
    const float *ape = nullptr, *norm = nullptr;
};

// Byte offsets of one routed expert's six tensors inside its packed copy (every expert of a model
// has the same layout), used for the resident expert arrays, the host copies and the cache slots.
struct ExpertLayout
{
    std::size_t w_data[3] = {}, w_scale[3] = {}; // w1, w2, w3
    std::size_t bytes = 0;
};

struct DevBlock
{
    int gpu = 0;       // index into CudaModel::gpus
    int layer_key = 0; // cache key base: block index * n_routed_experts
    const BlockWeights *host = nullptr;
    const float *rope = nullptr; // [rope_dim / 2] frequencies of the block's table
    const float *attn_norm = nullptr, *ffn_norm = nullptr;
    DevHc hc_attn, hc_ffn;
    const float *attn_sink = nullptr, *q_norm = nullptr, *kv_norm = nullptr;
    DevLinear wq_a, wq_b, wkv, wo_a, wo_b;
    bool has_compressor = false, has_indexer = false;
    DevCompressor compressor, index_compressor;
    DevLinear index_wq_b, index_weights_proj;
    DevLinear gate;
    const float *bias = nullptr;                // score-routed layers
    const long long *tid2eid = nullptr;         // hash layers
    const std::uint8_t *experts = nullptr;      // resident: [n_routed, layout.bytes]
    const std::uint8_t *host_experts = nullptr; // offloaded: pinned [n_routed, layout.bytes]
    // Resident: [n_routed] device pointers experts + e * layout.bytes (the MoE kernels' table).
    const std::uint8_t *const *expert_table = nullptr;
    DevLinear shared[3];
};

// Scratch buffers of a GPU, one per purpose, reused by every block (the driver runs one block at
// a time per model).
enum class Buf {
    H,
    Residual,
    Y,
    Sub,
    Post,
    Comb,
    Qr,
    Q,
    KvScales,
    O,
    Z,
    PosTok,
    PosQ,
    PosIq,
    PosEntry,
    Idx,
    Visible,
    Width,
    Iq,
    Hw,
    Scores,
    Picks,
    CKv,
    CScore,
    EntryScales,
    KeyScales,
    LinWork,
    LinXb,
    LinLt, // the cuBLASLt FP8 GEMM's codes, scales and BF16 output
    RLogits,
    Ids,
    Gw,
    // Routed experts (CudaSession::moe): grouping, activations, per-entry intermediates.
    MoeCounts,
    MoeOffsets,
    MoeOrder,
    MoePos,
    MoeWg,
    MoeTiles,
    MoeTable,
    MoeXq,
    MoeXs,
    MoeXa,
    MoeHa,
    MoeHs,
    Gate,
    Up,
    Oe,
    YAcc,
    Shared,
    Tokens,
    E,
    Ep,
    Hn,
    Hp,
    Mh,
    Xh,
    Logits,
    Count
};

struct Gpu
{
    int device = 0;
    cudaStream_t stream = nullptr;
    cublasHandle_t cublas = nullptr;
    std::vector<DeviceBuffer> weights; // every weight allocation of this GPU
    std::array<DeviceBuffer, std::size_t(Buf::Count)> scratch;
    PinnedBuffer staging; // D2H of one block's state update and routing
    std::unique_ptr<DeviceExpertCache> cache;
    std::unique_ptr<Fp8LtGemm> lt; // the FP8 block-scaled prefill GEMM on this GPU
    const float *rope_window = nullptr, *rope_compressed = nullptr;
    ~Gpu();
};

struct CudaModel final
    : DeviceModel
    , std::enable_shared_from_this<CudaModel>
{
    std::shared_ptr<const ModelWeights> weights;
    BackendPlan plan;
    std::vector<std::unique_ptr<Gpu>> gpus; // in plan order
    std::vector<DevBlock> blocks;           // main layers then MTP blocks
    ExpertLayout expert_layout;
    PinnedBuffer host_experts;            // offloaded routed experts, [layer][expert] packed
    const std::uint16_t *embed = nullptr; // on gpus.front()
    const float *norm = nullptr;          // on gpus.back()
    DevLinear head;
    DevHc hc_head;
    struct Mtp
    {
        DevLinear e_proj, h_proj;
        const float *enorm = nullptr, *hnorm = nullptr, *norm = nullptr;
        DevHc hc_head;
    };
    std::vector<Mtp> mtp;   // on gpus.back(); its blocks are blocks[n_layers + i]
    mutable std::mutex run; // one forward call at a time (the scratch is shared)
    // FOLIO_CUDA_EXACT_GEMM=1 at load: every linear and the routed experts on the exact kernels
    // (the op-by-op reference: no cuBLAS/cuBLASLt, the fused GEMV for the MoE at any length).
    bool exact_gemm = false;
    // Counters of DeviceStats that the kernels' owners do not keep themselves.
    mutable std::atomic<std::uint64_t> fp8_exact_calls{0}, moe_grouped_calls{0}, moe_gemv_calls{0};

    std::unique_ptr<DeviceSession> create_session() const override;
    // The expert cache's and the GEMM paths' counters, summed over the GPUs.
    DeviceStats stats() const;
};

// A typed view of scratch buffer `b` of `gpu` with room for `count` elements.
template<class T>
Status scratch(Gpu &gpu, Buf b, std::size_t count, T *&out)
{
    DeviceBuffer &buf = gpu.scratch[std::size_t(b)];
    if (Status st = buf.ensure(gpu.device, std::max<std::size_t>(count, 1) * sizeof(T)); !st)
        return st;
    out = static_cast<T *>(buf.get());
    return Status::ok();
}

} // namespace folio::cuda
