// The compact KV state's codecs on the device (kv_ops.h): KvEntryCodec and IndexKeyCodec
// (kv_state.cpp) rewritten as kernels, byte for byte — one thread per output byte group, each
// value divided by its power-of-two scale (exact) and coded with quant.cpp's rounding
// (numerics.cuh). The decoders use the readers the attention and indexer kernels use
// (kv_codec.cuh), so the op test of the decoders also checks what those kernels read.
#include "check.cuh"
#include "kv_codec.cuh"
#include "kv_ops.h"
#include "numerics.cuh"

namespace folio::cuda {
namespace {

// One thread per value of a row: nope values become E4M3 codes, rope values BF16 bytes; the
// first nope/64 threads also write the scale bytes.
__global__ void encode_kv_kernel(const float *kv, const float *scales, std::int64_t rows, int d,
                                 int nope, std::uint8_t *dst)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= rows * d)
        return;
    const std::int64_t r = t / d;
    const int c = int(t % d), nsc = nope / 64;
    const std::size_t bytes = std::size_t(nope + nsc + 2 * (d - nope));
    std::uint8_t *out = dst + std::size_t(r) * bytes;
    const float *sc = scales + std::size_t(r) * nsc;
    const float v = kv[t];
    if (c < nope) {
        out[c] = e4m3_code(__fdiv_rn(v, sc[c / 64]));
    } else {
        const unsigned b = __float_as_uint(bf16_round(v)) >> 16;
        std::uint8_t *rope = out + nope + nsc + 2 * (c - nope);
        rope[0] = std::uint8_t(b & 0xffu); // little-endian, as the host's memcpy of a uint16
        rope[1] = std::uint8_t(b >> 8);
    }
    if (c < nsc)
        out[nope + c] = e8m0_code(sc[c]);
}

// One thread per pair of values (one byte: element 2j low nibble, 2j+1 high nibble).
__global__ void encode_keys_kernel(const float *keys, const float *scales, std::int64_t rows,
                                   int dim, std::uint8_t *dst)
{
    const int half = dim / 2;
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= rows * half)
        return;
    const std::int64_t r = t / half;
    const int j = int(t % half);
    const float *k = keys + std::size_t(r) * dim;
    const float *sc = scales + std::size_t(r) * (dim / 32);
    std::uint8_t *out = dst + std::size_t(r) * std::size_t(half + dim / 32);
    const std::uint8_t lo = e2m1_code(__fdiv_rn(k[2 * j], sc[(2 * j) / 32]));
    const std::uint8_t hi = e2m1_code(__fdiv_rn(k[2 * j + 1], sc[(2 * j + 1) / 32]));
    out[j] = std::uint8_t(lo | (hi << 4));
    if (j < dim / 32)
        out[half + j] = e8m0_code(sc[j]);
}

template<class Rows>
__global__ void decode_rows_kernel(Rows rows_in, std::int64_t rows, int d, float *out)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t < rows * d)
        out[t] = rows_in.at(t / d, int(t % d));
}

unsigned blocks_of(std::int64_t n)
{
    return unsigned((n + 255) / 256);
}

} // namespace

Status encode_kv_rows(const float *kv, const float *scales, std::int64_t rows, int head_dim,
                      int rope_dim, std::uint8_t *dst, cudaStream_t stream)
{
    const int nope = head_dim - rope_dim;
    if (nope < 64 || nope % 64 != 0 || rope_dim < 0)
        return Status::error("encode KV: " + std::to_string(nope)
                             + " non-rope dims (a positive multiple of 64 needed)");
    if (rows <= 0)
        return Status::ok();
    encode_kv_kernel<<<blocks_of(rows * head_dim), 256, 0, stream>>>(kv, scales, rows, head_dim,
                                                                     nope, dst);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status encode_index_keys(const float *keys, const float *scales, std::int64_t rows, int dim,
                         std::uint8_t *dst, cudaStream_t stream)
{
    if (dim < 32 || dim % 32 != 0)
        return Status::error("encode indexer keys: dim " + std::to_string(dim)
                             + " is not a positive multiple of 32");
    if (rows <= 0)
        return Status::ok();
    encode_keys_kernel<<<blocks_of(rows * (dim / 2)), 256, 0, stream>>>(keys, scales, rows, dim,
                                                                        dst);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status decode_kv_rows(const std::uint8_t *src, std::int64_t rows, int head_dim, int rope_dim,
                      float *kv, cudaStream_t stream)
{
    const int nope = head_dim - rope_dim;
    if (nope < 64 || nope % 64 != 0 || rope_dim < 0)
        return Status::error("decode KV: " + std::to_string(nope) + " non-rope dims");
    if (rows <= 0)
        return Status::ok();
    const KvRows in{src, nope, std::size_t(nope + nope / 64 + 2 * rope_dim)};
    decode_rows_kernel<<<blocks_of(rows * head_dim), 256, 0, stream>>>(in, rows, head_dim, kv);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status decode_index_keys(const std::uint8_t *src, std::int64_t rows, int dim, float *keys,
                         cudaStream_t stream)
{
    if (dim < 32 || dim % 32 != 0)
        return Status::error("decode indexer keys: dim " + std::to_string(dim));
    if (rows <= 0)
        return Status::ok();
    decode_rows_kernel<<<blocks_of(rows * dim), 256, 0, stream>>>(IndexKeyRows{src, dim}, rows, dim,
                                                                  keys);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
