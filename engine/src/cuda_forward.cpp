// The CUDA forward pass of a session (DeviceSession, cuda_backend.h): the blocks of
// model/forward.cpp, attention.cpp, compressor.cpp, indexer.cpp and moe.cpp in the same order,
// with the kernels of engine/src/cuda, on the GPU of each block's plan stage.
//
// Device state per block (DevState): one float buffer of rows [head_dim] laid out as
// [window ring (window rows) | this call's KV (kMaxChunk rows) | compressed entries], so that a
// single row-index list addresses every key the attention kernel may read; the indexer keys
// [entries, index_head_dim]; the pending compressor slots as on the host. The host KvState stays
// the complete state in the compact layout: after each block the values the call produced (the
// ring tokens, the new entries and keys with their scales, the pending slots) are copied to a
// pinned staging buffer together with the router's choice, one synchronisation per block, and
// encoded on the host with the codecs of kv_state.h — the device never holds the only copy.
// The router's choice goes to the host anyway: it decides which experts run (and which cache
// slots they need).
#include "cuda/check.cuh"
#include "cuda/ops.h"
#include "cuda_model.h"
#include "model/weights.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace folio::cuda {
namespace {

struct DevState
{
    DeviceBuffer kv;      // [window + kMaxChunk + cap, head_dim] FP32 rows
    std::int64_t cap = 0; // entry rows allocated
    DeviceBuffer keys;    // [key_cap, index_head_dim] FP32 indexer keys
    std::int64_t key_cap = 0;
    DeviceBuffer comp_kv, comp_score, icomp_kv, icomp_score; // [slots, width] FP32
};

// What a block's attention left in the staging buffer for the host state (byte offsets).
struct Pending
{
    int ring_first = 0, ring_rows = 0; // chunk rows [first, first + rows) go to the ring
    std::size_t ring_off = 0, ring_scale_off = 0;
    std::int64_t entry_first = 0;
    int entries = 0;
    std::size_t entry_off = 0, entry_scale_off = 0;
    std::int64_t key_first = 0;
    int keys = 0;
    std::size_t key_off = 0, key_scale_off = 0;
    std::size_t comp_off = 0, icomp_off = 0;
    std::size_t route_off = 0; // ids [m, k] int32 then weights [m, k] FP32
};

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

// Keeps the first `keep` bytes of `buf` while growing it to `bytes`.
Status grow_keep(DeviceBuffer &buf, int device, std::size_t bytes, std::size_t keep,
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

class CudaSession final : public DeviceSession
{
public:
    explicit CudaSession(std::shared_ptr<const CudaModel> model)
        : m_model(std::move(model))
        , m_w(*m_model->weights)
        , m_cfg(m_w.cfg)
    {}

    Status forward(KvState &state, const std::int32_t *tokens, int n, std::vector<float> *all,
                   std::vector<float> &last_logits, std::vector<float> &last_hidden) override;
    void invalidate() override { m_synced = false; }
    std::unique_ptr<DeviceSession> fork() const override
    {
        return std::make_unique<CudaSession>(m_model);
    }

private:
    Gpu &gpu(int i) const { return *m_model->gpus[std::size_t(i)]; }
    Status upload_state(const KvState &state);
    Status upload_layer(const DevBlock &d, const LayerState &hs, DevState &ds);
    Status run(KvState &state, const std::int32_t *tokens, int m, std::vector<float> *all,
               std::vector<float> &last_logits, std::vector<float> &last_hidden);
    Status positions(Gpu &g, std::int64_t start, int m);
    // Copies the residual h [count floats] to GPU `target` (its Buf::H) and switches to it.
    Status move_residual(int target, std::size_t count, int &cur, Gpu *&g, float *&h);
    Status block(const DevBlock &d, LayerState &hs, DevState &ds, float *x,
                 const std::int32_t *tokens, int m, std::int64_t start);
    Status attention(const DevBlock &d, LayerState &hs, DevState &ds, const float *x, int m,
                     std::int64_t start, float *out, Pending &pend);
    Status compress(Gpu &g, const DevCompressor &c, const float *rope_freqs, const float *x, int m,
                    std::int64_t start, float *state_kv, float *state_score, float *dst,
                    float *scales, int n_new);
    Status moe(const DevBlock &d, const float *x, const std::int32_t *tokens, int m, float *out,
               LayerState &hs, const Pending &pend);
    Status linear(Gpu &g, const DevLinear &w, const float *x, int m, float *y, bool f32_out);
    Status head(Gpu &g, const float *h, int rows, const DevHc &hc, const float *norm,
                float *logits_host);
    void apply(const Pending &p, LayerState &hs, const std::uint8_t *staging,
               std::int64_t start) const;

    std::shared_ptr<const CudaModel> m_model;
    const ModelWeights &m_w;
    const ModelConfig &m_cfg;
    std::vector<DevState> m_state; // main blocks, then MTP blocks
    bool m_synced = false;
    std::int64_t m_block_start = 0; // start position of the block being run (for apply)
};

Status CudaSession::linear(Gpu &g, const DevLinear &w, const float *x, int m, float *y, bool f32_out)
{
    const bool exact_kind = w.kind == WeightKind::BF16 || w.kind == WeightKind::F32;
    if (f32_out && !exact_kind)
        return Status::error("an FP32 linear with a quantised weight is not supported");
    if (exact_kind) {
        // Prefill shapes go to cuBLAS (FP32 accumulation in its own order, within the NMSE of
        // test_cuda_ops; the FP32 linears' inputs hold BF16 values, so BF16 operands are
        // exact); decode keeps the exact double sums of the CPU backend.
        if (w.kind == WeightKind::BF16 && m >= kCublasMinRows) {
            std::uint16_t *xb = nullptr;
            if (Status st = scratch(g, Buf::LinXb, std::size_t(m) * w.in, xb); !st)
                return st;
            return linear_bf16(g.cublas, x, m, w.in,
                               reinterpret_cast<const std::uint16_t *>(w.data), w.out, xb, y,
                               g.stream, !f32_out);
        }
        return linear_exact(x, m, w.in, w.in, w.data, w.kind == WeightKind::BF16, w.out, w.out,
                            !f32_out, y, g.stream);
    }
    float *work = nullptr;
    if (Status st = scratch(g, Buf::LinWork, std::size_t(m) * w.in + std::size_t(m) * (w.in / 128),
                            work);
        !st)
        return st;
    if (w.kind == WeightKind::FP8)
        return linear_fp8(x, m, w.in, w.data, w.scale, w.out, work, y, g.stream);
    return linear_fp4(x, m, w.in, w.data, w.scale, w.out, work, y, g.stream);
}

Status CudaSession::upload_layer(const DevBlock &d, const LayerState &hs, DevState &ds)
{
    Gpu &g = gpu(d.gpu);
    CUDA_CHECK(cudaSetDevice(g.device));
    const int hd = m_cfg.head_dim, win = m_cfg.window_size;
    const KvEntryCodec codec{hd, m_cfg.rope_head_dim};
    ds.cap = std::max<std::int64_t>(hs.n_entries, 1024);
    const std::size_t rows = std::size_t(win + kMaxChunk + ds.cap);
    if (Status st = ds.kv.ensure(g.device, rows * hd * sizeof(float)); !st)
        return st;
    std::vector<float> buf(std::size_t(win) * hd);
    for (int s = 0; s < win; ++s)
        codec.decode(hs.window.data() + std::size_t(s) * codec.bytes(),
                     buf.data() + std::size_t(s) * hd);
    float *kv = static_cast<float *>(ds.kv.get());
    CUDA_CHECK(cudaMemcpy(kv, buf.data(), buf.size() * sizeof(float), cudaMemcpyHostToDevice));
    if (hs.n_entries > 0) {
        buf.assign(std::size_t(hs.n_entries) * hd, 0.0f);
        for (std::int64_t e = 0; e < hs.n_entries; ++e)
            codec.decode(hs.compressed.data() + std::size_t(e) * codec.bytes(),
                         buf.data() + std::size_t(e) * hd);
        CUDA_CHECK(cudaMemcpy(kv + std::size_t(win + kMaxChunk) * hd, buf.data(),
                              buf.size() * sizeof(float), cudaMemcpyHostToDevice));
    }
    if (d.has_indexer) {
        const int id = m_cfg.index_head_dim;
        const IndexKeyCodec kc{id};
        const std::int64_t n_keys = std::int64_t(hs.index_keys.size() / kc.bytes());
        ds.key_cap = std::max<std::int64_t>(n_keys, 1024);
        if (Status st = ds.keys.ensure(g.device, std::size_t(ds.key_cap) * id * sizeof(float)); !st)
            return st;
        if (n_keys > 0) {
            buf.assign(std::size_t(n_keys) * id, 0.0f);
            for (std::int64_t t = 0; t < n_keys; ++t)
                kc.decode(hs.index_keys.data() + std::size_t(t) * kc.bytes(),
                          buf.data() + std::size_t(t) * id);
            CUDA_CHECK(cudaMemcpy(ds.keys.get(), buf.data(), buf.size() * sizeof(float),
                                  cudaMemcpyHostToDevice));
        }
    }
    auto slots = [&](const CompressorState &cs, DeviceBuffer &dk, DeviceBuffer &dsc) -> Status {
        const std::size_t bytes = cs.kv.size() * sizeof(float);
        if (bytes == 0)
            return Status::ok();
        if (Status st = dk.ensure(g.device, bytes); !st)
            return st;
        if (Status st = dsc.ensure(g.device, bytes); !st)
            return st;
        CUDA_CHECK(cudaMemcpy(dk.get(), cs.kv.data(), bytes, cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaMemcpy(dsc.get(), cs.score.data(), bytes, cudaMemcpyHostToDevice));
        return Status::ok();
    };
    if (Status st = slots(hs.compressor, ds.comp_kv, ds.comp_score); !st)
        return st;
    if (Status st = slots(hs.index_compressor, ds.icomp_kv, ds.icomp_score); !st)
        return st;
    // cudaMemcpy from pageable memory may return before its DMA lands, and the layer's kernels
    // run on a non-blocking stream: wait here.
    CUDA_CHECK(cudaDeviceSynchronize());
    return Status::ok();
}

Status CudaSession::upload_state(const KvState &state)
{
    m_state.clear();
    m_state.resize(m_model->blocks.size());
    for (int l = 0; l < m_cfg.n_layers; ++l)
        if (Status st = upload_layer(m_model->blocks[std::size_t(l)], state.layers[std::size_t(l)],
                                     m_state[std::size_t(l)]);
            !st)
            return st;
    for (std::size_t i = 0; i < state.mtp.size() && i < m_model->mtp.size(); ++i)
        if (Status st = upload_layer(m_model->blocks[std::size_t(m_cfg.n_layers) + i], state.mtp[i],
                                     m_state[std::size_t(m_cfg.n_layers) + i]);
            !st)
            return st;
    return Status::ok();
}

Status CudaSession::positions(Gpu &g, std::int64_t start, int m)
{
    std::vector<std::int64_t> tok(static_cast<std::size_t>(m)), q(std::size_t(m) * m_cfg.n_heads),
        iq(std::size_t(m) * std::max(1, m_cfg.index_n_heads));
    for (int i = 0; i < m; ++i) {
        tok[std::size_t(i)] = start + i;
        for (int h = 0; h < m_cfg.n_heads; ++h)
            q[std::size_t(i) * m_cfg.n_heads + h] = start + i;
        for (int h = 0; h < m_cfg.index_n_heads; ++h)
            iq[std::size_t(i) * m_cfg.index_n_heads + h] = start + i;
    }
    std::int64_t *p = nullptr;
    if (Status st = upload(g, Buf::PosTok, tok, p); !st)
        return st;
    if (Status st = upload(g, Buf::PosQ, q, p); !st)
        return st;
    return upload(g, Buf::PosIq, iq, p);
}

Status CudaSession::compress(Gpu &g, const DevCompressor &c, const float *rope_freqs,
                             const float *x, int m, std::int64_t start, float *state_kv,
                             float *state_score, float *dst, float *scales, int n_new)
{
    const int width = (c.overlap ? 2 : 1) * c.head_dim, rd = m_cfg.rope_head_dim;
    float *ckv = nullptr, *cscore = nullptr;
    if (Status st = scratch(g, Buf::CKv, std::size_t(m) * width, ckv); !st)
        return st;
    if (Status st = scratch(g, Buf::CScore, std::size_t(m) * width, cscore); !st)
        return st;
    // kv, score: [m, width] FP32 linears of the attention input.
    if (Status st = linear(g, c.wkv, x, m, ckv, true); !st)
        return st;
    if (Status st = linear(g, c.wgate, x, m, cscore, true); !st)
        return st;
    if (Status st = compressor_pool(ckv, cscore, c.ape, m, start, c.ratio, c.head_dim, c.overlap,
                                    state_kv, state_score, dst, g.stream);
        !st)
        return st;
    if (n_new == 0)
        return Status::ok();
    // Entry e (number start/ratio + e) is RoPE'd at its window's first position.
    std::vector<std::int64_t> pos(static_cast<std::size_t>(n_new));
    const std::int64_t first = start / c.ratio;
    for (int e = 0; e < n_new; ++e)
        pos[std::size_t(e)] = (first + e) * c.ratio;
    std::int64_t *dpos = nullptr;
    if (Status st = upload(g, Buf::PosEntry, pos, dpos); !st)
        return st;
    const float eps = float(m_cfg.norm_eps);
    if (Status st = rms_norm(dst, n_new, c.head_dim, c.norm, eps, dst, g.stream); !st)
        return st;
    if (Status st = rope(dst, n_new, c.head_dim, c.head_dim - rd, rd, dpos, rope_freqs, false,
                         g.stream);
        !st)
        return st;
    if (c.rotate) {
        if (Status st = hadamard(dst, n_new, c.head_dim, g.stream); !st)
            return st;
        return quant_simulate(dst, n_new, c.head_dim, 0, c.head_dim, 32, true, scales, g.stream);
    }
    return quant_simulate(dst, n_new, c.head_dim, 0, c.head_dim - rd, 64, false, scales, g.stream);
}

Status CudaSession::attention(const DevBlock &d, LayerState &hs, DevState &ds, const float *x,
                              int m, std::int64_t start, float *out, Pending &pend)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const ModelConfig &cfg = m_cfg;
    const int H = cfg.n_heads, hd = cfg.head_dim, rd = cfg.rope_head_dim, win = cfg.window_size;
    const int ratio = d.host->compress_ratio;
    const float eps = float(cfg.norm_eps);
    const bool prefill_mode = start == 0;
    const KvEntryCodec codec{hd, rd};
    const int nblk = codec.n_scales();
    const std::int64_t end = start + m;
    const int n_new = ratio ? int(end / ratio - start / ratio) : 0;
    const std::int64_t entries_before = hs.n_entries;
    const std::int64_t entries_after = entries_before + n_new;
    const std::int64_t base_row = win + kMaxChunk; // row of entry 0

    // Room for this call's entries (keeping the ring and the existing entries).
    if (entries_after > ds.cap) {
        const std::int64_t cap = std::max(entries_after, 2 * ds.cap);
        if (Status st = grow_keep(ds.kv, g.device, std::size_t(base_row + cap) * hd * sizeof(float),
                                  std::size_t(base_row + entries_before) * hd * sizeof(float), s);
            !st)
            return st;
        ds.cap = cap;
    }
    float *kvbuf = static_cast<float *>(ds.kv.get());
    float *kv = kvbuf + std::size_t(win) * hd; // this call's rows
    std::int64_t *pos_tok = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosTok)].get());
    std::int64_t *pos_q = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosQ)].get());
    std::int64_t *pos_iq = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosIq)].get());

    // Query path: qr [m, q_lora_rank] BF16, q [m, H, hd] BF16.
    float *qr = nullptr, *q = nullptr, *kv_scales = nullptr;
    Status st = scratch(g, Buf::Qr, std::size_t(m) * cfg.q_lora_rank, qr);
    if (st)
        st = scratch(g, Buf::Q, std::size_t(m) * H * hd, q);
    if (st)
        st = scratch(g, Buf::KvScales, std::size_t(m) * nblk, kv_scales);
    if (st)
        st = linear(g, d.wq_a, x, m, qr, false);
    if (st)
        st = rms_norm(qr, m, cfg.q_lora_rank, d.q_norm, eps, qr, s);
    if (st)
        st = linear(g, d.wq_b, qr, m, q, false);
    if (st)
        st = head_norm(q, std::int64_t(m) * H, hd, eps, s);
    if (st)
        st = rope(q, m * H, hd, hd - rd, rd, pos_q, d.rope, false, s);
    // KV path: kv [m, hd] BF16 with the nope dims FP8-simulated in blocks of 64.
    if (st)
        st = linear(g, d.wkv, x, m, kv, false);
    if (st)
        st = rms_norm(kv, m, hd, d.kv_norm, eps, kv, s);
    if (st)
        st = rope(kv, m, hd, hd - rd, rd, pos_tok, d.rope, false, s);
    if (st)
        st = quant_simulate(kv, m, hd, 0, hd - rd, 64, false, kv_scales, s);
    if (!st)
        return st;

    // Indexer (before the main compressor, as the reference): its keys, scores and picks.
    int kmax = 0;
    int *picks = nullptr, *visible = nullptr, *width = nullptr;
    std::vector<int> vis(static_cast<std::size_t>(m)), wid(static_cast<std::size_t>(m));
    float *key_scales = nullptr;
    const std::int64_t keys_before = d.has_indexer
                                         ? std::int64_t(hs.index_keys.size()
                                                        / IndexKeyCodec{cfg.index_head_dim}.bytes())
                                         : 0;
    if (d.has_indexer) {
        const int ih = cfg.index_n_heads, id = cfg.index_head_dim;
        const std::int64_t keys_after = keys_before + n_new;
        if (keys_after > ds.key_cap) {
            const std::int64_t cap = std::max(keys_after, 2 * ds.key_cap);
            if (Status gs = grow_keep(ds.keys, g.device, std::size_t(cap) * id * sizeof(float),
                                      std::size_t(keys_before) * id * sizeof(float), s);
                !gs)
                return gs;
            ds.key_cap = cap;
        }
        float *keys = static_cast<float *>(ds.keys.get());
        float *iq = nullptr, *hw = nullptr, *scores = nullptr;
        st = scratch(g, Buf::Iq, std::size_t(m) * ih * id, iq);
        if (st)
            st = scratch(g, Buf::Hw, std::size_t(m) * ih, hw);
        if (st)
            st = scratch(g, Buf::KeyScales, std::size_t(std::max(n_new, 1)) * (id / 32), key_scales);
        // q: [m, ih, id] -> RoPE -> Hadamard -> FP4 simulation (block 32).
        if (st)
            st = linear(g, d.index_wq_b, qr, m, iq, false);
        if (st)
            st = rope(iq, m * ih, id, id - rd, rd, pos_iq, d.rope, false, s);
        if (st)
            st = hadamard(iq, std::int64_t(m) * ih, id, s);
        if (st)
            st = quant_simulate(iq, std::int64_t(m) * ih, id, 0, id, 32, true, nullptr, s);
        if (st)
            st = compress(g, d.index_compressor, d.rope, x, m, start,
                          static_cast<float *>(ds.icomp_kv.get()),
                          static_cast<float *>(ds.icomp_score.get()),
                          keys + std::size_t(keys_before) * id, key_scales, n_new);
        if (st)
            st = linear(g, d.index_weights_proj, x, m, hw, false);
        if (st)
            st = scale_round(hw, std::int64_t(m) * ih,
                             float(std::pow(double(id), -0.5) * std::pow(double(ih), -0.5)), s);
        if (!st)
            return st;
        for (int i = 0; i < m; ++i) {
            const int v = int((start + i + 1) / 4);
            vis[std::size_t(i)] = v;
            wid[std::size_t(i)] = prefill_mode
                                      ? int(std::min<std::int64_t>(cfg.index_topk, end / 4))
                                      : std::min(cfg.index_topk, v);
            kmax = std::max(kmax, wid[std::size_t(i)]);
        }
        const int n_keys_total = int(keys_after);
        st = upload(g, Buf::Visible, vis, visible);
        if (st)
            st = upload(g, Buf::Width, wid, width);
        if (st)
            st = scratch(g, Buf::Scores, std::size_t(m) * std::max(n_keys_total, 1), scores);
        if (st)
            st = scratch(g, Buf::Picks, std::size_t(m) * std::max(kmax, 1), picks);
        if (st && kmax > 0)
            st = indexer_scores(iq, hw, m, ih, id, keys, n_keys_total, visible, scores, s);
        if (st && kmax > 0)
            st = topk(scores, m, n_keys_total, kmax, picks, s);
        if (!st)
            return st;
        pend.key_first = keys_before;
        pend.keys = n_new;
    }

    // Main compressor: the new entries go straight to their rows.
    float *entry_scales = nullptr;
    if (d.has_compressor) {
        st = scratch(g, Buf::EntryScales, std::size_t(std::max(n_new, 1)) * nblk, entry_scales);
        if (st)
            st = compress(g, d.compressor, d.rope, x, m, start,
                          static_cast<float *>(ds.comp_kv.get()),
                          static_cast<float *>(ds.comp_score.get()),
                          kvbuf + std::size_t(base_row + entries_before) * hd, entry_scales, n_new);
        if (!st)
            return st;
        pend.entry_first = entries_before;
        pend.entries = n_new;
    }

    // Key lists: [window part][compressed part], -1 = no key (trailing -1 change nothing).
    const int wq = prefill_mode ? std::min(m, win) : win;
    const int comp_width = ratio == 0 ? 0 : (d.has_indexer ? kmax : int(end / ratio));
    const int n_keys = wq + comp_width;
    std::vector<int> idx(std::size_t(m) * n_keys, -1);
    for (int i = 0; i < m; ++i) {
        const std::int64_t p = start + i;
        const std::int64_t first = std::max<std::int64_t>(0, p - win + 1);
        int *row = idx.data() + std::size_t(i) * n_keys;
        for (int j = 0; j < wq; ++j) {
            const std::int64_t at = first + j;
            if (at > p)
                row[j] = -1;
            else if (at >= start)
                row[j] = int(win + (at - start));
            else
                row[j] = int(at % win);
        }
        if (ratio && !d.has_indexer) {
            const std::int64_t vis_e = (p + 1) / ratio;
            for (int e = 0; e < comp_width; ++e)
                row[wq + e] = e < vis_e ? int(base_row + e) : -1;
        }
    }
    int *didx = nullptr;
    st = upload(g, Buf::Idx, idx, didx);
    if (st && d.has_indexer && kmax > 0)
        st = picks_to_idx(picks, m, kmax, visible, width, int(base_row), didx, n_keys, wq, s);
    float *o = nullptr, *z = nullptr;
    if (st)
        st = scratch(g, Buf::O, std::size_t(m) * H * hd, o);
    if (st)
        st = sparse_attention(q, m, H, hd, kvbuf, didx, n_keys, d.attn_sink,
                              float(std::pow(double(hd), -0.5)), o, s);
    // De-rotate the value's rope part at the query position.
    if (st)
        st = rope(o, m * H, hd, hd - rd, rd, pos_q, d.rope, true, s);
    if (!st)
        return st;

    // The ring keeps the last `win` tokens (slot p % win): at most two contiguous runs.
    const int i0 = std::max(0, m - win);
    for (int i = i0; i < m;) {
        const int slot = int((start + i) % win);
        const int run = std::min(m - i, win - slot);
        CUDA_CHECK(cudaMemcpyAsync(kvbuf + std::size_t(slot) * hd, kv + std::size_t(i) * hd,
                                   std::size_t(run) * hd * sizeof(float), cudaMemcpyDeviceToDevice,
                                   s));
        i += run;
    }
    pend.ring_first = i0;
    pend.ring_rows = m - i0;

    // Output projections: z [m, o_groups * o_lora_rank] (grouped einsum), out [m, dim].
    const int groups = cfg.o_groups, rank = cfg.o_lora_rank, gin = H * hd / groups;
    st = scratch(g, Buf::Z, std::size_t(m) * groups * rank, z);
    if (st && m >= kCublasMinRows && d.wo_a.kind == WeightKind::BF16) {
        std::uint16_t *xb = nullptr;
        st = scratch(g, Buf::LinXb, std::size_t(m) * H * hd, xb);
        if (st)
            st = linear_bf16_grouped(g.cublas, o, m, groups, gin,
                                     reinterpret_cast<const std::uint16_t *>(d.wo_a.data), rank, xb,
                                     z, s);
    } else if (st) {
        st = linear_exact(o, m, gin, H * hd, d.wo_a.data, d.wo_a.kind == WeightKind::BF16,
                          groups * rank, rank, true, z, s);
    }
    if (st)
        st = linear(g, d.wo_b, z, m, out, false);
    if (!st)
        return st;

    // Stage the state update for the host (copied with the router's choice, one sync).
    const int id = cfg.index_head_dim;
    std::size_t off = 0;
    auto take = [&](std::size_t bytes) {
        const std::size_t at = off;
        off = (off + bytes + 255) / 256 * 256;
        return at;
    };
    pend.ring_off = take(std::size_t(pend.ring_rows) * hd * 4);
    pend.ring_scale_off = take(std::size_t(pend.ring_rows) * nblk * 4);
    pend.entry_off = take(std::size_t(pend.entries) * hd * 4);
    pend.entry_scale_off = take(std::size_t(pend.entries) * nblk * 4);
    pend.key_off = take(std::size_t(pend.keys) * id * 4);
    pend.key_scale_off = take(std::size_t(pend.keys) * (id / 32) * 4);
    pend.comp_off = take(hs.compressor.kv.size() * 2 * 4);
    pend.icomp_off = take(hs.index_compressor.kv.size() * 2 * 4);
    pend.route_off = take(std::size_t(m) * cfg.n_activated_experts * 8);
    if (Status ps = g.staging.ensure(off); !ps)
        return ps;
    std::uint8_t *stg = g.staging.get();
    auto d2h = [&](std::size_t at, const void *src, std::size_t bytes) -> Status {
        if (bytes)
            CUDA_CHECK(cudaMemcpyAsync(stg + at, src, bytes, cudaMemcpyDeviceToHost, s));
        return Status::ok();
    };
    st = d2h(pend.ring_off, kv + std::size_t(i0) * hd, std::size_t(pend.ring_rows) * hd * 4);
    if (st)
        st = d2h(pend.ring_scale_off, kv_scales + std::size_t(i0) * nblk,
                 std::size_t(pend.ring_rows) * nblk * 4);
    if (st)
        st = d2h(pend.entry_off, kvbuf + std::size_t(base_row + entries_before) * hd,
                 std::size_t(pend.entries) * hd * 4);
    if (st)
        st = d2h(pend.entry_scale_off, entry_scales, std::size_t(pend.entries) * nblk * 4);
    if (st && pend.keys)
        st = d2h(pend.key_off, static_cast<float *>(ds.keys.get()) + std::size_t(keys_before) * id,
                 std::size_t(pend.keys) * id * 4);
    if (st)
        st = d2h(pend.key_scale_off, key_scales, std::size_t(pend.keys) * (id / 32) * 4);
    const std::size_t cbytes = hs.compressor.kv.size() * 4;
    if (st && cbytes) {
        st = d2h(pend.comp_off, ds.comp_kv.get(), cbytes);
        if (st)
            st = d2h(pend.comp_off + cbytes, ds.comp_score.get(), cbytes);
    }
    const std::size_t ibytes = hs.index_compressor.kv.size() * 4;
    if (st && ibytes) {
        st = d2h(pend.icomp_off, ds.icomp_kv.get(), ibytes);
        if (st)
            st = d2h(pend.icomp_off + ibytes, ds.icomp_score.get(), ibytes);
    }
    return st;
}

