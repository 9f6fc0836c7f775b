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

// Distance (in double ulps) from an FP32 rounding midpoint below which a lane takes the scalar
// path. The vector results differ from the scalar ones by well under 16 ulps (tested bound for
// exp_pd: 4 ulps; silu adds an addition and a division), so 1024 is a wide margin.
constexpr std::int64_t kMidUlps = 1024;

// exp(x) for 4 doubles with |x| <= 700: x = k ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2,
// the products exact), exp(r) by its Taylor polynomial to degree 13 (truncation < 2^-60
// relative) in Horner form with FMA, times 2^k built in the exponent bits.
inline __m256d exp_pd(__m256d x)
{
    const __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(6.93147180369123816490e-01), x);
    r = _mm256_fnmadd_pd(k, _mm256_set1_pd(1.90821492927058770002e-10), r);
    // 1/n! for n = 13 .. 1.
    static constexpr double kInvFact[13] = {1.0 / 6227020800.0,
                                            1.0 / 479001600.0,
                                            1.0 / 39916800.0,
                                            1.0 / 3628800.0,
                                            1.0 / 362880.0,
                                            1.0 / 40320.0,
                                            1.0 / 5040.0,
                                            1.0 / 720.0,
                                            1.0 / 120.0,
                                            1.0 / 24.0,
                                            1.0 / 6.0,
                                            1.0 / 2.0,
                                            1.0};
    __m256d p = _mm256_set1_pd(kInvFact[0]);
    for (int i = 1; i < 13; ++i)
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(kInvFact[i]));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    const __m256i ki = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k));
    const __m256i two_k = _mm256_slli_epi64(_mm256_add_epi64(ki, _mm256_set1_epi64x(1023)), 52);
    return _mm256_mul_pd(p, _mm256_castsi256_pd(two_k));
}

// 4-bit lane mask of the doubles whose FP32 rounding a few-ulp error could change: within kMidUlps
// of a midpoint between two floats (low 29 mantissa bits near 2^28), or outside the normal FP32
// range (subnormal floats round at other bit positions; zero, inf and NaN go the scalar way too).
inline int risky_pd(__m256d v)
{
    const __m256i bits = _mm256_castpd_si256(v);
    const __m256i low = _mm256_and_si256(bits, _mm256_set1_epi64x((std::int64_t(1) << 29) - 1));
    const __m256i t = _mm256_sub_epi64(low, _mm256_set1_epi64x((std::int64_t(1) << 28) - kMidUlps));
    const __m256i near = _mm256_and_si256(_mm256_cmpgt_epi64(t, _mm256_set1_epi64x(-1)),
                                          _mm256_cmpgt_epi64(_mm256_set1_epi64x(2 * kMidUlps), t));
    const __m256d a = _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
    const __m256d normal = _mm256_and_pd(_mm256_cmp_pd(a, _mm256_set1_pd(0x1p-126), _CMP_GE_OQ),
                                         _mm256_cmp_pd(a, _mm256_set1_pd(0x1p128), _CMP_LT_OQ));
    return _mm256_movemask_pd(_mm256_castsi256_pd(near)) | (_mm256_movemask_pd(normal) ^ 0xf);
}

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

// exp_f32(x) = float(exp(double(x))) for 8 lanes; `risky` gets the lanes for the scalar path.
// x < -104 gives 0 exactly (exp(x) < 2^-150, which rounds to 0 in FP32; -inf included).
inline __m256 exp_f32_8(__m256 x, int &risky)
{
    const __m256d half[2] = {_mm256_cvtps_pd(_mm256_castps256_ps128(x)),
                             _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))};
    __m128 f[2];
    risky = 0;
    for (int h = 0; h < 2; ++h) {
        const __m256d d = half[h];
        const __m256d zero = _mm256_cmp_pd(d, _mm256_set1_pd(-104.0), _CMP_LT_OQ);
        const __m256d in_range = _mm256_and_pd(_mm256_cmp_pd(d, _mm256_set1_pd(-104.0), _CMP_GE_OQ),
                                               _mm256_cmp_pd(d, _mm256_set1_pd(88.0), _CMP_LE_OQ));
        const __m256d y = _mm256_andnot_pd(zero, exp_pd(_mm256_and_pd(d, in_range)));
        // Lanes that are not zero: risky when the result is near a midpoint or not a normal
        // float, or when x is out of range (NaN, > 88).
        const int z = _mm256_movemask_pd(zero);
        const int lane_risky = (risky_pd(y) | (_mm256_movemask_pd(in_range) ^ 0xf)) & ~z;
        risky |= lane_risky << (4 * h);
        f[h] = _mm256_cvtpd_ps(y);
    }
    return _mm256_set_m128(f[1], f[0]);
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
