// The CUDA session (DeviceSession, cuda_backend.h) shared by the two files that implement it:
// cuda_forward.cpp (the forward pass: the blocks, the attention, the head, one call) and
// cuda_session_state.cpp (its state on the device: upload, on-demand sync to the host, fork,
// the GPU sampler, the counters, the buffers' generation for the CUDA graphs). Internal to the
// engine; built only with CUDA. cuda_forward.cpp describes the device state's layout.
#pragma once

#include "cuda/check.cuh"
#include "cuda/kv_plan.h"
#include "cuda_model.h"
#include "folio/sampling.h"
#include "model/weights.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>

namespace folio::cuda {

struct DevState
{
    DeviceBuffer kv;            // [window + kMaxChunk + cap, KvEntryCodec::bytes()] compact rows
    std::int64_t cap = 0;       // entry rows allocated
    std::int64_t n_entries = 0; // compressed entries written
    DeviceBuffer keys;          // [key_cap, IndexKeyCodec::bytes()] compact indexer keys
    std::int64_t key_cap = 0;   // key rows allocated
    std::int64_t n_keys = 0;    // indexer keys written
    DeviceBuffer comp_kv, comp_score, icomp_kv, icomp_score; // [slots, width] FP32
};

// Per GPU, the session's own scratch (the model's Buf scratch is shared by its sessions).
struct SessionScratch
{
    DeviceBuffer kv32;     // [m, head_dim] this call's KV before it is encoded
    DeviceBuffer entry32;  // [new entries, head_dim] compressed entries before encoding
    DeviceBuffer key32;    // [new entries, index_head_dim] indexer keys before encoding
    DeviceBuffer partials; // split attention: [m, heads, splits, head_dim + 2]
    int sm_count = 0;      // multiprocessors (the attention split)
    // A decode call's host->device uploads (token, positions, key lists) go through pinned
    // memory: a copy from pageable memory may wait for the stream, a host synchronisation the
    // decode step must not have. One bump region per call; the next call waits for the event
    // recorded after the last copy before it writes the region again.
    PinnedBuffer uploads;
    std::size_t upload_cap = 0, upload_used = 0;
    cudaEvent_t uploads_read = nullptr;
    bool uploads_pending = false;
};

// What the MoE reads back with the router's choice (byte offset into the GPU's staging).
struct Pending
{
    std::size_t route_off = 0; // ids [m, k] int32 then weights [m, k] FP32
};

// Segments of a block's decode step captured as CUDA graphs (GraphKey::segment).
enum Segment : int { kSegQkv = 1, kSegOut = 2, kSegHead = 3 };

// From this many rows on, BF16 linears go to cuBLAS (tensor cores) instead of the exact kernel.
constexpr int kCublasMinRows = 8;

template<class T>
Status upload(Gpu &gpu, Buf b, const std::vector<T> &host, T *&dev)
{
    if (Status st = scratch(gpu, b, host.size(), dev); !st)
        return st;
    if (!host.empty())
        CUDA_CHECK(cudaMemcpyAsync(dev, host.data(), host.size() * sizeof(T),
                                   cudaMemcpyHostToDevice, gpu.stream));
    return Status::ok();
}

// A typed view of a session-owned buffer with room for `count` elements.
template<class T>
Status own(DeviceBuffer &buf, int device, std::size_t count, T *&out)
{
    if (Status st = buf.ensure(device, std::max<std::size_t>(count, 1) * sizeof(T)); !st)
        return st;
    out = static_cast<T *>(buf.get());
    return Status::ok();
}

// Keeps the first `keep` bytes of `buf` while growing it to `bytes`.
inline Status grow_keep(DeviceBuffer &buf, int device, std::size_t bytes, std::size_t keep,
                        cudaStream_t stream)
{
    if (buf.get() && bytes <= buf.size())
        return Status::ok();
    DeviceBuffer bigger;
    if (Status st = bigger.ensure(device, std::max(bytes, buf.size() * 2)); !st)
        return st;
    if (keep)
        CUDA_CHECK(cudaMemcpyAsync(bigger.get(), buf.get(), keep, cudaMemcpyDeviceToDevice, stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));
    buf = std::move(bigger);
    return Status::ok();
}

// One captured segment: its slot (kv_plan.h policy) and the executable graph.
struct GraphEntry
{
    GraphSlot slot;
    cudaGraphExec_t exec = nullptr;
};

class CudaSession final : public DeviceSession
{
public:
    explicit CudaSession(std::shared_ptr<const CudaModel> model)
        : m_model(std::move(model))
        , m_w(*m_model->weights)
        , m_cfg(m_w.cfg)
        , m_graphs_on(m_model->graphs_enabled())
    {
        m_scratch.resize(m_model->gpus.size());
    }
    ~CudaSession() override;

