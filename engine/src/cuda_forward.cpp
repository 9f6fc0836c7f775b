// The CUDA forward pass of a session (DeviceSession, cuda_backend.h): the blocks of
// model/forward.cpp, attention.cpp, compressor.cpp, indexer.cpp and moe.cpp in the same order,
// with the kernels of engine/src/cuda, on the GPU of each block's plan stage.
//
// Device state per block (DevState), authoritative while the session runs: the compact layout of
// kv_state.h byte for byte — one buffer of KvEntryCodec rows laid out as [window ring (window
// rows) | this call's KV (kMaxChunk rows) | compressed entries], so that a single row-index list
// addresses every key the attention kernel may read (it decodes while it reads); the indexer
// keys as IndexKeyCodec rows; the pending compressor slots in FP32 as on the host. The kernels
// encode what they produce straight into those rows (kv_codec.cu). The host KvState is brought up
// to date only on demand (sync_host: a save, a fork's fallback, a read by the CPU): the ring and
// the slots are copied whole, the compressed entries and indexer keys only past what the host
// already holds (they never change once written). load() replaces the host state and
// invalidate()s the device copy, which the next call uploads as bytes (no decoding).
//
// A decode step keeps its logits and final residual on the device: the GPU sampler (sampling.cu)
// picks the next token from them and only its id comes back; the host copies are fetched when
// asked for. Decode steps replay CUDA graphs of their position-independent segments (kv_plan.h:
// the query/KV projections, the output projections with the next sub-layer's mHC, the head);
// FOLIO_CUDA_GRAPHS=0 or LoadOptions::cuda_graphs = false runs every launch directly.
#include "cuda/kv_ops.h"
#include "cuda/moe_run.h"
#include "cuda/ops.h"
#include "cuda_session.h"
#include "quant.h"

#include <cmath>
#include <cstring>

