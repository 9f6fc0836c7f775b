// Elementwise and per-row CUDA kernels of the forward pass: RMSNorm, interleaved RoPE (YaRN
// frequencies come from the host's make_rope_freqs), SwiGLU with the clamp, the FP8/FP4
// quantise-dequantise simulations and the FP8 activation quantisation, the BF16 Walsh-Hadamard
// rotation and the embedding gather. Each mirrors its CPU reference rounding for rounding; the
// explicit __f*_rn intrinsics keep nvcc from contracting multiply-adds the CPU does not contract.
#include "check.cuh"
#include "numerics.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kRowThreads = 256;

__device__ double block_sum_double(double v, double *shared)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < int(blockDim.x / 32) ? shared[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1)
            v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0)
            shared[0] = v;
    }
    __syncthreads();
    return shared[0];
}

__global__ void rms_norm_kernel(const float *x, int d, const float *w, float eps, float *y)
{
    __shared__ double partial[32];
    const float *xr = x + std::size_t(blockIdx.x) * d;
    float *yr = y + std::size_t(blockIdx.x) * d;
    double acc = 0;
    for (int j = threadIdx.x; j < d; j += blockDim.x)
        acc += double(__fmul_rn(xr[j], xr[j]));
    const double total = block_sum_double(acc, partial);
    const float ms = __fdiv_rn(float(total), float(d));
    const float r = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(ms, eps)));
    for (int j = threadIdx.x; j < d; j += blockDim.x) {
        const float n = __fmul_rn(xr[j], r);
        yr[j] = bf16_round(w ? __fmul_rn(w[j], n) : n);
    }
}

__global__ void rope_kernel(float *x, int m, int stride, int col, int half, const std::int64_t *pos,
                            const float *freqs, bool inverse)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= std::int64_t(m) * half)
        return;
    const int row = int(t / half), i = int(t % half);
    float *p = x + std::size_t(row) * stride + col + 2 * i;
    const float angle = __fmul_rn(float(pos[row]), freqs[i]);
    const float c = float(cos(double(angle)));
    float s = float(sin(double(angle)));
    if (inverse)
        s = -s;
    const float a = p[0], b = p[1];
    p[0] = bf16_round(__fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s)));
    p[1] = bf16_round(__fadd_rn(__fmul_rn(b, c), __fmul_rn(a, s)));
}

__global__ void swiglu_kernel(float *gate, const float *up, int m, int inter, float limit,
                              const float *weights)
{
    const std::int64_t k = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= std::int64_t(m) * inter)
        return;
    float g = gate[k], u = up[k];
    if (limit > 0) {
        // std::clamp / std::min semantics of the reference: a NaN passes through.
        u = u < -limit ? -limit : (limit < u ? limit : u);
        g = limit < g ? limit : g;
    }
    float t = __fmul_rn(silu_f32(g), u);
    if (weights)
        t = __fmul_rn(weights[k / inter], t);
    gate[k] = bf16_round(t);
}

