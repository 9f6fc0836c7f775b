// Attention sub-layer (see attention.h).
#include "model/attention.h"

#include "cpu/linear.h"
#include "cpu/math.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "model/compressor.h"
#include "model/indexer.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace folio {

namespace {

// q *= rsqrt(mean(q^2) + eps) per head, done in BF16 like the reference's tensor ops on a BF16
// tensor: squares rounded to BF16, mean accumulated in FP32 and rounded to BF16, + eps rounded,
// rsqrt rounded, and the product rounded.
void head_norm_bf16(float *q, int d, float eps)
{
    float sum = 0.0f;
    for (int c = 0; c < d; ++c)
        sum += round_bf16(q[c] * q[c]);
    const float mean = round_bf16(sum / float(d));
    const float r = round_bf16(rsqrt_f32(round_bf16(mean + eps)));
    for (int c = 0; c < d; ++c)
        q[c] = round_bf16(q[c] * r);
}

// Grouped output projection: z[g] = wo_a[g] . o_g per group, a BF16 einsum (FP32 accumulation,
// one rounding). o: [n, n_heads*head_dim], z: [n, o_groups*o_lora_rank].
void grouped_wo_a(const LinearWeight &wo_a, const ModelConfig &cfg, const float *o, int n, float *z,
                  ThreadPool *pool)
{
    const int groups = cfg.o_groups, rank = cfg.o_lora_rank;
    const int gin = cfg.n_heads * cfg.head_dim / groups;
    auto rows = [&](std::int64_t r0, std::int64_t r1) {
        std::vector<float> row(gin);
        for (std::int64_t r = r0; r < r1; ++r) { // r: output row of wo_a, group r / rank
            decode_weight_row(wo_a, int(r), row.data());
            const int g = int(r / rank);
            for (int i = 0; i < n; ++i) {
                const float *og = o + std::size_t(i) * groups * gin + std::size_t(g) * gin;
                double acc = 0;
                for (int k = 0; k < gin; ++k)
                    acc += double(og[k]) * double(row[k]);
                z[std::size_t(i) * groups * rank + r] = round_bf16(float(acc));
            }
        }
    };
    if (pool)
        pool->parallel_for(std::int64_t(groups) * rank, rows, 4);
    else
        rows(0, std::int64_t(groups) * rank);
}

} // namespace