namespace folio::cuda {

Status CudaSession::linear(Gpu &g, const DevLinear &w, const float *x, int m, float *y, bool f32_out)
{
    const bool exact_kind = w.kind == WeightKind::BF16 || w.kind == WeightKind::F32;
    if (f32_out && !exact_kind)
        return Status::error("an FP32 linear with a quantised weight is not supported");
    // FOLIO_CUDA_EXACT_GEMM=1: the exact kernels only (the op-by-op reference of the CPU).
    const bool fast = !m_model->exact_gemm;
    if (exact_kind) {
        // Prefill shapes go to cuBLAS (FP32 accumulation in its own order, within the NMSE of
        // test_cuda_ops; the FP32 linears' inputs hold BF16 values, so BF16 operands are
        // exact); decode keeps the exact double sums of the CPU backend.
        if (fast && w.kind == WeightKind::BF16 && m >= kCublasMinRows) {
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
    // FP8 prefill shapes: cuBLASLt's block-scaled GEMM on the tensor cores (NMSE-level, see
    // cuda/gemm_fp8_lt.h); a shape it refuses falls back to the exact kernel below.
    if (fast && w.kind == WeightKind::FP8 && w.scale_f32 && g.lt
        && Fp8LtGemm::takes(m, w.out, w.in)) {
        std::uint8_t *work = nullptr;
        if (Status st = scratch(g, Buf::LinLt, Fp8LtGemm::work_bytes(m, w.in, w.out), work); !st)
            return st;
        bool refused = false;
        if (Status st = g.lt->linear(x, m, w.in, w.data, w.scale_f32, w.out, work, y, g.stream,
                                     &refused);
            !st || !refused)
            return st;
    }
    float *work = nullptr;
    if (Status st = scratch(g, Buf::LinWork, std::size_t(m) * w.in + std::size_t(m) * (w.in / 128),
                            work);
        !st)
        return st;
    if (w.kind == WeightKind::FP8) {
        ++m_model->fp8_exact_calls;
        return linear_fp8(x, m, w.in, w.data, w.scale, w.out, work, y, g.stream);
    }
    return linear_fp4(x, m, w.in, w.data, w.scale, w.out, work, y, g.stream);
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
    if (Status st = put(g, Buf::PosTok, tok, p); !st)
        return st;
    if (Status st = put(g, Buf::PosQ, q, p); !st)
        return st;
    return put(g, Buf::PosIq, iq, p);
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
    if (Status st = put(g, Buf::PosEntry, pos, dpos); !st)
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

// The position-independent head of the attention (captured for decode): qr [m, q_lora_rank]
// and q [m, H, hd] BF16 (normed, RoPE'd); this call's KV [m, hd] (normed, RoPE'd, nope dims
// FP8-simulated) encoded into the chunk rows; the indexer's queries [m, ih, id] (RoPE, Hadamard,
// FP4) and head weights [m, ih].
Status CudaSession::attention_qkv(const DevBlock &d, DevState &ds, const float *x, int m)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const ModelConfig &cfg = m_cfg;
    const int H = cfg.n_heads, hd = cfg.head_dim, rd = cfg.rope_head_dim, win = cfg.window_size;
    const float eps = float(cfg.norm_eps);
    const KvEntryCodec codec{hd, rd};
    const int gi = d.gpu;
    std::int64_t *pos_tok = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosTok)].get());
    std::int64_t *pos_q = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosQ)].get());
    std::int64_t *pos_iq = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosIq)].get());
    float *qr = nullptr, *q = nullptr, *kv_scales = nullptr, *kv32 = nullptr;
    Status st = scratch(g, Buf::Qr, std::size_t(m) * cfg.q_lora_rank, qr);
    if (st)
        st = scratch(g, Buf::Q, std::size_t(m) * H * hd, q);
    if (st)
        st = scratch(g, Buf::KvScales, std::size_t(m) * codec.n_scales(), kv_scales);
    if (st)
        st = own(m_scratch[std::size_t(gi)].kv32, g.device, std::size_t(m) * hd, kv32);
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
    // KV path: kv [m, hd] BF16 with the nope dims FP8-simulated in blocks of 64, then its codes.
    if (st)
        st = linear(g, d.wkv, x, m, kv32, false);
    if (st)
        st = rms_norm(kv32, m, hd, d.kv_norm, eps, kv32, s);
    if (st)
        st = rope(kv32, m, hd, hd - rd, rd, pos_tok, d.rope, false, s);
    if (st)
        st = quant_simulate(kv32, m, hd, 0, hd - rd, 64, false, kv_scales, s);
    if (st)
        st = encode_kv_rows(kv32, kv_scales, m, hd, rd,
                            static_cast<std::uint8_t *>(ds.kv.get())
                                + std::size_t(win) * codec.bytes(),
                            s);
    if (!st || !d.has_indexer)
        return st;
    const int ih = cfg.index_n_heads, id = cfg.index_head_dim;
    float *iq = nullptr, *hw = nullptr;
    st = scratch(g, Buf::Iq, std::size_t(m) * ih * id, iq);
    if (st)
        st = scratch(g, Buf::Hw, std::size_t(m) * ih, hw);
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
        st = linear(g, d.index_weights_proj, x, m, hw, false);
    if (st)
        st = scale_round(hw, std::int64_t(m) * ih,
                         float(std::pow(double(id), -0.5) * std::pow(double(ih), -0.5)), s);
    return st;
}

