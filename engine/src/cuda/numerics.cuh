// Device-side number formats: the same roundings as engine/src/quant.h, bit for bit (BF16 RNE,
// E4M3FN with saturation, E2M1 with ties to even, E8M0 scales, the power-of-two scale rule of
// kernel.py), the codes themselves (e4m3_code / e2m1_code / e8m0_code, as quant.cpp's encoders:
// the compact KV state is written on the device), and the one block-wide double reduction the
// kernels share (fixed order, so results are the same on every run). Every CUDA kernel of the
// engine rounds through these helpers so that its results can be compared with the CPU reference
// exactly where the CPU is exact.
#pragma once

#include <cstdint>

namespace folio::cuda {

__device__ __forceinline__ float bf16_round(float f)
{
    unsigned u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return __uint_as_float(((u >> 16) | 0x40u) << 16);
    u += 0x7fffu + ((u >> 16) & 1u);
    return __uint_as_float(u & 0xffff0000u);
}

__device__ __forceinline__ float e4m3_value(std::uint8_t code)
{
    const unsigned exp = (code >> 3) & 0xf, man = code & 7;
    if (exp == 0xf && man == 7)
        return __uint_as_float(0x7fc00000u);
    // Normal: (1 + man/8) * 2^(exp-7), built from its FP32 bit pattern (the hot path of the
    // GEMV); subnormal: man * 2^-9. Both exact.
    const float v = exp == 0 ? float(man) * 0.001953125f
                             : __uint_as_float(((exp + 120u) << 23) | (man << 20));
    return (code & 0x80) ? -v : v;
}

// Round to nearest even E4M3 value, saturating at +-448 (inputs are already clamped by callers).
__device__ __forceinline__ float e4m3_round(float x)
{
    if (isnan(x))
        return x;
    const float a = fabsf(x);
    float r;
    if (a >= 448.0f) {
        r = 448.0f;
    } else if (a < 0.015625f) { // 2^-6: subnormal step 2^-9
        r = rintf(a * 512.0f) * 0.001953125f;
    } else {
        int e;
        frexpf(a, &e);
        const float step = ldexpf(1.0f, e - 1 - 3);
        r = fminf(rintf(a / step) * step, 448.0f);
    }
    return copysignf(r, x);
}

__device__ __forceinline__ float e2m1_value(std::uint8_t code)
{
    const float kv[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const float v = kv[code & 7];
    return (code & 8) ? -v : v;
}

// quant.cpp e2m1_encode: nearest E2M1 code, ties to the even code, NaN -> 0.
__device__ __forceinline__ std::uint8_t e2m1_code(float x)
{
    if (isnan(x))
        return 0;
    const float kv[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const std::uint8_t sign = signbit(x) ? 8 : 0;
    const float a = fabsf(x);
    int best = 7;
    for (int c = 0; c < 7; ++c) {
        const float mid = 0.5f * (kv[c] + kv[c + 1]);
        if (a < mid) {
            best = c;
            break;
        }
        if (a == mid) {
            best = (c % 2 == 0) ? c : c + 1;
            break;
        }
    }
    return sign | std::uint8_t(best);
}

// The nearest E2M1 value (ties to even, NaN -> 0): the value of its code.
__device__ __forceinline__ float e2m1_round(float x)
{
    return e2m1_value(e2m1_code(x));
}

__device__ __forceinline__ float e8m0_value(std::uint8_t e)
{
    return e == 0xff ? __uint_as_float(0x7fc00000u) : ldexpf(1.0f, int(e) - 127);
}

// kernel.py fast_round_scale: 2^ceil(log2(v)) from the FP32 bit pattern.
__device__ __forceinline__ float pow2_ceil(float v)
{
    const unsigned bits = __float_as_uint(v);
    const int e = int((bits >> 23) & 0xff) - 127 + ((bits & 0x7fffffu) ? 1 : 0);
    return __uint_as_float(unsigned(e + 127) << 23);
}

__device__ __forceinline__ float fp8_scale_of(float amax)
{
    return pow2_ceil(__fmul_rn(fmaxf(amax, 1e-4f), 1.0f / 448.0f));
}

__device__ __forceinline__ float fp4_scale_of(float amax)
{
    return pow2_ceil(__fmul_rn(fmaxf(amax, 6.0f * 1.1754943508222875e-38f), float(1.0 / 6.0)));
}

// The CPU reference evaluates exp/silu/sigmoid in double and rounds once to FP32.
__device__ __forceinline__ float exp_f32(float x)
{
    return float(exp(double(x)));
}

__device__ __forceinline__ float silu_f32(float x)
{
    const double d = x;
    return float(d / (1.0 + exp(-d)));
}

// The order-preserving unsigned image of an FP32 value (larger float, larger key): the radix
// selections (indexer top-k, the sampler's top-k / top-p) work on these keys. -0 and +0 get the
// same key: the CPU's comparisons hold them equal (the tie then goes to the lower index).
__device__ __forceinline__ unsigned float_order_key(float f)
{
    const unsigned u = __float_as_uint(f == 0.0f ? 0.0f : f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ float sigmoid_f32(float x)
{
    return float(1.0 / (1.0 + exp(-double(x))));
}

// quant.cpp e4m3_encode: the E4M3FN code of x (saturating at +-448, NaN -> 0x7f). Exact for the
// values the simulations produce (x / scale with a power-of-two scale).
__device__ __forceinline__ std::uint8_t e4m3_code(float x)
{
    if (isnan(x))
        return 0x7f;
    const std::uint8_t sign = signbit(x) ? 0x80 : 0;
    const float a = fabsf(x);
    if (a >= 448.0f)
        return sign | 0x7e;
    if (a < 0.015625f) // subnormal grid, quantum 2^-9: the code is the multiple itself
        return sign | std::uint8_t(rintf(a * 512.0f));
    int e;
    frexpf(a, &e);
    const int q = int(rintf(a / ldexpf(1.0f, e - 1 - 3))); // 8..16 (16 carries into the binade)
    const int code = ((e - 1 + 7) << 3) + (q - 8);
    return sign | std::uint8_t(code < 0x7e ? code : 0x7e);
}

// quant.cpp e8m0_encode_pow2: the biased exponent of a power of two.
__device__ __forceinline__ std::uint8_t e8m0_code(float pow2)
{
    return std::uint8_t((__float_as_uint(pow2) >> 23) & 0xffu);
}

// Sum over the thread block of one double per thread, in a fixed order (a xor-shuffle tree in
// each warp, then the warps in order by thread 0), returned to every thread. `red` is a
// __shared__ double[33] of the caller; every thread of the block must call it. Why fixed: the
// reductions feed roundings the CPU reference makes, and the same inputs must give the same
// bits on every run (CUDA graphs on and off compare bit for bit).
__device__ __forceinline__ double block_sum_double(double v, double *red)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
    __syncthreads(); // red[32] of a previous call has been read by every thread
    if (lane == 0)
        red[warp] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        double t = 0;
        for (int w = 0; w < warps; ++w)
            t += red[w];
        red[32] = t;
    }
    __syncthreads();
    return red[32];
}

// The mHC mix of one token (hyper_connections.cpp, shared by hc_pre and hc_head): mixes[j] =
// (x . fn_j) * rsqrt(mean(x^2) + norm_eps) for j < n_mix, x [hc_dim] = the token's hc streams,
// fn [n_mix, hc_dim]. mean(x^2) as mean_square_f32 (squares rounded to FP32, summed, divided in
// FP32), the dot products in double rounded once; one warp per mix row. Ends with a barrier, so
// mixes is ready for every thread.
__device__ __forceinline__ void hc_mixes(const float *xt, const float *fn, int hc_dim, int n_mix,
                                         float norm_eps, double *red, float *mixes)
{
    double acc = 0;
    for (int j = threadIdx.x; j < hc_dim; j += blockDim.x)
        acc += double(__fmul_rn(xt[j], xt[j]));
    const double sq = block_sum_double(acc, red);
    const float r = __fdiv_rn(1.0f,
                              __fsqrt_rn(__fadd_rn(__fdiv_rn(float(sq), float(hc_dim)), norm_eps)));
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
    for (int j = warp; j < n_mix; j += warps) {
        const float *row = fn + std::size_t(j) * hc_dim;
        double dot = 0;
        for (int c = lane; c < hc_dim; c += 32)
            dot += double(xt[c]) * double(row[c]);
        for (int o = 16; o > 0; o >>= 1)
            dot += __shfl_xor_sync(0xffffffffu, dot, o);
        if (lane == 0)
            mixes[j] = __fmul_rn(float(dot), r);
    }
    __syncthreads();
}

// The mHC collapse of one token (hc_pre and hc_head): yt[d] = bf16(sum_j pre[j] * xt[j * dim + d])
// over its hc streams xt [hc, dim], the products and sums rounded in FP32 in stream order as the
// CPU does; the channels d are strided over the block's threads.
__device__ __forceinline__ void hc_collapse(const float *pre, const float *xt, int hc, int dim,
                                            float *yt)
{
    for (int d = threadIdx.x; d < dim; d += blockDim.x) {
        float a = __fmul_rn(pre[0], xt[d]);
        for (int j = 1; j < hc; ++j)
            a = __fadd_rn(a, __fmul_rn(pre[j], xt[std::size_t(j) * dim + d]));
        yt[d] = bf16_round(a);
    }
}

} // namespace folio::cuda
