// AVX2+FMA op kernels (ops_kernels.h). Compiled with -mavx2 -mfma (simd.cmake) and entered only
// after the run-time check; each kernel is bit-identical to its scalar reference in ops_scalar.cpp
// by the arguments in ops_kernels.h (SIMD lanes run over independent outputs; sums keep the
// reference's order; the engine's -ffp-contract=off keeps multiply and add separate here too).
#include "cpu/simd/ops_kernels.h"

#include "cpu/simd/ops_avx2.h"

#include "cpu/math.h"
#include "quant.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace folio::simd::detail {

namespace {

// Per-thread scratch that grows and is then reused (no allocation per call once warm).
template<class T>
T *scratch(std::vector<T> &v, std::size_t n)
{
    if (v.size() < n)
        v.resize(n);
    return v.data();
}

// decode_weight_row with table lookups for FP8 (the same FP32 product code value x tile scale);
// other formats through decode_weight_row itself.
void decode_row(const LinearWeight &w, int row, float *dst)
{
    if (w.kind != WeightKind::FP8) {
        decode_weight_row(w, row, dst);
        return;
    }
    struct Tables
    {
        float e4m3[256], e8m0[256];
        Tables()
        {
            for (int i = 0; i < 256; ++i) {
                e4m3[i] = e4m3_decode(std::uint8_t(i));
                e8m0[i] = e8m0_decode(std::uint8_t(i));
            }
        }
    };
    static const Tables t;
    const std::uint8_t *p = w.data + std::size_t(row) * w.in;
    const int tiles_in = (w.in + 127) / 128;
    const std::uint8_t *sc = w.scale + std::size_t(row / 128) * tiles_in;
    for (int k = 0; k < w.in; ++k)
        dst[k] = t.e4m3[p[k]] * t.e8m0[sc[k / 128]];
}

} // namespace

