// Number-format conversions (see quant.h). Encoders are written on the bit level so they are
// exact and independent of the host's rounding mode.
#include "quant.h"

#include <algorithm>
#include <cmath>

namespace folio {

std::uint16_t f32_to_bf16(float f)
{
    std::uint32_t u = f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return std::uint16_t((u >> 16) | 0x40); // quiet NaN
    // Round to nearest even: add 0x7fff plus the lowest kept bit, then truncate.
    u += 0x7fffu + ((u >> 16) & 1u);
    return std::uint16_t(u >> 16);
}

float e4m3_decode(std::uint8_t code)
{
    const int sign = code >> 7;
    const int exp = (code >> 3) & 0xf;
    const int man = code & 7;
    if (exp == 0xf && man == 7)
        return std::nanf("");
    float v = exp == 0 ? std::ldexp(float(man), -9) // subnormal: man/8 * 2^-6
                       : std::ldexp(float(8 + man), exp - 10);
    return sign ? -v : v;
}

std::uint8_t e4m3_encode(float x)
{
    if (std::isnan(x))
        return 0x7f;
    const std::uint8_t sign = std::signbit(x) ? 0x80 : 0;
    const float a = std::fabs(x);
    if (a >= kFp8Max)
        return sign | 0x7e; // saturate (the reference clamps to +-448 before the cast)
    // Below 2^-6 the grid is the subnormal one, quantum 2^-9, and the code is the multiple itself
    // (a multiple of 8 = 2^-6 is code 0x08, the smallest normal, so rounding up needs no care).
    // a / quantum is exact (power of two); nearbyint rounds half to even in the default mode.
    if (a < std::ldexp(1.0f, -6))
        return sign | std::uint8_t(std::nearbyint(a / std::ldexp(1.0f, -9)));
    int e;
    std::frexp(a, &e); // a = m * 2^e, m in [0.5, 1): the binade is 2^(e-1)
    const int exp_unbiased = e - 1;
    const int q = int(std::nearbyint(a / std::ldexp(1.0f, exp_unbiased - 3))); // 8..16
    // q == 16 carries into the next binade: ((b << 3) + 8) == ((b + 1) << 3), so no special case.
    const int code = ((exp_unbiased + 7) << 3) + (q - 8);
    return sign | std::uint8_t(std::min(code, 0x7e));
}

float e2m1_decode(std::uint8_t code)
{
    static const float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const float v = kValues[code & 7];
    return (code & 8) ? -v : v;
}

std::uint8_t e2m1_encode(float x)
{
    if (std::isnan(x))
        return 0; // no NaN in E2M1; the reference never feeds one (amax is finite)
    const std::uint8_t sign = std::signbit(x) ? 8 : 0;
    const float a = std::fabs(x);
    // Midpoints between neighbouring codes; at an exact midpoint pick the even code.
    static const float kValues[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    int best = 7;
    for (int c = 0; c < 7; ++c) {
        const float mid = 0.5f * (kValues[c] + kValues[c + 1]);
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

float e8m0_decode(std::uint8_t e)
{
    if (e == 0xff)
        return std::nanf("");
    return std::ldexp(1.0f, int(e) - 127);
}

std::uint8_t e8m0_encode_pow2(float pow2)
{
    return std::uint8_t((f32_to_bits(pow2) >> 23) & 0xff);
}

int fast_log2_ceil(float x)
{
    const std::uint32_t bits = f32_to_bits(x);
    const int exp = int((bits >> 23) & 0xff);
    const bool man = (bits & 0x7fffffu) != 0;
    return exp - 127 + (man ? 1 : 0);
}

float fast_pow2(int e)
{
    return bits_to_f32(std::uint32_t(e + 127) << 23);
}

float fp8_block_scale(float amax)
{
    // fp32(1/448) exactly as the kernel's constant; the product is an fp32 multiply.
    const float inv = 1.0f / 448.0f;
    return fast_pow2(fast_log2_ceil(std::max(amax, 1e-4f) * inv));
}

float fp4_block_scale(float amax)
{
    const float inv = float(1.0 / 6.0);
    const float floor_amax = 6.0f * std::ldexp(1.0f, -126);
    return fast_pow2(fast_log2_ceil(std::max(amax, floor_amax) * inv));
}

float fp8_simulate_block(float *x, int n)
{
    float amax = 0.0f;
    for (int i = 0; i < n; ++i)
        amax = std::max(amax, std::fabs(x[i]));
    const float s = fp8_block_scale(amax);
    for (int i = 0; i < n; ++i) {
        const float q = std::clamp(x[i] / s, -kFp8Max, kFp8Max);
        x[i] = round_bf16(e4m3_decode(e4m3_encode(q)) * s);
    }
    return s;
}

float fp4_simulate_block(float *x, int n)
{
    float amax = 0.0f;
    for (int i = 0; i < n; ++i)
        amax = std::max(amax, std::fabs(x[i]));
    const float s = fp4_block_scale(amax);
    for (int i = 0; i < n; ++i) {
        const float q = std::clamp(x[i] / s, -kFp4Max, kFp4Max);
        x[i] = round_bf16(e2m1_decode(e2m1_encode(q)) * s);
    }
    return s;
}

} // namespace folio
