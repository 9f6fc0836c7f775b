// Manifold-constrained hyper-connections on the GPU (model/hyper_connections.cpp): hc_pre fused in
// one thread block per token (the FP32 mix linear with the RMS factor, sigmoid splits, the
// Sinkhorn normalisation of comb, the collapse of the hc streams), and hc_post. The order of every
// FP32 operation follows the CPU reference; the mix dot products are taken in double and rounded
// once, like linear_f32.
#include "check.cuh"
#include "numerics.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kHcThreads = 256;
constexpr int kHcMax = 8; // hc_mult <= 8: mix <= 80 values per token

__global__ void hc_pre_kernel(const float *x, const float *fn, const float *scale,
                              const float *base, int hc, int dim, int iters, float hc_eps,
                              float norm_eps, float *y, float *post, float *comb)
{
    __shared__ double red[33];
    __shared__ float mixes[(2 + kHcMax) * kHcMax];
    __shared__ float pre[kHcMax];
    const int tok = blockIdx.x, hc_dim = hc * dim, mix = (2 + hc) * hc;
    const float *xt = x + std::size_t(tok) * hc_dim;
    hc_mixes(xt, fn, hc_dim, mix, norm_eps, red, mixes);
    if (threadIdx.x == 0) {
        float *pt = post + std::size_t(tok) * hc;
        float *ct = comb + std::size_t(tok) * hc * hc;
        for (int j = 0; j < hc; ++j)
            pre[j] = __fadd_rn(sigmoid_f32(__fadd_rn(__fmul_rn(mixes[j], scale[0]), base[j])),
                               hc_eps);
        for (int j = 0; j < hc; ++j)
            pt[j] = __fmul_rn(2.0f, sigmoid_f32(__fadd_rn(__fmul_rn(mixes[j + hc], scale[1]),
                                                          base[j + hc])));
        for (int j = 0; j < hc * hc; ++j)
            ct[j] = __fadd_rn(__fmul_rn(mixes[j + 2 * hc], scale[2]), base[j + 2 * hc]);
        for (int j = 0; j < hc; ++j) { // softmax over each row, + eps
            float *row = ct + j * hc;
            float mx = row[0];
            for (int k = 1; k < hc; ++k)
                mx = row[k] > mx ? row[k] : mx;
            float sum = 0.0f;
            for (int k = 0; k < hc; ++k) {
                row[k] = exp_f32(__fsub_rn(row[k], mx));
                sum = __fadd_rn(sum, row[k]);
            }
            for (int k = 0; k < hc; ++k)
                row[k] = __fadd_rn(__fdiv_rn(row[k], sum), hc_eps);
        }
        const int rounds = iters > 1 ? iters : 1; // the reference normalises columns once at least
        for (int it = 0; it < rounds; ++it) {
            if (it > 0) { // rows, then columns; the first round normalises columns only
                for (int j = 0; j < hc; ++j) {
                    float sum = 0.0f;
                    for (int k = 0; k < hc; ++k)
                        sum = __fadd_rn(sum, ct[j * hc + k]);
                    for (int k = 0; k < hc; ++k)
                        ct[j * hc + k] = __fdiv_rn(ct[j * hc + k], __fadd_rn(sum, hc_eps));
                }
            }
            for (int k = 0; k < hc; ++k) {
                float sum = 0.0f;
                for (int j = 0; j < hc; ++j)
                    sum = __fadd_rn(sum, ct[j * hc + k]);
                for (int j = 0; j < hc; ++j)
                    ct[j * hc + k] = __fdiv_rn(ct[j * hc + k], __fadd_rn(sum, hc_eps));
            }
        }
    }
    __syncthreads();
    float *yt = y + std::size_t(tok) * dim;
    hc_collapse(pre, xt, hc, dim, yt);
}

__global__ void hc_post_kernel(const float *x, const float *residual, const float *post,
                               const float *comb, int n, int hc, int dim, float *out)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= std::int64_t(n) * hc * dim)
        return;
    const int d = int(t % dim), k = int((t / dim) % hc), i = int(t / (std::int64_t(hc) * dim));
    const float *ri = residual + std::size_t(i) * hc * dim;
    const float *ci = comb + std::size_t(i) * hc * hc;
    float acc = __fmul_rn(ci[k], ri[d]);
    for (int j = 1; j < hc; ++j)
        acc = __fadd_rn(acc, __fmul_rn(ci[j * hc + k], ri[std::size_t(j) * dim + d]));
    out[t] = bf16_round(
        __fadd_rn(__fmul_rn(post[std::size_t(i) * hc + k], x[std::size_t(i) * dim + d]), acc));
}

} // namespace

Status hc_pre(const float *x, int n, int hc, int dim, const float *fn, const float *scale,
              const float *base, int sinkhorn_iters, float hc_eps, float norm_eps, float *y,
              float *post, float *comb, cudaStream_t stream)
{
    if (hc <= 0 || hc > kHcMax)
        return Status::error("hc_pre: hc_mult " + std::to_string(hc) + " outside 1.."
                             + std::to_string(kHcMax));
    if (n == 0)
        return Status::ok();
    hc_pre_kernel<<<unsigned(n), kHcThreads, 0, stream>>>(x, fn, scale, base, hc, dim,
                                                          sinkhorn_iters, hc_eps, norm_eps, y, post,
                                                          comb);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status hc_post(const float *x, const float *residual, const float *post, const float *comb, int n,
               int hc, int dim, float *out, cudaStream_t stream)
{
    const std::int64_t total = std::int64_t(n) * hc * dim;
    if (total == 0)
        return Status::ok();
    hc_post_kernel<<<unsigned((total + 255) / 256), 256, 0, stream>>>(x, residual, post, comb, n,
                                                                      hc, dim, out);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
