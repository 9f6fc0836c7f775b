// The portable exact reference kernels of cpu/simd/kernels.h and the run-time ISA dispatch. These
// follow the reference's GEMM numerics bit for bit (see kernels.h) and are what the fast kernels
// are tested against; they run on any x86-64 with any compiler flags.
#include "cpu/simd/kernels.h"

#include "quant.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace folio::simd {

namespace {

constexpr int kFp8Block = 128;
constexpr int kFp4Block = 32;

Isa detect()
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
        && __builtin_cpu_supports("f16c"))
        return Isa::Avx2;
#endif
    return Isa::Scalar;
}

Isa initial_isa()
{
    const char *env = std::getenv("FOLIO_CPU_ISA");
    if (env && std::strcmp(env, "scalar") == 0)
        return Isa::Scalar;
    return best_isa();
}

std::atomic<int> &active()
{
    static std::atomic<int> isa{int(initial_isa())};
    return isa;
}

// Code -> value tables built once from quant.h's decoders (the definition of the formats).
struct DecodeTables
{
    float e4m3[256];
    float e2m1[16];
    float e8m0[256];
    DecodeTables()
    {
        for (int i = 0; i < 256; ++i) {
            e4m3[i] = e4m3_decode(std::uint8_t(i));
            e8m0[i] = e8m0_decode(std::uint8_t(i));
        }
        for (int i = 0; i < 16; ++i)
            e2m1[i] = e2m1_decode(std::uint8_t(i));
    }
};

const DecodeTables &tables()
{
    static const DecodeTables t;
    return t;
}

} // namespace

Isa best_isa()
{
    static const Isa isa = detect();
    return isa;
}

Isa active_isa()
{
    return Isa(active().load(std::memory_order_relaxed));
}

void set_isa(Isa isa)
{
    if (isa == Isa::Avx2 && best_isa() != Isa::Avx2)
        isa = Isa::Scalar;
    active().store(int(isa), std::memory_order_relaxed);
}

const char *isa_name(Isa isa)
{
    return isa == Isa::Avx2 ? "avx2+fma" : "scalar";
}

bool exact_linear()
{
    static const bool env = [] {
        const char *e = std::getenv("FOLIO_EXACT_LINEAR");
        return e && std::strcmp(e, "1") == 0;
    }();
    return env || active_isa() == Isa::Scalar;
}

void quant_linear_cols_exact(const float *qa, const float *sa, int m, const LinearWeight &w, int n0,
                             int n1, float *y)
{
    const DecodeTables &t = tables();
    const int K = w.in, N = w.out;
    const bool fp4 = w.kind == WeightKind::FP4;
    const int wblock = fp4 ? kFp4Block : kFp8Block;
    const int tiles_in = (K + kFp8Block - 1) / kFp8Block;
    // Decoded weight codes of one row (unscaled) and its per-block scales; reused per thread.
    thread_local std::vector<float> wq, ws;
    wq.resize(std::size_t(K));
    ws.resize(std::size_t(K / wblock));
    for (int n = n0; n < n1; ++n) {
        if (fp4) {
            const std::uint8_t *p = w.data + std::size_t(n) * (K / 2);
            // Element 2j is the low nibble of byte j (float4_e2m1fn_x2 packing).
            for (int k = 0; k < K; ++k)
                wq[k] = t.e2m1[(k & 1) ? (p[k / 2] >> 4) : (p[k / 2] & 0xf)];
            const std::uint8_t *s = w.scale + std::size_t(n) * (K / kFp4Block);
            for (int b = 0; b < K / kFp4Block; ++b)
                ws[b] = t.e8m0[s[b]];
        } else {
            const std::uint8_t *p = w.data + std::size_t(n) * K;
            for (int k = 0; k < K; ++k)
                wq[k] = t.e4m3[p[k]];
            const std::uint8_t *s = w.scale + std::size_t(n / kFp8Block) * tiles_in;
            for (int b = 0; b < K / kFp8Block; ++b)
                ws[b] = t.e8m0[s[b]];
        }
        for (int i = 0; i < m; ++i) {
            const float *q = qa + std::size_t(i) * K;
            const float *s = sa + std::size_t(i) * (K / kFp8Block);
            float acc = 0.0f; // the reference kernel's FP32 C_local_accum
            for (int b = 0; b < K / wblock; ++b) {
                // The block's partial sum is exact in double (4-bit x 4-bit significands, span
                // under 53 bits) and rounded once to FP32, as the reference's GEMM does. Exact
                // means any order gives the same bits: products are multiples of 2^-18 below
                // 2^18, at most 128 of them, so every partial sum fits in 43 bits. Hence four
                // independent chains (why: one chain is bound by the add latency, and this kernel
                // also recomputes the fast path's near-tie outputs).
                double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
                for (int k = b * wblock; k < (b + 1) * wblock; k += 4) {
                    p0 += double(q[k]) * double(wq[k]);
                    p1 += double(q[k + 1]) * double(wq[k + 1]);
                    p2 += double(q[k + 2]) * double(wq[k + 2]);
                    p3 += double(q[k + 3]) * double(wq[k + 3]);
                }
                const double part = (p0 + p1) + (p2 + p3);
                const float sa_b = s[(b * wblock) / kFp8Block];
                if (fp4)
                    acc += float(part) * sa_b * ws[b];
                else
                    acc += float(part) * (sa_b * ws[b]);
            }
            y[std::size_t(i) * N + n] = acc;
        }
    }
}

