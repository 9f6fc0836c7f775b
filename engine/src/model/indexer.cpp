// Lightning indexer (see indexer.h). Scores follow the reference's BF16 einsum: each head's dot
// product rounded once to BF16, ReLU, times the head weight (rounded to BF16), summed over heads
// in FP32 and rounded to BF16 — ties are therefore frequent, and the tie rule matters.
#include "model/indexer.h"

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cpu/simd/ops_kernels.h"
#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "model/compressor.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace folio {

void indexer_forward(const IndexerWeights &w, const RopeFreqs &rope, const ModelConfig &cfg,
                     const float *x, const float *qr, int n, std::int64_t start, bool prefill_mode,
                     LayerState &state, ThreadPool *pool, int *picks, int *widths)
{
    Scratch::Frame f;
    const int ih = cfg.index_n_heads, id = cfg.index_head_dim, rd = cfg.rope_head_dim;
    const int ratio = 4;
    // q: [n, ih, id] BF16 -> RoPE on the last rd dims -> Hadamard -> FP4 simulation (block 32);
    // qs: [n, ih, id/32] the simulation's power-of-two block scales (the score kernel's input).
    float *q = f.alloc<float>(std::size_t(n) * ih * id);
    float *qs = f.alloc<float>(std::size_t(n) * ih * (id / 32));
    linear_bf16_out(qr, n, w.wq_b, q, pool);
    auto prep = [&](std::int64_t i0, std::int64_t i1) {
        Scratch::Frame wf; // the running thread's arena
        float *cs = wf.alloc<float>(std::size_t(rd));
        for (std::int64_t i = i0; i < i1; ++i) {
            rope_cos_sin(rope, start + i, cs);
            for (int h = 0; h < ih; ++h) {
                const std::size_t r = std::size_t(i) * ih + h;
                float *qh = q + r * id;
                apply_rope_cs(qh + id - rd, cs, rd / 2, false);
                hadamard_bf16(qh, id);
                for (int b = 0; b < id / 32; ++b)
                    qs[r * (id / 32) + b] = fp4_simulate_block(qh + 32 * b, 32);
            }
        }
    };
    if (pool)
        pool->parallel_for(n, prep, 4);
    else
        prep(0, n);

    // New keys from the indexer's compressor, appended in the compact FP4 layout; scores read
    // that layout directly (no decoded copy of the keys).
    const IndexKeyCodec codec{id};
    thread_local CompressedEntries keys; // reused: keeps its capacity
    compressor_forward(w.compressor, rope, rd, float(cfg.norm_eps), x, n, start,
                       state.index_compressor, pool, keys);
    for (std::size_t e = 0; e < keys.ids.size(); ++e) {
        const std::size_t off = std::size_t(keys.ids[e]) * codec.bytes();
        state.index_keys.resize(off + codec.bytes());
        codec.encode(keys.values.data() + e * id, keys.scales.data() + e * (id / 32),
                     state.index_keys.data() + off);
    }

    // weights: weights_proj(x) (BF16) * (id^-0.5 * ih^-0.5) in FP32, rounded to BF16.
    float *hw = f.alloc<float>(std::size_t(n) * ih);
    linear_bf16_out(x, n, w.weights_proj, hw, pool);
    const float wscale = float(std::pow(double(id), -0.5) * std::pow(double(ih), -0.5));
    for (std::size_t j = 0; j < std::size_t(n) * ih; ++j)
        hw[j] = round_bf16(hw[j] * wscale);

    const std::int64_t end_pos = start + n;
    auto width_of = [&](std::int64_t i) {
        const int visible = int((start + i + 1) / ratio);
        return prefill_mode ? int(std::min<std::int64_t>(cfg.index_topk, end_pos / ratio))
                            : std::min(cfg.index_topk, visible);
    };
    const int topk = cfg.index_topk;
    auto select = [&](std::int64_t i, const float *score) {
        const int visible = int((start + i + 1) / ratio);
        const int width = width_of(i);
        int *top = picks + std::size_t(i) * topk;
        topk_desc(score, visible, width, top);
        std::fill(top + std::min(width, visible), top + width, -1); // not visible yet: no key
        widths[i] = width;
    };
    const simd::Isa isa = simd::active_isa();
    if (pool && n < pool->size()) {
        // Fewer tokens than threads (decode): split each token's keys across the pool instead.
        float *score = f.alloc<float>(std::size_t(end_pos / ratio) + 1);
        for (int i = 0; i < n; ++i) {
            const int visible = int((start + i + 1) / ratio);
            const std::size_t r = std::size_t(i) * ih;
            pool->parallel_for(
                visible,
                [&](std::int64_t t0, std::int64_t t1) {
                    simd::index_scores(q + r * id, qs + r * (id / 32), hw + r, ih, id,
                                       state.index_keys.data() + std::size_t(t0) * codec.bytes(),
                                       int(t1 - t0), score + t0, isa);
                },
                256);
            select(i, score);
        }
    } else {
        // Token k of the split is n-1-k/2 for odd k, k/2 for even k: a token's cost grows with
        // its position, and this gives every thread's contiguous chunk the same mix.
        auto score_rows = [&](std::int64_t k0, std::int64_t k1) {
            Scratch::Frame wf; // the running thread's arena
            float *score = wf.alloc<float>(std::size_t(end_pos / ratio) + 1);
            for (std::int64_t k = k0; k < k1; ++k) {
                const std::int64_t i = k % 2 == 0 ? k / 2 : n - 1 - k / 2;
                const int visible = int((start + i + 1) / ratio);
                const std::size_t r = std::size_t(i) * ih;
                simd::index_scores(q + r * id, qs + r * (id / 32), hw + r, ih, id,
                                   state.index_keys.data(), visible, score, isa);
                select(i, score);
            }
        };
        if (pool)
            pool->parallel_for(n, score_rows);
        else
            score_rows(0, n);
    }
}

} // namespace folio
