// MoE sub-layer (see moe.h).
#include "model/moe.h"

#include "cpu/linear.h"
#include "cpu/math.h"
#include "cpu/ops.h"
#include "cpu/simd/ops_kernels.h"
#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace folio {

namespace {

// One SwiGLU expert on m tokens: out [m, dim] BF16 = w2(bf16(weight * silu(min(w1 x, L)) *
// clamp(w3 x, -L, L))). weights: [m] gate weights, or null for the shared expert.
void expert_forward(const ExpertWeights &e, const ModelConfig &cfg, const float *x, int m,
                    const float *weights, float *out, ThreadPool *pool)
{
    const int inter = cfg.moe_inter_dim;
    Scratch::Frame f;
    float *gate = f.alloc<float>(std::size_t(m) * inter),
          *up = f.alloc<float>(std::size_t(m) * inter);
    linear_bf16_out(x, m, e.w1, gate, pool);
    linear_bf16_out(x, m, e.w3, up, pool);
    const float limit = float(cfg.swiglu_limit);
    const simd::Isa isa = simd::active_isa();
    auto swiglu = [&](std::int64_t k0, std::int64_t k1) { // k = token * inter + channel
        for (std::int64_t k = k0; k < k1;) {
            const std::int64_t t = k / inter, end = std::min(k1, (t + 1) * inter);
            const std::size_t at = std::size_t(k);
            simd::swiglu_bf16(gate + at, up + at, int(end - k), weights ? weights + t : nullptr,
                              limit, gate + at, isa); // x.to(dtype) before w2
            k = end;
        }
    };
    if (pool)
        pool->parallel_for(std::int64_t(m) * inter, swiglu, 4096);
    else
        swiglu(0, std::int64_t(m) * inter);
    linear_bf16_out(gate, m, e.w2, out, pool);
}

} // namespace

void moe_route(const MoeWeights &w, const ModelConfig &cfg, bool hash, const float *logits,
               std::int32_t token, int *ids, float *weights)
{
    const int E = cfg.n_routed_experts, k = cfg.n_activated_experts;
    Scratch::Frame f;
    float *scores = f.alloc<float>(std::size_t(E)), *biased = f.alloc<float>(std::size_t(E));
    int *top = f.alloc<int>(std::size_t(k));
    for (int e = 0; e < E; ++e) {
        scores[e] = std::sqrt(softplus_f32(logits[e])); // sqrt(softplus) in FP32
        biased[e] = w.bias.empty() ? scores[e] : scores[e] + w.bias[std::size_t(e)];
    }
    if (hash) {
        for (int j = 0; j < k; ++j) {
            std::int64_t v;
            std::memcpy(&v, w.tid2eid + (std::size_t(token) * k + j) * 8, 8);
            ids[j] = int(v);
        }
    } else {
        topk_desc(biased, E, k, top); // the bias only steers the selection
        for (int j = 0; j < k; ++j)
            ids[j] = top[j];
    }
    float sum = 0.0f;
    for (int j = 0; j < k; ++j)
        sum += scores[std::size_t(ids[j])];
    for (int j = 0; j < k; ++j)
        weights[j] = scores[std::size_t(ids[j])] / sum * float(cfg.route_scale);
}

void moe_forward(const BlockWeights &bw, const ModelConfig &cfg, const float *x,
                 const std::int32_t *tokens, int n, float *out, ThreadPool *pool)
{
    const MoeWeights &w = bw.ffn;
    const int E = cfg.n_routed_experts, k = cfg.n_activated_experts, dim = cfg.dim;
    Scratch::Frame f;
    // Router logits in FP32: [n, E].
    float *logits = f.alloc<float>(std::size_t(n) * E);
    linear_f32(x, n, w.gate, logits, pool);
    int *ids = f.alloc<int>(std::size_t(n) * k);
    float *gw = f.alloc<float>(std::size_t(n) * k);
    auto route = [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
            moe_route(w, cfg, bw.hash, logits + std::size_t(i) * E, tokens[i],
                      ids + std::size_t(i) * k, gw + std::size_t(i) * k);
    };
    if (pool)
        pool->parallel_for(n, route, 16);
    else
        route(0, n);

    // Tokens grouped by expert (one GEMM per expert over its tokens): order[] lists (token, slot)
    // pairs sorted by expert id then token, first[e] .. first[e+1] the ones of expert e.
    int *first = f.zeros<int>(std::size_t(E) + 1);
    for (std::size_t r = 0; r < std::size_t(n) * k; ++r)
        ++first[ids[r] + 1];
    for (int e = 0; e < E; ++e)
        first[e + 1] += first[e];
    int *fill = f.alloc<int>(std::size_t(E));
    std::copy(first, first + E, fill);
    int *order = f.alloc<int>(std::size_t(n) * k); // token * k + slot
    for (std::size_t r = 0; r < std::size_t(n) * k; ++r)
        order[fill[ids[r]]++] = int(r);

    // y: [n, dim] FP32; experts in id order, each adding its BF16 output for its tokens.
    float *y = f.zeros<float>(std::size_t(n) * dim);
    float *xe = f.alloc<float>(std::size_t(n) * dim), *oe = f.alloc<float>(std::size_t(n) * dim);
    float *we = f.alloc<float>(std::size_t(n));
    for (int e = 0; e < E; ++e) {
        const int m = first[e + 1] - first[e];
        if (m == 0)
            continue;
        const int *rows = order + first[e];
        for (int r = 0; r < m; ++r) {
            std::memcpy(xe + std::size_t(r) * dim, x + std::size_t(rows[r] / k) * dim,
                        sizeof(float) * dim);
            we[r] = gw[rows[r]];
        }
        expert_forward(w.experts[std::size_t(e)], cfg, xe, m, we, oe, pool);
        // y[token] += expert output, split by channel slices (a token may appear twice in an
        // expert's rows; each y element still gets its adds on one thread, in row order).
        auto accumulate = [&](std::int64_t d0, std::int64_t d1) {
            for (int r = 0; r < m; ++r) {
                float *yr = y + std::size_t(rows[r] / k) * dim;
                const float *orow = oe + std::size_t(r) * dim;
                for (std::int64_t d = d0; d < d1; ++d)
                    yr[d] += orow[d];
            }
        };
        if (pool && m >= 64)
            pool->parallel_for(dim, accumulate, 64);
        else
            accumulate(0, dim);
    }
    float *shared = f.alloc<float>(std::size_t(n) * dim);
    expert_forward(w.shared, cfg, x, n, nullptr, shared, pool);
    auto combine = [&](std::int64_t i0, std::int64_t i1) { // out = bf16(y + shared), by tokens
        for (std::size_t i = std::size_t(i0) * dim; i < std::size_t(i1) * dim; ++i)
            out[i] = round_bf16(y[i] + shared[i]);
    };
    if (pool)
        pool->parallel_for(n, combine, 64);
    else
        combine(0, n);
}

} // namespace folio
