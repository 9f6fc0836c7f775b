// In-register decoders of the release's weight formats for the AVX2+FMA+F16C kernels; included
// only by translation units compiled with -mavx2 -mfma -mf16c (simd.cmake).
//
// Both quantised formats are decoded through FP16 and the hardware F16C conversion, which handles
// subnormals exactly and needs no table gathers:
//   * E4M3 (s eeee mmm): moving the byte into a 16-bit lane as s 0eeee mmm0000000 gives an FP16
//     whose value is exactly the E4M3 value x 2^-8, for normals AND subnormals (both formats put
//     the subnormal binade at the bottom exponent field, and the biases differ by 15 - 7 = 8). The
//     2^-8 is folded into the (power-of-two) scale the caller multiplies by. Codes 0x7F/0xFF (NaN
//     in E4M3FN) come out as 480 x 2^-8; callers detect them with e4m3_nan_bytes and patch in NaN.
//   * E2M1: every E2M1 value (0, 0.5, ..., 6, signed) is an FP16 whose low byte is zero, so a
//     16-entry byte table (pshufb) of the FP16 high bytes, indexed by the nibble, builds the FP16
//     directly; exact values, no extra factor.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace folio::simd::avx2 {

// Power-of-two factor between an E4M3 value and the FP16 the decoder builds (value = f16 x 2^8).
constexpr float kE4m3Fp16Factor = 256.0f;

// 32 E4M3 codes -> 32 floats (E4M3 value x 2^-8), returned in k order w[0] = k 0..7, w[1] = 8..15,
// w[2] = 16..23, w[3] = 24..31.
inline void e4m3x32(__m256i b, __m256 w[4])
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i keep = _mm256_set1_epi16(std::int16_t(0xBFFF));
    // unpack(0, b) = b << 8 per 16-bit lane, per 128-bit half: lo = bytes 0..7 | 16..23,
    // hi = bytes 8..15 | 24..31. An arithmetic shift by one moves exponent/mantissa into FP16
    // position and duplicates the sign into bit 14, which the mask clears.
    const __m256i lo = _mm256_and_si256(_mm256_srai_epi16(_mm256_unpacklo_epi8(zero, b), 1), keep);
    const __m256i hi = _mm256_and_si256(_mm256_srai_epi16(_mm256_unpackhi_epi8(zero, b), 1), keep);
    w[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(lo));
    w[1] = _mm256_cvtph_ps(_mm256_castsi256_si128(hi));
    w[2] = _mm256_cvtph_ps(_mm256_extracti128_si256(lo, 1));
    w[3] = _mm256_cvtph_ps(_mm256_extracti128_si256(hi, 1));
}

// Accumulates the byte-wise maximum of the codes' magnitude bits: a lane reaching 0x7F means a
// NaN code was seen (checked once per row with has_e4m3_nan).
inline __m256i e4m3_nan_bytes(__m256i acc, __m256i b)
{
    return _mm256_max_epu8(acc, _mm256_and_si256(b, _mm256_set1_epi8(0x7f)));
}

inline bool has_e4m3_nan(__m256i acc)
{
    return _mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, _mm256_set1_epi8(0x7f))) != 0;
}

// 64 E2M1 codes (32 bytes, element 2j = low nibble of byte j) -> 64 exact floats in k order:
// w[j] holds k 8j .. 8j+7.
inline void e2m1x64(__m256i b, __m256 w[8])
{
    // FP16 high bytes of the E2M1 values by code (bit 3 = sign), in both 128-bit halves.
    const __m256i table = _mm256_setr_epi8(0x00, 0x38, 0x3C, 0x3E, 0x40, 0x42, 0x44, 0x46,
                                           char(0x80), char(0xB8), char(0xBC), char(0xBE),
                                           char(0xC0), char(0xC2), char(0xC4), char(0xC6), 0x00,
                                           0x38, 0x3C, 0x3E, 0x40, 0x42, 0x44, 0x46, char(0x80),
                                           char(0xB8), char(0xBC), char(0xBE), char(0xC0),
                                           char(0xC2), char(0xC4), char(0xC6));
    const __m256i nib = _mm256_set1_epi8(0x0f);
    const __m256i zero = _mm256_setzero_si256();
    const __m256i even = _mm256_shuffle_epi8(table, _mm256_and_si256(b, nib));
    const __m256i odd = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(b, 4), nib));
    // Interleave back to k order: per 128-bit half u0 = k 0..15 | 32..47, u1 = 16..31 | 48..63.
    const __m256i u0 = _mm256_unpacklo_epi8(even, odd);
    const __m256i u1 = _mm256_unpackhi_epi8(even, odd);
    // High bytes -> FP16 lanes (low byte zero).
    const __m256i f0 = _mm256_unpacklo_epi8(zero, u0); // k 0..7   | 32..39
    const __m256i f1 = _mm256_unpackhi_epi8(zero, u0); // k 8..15  | 40..47
    const __m256i f2 = _mm256_unpacklo_epi8(zero, u1); // k 16..23 | 48..55
    const __m256i f3 = _mm256_unpackhi_epi8(zero, u1); // k 24..31 | 56..63
    w[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(f0));
    w[1] = _mm256_cvtph_ps(_mm256_castsi256_si128(f1));
    w[2] = _mm256_cvtph_ps(_mm256_castsi256_si128(f2));
    w[3] = _mm256_cvtph_ps(_mm256_castsi256_si128(f3));
    w[4] = _mm256_cvtph_ps(_mm256_extracti128_si256(f0, 1));
    w[5] = _mm256_cvtph_ps(_mm256_extracti128_si256(f1, 1));
    w[6] = _mm256_cvtph_ps(_mm256_extracti128_si256(f2, 1));
    w[7] = _mm256_cvtph_ps(_mm256_extracti128_si256(f3, 1));
}