    Status forward(KvState &state, const std::int32_t *tokens, int n, std::vector<float> *all,
                   std::vector<float> &last_logits, std::vector<float> &last_hidden,
                   bool host_logits) override;
    Status sync_host(KvState &state, std::vector<float> &last_logits,
                     std::vector<float> &last_hidden) override;
    Result<int> sample(const std::vector<float> &last_logits, Sampler &sampler) override;
    std::uint64_t context_bytes() const override;
    DeviceStats stats() const override;
    void set_graphs(bool on) override { m_graphs_on = on; }
    void invalidate() override;
    std::unique_ptr<DeviceSession> fork() const override;

private:
    Gpu &gpu(int i) const { return *m_model->gpus[std::size_t(i)]; }
    int gpu_index(const Gpu &g) const;
    // upload() through the call's pinned region when it is on (decode) and has room.
    template<class T>
    Status put(Gpu &g, Buf b, const std::vector<T> &host, T *&dev);
    // Starts / ends the host->device uploads of one call of m tokens ending at position end.
    Status begin_uploads(int m, std::int64_t end);
    Status end_uploads();
    Gpu &last_gpu() const { return *m_model->gpus.back(); }
    Status upload_state(const KvState &state, const std::vector<float> &last_logits,
                        const std::vector<float> &last_hidden);
    Status upload_layer(const DevBlock &d, const LayerState &hs, DevState &ds);
    Status download_layer(const DevBlock &d, const DevState &ds, LayerState &hs) const;
    Status copy_from(const CudaSession &src);
    Status run(KvState &state, const std::int32_t *tokens, int m, std::vector<float> *all,
               bool host_logits, std::vector<float> &last_logits);
    Status positions(Gpu &g, std::int64_t start, int m);
    // Copies the residual h [count floats] to GPU `target` (its Buf::H) and switches to it.
    Status move_residual(int target, std::size_t count, int &cur, Gpu *&g, float *&h);
    Status block(int index, const DevBlock &d, LayerState &hs, DevState &ds, float *x,
                 const std::int32_t *tokens, int m, std::int64_t start);
    Status attention_qkv(const DevBlock &d, DevState &ds, const float *x, int m);
    Status attention(const DevBlock &d, DevState &ds, const float *x, int m, std::int64_t start,
                     float *out);
    Status attention_out(const DevBlock &d, int m, float *out);
    Status compress(Gpu &g, const DevCompressor &c, const float *rope_freqs, const float *x, int m,
                    std::int64_t start, float *state_kv, float *state_score, float *dst,
                    float *scales, int n_new);
    Status moe(const DevBlock &d, const float *x, const std::int32_t *tokens, int m, float *out,
               LayerState &hs, const Pending &pend);
    Status linear(Gpu &g, const DevLinear &w, const float *x, int m, float *y, bool f32_out);
    Status head(Gpu &g, const float *h, int rows, const DevHc &hc, const float *norm, float *logits);
    // The host state is the device's business now (sync_host): nothing to apply per block.
    void apply(const Pending &, LayerState &, const std::uint8_t *, std::int64_t) const {}
    // Runs `body` (the launches of one segment on g's stream) directly, or captures it into a
    // CUDA graph / replays the graph (kv_plan.h graph_action).
    template<class F>
    Status segment(Gpu &g, int seg, int index, int rows, const DevState *ds, F &&body);
    std::uint64_t generation(const Gpu &g, int gpu_index, const DevState *ds) const;
    DeviceStats cache_counters() const; // the model's counters now (CudaModel::stats)

