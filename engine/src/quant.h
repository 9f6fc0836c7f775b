// Number formats of the DeepSeek-V4 release and of its reference numerics: BF16 <-> FP32 with
// round-to-nearest-even, FP8 E4M3FN (max 448, no infinities), FP4 E2M1 (max 6), E8M0 power-of-two
// scales, and the power-of-two scale rule of the reference kernels (kernel.py fast_round_scale).
// Every rounding decision the engine makes on activations goes through these functions, so the
// forward pass rounds exactly where the reference rounds. folio-mkmodel uses the encoders to
// write weights in the release's formats.
#pragma once

#include <cstdint>
#include <cstring>

namespace folio {

constexpr float kFp8Max = 448.0f; // largest finite E4M3FN value
constexpr float kFp4Max = 6.0f;   // largest E2M1 value

inline float bits_to_f32(std::uint32_t u)
{
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline std::uint32_t f32_to_bits(float f)
{
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// BF16 is the upper half of an FP32 bit pattern.
inline float bf16_to_f32(std::uint16_t b)
{
    return bits_to_f32(std::uint32_t(b) << 16);
}

// FP32 -> BF16, round to nearest, ties to even (what torch's .to(bfloat16) does); NaN stays a
// quiet NaN.
std::uint16_t f32_to_bf16(float f);

// Rounds an FP32 value to the nearest BF16 value and returns it as FP32. The engine keeps BF16
// activations in float buffers whose values are all BF16-representable; this is the one rounding
// step that makes them so.
inline float round_bf16(float f)
{
    return bf16_to_f32(f32_to_bf16(f));
}

// E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa bits; 0x7F/0xFF are NaN; no infinities.
float e4m3_decode(std::uint8_t code);
// Round to nearest even; |x| beyond 448 saturates to +-448 (the reference clamps before casting);
// NaN encodes to 0x7F.
std::uint8_t e4m3_encode(float x);

// E2M1 codes 0..15: bit 3 = sign, values {0, 0.5, 1, 1.5, 2, 3, 4, 6}.
float e2m1_decode(std::uint8_t code);
// Round to nearest even (ties go to the code with an even mantissa bit), saturating at +-6.
std::uint8_t e2m1_encode(float x);

// E8M0 (float8_e8m0fnu): byte e -> 2^(e-127); 0xFF is NaN.
float e8m0_decode(std::uint8_t e);
// The E8M0 byte of a power of two in the normal FP32 range (the exponent field).
std::uint8_t e8m0_encode_pow2(float pow2);

// ceil(log2(x)) from the FP32 bit pattern, as kernel.py fast_log2_ceil: exponent - 127, plus one
// when any mantissa bit is set. Defined for positive normal x.
int fast_log2_ceil(float x);
// 2^e as FP32 built from its bit pattern (kernel.py fast_pow2).
float fast_pow2(int e);

// Scale of one FP8 block: amax clamped below at 1e-4, times fp32(1/448), rounded up to a power of
// two. Why the bit trick and not log2: the reference computes it that way, and for amax*(1/448)
// with a zero mantissa (an exact power of two) ceil(log2) must not round up.
float fp8_block_scale(float amax);
// Scale of one FP4 block: amax clamped below at 6*2^-126, times fp32(1/6), rounded up to a power
// of two.
float fp4_block_scale(float amax);

// In-place quantise -> dequantise simulation of one block (kernel.py act_quant / fp4_act_quant
// with inplace=True): x <- bf16(decode(encode(clamp(x/s))) * s). Returns the scale used.
float fp8_simulate_block(float *x, int n);
float fp4_simulate_block(float *x, int n);

} // namespace folio
