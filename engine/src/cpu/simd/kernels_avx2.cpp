// The AVX2+FMA kernels of cpu/simd/kernels.h. This file alone is compiled with -mavx2 -mfma
// (simd.cmake); it is only entered after the dispatcher has checked the CPU supports both.
//
// Layout of the work: activations are converted once per call to double (a per-thread buffer
// that grows and is then reused, so the decode path does not allocate per token); for each weight
// row, 8 weights at a time are decoded in registers straight from the mapped bytes and multiplied
// into up to 4 activation rows at once (double FMA, 2 accumulators per row), so each decoded
// weight vector serves 4 rows.
//
// Exactness: in the FP8/FP4 kernels every partial sum inside one K block is exact in double
// (products are multiples of 2^-18 below 2^25), so the FMA order here cannot differ from the
// scalar reference; the per-block FP32 steps are the reference's, in the same order.
#include "cpu/simd/kernels.h"

#include "quant.h"

#include <immintrin.h>

#include <cstring>
#include <vector>

namespace folio::simd::detail {

namespace {

constexpr int kFp8Block = 128;
constexpr int kFp4Block = 32;
constexpr int kRows = 4; // activation rows per register tile

// E8M0 byte -> scale, from quant.h's e8m0_decode once at start-up: a table lookup instead of an
// out-of-line call per K block (one per 32 weights in FP4).
struct E8m0Table
{
    float v[256];
    E8m0Table()
    {
        for (int i = 0; i < 256; ++i)
            v[i] = e8m0_decode(std::uint8_t(i));
    }
};

inline const float *e8m0_table()
{
    static const E8m0Table t;
    return t.v;
}

// 8 E4M3 codes -> 8 floats, exact. Normal codes: the 7 magnitude bits shifted into an FP32
// exponent/mantissa position with the exponent rebased (bias 7 -> 127); subnormal codes (exponent
// field 0) are m * 2^-9 built through an integer conversion (no FP32 denormals involved); 0x7F /
// 0xFF are NaN as in e4m3_decode.
inline __m256 decode_e4m3x8(const std::uint8_t *p)
{
    const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
    const __m256i mag = _mm256_and_si256(b, _mm256_set1_epi32(0x7f));
    const __m256i sign = _mm256_slli_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x80)), 24);
    const __m256i normal_bits = _mm256_add_epi32(_mm256_slli_epi32(mag, 20),
                                                 _mm256_set1_epi32(120 << 23));
    const __m256 sub = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(mag, _mm256_set1_epi32(7))),
                                     _mm256_set1_ps(1.0f / 512.0f));
    const __m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(8), mag);
    __m256 v = _mm256_blendv_ps(_mm256_castsi256_ps(normal_bits), sub, _mm256_castsi256_ps(is_sub));
    v = _mm256_or_ps(v, _mm256_castsi256_ps(sign));
    const __m256i is_nan = _mm256_cmpeq_epi32(mag, _mm256_set1_epi32(0x7f));
    return _mm256_blendv_ps(v, _mm256_set1_ps(__builtin_nanf("")), _mm256_castsi256_ps(is_nan));
}

// 8 E2M1 codes packed in 4 bytes (element 2j = low nibble of byte j) -> 8 floats, exact: a byte
// shuffle maps each code to twice its value as int8, then convert and halve.
inline __m256 decode_e2m1x8(const std::uint8_t *p)
{
    std::int32_t word;
    std::memcpy(&word, p, 4);
    const __m128i b = _mm_cvtsi32_si128(word);
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(b, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
    const __m128i codes = _mm_unpacklo_epi8(lo, hi);
    const __m128i table = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    const __m128i twice = _mm_shuffle_epi8(table, codes);
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(twice)), _mm256_set1_ps(0.5f));
}

