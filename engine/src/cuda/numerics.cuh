// Device-side number formats: the same roundings as engine/src/quant.h, bit for bit (BF16 RNE,
// E4M3FN with saturation, E2M1 with ties to even, E8M0 scales, the power-of-two scale rule of
// kernel.py). Every CUDA kernel of the engine rounds through these helpers so that its results can
// be compared with the CPU reference exactly where the CPU is exact.
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

__device__ __forceinline__ float e2m1_round(float x)
{
    if (isnan(x))
        return 0.0f;
    const float kv[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
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
    return copysignf(kv[best], x);
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

} // namespace folio::cuda