// ---- sparse attention --------------------------------------------------------------------------
// Heads in SIMD lanes for Q.K (q transposed to [d][heads] doubles; each lane the reference's
// sequential double sum over d), channels in lanes for P.V (each lane the sequential sum over the
// block's keys); the online-softmax bookkeeping per head is the scalar code itself.
void sparse_attn_token_avx2(const float *q, int n_heads, int d, const float *const *keys,
                            int n_keys, const float *attn_sink, float softmax_scale, float *o)
{
    constexpr int kBlock = 64;
    const float kNegInf = -std::numeric_limits<float>::infinity();
    const int hp = (n_heads + 3) / 4 * 4; // heads padded to whole vectors
    thread_local std::vector<double> qt_buf;
    thread_local std::vector<float> acc_buf, s_buf, p_buf, m_buf, sum_buf;
    double *qt = scratch(qt_buf, std::size_t(d) * hp);        // [d][hp]
    float *acc = scratch(acc_buf, std::size_t(n_heads) * d);  // [heads][d]
    float *s = scratch(s_buf, std::size_t(n_heads) * kBlock); // [heads][block]
    float *p = scratch(p_buf, std::size_t(n_heads) * kBlock);
    float *m = scratch(m_buf, std::size_t(n_heads));
    float *sum_exp = scratch(sum_buf, std::size_t(n_heads));
    for (int c = 0; c < d; ++c) {
        for (int h = 0; h < n_heads; ++h)
            qt[std::size_t(c) * hp + h] = double(q[std::size_t(h) * d + c]);
        for (int h = n_heads; h < hp; ++h)
            qt[std::size_t(c) * hp + h] = 0.0;
    }
    std::fill(acc, acc + std::size_t(n_heads) * d, 0.0f);
    std::fill(m, m + n_heads, kNegInf);
    std::fill(sum_exp, sum_exp + n_heads, 0.0f);
    const int groups = hp / 4;
    double lane[4];
    for (int t0 = 0; t0 < n_keys; t0 += kBlock) {
        const int nb = std::min(kBlock, n_keys - t0);
        // Scores of the block for every head. Each head's dot product is one sequential FMA
        // chain over d; two keys at a time give the core two independent sets of chains (one
        // set is latency-bound at one FMA per cycle).
        auto store_scores = [&](const __m256d *av, int g0, int ng, int j) {
            for (int g = 0; g < ng; ++g) {
                _mm256_storeu_pd(lane, av[g]);
                for (int l = 0; l < 4; ++l) {
                    const int h = (g0 + g) * 4 + l;
                    if (h < n_heads)
                        s[h * kBlock + j] = float(lane[l]) * softmax_scale;
                }
            }
        };
        for (int j = 0; j < nb;) {
            const float *k = keys[t0 + j];
            if (!k) {
                for (int h = 0; h < n_heads; ++h)
                    s[h * kBlock + j] = kNegInf;
                ++j;
                continue;
            }
            const float *k2 = j + 1 < nb ? keys[t0 + j + 1] : nullptr;
            for (int g0 = 0; g0 < groups; g0 += 4) {
                const int ng = std::min(4, groups - g0);
                const double *qg = qt + std::size_t(g0) * 4;
                if (k2) {
                    // Named accumulators (arrays indexed by the run-time ng would live in memory).
                    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
                    __m256d b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                    for (int c = 0; c < d; ++c) {
                        const __m256d kc = _mm256_set1_pd(double(k[c]));
                        const __m256d kc2 = _mm256_set1_pd(double(k2[c]));
                        const double *qc = qg + std::size_t(c) * hp;
                        const __m256d q0 = _mm256_loadu_pd(qc);
                        a0 = _mm256_fmadd_pd(q0, kc, a0);
                        b0 = _mm256_fmadd_pd(q0, kc2, b0);
                        if (ng > 1) {
                            const __m256d q1 = _mm256_loadu_pd(qc + 4);
                            a1 = _mm256_fmadd_pd(q1, kc, a1);
                            b1 = _mm256_fmadd_pd(q1, kc2, b1);
                        }
                        if (ng > 2) {
                            const __m256d q2 = _mm256_loadu_pd(qc + 8);
                            a2 = _mm256_fmadd_pd(q2, kc, a2);
                            b2 = _mm256_fmadd_pd(q2, kc2, b2);
                        }
                        if (ng > 3) {
                            const __m256d q3 = _mm256_loadu_pd(qc + 12);
                            a3 = _mm256_fmadd_pd(q3, kc, a3);
                            b3 = _mm256_fmadd_pd(q3, kc2, b3);
                        }
                    }
                    const __m256d a[4] = {a0, a1, a2, a3}, b[4] = {b0, b1, b2, b3};
                    store_scores(a, g0, ng, j);
                    store_scores(b, g0, ng, j + 1);
                    continue;
                }
                __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
                for (int c = 0; c < d; ++c) {
                    const __m256d kc = _mm256_set1_pd(double(k[c]));
                    const double *qc = qg + std::size_t(c) * hp;
                    a0 = _mm256_fmadd_pd(_mm256_loadu_pd(qc), kc, a0);
                    if (ng > 1)
                        a1 = _mm256_fmadd_pd(_mm256_loadu_pd(qc + 4), kc, a1);
                    if (ng > 2)
                        a2 = _mm256_fmadd_pd(_mm256_loadu_pd(qc + 8), kc, a2);
                    if (ng > 3)
                        a3 = _mm256_fmadd_pd(_mm256_loadu_pd(qc + 12), kc, a3);
                }
                const __m256d av[4] = {a0, a1, a2, a3};
                store_scores(av, g0, ng, j);
            }
            j += k2 ? 2 : 1;
        }
        for (int h = 0; h < n_heads; ++h) {
            float *sh = s + h * kBlock, *ph = p + h * kBlock;
            float block_max = kNegInf;
            for (int j = 0; j < nb; ++j)
                if (keys[t0 + j])
                    block_max = std::max(block_max, sh[j]);
            const float m_new = std::max(m[h], block_max);
            if (m_new == kNegInf)
                continue;
            const float rescale = exp_f32(m[h] - m_new);
            // The weights exp(s - max), eight keys per vector: exp_f32_8 gives the scalar
            // exp_f32's values (its risky lanes from exp_f32 itself) and 0 for -inf scores, as
            // the scalar code's explicit case; then the double sum in key order.
            const __m256 mv = _mm256_set1_ps(m_new);
            int j8 = 0;
            for (; j8 + 8 <= nb; j8 += 8) {
                int risky;
                const __m256 w = exp_f32_8(_mm256_sub_ps(_mm256_loadu_ps(sh + j8), mv), risky);
                _mm256_storeu_ps(ph + j8, w);
                for (int l = 0; risky && l < 8; ++l)
                    if (risky & (1 << l))
                        ph[j8 + l] = sh[j8 + l] == kNegInf ? 0.0f : exp_f32(sh[j8 + l] - m_new);
            }
            for (; j8 < nb; ++j8)
                ph[j8] = sh[j8] == kNegInf ? 0.0f : exp_f32(sh[j8] - m_new);
            double block_sum = 0;
            for (int j = 0; j < nb; ++j)
                block_sum += ph[j];
            sum_exp[h] = sum_exp[h] * rescale + float(block_sum);
            for (int j = 0; j < nb; ++j)
                ph[j] = round_bf16(ph[j]);
            float *ah = acc + std::size_t(h) * d;
            const __m128 rs = _mm_set1_ps(rescale);
            int c = 0;
            // 32 channels per pass: eight independent chains over the block's keys (four are
            // latency-bound), each lane still the scalar's sequential sum over j.
            for (; c + 32 <= d; c += 32) {
                __m256d v0 = _mm256_setzero_pd(), v1 = v0, v2 = v0, v3 = v0, v4 = v0, v5 = v0,
                        v6 = v0, v7 = v0;
                for (int j = 0; j < nb; ++j) {
                    if (ph[j] == 0.0f)
                        continue;
                    const __m256d pj = _mm256_set1_pd(double(ph[j]));
                    const float *k = keys[t0 + j] + c;
                    v0 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k)), v0);
                    v1 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 4)), v1);
                    v2 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 8)), v2);
                    v3 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 12)), v3);
                    v4 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 16)), v4);
                    v5 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 20)), v5);
                    v6 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 24)), v6);
                    v7 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 28)), v7);
                }
                const __m256d vv[8] = {v0, v1, v2, v3, v4, v5, v6, v7};
                for (int u = 0; u < 8; ++u) {
                    float *a = ah + c + 4 * u;
                    const __m128 old = _mm_mul_ps(_mm_loadu_ps(a), rs);
                    _mm_storeu_ps(a, _mm_add_ps(old, _mm256_cvtpd_ps(vv[u])));
                }
            }
            for (; c + 16 <= d; c += 16) {
                __m256d v0 = _mm256_setzero_pd(), v1 = v0, v2 = v0, v3 = v0;
                for (int j = 0; j < nb; ++j) {
                    if (ph[j] == 0.0f)
                        continue;
                    const __m256d pj = _mm256_set1_pd(double(ph[j]));
                    const float *k = keys[t0 + j] + c;
                    v0 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k)), v0);
                    v1 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 4)), v1);
                    v2 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 8)), v2);
                    v3 = _mm256_fmadd_pd(pj, _mm256_cvtps_pd(_mm_loadu_ps(k + 12)), v3);
                }
                const __m256d vv[4] = {v0, v1, v2, v3};
                for (int u = 0; u < 4; ++u) {
                    float *a = ah + c + 4 * u;
                    const __m128 old = _mm_mul_ps(_mm_loadu_ps(a), rs);
                    _mm_storeu_ps(a, _mm_add_ps(old, _mm256_cvtpd_ps(vv[u])));
                }
            }
            for (; c < d; ++c) {
                double pv = 0;
                for (int j = 0; j < nb; ++j)
                    if (ph[j] != 0.0f)
                        pv += double(ph[j]) * double(keys[t0 + j][c]);
                ah[c] = ah[c] * rescale + float(pv);
            }
            m[h] = m_new;
        }
    }
    for (int h = 0; h < n_heads; ++h) {
        const float total = sum_exp[h] + exp_f32(attn_sink[h] - m[h]);
        const float *ah = acc + std::size_t(h) * d;
        float *oh = o + std::size_t(h) * d;
        const __m256 tv = _mm256_set1_ps(total);
        int c = 0;
        for (; c + 8 <= d; c += 8)
            _mm256_storeu_ps(oh + c, round_bf16_8(_mm256_div_ps(_mm256_loadu_ps(ah + c), tv)));
        for (; c < d; ++c)
            oh[c] = round_bf16(ah[c] / total);
    }
}

