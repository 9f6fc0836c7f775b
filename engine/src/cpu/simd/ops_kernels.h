// Fast kernels of the forward-pass ops other than the linears (cpu/ops.h, model/*), with the same
// run-time dispatch as the linear kernels (simd::active_isa(), kernels.h): a portable scalar path
// (ops_scalar.cpp, the reference the tests compare with) and an AVX2+FMA path (ops_avx2.cpp, the
// only file of these compiled with -mavx2 -mfma).
//
// Exactness (why every fast kernel here is bit-identical to its scalar reference):
//   * Dot products whose reference is "sum in double, rounded once" are vectorised across
//     independent outputs (heads, weight rows), never across the summed index: each SIMD lane runs
//     the reference's own sequential sum, and an FMA of an exact product (BF16 x BF16, FP8 x BF16
//     are exact in double) equals the reference's multiply-then-add.
//   * FP32 element-wise steps (RMSNorm scaling, mHC mixing, BF16 rounding) are done lane-wise in
//     the reference's order, with separate multiply and add (no contraction) and RNE to BF16 on the
//     integer bits, exactly as quant.h's round_bf16.
//   * The indexer's scores use integer arithmetic: a query and a key are both FP4 (E2M1 codes times
//     power-of-two block scales), so each 32-wide block's dot product is an exact integer; the four
//     block terms combined in double are exact too, hence equal to the reference's double sum
//     whenever that is exact (block scales within ~2^40 of each other: always in practice; the test
//     covers random and extreme scales).
#pragma once

#include "cpu/simd/kernels.h"

#include <cstdint>