void CudaSession::apply(const Pending &p, LayerState &hs, const std::uint8_t *stg,
                        std::int64_t start) const
{
    const int hd = m_cfg.head_dim, id = m_cfg.index_head_dim;
    const KvEntryCodec codec{hd, m_cfg.rope_head_dim};
    const int nblk = codec.n_scales();
    auto floats = [&](std::size_t off) { return reinterpret_cast<const float *>(stg + off); };
    for (int r = 0; r < p.ring_rows; ++r) {
        const std::int64_t pos = start + p.ring_first + r; // chunk row -> absolute position
        codec.encode(floats(p.ring_off) + std::size_t(r) * hd,
                     floats(p.ring_scale_off) + std::size_t(r) * nblk,
                     hs.window.data() + std::size_t(pos % m_cfg.window_size) * codec.bytes());
    }
    if (p.entries) {
        hs.compressed.resize(std::size_t(p.entry_first + p.entries) * codec.bytes());
        for (int e = 0; e < p.entries; ++e)
            codec.encode(floats(p.entry_off) + std::size_t(e) * hd,
                         floats(p.entry_scale_off) + std::size_t(e) * nblk,
                         hs.compressed.data() + std::size_t(p.entry_first + e) * codec.bytes());
        hs.n_entries = p.entry_first + p.entries;
    }
    if (p.keys) {
        const IndexKeyCodec kc{id};
        hs.index_keys.resize(std::size_t(p.key_first + p.keys) * kc.bytes());
        for (int e = 0; e < p.keys; ++e)
            kc.encode(floats(p.key_off) + std::size_t(e) * id,
                      floats(p.key_scale_off) + std::size_t(e) * (id / 32),
                      hs.index_keys.data() + std::size_t(p.key_first + e) * kc.bytes());
    }
    auto slots = [&](CompressorState &cs, std::size_t off) {
        const std::size_t n = cs.kv.size();
        std::memcpy(cs.kv.data(), stg + off, n * 4);
        std::memcpy(cs.score.data(), stg + off + n * 4, n * 4);
    };
    if (!hs.compressor.kv.empty())
        slots(hs.compressor, p.comp_off);
    if (!hs.index_compressor.kv.empty())
        slots(hs.index_compressor, p.icomp_off);
}