// The position-dependent middle (never captured): the compressors and their encoded entries
// and keys, the indexer's scores and picks, the key lists, the attention over the compact rows
// (split over keys for decode), the value's de-rotation, the ring update. Leaves o [m, H, hd].
Status CudaSession::attention(const DevBlock &d, DevState &ds, const float *x, int m,
                              std::int64_t start, float *o)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const ModelConfig &cfg = m_cfg;
    const int H = cfg.n_heads, hd = cfg.head_dim, rd = cfg.rope_head_dim, win = cfg.window_size;
    const int ratio = d.host->compress_ratio;
    const bool prefill_mode = start == 0;
    const KvEntryCodec codec{hd, rd};
    const std::size_t eb = codec.bytes();
    const int nblk = codec.n_scales();
    const std::int64_t end = start + m;
    const int n_new = ratio ? int(end / ratio - start / ratio) : 0;
    const std::int64_t entries_before = ds.n_entries;
    const std::int64_t entries_after = entries_before + (d.has_compressor ? n_new : 0);
    const std::int64_t base_row = win + kMaxChunk; // row of entry 0
    SessionScratch &sc = m_scratch[std::size_t(d.gpu)];

    // Room for this call's entries (keeping the ring, the chunk rows and the entries).
    if (entries_after > ds.cap) {
        const std::int64_t cap = std::max(entries_after, 2 * ds.cap);
        if (Status st = grow_keep(ds.kv, g.device, std::size_t(base_row + cap) * eb,
                                  std::size_t(base_row + entries_before) * eb, s);
            !st)
            return st;
        ds.cap = cap;
    }
    auto *kvbuf = static_cast<std::uint8_t *>(ds.kv.get());
    std::int64_t *pos_q = static_cast<std::int64_t *>(g.scratch[std::size_t(Buf::PosQ)].get());
    float *q = static_cast<float *>(g.scratch[std::size_t(Buf::Q)].get());

    // Indexer (before the main compressor, as the reference): its keys, scores and picks.
    int kmax = 0;
    int *picks = nullptr, *visible = nullptr, *width = nullptr;
    std::vector<int> vis(static_cast<std::size_t>(m)), wid(static_cast<std::size_t>(m));
    Status st;
    if (d.has_indexer) {
        const int ih = cfg.index_n_heads, id = cfg.index_head_dim;
        const std::size_t kb = IndexKeyCodec{id}.bytes();
        const std::int64_t keys_before = ds.n_keys, keys_after = keys_before + n_new;
        if (keys_after > ds.key_cap) {
            const std::int64_t cap = std::max(keys_after, 2 * ds.key_cap);
            if (Status gs = grow_keep(ds.keys, g.device, std::size_t(cap) * kb,
                                      std::size_t(keys_before) * kb, s);
                !gs)
                return gs;
            ds.key_cap = cap;
        }
        auto *keys = static_cast<std::uint8_t *>(ds.keys.get());
        float *iq = static_cast<float *>(g.scratch[std::size_t(Buf::Iq)].get());
        float *hw = static_cast<float *>(g.scratch[std::size_t(Buf::Hw)].get());
        float *key32 = nullptr, *key_scales = nullptr, *scores = nullptr;
        st = own(sc.key32, g.device, std::size_t(std::max(n_new, 1)) * id, key32);
        if (st)
            st = scratch(g, Buf::KeyScales, std::size_t(std::max(n_new, 1)) * (id / 32), key_scales);
        if (st)
            st = compress(g, d.index_compressor, d.rope, x, m, start,
                          static_cast<float *>(ds.icomp_kv.get()),
                          static_cast<float *>(ds.icomp_score.get()), key32, key_scales, n_new);
        if (st)
            st = encode_index_keys(key32, key_scales, n_new, id,
                                   keys + std::size_t(keys_before) * kb, s);
        if (!st)
            return st;
        ds.n_keys = keys_after;
        for (int i = 0; i < m; ++i) {
            const int v = int((start + i + 1) / 4);
            vis[std::size_t(i)] = v;
            wid[std::size_t(i)] = prefill_mode
                                      ? int(std::min<std::int64_t>(cfg.index_topk, end / 4))
                                      : std::min(cfg.index_topk, v);
            kmax = std::max(kmax, wid[std::size_t(i)]);
        }
        const int n_keys_total = int(keys_after);
        st = put(g, Buf::Visible, vis, visible);
        if (st)
            st = put(g, Buf::Width, wid, width);
        if (st)
            st = scratch(g, Buf::Scores, std::size_t(m) * std::max(n_keys_total, 1), scores);
        if (st)
            st = scratch(g, Buf::Picks, std::size_t(m) * std::max(kmax, 1), picks);
        if (st && kmax > 0)
            st = indexer_scores_kv(iq, hw, m, ih, id, keys, n_keys_total, visible, scores, s);
        if (st && kmax > 0)
            st = topk(scores, m, n_keys_total, kmax, picks, s);
        if (!st)
            return st;
    }

    // Main compressor: the new entries are encoded straight into their rows.
    if (d.has_compressor) {
        float *entry32 = nullptr, *entry_scales = nullptr;
        st = own(sc.entry32, g.device, std::size_t(std::max(n_new, 1)) * hd, entry32);
        if (st)
            st = scratch(g, Buf::EntryScales, std::size_t(std::max(n_new, 1)) * nblk, entry_scales);
        if (st)
            st = compress(g, d.compressor, d.rope, x, m, start,
                          static_cast<float *>(ds.comp_kv.get()),
                          static_cast<float *>(ds.comp_score.get()), entry32, entry_scales, n_new);
        if (st)
            st = encode_kv_rows(entry32, entry_scales, n_new, hd, rd,
                                kvbuf + std::size_t(base_row + entries_before) * eb, s);
        if (!st)
            return st;
        ds.n_entries = entries_after;
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
    st = put(g, Buf::Idx, idx, didx);
    if (st && d.has_indexer && kmax > 0)
        st = picks_to_idx(picks, m, kmax, visible, width, int(base_row), didx, n_keys, wq, s);
    if (sc.sm_count == 0) {
        CUDA_CHECK(cudaDeviceGetAttribute(&sc.sm_count, cudaDevAttrMultiProcessorCount, g.device));
        sc.sm_count = std::max(sc.sm_count, 1);
    }
    const AttentionSplit split = plan_attention_split(m, H, n_keys, sc.sm_count);
    float *partials = nullptr;
    if (st && split.splits > 1)
        st = own(sc.partials, g.device, std::size_t(m) * H * split.splits * (hd + 2), partials);
    if (st)
        st = sparse_attention_kv(q, m, H, hd, rd, kvbuf, didx, n_keys, d.attn_sink,
                                 float(std::pow(double(hd), -0.5)), split, partials, o, s);
    // De-rotate the value's rope part at the query position.
    if (st)
        st = rope(o, m * H, hd, hd - rd, rd, pos_q, d.rope, true, s);
    if (!st)
        return st;

    // The ring keeps the last `win` tokens (slot p % win): at most two contiguous runs of rows.
    const int i0 = std::max(0, m - win);
    for (int i = i0; i < m;) {
        const int slot = int((start + i) % win);
        const int run = std::min(m - i, win - slot);
        CUDA_CHECK(cudaMemcpyAsync(kvbuf + std::size_t(slot) * eb, kvbuf + std::size_t(win + i) * eb,
                                   std::size_t(run) * eb, cudaMemcpyDeviceToDevice, s));
        i += run;
    }
    return Status::ok();
}