// 32 E2M1 codes (16 bytes) -> 32 exact floats in k order (for a K tail of one 32-block).
inline void e2m1x32(const std::uint8_t *p, __m256 w[4])
{
    __m256 all[8];
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    e2m1x64(_mm256_zextsi128_si256(b), all); // upper half zero: its outputs are ignored
    w[0] = all[0];
    w[1] = all[1];
    w[2] = all[2];
    w[3] = all[3];
}

// ---- Lane-order decoders of the streaming GEMV (gemv_avx2.cpp) ----
// Each builds FP32 (or double) bit patterns from the codes with shifts and one mask, no table and
// no conversion instruction: the code's magnitude bits land in the low exponent bits and the top
// mantissa bits, so the result is the code's value times a fixed power of two, for normals and
// subnormals alike (as with the FP16 route above, both formats keep their subnormal binade at
// exponent field 0: field 0 and field 1 share one exponent). The outputs come in "lane order"
// rather than k order; the GEMV permutes its activations the same way once per call.

// Factor between the E4M3 value and what e4m3x32_lanes builds (FP32 value = E4M3 value x 2^-120;
// exponent field 0 codes become FP32 subnormals, which FMA takes at full speed on this hardware).
constexpr int kE4m3LaneExp = -120;

// 32 E4M3 codes (one load) -> v[i] lane l = code 4l + i (the i-th byte of dword l), x 2^-120.
// NaN codes (0x7F/0xFF) come out as 480 x 2^-120; callers track them with e4m3_nan_bytes.
inline void e4m3x32_lanes(__m256i b, __m256 v[4])
{
    // In 16-bit lanes, a byte at the top of its word (s eeee mmm at bits 15..8) shifted right
    // arithmetically by 4 is a BF16 pattern with eeee mmm at bits 10..4 (exponent field low 4
    // bits, mantissa top 3) and sign copies at 14..11. Each word vector gives two FP32 vectors: the
    // upper words in place, the lower words moved up by a 32-bit shift; one mask per vector clears
    // the sign copies and the other word. Two 16-bit shifts per 16 codes instead of one 32-bit
    // shift per 8 (shifts are the scarce port here).
    const __m256i mask = _mm256_set1_epi32(int(0x87F00000u));
    const __m256i odd = _mm256_srai_epi16(b, 4);                        // bytes 1, 3 of each dword
    const __m256i even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 4); // bytes 0, 2
    v[0] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_slli_epi32(even, 16), mask));
    v[1] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_slli_epi32(odd, 16), mask));
    v[2] = _mm256_castsi256_ps(_mm256_and_si256(even, mask));
    v[3] = _mm256_castsi256_ps(_mm256_and_si256(odd, mask));
}

// Factor between the E2M1 value and what e2m1x64_lanes builds (FP32 value = E2M1 value x 2^-126).
constexpr int kE2m1LaneExp = -126;

// 64 E2M1 codes (32 bytes, element 2j = low nibble of byte j) -> v[j] lane l = code 8l + j (the
// j-th nibble of dword l), x 2^-126. Lanes 0..3 are codes 0..31 (one 32-block), lanes 4..7 codes
// 32..63.
inline void e2m1x64_lanes(__m256i b, __m256 v[8])
{
    // As e4m3x32_lanes, in 16-bit lanes: nibble j of a word (code 4u + j of word u) moved to the
    // top (s e e m at bits 15..12) and shifted right arithmetically by 6 is a BF16 pattern with
    // e e m at bits 8..6 (exponent field low 2 bits, mantissa top bit). Upper words give codes
    // 8l + 4 + j, lower words (moved up) codes 8l + j.
    const __m256i mask = _mm256_set1_epi32(int(0x81C00000u));
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
        const __m256i x = _mm256_srai_epi16(j == 3 ? b : _mm256_slli_epi16(b, 12 - 4 * j), 6);
        v[j] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_slli_epi32(x, 16), mask));
        v[4 + j] = _mm256_castsi256_ps(_mm256_and_si256(x, mask));
    }
}

// Factor between the BF16 value and what bf16x16_pd_lanes builds (double value = BF16 x 2^-896).
constexpr int kBf16PdLaneExp = -896;