Status CudaSession::moe(const DevBlock &d, const float *x, const std::int32_t *tokens, int m,
                        float *out, LayerState &hs, const Pending &pend)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const ModelConfig &cfg = m_cfg;
    const int E = cfg.n_routed_experts, k = cfg.n_activated_experts, dim = cfg.dim;
    const int inter = cfg.moe_inter_dim;
    float *logits = nullptr, *gw = nullptr;
    int *ids = nullptr;
    // Router: logits [m, E] FP32, ids / weights [m, k].
    Status st = scratch(g, Buf::RLogits, std::size_t(m) * E, logits);
    if (st)
        st = scratch(g, Buf::Ids, std::size_t(m) * k, ids);
    if (st)
        st = scratch(g, Buf::Gw, std::size_t(m) * k, gw);
    if (st)
        st = linear(g, d.gate, x, m, logits, true);
    if (st)
        st = router(logits, m, E, k, d.bias, d.host->hash ? d.tid2eid : nullptr, tokens,
                    float(cfg.route_scale), ids, gw, s);
    if (!st)
        return st;
    std::uint8_t *stg = g.staging.get();
    const std::size_t nk = std::size_t(m) * k;
    CUDA_CHECK(cudaMemcpyAsync(stg + pend.route_off, ids, nk * 4, cudaMemcpyDeviceToHost, s));
    CUDA_CHECK(
        cudaMemcpyAsync(stg + pend.route_off + nk * 4, gw, nk * 4, cudaMemcpyDeviceToHost, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
    apply(pend, hs, stg, m_block_start);
    std::vector<int> hid(nk);
    std::vector<float> hw(nk);
    std::memcpy(hid.data(), stg + pend.route_off, nk * 4);
    std::memcpy(hw.data(), stg + pend.route_off + nk * 4, nk * 4);

    // Tokens per expert in expert-id order (the CPU's summation order), concatenated.
    std::vector<int> rows, first(std::size_t(E) + 1, 0);
    std::vector<float> we;
    rows.reserve(nk);
    we.reserve(nk);
    for (int e = 0; e < E; ++e) {
        first[std::size_t(e)] = int(rows.size());
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < k; ++j)
                if (hid[std::size_t(i) * k + j] == e) {
                    rows.push_back(i);
                    we.push_back(hw[std::size_t(i) * k + j]);
                }
    }
    first[std::size_t(E)] = int(rows.size());
    for (int v : hid)
        if (v < 0 || v >= E)
            return Status::error("router chose expert " + std::to_string(v) + " of "
                                 + std::to_string(E));
    int *drows = nullptr;
    float *dwe = nullptr, *xe = nullptr, *gate = nullptr, *up = nullptr, *oe = nullptr,
          *yacc = nullptr, *shared = nullptr;
    st = upload(g, Buf::Rows, rows, drows);
    if (st)
        st = upload(g, Buf::We, we, dwe);
    if (st)
        st = scratch(g, Buf::Xe, std::size_t(m) * dim, xe);
    if (st)
        st = scratch(g, Buf::Gate, std::size_t(m) * inter, gate);
    if (st)
        st = scratch(g, Buf::Up, std::size_t(m) * inter, up);
    if (st)
        st = scratch(g, Buf::Oe, std::size_t(m) * dim, oe);
    if (st)
        st = scratch(g, Buf::YAcc, std::size_t(m) * dim, yacc);
    if (st)
        st = scratch(g, Buf::Shared, std::size_t(m) * dim, shared);
    if (!st)
        return st;
    CUDA_CHECK(cudaMemsetAsync(yacc, 0, std::size_t(m) * dim * sizeof(float), s));
    const float limit = float(cfg.swiglu_limit);
    const ExpertLayout &lay = m_model->expert_layout;
    for (int e = 0; e < E; ++e) {
        const int r0 = first[std::size_t(e)], me = first[std::size_t(e) + 1] - r0;
        if (me == 0)
            continue;
        // The expert's packed tensors: resident, or fetched into a cache slot (a miss copies
        // on this stream, after the kernels that read the slot's previous expert).
        const std::uint8_t *base = nullptr;
        if (d.experts) {
            base = d.experts + std::size_t(e) * lay.bytes;
        } else if (g.cache && d.host_experts) {
            const void *dev = nullptr;
            if (Status fs = g.cache->fetch(d.layer_key + e,
                                           d.host_experts + std::size_t(e) * lay.bytes, s, &dev);
                !fs)
                return fs;
            base = static_cast<const std::uint8_t *>(dev);
        } else {
            return Status::error("expert " + std::to_string(e) + " has no device copy");
        }
        const ExpertWeights &hx = d.host->ffn.experts[std::size_t(e)];
        const LinearWeight *hwts[3] = {&hx.w1, &hx.w2, &hx.w3};
        DevLinear w[3];
        for (int j = 0; j < 3; ++j) {
            w[j].kind = hwts[j]->kind;
            w[j].out = hwts[j]->out;
            w[j].in = hwts[j]->in;
            w[j].data = base + lay.w_data[j];
            w[j].scale = base + lay.w_scale[j];
        }
        st = gather_rows(x, drows + r0, me, dim, xe, s);
        if (st)
            st = linear(g, w[0], xe, me, gate, false);
        if (st)
            st = linear(g, w[2], xe, me, up, false);
        if (st)
            st = swiglu(gate, up, me, inter, limit, dwe + r0, s);
        if (st)
            st = linear(g, w[1], gate, me, oe, false);
        if (st)
            st = scatter_add_rows(yacc, drows + r0, me, dim, oe, s);
        if (!st)
            return st;
    }
    // Shared expert (no gate weight), then out = bf16(routed sum + shared).
    st = linear(g, d.shared[0], x, m, gate, false);
    if (st)
        st = linear(g, d.shared[2], x, m, up, false);
    if (st)
        st = swiglu(gate, up, m, inter, limit, nullptr, s);
    if (st)
        st = linear(g, d.shared[1], gate, m, shared, false);
    if (st)
        st = add_round(yacc, shared, m, dim, 1, out, s);
    return st;
}

