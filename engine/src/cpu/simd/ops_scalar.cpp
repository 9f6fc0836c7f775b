// The portable scalar reference of the op kernels (ops_kernels.h) and their run-time dispatch.
// These are the reference's rounding points written out plainly (see cpu/ops.h and the model/
// files for what each mirrors); the AVX2 kernels are tested against them.
#include "cpu/simd/ops_kernels.h"

#include "cpu/math.h"
#include "cpu/workspace.h"
#include "kv_state.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace folio::simd {

namespace {

bool use_avx2(Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    return isa == Isa::Avx2 && best_isa() == Isa::Avx2;
#else
    (void) isa;
    return false;
#endif
}

} // namespace

namespace detail {

void sparse_attn_token_scalar(const float *q, int n_heads, int d, const float *const *keys,
                              int n_keys, const float *attn_sink, float softmax_scale, float *o)
{
    constexpr int kBlock = 64; // the kernel's key block
    const float kNegInf = -std::numeric_limits<float>::infinity();
    std::vector<float> acc(static_cast<std::size_t>(d));
    float s[kBlock], p[kBlock];
    for (int h = 0; h < n_heads; ++h) {
        const float *qh = q + std::size_t(h) * d;
        std::fill(acc.begin(), acc.end(), 0.0f);
        float m = kNegInf, sum_exp = 0.0f;
        for (int t0 = 0; t0 < n_keys; t0 += kBlock) {
            const int nb = std::min(kBlock, n_keys - t0);
            float block_max = kNegInf;
            for (int j = 0; j < nb; ++j) {
                const float *k = keys[t0 + j];
                if (!k) {
                    s[j] = kNegInf;
                    continue;
                }
                double dot = 0;
                for (int c = 0; c < d; ++c)
                    dot += double(qh[c]) * double(k[c]);
                s[j] = float(dot) * softmax_scale;
                block_max = std::max(block_max, s[j]);
            }
            const float m_new = std::max(m, block_max);
            if (m_new == kNegInf)
                continue; // nothing visible yet: the block contributes nothing
            const float rescale = exp_f32(m - m_new); // exp(-inf) = 0 on the first block
            double block_sum = 0;
            for (int j = 0; j < nb; ++j) {
                p[j] = s[j] == kNegInf ? 0.0f : exp_f32(s[j] - m_new);
                block_sum += p[j];
            }
            sum_exp = sum_exp * rescale + float(block_sum);
            // P.V with the probabilities rounded to BF16 (the kernel's acc_s_cast).
            for (int j = 0; j < nb; ++j)
                p[j] = round_bf16(p[j]);
            for (int c = 0; c < d; ++c) {
                double pv = 0;
                for (int j = 0; j < nb; ++j)
                    if (p[j] != 0.0f)
                        pv += double(p[j]) * double(keys[t0 + j][c]);
                acc[std::size_t(c)] = acc[std::size_t(c)] * rescale + float(pv);
            }
            m = m_new;
        }
        sum_exp += exp_f32(attn_sink[h] - m);
        float *oh = o + std::size_t(h) * d;
        for (int c = 0; c < d; ++c)
            oh[c] = round_bf16(acc[std::size_t(c)] / sum_exp);
    }
}

void grouped_rows_bf16_scalar(const LinearWeight &wo_a, int rows_per_group, const float *o, int n,
                              int o_stride, int r0, int r1, float *z, int z_stride)
{
    const int gin = wo_a.in;
    std::vector<float> row(static_cast<std::size_t>(gin));
    for (int r = r0; r < r1; ++r) {
        decode_weight_row(wo_a, r, row.data());
        const int g = r / rows_per_group;
        for (int i = 0; i < n; ++i) {
            const float *og = o + std::size_t(i) * o_stride + std::size_t(g) * gin;
            double acc = 0;
            for (int k = 0; k < gin; ++k)
                acc += double(og[k]) * double(row[std::size_t(k)]);
            z[std::size_t(i) * z_stride + r] = round_bf16(float(acc));
        }
    }
}

void index_scores_scalar(const float *q, const float * /*q_scales*/, const float *hw, int heads,
                         int dim, const std::uint8_t *keys, int n_keys, float *score)
{
    const IndexKeyCodec codec{dim};
    std::vector<float> k(static_cast<std::size_t>(dim));
    for (int t = 0; t < n_keys; ++t) {
        codec.decode(keys + std::size_t(t) * codec.bytes(), k.data());
        float acc = 0.0f; // sum over heads: FP32 accumulation of BF16 terms
        for (int h = 0; h < heads; ++h) {
            const float *qh = q + std::size_t(h) * dim;
            double dot = 0;
            for (int c = 0; c < dim; ++c)
                dot += double(qh[c]) * double(k[std::size_t(c)]);
            const float s = std::max(round_bf16(float(dot)), 0.0f); // BF16, ReLU
            acc += round_bf16(s * hw[h]);
        }
        score[t] = round_bf16(acc);
    }
}

void rms_norm_bf16_scalar(const float *x, int m, int d, const float *weight, float eps, float *y)
{
    for (int i = 0; i < m; ++i) {
        const float *xi = x + std::size_t(i) * d;
        float *yi = y + std::size_t(i) * d;
        // torch: x.square() (FP32 products) then mean (FP32 sum / n); the sum is taken in double
        // and rounded once.
        double ss = 0;
        for (int j = 0; j < d; ++j) {
            const float sq = xi[j] * xi[j];
            ss += sq;
        }
        const float r = rsqrt_f32(float(ss) / float(d) + eps);
        for (int j = 0; j < d; ++j) {
            const float nv = xi[j] * r; // FP32, rounded
            yi[j] = round_bf16(weight ? weight[j] * nv : nv);
        }
    }
}

void hc_post_token_scalar(const float *x, const float *residual, const float *post,
                          const float *comb, int hc, int dim, float *out)
{
    for (int k = 0; k < hc; ++k)
        for (int d = 0; d < dim; ++d) {
            float acc = comb[0 * hc + k] * residual[d];
            for (int j = 1; j < hc; ++j)
                acc += comb[j * hc + k] * residual[std::size_t(j) * dim + d];
            out[std::size_t(k) * dim + d] = round_bf16(post[k] * x[d] + acc);
        }
}

void hc_collapse_token_scalar(const float *x, const float *pre, int hc, int dim, float *y)
{
    for (int d = 0; d < dim; ++d) {
        float acc = pre[0] * x[d];
        for (int j = 1; j < hc; ++j)
            acc += pre[j] * x[std::size_t(j) * dim + d];
        y[d] = round_bf16(acc);
    }
}

void swiglu_bf16_scalar(const float *gate, const float *up, int n, const float *weight, float limit,
                        float *out)
{
    for (int i = 0; i < n; ++i) {
        float g = gate[i], u = up[i];
        if (limit > 0) {
            u = std::clamp(u, -limit, limit);
            g = std::min(g, limit);
        }
        float t = silu_f32(g) * u;
        if (weight)
            t = *weight * t;
        out[i] = round_bf16(t); // x.to(dtype) before w2
    }
}

void rope_cs_scalar(float *x, const float *cs, int half, bool inverse)
{
    for (int i = 0; i < half; ++i) {
        const float c = cs[2 * i];
        const float s = inverse ? -cs[2 * i + 1] : cs[2 * i + 1];
        const float a = x[2 * i], b = x[2 * i + 1];
        // Complex product in FP32 as torch's vectorised complex multiply: each product rounded.
        const float ac = a * c, bs = b * s, as = a * s, bc = b * c;
        x[2 * i] = round_bf16(ac - bs);
        x[2 * i + 1] = round_bf16(bc + as);
    }
}

void compressor_pool_scalar(const float *kv, const float *score, int width, int n_slots, int split,
                            int c, int ch0, int ch1, float *out)
{
    Scratch::Frame f;
    float *slot_w = f.alloc<float>(std::size_t(n_slots));
    for (int ch = ch0; ch < ch1; ++ch) {
        auto at = [&](const float *buf, int s) {
            return buf[std::size_t(s) * width + (s >= split ? c : 0) + ch];
        };
        float mx = at(score, 0);
        for (int s = 1; s < n_slots; ++s)
            mx = std::max(mx, at(score, s));
        // softmax over the slots (FP32; exp(x - max), sum in slot order, then a division), then
        // sum(kv * weight) in slot order.
        float sum = 0.0f;
        for (int s = 0; s < n_slots; ++s) {
            slot_w[s] = exp_f32(at(score, s) - mx);
            sum += slot_w[s];
        }
        float acc = 0.0f;
        for (int s = 0; s < n_slots; ++s)
            acc += at(kv, s) * (slot_w[s] / sum);
        out[ch] = round_bf16(acc); // kv.to(bf16) before the norm
    }
}

} // namespace detail