// ---- grouped wo_a --------------------------------------------------------------------------------
// Four weight rows in the lanes ([k][4] doubles, decoded once per block of rows), two tokens per
// pass; each lane is the reference's sequential double sum over k.
void grouped_rows_bf16_avx2(const LinearWeight &wo_a, int rows_per_group, const float *o, int n,
                            int o_stride, int r0, int r1, float *z, int z_stride)
{
    const int gin = wo_a.in;
    thread_local std::vector<float> row_buf;
    thread_local std::vector<double> w4_buf;
    float *row = scratch(row_buf, std::size_t(gin));
    double *w4 = scratch(w4_buf, std::size_t(gin) * 4);
    double lane0[4], lane1[4];
    for (int rb = r0; rb < r1;) {
        // Rows of one block stay within one group.
        const int g = rb / rows_per_group;
        const int nr = std::min({4, r1 - rb, (g + 1) * rows_per_group - rb});
        for (int l = 0; l < 4; ++l) {
            if (l < nr)
                decode_row(wo_a, rb + l, row);
            for (int k = 0; k < gin; ++k)
                w4[std::size_t(k) * 4 + l] = l < nr ? double(row[k]) : 0.0;
        }
        int i = 0;
        for (; i + 2 <= n; i += 2) {
            const float *x0 = o + std::size_t(i) * o_stride + std::size_t(g) * gin;
            const float *x1 = x0 + o_stride;
            __m256d a0 = _mm256_setzero_pd(), a1 = a0;
            for (int k = 0; k < gin; ++k) {
                const __m256d wk = _mm256_loadu_pd(w4 + std::size_t(k) * 4);
                a0 = _mm256_fmadd_pd(_mm256_set1_pd(double(x0[k])), wk, a0);
                a1 = _mm256_fmadd_pd(_mm256_set1_pd(double(x1[k])), wk, a1);
            }
            _mm256_storeu_pd(lane0, a0);
            _mm256_storeu_pd(lane1, a1);
            for (int l = 0; l < nr; ++l) {
                z[std::size_t(i) * z_stride + rb + l] = round_bf16(float(lane0[l]));
                z[std::size_t(i + 1) * z_stride + rb + l] = round_bf16(float(lane1[l]));
            }
        }
        for (; i < n; ++i) {
            const float *x0 = o + std::size_t(i) * o_stride + std::size_t(g) * gin;
            __m256d a0 = _mm256_setzero_pd();
            for (int k = 0; k < gin; ++k)
                a0 = _mm256_fmadd_pd(_mm256_set1_pd(double(x0[k])),
                                     _mm256_loadu_pd(w4 + std::size_t(k) * 4), a0);
            _mm256_storeu_pd(lane0, a0);
            for (int l = 0; l < nr; ++l)
                z[std::size_t(i) * z_stride + rb + l] = round_bf16(float(lane0[l]));
        }
        rb += nr;
    }
}