namespace folio::simd {

// Sparse attention of one query token (the contract of folio::sparse_attn_token in cpu/ops.h).
void sparse_attn_token(const float *q, int n_heads, int d, const float *const *keys, int n_keys,
                       const float *attn_sink, float softmax_scale, float *o, Isa isa);

// Grouped low-rank output projection (model.py's wo_a einsum): for output rows r in [r0, r1) of
// wo_a (group g = r / rows_per_group, weight rows decoded exactly by decode_weight_row), and
// tokens i < n: z[i * z_stride + r] = bf16(float(sum_k double(o[i*o_stride + g*gin + k]) *
// double(W[r][k]))), gin = wo_a.in.
void grouped_rows_bf16(const LinearWeight &wo_a, int rows_per_group, const float *o, int n,
                       int o_stride, int r0, int r1, float *z, int z_stride, Isa isa);

// Indexer scores of one query token against n_keys packed indexer keys (IndexKeyCodec layout:
// dim/2 bytes of E2M1 codes, element 2j in the low nibble, then dim/32 E8M0 scales).
// q: [heads, dim] FP4-simulated values, q_scales: [heads, dim/32] their power-of-two block scales,
// hw: [heads] BF16 head weights. score[t] = bf16(sum_h bf16(relu(bf16(dot_h)) * hw[h])), the head
// sum in FP32 in head order, dot_h = float(double sum of the exact products).
void index_scores(const float *q, const float *q_scales, const float *hw, int heads, int dim,
                  const std::uint8_t *keys, int n_keys, float *score, Isa isa);

// RMSNorm rows (the contract of folio::rms_norm_bf16 in cpu/ops.h).
void rms_norm_bf16(const float *x, int m, int d, const float *weight, float eps, float *y, Isa isa);

// mHC: hc_post of one token (hyper_connections.h): out[k][d] = bf16(post[k] * x[d] +
// sum_j comb[j][k] * residual[j][d]) with the sum in FP32 in stream order.
void hc_post_token(const float *x, const float *residual, const float *post, const float *comb,
                   int hc, int dim, float *out, Isa isa);
// mHC collapse of one token: y[d] = bf16(sum_j pre[j] * x[j][d]), FP32 in stream order.
void hc_collapse_token(const float *x, const float *pre, int hc, int dim, float *y, Isa isa);

// SwiGLU of n channels of one token (moe.cpp's expert): out[i] = bf16(w * (silu(g) * u)) with
// g = min(gate[i], limit) and u = clamp(up[i], -limit, limit) when limit > 0 (else unclamped),
// silu(g) = float(d / (1 + exp(-d))) evaluated in double (cpu/math.h's silu_f32), the products in
// FP32, and no `w *` step when weight is null (the shared expert). out may alias gate.
void swiglu_bf16(const float *gate, const float *up, int n, const float *weight, float limit,
                 float *out, Isa isa);

// RoPE by precomputed cos/sin (the contract of folio::apply_rope_cs in cpu/ops.h).
void rope_cs(float *x, const float *cs, int half, bool inverse, Isa isa);

// Softmax-gated pooling of one compressor window (model.py Compressor, compressor.cpp), per channel
// ch < c: over slots s < n_slots with row s at kv/score + s * width + (s >= split ? c : 0),
// weights w_s = exp_f32(score_s - max_s score) (cpu/math.h: double exp rounded once), their FP32
// sum in slot order, then acc = sum_s kv_s * (w_s / sum) in FP32 in slot order; out[ch] =
// bf16(acc). split = n_slots reads column ch of every slot (plain windows); split = ratio reads
// the B half of the current window's slots in overlap mode.
void compressor_pool(const float *kv, const float *score, int width, int n_slots, int split, int c,
                     float *out, Isa isa);

namespace detail {
void sparse_attn_token_scalar(const float *q, int n_heads, int d, const float *const *keys,
                              int n_keys, const float *attn_sink, float softmax_scale, float *o);
void grouped_rows_bf16_scalar(const LinearWeight &wo_a, int rows_per_group, const float *o, int n,
                              int o_stride, int r0, int r1, float *z, int z_stride);
void index_scores_scalar(const float *q, const float *q_scales, const float *hw, int heads, int dim,
                         const std::uint8_t *keys, int n_keys, float *score);
void rms_norm_bf16_scalar(const float *x, int m, int d, const float *weight, float eps, float *y);
void hc_post_token_scalar(const float *x, const float *residual, const float *post,
                          const float *comb, int hc, int dim, float *out);
void hc_collapse_token_scalar(const float *x, const float *pre, int hc, int dim, float *y);
void swiglu_bf16_scalar(const float *gate, const float *up, int n, const float *weight, float limit,
                        float *out);
void rope_cs_scalar(float *x, const float *cs, int half, bool inverse);
// Channels [ch0, ch1) of compressor_pool (the AVX2 kernel's tail takes the scalar code).
void compressor_pool_scalar(const float *kv, const float *score, int width, int n_slots, int split,
                            int c, int ch0, int ch1, float *out);

void sparse_attn_token_avx2(const float *q, int n_heads, int d, const float *const *keys,
                            int n_keys, const float *attn_sink, float softmax_scale, float *o);
void grouped_rows_bf16_avx2(const LinearWeight &wo_a, int rows_per_group, const float *o, int n,
                            int o_stride, int r0, int r1, float *z, int z_stride);
void index_scores_avx2(const float *q, const float *q_scales, const float *hw, int heads, int dim,
                       const std::uint8_t *keys, int n_keys, float *score);
void rms_norm_bf16_avx2(const float *x, int m, int d, const float *weight, float eps, float *y);
void hc_post_token_avx2(const float *x, const float *residual, const float *post, const float *comb,
                        int hc, int dim, float *out);
void hc_collapse_token_avx2(const float *x, const float *pre, int hc, int dim, float *y);
void swiglu_bf16_avx2(const float *gate, const float *up, int n, const float *weight, float limit,
                      float *out);
void rope_cs_avx2(float *x, const float *cs, int half, bool inverse);
void compressor_pool_avx2(const float *kv, const float *score, int width, int n_slots, int split,
                          int c, float *out);
// The double-precision exp of the two kernels above, for |x| <= 700 (tests check its error, which
// bounds how close to an FP32 rounding midpoint a result must be to take the scalar path).
void exp_f64_avx2(const double *x, double *y, int n);
} // namespace detail

} // namespace folio::simd
