// Streaming GEMV of cpu/simd (decode: m <= 4 activation rows). Memory-bound by design: each
// weight row is read once, straight from the mapped release bytes, decoded in registers
// (decode_avx2.h) and FMA'd into all m activation rows at once, with several FP32 accumulators
// per row to cover the FMA latency. Threads split the output columns (weight rows), so each
// thread streams one contiguous stretch of the weight.
//
// Scales: FP8 weights have one E8M0 scale per 128x128 tile, constant along a 128-row stretch of
// one K block, so instead of scaling weights the activations are pre-scaled once per 128 weight
// rows (m x K multiplies per 128 x K weights, exact: powers of two) and the inner loop is decode +
// FMA only. FP4 weights have a scale per 32 weights of a row: each 32-block's partial sum is
// multiplied by its scale (one FMA per 32 weights and row).
#include "cpu/simd/decode_avx2.h"
#include "cpu/simd/kernels_avx2.h"
#include "quant.h"

#include <immintrin.h>

#include <cmath>
#include <cstring>

namespace folio::simd::avx2 {

namespace {

constexpr int kFp8Block = 128;
constexpr int kFp4Block = 32;
constexpr int kPrefetch = 1024; // bytes ahead in the weight stream

// Sums a row's accumulators in a fixed order and reduces the lanes.
template<int A>
float finish(const __m256 (&acc)[A])
{
    __m256 s = acc[0];
#pragma GCC unroll 8
    for (int j = 1; j < A; ++j)
        s = _mm256_add_ps(s, acc[j]);
    return hsum(s);
}

// One FP8 weight row p [K] against R pre-scaled activation rows as [R, K]: y[r * N]. The software
// prefetch a kilobyte ahead measured +25% (FP8) and +10% (FP4, BF16) on this machine: the hardware
// prefetcher alone leaves DRAM latency exposed at this compute rate.
template<int R>
void row_fp8(const float *as, int K, const std::uint8_t *p, float *y, int N)
{
    constexpr int A = R <= 2 ? 4 : 2; // accumulators per activation row
    __m256 acc[R][A];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int j = 0; j < A; ++j)
            acc[r][j] = _mm256_setzero_ps();
    __m256i nan = _mm256_setzero_si256();
    for (int k = 0; k < K; k += 32) {
        _mm_prefetch(reinterpret_cast<const char *>(p + k) + kPrefetch, _MM_HINT_T0);
        const __m256i b = load32(p + k);
        nan = e4m3_nan_bytes(nan, b);
        __m256 v[4];
        e4m3x32(b, v);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
            for (int j = 0; j < 4; ++j)
                acc[r][j % A] = _mm256_fmadd_ps(_mm256_loadu_ps(as + std::size_t(r) * K + k + 8 * j),
                                                v[j], acc[r][j % A]);
    }
    const bool has_nan = has_e4m3_nan(nan);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        y[std::size_t(r) * N] = has_nan ? std::nanf("") : finish(acc[r]);
}

template<int R>
void gemv_fp8(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out, tiles_in = K / kFp8Block;
    const float *e8m0 = e8m0_table();
    thread_local Workspace<float> ws;
    float *as = ws.get(std::size_t(R) * K); // [R, K] activations x tile scales x 2^8
    for (int t = n0 / kFp8Block; t * kFp8Block < n1; ++t) {
        for (int b = 0; b < tiles_in; ++b) {
            const __m256 s = _mm256_set1_ps(e8m0[w.scale[std::size_t(t) * tiles_in + b]]
                                            * kE4m3Fp16Factor);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                for (int k = b * kFp8Block; k < (b + 1) * kFp8Block; k += 8) {
                    const std::size_t i = std::size_t(r) * K + k;
                    _mm256_storeu_ps(as + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), s));
                }
        }
        const int r0 = t * kFp8Block > n0 ? t * kFp8Block : n0;
        const int r1 = (t + 1) * kFp8Block < n1 ? (t + 1) * kFp8Block : n1;
        for (int n = r0; n < r1; ++n)
            row_fp8<R>(as, K, w.data + std::size_t(n) * K, y + n, N);
    }
}