// One warp per block of `block` values. mode 0: FP8 simulation, 1: FP4 simulation, 2: FP8
// activation quantisation (codes to q, scale to s).
__global__ void block_quant_kernel(float *x, std::int64_t n_blocks, int block, int mode, float *q,
                                   float *s)
{
    const std::int64_t b = (std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (b >= n_blocks)
        return;
    float *xb = x + b * block;
    float amax = 0.0f;
    for (int i = lane; i < block; i += 32)
        amax = fmaxf(amax, fabsf(xb[i]));
    for (int o = 16; o > 0; o >>= 1)
        amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
    const bool fp4 = mode == 1;
    const float scale = fp4 ? fp4_scale_of(amax) : fp8_scale_of(amax);
    const float lim = fp4 ? 6.0f : 448.0f;
    for (int i = lane; i < block; i += 32) {
        float v = __fdiv_rn(xb[i], scale);
        v = v < -lim ? -lim : (lim < v ? lim : v); // std::clamp: NaN stays NaN, as on the CPU
        const float r = fp4 ? e2m1_round(v) : e4m3_round(v);
        if (mode == 2)
            q[b * block + i] = r;
        else
            xb[i] = bf16_round(__fmul_rn(r, scale));
    }
    if (mode == 2 && lane == 0)
        s[b] = scale;
}

__global__ void hadamard_kernel(float *x, int n, float scale)
{
    extern __shared__ double v[];
    float *xr = x + std::size_t(blockIdx.x) * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        v[i] = xr[i];
    __syncthreads();
    for (int len = 1; len < n; len <<= 1) {
        for (int t = threadIdx.x; t < n / 2; t += blockDim.x) {
            const int j = (t / len) * 2 * len + (t % len);
            const double a = v[j], b = v[j + len];
            v[j] = a + b;
            v[j + len] = a - b;
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        xr[i] = bf16_round(__fmul_rn(float(v[i]), scale));
}

__global__ void embedding_kernel(const std::uint16_t *table, int vocab, int dim, const int *ids,
                                 int m, float *y)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= std::int64_t(m) * dim)
        return;
    const int row = int(t / dim), c = int(t % dim);
    const int id = ids[row];
    y[t] = (id < 0 || id >= vocab)
               ? __uint_as_float(0x7fc00000u)
               : __uint_as_float(unsigned(table[std::size_t(id) * dim + c]) << 16);
}

unsigned grid_for(std::int64_t n, int threads)
{
    return unsigned((n + threads - 1) / threads);
}

Status block_quant(float *x, std::int64_t rows, int n, int block, int mode, float *q, float *s,
                   cudaStream_t stream)
{
    if (block <= 0 || n % block != 0)
        return Status::error("block quantisation: row length " + std::to_string(n)
                             + " is not a multiple of the block " + std::to_string(block));
    const std::int64_t blocks = rows * (n / block);
    if (blocks == 0)
        return Status::ok();
    block_quant_kernel<<<grid_for(blocks * 32, 256), 256, 0, stream>>>(x, blocks, block, mode, q, s);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace

Status rms_norm(const float *x, int m, int d, const float *weight, float eps, float *y,
                cudaStream_t stream)
{
    if (m == 0)
        return Status::ok();
    rms_norm_kernel<<<m, kRowThreads, 0, stream>>>(x, d, weight, eps, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status rope(float *x, int m, int stride, int col, int rope_dim, const std::int64_t *pos,
            const float *freqs, bool inverse, cudaStream_t stream)
{
    const std::int64_t n = std::int64_t(m) * (rope_dim / 2);
    if (n == 0)
        return Status::ok();
    rope_kernel<<<grid_for(n, 256), 256, 0, stream>>>(x, m, stride, col, rope_dim / 2, pos, freqs,
                                                      inverse);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status swiglu(float *gate, const float *up, int m, int inter, float limit, const float *weights,
              cudaStream_t stream)
{
    const std::int64_t n = std::int64_t(m) * inter;
    if (n == 0)
        return Status::ok();
    swiglu_kernel<<<grid_for(n, 256), 256, 0, stream>>>(gate, up, m, inter, limit, weights);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status fp8_simulate(float *x, std::int64_t rows, int n, int block, cudaStream_t stream)
{
    return block_quant(x, rows, n, block, 0, nullptr, nullptr, stream);
}

Status fp4_simulate(float *x, std::int64_t rows, int n, int block, cudaStream_t stream)
{
    return block_quant(x, rows, n, block, 1, nullptr, nullptr, stream);
}

Status act_quant(const float *x, int m, int k, float *q, float *s, cudaStream_t stream)
{
    // mode 2 reads x only; the kernel's pointer is non-const because modes 0/1 write in place.
    return block_quant(const_cast<float *>(x), m, k, 128, 2, q, s, stream);
}

Status hadamard(float *x, std::int64_t rows, int n, cudaStream_t stream)
{
    if (n <= 0 || n > 1024 || (n & (n - 1)) != 0)
        return Status::error("hadamard: n = " + std::to_string(n)
                             + " must be a power of two <= 1024");
    if (rows == 0)
        return Status::ok();
    const float scale = float(1.0 / std::sqrt(double(n)));
    const int threads = n < 64 ? 32 : n / 2;
    const std::size_t shared = std::size_t(n) * sizeof(double);
    hadamard_kernel<<<unsigned(rows), threads, shared, stream>>>(x, n, scale);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status embedding_gather(const std::uint16_t *table, int vocab, int dim, const int *ids, int m,
                        float *y, cudaStream_t stream)
{
    const std::int64_t n = std::int64_t(m) * dim;
    if (n == 0)
        return Status::ok();
    embedding_kernel<<<grid_for(n, 256), 256, 0, stream>>>(table, vocab, dim, ids, m, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
