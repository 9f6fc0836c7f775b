// Panel GEMM of cpu/simd (prefill: many activation rows). y [m, N] = a [m, K] . W^T, columns
// [n0, n1) on this thread.
//
// Blocking (why): the weights are the large operand and decoding them costs more than reading
// them, so each weight is decoded exactly once per call: a panel of kNc weight rows x kKc columns
// is decoded (codes x scales, exact FP32) into a per-thread buffer that stays in L2 (96 x 512 x 4
// = 192 KiB; this machine's L2 is 512 KiB per core), then every activation row is multiplied
// against it. The register tile is 4 activation rows x 3 weight rows: 12 FP32 accumulators of 8
// lanes along K, 4 + 3 loads per 12 FMAs, no broadcasts and no transposed packing (weights and
// activations are both K-contiguous, so "packing" the weights is just decoding a row segment).
// The 4 x kKc activation slice (8 KiB) stays in L1 while the tile walks the panel.
//
// Summation order, the same for every tile shape and thread split: per output, 8 lanes
// accumulate sequentially along a kKc chunk, the lanes are reduced in hsum's fixed tree, and the
// chunk sums are added to y in increasing K order.
#include "cpu/simd/decode_avx2.h"
#include "cpu/simd/kernels_avx2.h"

#include <immintrin.h>

#include <algorithm>

namespace folio::simd::avx2 {

namespace {

constexpr int kKc = 512; // K columns per panel (a multiple of the FP8 scale block, 128)
constexpr int kNc = 96;  // weight rows per panel
constexpr int kMr = 4;   // activation rows per register tile
constexpr int kNr = 3;   // weight rows per register tile

// Lane mask for the last kc % 8 columns (the activation rows are not padded).
inline __m256i tail_mask(int count)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), idx);
}

// Reduces 4 accumulators to their 4 sums with the same tree as hsum():
// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).
inline __m128 reduce4(__m256 c0, __m256 c1, __m256 c2, __m256 c3)
{
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(c0, c1), _mm256_hadd_ps(c2, c3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// R activation rows (a, row stride lda) x C decoded weight rows (b, row stride ldb, zero padded to
// a multiple of 8) over kc columns; y[r * ldy + c] = (accumulate ? y : 0) + chunk sum.
template<int R, int C>
void tile(const float *a, int lda, const float *b, int ldb, int kc, float *y, int ldy,
          bool accumulate)
{
    __m256 acc[R][C];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c)
            acc[r][c] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= kc; k += 8) {
        __m256 bv[C];
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c)
            bv[c] = _mm256_load_ps(b + std::size_t(c) * ldb + k);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m256 av = _mm256_loadu_ps(a + std::size_t(r) * lda + k);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c)
                acc[r][c] = _mm256_fmadd_ps(av, bv[c], acc[r][c]);
        }
    }
    if (k < kc) {
        // Masked activation loads read nothing past the row; the panel is zero padded.
        const __m256i mask = tail_mask(kc - k);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m256 av = _mm256_maskload_ps(a + std::size_t(r) * lda + k, mask);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c)
                acc[r][c] = _mm256_fmadd_ps(av, _mm256_load_ps(b + std::size_t(c) * ldb + k),
                                            acc[r][c]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        const __m256 z = _mm256_setzero_ps();
        __m256 c1 = z, c2 = z;
        if constexpr (C > 1)
            c1 = acc[r][1];
        if constexpr (C > 2)
            c2 = acc[r][2];
        alignas(16) float s[4];
        _mm_store_ps(s, reduce4(acc[r][0], c1, c2, z));
        float *yr = y + std::size_t(r) * ldy;
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c)
            yr[c] = accumulate ? yr[c] + s[c] : s[c];
    }
}

// The double-accumulating tile (linear_f32): R double activation rows x C decoded weight rows,
// 4 lanes along K; the float panel values are widened on load. yd[r * ldy + c] (double) receives
// or accumulates the chunk sums, in hsum_pd's fixed tree order.
template<int R, int C>
void tile_f64(const double *a, int lda, const float *b, int ldb, int kc, double *yd, int ldy,
              bool accumulate)
{
    __m256d acc[R][C];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c)
            acc[r][c] = _mm256_setzero_pd();
    int k = 0;
    for (; k + 4 <= kc; k += 4) {
        __m256d bv[C];
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c)
            bv[c] = _mm256_cvtps_pd(_mm_load_ps(b + std::size_t(c) * ldb + k));
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m256d av = _mm256_loadu_pd(a + std::size_t(r) * lda + k);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c)
                acc[r][c] = _mm256_fmadd_pd(av, bv[c], acc[r][c]);
        }
    }
    if (k < kc) {
        const __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3);
        const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(kc - k), idx);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m256d av = _mm256_maskload_pd(a + std::size_t(r) * lda + k, mask);