// ---- indexer scores ----------------------------------------------------------------------------
// Query and key elements as signed 2x E2M1 integers (exact), 32-wide block dot products with
// pmaddubsw/pmaddwd (exact integers), blocks combined with their power-of-two scales in double in
// block order (exact), then the reference's BF16 score arithmetic per head in head order.
void index_scores_avx2(const float *q, const float *q_scales, const float *hw, int heads, int dim,
                       const std::uint8_t *keys, int n_keys, float *score)
{
    const int half = dim / 2, nblk = dim / 32, chunks = dim / 64;
    const std::size_t key_bytes = std::size_t(half + nblk);
    thread_local std::vector<std::int8_t> qe_buf;
    thread_local std::vector<double> qs_buf, blk_buf;
    // qe: [heads][chunks][2][32]: per 64-element chunk the 32 even elements, then the 32 odd.
    std::int8_t *qe = scratch(qe_buf, std::size_t(heads) * dim);
    double *qs = scratch(qs_buf, std::size_t(heads) * nblk); // q scale * 1/4 (two 2x factors)
    double *dots = scratch(blk_buf, std::size_t(heads));
    for (int h = 0; h < heads; ++h)
        for (int ch = 0; ch < chunks; ++ch)
            for (int j = 0; j < 32; ++j)
                for (int par = 0; par < 2; ++par) {
                    const int e = ch * 64 + 2 * j + par;
                    const float sc = q_scales[std::size_t(h) * nblk + e / 32];
                    const float v = q[std::size_t(h) * dim + e] / sc * 2.0f; // exact integer
                    qe[((std::size_t(h) * chunks + ch) * 2 + par) * 32 + j] = std::int8_t(
                        std::lrint(v));
                }
    for (int h = 0; h < heads; ++h)
        for (int b = 0; b < nblk; ++b)
            qs[std::size_t(h) * nblk + b] = double(q_scales[std::size_t(h) * nblk + b]) * 0.25;
    // qst: [nblk][heads] the same scales block-major, for four heads per vector below.
    thread_local std::vector<double> qst_buf;
    thread_local std::vector<float> head_buf;
    double *qst = scratch(qst_buf, std::size_t(heads) * nblk);
    for (int h = 0; h < heads; ++h)
        for (int b = 0; b < nblk; ++b)
            qst[std::size_t(b) * heads + h] = qs[std::size_t(h) * nblk + b];
    float *terms = scratch(head_buf, std::size_t(heads)); // [heads] bf16(relu(bf16(dot)) * hw)
    // 2 x E2M1 value of each code: 0, 1, 2, 3, 4, 6, 8, 12 and their negatives (code 8 = -0).
    const __m256i lut = _mm256_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12, 0,
                                         1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    const __m256i nib = _mm256_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi16(1);
    static const std::vector<double> e8m0 = [] {
        std::vector<double> t(256);
        for (int i = 0; i < 256; ++i)
            t[std::size_t(i)] = double(e8m0_decode(std::uint8_t(i)));
        return t;
    }();
    // The key loop with the chunk count known at compile time, so the decoded key vectors and
    // the four heads' partials stay in registers (dim = C * 64 <= 512, see the dispatcher).
    auto run = [&](auto chunk_count) {
        constexpr int C = decltype(chunk_count)::value;
        __m256i kl[C], kh[C], al[C], ah[C];
        double ks[2 * C];
        int blk[2 * C];
        for (int t = 0; t < n_keys; ++t) {
            const std::uint8_t *key = keys + std::size_t(t) * key_bytes;
#pragma GCC unroll 8
            for (int ch = 0; ch < C; ++ch) {
                const __m256i b = _mm256_loadu_si256(
                    reinterpret_cast<const __m256i *>(key + 32 * ch));
                kl[ch] = _mm256_shuffle_epi8(lut, _mm256_and_si256(b, nib));
                kh[ch] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(b, 4), nib));
                al[ch] = _mm256_abs_epi8(kl[ch]);
                ah[ch] = _mm256_abs_epi8(kh[ch]);
            }
            for (int b = 0; b < nblk; ++b)
                ks[b] = e8m0[key[half + b]];
            // Four heads at a time: one hadd tree turns their four 8-lane partial vectors into the
            // heads' two block sums, and the block terms are added per head (lane) in block order,
            // as below for the remaining heads.
            int h0 = 0;
            for (; h0 + 4 <= heads; h0 += 4) {
                __m256d dot = _mm256_setzero_pd(); // lanes: heads h0 .. h0+3
#pragma GCC unroll 8
                for (int ch = 0; ch < C; ++ch) {
                    __m256i p32[4];
#pragma GCC unroll 4
                    for (int j = 0; j < 4; ++j) {
                        const std::int8_t *qh = qe + std::size_t(h0 + j) * dim + ch * 64;
                        const __m256i qev = _mm256_loadu_si256(
                            reinterpret_cast<const __m256i *>(qh));
                        const __m256i qov = _mm256_loadu_si256(
                            reinterpret_cast<const __m256i *>(qh + 32));
                        const __m256i p16
                            = _mm256_add_epi16(_mm256_maddubs_epi16(al[ch],
                                                                    _mm256_sign_epi8(qev, kl[ch])),
                                               _mm256_maddubs_epi16(ah[ch],
                                                                    _mm256_sign_epi8(qov, kh[ch])));
                        p32[j] = _mm256_madd_epi16(p16, ones);
                    }
                    // Low half: block 2ch of heads h0..h0+3; high half: block 2ch+1 (exact sums).
                    const __m256i sums = _mm256_hadd_epi32(_mm256_hadd_epi32(p32[0], p32[1]),
                                                           _mm256_hadd_epi32(p32[2], p32[3]));
                    for (int half_b = 0; half_b < 2; ++half_b) {
                        const int b = 2 * ch + half_b;
                        const __m256d blk_d = _mm256_cvtepi32_pd(
                            half_b ? _mm256_extracti128_si256(sums, 1)
                                   : _mm256_castsi256_si128(sums));
                        const __m256d scale = _mm256_mul_pd(_mm256_loadu_pd(
                                                                qst + std::size_t(b) * heads + h0),
                                                            _mm256_set1_pd(ks[b]));
                        // An exact product: the FMA equals the scalar multiply-then-add.
                        dot = _mm256_fmadd_pd(blk_d, scale, dot);
                    }
                }
                _mm256_storeu_pd(dots + h0, dot);
            }
            for (int h = h0; h < heads; ++h) {
                const std::int8_t *qh = qe + std::size_t(h) * dim;
#pragma GCC unroll 8
                for (int ch = 0; ch < C; ++ch) {
                    const __m256i qev = _mm256_loadu_si256(
                        reinterpret_cast<const __m256i *>(qh + ch * 64));
                    const __m256i qov = _mm256_loadu_si256(
                        reinterpret_cast<const __m256i *>(qh + ch * 64 + 32));
                    const __m256i p16
                        = _mm256_add_epi16(_mm256_maddubs_epi16(al[ch],
                                                                _mm256_sign_epi8(qev, kl[ch])),
                                           _mm256_maddubs_epi16(ah[ch],
                                                                _mm256_sign_epi8(qov, kh[ch])));
                    const __m256i p32 = _mm256_madd_epi16(p16, ones);
                    // Lanes 0-3: block 2ch (key bytes 0-15), lanes 4-7: block 2ch+1.
                    const __m256i s1 = _mm256_hadd_epi32(p32, p32);
                    const __m256i s2 = _mm256_hadd_epi32(s1, s1);
                    blk[2 * ch] = _mm256_cvtsi256_si32(s2);
                    blk[2 * ch + 1] = _mm256_extract_epi32(s2, 4);
                }
                const double *qsh = qs + std::size_t(h) * nblk;
                double dot = 0;
                for (int b = 0; b < nblk; ++b)
                    dot += double(blk[b]) * (qsh[b] * ks[b]);
                dots[h] = dot;
            }
            // Per head bf16(max(bf16(dot), 0) * hw), eight heads per vector (std::max(x, 0) =
            // x < 0 ? 0 : x = max_ps(0, x), NaN kept), then the FP32 sum in head order.
            int h8 = 0;
            for (; h8 + 8 <= heads; h8 += 8) {
                const __m256 d = _mm256_set_m128(_mm256_cvtpd_ps(_mm256_loadu_pd(dots + h8 + 4)),
                                                 _mm256_cvtpd_ps(_mm256_loadu_pd(dots + h8)));
                const __m256 relu = _mm256_max_ps(_mm256_setzero_ps(), round_bf16_8(d));
                _mm256_storeu_ps(terms + h8,
                                 round_bf16_8(_mm256_mul_ps(relu, _mm256_loadu_ps(hw + h8))));
            }
            for (int h = h8; h < heads; ++h) {
                const float s = std::max(round_bf16(float(dots[h])), 0.0f);
                terms[h] = round_bf16(s * hw[h]);
            }
            float acc = 0.0f;
            for (int h = 0; h < heads; ++h)
                acc += terms[h];
            score[t] = round_bf16(acc);
        }
    };
    switch (chunks) {
    case 1:
        run(std::integral_constant<int, 1>{});
        break;
    case 2:
        run(std::integral_constant<int, 2>{});
        break;
    case 3:
        run(std::integral_constant<int, 3>{});
        break;
    case 4:
        run(std::integral_constant<int, 4>{});
        break;
    case 5:
        run(std::integral_constant<int, 5>{});
        break;
    case 6:
        run(std::integral_constant<int, 6>{});
        break;
    case 7:
        run(std::integral_constant<int, 7>{});
        break;
    default:
        run(std::integral_constant<int, 8>{});
        break;
    }
}