Status CudaSession::block(const DevBlock &d, LayerState &hs, DevState &ds, float *x,
                          const std::int32_t *tokens, int m, std::int64_t start)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const int hc = m_cfg.hc_mult, dim = m_cfg.dim;
    const float eps = float(m_cfg.norm_eps), hc_eps = float(m_cfg.hc_eps);
    float *residual = nullptr, *y = nullptr, *sub = nullptr, *post = nullptr, *comb = nullptr;
    Status st = scratch(g, Buf::Residual, std::size_t(m) * hc * dim, residual);
    if (st)
        st = scratch(g, Buf::Y, std::size_t(m) * dim, y);
    if (st)
        st = scratch(g, Buf::Sub, std::size_t(m) * dim, sub);
    if (st)
        st = scratch(g, Buf::Post, std::size_t(m) * hc, post);
    if (st)
        st = scratch(g, Buf::Comb, std::size_t(m) * hc * hc, comb);
    if (!st)
        return st;
    const std::size_t xbytes = std::size_t(m) * hc * dim * sizeof(float);
    m_block_start = start;
    Pending pend;
    CUDA_CHECK(cudaMemcpyAsync(residual, x, xbytes, cudaMemcpyDeviceToDevice, s));
    st = hc_pre(residual, m, hc, dim, d.hc_attn.fn, d.hc_attn.scale, d.hc_attn.base,
                m_cfg.hc_sinkhorn_iters, hc_eps, eps, y, post, comb, s);
    if (st)
        st = rms_norm(y, m, dim, d.attn_norm, eps, y, s);
    if (st)
        st = attention(d, hs, ds, y, m, start, sub, pend);
    if (st)
        st = hc_post(sub, residual, post, comb, m, hc, dim, x, s);
    if (!st)
        return st;
    CUDA_CHECK(cudaMemcpyAsync(residual, x, xbytes, cudaMemcpyDeviceToDevice, s));
    st = hc_pre(residual, m, hc, dim, d.hc_ffn.fn, d.hc_ffn.scale, d.hc_ffn.base,
                m_cfg.hc_sinkhorn_iters, hc_eps, eps, y, post, comb, s);
    if (st)
        st = rms_norm(y, m, dim, d.ffn_norm, eps, y, s);
    if (st)
        st = moe(d, y, tokens, m, sub, hs, pend);
    if (st)
        st = hc_post(sub, residual, post, comb, m, hc, dim, x, s);
    return st;
}

