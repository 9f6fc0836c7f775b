// Loading a model onto the GPUs of its plan (cuda_model.h): a stream and a cuBLAS handle per
// GPU, then every block's weights streamed from the memory-mapped checkpoint layer by layer
// through the pinned staging buffers of StagedUploader, onto the GPU the plan gives the layer.
// wo_a is dequantised to BF16 on the way (exact: an E4M3 value times a power of two), as the
// reference does once at load. Routed experts are packed per expert (ExpertLayout) into a device
// array, or, with an expert cache, into pinned host memory from which cache misses copy. FP8
// weights also get their tile scales as FP32 in cuBLASLt's block-scaling layout (the prefill
// GEMM, cuda/gemm_fp8_lt.h), expanded once here.
#include "cuda_model.h"

#include "cuda/check.cuh"
#include "quant.h"

#include <cstdlib>
#include <cstring>

namespace folio::cuda {

// ---- buffers ----

DeviceBuffer::~DeviceBuffer()
{
    release();
}

DeviceBuffer::DeviceBuffer(DeviceBuffer &&o) noexcept
    : m_ptr(o.m_ptr)
    , m_bytes(o.m_bytes)
    , m_device(o.m_device)
{
    o.m_ptr = nullptr;
    o.m_bytes = 0;
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&o) noexcept
{
    if (this != &o) {
        release();
        m_ptr = o.m_ptr;
        m_bytes = o.m_bytes;
        m_device = o.m_device;
        o.m_ptr = nullptr;
        o.m_bytes = 0;
    }
    return *this;
}

void DeviceBuffer::release()
{
    if (m_ptr) {
        cudaSetDevice(m_device);
        cudaFree(m_ptr);
    }
    m_ptr = nullptr;
    m_bytes = 0;
}

Status DeviceBuffer::ensure(int device, std::size_t bytes)
{
    if (m_ptr && bytes <= m_bytes)
        return Status::ok();
    CUDA_CHECK(cudaSetDevice(device));
    if (m_ptr) {
        // Kernels still queued may read the old allocation: let them finish first.
        CUDA_CHECK(cudaDeviceSynchronize());
        release();
    }
    // Grow geometrically so that a slowly growing context reallocates rarely.
    const std::size_t want = std::max(bytes, m_bytes + m_bytes / 2);
    CUDA_CHECK(cudaMalloc(&m_ptr, want));
    m_bytes = want;
    m_device = device;
    return Status::ok();
}

PinnedBuffer::~PinnedBuffer()
{
    if (m_ptr)
        cudaFreeHost(m_ptr);
}

Status PinnedBuffer::ensure(std::size_t bytes)
{
    if (m_ptr && bytes <= m_bytes)
        return Status::ok();
    if (m_ptr) {
        CUDA_CHECK(cudaFreeHost(m_ptr));
        m_ptr = nullptr;
    }
    void *p = nullptr;
    CUDA_CHECK(cudaMallocHost(&p, std::max<std::size_t>(bytes, 1)));
    m_ptr = static_cast<std::uint8_t *>(p);
    m_bytes = bytes;
    return Status::ok();
}

DeviceStats CudaModel::stats() const
{
    DeviceStats s;
    for (const auto &g : gpus) {
        if (g->cache) {
            s.expert_cache_hits += g->cache->hits();
            s.expert_cache_misses += g->cache->misses();
            s.expert_cache_slots += g->cache->slots();
        }
        if (g->lt) {
            s.fp8_gemm_cublaslt += g->lt->calls();
            s.fp8_cublaslt_refused = s.fp8_cublaslt_refused || g->lt->ever_refused();
        }
    }
    s.fp8_gemm_exact = fp8_exact_calls.load();
    s.moe_grouped = moe_grouped_calls.load();
    s.moe_fused_gemv = moe_gemv_calls.load();
    return s;
}

Gpu::~Gpu()
{
    cudaSetDevice(device);
    cache.reset();
    lt.reset();
    if (cublas)
        cublasDestroy(cublas);
    if (stream)
        cudaStreamDestroy(stream);
}

namespace {

constexpr std::size_t kStagingChunk = 64ull << 20;
constexpr std::size_t kAlign = 256;

std::size_t align_up(std::size_t n)
{
    return (n + kAlign - 1) / kAlign * kAlign;
}

// Bytes of a linear's data and scale tensors in the checkpoint.
std::size_t data_bytes(const LinearWeight &w)
{
    const std::size_t n = std::size_t(w.out) * std::size_t(w.in);
    switch (w.kind) {
    case WeightKind::BF16:
        return 2 * n;
    case WeightKind::F32:
        return 4 * n;
    case WeightKind::FP8:
        return n;
    case WeightKind::FP4:
        return n / 2;
    }
    return 0;
}

std::size_t scale_bytes(const LinearWeight &w)
{
    if (w.kind == WeightKind::FP8)
        return std::size_t((w.out + 127) / 128) * std::size_t((w.in + 127) / 128);
    if (w.kind == WeightKind::FP4)
        return std::size_t(w.out) * std::size_t(w.in / 32);
    return 0;
}

// Uploads onto one GPU; every allocation is kept in gpu.weights.
class Loader
{
public:
    explicit Loader(Gpu &gpu)
        : m_gpu(gpu)
    {}
    Status init() { return m_up.init(kStagingChunk); }

