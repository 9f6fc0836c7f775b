// Linear layers (see linear.h). Each output element is computed on one thread with a fixed
// summation order, so results do not depend on the thread count.
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

void linear_bf16_out(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool)
{
    const int K = w.in, N = w.out;
    if (w.kind == WeightKind::BF16 || w.kind == WeightKind::F32 || w.dequantize) {
        run_rows(pool, N, [&](std::int64_t n0, std::int64_t n1) {
            std::vector<float> row(K);
            for (std::int64_t n = n0; n < n1; ++n) {
                decode_weight_row(w, int(n), row.data());
                for (int i = 0; i < m; ++i) {
                    const float *xi = x + std::size_t(i) * K;
                    // BF16 x BF16 products are exact; the sum is taken in double and rounded
                    // once to FP32, then to BF16. The reference's CPU BLAS accumulates in FP32 in
                    // its own order, so rare outputs differ by one BF16 ulp (golden tests show
                    // no order reproduces it better: sequential and 4-way ILP sums were tried).
                    double acc = 0;
                    for (int k = 0; k < K; ++k)
                        acc += double(xi[k]) * double(row[k]);
                    y[std::size_t(i) * N + n] = round_bf16(float(acc));
                }
            }
        });
        return;
    }
    // Quantised weights: FP8-quantise every activation row once. qa: [m, K] E4M3 values,
    // sa: [m, K/128] power-of-two scales.
    std::vector<float> qa(std::size_t(m) * K), sa(std::size_t(m) * (K / kFp8Block));
    for (int i = 0; i < m; ++i)
        act_quant_row(x + std::size_t(i) * K, K, qa.data() + std::size_t(i) * K,
                      sa.data() + std::size_t(i) * (K / kFp8Block));
    // The dispatched kernels (cpu/simd) compute the same FP32 accumulators bit for bit
    // (tests/engine/test_simd.cpp); the loop below stays as their reference.
    if (simd::active_isa() != simd::Isa::Scalar) {
        run_rows(pool, N, [&](std::int64_t n0, std::int64_t n1) {
            simd::quant_linear_cols(qa.data(), sa.data(), m, w, int(n0), int(n1), y);
            for (int i = 0; i < m; ++i)
                for (std::int64_t n = n0; n < n1; ++n)
                    y[std::size_t(i) * N + n] = round_bf16(y[std::size_t(i) * N + n]);
        });
        return;
    }
    const DecodeTables &t = tables();
    const bool fp4 = w.kind == WeightKind::FP4;
    const int wblock = fp4 ? kFp4Block : kFp8Block;
    run_rows(pool, N, [&](std::int64_t n0, std::int64_t n1) {
        std::vector<float> wq(K);          // weight codes of row n as values (unscaled)
        std::vector<float> ws(K / wblock); // weight scales of row n per K block
        for (std::int64_t n = n0; n < n1; ++n) {
            if (fp4) {
                const std::uint8_t *p = w.data + std::size_t(n) * (K / 2);
                for (int k = 0; k < K; ++k)
                    wq[k] = t.e2m1[(k & 1) ? (p[k / 2] >> 4) : (p[k / 2] & 0xf)];
                const std::uint8_t *s = w.scale + std::size_t(n) * (K / kFp4Block);
                for (int b = 0; b < K / kFp4Block; ++b)
                    ws[b] = e8m0_decode(s[b]);
            } else {
                const std::uint8_t *p = w.data + std::size_t(n) * K;
                for (int k = 0; k < K; ++k)
                    wq[k] = t.e4m3[p[k]];
                const int tiles_in = (K + kFp8Block - 1) / kFp8Block;
                const std::uint8_t *s = w.scale + std::size_t(n / kFp8Block) * tiles_in;
                for (int b = 0; b < K / kFp8Block; ++b)
                    ws[b] = e8m0_decode(s[b]);
            }
            for (int i = 0; i < m; ++i) {
                const float *q = qa.data() + std::size_t(i) * K;
                const float *s = sa.data() + std::size_t(i) * (K / kFp8Block);
                float acc = 0.0f; // the kernel's FP32 C_local_accum
                for (int b = 0; b < K / wblock; ++b) {
                    // The block's partial sum is exact in double (8-bit products, < 53-bit span)
                    // and rounded once to FP32, as the generator's GEMM does.
                    double part = 0;
                    for (int k = b * wblock; k < (b + 1) * wblock; ++k)
                        part += double(q[k]) * double(wq[k]);
                    const float sa_b = s[(b * wblock) / kFp8Block];
                    if (fp4)
                        acc += float(part) * sa_b * ws[b];
                    else
                        acc += float(part) * (sa_b * ws[b]);
                }
                y[std::size_t(i) * N + n] = round_bf16(acc);
            }
        }
    });
}

void linear_f32(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool)
{
    const int K = w.in, N = w.out;
    run_rows(pool, N, [&](std::int64_t n0, std::int64_t n1) {
        std::vector<float> row(K);
        for (std::int64_t n = n0; n < n1; ++n) {
            decode_weight_row(w, int(n), row.data());
            for (int i = 0; i < m; ++i) {
                const float *xi = x + std::size_t(i) * K;
                double acc = 0;
                for (int k = 0; k < K; ++k)
                    acc += double(xi[k]) * double(row[k]);
                y[std::size_t(i) * N + n] = float(acc);
            }
        }
    });
}

} // namespace folio
