// The CPU linear kernels behind cpu/linear.cpp, with runtime dispatch between two paths:
//
//   * the EXACT REFERENCE (portable scalar, any x86-64): the reference's FP8/FP4 GEMM numerics
//     bit for bit (each K block's partial sum exact in double, rounded once to FP32, blocks added
//     in order with the reference's scale association), and double accumulation for BF16/F32.
//     Used when the active ISA is Scalar (FOLIO_CPU_ISA=scalar, set_isa) or FOLIO_EXACT_LINEAR=1.
//   * the FAST path (AVX2+FMA+F16C, compiled per file with those flags, entered only after a
//     __builtin_cpu_supports check): a plain FP32 GEMM/GEMV with FMA accumulation on exactly
//     decoded operands. Why that is faithful: the activation scales (ue8m0 power-of-two block
//     scales) and the weight scales (E8M0) are powers of two, so activation code x scale and
//     weight code x scale are exact FP32 values and every product of them is exact; only the
//     summation order and precision differ from the reference, which itself accumulates its
//     FP8/FP4 GEMMs in FP32 on tensor cores. The difference is bounded by about
//     K * 2^-24 * sum|a*w| per output (tests/engine/test_simd.cpp checks that bound and checks
//     every decoder bit for bit against quant.h). linear_f32 (FP32-output linears) accumulates in
//     double on the same kernels (linear_cols_fast_f64).
//
// Weights are always decoded in registers from the mapped release bytes: the GEMV streams each
// weight row once; the GEMM decodes a K-panel of a few dozen rows into a per-thread L2-sized
// buffer (never a dequantised copy of a whole weight).
#pragma once

#include "cpu/linear.h"

#include <cstdint>

namespace folio::simd {

enum class Isa { Scalar, Avx2 };

// The best ISA this CPU supports (Avx2 needs avx2, fma and f16c).
Isa best_isa();
// The ISA the dispatching entry points use: best_isa() unless overridden by set_isa() or the
// environment variable FOLIO_CPU_ISA=scalar. set_isa() clamps to best_isa().
Isa active_isa();
void set_isa(Isa isa);
const char *isa_name(Isa isa);

// True when cpu/linear.cpp must take the exact reference path: the active ISA is Scalar or the
// environment sets FOLIO_EXACT_LINEAR=1 (read once; for A/B runs that keep the other SIMD ops).
bool exact_linear();

// ---- Exact reference kernels (portable) ----

// Quantised linear, columns [n0, n1) of y [m, w.out]: y = the reference's FP32 accumulator
// (before its final BF16 rounding, which the caller applies). qa [m, w.in] are the decoded E4M3
// activation codes and sa [m, w.in/128] their power-of-two block scales (act_quant_row's
// output). w.kind is FP8 or FP4; w.in % 128 == 0.
void quant_linear_cols_exact(const float *qa, const float *sa, int m, const LinearWeight &w, int n0,
                             int n1, float *y);

// Dense linear with double accumulation, columns [n0, n1) of y [m, w.out]: y = float(sum_k
// double(x) * double(w)) for any w.kind (quantised kinds are decoded and scaled exactly, as
// decode_weight_row does; no activation quantisation).
void dense_linear_cols_exact(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y);

// ---- Fast kernels (only when active_isa() == Isa::Avx2) ----

// The reference's FP8 activation quantisation followed by exact dequantisation, for m rows of k
// values (k % 128 == 0): a[i] = q[i] * s[i / 128] with q, s as act_quant_row computes them, bit
// for bit (NaN, infinities and subnormals included); s [m, k/128] receives the block scales.
void act_dequant_rows(const float *x, int m, int k, float *a, float *s);

// y [m, n0:n1) = a [m, w.in] . W^T in FP32 with FMA accumulation, W decoded exactly (codes x
// scales) in registers; rows of a are w.in floats apart, rows of y w.out floats apart. For FP8/FP4
// weights `a` holds dequantised activations (act_dequant_rows), for BF16/F32 the inputs. The
// result depends on m, w.in and the data only: never on n0/n1, so it does not depend on how
// threads split the columns. A NaN weight code gives NaN outputs, as in the reference.
void linear_cols_fast(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y);

// Rounds columns [n0, n1) of y [m, ld] to BF16 values in place, bit-identical to round_bf16
// (RNE, NaN stays a quiet NaN).
void round_bf16_cols(float *y, int m, int ld, int n0, int n1);

// linear_f32's fast path: as linear_cols_fast, but accumulated in double and rounded once to
// FP32; a [m, w.in] holds the FP32 inputs converted to double. Why double here: these linears
// (router, compressor, mHC mixes, head) produce FP32 outputs that feed discrete choices (top-k,
// argmax) directly; with FP32 accumulation one golden case loses an argmax row (see docs/cpu.md).
// Products are exact in double, so the result is the exact path's float(double sum) up to the
// order of the double additions: bit-identical whenever that sum is exact, otherwise at most one
// FP32 ulp away. Memory-bound all the same for m <= 4.
void linear_cols_fast_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y);

// The weight decoder of the fast path, exposed for the tests: decodes row `row`, columns
// [k0, k0 + count) of w into dst (count % 32 == 0 and k0 % 32 == 0 for FP8/FP4), values x
// scales, bit-identical to decode_weight_row.
void decode_weight_fast(const LinearWeight &w, int row, int k0, int count, float *dst);

} // namespace folio::simd
