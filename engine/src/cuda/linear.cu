// CUDA linears in the release's storage formats with the reference's GEMM numerics (see
// engine/src/cpu/linear.h): the activation is FP8-quantised per 1x128 block (ops.cu act_quant),
// each K block's partial sum of code products is formed exactly (double: the products of 8-bit
// codes span < 53 bits) and rounded once to FP32, then added to an FP32 accumulator in block order
// times the activation and weight scales, output rounded to BF16. FP4 experts are expanded from
// their packed nibbles in registers (Hopper has no FP4 tensor cores). Decode (m < 8): one warp
// per output value; prefill: shared-memory tiles on the CUDA cores. These are the exact kernels;
// the FP8 prefill GEMM on the tensor cores is cuBLASLt's (gemm_fp8_lt.cu), the routed experts'
// FP4 GEMMs are moe_gemv.cu / moe_grouped.cu. BF16 linears go to cuBLAS.
#include <cublas_v2.h>
#include <cuda_bf16.h>

#include "check.cuh"
#include "gemm_dot.cuh"
#include "numerics.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

template<bool kFp4>
__global__ void linear_quant_kernel(const float *q, const float *sa, int k, const std::uint8_t *w,
                                    const std::uint8_t *scale, int n, float *y)
{
    const int row = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    const int tok = blockIdx.y;
    if (row >= n)
        return;
    const float *qa = q + std::size_t(tok) * k;
    const float *st = sa + std::size_t(tok) * (k / 128);
    float acc = 0.0f; // the kernel's FP32 C_local_accum, summed in K-block order
    if (kFp4) {
        // One 32-block per lane (16-byte loads), the partials added in block order.
        acc = fp4_row_dot_warp(qa, st, w + std::size_t(row) * (k / 2),
                               scale + std::size_t(row) * (k / 32), k);
    } else {
        // Four lanes per 128-block (32-byte loads), the partials added in block order.
        const int tiles_in = (k + 127) / 128;
        acc = fp8_row_dot_warp(qa, st, w + std::size_t(row) * k,
                               scale + std::size_t(row / 128) * tiles_in, k);
    }
    if (lane == 0)
        y[std::size_t(tok) * n + row] = bf16_round(acc);
}

// The prefill shape (m >= kTiledMinRows): 64x64 output tiles, K in chunks of 32 staged in shared
// memory as decoded values, 4x4 outputs per thread. The per-block partial sums stay in double
// (exact, as in the GEMV kernel), so both shapes give the CPU's results bit for bit.
constexpr int kTile = 64, kChunk = 32, kTiledMinRows = 8;

template<bool kFp4>
__global__ void __launch_bounds__(256)
    linear_quant_tiled_kernel(const float *q, const float *sa, int m, int k, const std::uint8_t *w,
                              const std::uint8_t *scale, int n, float *y)
{
    __shared__ float as[kTile][kChunk + 1];
    __shared__ float ws[kTile][kChunk + 1];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
    constexpr int kBlock = kFp4 ? 32 : 128; // K block of one weight scale
    float acc[4][4] = {};
    double part[4][4] = {};
    for (int k0 = 0; k0 < k; k0 += kChunk) {
        for (int e = threadIdx.x; e < kTile * kChunk; e += blockDim.x) {
            const int r = e / kChunk, c = e % kChunk;
            const int tok = row0 + r, out = col0 + r, kk = k0 + c;
            as[r][c] = tok < m ? q[std::size_t(tok) * k + kk] : 0.0f;
            float wv = 0.0f;
            if (out < n) {
                if (kFp4) {
                    const std::uint8_t byte = w[std::size_t(out) * (k / 2) + kk / 2];
                    wv = e2m1_value((kk & 1) ? (byte >> 4) : (byte & 0xf));
                } else {
                    wv = e4m3_value(w[std::size_t(out) * k + kk]);
                }
            }
            ws[r][c] = wv;
        }
        __syncthreads();
        for (int c = 0; c < kChunk; ++c) {
            double a[4], b[4];
            for (int i = 0; i < 4; ++i) {
                a[i] = as[ty * 4 + i][c];
                b[i] = ws[tx * 4 + i][c];
            }
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j)
                    part[i][j] += a[i] * b[j];
        }
        __syncthreads();
        if ((k0 + kChunk) % kBlock == 0) { // a weight-scale block is complete: fold it in
            const int b = k0 / kBlock;
            for (int i = 0; i < 4; ++i) {
                const int tok = row0 + ty * 4 + i;
                if (tok >= m)
                    continue;
                const float s_act = sa[std::size_t(tok) * (k / 128) + (b * kBlock) / 128];
                for (int j = 0; j < 4; ++j) {
                    const int out = col0 + tx * 4 + j;
                    if (out >= n)
                        continue;
                    float s_w;
                    if (kFp4) {
                        s_w = e8m0_value(scale[std::size_t(out) * (k / 32) + b]);
                        acc[i][j] = __fadd_rn(acc[i][j],
                                              __fmul_rn(__fmul_rn(float(part[i][j]), s_act), s_w));
                    } else {
                        s_w = e8m0_value(scale[std::size_t(out / 128) * ((k + 127) / 128) + b]);
                        acc[i][j] = __fadd_rn(acc[i][j],
                                              __fmul_rn(float(part[i][j]), __fmul_rn(s_act, s_w)));
                    }
                    part[i][j] = 0.0;
                }
            }
        }
    }
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            const int tok = row0 + ty * 4 + i, out = col0 + tx * 4 + j;
            if (tok < m && out < n)
                y[std::size_t(tok) * n + out] = bf16_round(acc[i][j]);
        }
}

