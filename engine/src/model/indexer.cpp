// Lightning indexer (see indexer.h). Scores follow the reference's BF16 einsum: each head's dot
// product rounded once to BF16, ReLU, times the head weight (rounded to BF16), summed over heads
// in FP32 and rounded to BF16 — ties are therefore frequent, and the tie rule matters.
#include "model/indexer.h"

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "model/compressor.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace folio {

std::vector<std::vector<int>> indexer_forward(const IndexerWeights &w, const RopeFreqs &rope,
                                              const ModelConfig &cfg, const float *x,
                                              const float *qr, int n, std::int64_t start,
                                              bool prefill_mode, LayerState &state,
                                              ThreadPool *pool)
{
    const int ih = cfg.index_n_heads, id = cfg.index_head_dim, rd = cfg.rope_head_dim;
    const int ratio = 4;
    // q: [n, ih, id] BF16 -> RoPE on the last rd dims -> Hadamard -> FP4 simulation (block 32).
    std::vector<float> q(std::size_t(n) * ih * id);
    linear_bf16_out(qr, n, w.wq_b, q.data(), pool);
    for (int i = 0; i < n; ++i)
        for (int h = 0; h < ih; ++h) {
            float *qh = q.data() + (std::size_t(i) * ih + h) * id;
            apply_rope(qh + id - rd, rope, start + i, false);
            hadamard_bf16(qh, id);
            for (int b = 0; b < id / 32; ++b)
                fp4_simulate_block(qh + 32 * b, 32);
        }

    // New keys from the indexer's compressor, appended in the compact FP4 layout.
    const IndexKeyCodec codec{id};
    CompressedEntries keys = compressor_forward(w.compressor, rope, rd, float(cfg.norm_eps), x, n,
                                                start, state.index_compressor, pool);
    for (std::size_t e = 0; e < keys.ids.size(); ++e) {
        const std::size_t off = std::size_t(keys.ids[e]) * codec.bytes();
        state.index_keys.resize(off + codec.bytes());
        codec.encode(keys.values.data() + e * id, keys.scales.data() + e * (id / 32),
                     state.index_keys.data() + off);
    }
    const std::int64_t n_keys = std::int64_t(state.index_keys.size() / codec.bytes());
    std::vector<float> kcache(std::size_t(n_keys) * id); // [n_keys, id] decoded keys
    for (std::int64_t t = 0; t < n_keys; ++t)
        codec.decode(state.index_keys.data() + std::size_t(t) * codec.bytes(),
                     kcache.data() + std::size_t(t) * id);

    // weights: weights_proj(x) (BF16) * (id^-0.5 * ih^-0.5) in FP32, rounded to BF16.
    std::vector<float> hw(std::size_t(n) * ih);
    linear_bf16_out(x, n, w.weights_proj, hw.data(), pool);
    const float wscale = float(std::pow(double(id), -0.5) * std::pow(double(ih), -0.5));
    for (float &v : hw)
        v = round_bf16(v * wscale);

    const std::int64_t end_pos = start + n;
    std::vector<std::vector<int>> picks(n);
    auto score_rows = [&](std::int64_t i0, std::int64_t i1) {
        std::vector<float> score;
        std::vector<int> top;
        for (std::int64_t i = i0; i < i1; ++i) {
            const std::int64_t p = start + i;
            const int visible = int((p + 1) / ratio);
            const int width = prefill_mode
                                  ? int(std::min<std::int64_t>(cfg.index_topk, end_pos / ratio))
                                  : std::min(cfg.index_topk, visible);
            score.assign(visible, 0.0f);
            for (int t = 0; t < visible; ++t) {
                const float *k = kcache.data() + std::size_t(t) * id;
                float acc = 0.0f; // sum over heads: FP32 accumulation of BF16 terms
                for (int h = 0; h < ih; ++h) {
                    const float *qh = q.data() + (std::size_t(i) * ih + h) * id;
                    double dot = 0;
                    for (int c = 0; c < id; ++c)
                        dot += double(qh[c]) * double(k[c]);
                    const float s = std::max(round_bf16(float(dot)), 0.0f); // BF16, ReLU
                    acc += round_bf16(s * hw[std::size_t(i) * ih + h]);
                }
                score[t] = round_bf16(acc);
            }
            topk_desc(score.data(), visible, width, top);
            top.resize(std::size_t(width), -1); // entries not visible yet: no key
            picks[std::size_t(i)] = top;
        }
    };
    if (pool)
        pool->parallel_for(n, score_rows);
    else
        score_rows(0, n);
    return picks;
}

} // namespace folio
