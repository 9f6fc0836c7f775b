// Helpers shared by the AVX2 op-kernel files (ops_avx2.cpp, ops_avx2_exp.cpp). Include only from
// files compiled with -mavx2 -mfma (ops.cmake).
#pragma once

#include <immintrin.h>

namespace folio::simd::detail {

// quant.h's round_bf16 on 8 lanes: RNE on the bit pattern, NaN kept quiet.
inline __m256 round_bf16_8(__m256 v)
{
    const __m256i u = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb);
    const __m256i hi = _mm256_set1_epi32(int(0xffff0000u));
    const __m256i abs = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
    const __m256i nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
    const __m256i quiet = _mm256_or_si256(u, _mm256_set1_epi32(0x00400000));
    return _mm256_castsi256_ps(_mm256_and_si256(_mm256_blendv_epi8(rounded, quiet, nan), hi));
}

} // namespace folio::simd::detail
