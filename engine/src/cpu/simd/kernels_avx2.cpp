// The AVX2+FMA+F16C entry points of cpu/simd/kernels.h: the FP8 activation quantise/dequantise
// step, the weight-segment decoder shared by the GEMM panels and the tests, and the choice
// between the streaming GEMV (decode, a few rows) and the panel GEMM (prefill).
// Compiled with -mavx2 -mfma -mf16c (simd.cmake); entered only after the dispatcher's CPU check.
#include "cpu/simd/kernels_avx2.h"
#include "cpu/simd/decode_avx2.h"
#include "cpu/simd/kernels.h"
#include "quant.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>

namespace folio::simd {

namespace avx2 {

namespace {

constexpr int kFp8Block = 128;
constexpr int kFp4Block = 32;

struct E8m0Table
{
    float v[256];
    E8m0Table()
    {
        for (int i = 0; i < 256; ++i)
            v[i] = e8m0_decode(std::uint8_t(i));
    }
};

// Rounds 8 floats (already clamped to [-448, 448], or NaN) to the nearest E4M3 value, ties to
// even, exactly as e4m3_encode + e4m3_decode do. Normal binades: round the FP32 significand to 3
// bits by integer add-and-mask (a carry moves into the exponent, as the encoder's q == 16 case).
// Below 2^-6 the E4M3 grid is the subnormal one, multiples of 2^-9: adding 2^14 (whose FP32 ulp is
// 2^-9) rounds to that grid in the FPU, ties to even. NaN keeps a NaN pattern through both.
inline __m256 round_e4m3(__m256 v)
{
    const __m256 sign_mask = _mm256_castsi256_ps(_mm256_set1_epi32(int(0x80000000u)));
    const __m256 mag = _mm256_andnot_ps(sign_mask, v);
    const __m256 sign = _mm256_and_ps(sign_mask, v);
    const __m256i bits = _mm256_castps_si256(mag);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 20), _mm256_set1_epi32(1));
    const __m256i rounded
        = _mm256_and_si256(_mm256_add_epi32(bits, _mm256_add_epi32(_mm256_set1_epi32(0x7ffff), lsb)),
                           _mm256_set1_epi32(int(0xfff00000u)));
    const __m256 magic = _mm256_set1_ps(16384.0f);
    const __m256 sub = _mm256_sub_ps(_mm256_add_ps(mag, magic), magic);
    const __m256 is_sub = _mm256_cmp_ps(mag, _mm256_set1_ps(1.0f / 64.0f), _CMP_LT_OQ);
    const __m256 r = _mm256_blendv_ps(_mm256_castsi256_ps(rounded), sub, is_sub);
    return _mm256_or_ps(r, sign);
}

// One 128-value block: a = dequantised values, returns the block scale.
float act_dequant_block(const float *x, float *a)
{
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < kFp8Block; i += 8)
        // Operand order: max_ps returns its second operand when either is NaN, so a NaN input is
        // skipped, as std::max(amax, |x|) skips it in act_quant_row.
        amax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + i), abs_mask), amax);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    const float s = fp8_block_scale(_mm_cvtss_f32(m4));
    // x / s == x * (1 / s) bit for bit: s is a power of two in the normal range (or infinity,
    // where both give 0 or NaN alike).
    const __m256 inv = _mm256_set1_ps(1.0f / s), scale = _mm256_set1_ps(s);
    const __m256 hi = _mm256_set1_ps(kFp8Max), lo = _mm256_set1_ps(-kFp8Max);
    for (int i = 0; i < kFp8Block; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), inv);
        // std::clamp(v, -448, 448) with NaN passing through (min/max return v when it is NaN).
        v = _mm256_max_ps(lo, _mm256_min_ps(hi, v));
        _mm256_storeu_ps(a + i, _mm256_mul_ps(round_e4m3(v), scale));
    }
    return s;
}

} // namespace

const float *e8m0_table()
{
    static const E8m0Table t;
    return t.v;
}