// One FP4 weight row (packed codes p [K/2], scales sc [K/32]) against R activation rows.
template<int R>
void row_fp4(const float *a, int K, const std::uint8_t *p, const std::uint8_t *sc, float *y, int N)
{
    const float *e8m0 = e8m0_table();
    __m256 acc[R][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    // part = sum of one 32-block's 4 products, then acc += part * block scale.
    auto block = [&](const __m256 *v, int k, __m256 s, int slot) {
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const float *ar = a + std::size_t(r) * K + k;
            __m256 part = _mm256_mul_ps(_mm256_loadu_ps(ar), v[0]);
            part = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 8), v[1], part);
            part = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 16), v[2], part);
            part = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 24), v[3], part);
            acc[r][slot] = _mm256_fmadd_ps(part, s, acc[r][slot]);
        }
    };
    int k = 0;
    for (; k + 64 <= K; k += 64) {
        _mm_prefetch(reinterpret_cast<const char *>(p + k / 2) + kPrefetch, _MM_HINT_T0);
        __m256 v[8];
        e2m1x64(load32(p + k / 2), v);
        block(v, k, _mm256_set1_ps(e8m0[sc[k / kFp4Block]]), 0);
        block(v + 4, k + 32, _mm256_set1_ps(e8m0[sc[k / kFp4Block + 1]]), 1);
    }
    if (k < K) {
        __m256 v[4];
        e2m1x32(p + k / 2, v);
        block(v, k, _mm256_set1_ps(e8m0[sc[k / kFp4Block]]), 0);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        y[std::size_t(r) * N] = finish(acc[r]);
}

template<int R>
void gemv_fp4(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    for (int n = n0; n < n1; ++n)
        row_fp4<R>(a, K, w.data + std::size_t(n) * (K / 2),
                   w.scale + std::size_t(n) * (K / kFp4Block), y + n, N);
}

// One BF16 or F32 weight row against R activation rows; any K (scalar tail after the vectors).
template<int R, bool Bf16>
void row_dense(const float *a, int K, const std::uint8_t *p, float *y, int N)
{
    constexpr int A = R <= 2 ? 4 : 2;
    __m256 acc[R][A];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int j = 0; j < A; ++j)
            acc[r][j] = _mm256_setzero_ps();
    auto load_w = [&](int k) {
        return Bf16 ? bf16x8(p + 2 * std::size_t(k))
                    : _mm256_loadu_ps(reinterpret_cast<const float *>(p + 4 * std::size_t(k)));
    };
    int k = 0;
    for (; k + 32 <= K; k += 32) {
        _mm_prefetch(reinterpret_cast<const char *>(p + std::size_t(k) * (Bf16 ? 2 : 4)) + kPrefetch,
                     _MM_HINT_T0);
#pragma GCC unroll 8
        for (int j = 0; j < 4; ++j) {
            const __m256 v = load_w(k + 8 * j);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                acc[r][j % A] = _mm256_fmadd_ps(_mm256_loadu_ps(a + std::size_t(r) * K + k + 8 * j),
                                                v, acc[r][j % A]);
        }
    }
    for (; k + 8 <= K; k += 8) {
        const __m256 v = load_w(k);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            acc[r][0] = _mm256_fmadd_ps(_mm256_loadu_ps(a + std::size_t(r) * K + k), v, acc[r][0]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        float s = finish(acc[r]);
        for (int kk = k; kk < K; ++kk) {
            float v;
            if (Bf16) {
                std::uint16_t b;
                std::memcpy(&b, p + 2 * std::size_t(kk), 2);
                v = bf16_to_f32(b);
            } else {
                std::memcpy(&v, p + 4 * std::size_t(kk), 4);
            }
            s += a[std::size_t(r) * K + kk] * v;
        }
        y[std::size_t(r) * N] = s;
    }
}

template<int R, bool Bf16>
void gemv_dense(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    const std::size_t row_bytes = std::size_t(K) * (Bf16 ? 2 : 4);
    for (int n = n0; n < n1; ++n)
        row_dense<R, Bf16>(a, K, w.data + std::size_t(n) * row_bytes, y + n, N);
}

template<int R>
void gemv_rows(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    switch (w.kind) {
    case WeightKind::FP8:
        gemv_fp8<R>(a, w, n0, n1, y);
        break;
    case WeightKind::FP4:
        gemv_fp4<R>(a, w, n0, n1, y);
        break;
    case WeightKind::BF16:
        gemv_dense<R, true>(a, w, n0, n1, y);
        break;
    case WeightKind::F32:
        gemv_dense<R, false>(a, w, n0, n1, y);
        break;
    }
}