// The output projections (captured for decode with the next sub-layer's mHC, see block()):
// z [m, o_groups * o_lora_rank] (grouped einsum), out [m, dim].
Status CudaSession::attention_out(const DevBlock &d, int m, float *out)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const int H = m_cfg.n_heads, hd = m_cfg.head_dim;
    const int groups = m_cfg.o_groups, rank = m_cfg.o_lora_rank, gin = H * hd / groups;
    float *o = static_cast<float *>(g.scratch[std::size_t(Buf::O)].get());
    float *z = nullptr;
    Status st = scratch(g, Buf::Z, std::size_t(m) * groups * rank, z);
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
    return st;
}

Status CudaSession::moe(const DevBlock &d, const float *x, const std::int32_t *tokens, int m,
                        float *out, LayerState &hs, const Pending &pend)
{
    (void) hs; // the host state is synced on demand (sync_host), not per block
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const ModelConfig &cfg = m_cfg;
    const int E = cfg.n_routed_experts, k = cfg.n_activated_experts, dim = cfg.dim;
    const int inter = cfg.moe_inter_dim;
    float *logits = nullptr, *gw = nullptr, *yacc = nullptr, *shared = nullptr, *gate = nullptr,
          *up = nullptr;
    int *ids = nullptr;
    // Router: logits [m, E] FP32, ids / weights [m, k], all on the device.
    Status st = scratch(g, Buf::RLogits, std::size_t(m) * E, logits);
    if (st)
        st = scratch(g, Buf::Ids, std::size_t(m) * k, ids);
    if (st)
        st = scratch(g, Buf::Gw, std::size_t(m) * k, gw);
    if (st)
        st = scratch(g, Buf::YAcc, std::size_t(m) * dim, yacc);
    if (st)
        st = scratch(g, Buf::Shared, std::size_t(m) * dim, shared);
    if (st)
        st = linear(g, d.gate, x, m, logits, true);
    if (st)
        st = router(logits, m, E, k, d.bias, d.host->hash ? d.tid2eid : nullptr, tokens,
                    float(cfg.route_scale), ids, gw, s);
    if (!st)
        return st;
    // Routed experts: yacc [m, dim] = each token's experts' outputs added in increasing expert id
    // (cuda/moe_run.cpp). Only experts behind the device cache read the choice on the host (the
    // staging area the block reserved for it).
    CUDA_CHECK(cudaMemsetAsync(yacc, 0, std::size_t(m) * dim * sizeof(float), s));
    int *host_ids = reinterpret_cast<int *>(g.staging.get() + pend.route_off);
    if (Status rs = run_routed_experts(*m_model, g, d, x, ids, gw, m, host_ids, yacc); !rs)
        return rs;
    // Shared expert (no gate weight), then out = bf16(routed sum + shared). Its gate and up reuse
    // the routed experts' buffers (stream-ordered, at least m * inter floats).
    st = scratch(g, Buf::Gate, std::size_t(m) * inter, gate);
    if (st)
        st = scratch(g, Buf::Up, std::size_t(m) * inter, up);
    if (st)
        st = linear(g, d.shared[0], x, m, gate, false);
    if (st)
        st = linear(g, d.shared[2], x, m, up, false);
    if (st)
        st = swiglu(gate, up, m, inter, float(cfg.swiglu_limit), nullptr, s);
    if (st)
        st = linear(g, d.shared[1], gate, m, shared, false);
    if (st)
        st = add_round(yacc, shared, m, dim, 1, out, s);
    return st;
}

