// MoE router and greedy token choice on the GPU. The router follows moe_route
// (model/moe.cpp): scores sqrt(softplus(logit)) in FP32, the bias only steers the selection,
// top-k by descending biased score with ties to the lower expert id (or the fixed experts of the
// token in hash layers, tid2eid), weights = score / sum of the chosen scores * route_scale.
// Greedy choice is the argmax of each logits row, ties to the lower token id (the sampler's
// temperature-0 path).
#include "check.cuh"
#include "numerics.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kMaxExperts = 1024;
constexpr int kMaxActive = 16;

__device__ __forceinline__ float softplus_f32(float x)
{
    return x > 20.0f ? x : float(log1p(exp(double(x))));
}

__global__ void router_kernel(const float *logits, const float *bias, const long long *tid2eid,
                              const int *tokens, int n_experts, int k, float route_scale, int *ids,
                              float *weights)
{
    __shared__ float scores[kMaxExperts], biased[kMaxExperts];
    __shared__ int chosen[kMaxActive];
    const int tok = blockIdx.x;
    const float *lr = logits + std::size_t(tok) * n_experts;
    for (int e = threadIdx.x; e < n_experts; e += blockDim.x) {
        scores[e] = __fsqrt_rn(softplus_f32(lr[e]));
        biased[e] = bias ? __fadd_rn(scores[e], bias[e]) : scores[e];
    }
    __syncthreads();
    if (threadIdx.x != 0)
        return;
    if (tid2eid) {
        for (int j = 0; j < k; ++j)
            chosen[j] = int(tid2eid[std::size_t(tokens[tok]) * k + j]);
    } else {
        // k passes of "largest not yet taken", ties to the lower id: the stable descending order.
        unsigned long long taken[kMaxExperts / 64] = {};
        for (int j = 0; j < k; ++j) {
            int best = -1;
            for (int e = 0; e < n_experts; ++e) {
                if (taken[e / 64] & (1ull << (e % 64)))
                    continue;
                if (best < 0 || biased[e] > biased[best])
                    best = e;
            }
            taken[best / 64] |= 1ull << (best % 64);
            chosen[j] = best;
        }
    }
    float sum = 0.0f;
    for (int j = 0; j < k; ++j)
        sum = __fadd_rn(sum, scores[chosen[j]]);
    for (int j = 0; j < k; ++j) {
        ids[std::size_t(tok) * k + j] = chosen[j];
        weights[std::size_t(tok) * k + j] = __fmul_rn(__fdiv_rn(scores[chosen[j]], sum),
                                                      route_scale);
    }
}

__global__ void argmax_kernel(const float *logits, int n, int *out)
{
    __shared__ float best_v[32];
    __shared__ int best_i[32];
    const float *row = logits + std::size_t(blockIdx.x) * n;
    float v = -__int_as_float(0x7f800000);
    int idx = -1;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        if (!isnan(row[i]) && (idx < 0 || row[i] > v)) { // ">" keeps the lower index on ties
            v = row[i];
            idx = i;
        }
    auto better = [](float va, int ia, float vb, int ib) {
        return ib < 0 || (ia >= 0 && (va > vb || (va == vb && ia < ib)));
    };
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, v, o);
        const int oi = __shfl_xor_sync(0xffffffffu, idx, o);
        if (better(ov, oi, v, idx)) {
            v = ov;
            idx = oi;
        }
    }
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) {
        best_v[warp] = v;
        best_i[warp] = idx;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < int(blockDim.x / 32); ++w)
            if (better(best_v[w], best_i[w], v, idx)) {
                v = best_v[w];
                idx = best_i[w];
            }
        out[blockIdx.x] = idx;
    }
}

} // namespace

Status router(const float *logits, int m, int n_experts, int k, const float *bias,
              const long long *tid2eid, const int *tokens, float route_scale, int *ids,
              float *weights, cudaStream_t stream)
{
    if (n_experts <= 0 || n_experts > kMaxExperts || k <= 0 || k > kMaxActive || k > n_experts)
        return Status::error("router: " + std::to_string(k) + " of " + std::to_string(n_experts)
                             + " experts (at most " + std::to_string(kMaxActive) + " of "
                             + std::to_string(kMaxExperts) + ")");
    if (tid2eid && !tokens)
        return Status::error("router: a hash layer needs the token ids");
    if (m == 0)
        return Status::ok();
    router_kernel<<<unsigned(m), 256, 0, stream>>>(logits, bias, tid2eid, tokens, n_experts, k,
                                                   route_scale, ids, weights);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status argmax(const float *logits, int rows, int n, int *out, cudaStream_t stream)
{
    if (n <= 0)
        return Status::error("argmax: empty rows");
    if (rows == 0)
        return Status::ok();
    argmax_kernel<<<unsigned(rows), 1024, 0, stream>>>(logits, n, out);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