Status CudaSession::head(Gpu &g, const float *h, int rows, const DevHc &hc, const float *norm,
                         float *logits_host)
{
    const int dim = m_cfg.dim, vocab = m_cfg.vocab_size;
    float *xh = nullptr, *logits = nullptr;
    Status st = scratch(g, Buf::Xh, std::size_t(rows) * dim, xh);
    if (st)
        st = scratch(g, Buf::Logits, std::size_t(rows) * vocab, logits);
    if (st)
        st = hc_head(h, rows, m_cfg.hc_mult, dim, hc.fn, hc.scale, hc.base, float(m_cfg.hc_eps),
                     float(m_cfg.norm_eps), xh, g.stream);
    if (st)
        st = rms_norm(xh, rows, dim, norm, float(m_cfg.norm_eps), xh, g.stream);
    if (st)
        st = linear(g, m_model->head, xh, rows, logits, true);
    if (!st)
        return st;
    CUDA_CHECK(cudaMemcpyAsync(logits_host, logits, std::size_t(rows) * vocab * sizeof(float),
                               cudaMemcpyDeviceToHost, g.stream));
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    return Status::ok();
}

Status CudaSession::move_residual(int target, std::size_t count, int &cur, Gpu *&g, float *&h)
{
    Gpu &next = gpu(target);
    float *h2 = nullptr;
    if (Status st = scratch(next, Buf::H, count, h2); !st) // (makes `next` current)
        return st;
    CUDA_CHECK(cudaSetDevice(g->device));
    CUDA_CHECK(cudaMemcpyPeerAsync(h2, next.device, h, g->device, count * sizeof(float), g->stream));
    CUDA_CHECK(cudaStreamSynchronize(g->stream));
    cur = target;
    g = &next;
    h = h2;
    CUDA_CHECK(cudaSetDevice(g->device));
    return Status::ok();
}

