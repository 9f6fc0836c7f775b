// AVX2+FMA kernels whose reference calls exp: the MoE SwiGLU (silu) and the compressor's
// softmax-gated pooling (ops_kernels.h). Compiled with -mavx2 -mfma (ops.cmake), entered only
// after the run-time ISA check.
//
// Why these are bit-identical to the scalar references although no vector exp is correctly
// rounded: the references evaluate exp (and silu) in double and round once to FP32
// (cpu/math.h). Here the same double expression is evaluated with a vector exp accurate to a few
// double ulps (exp_pd; its error is tested), so the two double values differ by a few ulps at
// most, and rounding them to FP32 gives the same float unless an FP32 rounding midpoint lies
// between them. Each lane whose double result is within kMidUlps double ulps of such a midpoint
// (about 1 in 2^18 lanes), or whose float result would be subnormal, infinite or NaN, is
// recomputed by the scalar reference itself. Everything after the exp — FP32 products, sums and
// divisions in the reference's order, the BF16 rounding — is lane-wise and exact to mirror.
#include "cpu/simd/ops_kernels.h"

#include "cpu/math.h"
#include "cpu/simd/ops_avx2.h"
#include "cpu/workspace.h"

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace folio::simd::detail {

namespace {

// silu(d) = d / (1 + exp(-d)) in double for 4 lanes; `risky` gets the lanes for the scalar path
// (d <= -80 or NaN: the float result is subnormal or the exp overflows; plus risky_pd).
inline __m256d silu_pd(__m256d d, int &risky)
{
    const __m256d x = _mm256_sub_pd(_mm256_setzero_pd(), d); // -d
    // exp(x) for x < -40 is below 2^-57: 1 + exp(x) rounds to 1 in double, as 1 + 0 does.
    const __m256d tiny = _mm256_cmp_pd(x, _mm256_set1_pd(-40.0), _CMP_LT_OQ);
    const __m256d xc = _mm256_min_pd(_mm256_max_pd(x, _mm256_set1_pd(-40.0)), _mm256_set1_pd(80.0));
    const __m256d e = _mm256_andnot_pd(tiny, exp_pd(xc));
    const __m256d r = _mm256_div_pd(d, _mm256_add_pd(_mm256_set1_pd(1.0), e));
    const __m256d ok = _mm256_cmp_pd(d, _mm256_set1_pd(-80.0), _CMP_GT_OQ);
    risky = risky_pd(r) | (_mm256_movemask_pd(ok) ^ 0xf);
    return r;
}

} // namespace

void exp_f64_avx2(const double *x, double *y, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(y + i, exp_pd(_mm256_loadu_pd(x + i)));
    if (i < n) {
        double xt[4] = {0, 0, 0, 0}, yt[4];
        std::memcpy(xt, x + i, sizeof(double) * std::size_t(n - i));
        _mm256_storeu_pd(yt, exp_pd(_mm256_loadu_pd(xt)));
        std::memcpy(y + i, yt, sizeof(double) * std::size_t(n - i));
    }
}

void swiglu_bf16_avx2(const float *gate, const float *up, int n, const float *weight, float limit,
                      float *out)
{
    const __m256 hi = _mm256_set1_ps(limit), lo = _mm256_set1_ps(-limit);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i), u = _mm256_loadu_ps(up + i);
        if (limit > 0) {
            // std::clamp(u, -L, L) = u < -L ? -L : (L < u ? L : u) and std::min(g, L) =
            // L < g ? L : g, NaN lanes included: max_ps(a, b) = a > b ? a : b, min_ps(a, b) =
            // a < b ? a : b.
            u = _mm256_min_ps(hi, _mm256_max_ps(lo, u));
            g = _mm256_min_ps(hi, g);
        }
        int r0, r1;
        const __m256d s0 = silu_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(g)), r0);
        const __m256d s1 = silu_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(g, 1)), r1);
        const __m256 s = _mm256_set_m128(_mm256_cvtpd_ps(s1), _mm256_cvtpd_ps(s0));
        __m256 t = _mm256_mul_ps(s, u);
        if (weight)
            t = _mm256_mul_ps(_mm256_set1_ps(*weight), t);
        const int risky = r0 | (r1 << 4);
        if (!risky) {
            _mm256_storeu_ps(out + i, round_bf16_8(t));
            continue;
        }
        // Rare: the risky lanes from the scalar reference (before the store: out may alias gate).
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, round_bf16_8(t));
        for (int j = 0; j < 8; ++j)
            if (risky & (1 << j))
                swiglu_bf16_scalar(gate + i + j, up + i + j, 1, weight, limit, tmp + j);
        std::memcpy(out + i, tmp, sizeof(tmp));
    }
    if (i < n)
        swiglu_bf16_scalar(gate + i, up + i, n - i, weight, limit, out + i);
}

// Eight channels per vector; per lane the scalar reference's steps in its order (max over the
// slots, exp, FP32 sum in slot order, division, product, FP32 sum in slot order).
void compressor_pool_avx2(const float *kv, const float *score, int width, int n_slots, int split,
                          int c, float *out)
{
    Scratch::Frame f;
    float *slot_w = f.alloc<float>(std::size_t(n_slots) * 8); // [n_slots][8] the lanes' weights
    auto row = [&](const float *buf, int s, int ch) {
        return buf + std::size_t(s) * width + (s >= split ? c : 0) + ch;
    };
    int ch = 0;
    for (; ch + 8 <= c; ch += 8) {
        __m256 mx = _mm256_loadu_ps(row(score, 0, ch));
        for (int s = 1; s < n_slots; ++s) // std::max(mx, v) = mx < v ? v : mx = max_ps(v, mx)
            mx = _mm256_max_ps(_mm256_loadu_ps(row(score, s, ch)), mx);
        __m256 sum = _mm256_setzero_ps();
        for (int s = 0; s < n_slots; ++s) {
            const __m256 x = _mm256_sub_ps(_mm256_loadu_ps(row(score, s, ch)), mx);
            int risky;
            __m256 w = exp_f32_8(x, risky);
            if (risky) { // rare: those lanes from the scalar exp itself
                alignas(32) float xs[8], ws[8];
                _mm256_store_ps(xs, x);
                _mm256_store_ps(ws, w);
                for (int j = 0; j < 8; ++j)
                    if (risky & (1 << j))
                        ws[j] = exp_f32(xs[j]);
                w = _mm256_load_ps(ws);
            }
            _mm256_store_ps(slot_w + std::size_t(s) * 8, w);
            sum = _mm256_add_ps(sum, w);
        }
        __m256 acc = _mm256_setzero_ps();
        for (int s = 0; s < n_slots; ++s) {
            const __m256 w = _mm256_div_ps(_mm256_load_ps(slot_w + std::size_t(s) * 8), sum);
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(row(kv, s, ch)), w));
        }
        _mm256_storeu_ps(out + ch, round_bf16_8(acc));
    }
    if (ch < c)
        compressor_pool_scalar(kv, score, width, n_slots, split, c, ch, c, out);
}

} // namespace folio::simd::detail