Status CudaSession::block(int index, const DevBlock &d, LayerState &hs, DevState &ds, float *x,
                          const std::int32_t *tokens, int m, std::int64_t start)
{
    Gpu &g = gpu(d.gpu);
    cudaStream_t s = g.stream;
    const int hc = m_cfg.hc_mult, dim = m_cfg.dim;
    const float eps = float(m_cfg.norm_eps), hc_eps = float(m_cfg.hc_eps);
    float *residual = nullptr, *y = nullptr, *sub = nullptr, *post = nullptr, *comb = nullptr,
          *o = nullptr;
    Status st = scratch(g, Buf::Residual, std::size_t(m) * hc * dim, residual);
    if (st)
        st = scratch(g, Buf::Y, std::size_t(m) * dim, y);
    if (st)
        st = scratch(g, Buf::Sub, std::size_t(m) * dim, sub);
    if (st)
        st = scratch(g, Buf::Post, std::size_t(m) * hc, post);
    if (st)
        st = scratch(g, Buf::Comb, std::size_t(m) * hc * hc, comb);
    if (st)
        st = scratch(g, Buf::O, std::size_t(m) * m_cfg.n_heads * m_cfg.head_dim, o);
    // The router's choice comes back through the staging buffer (moe()).
    if (st)
        st = g.staging.ensure(std::size_t(m) * m_cfg.n_activated_experts * 8);
    if (!st)
        return st;
    const std::size_t xbytes = std::size_t(m) * hc * dim * sizeof(float);
    m_block_start = start;
    const Pending pend;
    // mHC pre of the attention sub-layer, its norm, the query/KV projections: no launch depends
    // on the position (RoPE reads the positions from device memory), so decode replays a graph.
    st = segment(g, kSegQkv, index, m, &ds, [&]() -> Status {
        CUDA_CHECK(cudaMemcpyAsync(residual, x, xbytes, cudaMemcpyDeviceToDevice, s));
        Status r = hc_pre(residual, m, hc, dim, d.hc_attn.fn, d.hc_attn.scale, d.hc_attn.base,
                          m_cfg.hc_sinkhorn_iters, hc_eps, eps, y, post, comb, s);
        if (r)
            r = rms_norm(y, m, dim, d.attn_norm, eps, y, s);
        if (r)
            r = attention_qkv(d, ds, y, m);
        return r;
    });
    if (st)
        st = attention(d, ds, y, m, start, o);
    // Output projections, mHC post, and the FFN sub-layer's mHC pre and norm: again free of the
    // position. With resident experts the MoE reads nothing back on the host (cuda/moe_run.cpp),
    // so it and the last mHC post join the segment: the rest of the block is one graph. Behind
    // the expert cache the router's choice comes to the host, and the cache's bookkeeping must
    // run exactly once per step (never in a capture that may be discarded): the MoE runs
    // directly. (A MoE that synchronises fails the capture; the segment then runs directly.)
    const bool moe_in_graph = d.experts != nullptr;
    if (st)
        st = segment(g, kSegOut, index, m, &ds, [&]() -> Status {
            Status r = attention_out(d, m, sub);
            if (r)
                r = hc_post(sub, residual, post, comb, m, hc, dim, x, s);
            if (!r)
                return r;
            CUDA_CHECK(cudaMemcpyAsync(residual, x, xbytes, cudaMemcpyDeviceToDevice, s));
            r = hc_pre(residual, m, hc, dim, d.hc_ffn.fn, d.hc_ffn.scale, d.hc_ffn.base,
                       m_cfg.hc_sinkhorn_iters, hc_eps, eps, y, post, comb, s);
            if (r)
                r = rms_norm(y, m, dim, d.ffn_norm, eps, y, s);
            if (r && moe_in_graph)
                r = moe(d, y, tokens, m, sub, hs, pend);
            if (r && moe_in_graph)
                r = hc_post(sub, residual, post, comb, m, hc, dim, x, s);
            return r;
        });
    if (st && !moe_in_graph)
        st = moe(d, y, tokens, m, sub, hs, pend);
    if (st && !moe_in_graph)
        st = hc_post(sub, residual, post, comb, m, hc, dim, x, s);
    return st;
}