// ---- dispatch --------------------------------------------------------------------------------

void sparse_attn_token(const float *q, int n_heads, int d, const float *const *keys, int n_keys,
                       const float *attn_sink, float softmax_scale, float *o, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::sparse_attn_token_avx2(q, n_heads, d, keys, n_keys, attn_sink, softmax_scale,
                                              o);
#endif
    (void) isa;
    detail::sparse_attn_token_scalar(q, n_heads, d, keys, n_keys, attn_sink, softmax_scale, o);
}

void grouped_rows_bf16(const LinearWeight &wo_a, int rows_per_group, const float *o, int n,
                       int o_stride, int r0, int r1, float *z, int z_stride, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::grouped_rows_bf16_avx2(wo_a, rows_per_group, o, n, o_stride, r0, r1, z,
                                              z_stride);
#endif
    (void) isa;
    detail::grouped_rows_bf16_scalar(wo_a, rows_per_group, o, n, o_stride, r0, r1, z, z_stride);
}

void index_scores(const float *q, const float *q_scales, const float *hw, int heads, int dim,
                  const std::uint8_t *keys, int n_keys, float *score, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa) && dim % 64 == 0 && dim <= 512)
        return detail::index_scores_avx2(q, q_scales, hw, heads, dim, keys, n_keys, score);
