// Panel GEMM of cpu/simd (prefill: many activation rows). y [m, N] = a [m, K] . W^T, columns
// [n0, n1) on this thread.
//
// Blocking (why), BLIS-style: the weights are the large operand and decoding them costs more than
// reading them, so each weight is decoded exactly once per call. For each panel of kNc weight rows
// and each K chunk of kKc columns, the rows are decoded (codes x scales, exact FP32) and packed
// transposed as micro-panels [kKc][16 weight rows] into a per-thread buffer (96 x 128 x 4 = 48 KiB,
// L2-resident; this machine's L2 is 512 KiB per core). The register tile is 6 activation rows x
// 16 weight rows: 12 FP32 accumulators, per K step 2 vector loads of the micro-panel, 6 broadcasts
// of activations (read in place, no packing) and 12 FMAs. The chunk sums of a tile are added in
// double into a per-thread [m, 96] buffer, rounded to FP32 once per panel: only 128-long FP32
// chains round, which keeps the sums within a few FP32 ulps of the reference's block-wise ones.
// The double-accumulating variant (unquantised linears) uses inner-product tiles over a row-major
// panel instead (4 x 3 tiles, 4 double lanes).
//
// Summation order, the same for every tile shape and thread split: per output, FP32 FMAs in
// increasing k inside a chunk, then the chunk sums added in double in increasing K order (f64: 4
// lanes per chunk reduced in a fixed tree, then chunks in order).
#include "cpu/simd/decode_avx2.h"
#include "cpu/simd/kernels_avx2.h"

#include <immintrin.h>

#include <algorithm>