// hc_head, the final norm and the head linear for `rows` positions: logits [rows, vocab] FP32 on
// the device.
Status CudaSession::head(Gpu &g, const float *h, int rows, const DevHc &hc, const float *norm,
                         float *logits)
{
    const int dim = m_cfg.dim;
    float *xh = nullptr;
    Status st = scratch(g, Buf::Xh, std::size_t(rows) * dim, xh);
    if (st)
        st = hc_head(h, rows, m_cfg.hc_mult, dim, hc.fn, hc.scale, hc.base, float(m_cfg.hc_eps),
                     float(m_cfg.norm_eps), xh, g.stream);
    if (st)
        st = rms_norm(xh, rows, dim, norm, float(m_cfg.norm_eps), xh, g.stream);
    if (st)
        st = linear(g, m_model->head, xh, rows, logits, true);
    return st;
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
                        bool host_logits, std::vector<float> &last_logits)
{
    const ModelConfig &cfg = m_cfg;
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const std::size_t row = std::size_t(hc) * dim;
    const std::int64_t start = state.n_tokens;
    const std::vector<std::int32_t> ids(tokens, tokens + m);
    if (Status st = begin_uploads(m, start + m); !st)
        return st;
    // Per GPU: the token ids and the positions of this call.
    for (std::size_t gi = 0; gi < m_model->gpus.size(); ++gi) {
        Gpu &g = *m_model->gpus[gi];
        CUDA_CHECK(cudaSetDevice(g.device));
        std::int32_t *dt = nullptr;
        if (Status st = put(g, Buf::Tokens, ids, dt); !st)
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
        if (Status st = block(l, d, state.layers[std::size_t(l)], m_state[std::size_t(l)], h, bt, m,
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
    float *dlogits = nullptr;
    if (Status st = own(m_logits, g->device, std::size_t(vocab), dlogits); !st)
        return st;
    if (all) {
        const std::size_t at = all->size();
        all->resize(at + std::size_t(m) * vocab);
        constexpr int kHeadRows = 128;
        float *logits = nullptr;
        for (int r = 0; r < m; r += kHeadRows) {
            const int rows = std::min(kHeadRows, m - r);
            Status st = scratch(*g, Buf::Logits, std::size_t(rows) * vocab, logits);
            if (st)
                st = head(*g, h + std::size_t(r) * row, rows, m_model->hc_head, m_model->norm,
                          logits);
            if (!st)
                return st;
            CUDA_CHECK(cudaMemcpyAsync(all->data() + at + std::size_t(r) * vocab, logits,
                                       std::size_t(rows) * vocab * sizeof(float),
                                       cudaMemcpyDeviceToHost, g->stream));
            if (r + rows == m) // the last position's row stays on the device for the sampler
                CUDA_CHECK(cudaMemcpyAsync(dlogits, logits + std::size_t(rows - 1) * vocab,
                                           std::size_t(vocab) * sizeof(float),
                                           cudaMemcpyDeviceToDevice, g->stream));
            CUDA_CHECK(cudaStreamSynchronize(g->stream));
        }
        last_logits.assign(all->end() - vocab, all->end());
        m_host_logits = true;
    } else {
        const float *hl = h + std::size_t(m - 1) * row;
        if (Status st = segment(*g, kSegHead, -1, m, nullptr,
                                [&]() {
                                    return head(*g, hl, 1, m_model->hc_head, m_model->norm, dlogits);
                                });
            !st)
            return st;
        last_logits.resize(std::size_t(vocab));
        m_host_logits = host_logits;
        if (host_logits) {
            CUDA_CHECK(cudaMemcpyAsync(last_logits.data(), dlogits,
                                       std::size_t(vocab) * sizeof(float), cudaMemcpyDeviceToHost,
                                       g->stream));
            CUDA_CHECK(cudaStreamSynchronize(g->stream));
        }
    }
    m_logits_dev = true;

    if (!m_model->mtp.empty()) {
        // MTP inputs for positions start-1 .. start+m-2: (h_q, token q+1), as forward_chunk; the
        // previous call's final residual is still in m_hidden.
        const bool with_prev = start > 0 && state.mtp_tokens == start - 1 && m_hidden_dev;
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
                CUDA_CHECK(cudaMemcpyAsync(mh, m_hidden.get(), row * sizeof(float),
                                           cudaMemcpyDeviceToDevice, g->stream));
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
            if (Status us = put(*g, Buf::E, host_e, emb); !us)
                return us;
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
            if (Status us = put(*g, Buf::Tokens, next, dnext); !us)
                return us;
            const std::int64_t mstart = state.mtp_tokens;
            if (Status ps = positions(*g, mstart, mm); !ps)
                return ps;
            if (Status bs = block(cfg.n_layers, d, state.mtp.front(),
                                  m_state[std::size_t(cfg.n_layers)], mh, dnext, mm, mstart);
                !bs)
                return Status::error("MTP block: " + bs.message());
            state.mtp_tokens = mstart + mm;
        }
    }
    // This call's last final residual, kept on the device (the next call's MTP input).
    float *dh = nullptr;
    if (Status st = own(m_hidden, g->device, row, dh); !st)
        return st;
    CUDA_CHECK(cudaMemcpyAsync(dh, h + std::size_t(m - 1) * row, row * sizeof(float),
                               cudaMemcpyDeviceToDevice, g->stream));
    m_hidden_dev = true;
    m_host_hidden = false;
    state.n_tokens = start + m;
    return end_uploads();
}

Status CudaSession::forward(KvState &state, const std::int32_t *tokens, int n,
                            std::vector<float> *all, std::vector<float> &last_logits,
                            std::vector<float> &last_hidden, bool host_logits)
{
    std::lock_guard<std::mutex> lock(m_model->run);
    if (!m_broken)
        return m_broken;
    if (!m_device_valid) {
        if (Status st = upload_state(state, last_logits, last_hidden); !st)
            return st;
        m_device_valid = true;
    }
    if (all)
        all->clear();
    const DeviceStats before = cache_counters();
    const int win = m_cfg.window_size;
    Status result;
    for (int done = 0; done < n && result;) {
        // Pieces of at most kMaxChunk tokens, fewer when the indexer's score matrix
        // [piece, entries] would pass 64 Mi floats; never shorter than a window (see
        // kMaxChunk) unless it is the rest.
        const std::int64_t end_entries = (state.n_tokens + std::min(n - done, kMaxChunk)) / 4 + 1;
        int piece = std::min(n - done, kMaxChunk);
        piece = int(
            std::min<std::int64_t>(piece, std::max<std::int64_t>(win, (64ll << 20) / end_entries)));
        piece = std::min(piece, n - done);
        result = run(state, tokens + done, piece, all, host_logits, last_logits);
        if (result) {
            m_host_stale = true;
            done += piece;
        }
    }
    const DeviceStats after = cache_counters();
    add_counters(m_stats, before, after); // (calls run one at a time: the deltas are this one's)
    if (result)
        last_hidden.resize(std::size_t(m_cfg.hc_mult) * m_cfg.dim); // contents: sync_host
    if (!result) {
        // The device state may be half updated. While the host state is still the session's,
        // upload it again before the next call; once the device held the only copy, the session
        // cannot go on (load() a saved state to recover).
        if (m_host_stale)
            m_broken = Status::error("the device state is incomplete after a failed call ("
                                     + result.message() + "); load a saved state");
        else
            m_device_valid = false;
    }
    return result;
}

std::unique_ptr<DeviceSession> CudaModel::create_session() const
{
    return std::make_unique<CudaSession>(shared_from_this());
}

} // namespace folio::cuda