#pragma GCC unroll 8
            for (int c = 0; c < C; ++c)
                acc[r][c] = _mm256_fmadd_pd(av,
                                            _mm256_cvtps_pd(
                                                _mm_load_ps(b + std::size_t(c) * ldb + k)),
                                            acc[r][c]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        double *yr = yd + std::size_t(r) * ldy;
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            const __m256d v = acc[r][c];
            const __m128d p = _mm_hadd_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
            const double s = _mm_cvtsd_f64(_mm_add_sd(p, _mm_unpackhi_pd(p, p)));
            yr[c] = accumulate ? yr[c] + s : s;
        }
    }
}

using TileF64Fn = void (*)(const double *, int, const float *, int, int, double *, int, bool);

TileF64Fn tile_f64_for(int r, int c)
{
    static const TileF64Fn table[4][3] = {
        {tile_f64<1, 1>, tile_f64<1, 2>, tile_f64<1, 3>},
        {tile_f64<2, 1>, tile_f64<2, 2>, tile_f64<2, 3>},
        {tile_f64<3, 1>, tile_f64<3, 2>, tile_f64<3, 3>},
        {tile_f64<4, 1>, tile_f64<4, 2>, tile_f64<4, 3>},
    };
    return table[r - 1][c - 1];
}

using TileFn = void (*)(const float *, int, const float *, int, int, float *, int, bool);

template<int R>
TileFn tile_for_cols(int c)
{
    return c == 3 ? tile<R, 3> : c == 2 ? tile<R, 2> : tile<R, 1>;
}

TileFn tile_for(int r, int c)
{
    switch (r) {
    case 4:
        return tile_for_cols<4>(c);
    case 3:
        return tile_for_cols<3>(c);
    case 2:
        return tile_for_cols<2>(c);
    default:
        return tile_for_cols<1>(c);
    }
}

} // namespace

void gemm_cols(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    thread_local Workspace<float> ws;
    float *panel = ws.get(std::size_t(kNc) * kKc); // [kNc, kcp] decoded weights
    for (int nb = n0; nb < n1; nb += kNc) {
        const int nn = std::min(kNc, n1 - nb);
        for (int pc = 0; pc < K; pc += kKc) {
            const int kc = std::min(kKc, K - pc);
            const int kcp = (kc + 7) & ~7; // row stride of the panel: 32-byte aligned rows
            for (int j = 0; j < nn; ++j)
                decode_row_segment(w, nb + j, pc, kc, kcp, panel + std::size_t(j) * kcp);
            for (int i = 0; i < m; i += kMr) {
                const int r = std::min(kMr, m - i);
                const float *ai = a + std::size_t(i) * K + pc;
                float *yi = y + std::size_t(i) * N + nb;
                int j = 0;
                if (r == kMr)
                    for (; j + kNr <= nn; j += kNr)
                        tile<kMr, kNr>(ai, K, panel + std::size_t(j) * kcp, kcp, kc, yi + j, N,
                                       pc > 0);
                for (; j < nn; j += kNr)
                    tile_for(r, std::min(kNr, nn - j))(ai, K, panel + std::size_t(j) * kcp, kcp, kc,
                                                       yi + j, N, pc > 0);
            }
        }
    }
}

void gemm_cols_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    thread_local Workspace<float> ws;
    thread_local Workspace<double> wsd;
    float *panel = ws.get(std::size_t(kNc) * kKc); // [kNc, kcp] decoded weights
    double *yd = wsd.get(std::size_t(m) * kNc);    // [m, kNc] double sums of the panel's columns
    for (int nb = n0; nb < n1; nb += kNc) {
        const int nn = std::min(kNc, n1 - nb);
        for (int pc = 0; pc < K; pc += kKc) {
            const int kc = std::min(kKc, K - pc);
            const int kcp = (kc + 7) & ~7;
            for (int j = 0; j < nn; ++j)
                decode_row_segment(w, nb + j, pc, kc, kcp, panel + std::size_t(j) * kcp);
            for (int i = 0; i < m; i += kMr) {
                const int r = std::min(kMr, m - i);
                for (int j = 0; j < nn; j += kNr)
                    tile_f64_for(r, std::min(kNr, nn - j))(a + std::size_t(i) * K + pc, K,
                                                           panel + std::size_t(j) * kcp, kcp, kc,
                                                           yd + std::size_t(i) * kNc + j, kNc,
                                                           pc > 0);
            }
        }
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < nn; ++j)
                y[std::size_t(i) * N + nb + j] = float(yd[std::size_t(i) * kNc + j]);
    }
}

} // namespace folio::simd::avx2