Status CudaSession::run(KvState &state, const std::int32_t *tokens, int m, std::vector<float> *all,
                        std::vector<float> &last_logits, std::vector<float> &last_hidden)
{
    const ModelConfig &cfg = m_cfg;
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const std::size_t row = std::size_t(hc) * dim;
    const std::int64_t start = state.n_tokens;
    const std::vector<std::int32_t> ids(tokens, tokens + m);
    // Per GPU: the token ids and the positions of this call.
    for (std::size_t gi = 0; gi < m_model->gpus.size(); ++gi) {
        Gpu &g = *m_model->gpus[gi];
        CUDA_CHECK(cudaSetDevice(g.device));
        std::int32_t *dt = nullptr;
        if (Status st = upload(g, Buf::Tokens, ids, dt); !st)
            return st;
        if (Status st = positions(g, start, m); !st)
            return st;
    }
    // Embedding, copied into every residual stream: h [m, hc, dim] on the first GPU.
    int cur = 0;
    Gpu *g = &gpu(0);
    CUDA_CHECK(cudaSetDevice(g->device));
    float *h = nullptr, *e = nullptr;
    if (Status st = scratch(*g, Buf::H, std::size_t(m) * row, h); !st)
        return st;
    if (Status st = scratch(*g, Buf::E, std::size_t(m) * dim, e); !st)
        return st;
    const int *dtok = static_cast<const int *>(g->scratch[std::size_t(Buf::Tokens)].get());
    if (Status st = embedding_gather(m_model->embed, cfg.vocab_size, dim, dtok, m, e, g->stream);
        !st)
        return st;
    for (int j = 0; j < hc; ++j)
        CUDA_CHECK(cudaMemcpy2DAsync(h + std::size_t(j) * dim, row * sizeof(float), e,
                                     std::size_t(dim) * sizeof(float),
                                     std::size_t(dim) * sizeof(float), std::size_t(m),
                                     cudaMemcpyDeviceToDevice, g->stream));
    for (int l = 0; l < cfg.n_layers; ++l) {
        const DevBlock &d = m_model->blocks[std::size_t(l)];
        if (d.gpu != cur) // pipeline boundary: the residual moves to the next GPU
            if (Status st = move_residual(d.gpu, m * row, cur, g, h); !st)
                return st;
        const std::int32_t *bt = static_cast<const std::int32_t *>(
            g->scratch[std::size_t(Buf::Tokens)].get());
        if (Status st = block(d, state.layers[std::size_t(l)], m_state[std::size_t(l)], h, bt, m,
                              start);
            !st)
            return Status::error("layer " + std::to_string(l) + ": " + st.message());
    }
    // h now holds the final residual on the last GPU (where the head and the MTP block live).
    const int last = int(m_model->gpus.size()) - 1;
    if (cur != last)
        if (Status st = move_residual(last, m * row, cur, g, h); !st)
            return st;
    const int vocab = cfg.vocab_size;
    if (all) {
        const std::size_t at = all->size();
        all->resize(at + std::size_t(m) * vocab);
        constexpr int kHeadRows = 128;
        for (int r = 0; r < m; r += kHeadRows) {
            const int rows = std::min(kHeadRows, m - r);
            if (Status st = head(*g, h + std::size_t(r) * row, rows, m_model->hc_head,
                                 m_model->norm, all->data() + at + std::size_t(r) * vocab);
                !st)
                return st;
        }
        last_logits.assign(all->end() - vocab, all->end());
    } else {
        last_logits.resize(std::size_t(vocab));
        if (Status st = head(*g, h + std::size_t(m - 1) * row, 1, m_model->hc_head, m_model->norm,
                             last_logits.data());
            !st)
            return st;
    }
    std::vector<float> hidden(row);
    CUDA_CHECK(cudaMemcpyAsync(hidden.data(), h + std::size_t(m - 1) * row, row * sizeof(float),
                               cudaMemcpyDeviceToHost, g->stream));
    CUDA_CHECK(cudaStreamSynchronize(g->stream));

    if (!m_model->mtp.empty()) {
        // MTP inputs for positions start-1 .. start+m-2: (h_q, token q+1), as forward_chunk.
        const bool with_prev = start > 0 && state.mtp_tokens == start - 1 && !last_hidden.empty();
        const int first = with_prev ? 0 : 1;
        const int mm = m - first;
        if (mm > 0) {
            const CudaModel::Mtp &mt = m_model->mtp.front();
            const DevBlock &d = m_model->blocks[std::size_t(cfg.n_layers)];
            float *mh = nullptr, *emb = nullptr, *ep = nullptr, *hn = nullptr, *hp = nullptr;
            Status st = scratch(*g, Buf::Hn, std::size_t(mm) * row, hn);
            if (st)
                st = scratch(*g, Buf::Hp, std::size_t(mm) * row, hp);
            if (st)
                st = scratch(*g, Buf::Ep, std::size_t(mm) * dim, ep);
            if (st)
                st = scratch(*g, Buf::E, std::size_t(mm) * dim, emb);
            if (st)
                st = scratch(*g, Buf::Mh, std::size_t(mm) * row, mh); // the MTP block's x
            if (!st)
                return st;
            if (with_prev)
                CUDA_CHECK(cudaMemcpyAsync(mh, last_hidden.data(), row * sizeof(float),
                                           cudaMemcpyHostToDevice, g->stream));
            if (m > 1)
                CUDA_CHECK(cudaMemcpyAsync(mh + std::size_t(with_prev ? 1 : 0) * row, h,
                                           std::size_t(m - 1) * row * sizeof(float),
                                           cudaMemcpyDeviceToDevice, g->stream));
            // e = e_proj(enorm(embed(next))) [mm, dim] (the embedding from the host table);
            // hp = h_proj(hnorm(h)) [mm, hc, dim]; x = bf16(e + hp).
            std::vector<float> host_e(std::size_t(mm) * dim);
            for (int t = 0; t < mm; ++t)
                embed_token(m_w, tokens[first + t], host_e.data() + std::size_t(t) * dim);
            const float eps = float(cfg.norm_eps);
            CUDA_CHECK(cudaMemcpyAsync(emb, host_e.data(), host_e.size() * sizeof(float),
                                       cudaMemcpyHostToDevice, g->stream));
            st = rms_norm(emb, mm, dim, mt.enorm, eps, emb, g->stream);
            if (st)
                st = linear(*g, mt.e_proj, emb, mm, ep, false);
            if (st)
                st = rms_norm(mh, mm * hc, dim, mt.hnorm, eps, hn, g->stream);
            if (st)
                st = linear(*g, mt.h_proj, hn, mm * hc, hp, false);
            if (st)
                st = add_round(hp, ep, std::int64_t(mm) * hc, dim, hc, mh, g->stream);
            if (!st)
                return st;
            const std::vector<std::int32_t> next(tokens + first, tokens + m);
            std::int32_t *dnext = nullptr;
            if (Status us = upload(*g, Buf::Tokens, next, dnext); !us)
                return us;
            const std::int64_t mstart = state.mtp_tokens;
            if (Status ps = positions(*g, mstart, mm); !ps)
                return ps;
            if (Status bs = block(d, state.mtp.front(), m_state[std::size_t(cfg.n_layers)], mh,
                                  dnext, mm, mstart);
                !bs)
                return Status::error("MTP block: " + bs.message());
            state.mtp_tokens = mstart + mm;
        }
    }
    last_hidden = std::move(hidden);
    state.n_tokens = start + m;
    return Status::ok();
}