// ---- RMSNorm -------------------------------------------------------------------------------------
void rms_norm_bf16_avx2(const float *x, int m, int d, const float *weight, float eps, float *y)
{
    for (int i = 0; i < m; ++i) {
        const float *xi = x + std::size_t(i) * d;
        float *yi = y + std::size_t(i) * d;
        // Squares in FP32, summed in double: lane-split order, identical to the sequential double
        // sum whenever that sum is exact (BF16 inputs: always unless their exponents span > ~2^28).
        __m256d s0 = _mm256_setzero_pd(), s1 = s0;
        int j = 0;
        for (; j + 8 <= d; j += 8) {
            const __m256 v = _mm256_loadu_ps(xi + j);
            const __m256 sq = _mm256_mul_ps(v, v);
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(sq)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(sq, 1)));
        }
        double lanes[4];
        _mm256_storeu_pd(lanes, _mm256_add_pd(s0, s1));
        double ss = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; j < d; ++j) {
            const float sq = xi[j] * xi[j];
            ss += sq;
        }
        const float r = rsqrt_f32(float(ss) / float(d) + eps);
        const __m256 rv = _mm256_set1_ps(r);
        j = 0;
        for (; j + 8 <= d; j += 8) {
            __m256 nv = _mm256_mul_ps(_mm256_loadu_ps(xi + j), rv);
            if (weight)
                nv = _mm256_mul_ps(_mm256_loadu_ps(weight + j), nv);
            _mm256_storeu_ps(yi + j, round_bf16_8(nv));
        }
        for (; j < d; ++j) {
            const float nv = xi[j] * r;
            yi[j] = round_bf16(weight ? weight[j] * nv : nv);
        }
    }
}

