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
} // namespace detail

} // namespace folio::simd