#endif
    (void) isa;
    detail::index_scores_scalar(q, q_scales, hw, heads, dim, keys, n_keys, score);
}

void rms_norm_bf16(const float *x, int m, int d, const float *weight, float eps, float *y, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::rms_norm_bf16_avx2(x, m, d, weight, eps, y);
#endif
    (void) isa;
    detail::rms_norm_bf16_scalar(x, m, d, weight, eps, y);
}

void hc_post_token(const float *x, const float *residual, const float *post, const float *comb,
                   int hc, int dim, float *out, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::hc_post_token_avx2(x, residual, post, comb, hc, dim, out);
#endif
    (void) isa;
    detail::hc_post_token_scalar(x, residual, post, comb, hc, dim, out);
}

void hc_collapse_token(const float *x, const float *pre, int hc, int dim, float *y, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::hc_collapse_token_avx2(x, pre, hc, dim, y);
#endif
    (void) isa;
    detail::hc_collapse_token_scalar(x, pre, hc, dim, y);
}

void swiglu_bf16(const float *gate, const float *up, int n, const float *weight, float limit,
                 float *out, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::swiglu_bf16_avx2(gate, up, n, weight, limit, out);
#endif
    (void) isa;
    detail::swiglu_bf16_scalar(gate, up, n, weight, limit, out);
}

void rope_cs(float *x, const float *cs, int half, bool inverse, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::rope_cs_avx2(x, cs, half, inverse);
#endif
    (void) isa;
    detail::rope_cs_scalar(x, cs, half, inverse);
}

void compressor_pool(const float *kv, const float *score, int width, int n_slots, int split, int c,
                     float *out, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (use_avx2(isa))
        return detail::compressor_pool_avx2(kv, score, width, n_slots, split, c, out);
#endif
    (void) isa;
    detail::compressor_pool_scalar(kv, score, width, n_slots, split, c, 0, c, out);
}

} // namespace folio::simd
