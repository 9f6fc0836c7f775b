// mHC ops (see hyper_connections.h). All mixing is FP32 as in the reference; the collapsed input
// and the new streams are rounded to BF16 where the reference's tensors are BF16.
#include "model/hyper_connections.h"

#include "cpu/linear.h"
#include "cpu/math.h"
#include "cpu/ops.h"
#include "cpu/simd/ops_kernels.h"
#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "quant.h"

#include <algorithm>
#include <vector>

namespace folio {

namespace {

// fn(i0, i1) over the n tokens on the pool (or inline).
void for_tokens(ThreadPool *pool, int n, RangeFn fn)
{
    if (pool)
        pool->parallel_for(n, fn, 8);
    else
        fn(0, n);
}

LinearWeight fn_linear(const HcWeights &w, int mix, int hc_dim)
{
    LinearWeight l;
    l.kind = WeightKind::F32;
    l.out = mix;
    l.in = hc_dim;
    l.data = reinterpret_cast<const std::uint8_t *>(w.fn.data());
    return l;
}

// mixes [n, mix] = (x_flat @ fn^T) * rsqrt(mean(x_flat^2) + norm_eps), all FP32.
void hc_mixes(const HcWeights &w, const ModelConfig &cfg, const float *x, int n, int mix,
              float *mixes, ThreadPool *pool)
{
    const int hc_dim = cfg.hc_mult * cfg.dim;
    linear_f32(x, n, fn_linear(w, mix, hc_dim), mixes, pool);
    for_tokens(pool, n, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i) {
            const float r = rsqrt_f32(mean_square_f32(x + std::size_t(i) * hc_dim, hc_dim)
                                      + float(cfg.norm_eps));
            for (int j = 0; j < mix; ++j)
                mixes[std::size_t(i) * mix + j] *= r;
        }
    });
}

} // namespace

void hc_split_sinkhorn(const float *mixes, const float *hc_scale, const float *hc_base, int hc,
                       int sinkhorn_iters, float eps, float *pre, float *post, float *comb)
{
    for (int j = 0; j < hc; ++j)
        pre[j] = sigmoid_f32(mixes[j] * hc_scale[0] + hc_base[j]) + eps;
    for (int j = 0; j < hc; ++j)
        post[j] = 2.0f * sigmoid_f32(mixes[j + hc] * hc_scale[1] + hc_base[j + hc]);
    for (int j = 0; j < hc; ++j)
        for (int k = 0; k < hc; ++k)
            comb[j * hc + k] = mixes[j * hc + k + 2 * hc] * hc_scale[2]
                               + hc_base[j * hc + k + 2 * hc];
    // comb = softmax(comb, rows) + eps
    for (int j = 0; j < hc; ++j) {
        float *row = comb + j * hc;
        const float mx = *std::max_element(row, row + hc);
        float sum = 0.0f;
        for (int k = 0; k < hc; ++k) {
            row[k] = exp_f32(row[k] - mx);
            sum += row[k];
        }
        for (int k = 0; k < hc; ++k)
            row[k] = row[k] / sum + eps;
    }
    auto normalize_cols = [&] {
        for (int k = 0; k < hc; ++k) {
            float sum = 0.0f;
            for (int j = 0; j < hc; ++j)
                sum += comb[j * hc + k];
            for (int j = 0; j < hc; ++j)
                comb[j * hc + k] = comb[j * hc + k] / (sum + eps);
        }
    };
    normalize_cols();
    for (int it = 1; it < sinkhorn_iters; ++it) {
        for (int j = 0; j < hc; ++j) {
            float sum = 0.0f;
            for (int k = 0; k < hc; ++k)
                sum += comb[j * hc + k];
            for (int k = 0; k < hc; ++k)
                comb[j * hc + k] = comb[j * hc + k] / (sum + eps);
        }
        normalize_cols();
    }
}

void hc_pre(const HcWeights &w, const ModelConfig &cfg, const float *x, int n, float *y,
            float *post, float *comb, ThreadPool *pool)
{
    const int hc = cfg.hc_mult, dim = cfg.dim, mix = (2 + hc) * hc;
    Scratch::Frame f;
    float *mixes = f.alloc<float>(std::size_t(n) * mix); // [n, (2+hc)*hc]
    hc_mixes(w, cfg, x, n, mix, mixes, pool);
    const simd::Isa isa = simd::active_isa();
    for_tokens(pool, n, [&](std::int64_t i0, std::int64_t i1) {
        Scratch::Frame wf; // the running thread's arena
        float *pre = wf.alloc<float>(std::size_t(hc));
        for (std::int64_t i = i0; i < i1; ++i) {
            hc_split_sinkhorn(mixes + std::size_t(i) * mix, w.scale.data(), w.base.data(), hc,
                              cfg.hc_sinkhorn_iters, float(cfg.hc_eps), pre,
                              post + std::size_t(i) * hc, comb + std::size_t(i) * hc * hc);
            simd::hc_collapse_token(x + std::size_t(i) * hc * dim, pre, hc, dim,
                                    y + std::size_t(i) * dim, isa);
        }
    });
}

void hc_post(const float *x, const float *residual, const float *post, const float *comb, int n,
             int hc, int dim, float *out, ThreadPool *pool)
{
    const simd::Isa isa = simd::active_isa();
    for_tokens(pool, n, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; ++i)
            simd::hc_post_token(x + std::size_t(i) * dim, residual + std::size_t(i) * hc * dim,
                                post + std::size_t(i) * hc, comb + std::size_t(i) * hc * hc, hc,
                                dim, out + std::size_t(i) * hc * dim, isa);
    });
}

void hc_head(const HcWeights &w, const ModelConfig &cfg, const float *x, int n, float *y,
             ThreadPool *pool)
{
    const int hc = cfg.hc_mult, dim = cfg.dim;
    Scratch::Frame f;
    float *mixes = f.alloc<float>(std::size_t(n) * hc); // [n, hc]
    hc_mixes(w, cfg, x, n, hc, mixes, pool);
    float *pre = f.alloc<float>(std::size_t(hc));
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < hc; ++j)
            pre[j] = sigmoid_f32(mixes[std::size_t(i) * hc + j] * w.scale[0] + w.base[j])
                     + float(cfg.hc_eps);
        simd::hc_collapse_token(x + std::size_t(i) * hc * dim, pre, hc, dim,
                                y + std::size_t(i) * dim, simd::active_isa());
    }
}

} // namespace folio
