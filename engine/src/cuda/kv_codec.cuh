// Device readers of the compact KV state (kv_state.h): a KV entry is [nope E4M3 codes | nope/64
// E8M0 scales | rope_dim BF16 values] (583 bytes for V4-Flash), an indexer key [dim/2 bytes of
// E2M1 pairs (element 2j in the low nibble) | dim/32 E8M0 scales] (68 bytes). The device keeps
// the state in exactly these bytes, so a save is a plain copy and the kernels decode while they
// read (the decoded values are exact: an E4M3 or E2M1 code times a power of two, BF16 as is).
// The readers are the "key row" parameter of the attention and indexer kernels (attention.cu);
// F32Rows reads plain FP32 rows (the kernels' op tests against the CPU).
#pragma once

#include <cstddef>
#include <cstdint>

#include "numerics.cuh"

namespace folio::cuda {

// Plain FP32 rows [*, d].
struct F32Rows
{
    const float *p = nullptr;
    int d = 0;
    __device__ __forceinline__ float at(std::int64_t row, int c) const
    {
        return p[std::size_t(row) * d + c];
    }
};

// KvEntryCodec rows: value c of entry `row`.
struct KvRows
{
    const std::uint8_t *p = nullptr;
    int nope = 0;          // head_dim - rope_dim, a multiple of 64
    std::size_t bytes = 0; // KvEntryCodec::bytes()
    __device__ __forceinline__ float at(std::int64_t row, int c) const
    {
        const std::uint8_t *r = p + std::size_t(row) * bytes;
        if (c < nope)
            return __fmul_rn(e4m3_value(r[c]), e8m0_value(r[nope + c / 64]));
        const std::uint8_t *rope = r + nope + nope / 64 + 2 * (c - nope);
        return __uint_as_float((unsigned(rope[0]) | (unsigned(rope[1]) << 8)) << 16);
    }
};

// IndexKeyCodec rows: value c of key `row`.
struct IndexKeyRows
{
    const std::uint8_t *p = nullptr;
    int dim = 0;
    __device__ __forceinline__ float at(std::int64_t row, int c) const
    {
        const std::uint8_t *r = p + std::size_t(row) * std::size_t(dim / 2 + dim / 32);
        const std::uint8_t pair = r[c / 2];
        const std::uint8_t code = (c & 1) ? std::uint8_t(pair >> 4) : std::uint8_t(pair & 0xf);
        return __fmul_rn(e2m1_value(code), e8m0_value(r[dim / 2 + c / 32]));
    }
};

} // namespace folio::cuda
