// Activation quantisation for the tensor-core GEMMs (gemm_fp8_lt.cu, moe_grouped.cu), with the
// rounding of act_quant_row (cpu/linear.cpp, ops.cu act_quant): per 1x128 block a power-of-two
// scale s = pow2_ceil(max(amax, 1e-4) / 448), values e4m3(clamp(x / s)). Two output forms:
//   * E4M3 bytes with FP32 scales in cuBLASLt's VEC128_32F layout (row index fastest, the rows
//     padded with zero codes and unit scales to the GEMM's row count), for the FP8 GEMM;
//   * the dequantised values e4m3(x / s) * s as BF16 (exact: 4 significant bits times a power of
//     two), for the BF16 tensor-core grouped GEMM of the routed experts.
// Plus the widening of a BF16 GEMM result into the engine's FP32 activation buffers.
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include "check.cuh"
#include "gemm_dot.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kBlock = 128; // elements per activation scale

// One warp per (row, 128-block): amax by shuffles, then 4 values per lane.
template<bool kCodes>
__global__ void act_quant_gemm_kernel(const float *x, int m, int m_pad, int k, std::uint8_t *codes,
                                      float *scales, __nv_bfloat16 *deq)
{
    const std::int64_t blocks_per_row = k / kBlock;
    const std::int64_t b = (std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = int(threadIdx.x) % 32;
    if (b >= std::int64_t(m_pad) * blocks_per_row)
        return;
    const int row = int(b / blocks_per_row), blk = int(b % blocks_per_row);
    const std::size_t at = std::size_t(row) * k + std::size_t(blk) * kBlock;
    if (row >= m) { // padding rows of the FP8 GEMM: zero codes, unit scale
        for (int i = lane; i < kBlock; i += 32)
            codes[at + i] = 0;
        if (lane == 0)
            scales[std::size_t(blk) * m_pad + row] = 1.0f;
        return;
    }
    const float *xb = x + at;
    float amax = 0.0f;
    for (int i = lane; i < kBlock; i += 32)
        amax = fmaxf(amax, fabsf(xb[i]));
    for (int o = 16; o > 0; o >>= 1)
        amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
    const float scale = fp8_scale_of(amax);
    for (int i = lane; i < kBlock; i += 32) {
        const float r = act_quant_value(xb[i], scale);
        if (kCodes) // r is an E4M3 value (or NaN): the conversion is exact
            codes[at + i] = std::uint8_t(__nv_cvt_float_to_fp8(r, __NV_SATFINITE, __NV_E4M3));
        else
            deq[at + i] = __float2bfloat16_rn(__fmul_rn(r, scale));
    }
    if (kCodes && lane == 0)
        scales[std::size_t(blk) * m_pad + row] = scale;
}

__global__ void bf16_widen_kernel(const __nv_bfloat16 *x, std::int64_t n, float *y)
{
    const std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = __bfloat162float(x[i]);
}

unsigned warps_grid(std::int64_t warps)
{
    return unsigned((warps * 32 + 255) / 256);
}

} // namespace

Status act_quant_fp8_codes(const float *x, int m, int m_pad, int k, std::uint8_t *codes,
                           float *scales, cudaStream_t stream)
{
    if (k % kBlock != 0 || m_pad < m)
        return Status::error("act_quant_fp8_codes: k = " + std::to_string(k)
                             + " must be a multiple of 128 and m_pad >= m");
    const std::int64_t warps = std::int64_t(m_pad) * (k / kBlock);
    if (warps == 0)
        return Status::ok();
    act_quant_gemm_kernel<true>
        <<<warps_grid(warps), 256, 0, stream>>>(x, m, m_pad, k, codes, scales, nullptr);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status act_quant_bf16(const float *x, int m, int k, std::uint16_t *y, cudaStream_t stream)
{
    if (k % kBlock != 0)
        return Status::error("act_quant_bf16: k = " + std::to_string(k)
                             + " is not a multiple of 128");
    const std::int64_t warps = std::int64_t(m) * (k / kBlock);
    if (warps == 0)
        return Status::ok();
    act_quant_gemm_kernel<false>
        <<<warps_grid(warps), 256, 0, stream>>>(x, m, m, k, nullptr, nullptr,
                                                reinterpret_cast<__nv_bfloat16 *>(y));
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status bf16_widen(const std::uint16_t *x, std::int64_t n, float *y, cudaStream_t stream)
{
    if (n == 0)
        return Status::ok();
    bf16_widen_kernel<<<unsigned((n + 255) / 256), 256, 0, stream>>>(
        reinterpret_cast<const __nv_bfloat16 *>(x), n, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
