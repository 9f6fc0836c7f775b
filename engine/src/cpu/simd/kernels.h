// Fast CPU kernels for the quantised and BF16 linears, with runtime dispatch between a portable
// scalar path and an AVX2+FMA path (compiled per file with -mavx2 -mfma, chosen at run time with
// __builtin_cpu_supports, so the engine still runs on any x86-64).
//
// Numerics: every kernel computes exactly what cpu/linear.cpp computes.
//   * FP8 / FP4: each K block's partial sum of (E4M3 activation code value x weight code value) is
//     EXACT in double (8-bit x 8-bit products, exponent span well under 53 bits), so the order in
//     which the AVX2 path adds the products inside a block cannot change it; it is rounded once to
//     FP32 and added to the FP32 accumulator in increasing block order with the same scale
//     products as the reference. Result: bit-identical to the scalar reference for every input.
//   * BF16 / F32: products are exact in double, but the double sum of K products is exact only
//     when the products' exponent span plus log2(K) fits in 53 bits. The AVX2 path adds in a
//     different (lane-interleaved) order, so it is bit-identical whenever the double sum is exact
//     (all realistic activations) and otherwise differs from the sequential sum by at most a few
//     double ulps, i.e. at most one FP32 ulp after rounding (tests/engine/test_simd.cpp).
// Weights are decoded in registers straight from the mapped storage: no dequantised copy.
#pragma once

#include "cpu/linear.h"

#include <cstdint>

namespace folio::simd {

enum class Isa { Scalar, Avx2 };

// The best ISA this CPU supports (AVX2 needs both avx2 and fma).
Isa best_isa();
// The ISA the dispatching entry points use: best_isa() unless overridden by set_isa() or the
// environment variable FOLIO_CPU_ISA=scalar. set_isa() clamps to best_isa().
Isa active_isa();
void set_isa(Isa isa);
const char *isa_name(Isa isa);

// Quantised linear, columns [n0, n1) of y [m, w.out]: y = the FP32 accumulator of the reference
// (before the final BF16 rounding, which the caller applies). qa [m, w.in] are the decoded E4M3
// activation codes and sa [m, w.in/128] their power-of-two block scales (act_quant_row's
// output). w.kind is FP8 or FP4; w.in % 128 == 0.
void quant_linear_cols(const float *qa, const float *sa, int m, const LinearWeight &w, int n0,
                       int n1, float *y, Isa isa);
inline void quant_linear_cols(const float *qa, const float *sa, int m, const LinearWeight &w,
                              int n0, int n1, float *y)
{
    quant_linear_cols(qa, sa, m, w, n0, n1, y, active_isa());
}

// Dense linear with double accumulation, columns [n0, n1) of y [m, w.out]: y = float(sum_k
// double(x) * double(w)) for w.kind BF16 or F32 (no BF16 rounding; the caller rounds if the
// layer's output is BF16).
void dense_linear_cols(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y,
                       Isa isa);
inline void dense_linear_cols(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    dense_linear_cols(x, m, w, n0, n1, y, active_isa());
}

namespace detail {
// The per-ISA implementations behind the dispatchers (same contracts).
void quant_linear_cols_scalar(const float *qa, const float *sa, int m, const LinearWeight &w,
                              int n0, int n1, float *y);
void dense_linear_cols_scalar(const float *x, int m, const LinearWeight &w, int n0, int n1,
                              float *y);
void quant_linear_cols_avx2(const float *qa, const float *sa, int m, const LinearWeight &w, int n0,
                            int n1, float *y);
void dense_linear_cols_avx2(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y);
} // namespace detail

} // namespace folio::simd