    Status bytes(const void *host, std::size_t n, const std::uint8_t *&dev)
    {
        DeviceBuffer buf;
        if (Status st = buf.ensure(m_gpu.device, n); !st)
            return st;
        if (n)
            if (Status st = m_up.upload(host, n, buf.get()); !st)
                return st;
        dev = static_cast<const std::uint8_t *>(buf.get());
        m_gpu.weights.push_back(std::move(buf));
        return Status::ok();
    }
    Status floats(const std::vector<float> &v, const float *&dev)
    {
        const std::uint8_t *p = nullptr;
        if (Status st = bytes(v.data(), v.size() * sizeof(float), p); !st)
            return st;
        dev = reinterpret_cast<const float *>(p);
        return Status::ok();
    }
    Status linear(const LinearWeight &w, DevLinear &d)
    {
        d.out = w.out;
        d.in = w.in;
        if (w.dequantize && w.kind != WeightKind::BF16) {
            // wo_a: the reference multiplies the BF16 dequantisation (exact) without act quant.
            std::vector<std::uint16_t> bf(std::size_t(w.out) * w.in);
            std::vector<float> row(std::size_t(w.in));
            for (int r = 0; r < w.out; ++r) {
                decode_weight_row(w, r, row.data());
                for (int c = 0; c < w.in; ++c)
                    bf[std::size_t(r) * w.in + c] = f32_to_bf16(row[std::size_t(c)]);
            }
            d.kind = WeightKind::BF16;
            return bytes(bf.data(), bf.size() * 2, d.data);
        }
        d.kind = w.kind;
        if (Status st = bytes(w.data, data_bytes(w), d.data); !st)
            return st;
        if (scale_bytes(w))
            if (Status st = bytes(w.scale, scale_bytes(w), d.scale); !st)
                return st;
        if (w.kind != WeightKind::FP8)
            return Status::ok();
        // The FP32 tile scales of the cuBLASLt prefill GEMM (BLK128x128_32F), once per weight.
        return floats(Fp8LtGemm::expand_scales(w.scale, w.out, w.in), d.scale_f32);
    }
    Status hc(const HcWeights &w, DevHc &d)
    {
        if (Status st = floats(w.fn, d.fn); !st)
            return st;
        if (Status st = floats(w.base, d.base); !st)
            return st;
        return floats(w.scale, d.scale);
    }
    Status compressor(const CompressorWeights &w, DevCompressor &d)
    {
        d.ratio = w.compress_ratio;
        d.head_dim = w.head_dim;
        d.overlap = w.overlap;
        d.rotate = w.rotate;
        if (Status st = linear(w.wkv, d.wkv); !st)
            return st;
        if (Status st = linear(w.wgate, d.wgate); !st)
            return st;
        if (Status st = floats(w.ape, d.ape); !st)
            return st;
        return floats(w.norm, d.norm);
    }
    std::uint64_t uploaded() const { return m_up.bytes_uploaded(); }

private:
    Gpu &m_gpu;
    StagedUploader m_up;
};

ExpertLayout expert_layout(const ExpertWeights &e)
{
    ExpertLayout l;
    const LinearWeight *w[3] = {&e.w1, &e.w2, &e.w3};
    for (int j = 0; j < 3; ++j) {
        l.w_data[j] = l.bytes;
        l.bytes = align_up(l.bytes + data_bytes(*w[j]));
        l.w_scale[j] = l.bytes;
        l.bytes = align_up(l.bytes + scale_bytes(*w[j]));
    }
    return l;
}

// Copies every routed expert of a block into its packed form, expert e at dst + e * l.bytes (host
// memory: the staging of the resident array, or the pinned copies behind the expert cache).
void pack_experts(const MoeWeights &f, const ExpertLayout &l, std::uint8_t *dst)
{
    for (std::size_t e = 0; e < f.experts.size(); ++e) {
        const ExpertWeights &x = f.experts[e];
        const LinearWeight *w[3] = {&x.w1, &x.w2, &x.w3};
        std::uint8_t *at = dst + e * l.bytes;
        for (int j = 0; j < 3; ++j) {
            std::memcpy(at + l.w_data[j], w[j]->data, data_bytes(*w[j]));
            if (scale_bytes(*w[j]))
                std::memcpy(at + l.w_scale[j], w[j]->scale, scale_bytes(*w[j]));
        }
    }
}

Status load_block(const ModelWeights &mw, const BlockWeights &bw, Loader &ld, Gpu &gpu,
                  const ExpertLayout &layout, bool experts_resident, DevBlock &d)
{
    const ModelConfig &cfg = mw.cfg;
    d.host = &bw;
    d.rope = bw.rope == &mw.rope_compressed ? gpu.rope_compressed : gpu.rope_window;
    Status st = ld.floats(bw.attn_norm, d.attn_norm);
    if (st)
        st = ld.floats(bw.ffn_norm, d.ffn_norm);
    if (st)
        st = ld.hc(bw.hc_attn, d.hc_attn);
    if (st)
        st = ld.hc(bw.hc_ffn, d.hc_ffn);
    const AttentionWeights &a = bw.attn;
    if (st)
        st = ld.floats(a.attn_sink, d.attn_sink);
    if (st)
        st = ld.floats(a.q_norm, d.q_norm);
    if (st)
        st = ld.floats(a.kv_norm, d.kv_norm);
    if (st)
        st = ld.linear(a.wq_a, d.wq_a);
    if (st)
        st = ld.linear(a.wq_b, d.wq_b);
    if (st)
        st = ld.linear(a.wkv, d.wkv);
    if (st)
        st = ld.linear(a.wo_a, d.wo_a);
    if (st)
        st = ld.linear(a.wo_b, d.wo_b);
    if (st && a.compressor) {
        d.has_compressor = true;
        st = ld.compressor(*a.compressor, d.compressor);
    }
    if (st && a.indexer) {
        d.has_indexer = true;
        st = ld.linear(a.indexer->wq_b, d.index_wq_b);
        if (st)
            st = ld.linear(a.indexer->weights_proj, d.index_weights_proj);
        if (st)
            st = ld.compressor(a.indexer->compressor, d.index_compressor);
    }
    const MoeWeights &f = bw.ffn;
    if (st)
        st = ld.linear(f.gate, d.gate);
    if (st && !f.bias.empty())
        st = ld.floats(f.bias, d.bias);
    if (st && bw.hash && f.tid2eid) {
        const std::uint8_t *p = nullptr;
        st = ld.bytes(f.tid2eid,
                      std::size_t(cfg.vocab_size) * std::size_t(cfg.n_activated_experts) * 8, p);
        d.tid2eid = reinterpret_cast<const long long *>(p);
    }
    const LinearWeight *sh[3] = {&f.shared.w1, &f.shared.w2, &f.shared.w3};
    for (int j = 0; j < 3 && st; ++j)
        st = ld.linear(*sh[j], d.shared[j]);
    if (!st || !experts_resident || f.experts.empty())
        return st;
    // Resident routed experts: one packed array per block, staged through host memory, and the
    // table of the experts' device addresses the MoE kernels index.
    std::vector<std::uint8_t> packed(layout.bytes * f.experts.size());
    pack_experts(f, layout, packed.data());
    if (st = ld.bytes(packed.data(), packed.size(), d.experts); !st)
        return st;
    std::vector<const std::uint8_t *> table(f.experts.size());
    for (std::size_t e = 0; e < table.size(); ++e)
        table[e] = d.experts + e * layout.bytes;
    const std::uint8_t *dt = nullptr;
    st = ld.bytes(table.data(), table.size() * sizeof(table[0]), dt);
    d.expert_table = reinterpret_cast<const std::uint8_t *const *>(dt);
    return st;
}

// load_block for block `index` (a main layer, or n_layers + i for MTP block i) on GPU `g`, with
// its expert-cache key base and, with offloaded experts, its pinned host copies.
Status load_block_on(CudaModel &model, int index, const BlockWeights &bw, Loader &ld, int g,
                     bool experts_resident)
{
    const ModelWeights &mw = *model.weights;
    const int E = mw.cfg.n_routed_experts;
    DevBlock &d = model.blocks[std::size_t(index)];
    d.gpu = g;
    d.layer_key = index * E;
    if (Status st = load_block(mw, bw, ld, *model.gpus[std::size_t(g)], model.expert_layout,
                               experts_resident, d);
        !st)
        return st;
    if (!experts_resident && !bw.ffn.experts.empty())
        d.host_experts = model.host_experts.get()
                         + std::size_t(index) * model.expert_layout.bytes * std::size_t(E);
    return Status::ok();
}

Result<std::shared_ptr<const DeviceModel>> load_model(
    const std::shared_ptr<const ModelWeights> &weights, const BackendChoice &choice)
{
    const ModelWeights &mw = *weights;
    const ModelConfig &cfg = mw.cfg;
    auto model = std::make_shared<CudaModel>();
    model->weights = weights;
    // The op-by-op reference mode: read once per model, so a test can load one model each way.
    const char *exact = std::getenv("FOLIO_CUDA_EXACT_GEMM");
    model->exact_gemm = exact && std::strcmp(exact, "1") == 0;
    model->plan = choice.plan;
    const std::vector<PlanStage> &stages = choice.plan.stages;
    if (stages.empty())
        return Status::error("CUDA plan without stages");
    std::vector<std::unique_ptr<Loader>> loaders;
    for (const PlanStage &s : stages) {
        auto gpu = std::make_unique<Gpu>();
        gpu->device = s.device;
        CUDA_CHECK(cudaSetDevice(s.device));
        CUDA_CHECK(cudaStreamCreateWithFlags(&gpu->stream, cudaStreamNonBlocking));
        CUBLAS_CHECK(cublasCreate(&gpu->cublas));
        CUBLAS_CHECK(cublasSetStream(gpu->cublas, gpu->stream));
        gpu->lt = std::make_unique<Fp8LtGemm>();
        if (Status st = gpu->lt->init(); !st)
            return st;
        auto ld = std::make_unique<Loader>(*gpu);
        if (Status st = ld->init(); !st)
            return st;
        if (Status st = ld->floats(mw.rope_window.freqs, gpu->rope_window); !st)
            return st;
        if (!mw.rope_compressed.freqs.empty())
            if (Status st = ld->floats(mw.rope_compressed.freqs, gpu->rope_compressed); !st)
                return st;
        loaders.push_back(std::move(ld));
        model->gpus.push_back(std::move(gpu));
    }
    const bool offload = choice.plan.experts_on_host;
    const bool has_experts = !mw.layers.empty() && !mw.layers.front().ffn.experts.empty();
    if (has_experts)
        model->expert_layout = expert_layout(mw.layers.front().ffn.experts.front());
    const ExpertLayout &layout = model->expert_layout;
    if (offload && has_experts) {
        // Pinned host copies, so that cache misses copy asynchronously at full PCIe speed.
        const std::size_t per_layer = layout.bytes * std::size_t(cfg.n_routed_experts);
        if (Status st = model->host_experts.ensure(per_layer * std::size_t(cfg.n_layers)); !st)
            return st;
        for (int l = 0; l < cfg.n_layers; ++l)
            pack_experts(mw.layers[std::size_t(l)].ffn, layout,
                         model->host_experts.get() + std::size_t(l) * per_layer);
        for (std::size_t g = 0; g < stages.size(); ++g) {
            Gpu &gpu = *model->gpus[g];
            gpu.cache = std::make_unique<DeviceExpertCache>();
            CUDA_CHECK(cudaSetDevice(gpu.device));
            if (Status st = gpu.cache->init(stages[g].expert_cache_slots, layout.bytes); !st)
                return st;
        }
    }
    const int n_blocks = cfg.n_layers + int(mw.mtp.size());
    model->blocks.resize(std::size_t(n_blocks));
    for (std::size_t g = 0; g < stages.size(); ++g) {
        Gpu &gpu = *model->gpus[g];
        Loader &ld = *loaders[g];
        CUDA_CHECK(cudaSetDevice(gpu.device));
        for (int l = stages[g].first_layer; l < stages[g].end_layer; ++l)
            if (Status st = load_block_on(*model, l, mw.layers[std::size_t(l)], ld, int(g),
                                          !offload);
                !st)
                return Status::error("layer " + std::to_string(l) + ": " + st.message());
        if (stages[g].embed) {
            const std::uint8_t *p = nullptr;
            if (Status st = ld.bytes(mw.embed, std::size_t(cfg.vocab_size) * cfg.dim * 2, p); !st)
                return st;
            model->embed = reinterpret_cast<const std::uint16_t *>(p);
        }
    }
    // Head and MTP blocks on the last GPU (MTP experts stay resident).
    const int last = int(stages.size()) - 1;
    Gpu &lg = *model->gpus[std::size_t(last)];
    Loader &ll = *loaders[std::size_t(last)];
    CUDA_CHECK(cudaSetDevice(lg.device));
    if (Status st = ll.floats(mw.norm, model->norm); !st)
        return st;
    if (Status st = ll.linear(mw.head, model->head); !st)
        return st;
    if (Status st = ll.hc(mw.hc_head, model->hc_head); !st)
        return st;
    model->mtp.resize(mw.mtp.size());
    for (std::size_t i = 0; i < mw.mtp.size(); ++i) {
        const MtpWeights &m = mw.mtp[i];
        CudaModel::Mtp &d = model->mtp[i];
        Status st = load_block_on(*model, cfg.n_layers + int(i), m.block, ll, last, true);
        if (st)
            st = ll.linear(m.e_proj, d.e_proj);
        if (st)
            st = ll.linear(m.h_proj, d.h_proj);
        if (st)
            st = ll.floats(m.enorm, d.enorm);
        if (st)
            st = ll.floats(m.hnorm, d.hnorm);
        if (st)
            st = ll.floats(m.norm, d.norm);
        if (st)
            st = ll.hc(m.hc_head, d.hc_head);
        if (!st)
            return Status::error("MTP block " + std::to_string(i) + ": " + st.message());
    }
    for (auto &gpu : model->gpus) {
        CUDA_CHECK(cudaSetDevice(gpu->device));
        CUDA_CHECK(cudaDeviceSynchronize());
    }
    return std::shared_ptr<const DeviceModel>(std::move(model));
}

} // namespace
} // namespace folio::cuda

namespace folio {

// cuda_backend.h's entry point forwards to the namespace of the CUDA code.
Result<std::shared_ptr<const DeviceModel>> load_cuda_model(
    const std::shared_ptr<const ModelWeights> &weights, const BackendChoice &choice)
{
    return cuda::load_model(weights, choice);
}

} // namespace folio