// 8 BF16 values -> 8 floats.
inline __m256 load_bf16x8(const std::uint8_t *p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

inline double hsum(__m256d a, __m256d b)
{
    const __m256d s = _mm256_add_pd(a, b);
    const __m128d t = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}

// Converts m rows of k floats to doubles in a per-thread buffer reused across calls.
const double *to_double(const float *x, std::size_t count)
{
    thread_local std::vector<double> buf;
    if (buf.size() < count)
        buf.resize(count);
    std::size_t i = 0;
    for (; i + 4 <= count; i += 4)
        _mm256_storeu_pd(buf.data() + i, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
    for (; i < count; ++i)
        buf[i] = double(x[i]);
    return buf.data();
}

// One weight row n against R activation rows (R <= kRows): y[r * N + n] for r < R.
template<int R, bool Fp4>
void quant_row(const double *qd, const float *sa, int K, int N, const LinearWeight &w, int n,
               float *y)
{
    const int wblock = Fp4 ? kFp4Block : kFp8Block;
    const int tiles_in = K / kFp8Block;
    const std::uint8_t *row = Fp4 ? w.data + std::size_t(n) * (K / 2) : w.data + std::size_t(n) * K;
    const float *e8m0 = e8m0_table();
    float acc[R];
    for (int r = 0; r < R; ++r)
        acc[r] = 0.0f;
    for (int b = 0; b < K / wblock; ++b) {
        __m256d d0[R], d1[R];
        for (int r = 0; r < R; ++r)
            d0[r] = d1[r] = _mm256_setzero_pd();
        for (int k = b * wblock; k < (b + 1) * wblock; k += 8) {
            const __m256 wv = Fp4 ? decode_e2m1x8(row + k / 2) : decode_e4m3x8(row + k);
            const __m256d wlo = _mm256_cvtps_pd(_mm256_castps256_ps128(wv));
            const __m256d whi = _mm256_cvtps_pd(_mm256_extractf128_ps(wv, 1));
            for (int r = 0; r < R; ++r) {
                const double *q = qd + std::size_t(r) * K + k;
                d0[r] = _mm256_fmadd_pd(_mm256_loadu_pd(q), wlo, d0[r]);
                d1[r] = _mm256_fmadd_pd(_mm256_loadu_pd(q + 4), whi, d1[r]);
            }
        }
        if (Fp4) {
            const float ws = e8m0[w.scale[std::size_t(n) * (K / kFp4Block) + b]];
            for (int r = 0; r < R; ++r) {
                const float s = sa[std::size_t(r) * tiles_in + (b * wblock) / kFp8Block];
                acc[r] += float(hsum(d0[r], d1[r])) * s * ws;
            }
        } else {
            const float ws = e8m0[w.scale[std::size_t(n / kFp8Block) * tiles_in + b]];
            for (int r = 0; r < R; ++r)
                acc[r] += float(hsum(d0[r], d1[r])) * (sa[std::size_t(r) * tiles_in + b] * ws);
        }
    }
    for (int r = 0; r < R; ++r)
        y[std::size_t(r) * N + n] = acc[r];
}

template<bool Fp4>
void quant_cols(const double *qd, const float *sa, int m, const LinearWeight &w, int n0, int n1,
                float *y)
{
    const int K = w.in, N = w.out, tiles_in = K / kFp8Block;
    for (int n = n0; n < n1; ++n) {
        int i = 0;
        for (; i + kRows <= m; i += kRows)
            quant_row<kRows, Fp4>(qd + std::size_t(i) * K, sa + std::size_t(i) * tiles_in, K, N, w,
                                  n, y + std::size_t(i) * N);
        const double *q = qd + std::size_t(i) * K;
        const float *s = sa + std::size_t(i) * tiles_in;
        float *yi = y + std::size_t(i) * N;
        switch (m - i) {
        case 3:
            quant_row<3, Fp4>(q, s, K, N, w, n, yi);
            break;
        case 2:
            quant_row<2, Fp4>(q, s, K, N, w, n, yi);
            break;
        case 1:
            quant_row<1, Fp4>(q, s, K, N, w, n, yi);
            break;
        default:
            break;
        }
    }
}

template<int R, bool Bf16>
void dense_row(const double *xd, const float *x, int K, int N, const LinearWeight &w, int n,
               float *y)
{
    const std::uint8_t *row = w.data + std::size_t(n) * K * (Bf16 ? 2 : 4);
    __m256d d0[R], d1[R];
    for (int r = 0; r < R; ++r)
        d0[r] = d1[r] = _mm256_setzero_pd();
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        const __m256 wv = Bf16 ? load_bf16x8(row + 2 * k)
                               : _mm256_loadu_ps(reinterpret_cast<const float *>(row + 4 * k));
        const __m256d wlo = _mm256_cvtps_pd(_mm256_castps256_ps128(wv));
        const __m256d whi = _mm256_cvtps_pd(_mm256_extractf128_ps(wv, 1));
        for (int r = 0; r < R; ++r) {
            const double *xr = xd + std::size_t(r) * K + k;
            d0[r] = _mm256_fmadd_pd(_mm256_loadu_pd(xr), wlo, d0[r]);
            d1[r] = _mm256_fmadd_pd(_mm256_loadu_pd(xr + 4), whi, d1[r]);
        }
    }
    for (int r = 0; r < R; ++r) {
        double acc = hsum(d0[r], d1[r]);
        for (int kk = k; kk < K; ++kk) {
            float v;
            if (Bf16) {
                std::uint16_t b;
                std::memcpy(&b, row + 2 * kk, 2);
                v = bf16_to_f32(b);
            } else {
                std::memcpy(&v, row + 4 * kk, 4);
            }
            acc += double(x[std::size_t(r) * K + kk]) * double(v);
        }
        y[std::size_t(r) * N + n] = float(acc);
    }
}

template<bool Bf16>
void dense_cols(const double *xd, const float *x, int m, const LinearWeight &w, int n0, int n1,
                float *y)
{
    const int K = w.in, N = w.out;
    for (int n = n0; n < n1; ++n) {
        int i = 0;
        for (; i + kRows <= m; i += kRows)
            dense_row<kRows, Bf16>(xd + std::size_t(i) * K, x + std::size_t(i) * K, K, N, w, n,
                                   y + std::size_t(i) * N);
        const double *xdi = xd + std::size_t(i) * K;
        const float *xi = x + std::size_t(i) * K;
        float *yi = y + std::size_t(i) * N;
        switch (m - i) {
        case 3:
            dense_row<3, Bf16>(xdi, xi, K, N, w, n, yi);
            break;
        case 2:
            dense_row<2, Bf16>(xdi, xi, K, N, w, n, yi);
            break;
        case 1:
            dense_row<1, Bf16>(xdi, xi, K, N, w, n, yi);
            break;
        default:
            break;
        }
    }
}

} // namespace

void quant_linear_cols_avx2(const float *qa, const float *sa, int m, const LinearWeight &w, int n0,
                            int n1, float *y)
{
    const double *qd = to_double(qa, std::size_t(m) * w.in);
    if (w.kind == WeightKind::FP4)
        quant_cols<true>(qd, sa, m, w, n0, n1, y);
    else
        quant_cols<false>(qd, sa, m, w, n0, n1, y);
}

void dense_linear_cols_avx2(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const double *xd = to_double(x, std::size_t(m) * w.in);
    if (w.kind == WeightKind::BF16)
        dense_cols<true>(xd, x, m, w, n0, n1, y);
    else
        dense_cols<false>(xd, x, m, w, n0, n1, y);
}

} // namespace folio::simd::detail