    std::shared_ptr<const CudaModel> m_model;
    const ModelWeights &m_w;
    const ModelConfig &m_cfg;
    std::vector<DevState> m_state; // main blocks, then MTP blocks
    std::deque<SessionScratch>
        m_scratch;         // (a deque: its elements never move)              // per GPU of the plan
    DeviceBuffer m_logits; // [vocab] last position's logits (last GPU)
    DeviceBuffer m_hidden; // [hc, dim] last position's final residual
    DeviceBuffer m_sample_work;                         // [vocab] doubles of the GPU sampler
    DeviceBuffer m_sample_out;                          // 4 ints: token, error, where
    PinnedBuffer m_sample_host;                         // their host copy
    std::map<std::pair<int, int>, GraphEntry> m_graphs; // (segment, block) -> graph
    bool m_graphs_on = true;
    bool m_pinned_uploads = false;  // this call's uploads go through SessionScratch::uploads
    bool m_device_valid = false;    // the device holds the session's state (else upload it first)
    bool m_host_stale = false;      // the host KvState's contents are behind the device's
    bool m_logits_dev = false;      // m_logits holds the last position's logits
    bool m_host_logits = true;      // the host last_logits hold them
    bool m_hidden_dev = false;      // m_hidden holds the last position's final residual
    bool m_host_hidden = true;      // the host last_hidden holds it
    Status m_broken;                // a failed fork: every call reports it
    DeviceStats m_stats;            // this session's share of the model's counters
    std::int64_t m_block_start = 0; // start position of the block being run
};

template<class F>
Status CudaSession::segment(Gpu &g, int seg, int index, int rows, const DevState *ds, F &&body)
{
    const int gi = gpu_index(g);
    const GraphKey key{seg, index, rows, m_graphs_on && rows == 1 ? generation(g, gi, ds) : 0};
    GraphEntry &e = m_graphs[{seg, index}];
    bool drop = false;
    const GraphAction act = graph_action(e.slot, key, m_graphs_on, drop);
    if (drop && e.exec) {
        CUDA_CHECK(cudaGraphExecDestroy(e.exec));
        e.exec = nullptr;
    }
    if (act == GraphAction::Direct)
        return body();
    if (act == GraphAction::Replay) {
        CUDA_CHECK(cudaGraphLaunch(e.exec, g.stream));
        return Status::ok();
    }
    // Capture: the launches are recorded, not run; the graph is then launched once. Anything
    // that cannot be captured (an allocation, a host synchronisation) fails the capture, and the
    // segment runs directly from then on.
    CUDA_CHECK(cudaStreamBeginCapture(g.stream, cudaStreamCaptureModeThreadLocal));
    const Status st = body();
    cudaGraph_t graph = nullptr;
    const cudaError_t end = cudaStreamEndCapture(g.stream, &graph);
    cudaGraphExec_t exec = nullptr;
    const bool ok = st && end == cudaSuccess && graph
                    && cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess;
    if (graph)
        cudaGraphDestroy(graph);
    if (!ok) {
        (void) cudaGetLastError(); // the capture's error is not the segment's
        e.slot.failed = true;
        return body();
    }
    e.exec = exec;
    e.slot.captured = true;
    CUDA_CHECK(cudaGraphLaunch(exec, g.stream));
    return Status::ok();
}

template<class T>
Status CudaSession::put(Gpu &g, Buf b, const std::vector<T> &host, T *&dev)
{
    if (Status st = scratch(g, b, host.size(), dev); !st)
        return st;
    if (host.empty())
        return Status::ok();
    const std::size_t bytes = host.size() * sizeof(T);
    SessionScratch &sc = m_scratch[std::size_t(gpu_index(g))];
    const std::size_t at = (sc.upload_used + 255) / 256 * 256;
    if (m_pinned_uploads && at + bytes <= sc.upload_cap) {
        std::memcpy(sc.uploads.get() + at, host.data(), bytes);
        sc.upload_used = at + bytes;
        CUDA_CHECK(
            cudaMemcpyAsync(dev, sc.uploads.get() + at, bytes, cudaMemcpyHostToDevice, g.stream));
        return Status::ok();
    }
    CUDA_CHECK(cudaMemcpyAsync(dev, host.data(), bytes, cudaMemcpyHostToDevice, g.stream));
    return Status::ok();
}

// into += after - before, field by field (a session's share of the model's counters).
inline void add_counters(DeviceStats &into, const DeviceStats &before, const DeviceStats &after)
{
    into.expert_cache_hits += after.expert_cache_hits - before.expert_cache_hits;
    into.expert_cache_misses += after.expert_cache_misses - before.expert_cache_misses;
    into.fp8_gemm_cublaslt += after.fp8_gemm_cublaslt - before.fp8_gemm_cublaslt;
    into.fp8_gemm_exact += after.fp8_gemm_exact - before.fp8_gemm_exact;
    into.moe_grouped += after.moe_grouped - before.moe_grouped;
    into.moe_fused_gemv += after.moe_fused_gemv - before.moe_fused_gemv;
}

} // namespace folio::cuda
