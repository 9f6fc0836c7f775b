// Helpers shared by the AVX2 op-kernel files (ops_avx2.cpp, ops_avx2_exp.cpp): the BF16 rounding
// and the vector exp whose results are checked against FP32 rounding midpoints (see
// ops_avx2_exp.cpp for why that makes the kernels bit-identical to their scalar references).
// Include only from files compiled with -mavx2 -mfma (ops.cmake).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace folio::simd::detail {

// quant.h's round_bf16 on 8 lanes: RNE on the bit pattern, NaN kept quiet.
inline __m256 round_bf16_8(__m256 v)
{
    const __m256i u = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb);
    const __m256i hi = _mm256_set1_epi32(int(0xffff0000u));
    const __m256i abs = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
    const __m256i nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
    const __m256i quiet = _mm256_or_si256(u, _mm256_set1_epi32(0x00400000));
    return _mm256_castsi256_ps(_mm256_and_si256(_mm256_blendv_epi8(rounded, quiet, nan), hi));
}

// Distance (in double ulps) from an FP32 rounding midpoint below which a lane takes the scalar
// path. The vector results differ from the scalar ones by well under 16 ulps (tested bound for
// exp_pd: 4 ulps; silu adds an addition and a division), so 1024 is a wide margin.
inline constexpr std::int64_t kMidUlps = 1024;

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

} // namespace folio::simd::detail
