// The routed experts' fused FP4 GEMV (decode, and the exact reference path of any length): two
// launches for all the selected experts of all tokens, no host involvement.
//   gate_up: one thread block per (entry, 8 channels); each warp forms one channel's w1 and w3
//            rows against the token's quantised activation (fp4_row_dot_warp: the reference's
//            numerics, bit for bit), rounds both to BF16 as linear_bf16_out does, and applies the
//            SwiGLU with clamp and the gate weight: h [m * k, inter].
//   down:    one thread block per (token, 8 output rows); each warp forms the row of w2 of every
//            expert of the token in increasing expert id against the quantised h, rounds each to
//            BF16 and adds it to the token's FP32 sum y — the CPU MoE's order and roundings.
// Between them the caller quantises h (act_quant, 1x128), as linear_bf16_out does before w2.
// Entries whose expert has no table entry are skipped (the expert cache's other batches).
#include "check.cuh"
#include "gemm_dot.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kMaxActive = 16;

__device__ __forceinline__ const std::uint8_t *expert_of(const MoeExperts &ex, int e)
{
    return (e < 0 || e >= ex.n_experts) ? nullptr : ex.table[e];
}

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    gate_up_kernel(MoeExperts ex, const float *xq, const float *xs, const int *ids, const float *gw,
                   int k, float *h)
{
    const int r = int(blockIdx.x); // entry: token * k + slot
    const std::uint8_t *base = expert_of(ex, ids[r]);
    const int c = int(blockIdx.y) * kWarpsPerBlock + int(threadIdx.x) / 32;
    if (!base || c >= ex.inter) // uniform per block / per warp
        return;
    const int dim = ex.dim, tok = r / k;
    const float *q = xq + std::size_t(tok) * dim;
    const float *s = xs + std::size_t(tok) * (dim / 128);
    // w1, w3: [inter, dim/2] packed, scales [inter, dim/32].
    const std::uint8_t *w1 = base + ex.w_data[0] + std::size_t(c) * (dim / 2);
    const std::uint8_t *s1 = base + ex.w_scale[0] + std::size_t(c) * (dim / 32);
    const std::uint8_t *w3 = base + ex.w_data[2] + std::size_t(c) * (dim / 2);
    const std::uint8_t *s3 = base + ex.w_scale[2] + std::size_t(c) * (dim / 32);
    const float g = bf16_round(fp4_row_dot_warp(q, s, w1, s1, dim));
    const float u = bf16_round(fp4_row_dot_warp(q, s, w3, s3, dim));
    if ((threadIdx.x & 31) == 0)
        h[std::size_t(r) * ex.inter + c] = swiglu_value(g, u, ex.swiglu_limit, gw[r], true);
}

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    down_kernel(MoeExperts ex, const float *hq, const float *hs, const int *ids, int k, float *y)
{
    const int tok = int(blockIdx.x);
    const int c = int(blockIdx.y) * kWarpsPerBlock + int(threadIdx.x) / 32;
    if (c >= ex.dim)
        return;
    int slot[kMaxActive];
    moe_sorted_slots(ids + std::size_t(tok) * k, k, slot);
    const int inter = ex.inter;
    float acc = y[std::size_t(tok) * ex.dim + c];
    for (int j = 0; j < k; ++j) {
        const int r = tok * k + slot[j];
        const std::uint8_t *base = expert_of(ex, ids[r]);
        if (!base)
            continue; // uniform over the warp
        // w2: [dim, inter/2] packed, scales [dim, inter/32].
        const std::uint8_t *w2 = base + ex.w_data[1] + std::size_t(c) * (inter / 2);
        const std::uint8_t *s2 = base + ex.w_scale[1] + std::size_t(c) * (inter / 32);
        const float v = fp4_row_dot_warp(hq + std::size_t(r) * inter,
                                         hs + std::size_t(r) * (inter / 128), w2, s2, inter);
        acc = __fadd_rn(acc, bf16_round(v));
    }
    if ((threadIdx.x & 31) == 0)
        y[std::size_t(tok) * ex.dim + c] = acc;
}

Status check_shapes(const MoeExperts &ex, int k)
{
    if (ex.dim % 128 != 0 || ex.inter % 128 != 0 || ex.dim <= 0 || ex.inter <= 0)
        return Status::error("routed experts: dim " + std::to_string(ex.dim) + " and inter "
                             + std::to_string(ex.inter) + " must be multiples of 128");
    if (k <= 0 || k > kMaxActive)
        return Status::error("routed experts: " + std::to_string(k) + " active experts (at most "
                             + std::to_string(kMaxActive) + ")");
    if (!ex.table)
        return Status::error("routed experts: no expert table");
    return Status::ok();
}

} // namespace

Status moe_gemv_gate_up(const MoeExperts &ex, const float *xq, const float *xs, const int *ids,
                        const float *gw, int m, int k, float *h, cudaStream_t stream)
{
    if (Status st = check_shapes(ex, k); !st)
        return st;
    if (m == 0)
        return Status::ok();
    const dim3 grid(unsigned(m * k), unsigned((ex.inter + kWarpsPerBlock - 1) / kWarpsPerBlock));
    gate_up_kernel<<<grid, kWarpsPerBlock * 32, 0, stream>>>(ex, xq, xs, ids, gw, k, h);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status moe_gemv_down(const MoeExperts &ex, const float *hq, const float *hs, const int *ids, int m,
                     int k, float *y, cudaStream_t stream)
{
    if (Status st = check_shapes(ex, k); !st)
        return st;
    if (m == 0)
        return Status::ok();
    const dim3 grid(unsigned(m), unsigned((ex.dim + kWarpsPerBlock - 1) / kWarpsPerBlock));
    down_kernel<<<grid, kWarpsPerBlock * 32, 0, stream>>>(ex, hq, hs, ids, k, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