// Sum of 4 double lanes in a fixed tree order, (0+1)+(2+3).
inline double hsum_pd(__m256d v)
{
    const __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    const __m128d p = _mm_hadd_pd(lo, hi); // 0+1, 2+3
    return _mm_cvtsd_f64(_mm_add_sd(p, _mm_unpackhi_pd(p, p)));
}

// Double-accumulating rows (linear_f32): the weight row is decoded in L1-sized segments into a
// float buffer (exact, any format), each float widened to double and FMA'd into R rows of double
// activations. Decoding through a small buffer keeps one code path for every format; the row is
// still streamed once.
constexpr int kSegment = 512;

template<int R>
void row_f64(const double *a, const LinearWeight &w, int n, float *seg, float *y)
{
    const int K = w.in, N = w.out;
    __m256d acc[R][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        acc[r][0] = acc[r][1] = _mm256_setzero_pd();
    double tail[R] = {};
    for (int k0 = 0; k0 < K; k0 += kSegment) {
        const int count = K - k0 < kSegment ? K - k0 : kSegment;
        decode_row_segment(w, n, k0, count, count, seg);
        // Segment partials in fresh registers (the accumulators above live across the decoder
        // call, which clobbers every vector register), added to them once per segment.
        constexpr int A = R <= 2 ? 4 : 2; // chains per row: cover the 4-cycle FMA latency
        __m256d sp[R][A];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int j = 0; j < A; ++j)
                sp[r][j] = _mm256_setzero_pd();
        int k = 0;
        for (; k + 16 <= count; k += 16) {
            const __m256 v0 = _mm256_loadu_ps(seg + k), v1 = _mm256_loadu_ps(seg + k + 8);
            const __m256d wv[4] = {_mm256_cvtps_pd(_mm256_castps256_ps128(v0)),
                                   _mm256_cvtps_pd(_mm256_extractf128_ps(v0, 1)),
                                   _mm256_cvtps_pd(_mm256_castps256_ps128(v1)),
                                   _mm256_cvtps_pd(_mm256_extractf128_ps(v1, 1))};
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const double *ar = a + std::size_t(r) * K + k0 + k;
#pragma GCC unroll 4
                for (int j = 0; j < 4; ++j)
                    sp[r][j % A] = _mm256_fmadd_pd(_mm256_loadu_pd(ar + 4 * j), wv[j], sp[r][j % A]);
            }
        }
        for (; k + 8 <= count; k += 8) {
            const __m256 v = _mm256_loadu_ps(seg + k);
            const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
            const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const double *ar = a + std::size_t(r) * K + k0 + k;
                sp[r][0] = _mm256_fmadd_pd(_mm256_loadu_pd(ar), lo, sp[r][0]);
                sp[r][1] = _mm256_fmadd_pd(_mm256_loadu_pd(ar + 4), hi, sp[r][1]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            __m256d t = sp[r][0];
#pragma GCC unroll 4
            for (int j = 1; j < A; ++j)
                t = _mm256_add_pd(t, sp[r][j]);
            acc[r][0] = _mm256_add_pd(acc[r][0], t);
        }
        for (; k < count; ++k) // only BF16/F32 rows with K % 8 != 0 reach this
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                tail[r] += a[std::size_t(r) * K + k0 + k] * double(seg[k]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        y[std::size_t(r) * N + n] = float(hsum_pd(_mm256_add_pd(acc[r][0], acc[r][1])) + tail[r]);
}

template<int R>
void gemv_rows_f64(const double *a, const LinearWeight &w, int n0, int n1, float *y)
{
    thread_local Workspace<float> ws;
    float *seg = ws.get(kSegment);
    for (int n = n0; n < n1; ++n)
        row_f64<R>(a, w, n, seg, y);
}

} // namespace

void gemv_cols_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    switch (m) {
    case 1:
        gemv_rows_f64<1>(a, w, n0, n1, y);
        break;
    case 2:
        gemv_rows_f64<2>(a, w, n0, n1, y);
        break;
    case 3:
        gemv_rows_f64<3>(a, w, n0, n1, y);
        break;
    default:
        gemv_rows_f64<4>(a, w, n0, n1, y);
        break;
    }
}

void gemv_cols(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    switch (m) {
    case 1:
        gemv_rows<1>(a, w, n0, n1, y);
        break;
    case 2:
        gemv_rows<2>(a, w, n0, n1, y);
        break;
    case 3:
        gemv_rows<3>(a, w, n0, n1, y);
        break;
    default:
        gemv_rows<4>(a, w, n0, n1, y);
        break;
    }
}

} // namespace folio::simd::avx2