// ---- mHC -----------------------------------------------------------------------------------------
void hc_post_token_avx2(const float *x, const float *residual, const float *post, const float *comb,
                        int hc, int dim, float *out)
{
    for (int k = 0; k < hc; ++k) {
        const __m256 pk = _mm256_set1_ps(post[k]);
        int d = 0;
        for (; d + 8 <= dim; d += 8) {
            __m256 acc = _mm256_mul_ps(_mm256_set1_ps(comb[k]), _mm256_loadu_ps(residual + d));
            for (int j = 1; j < hc; ++j)
                acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(comb[j * hc + k]),
                                                       _mm256_loadu_ps(
                                                           residual + std::size_t(j) * dim + d)));
            const __m256 v = _mm256_add_ps(_mm256_mul_ps(pk, _mm256_loadu_ps(x + d)), acc);
            _mm256_storeu_ps(out + std::size_t(k) * dim + d, round_bf16_8(v));
        }
        for (; d < dim; ++d) {
            float acc = comb[k] * residual[d];
            for (int j = 1; j < hc; ++j)
                acc += comb[j * hc + k] * residual[std::size_t(j) * dim + d];
            out[std::size_t(k) * dim + d] = round_bf16(post[k] * x[d] + acc);
        }
    }
}

void hc_collapse_token_avx2(const float *x, const float *pre, int hc, int dim, float *y)
{
    int d = 0;
    for (; d + 8 <= dim; d += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_set1_ps(pre[0]), _mm256_loadu_ps(x + d));
        for (int j = 1; j < hc; ++j)
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_set1_ps(pre[j]),
                                                   _mm256_loadu_ps(x + std::size_t(j) * dim + d)));
        _mm256_storeu_ps(y + d, round_bf16_8(acc));
    }
    for (; d < dim; ++d) {
        float acc = pre[0] * x[d];
        for (int j = 1; j < hc; ++j)
            acc += pre[j] * x[std::size_t(j) * dim + d];
        y[d] = round_bf16(acc);
    }
}

