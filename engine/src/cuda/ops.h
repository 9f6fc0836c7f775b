// Host API of the CUDA kernels (engine/src/cuda/*.cu). Every function works on device pointers,
// enqueues on `stream`, and returns a Status naming the failing CUDA/cuBLAS call with file:line.
// Activations are FP32 buffers holding BF16 values, exactly as in the CPU backend, and every op
// rounds where its CPU reference (engine/src/cpu/ops.h, linear.h, quant.h, model/moe.cpp) rounds,
// so the two backends are compared op by op (tests/engine/test_cuda_*.cpp).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "folio/status.h"

namespace folio::cuda {

// ---- elementwise and row ops (ops.cu) ----
// y [m, d] = bf16(w * x * rsqrt(mean(x^2) + eps)); weight [d] FP32 or null; x and y may alias.
Status rms_norm(const float *x, int m, int d, const float *weight, float eps, float *y,
                cudaStream_t stream);
// Interleaved RoPE on x [m, stride] (the rope_dim values at column offset `col`): row i at
// position pos[i]; freqs [rope_dim/2] (make_rope_freqs, YaRN included); conjugate when inverse.
Status rope(float *x, int m, int stride, int col, int rope_dim, const std::int64_t *pos,
            const float *freqs, bool inverse, cudaStream_t stream);
// gate [m, inter] <- bf16(weight[i] * silu(min(gate, L)) * clamp(up, -L, L)); limit <= 0: no clamp;
// weights [m] or null.
Status swiglu(float *gate, const float *up, int m, int inter, float limit, const float *weights,
              cudaStream_t stream);
// In-place quantise/dequantise simulation in blocks of `block` along rows of n values
// (fp8_simulate_block / fp4_simulate_block); n % block == 0.
Status fp8_simulate(float *x, std::int64_t rows, int n, int block, cudaStream_t stream);
Status fp4_simulate(float *x, std::int64_t rows, int n, int block, cudaStream_t stream);
// FP8 activation quantisation (act_quant_row): q [m, k] decoded E4M3 values, s [m, k/128].
Status act_quant(const float *x, int m, int k, float *q, float *s, cudaStream_t stream);
// In-place BF16 Walsh-Hadamard (n power of two, <= 1024) on rows of n values.
Status hadamard(float *x, std::int64_t rows, int n, cudaStream_t stream);
// y [m, dim] = table[ids[i]] where table is [vocab, dim] BF16; an id outside [0, vocab) gives NaN
// rows (the host validates ids before calling).
Status embedding_gather(const std::uint16_t *table, int vocab, int dim, const int *ids, int m,
                        float *y, cudaStream_t stream);

// ---- hyper-connections (hyper.cu) ----
// hc_pre for n tokens: x [n, hc, dim] BF16 -> y [n, dim] BF16, post [n, hc], comb [n, hc, hc];
// fn [(2+hc)*hc, hc*dim] FP32, scale [3], base [(2+hc)*hc]. hc <= 8.
Status hc_pre(const float *x, int n, int hc, int dim, const float *fn, const float *scale,
              const float *base, int sinkhorn_iters, float hc_eps, float norm_eps, float *y,
              float *post, float *comb, cudaStream_t stream);
// hc_post: out [n, hc, dim] = bf16(post[k] * x + sum_j comb[j][k] * residual[j]).
Status hc_post(const float *x, const float *residual, const float *post, const float *comb, int n,
               int hc, int dim, float *out, cudaStream_t stream);

// ---- router and greedy choice (router.cu) ----
// moe_route for m tokens: logits [m, n_experts] FP32; bias [n_experts] or null; tid2eid
// [vocab, k] int64 with tokens [m] for hash layers (else both null); ids, weights [m, k].
// n_experts <= 1024, k <= 16.
Status router(const float *logits, int m, int n_experts, int k, const float *bias,
              const long long *tid2eid, const int *tokens, float route_scale, int *ids,
              float *weights, cudaStream_t stream);
// out [rows] = index of the largest logit of each row, ties to the lower index; NaN never wins
// (-1 for a row of NaN only).
Status argmax(const float *logits, int rows, int n, int *out, cudaStream_t stream);

// ---- linears (linear.cu) ----
// FP8 block-scaled linear: y [m, n] = bf16(sum_b part_b * (sa_b * ws_b)), weight [n, k] E4M3
// codes with [ceil(n/128), ceil(k/128)] E8M0 scales; x [m, k] BF16 values quantised per 1x128.
// FP4 linear: weight [n, k/2] packed E2M1 (low nibble = even k) with [n, k/32] E8M0 scales.
// `work` must hold m*k + m*(k/128) floats (activation codes and scales).
Status linear_fp8(const float *x, int m, int k, const std::uint8_t *w, const std::uint8_t *scale,
                  int n, float *work, float *y, cudaStream_t stream);
Status linear_fp4(const float *x, int m, int k, const std::uint8_t *w, const std::uint8_t *scale,
                  int n, float *work, float *y, cudaStream_t stream);
// BF16 linear through cuBLAS (FP32 accumulation, output rounded to BF16 unless !round_out, the
// FP32 linears of BF16-valued inputs): weight [n, k] BF16; `xb` is scratch for m*k BF16 values.
// `cublas` is a cublasHandle_t bound to `stream`.
Status linear_bf16(void *cublas, const float *x, int m, int k, const std::uint16_t *w, int n,
                   std::uint16_t *xb, float *y, cudaStream_t stream, bool round_out = true);
// The grouped wo_a einsum through cuBLAS (strided batched): x [m, groups*k] BF16 values, w
// [groups*rank, k] BF16 (group g's rows g*rank..), y [m, groups*rank] rounded to BF16; xb is
// scratch for m*groups*k BF16 values.
Status linear_bf16_grouped(void *cublas, const float *x, int m, int groups, int k,
                           const std::uint16_t *w, int rank, std::uint16_t *xb, float *y,
                           cudaStream_t stream);

// ---- attention and selection (attention.cu) ----
// sparse_attn_token for m query tokens: q [m, heads, d]; idx [m, n_keys] rows into kv [*, d]
// (-1 = no key); sink [heads]; o [m, heads, d]. d <= 1024.
Status sparse_attention(const float *q, int m, int heads, int d, const float *kv, const int *idx,
                        int n_keys, const float *sink, float scale, float *o, cudaStream_t stream);
// Lightning indexer scores: q [m, ih, id], hw [m, ih] (head weights, already scaled and rounded),
// keys [n_entries, id] (decoded indexer keys); scores [m, n_entries], -inf at t >= visible[i].
// ih <= 64.
Status indexer_scores(const float *q, const float *hw, int m, int ih, int id, const float *keys,
                      int n_entries, const int *visible, float *scores, cudaStream_t stream);
// topk_desc per row: scores [rows, n] -> out [rows, k] indices by descending score, ties to the
// lower index; radix select (no full sort). k <= 2048 (k > n: k = n, the row stride of out).
Status topk(const float *scores, int rows, int n, int k, int *out, cudaStream_t stream);

// ---- the layer driver's kernels (forward_ops.cu) ----
// Exact linear: y [m, n] = x W^T with every output the double-precision sum rounded once to FP32
// (and to BF16 when out_bf16), as cpu/linear.cpp's BF16/FP32 paths. w [n, k] BF16 (w_bf16) or
// FP32; row r of the output reads x[tok][(r / group_rows) * k ..] (rows of x_stride floats):
// group_rows = n for a plain linear, o_lora_rank for the grouped wo_a.
Status linear_exact(const float *x, int m, int k, int x_stride, const void *w, bool w_bf16, int n,
                    int group_rows, bool out_bf16, float *y, cudaStream_t stream);
// The BF16 per-head query norm (attention.cpp head_norm_bf16) on rows of d values, in place.
Status head_norm(float *q, std::int64_t rows, int d, float eps, cudaStream_t stream);
// fp8/fp4_simulate_block on columns [col0, col0 + ncols) of rows of `stride` floats, in blocks of
// `block`; scales [rows, ncols / block] receive the power-of-two scales (or null).
Status quant_simulate(float *x, std::int64_t rows, int stride, int col0, int ncols, int block,
                      bool fp4, float *scales, cudaStream_t stream);
// The compressor's gated pooling (model/compressor.cpp) for n tokens at positions start..:
// kv, score [n, coff*c] FP32, ape [ratio, coff*c]; the pending slots state_kv / state_score
// [coff*ratio, coff*c] are updated in place; out [entries closed in this call, c] BF16 pooled
// values (before the norm), in order.
Status compressor_pool(const float *kv, const float *score, const float *ape, int n,
                       std::int64_t start, int ratio, int c, bool overlap, float *state_kv,
                       float *state_score, float *out, cudaStream_t stream);
// hc_head: x [n, hc, dim] -> y [n, dim] BF16; fn [hc, hc*dim], scale [1], base [hc]. hc <= 8.
Status hc_head(const float *x, int n, int hc, int dim, const float *fn, const float *scale,
               const float *base, float hc_eps, float norm_eps, float *y, cudaStream_t stream);
// y [m, dim] = x[rows[r]]; scatter: y[rows[r]] += src[r] (FP32; rows distinct).
Status gather_rows(const float *x, const int *rows, int m, int dim, float *y, cudaStream_t stream);
Status scatter_add_rows(float *y, const int *rows, int m, int dim, const float *src,
                        cudaStream_t stream);
// out [rows, dim] = bf16(a + b), b [rows / repeat, dim] broadcast over `repeat` consecutive rows.
Status add_round(const float *a, const float *b, std::int64_t rows, int dim, int repeat, float *out,
                 cudaStream_t stream);
// x [n] = bf16(x * s).
Status scale_round(float *x, std::int64_t n, float s, cudaStream_t stream);
// Attention key lists from the indexer's picks [m, k]: idx[i][col0 + j] = base + pick for
// j < width[i] and pick < visible[i], else -1; idx rows have n_keys entries.
Status picks_to_idx(const int *picks, int m, int k, const int *visible, const int *width, int base,
                    int *idx, int n_keys, int col0, cudaStream_t stream);

// ---- tensor-core GEMM inputs (gemm_quant.cu; the cuBLASLt FP8 GEMM is gemm_fp8_lt.h) ----
// act_quant_row's quantisation of x [m, k] (k % 128 == 0) as E4M3 bytes codes [m_pad, k] with
// FP32 scales [k/128, m_pad] (row index fastest: cuBLASLt's VEC128_32F layout); rows m..m_pad-1
// get zero codes and unit scales.
Status act_quant_fp8_codes(const float *x, int m, int m_pad, int k, std::uint8_t *codes,
                           float *scales, cudaStream_t stream);
// The same quantisation dequantised: y [m, k] BF16 = e4m3(x / s) * s (exact in BF16).
Status act_quant_bf16(const float *x, int m, int k, std::uint16_t *y, cudaStream_t stream);
// y [n] = x [n] BF16 widened to FP32.
Status bf16_widen(const std::uint16_t *x, std::int64_t n, float *y, cudaStream_t stream);

// ---- routed experts on the device (moe_group.cu, moe_gemv.cu, moe_grouped.cu) ----
// The routed experts of one block: every expert packed as in cuda_model.h's ExpertLayout (w1, w2,
// w3 FP4 [rows, in/2] with E8M0 scales [rows, in/32]); `table` [n_experts] device pointers to the
// packed copies, null for an expert this call must skip (not in the expert cache's current
// batch); w1/w3 [inter, dim], w2 [dim, inter].
struct MoeExperts
{
    const std::uint8_t *const *table = nullptr;
    std::size_t w_data[3] = {}, w_scale[3] = {}; // byte offsets of w1, w2, w3 in a packed expert
    int n_experts = 0, dim = 0, inter = 0;
    float swiglu_limit = 0.0f;
};
// Grouping by expert of the router's choice ids [m, k] (entry r = token * k + slot), without the
// host: counts [E], offsets [E + 1] (exclusive prefix sums), order [m * k] (the entries of expert
// 0, then 1, ..., each in increasing r: the CPU MoE's order), pos [m * k] (pos[order[p]] = p),
// wg [m * k] (wg[p] = gw[order[p]]), tile_start [E + 1] (prefix sums of ceil(counts / tile_rows),
// the grouped GEMM's row tiles). Ids outside [0, E) are in no group (the combine skips them).
Status moe_group(const int *ids, const float *gw, int m, int k, int n_experts, int tile_rows,
                 int *counts, int *offsets, int *order, int *pos, float *wg, int *tile_start,
                 cudaStream_t stream);
// Decode / exact path, gate and up (moe_gemv.cu): for every entry r of ids [m, k] whose expert is
// in the table, h [m * k, inter] = bf16(gw[r] * silu(min(w1 x, L)) * clamp(w3 x, -L, L)) with
// x = the token's row of xq [m, dim] (decoded E4M3 values, act_quant) and its scales xs
// [m, dim/128]; bit-exact with the CPU MoE (linear_bf16_out on the FP4 weights, then SwiGLU).
Status moe_gemv_gate_up(const MoeExperts &ex, const float *xq, const float *xs, const int *ids,
                        const float *gw, int m, int k, float *h, cudaStream_t stream);
// Decode / exact path, down and combine: y [m, dim] += bf16(w2 hq) of each entry of the token
// whose expert is in the table, in increasing expert id (the CPU's summation order); hq
// [m * k, inter] decoded E4M3 values with scales hs [m * k, inter/128] (act_quant of h).
Status moe_gemv_down(const MoeExperts &ex, const float *hq, const float *hs, const int *ids, int m,
                     int k, float *y, cudaStream_t stream);
// Prefill path (moe_grouped.cu): for the grouped rows of every expert in the table,
// out [m * k (grouped), n] = bf16(a W^T) with W = w1 (which = 0), w2 (1) or w3 (2) of the expert,
// on BF16 tensor cores with FP32 accumulation. a: BF16 rows, [m, K] gathered through order /
// k (gather = true: the tokens' activations) or [m * k (grouped), K] (gather = false); K = dim
// for w1/w3, inter for w2. counts, offsets, order, tile_start from moe_group with
// kMoeTileRows; max_tiles >= tile_start[E] (ceil(m * k / kMoeTileRows) + E is always enough).
constexpr int kMoeTileRows = 64;
Status moe_grouped_gemm(const MoeExperts &ex, int which, const std::uint16_t *a, bool gather, int m,
                        int k, const int *counts, const int *offsets, const int *order,
                        const int *tile_start, int max_tiles, float *out, cudaStream_t stream);
// y [m, dim] += o[pos[t * k + slot]] for the token's entries whose expert is in the table, in
// increasing expert id; o [m * k (grouped), dim].
Status moe_combine(const MoeExperts &ex, const float *o, const int *ids, const int *pos, int m,
                   int k, float *y, cudaStream_t stream);

} // namespace folio::cuda