void dense_linear_cols_exact(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    thread_local std::vector<float> row; // one decoded weight row, reused per thread
    row.resize(std::size_t(K));
    for (int n = n0; n < n1; ++n) {
        decode_weight_row(w, n, row.data());
        for (int i = 0; i < m; ++i) {
            const float *xi = x + std::size_t(i) * K;
            // Products of FP32 values are exact in double; the sum is rounded once to FP32.
            double acc = 0;
            for (int k = 0; k < K; ++k)
                acc += double(xi[k]) * double(row[k]);
            y[std::size_t(i) * N + n] = float(acc);
        }
    }
}

#if !defined(FOLIO_HAVE_AVX2_KERNELS)
// Without the AVX2 translation unit the fast entry points are never dispatched to (best_isa() is
// Scalar, so exact_linear() is always true); these keep the link complete and stay correct.
void act_dequant_rows(const float *x, int m, int k, float *a, float *s)
{
    for (int i = 0; i < m; ++i) {
        float *ai = a + std::size_t(i) * k;
        float *si = s + std::size_t(i) * (k / kFp8Block);
        act_quant_row(x + std::size_t(i) * k, k, ai, si);
        for (int j = 0; j < k; ++j)
            ai[j] *= si[j / kFp8Block];
    }
}

void linear_cols_fast(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    LinearWeight plain = w;
    plain.dequantize = true;
    dense_linear_cols_exact(a, m, plain, n0, n1, y);
}

void round_bf16_cols(float *y, int m, int ld, int n0, int n1)
{
    for (int i = 0; i < m; ++i)
        for (int n = n0; n < n1; ++n)
            y[std::size_t(i) * ld + n] = round_bf16(y[std::size_t(i) * ld + n]);
}

void linear_cols_fast_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    std::vector<float> row(std::size_t(K > 0 ? K : 0));
    for (int n = n0; n < n1; ++n) {
        decode_weight_row(w, n, row.data());
        for (int i = 0; i < m; ++i) {
            double acc = 0;
            for (int k = 0; k < K; ++k)
                acc += a[std::size_t(i) * K + k] * double(row[k]);
            y[std::size_t(i) * N + n] = float(acc);
        }
    }
}

void decode_weight_fast(const LinearWeight &w, int row, int k0, int count, float *dst)
{
    std::vector<float> full(std::size_t(w.in));
    decode_weight_row(w, row, full.data());
    std::memcpy(dst, full.data() + k0, std::size_t(count) * sizeof(float));
}
#endif

} // namespace folio::simd