Status CudaSession::forward(KvState &state, const std::int32_t *tokens, int n,
                            std::vector<float> *all, std::vector<float> &last_logits,
                            std::vector<float> &last_hidden)
{
    std::lock_guard<std::mutex> lock(m_model->run);
    if (!m_synced) {
        if (Status st = upload_state(state); !st)
            return st;
        m_synced = true;
    }
    if (all)
        all->clear();
    const int win = m_cfg.window_size;
    for (int done = 0; done < n;) {
        // Pieces of at most kMaxChunk tokens, fewer when the indexer's score matrix
        // [piece, entries] would pass 64 Mi floats; never shorter than a window (see
        // kMaxChunk) unless it is the rest.
        const std::int64_t end_entries = (state.n_tokens + std::min(n - done, kMaxChunk)) / 4 + 1;
        int piece = std::min(n - done, kMaxChunk);
        piece = int(
            std::min<std::int64_t>(piece, std::max<std::int64_t>(win, (64ll << 20) / end_entries)));
        piece = std::min(piece, n - done);
        if (Status st = run(state, tokens + done, piece, all, last_logits, last_hidden); !st) {
            // The device state may be half updated: upload the host state before the next call.
            m_synced = false;
            return st;
        }
        done += piece;
    }
    return Status::ok();
}

} // namespace

std::unique_ptr<DeviceSession> CudaModel::create_session() const
{
    return std::make_unique<CudaSession>(shared_from_this());
}

} // namespace folio::cuda