__global__ void to_bf16_kernel(const float *x, std::int64_t n, __nv_bfloat16 *y)
{
    const std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = __float2bfloat16_rn(x[i]);
}

__global__ void round_bf16_kernel(float *x, std::int64_t n)
{
    const std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] = bf16_round(x[i]);
}

Status linear_quant(bool fp4, const float *x, int m, int k, const std::uint8_t *w,
                    const std::uint8_t *scale, int n, float *work, float *y, cudaStream_t stream)
{
    if (k % 128 != 0)
        return Status::error("quantised linear: in = " + std::to_string(k)
                             + " is not a multiple of 128");
    if (m == 0 || n == 0)
        return Status::ok();
    float *q = work;
    float *sa = work + std::size_t(m) * k;
    Status st = act_quant(x, m, k, q, sa, stream);
    if (!st)
        return st;
    if (m >= kTiledMinRows) {
        const dim3 tiles(unsigned((n + kTile - 1) / kTile), unsigned((m + kTile - 1) / kTile));
        if (fp4)
            linear_quant_tiled_kernel<true><<<tiles, 256, 0, stream>>>(q, sa, m, k, w, scale, n, y);
        else
            linear_quant_tiled_kernel<false>
                <<<tiles, 256, 0, stream>>>(q, sa, m, k, w, scale, n, y);
        CUDA_CHECK(cudaGetLastError());
        return Status::ok();
    }
    const dim3 grid(unsigned((n + kWarpsPerBlock - 1) / kWarpsPerBlock), unsigned(m));
    if (fp4)
        linear_quant_kernel<true>
            <<<grid, kWarpsPerBlock * 32, 0, stream>>>(q, sa, k, w, scale, n, y);
    else
        linear_quant_kernel<false>
            <<<grid, kWarpsPerBlock * 32, 0, stream>>>(q, sa, k, w, scale, n, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace

Status linear_fp8(const float *x, int m, int k, const std::uint8_t *w, const std::uint8_t *scale,
                  int n, float *work, float *y, cudaStream_t stream)
{
    return linear_quant(false, x, m, k, w, scale, n, work, y, stream);
}

Status linear_fp4(const float *x, int m, int k, const std::uint8_t *w, const std::uint8_t *scale,
                  int n, float *work, float *y, cudaStream_t stream)
{
    return linear_quant(true, x, m, k, w, scale, n, work, y, stream);
}

Status linear_bf16(void *cublas, const float *x, int m, int k, const std::uint16_t *w, int n,
                   std::uint16_t *xb, float *y, cudaStream_t stream, bool round_out)
{
    if (m == 0 || n == 0)
        return Status::ok();
    const std::int64_t nx = std::int64_t(m) * k, ny = std::int64_t(m) * n;
    auto *xbf = reinterpret_cast<__nv_bfloat16 *>(xb);
    to_bf16_kernel<<<unsigned((nx + 255) / 256), 256, 0, stream>>>(x, nx, xbf);
    CUDA_CHECK(cudaGetLastError());
    auto handle = static_cast<cublasHandle_t>(cublas);
    CUBLAS_CHECK(cublasSetStream(handle, stream));
    const float alpha = 1.0f, beta = 0.0f;
    // Column-major view: Y^T [n, m] = W [n, k] (stored row-major = col-major [k, n], transposed)
    // times X^T [k, m].
    CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &alpha, w, CUDA_R_16BF, k,
                              xbf, CUDA_R_16BF, k, &beta, y, CUDA_R_32F, n, CUBLAS_COMPUTE_32F,
                              CUBLAS_GEMM_DEFAULT));
    if (!round_out)
        return Status::ok();
    round_bf16_kernel<<<unsigned((ny + 255) / 256), 256, 0, stream>>>(y, ny);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status linear_bf16_grouped(void *cublas, const float *x, int m, int groups, int k,
                           const std::uint16_t *w, int rank, std::uint16_t *xb, float *y,
                           cudaStream_t stream)
{
    if (m == 0 || groups == 0 || rank == 0)
        return Status::ok();
    const std::int64_t nx = std::int64_t(m) * groups * k, ny = std::int64_t(m) * groups * rank;
    auto *xbf = reinterpret_cast<__nv_bfloat16 *>(xb);
    to_bf16_kernel<<<unsigned((nx + 255) / 256), 256, 0, stream>>>(x, nx, xbf);
    CUDA_CHECK(cudaGetLastError());
    auto handle = static_cast<cublasHandle_t>(cublas);
    CUBLAS_CHECK(cublasSetStream(handle, stream));
    const float alpha = 1.0f, beta = 0.0f;
    // Per group g, column-major: Z_g^T [rank, m] = W_g (row-major [rank, k]) ^T-view times
    // X_g^T [k, m], where X_g is columns [g*k, (g+1)*k) of x (leading dimension groups*k) and
    // Z_g columns [g*rank, (g+1)*rank) of y (leading dimension groups*rank).
    CUBLAS_CHECK(cublasGemmStridedBatchedEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, rank, m, k, &alpha, w,
                                            CUDA_R_16BF, k, std::int64_t(rank) * k, xbf, CUDA_R_16BF,
                                            groups * k, k, &beta, y, CUDA_R_32F, groups * rank,
                                            rank, groups, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    round_bf16_kernel<<<unsigned((ny + 255) / 256), 256, 0, stream>>>(y, ny);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