void attention_forward(const BlockWeights &bw, const ModelConfig &cfg, const float *x, int n,
                       std::int64_t start, LayerState &state, float *out, ThreadPool *pool,
                       std::vector<std::vector<int>> *indexer_picks)
{
    const AttentionWeights &a = bw.attn;
    const int H = cfg.n_heads, hd = cfg.head_dim, rd = cfg.rope_head_dim, win = cfg.window_size;
    const int ratio = bw.compress_ratio;
    const RopeFreqs &rope = *bw.rope;
    const float eps = float(cfg.norm_eps);
    const bool prefill_mode = start == 0;

    // Query path. qr: [n, q_lora_rank] BF16 (also the indexer's input); q: [n, H, hd] BF16.
    std::vector<float> qr(std::size_t(n) * cfg.q_lora_rank);
    linear_bf16_out(x, n, a.wq_a, qr.data(), pool);
    rms_norm_bf16(qr.data(), n, cfg.q_lora_rank, a.q_norm.data(), eps, qr.data());
    std::vector<float> q(std::size_t(n) * H * hd);
    linear_bf16_out(qr.data(), n, a.wq_b, q.data(), pool);
    for (int i = 0; i < n; ++i)
        for (int h = 0; h < H; ++h) {
            float *qh = q.data() + (std::size_t(i) * H + h) * hd;
            head_norm_bf16(qh, hd, eps);
            apply_rope(qh + hd - rd, rope, start + i, false);
        }

    // KV path. kv: [n, hd] BF16; the nope dims FP8-simulated (block 64), kv_scales:
    // [n, nope/64]; the rope dims stay BF16 for positional precision.
    const KvEntryCodec codec{hd, rd};
    const int nblk = codec.n_scales();
    std::vector<float> kv(std::size_t(n) * hd), kv_scales(std::size_t(n) * nblk);
    linear_bf16_out(x, n, a.wkv, kv.data(), pool);
    rms_norm_bf16(kv.data(), n, hd, a.kv_norm.data(), eps, kv.data());
    for (int i = 0; i < n; ++i) {
        float *ki = kv.data() + std::size_t(i) * hd;
        apply_rope(ki + hd - rd, rope, start + i, false);
        for (int b = 0; b < nblk; ++b)
            kv_scales[std::size_t(i) * nblk + b] = fp8_simulate_block(ki + 64 * b, 64);
    }

    // Compressed branch: the indexer first (its compressor, then scores), then the main
    // compressor; entries completed in this call are visible to later tokens of the call.
    std::vector<std::vector<int>> picks;
    if (a.indexer)
        picks = indexer_forward(*a.indexer, rope, cfg, x, qr.data(), n, start, prefill_mode, state,
                                pool);
    if (a.compressor) {
        CompressedEntries ce = compressor_forward(*a.compressor, rope, rd, eps, x, n, start,
                                                  state.compressor, pool);
        for (std::size_t e = 0; e < ce.ids.size(); ++e) {
            const std::size_t off = std::size_t(ce.ids[e]) * codec.bytes();
            state.compressed.resize(off + codec.bytes());
            codec.encode(ce.values.data() + e * hd, ce.scales.data() + e * nblk,
                         state.compressed.data() + off);
        }
        state.n_entries = std::int64_t(state.compressed.size() / codec.bytes());
    }

    // Keys as float vectors: the window ring (positions before this call) and every compressed
    // entry, decoded from the compact layout (lossless).
    std::vector<float> ring(std::size_t(win) * hd);
    for (int s = 0; s < win; ++s)
        codec.decode(state.window.data() + std::size_t(s) * codec.bytes(),
                     ring.data() + std::size_t(s) * hd);
    std::vector<float> entries(std::size_t(state.n_entries) * hd);
    for (std::int64_t e = 0; e < state.n_entries; ++e)
        codec.decode(state.compressed.data() + std::size_t(e) * codec.bytes(),
                     entries.data() + std::size_t(e) * hd);

    // Sparse attention per token over [window part][compressed part]. o: [n, H, hd] BF16.
    std::vector<float> o(std::size_t(n) * H * hd);
    const float softmax_scale = float(std::pow(double(hd), -0.5));
    auto attend = [&](std::int64_t i0, std::int64_t i1) {
        std::vector<const float *> keys;
        for (std::int64_t i = i0; i < i1; ++i) {
            const std::int64_t p = start + i;
            keys.clear();
            const int wq = prefill_mode ? std::min(n, win) : win;
            const std::int64_t first = std::max<std::int64_t>(0, p - win + 1);
            for (int j = 0; j < wq; ++j) {
                const std::int64_t pos = first + j;
                if (pos > p)
                    keys.push_back(nullptr);
                else if (pos >= start)
                    keys.push_back(kv.data() + std::size_t(pos - start) * hd);
                else
                    keys.push_back(ring.data() + std::size_t(pos % win) * hd);
            }
            if (ratio && a.indexer) {
                for (int e : picks[std::size_t(i)])
                    keys.push_back(e < 0 ? nullptr : entries.data() + std::size_t(e) * hd);
            } else if (ratio) {
                const std::int64_t visible = (p + 1) / ratio;
                const std::int64_t width = prefill_mode ? (start + n) / ratio : visible;
                for (std::int64_t e = 0; e < width; ++e)
                    keys.push_back(e < visible ? entries.data() + std::size_t(e) * hd : nullptr);
            }
            float *oi = o.data() + std::size_t(i) * H * hd;
            sparse_attn_token(q.data() + std::size_t(i) * H * hd, H, hd, keys.data(),
                              int(keys.size()), a.attn_sink.data(), softmax_scale, oi);
            for (int h = 0; h < H; ++h) // de-rotate the value's rope part at the query position
                apply_rope(oi + std::size_t(h) * hd + hd - rd, rope, p, true);
        }
    };
    if (pool)
        pool->parallel_for(n, attend);
    else
        attend(0, n);

    // The window ring keeps the last `win` tokens (slot p % win).
    for (int i = std::max(0, n - win); i < n; ++i)
        codec.encode(kv.data() + std::size_t(i) * hd, kv_scales.data() + std::size_t(i) * nblk,
                     state.window.data() + std::size_t((start + i) % win) * codec.bytes());
    if (indexer_picks)
        *indexer_picks = std::move(picks);

    // Output projections. z: [n, o_groups*o_lora_rank] BF16; out: [n, dim] BF16.
    std::vector<float> z(std::size_t(n) * cfg.o_groups * cfg.o_lora_rank);
    grouped_wo_a(a.wo_a, cfg, o.data(), n, z.data(), pool);
    linear_bf16_out(z.data(), n, a.wo_b, out, pool);
}

} // namespace folio