void decode_row_segment(const LinearWeight &w, int row, int k0, int count, int padded, float *dst)
{
    const int K = w.in;
    const float *e8m0 = e8m0_table();
    switch (w.kind) {
    case WeightKind::FP8: {
        const std::uint8_t *p = w.data + std::size_t(row) * K + k0;
        const std::uint8_t *sc = w.scale + std::size_t(row / kFp8Block) * ((K + 127) / kFp8Block);
        __m256i nan = _mm256_setzero_si256();
        for (int k = 0; k < count; k += 32) {
            // 2^8: the decoder's FP16 values are E4M3 x 2^-8; the product is exact.
            const __m256 s = _mm256_set1_ps(e8m0[sc[(k0 + k) / kFp8Block]] * kE4m3Fp16Factor);
            const __m256i b = load32(p + k);
            nan = e4m3_nan_bytes(nan, b);
            __m256 v[4];
            e4m3x32(b, v);
#pragma GCC unroll 8
            for (int j = 0; j < 4; ++j)
                _mm256_storeu_ps(dst + k + 8 * j, _mm256_mul_ps(v[j], s));
        }
        if (has_e4m3_nan(nan)) // rare: patch the NaN codes in
            for (int k = 0; k < count; ++k)
                if ((p[k] & 0x7f) == 0x7f)
                    dst[k] = std::nanf("");
        break;
    }
    case WeightKind::FP4: {
        const std::uint8_t *p = w.data + std::size_t(row) * (K / 2) + k0 / 2;
        const std::uint8_t *sc = w.scale + std::size_t(row) * (K / kFp4Block) + k0 / kFp4Block;
        int k = 0;
        for (; k + 64 <= count; k += 64) {
            __m256 v[8];
            e2m1x64(load32(p + k / 2), v);
            const __m256 s0 = _mm256_set1_ps(e8m0[sc[k / kFp4Block]]);
            const __m256 s1 = _mm256_set1_ps(e8m0[sc[k / kFp4Block + 1]]);
#pragma GCC unroll 8
            for (int j = 0; j < 4; ++j) {
                _mm256_storeu_ps(dst + k + 8 * j, _mm256_mul_ps(v[j], s0));
                _mm256_storeu_ps(dst + k + 32 + 8 * j, _mm256_mul_ps(v[4 + j], s1));
            }
        }
        if (k < count) {
            __m256 v[4];
            e2m1x32(p + k / 2, v);
            const __m256 s0 = _mm256_set1_ps(e8m0[sc[k / kFp4Block]]);
#pragma GCC unroll 8
            for (int j = 0; j < 4; ++j)
                _mm256_storeu_ps(dst + k + 8 * j, _mm256_mul_ps(v[j], s0));
        }
        break;
    }
    case WeightKind::BF16: {
        const std::uint8_t *p = w.data + (std::size_t(row) * K + k0) * 2;
        int k = 0;
        for (; k + 8 <= count; k += 8)
            _mm256_storeu_ps(dst + k, bf16x8(p + 2 * k));
        for (; k < count; ++k) {
            std::uint16_t b;
            std::memcpy(&b, p + 2 * k, 2);
            dst[k] = bf16_to_f32(b);
        }
        break;
    }
    case WeightKind::F32:
        std::memcpy(dst, w.data + (std::size_t(row) * K + k0) * 4, std::size_t(count) * 4);
        break;
    }
    for (int k = count; k < padded; ++k)
        dst[k] = 0.0f;
}

} // namespace avx2

void act_dequant_rows(const float *x, int m, int k, float *a, float *s)
{
    for (std::size_t i = 0; i < std::size_t(m) * std::size_t(k); i += avx2::kFp8Block)
        s[i / avx2::kFp8Block] = avx2::act_dequant_block(x + i, a + i);
}

void linear_cols_fast(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    if (n1 <= n0 || m <= 0)
        return;
    // A few rows (decode): stream each weight row once, decoding in registers. More rows
    // (prefill): decode K-panels once per thread and reuse them across all rows.
    if (m <= avx2::kGemvMaxRows)
        avx2::gemv_cols(a, m, w, n0, n1, y);
    else
        avx2::gemm_cols(a, m, w, n0, n1, y);
}

void round_bf16_cols(float *y, int m, int ld, int n0, int n1)
{
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1);
    const __m256i hi_mask = _mm256_set1_epi32(int(0xffff0000u)),
                  quiet = _mm256_set1_epi32(0x400000);
    for (int i = 0; i < m; ++i) {
        float *row = y + std::size_t(i) * ld;
        int n = n0;
        for (; n + 8 <= n1; n += 8) {
            const __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(row + n));
            // f32_to_bf16: add 0x7fff plus the lowest kept bit, truncate; NaN: set the quiet bit.
            const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
            const __m256i r = _mm256_and_si256(_mm256_add_epi32(u, _mm256_add_epi32(bias, lsb)),
                                               hi_mask);
            const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
            const __m256i q = _mm256_and_si256(_mm256_or_si256(u, quiet), hi_mask);
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(row + n), _mm256_blendv_epi8(r, q, nan));
        }
        for (; n < n1; ++n)
            row[n] = round_bf16(row[n]);
    }
}

void linear_cols_fast_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    if (n1 <= n0 || m <= 0)
        return;
    if (m <= avx2::kGemvMaxRows)
        avx2::gemv_cols_f64(a, m, w, n0, n1, y);
    else
        avx2::gemm_cols_f64(a, m, w, n0, n1, y);
}

void decode_weight_fast(const LinearWeight &w, int row, int k0, int count, float *dst)
{
    avx2::decode_row_segment(w, row, k0, count, count, dst);
}

} // namespace folio::simd