// 16 BF16 values (32 bytes) -> 4 double vectors, d[j] lane q = value 4q + j (word j of qword q),
// x 2^-896. Exponent field 255 (inf/NaN) comes out finite: callers track it with bf16_special.
inline void bf16x16_pd_lanes(__m256i h, __m256d d[4])
{
    // A BF16 at the top of a dword (s eeeeeeee mmmmmmm at bits 31..16) shifted right
    // arithmetically by 3 has its exponent at bits 27..20 and mantissa at 19..13: in the upper
    // dword of a qword that is the double's exponent field (low 8 bits) and mantissa top 7 bits.
    // Words 1 and 3 are at the tops of their dwords already, words 0 and 2 after a 32-bit shift
    // by 16; the lower dword's result is moved up by a 64-bit shift. The mask clears the sign
    // copies (bits 62..60) and everything below bit 45.
    const __m256i mask = _mm256_set1_epi64x(static_cast<long long>(0x8FFFE00000000000ull));
    const __m256i odd = _mm256_srai_epi32(h, 3);                         // words 1, 3
    const __m256i even = _mm256_srai_epi32(_mm256_slli_epi32(h, 16), 3); // words 0, 2
    d[0] = _mm256_castsi256_pd(_mm256_and_si256(_mm256_slli_epi64(even, 32), mask));
    d[1] = _mm256_castsi256_pd(_mm256_and_si256(_mm256_slli_epi64(odd, 32), mask));
    d[2] = _mm256_castsi256_pd(_mm256_and_si256(even, mask));
    d[3] = _mm256_castsi256_pd(_mm256_and_si256(odd, mask));
}

// Factor between the E4M3 value and what e4m3x32_pd_lanes builds (double value = E4M3 x 2^-1016).
constexpr int kE4m3PdLaneExp = -1016;

// 32 E4M3 codes (one load) -> 8 double vectors, d[2w + p] lane q = code 8q + 2w + p (byte p of
// word w of qword q), x 2^-1016. NaN codes come out finite: callers track them with
// e4m3_nan_bytes.
inline void e4m3x32_pd_lanes(__m256i b, __m256d d[8])
{
    // A byte at the top of a 16-bit word (s eeee mmm at bits 15..8) shifted right arithmetically
    // by 7 has eeee at bits 7..4 and mmm at 3..1: in the top word of a qword that is the double's
    // exponent field (low 4 bits, bits 55..52) and mantissa top 3 bits (51..49). Words 0..2 are
    // moved to the top by a 64-bit shift; the mask clears the sign copies and everything below.
    const __m256i mask = _mm256_set1_epi64x(static_cast<long long>(0x80FE000000000000ull));
    const __m256i odd = _mm256_srai_epi16(b, 7);                        // byte 1 of each word
    const __m256i even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 7); // byte 0
#pragma GCC unroll 4
    for (int w = 0; w < 3; ++w) {
        d[2 * w] = _mm256_castsi256_pd(_mm256_and_si256(_mm256_slli_epi64(even, 48 - 16 * w), mask));
        d[2 * w + 1] = _mm256_castsi256_pd(
            _mm256_and_si256(_mm256_slli_epi64(odd, 48 - 16 * w), mask));
    }
    d[6] = _mm256_castsi256_pd(_mm256_and_si256(even, mask));
    d[7] = _mm256_castsi256_pd(_mm256_and_si256(odd, mask));
}

// Accumulates the 16-bit maximum of the BF16 magnitudes: a lane at or above 0x7F80 means an
// infinity or NaN was seen (checked once per row with has_bf16_special).
inline __m256i bf16_special(__m256i acc, __m256i h)
{
    return _mm256_max_epu16(acc, _mm256_and_si256(h, _mm256_set1_epi16(0x7fff)));
}

inline bool has_bf16_special(__m256i acc)
{
    const __m256i lim = _mm256_set1_epi16(0x7f7f);
    // max_epu16(acc, lim) != lim in some lane <=> some lane > 0x7F7F.
    return _mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_max_epu16(acc, lim), lim)) != -1;
}

// 8 BF16 values -> 8 floats (BF16 is the upper half of an FP32).
inline __m256 bf16x8(const std::uint8_t *p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

inline __m256i load32(const std::uint8_t *p)
{
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
}

// Sum of the 8 lanes in a fixed tree order, ((0+1)+(2+3)) + ((4+5)+(6+7)): every output element
// is reduced the same way whichever kernel variant produced it.
inline float hsum(__m256 v)
{
    const __m128 lo = _mm256_castps256_ps128(v);
    const __m128 hi = _mm256_extractf128_ps(v, 1);
    const __m128 l2 = _mm_hadd_ps(lo, lo); // 0+1, 2+3
    const __m128 h2 = _mm_hadd_ps(hi, hi); // 4+5, 6+7
    const __m128 l1 = _mm_hadd_ps(l2, l2); // (0+1)+(2+3)
    const __m128 h1 = _mm_hadd_ps(h2, h2);
    return _mm_cvtss_f32(_mm_add_ss(l1, h1));
}

} // namespace folio::simd::avx2
