// Linear layers (see linear.h): the public entry points, the FP8 activation quantisation, and the
// choice between the fast kernels (cpu/simd, FP32 FMA accumulation on exactly decoded operands)
// and the exact reference kernels (scalar, the reference's rounding bit for bit). Each output
// element is computed on one thread with a fixed summation order, so results do not depend on the
// thread count on either path.
#include "cpu/linear.h"

#include "cpu/simd/kernels.h"
#include "cpu/thread_pool.h"
#include "quant.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

namespace folio {

namespace {

constexpr int kFp8Block = 128; // weight tiles and activation blocks of the FP8 GEMM
constexpr int kFp4Block = 32;  // weight scale blocks of the FP4 GEMM

inline std::uint16_t load_u16(const std::uint8_t *p)
{
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

struct DecodeTables
{
    float e4m3[256];
    float e2m1[16];
    DecodeTables()
    {
        for (int i = 0; i < 256; ++i)
            e4m3[i] = e4m3_decode(std::uint8_t(i));
        for (int i = 0; i < 16; ++i)
            e2m1[i] = e2m1_decode(std::uint8_t(i));
    }
};

const DecodeTables &tables()
{
    static const DecodeTables t;
    return t;
}

void run_rows(ThreadPool *pool, int n, const std::function<void(std::int64_t, std::int64_t)> &fn)
{
    if (pool)
        pool->parallel_for(n, fn, 4);
    else
        fn(0, n);
}

} // namespace

void decode_weight_row(const LinearWeight &w, int row, float *dst)
{
    const DecodeTables &t = tables();
    switch (w.kind) {
    case WeightKind::BF16: {
        const std::uint8_t *p = w.data + std::size_t(row) * w.in * 2;
        for (int k = 0; k < w.in; ++k)
            dst[k] = bf16_to_f32(load_u16(p + 2 * k));
        break;
    }
    case WeightKind::F32:
        std::memcpy(dst, w.data + std::size_t(row) * w.in * 4, std::size_t(w.in) * 4);
        break;
    case WeightKind::FP8: {
        const std::uint8_t *p = w.data + std::size_t(row) * w.in;
        const int tiles_in = (w.in + kFp8Block - 1) / kFp8Block;
        const std::uint8_t *s = w.scale + std::size_t(row / kFp8Block) * tiles_in;
        for (int k = 0; k < w.in; ++k)
            dst[k] = t.e4m3[p[k]] * e8m0_decode(s[k / kFp8Block]);
        break;
    }
    case WeightKind::FP4: {
        const std::uint8_t *p = w.data + std::size_t(row) * (w.in / 2);
        const std::uint8_t *s = w.scale + std::size_t(row) * (w.in / kFp4Block);
        for (int k = 0; k < w.in; ++k) {
            const std::uint8_t byte = p[k / 2];
            // Element 2j is the low nibble of byte j (float4_e2m1fn_x2 packing).
            const std::uint8_t code = (k & 1) ? (byte >> 4) : (byte & 0xf);
            dst[k] = t.e2m1[code] * e8m0_decode(s[k / kFp4Block]);
        }
        break;
    }
    }
}

void act_quant_row(const float *x, int k, float *q, float *s)
{
    assert(k % kFp8Block == 0);
    const DecodeTables &t = tables();
    for (int b = 0; b < k / kFp8Block; ++b) {
        const float *xb = x + b * kFp8Block;
        float amax = 0.0f;
        for (int i = 0; i < kFp8Block; ++i)
            amax = std::max(amax, std::fabs(xb[i]));
        const float scale = fp8_block_scale(amax);
        s[b] = scale;
        for (int i = 0; i < kFp8Block; ++i) {
            // x / s is exact (power of two); clamp then round to E4M3 like the kernel's cast.
            const float v = std::clamp(xb[i] / scale, -kFp8Max, kFp8Max);
            q[b * kFp8Block + i] = t.e4m3[e4m3_encode(v)];
        }
    }
}

namespace {

// Per-thread activation buffers of the calling thread, grown once and reused (the decode path does
// not allocate per token). The pool's workers only read them during the call.
struct ActBuffers
{
    std::vector<float> a, s;
    std::vector<double> d;
    double *get_d(std::size_t n)
    {
        if (d.size() < n)
            d.resize(n);
        return d.data();
    }
    float *get_a(std::size_t n)
    {
        if (a.size() < n)
            a.resize(n);
        return a.data();
    }
    float *get_s(std::size_t n)
    {
        if (s.size() < n)
            s.resize(n);
        return s.data();
    }
};

ActBuffers &act_buffers()
{
    thread_local ActBuffers b;
    return b;
}

// The fast kernels need whole FP8 scale blocks (K % 128) and whole FP4 bytes/scales (K % 32), as
// every release tensor has; anything else takes the exact path.
bool fast_path_ok(const LinearWeight &w)
{
    if (simd::exact_linear() || w.in <= 0)
        return false;
    if (w.kind == WeightKind::FP8)
        return w.in % kFp8Block == 0;
    if (w.kind == WeightKind::FP4)
        return w.in % kFp4Block == 0;
    return true;
}

// Columns per thread chunk: enough work (~64K multiply-adds) to be worth waking a worker.
std::int64_t column_grain(int m, int K)
{
    const std::int64_t per_col = std::int64_t(std::max(m, 1)) * std::max(K, 1);
    return std::max<std::int64_t>(4, (std::int64_t(1) << 16) / per_col);
}

// Rounds columns [n0, n1) of y [m, N] to BF16 values.
void round_cols_bf16(float *y, int m, int N, std::int64_t n0, std::int64_t n1)
{
    for (int i = 0; i < m; ++i)
        for (std::int64_t n = n0; n < n1; ++n)
            y[std::size_t(i) * N + n] = round_bf16(y[std::size_t(i) * N + n]);
}

// FP32 results closer than this many FP32 ulps to a BF16 rounding midpoint are recomputed exactly.
constexpr std::uint32_t kTieUlps = 16;

// Recomputes with the exact reference kernel the outputs in columns [n0, n1) of y [m, N] that lie
// within kTieUlps of a BF16 midpoint. Why: the FP32 sums differ from the reference's by a few FP32
// ulps, which changes the BF16 rounding only near a midpoint; quantised operands make exact
// midpoints common (few significant bits), and one flipped BF16 output can move a later top-k or
// argmax choice. About 2 * 16 / 65536 of the outputs are recomputed (K multiply-adds each).
// a [m, K] dequantised activations, sa [m, K/128] their block scales.
void refine_near_ties(const float *a, const float *sa, int m, const LinearWeight &w,
                      std::int64_t n0, std::int64_t n1, float *y)
{
    const int K = w.in, N = w.out, blocks = K / kFp8Block;
    thread_local std::vector<float> q; // [K] E4M3 code values of the current activation row
    for (int i = 0; i < m; ++i) {
        float *yi = y + std::size_t(i) * N;
        const float *si = sa + std::size_t(i) * blocks;
        bool have_q = false;
        for (std::int64_t n = n0; n < n1; ++n) {
            const std::uint32_t low = f32_to_bits(yi[n]) & 0xffffu;
            if (low + kTieUlps - 0x8000u > 2 * kTieUlps)
                continue;
            if (!have_q) {
                // The codes back from the dequantised values: a / s is exact (power of two).
                q.resize(std::size_t(K));
                for (int k = 0; k < K; ++k)
                    q[std::size_t(k)] = a[std::size_t(i) * K + k] / si[k / kFp8Block];
                have_q = true;
            }
            simd::quant_linear_cols_exact(q.data(), si, 1, w, int(n), int(n) + 1, yi);
        }
    }
}

// y [m, N] = a [m, K] . W^T on the fast FP32 kernels (quantised weights, dequantised
// activations a with block scales sa), each output rounded to BF16.
void fast_quant_linear(const float *a, const float *sa, int m, const LinearWeight &w, float *y,
                       ThreadPool *pool)
{
    auto cols = [&](std::int64_t n0, std::int64_t n1) {
        simd::linear_cols_fast(a, m, w, int(n0), int(n1), y);
        refine_near_ties(a, sa, m, w, n0, n1, y);
        simd::round_bf16_cols(y, m, w.out, int(n0), int(n1));
    };
    if (pool)
        pool->parallel_for(w.out, cols, column_grain(m, w.in));
    else
        cols(0, w.out);
}

// y [m, N] = x [m, K] . W^T on the fast double-accumulating kernels, optionally rounded to BF16.
// Why double for every linear without activation quantisation (BF16/F32 weights, wo_a): with FP32
// accumulation about 2 in 10^4 BF16 outputs round differently from the exact path, and the golden
// cases lose greedy/argmax rows (docs/cpu.md); in double the outputs are the exact path's.
void fast_dense_linear(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool,
                       bool bf16_out)
{
    const std::size_t count = std::size_t(m) * w.in;
    double *xd = act_buffers().get_d(count); // [m, K] x widened once
    for (std::size_t i = 0; i < count; ++i)
        xd[i] = double(x[i]);
    auto cols = [&](std::int64_t n0, std::int64_t n1) {
        simd::linear_cols_fast_f64(xd, m, w, int(n0), int(n1), y);
        if (bf16_out)
            simd::round_bf16_cols(y, m, w.out, int(n0), int(n1));
    };
    if (pool)
        pool->parallel_for(w.out, cols, column_grain(m, w.in));
    else
        cols(0, w.out);
}

} // namespace

void linear_bf16_out(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool)
{
    const int K = w.in, N = w.out;
    const bool quantised = (w.kind == WeightKind::FP8 || w.kind == WeightKind::FP4)
                           && !w.dequantize;
    if (fast_path_ok(w)) {
        if (!quantised) {
            fast_dense_linear(x, m, w, y, pool, true);
            return;
        }
        // a [m, K]: the FP8-quantised activations, dequantised exactly (codes x power-of-two block
        // scales), so the GEMM sees exact operands.
        ActBuffers &b = act_buffers();
        float *a = b.get_a(std::size_t(m) * K);
        float *sa = b.get_s(std::size_t(m) * (K / kFp8Block));
        simd::act_dequant_rows(x, m, K, a, sa);
        fast_quant_linear(a, sa, m, w, y, pool);
        return;
    }
    if (!quantised) {
        // BF16 x BF16 products are exact; the sum is taken in double and rounded once to FP32,
        // then to BF16. The reference's CPU BLAS accumulates in FP32 in its own order, so rare
        // outputs differ by one BF16 ulp (golden tests show no order reproduces it better).
        run_rows(pool, N, [&](std::int64_t n0, std::int64_t n1) {
            simd::dense_linear_cols_exact(x, m, w, int(n0), int(n1), y);
            round_cols_bf16(y, m, N, n0, n1);
        });
        return;
    }
    // Exact reference: FP8-quantise every activation row once. qa: [m, K] E4M3 values,
    // sa: [m, K/128] power-of-two scales.
    ActBuffers &b = act_buffers();
    float *qa = b.get_a(std::size_t(m) * K);
    float *sa = b.get_s(std::size_t(m) * (K / kFp8Block));
    for (int i = 0; i < m; ++i)
        act_quant_row(x + std::size_t(i) * K, K, qa + std::size_t(i) * K,
                      sa + std::size_t(i) * (K / kFp8Block));
    run_rows(pool, N, [&](std::int64_t n0, std::int64_t n1) {
        simd::quant_linear_cols_exact(qa, sa, m, w, int(n0), int(n1), y);
        round_cols_bf16(y, m, N, n0, n1);
    });
}

void linear_f32(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool)
{
    if (fast_path_ok(w)) {
        fast_dense_linear(x, m, w, y, pool, false);
        return;
    }
    run_rows(pool, w.out, [&](std::int64_t n0, std::int64_t n1) {
        simd::dense_linear_cols_exact(x, m, w, int(n0), int(n1), y);
    });
}

} // namespace folio