namespace folio::simd::avx2 {

namespace {

constexpr int kKc = 128;  // K columns per chunk (a multiple of the FP8 scale block, 128)
constexpr int kNc = 96;   // weight rows per panel (6 micro-panels)
constexpr int kNr = 16;   // weight rows per micro-panel: two 8-lane output vectors
constexpr int kMr = 6;    // activation rows per register tile
constexpr int kMrF64 = 4; // f64 inner-product tile: activation rows
constexpr int kNrF64 = 3; // f64 inner-product tile: weight rows
constexpr int kKcF64 = 512;

// dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block.
inline void transpose8(const float *src, int lds, float *dst, int ldd)
{
    __m256 r[8], t[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i)
        r[i] = _mm256_load_ps(src + std::size_t(i) * lds);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u: per 128-bit half, 4 consecutive rows of one column.
    const __m256 u0 = _mm256_shuffle_ps(t[0], t[2], 0x44), u1 = _mm256_shuffle_ps(t[0], t[2], 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t[1], t[3], 0x44), u3 = _mm256_shuffle_ps(t[1], t[3], 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t[4], t[6], 0x44), u5 = _mm256_shuffle_ps(t[4], t[6], 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t[5], t[7], 0x44), u7 = _mm256_shuffle_ps(t[5], t[7], 0xEE);
    _mm256_store_ps(dst + 0 * std::size_t(ldd), _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_store_ps(dst + 1 * std::size_t(ldd), _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_store_ps(dst + 2 * std::size_t(ldd), _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_store_ps(dst + 3 * std::size_t(ldd), _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_store_ps(dst + 4 * std::size_t(ldd), _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_store_ps(dst + 5 * std::size_t(ldd), _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_store_ps(dst + 6 * std::size_t(ldd), _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_store_ps(dst + 7 * std::size_t(ldd), _mm256_permute2f128_ps(u3, u7, 0x31));
}

// Decodes weight rows [row0, row0 + rows) (rows <= 16), columns [pc, pc + kc), into the
// micro-panel mp [kcp][16] (row r of the weight at lane r; rows past `rows` are zero). tmp holds
// 16 decoded rows [16][kcp].
void pack_micro_panel(const LinearWeight &w, int row0, int rows, int pc, int kc, int kcp,
                      float *tmp, float *mp)
{
    for (int r = 0; r < kNr; ++r) {
        float *t = tmp + std::size_t(r) * kcp;
        if (r < rows) {
            decode_row_segment(w, row0 + r, pc, kc, kcp, t);
        } else {
            for (int k = 0; k < kcp; ++k)
                t[k] = 0.0f;
        }
    }
    for (int half = 0; half < 2; ++half)
        for (int k = 0; k < kcp; k += 8)
            transpose8(tmp + std::size_t(8 * half) * kcp + k, kcp,
                       mp + std::size_t(k) * kNr + 8 * half, kNr);
}

// R activation rows (a, row stride lda, read in place) x one micro-panel (16 weight rows) over kc
// columns: y[r * ldy + c] = (accumulate ? y : 0) + chunk sum, for c < cols.
template<int R>
void micro(const float *a, int lda, const float *mp, int kc, double *yd, int ldy, bool accumulate)
{
    __m256 acc[R][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < kc; ++k) {
        const __m256 b0 = _mm256_load_ps(mp + std::size_t(k) * kNr);
        const __m256 b1 = _mm256_load_ps(mp + std::size_t(k) * kNr + 8);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const __m256 av = _mm256_broadcast_ss(a + std::size_t(r) * lda + k);
            acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    // Chunk sums are added in double (yd [R, 16] per tile), so only the kKc-long FP32 chains round.
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        double *yr = yd + std::size_t(r) * ldy;
#pragma GCC unroll 2
        for (int v = 0; v < 2; ++v) {
            const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(acc[r][v]));
            const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(acc[r][v], 1));
            double *p = yr + 8 * v;
            if (accumulate) {
                _mm256_store_pd(p, _mm256_add_pd(_mm256_load_pd(p), lo));
                _mm256_store_pd(p + 4, _mm256_add_pd(_mm256_load_pd(p + 4), hi));
            } else {
                _mm256_store_pd(p, lo);
                _mm256_store_pd(p + 4, hi);
            }
        }
    }
}

using MicroFn = void (*)(const float *, int, const float *, int, double *, int, bool);

MicroFn micro_for(int rows)
{
    static const MicroFn table[kMr] = {micro<1>, micro<2>, micro<3>, micro<4>, micro<5>, micro<6>};
    return table[rows - 1];
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

} // namespace

void gemm_cols(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    thread_local Workspace<float> ws_panel, ws_tmp;
    thread_local Workspace<double> ws_sum;
    float *panel = ws_panel.get(std::size_t(kNc) * kKc); // kNc/16 micro-panels [kcp][16]
    float *tmp = ws_tmp.get(std::size_t(kNr) * kKc);     // [16][kcp] decoded rows
    double *yd = ws_sum.get(std::size_t(m) * kNc);       // [m, kNc] sums over the K chunks
    for (int nb = n0; nb < n1; nb += kNc) {
        const int nn = std::min(kNc, n1 - nb);
        for (int pc = 0; pc < K; pc += kKc) {
            const int kc = std::min(kKc, K - pc);
            const int kcp = (kc + 7) & ~7; // 32-byte aligned rows for the transposes
            for (int j = 0; j < nn; j += kNr)
                pack_micro_panel(w, nb + j, std::min(kNr, nn - j), pc, kc, kcp, tmp,
                                 panel + std::size_t(j) * kcp);
            for (int i = 0; i < m; i += kMr) {
                const int r = std::min(kMr, m - i);
                const MicroFn fn = micro_for(r);
                const float *ai = a + std::size_t(i) * K + pc;
                for (int j = 0; j < nn; j += kNr)
                    fn(ai, K, panel + std::size_t(j) * kcp, kc, yd + std::size_t(i) * kNc + j, kNc,
                       pc > 0);
            }
        }
        for (int i = 0; i < m; ++i) {
            const double *src = yd + std::size_t(i) * kNc;
            float *dst = y + std::size_t(i) * N + nb;
            int j = 0;
            for (; j + 4 <= nn; j += 4)
                _mm_storeu_ps(dst + j, _mm256_cvtpd_ps(_mm256_load_pd(src + j)));
            for (; j < nn; ++j)
                dst[j] = float(src[j]);
        }
    }
}

void gemm_cols_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    thread_local Workspace<float> ws;
    thread_local Workspace<double> wsd;
    float *panel = ws.get(std::size_t(kNc) * kKcF64); // [kNc, kcp] decoded weights
    double *yd = wsd.get(std::size_t(m) * kNc);       // [m, kNc] double sums of the panel's columns
    for (int nb = n0; nb < n1; nb += kNc) {
        const int nn = std::min(kNc, n1 - nb);
        for (int pc = 0; pc < K; pc += kKcF64) {
            const int kc = std::min(kKcF64, K - pc);
            const int kcp = (kc + 7) & ~7;
            for (int j = 0; j < nn; ++j)
                decode_row_segment(w, nb + j, pc, kc, kcp, panel + std::size_t(j) * kcp);
            for (int i = 0; i < m; i += kMrF64) {
                const int r = std::min(kMrF64, m - i);
                for (int j = 0; j < nn; j += kNrF64)
                    tile_f64_for(r, std::min(kNrF64, nn - j))(a + std::size_t(i) * K + pc, K,
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
