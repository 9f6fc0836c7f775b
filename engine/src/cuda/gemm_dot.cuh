// Device helpers shared by the quantised GEMM and MoE kernels (linear.cu, gemm_quant.cu,
// moe_gemv.cu): the reference's FP8 activation quantisation of one value, and the FP4 and FP8 row
// dot products of one warp with the reference's GEMM numerics (cpu/simd/kernels_scalar.cpp
// quant_linear_cols_exact): every K block's partial sum of code products (32 wide for FP4, 128
// for FP8) is exact in double and rounded once to FP32, then added to an FP32 accumulator times
// the activation and weight scales in block order.
#pragma once

#include <cstdint>

#include "numerics.cuh"

namespace folio::cuda {

// act_quant_row for one value of a block whose power-of-two scale is `scale`: the decoded E4M3
// value of clamp(x / scale, -448, 448) (x / scale is exact; NaN stays NaN, as std::clamp).
__device__ __forceinline__ float act_quant_value(float x, float scale)
{
    float v = __fdiv_rn(x, scale);
    v = v < -448.0f ? -448.0f : (448.0f < v ? 448.0f : v);
    return e4m3_round(v);
}

// The expert's SwiGLU of one channel (model/moe.cpp expert_forward): bf16(weight * silu(min(g, L))
// * clamp(u, -L, L)); limit <= 0: no clamp. std::min / std::clamp semantics: a NaN passes through.
__device__ __forceinline__ float swiglu_value(float g, float u, float limit, float weight,
                                              bool weighted)
{
    if (limit > 0) {
        u = u < -limit ? -limit : (limit < u ? limit : u);
        g = limit < g ? limit : g;
    }
    float t = __fmul_rn(silu_f32(g), u);
    if (weighted)
        t = __fmul_rn(weight, t);
    return bf16_round(t);
}

// The slots of one token's router choice ids [k] by increasing expert id, stable (a repeated
// expert keeps slot order): the order in which the CPU MoE adds the experts' outputs.
__device__ __forceinline__ void moe_sorted_slots(const int *ids, int k, int *slot)
{
    for (int j = 0; j < k; ++j) {
        const int e = ids[j];
        int at = j;
        while (at > 0 && ids[slot[at - 1]] > e) {
            slot[at] = slot[at - 1];
            --at;
        }
        slot[at] = j;
    }
}

// The E2M1 value of nibble c (bit 3 the sign) from its FP32 bit pattern, exactly e2m1_value's
// (0, 0.5, 1, 1.5, 2, 3, 4, 6, signed zero included) without its table: the hot loops decode 32
// nibbles per 16 bytes of weights, and a table indexed at run time lives in local memory.
__device__ __forceinline__ float e2m1_fast(unsigned c)
{
    const unsigned e = (c >> 1) & 3u, man = c & 1u;
    const unsigned mag = e ? (((e + 126u) << 23) | (man << 22)) : (man ? 0x3f000000u : 0u);
    return __uint_as_float(mag | ((c & 8u) << 28));
}

// sum of 8 products of activation values a[0..7] and the E2M1 nibbles of `word` (element i is
// nibble i, low first: byte j holds elements 2j (low) and 2j+1), exact in double.
__device__ __forceinline__ double fp4_word_dot(unsigned word, float4 a0, float4 a1)
{
    return double(a0.x) * double(e2m1_fast(word)) + double(a0.y) * double(e2m1_fast(word >> 4))
           + double(a0.z) * double(e2m1_fast(word >> 8))
           + double(a0.w) * double(e2m1_fast(word >> 12))
           + double(a1.x) * double(e2m1_fast(word >> 16))
           + double(a1.y) * double(e2m1_fast(word >> 20))
           + double(a1.z) * double(e2m1_fast(word >> 24))
           + double(a1.w) * double(e2m1_fast(word >> 28));
}

// One warp: the FP32 accumulator of row `w` [K/2] packed E2M1 (scales sw [K/32] E8M0) against the
// quantised activation q [K] (decoded E4M3 values) with block scales sa [K/128]; K % 32 == 0, w
// 16-byte and q 16-byte aligned. Lane l owns 32-blocks l, l+32, ...: one 16-byte load of codes
// and 32 activations each, its partial exact in double (products of 4-bit significands span
// under 28 bits, so any order is exact). The partials are then added to the accumulator in block
// order through the lanes (lane j holds block b0 + j), as the reference's loop does. Every lane
// returns the result; all 32 lanes must call it.
__device__ __forceinline__ float fp4_row_dot_warp(const float *q, const float *sa,
                                                  const std::uint8_t *w, const std::uint8_t *sw,
                                                  int K)
{
    const int lane = int(threadIdx.x) & 31;
    const int nb = K / 32;
    float acc = 0.0f;
    for (int b0 = 0; b0 < nb; b0 += 32) {
        const int b = b0 + lane;
        float term = 0.0f;
        if (b < nb) {
            const uint4 codes = *reinterpret_cast<const uint4 *>(w + std::size_t(b) * 16);
            const float4 *a = reinterpret_cast<const float4 *>(q + std::size_t(b) * 32);
            const double part = fp4_word_dot(codes.x, a[0], a[1])
                                + fp4_word_dot(codes.y, a[2], a[3])
                                + fp4_word_dot(codes.z, a[4], a[5])
                                + fp4_word_dot(codes.w, a[6], a[7]);
            term = __fmul_rn(__fmul_rn(float(part), sa[b / 4]), e8m0_value(sw[b]));
        }
        const int valid = nb - b0 < 32 ? nb - b0 : 32;
        for (int j = 0; j < valid; ++j)
            acc = __fadd_rn(acc, __shfl_sync(0xffffffffu, term, j));
    }
    return acc;
}

// sum of the 4 products of activation values a and the E4M3 codes of `word` (byte i: element i),
// exact in double.
__device__ __forceinline__ double fp8_word_dot(unsigned word, float4 a)
{
    return double(a.x) * double(e4m3_value(std::uint8_t(word)))
           + double(a.y) * double(e4m3_value(std::uint8_t(word >> 8)))
           + double(a.z) * double(e4m3_value(std::uint8_t(word >> 16)))
           + double(a.w) * double(e4m3_value(std::uint8_t(word >> 24)));
}

// One warp: the FP32 accumulator of row `w` [K] E4M3 codes (its 128x128 tile row's scales sw
// [K/128] E8M0) against q [K] (decoded E4M3 values) with scales sa [K/128]; K % 128 == 0, w and
// q 16-byte aligned. Four lanes per 128-block (32 codes each, two 16-byte loads), eight blocks per
// step: the lanes' partials are exact in double (8-bit significands, under 44 bits over a block),
// combined by two xor shuffles, and added to the accumulator in block order as
// acc += partial * (sa * sw) — the reference's fp8_gemm. All 32 lanes call it; each returns acc.
__device__ __forceinline__ float fp8_row_dot_warp(const float *q, const float *sa,
                                                  const std::uint8_t *w, const std::uint8_t *sw,
                                                  int K)
{
    const int lane = int(threadIdx.x) & 31;
    const int nb = K / 128;
    float acc = 0.0f;
    for (int b0 = 0; b0 < nb; b0 += 8) {
        const int b = b0 + lane / 4;
        double part = 0.0;
        if (b < nb) { // uniform over each group of four lanes
            const int e0 = b * 128 + (lane % 4) * 32;
            const uint4 c0 = *reinterpret_cast<const uint4 *>(w + e0);
            const uint4 c1 = *reinterpret_cast<const uint4 *>(w + e0 + 16);
            const float4 *a = reinterpret_cast<const float4 *>(q + e0);
            part = fp8_word_dot(c0.x, a[0]) + fp8_word_dot(c0.y, a[1]) + fp8_word_dot(c0.z, a[2])
                   + fp8_word_dot(c0.w, a[3]) + fp8_word_dot(c1.x, a[4]) + fp8_word_dot(c1.y, a[5])
                   + fp8_word_dot(c1.z, a[6]) + fp8_word_dot(c1.w, a[7]);
        }
        part += __shfl_xor_sync(0xffffffffu, part, 1);
        part += __shfl_xor_sync(0xffffffffu, part, 2);
        const float term = b < nb ? __fmul_rn(float(part), __fmul_rn(sa[b], e8m0_value(sw[b])))
                                  : 0.0f;
        const int valid = nb - b0 < 8 ? nb - b0 : 8;
        for (int j = 0; j < valid; ++j) // lanes 4j..4j+3 hold block b0 + j
            acc = __fadd_rn(acc, __shfl_sync(0xffffffffu, term, 4 * j));
    }
    return acc;
}

} // namespace folio::cuda