// ---- RoPE ---------------------------------------------------------------------------------------
// Four (even, odd) pairs per vector: with c and s duplicated into both lanes of a pair and the
// pair swapped, addsub gives ac - bs in the even lane and bc + as in the odd one, each product
// rounded to FP32 as in the scalar code; then BF16.
void rope_cs_avx2(float *x, const float *cs, int half, bool inverse)
{
    const __m256 flip = inverse ? _mm256_set1_ps(-0.0f) : _mm256_setzero_ps();
    int i = 0;
    for (; i + 4 <= half; i += 4) {
        const __m256 v = _mm256_loadu_ps(x + 2 * i);                 // [a0 b0 a1 b1 ...]
        const __m256 t = _mm256_loadu_ps(cs + 2 * i);                // [c0 s0 c1 s1 ...]
        const __m256 c = _mm256_moveldup_ps(t);                      // [c0 c0 c1 c1 ...]
        const __m256 s = _mm256_xor_ps(_mm256_movehdup_ps(t), flip); // [s0 s0 ...], negated
        const __m256 swapped = _mm256_permute_ps(v, 0xB1);           // [b0 a0 b1 a1 ...]
        const __m256 r = _mm256_addsub_ps(_mm256_mul_ps(v, c), _mm256_mul_ps(swapped, s));
        _mm256_storeu_ps(x + 2 * i, round_bf16_8(r));
    }
    if (i < half)
        rope_cs_scalar(x + 2 * i, cs + 2 * i, half - i, inverse);
}

} // namespace folio::simd::detail
