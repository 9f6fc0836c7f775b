// The CUDA kernels the layer driver (cuda_forward.cpp) needs besides the op kernels of ops.cu,
// linear.cu, attention.cu, hyper.cu and router.cu: the exact FP32/BF16 linear (double sums, like
// cpu/linear.cpp's BF16 and FP32 paths, also grouped for wo_a), the BF16 per-head query norm,
// the FP8/FP4 simulations with a row stride that also return their scales (the KV and indexer
// codecs need them), the compressor's gated pooling (incremental and prefill in one kernel),
// hc_head, and the small gather/scatter/add kernels of the MoE and the MTP block. Each follows
// its CPU reference (model/*.cpp) rounding for rounding.
#include "check.cuh"
#include "numerics.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kWarps = 8;

unsigned blocks_for(std::int64_t n, int threads)
{
    return unsigned((n + threads - 1) / threads);
}

// One warp per (output row, token): y[tok][row] = sum_k x[tok][xoff + k] * w[row][k] in double,
// rounded once to FP32 (and to BF16 when out_bf16). The input of row r starts at column
// (r / group_rows) * k of the token's row (grouped einsum of wo_a; group_rows = n otherwise).
__global__ void linear_exact_kernel(const float *x, int k, int x_stride, const void *w, bool w_bf16,
                                    int n, int group_rows, bool out_bf16, float *y)
{
    const int row = blockIdx.x * kWarps + threadIdx.x / 32, lane = threadIdx.x % 32;
    const int tok = blockIdx.y;
    if (row >= n)
        return;
    const float *xr = x + std::size_t(tok) * x_stride + std::size_t(row / group_rows) * k;
    double acc = 0;
    if (w_bf16) {
        const std::uint16_t *wr = static_cast<const std::uint16_t *>(w) + std::size_t(row) * k;
        for (int c = lane; c < k; c += 32)
            acc += double(xr[c]) * double(__uint_as_float(unsigned(wr[c]) << 16));
    } else {
        const float *wr = static_cast<const float *>(w) + std::size_t(row) * k;
        for (int c = lane; c < k; c += 32)
            acc += double(xr[c]) * double(wr[c]);
    }
    for (int o = 16; o > 0; o >>= 1)
        acc += __shfl_xor_sync(0xffffffffu, acc, o);
    if (lane == 0) {
        const float v = float(acc);
        y[std::size_t(tok) * n + row] = out_bf16 ? bf16_round(v) : v;
    }
}

// attention.cpp head_norm_bf16: squares rounded to BF16 and summed in FP32 in order (lane 0,
// sequentially: the order is the reference's), mean, +eps and rsqrt each rounded to BF16, then
// every value times the factor rounded to BF16. One warp per row of d values.
__global__ void head_norm_kernel(float *q, std::int64_t rows, int d, float eps)
{
    const std::int64_t row = std::int64_t(blockIdx.x) * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows)
        return;
    float *qr = q + row * d;
    float r = 0.0f;
    if (lane == 0) {
        float sum = 0.0f;
        for (int c = 0; c < d; ++c)
            sum = __fadd_rn(sum, bf16_round(__fmul_rn(qr[c], qr[c])));
        const float mean = bf16_round(__fdiv_rn(sum, float(d)));
        r = bf16_round(__fdiv_rn(1.0f, __fsqrt_rn(bf16_round(__fadd_rn(mean, eps)))));
    }
    r = __shfl_sync(0xffffffffu, r, 0);
    for (int c = lane; c < d; c += 32)
        qr[c] = bf16_round(__fmul_rn(qr[c], r));
}

// fp8_simulate_block / fp4_simulate_block on the blocks of columns [col0, col0 + ncols) of rows
// of `stride` floats; one warp per block; the block's scale goes to scales[row][b].
__global__ void quant_sim_kernel(float *x, std::int64_t rows, int stride, int col0, int ncols,
                                 int block, bool fp4, float *scales)
{
    const int per_row = ncols / block;
    const std::int64_t b = (std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (b >= rows * per_row)
        return;
    const std::int64_t row = b / per_row;
    const int blk = int(b % per_row);
    float *xb = x + row * stride + col0 + std::size_t(blk) * block;
    float amax = 0.0f;
    for (int i = lane; i < block; i += 32)
        amax = fmaxf(amax, fabsf(xb[i]));
    for (int o = 16; o > 0; o >>= 1)
        amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, o));
    const float scale = fp4 ? fp4_scale_of(amax) : fp8_scale_of(amax);
    const float lim = fp4 ? 6.0f : 448.0f;
    for (int i = lane; i < block; i += 32) {
        float v = __fdiv_rn(xb[i], scale);
        v = v < -lim ? -lim : (lim < v ? lim : v);
        xb[i] = bf16_round(__fmul_rn(fp4 ? e2m1_round(v) : e4m3_round(v), scale));
    }
    if (lane == 0 && scales)
        scales[b] = scale;
}

// model/compressor.cpp for one channel per thread: token by token (the reference's decode
// path), the token's kv and score (+ ape) go to its pending slot; when a window closes, the
// channel is pooled (softmax over the slots in FP32, exp in double rounded once, the weighted sum
// in slot order) and rounded to BF16 into out[entry][ch]; overlap mode then moves the current
// window to the previous one. A thread touches only its columns (ch and, overlapping, c + ch),
// so the channels are independent. kv, score: [n, width]; ape: [ratio, width];
// state_kv, state_score: [slots, width]; out: [entries of this call, c].
__global__ void compressor_kernel(const float *kv, const float *score, const float *ape, int n,
                                  long long start, int ratio, int c, bool overlap, float *state_kv,
                                  float *state_score, float *out)
{
    const int ch = blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c)
        return;
    const int width = overlap ? 2 * c : c;
    const int n_cols = overlap ? 2 : 1;
    const int n_slots = overlap ? 2 * ratio : ratio;
    int e = 0;
    for (int i = 0; i < n; ++i) {
        const long long p = start + i;
        const int r = int(p % ratio);
        const int slot = overlap ? ratio + r : r;
        for (int h = 0; h < n_cols; ++h) {
            const int col = ch + h * c;
            state_kv[std::size_t(slot) * width + col] = kv[std::size_t(i) * width + col];
            state_score[std::size_t(slot) * width + col]
                = __fadd_rn(score[std::size_t(i) * width + col], ape[std::size_t(r) * width + col]);
        }
        if ((p + 1) % ratio != 0)
            continue;
        auto at = [&](const float *buf, int s) {
            const int col = (overlap && s >= ratio) ? c + ch : ch;
            return buf[std::size_t(s) * width + col];
        };
        float mx = at(state_score, 0);
        for (int s = 1; s < n_slots; ++s) {
            const float v = at(state_score, s);
            mx = mx < v ? v : mx; // std::max(mx, v)
        }
        float sum = 0.0f;
        for (int s = 0; s < n_slots; ++s)
            sum = __fadd_rn(sum, exp_f32(__fsub_rn(at(state_score, s), mx)));
        float acc = 0.0f;
        for (int s = 0; s < n_slots; ++s) {
            const float wgt = __fdiv_rn(exp_f32(__fsub_rn(at(state_score, s), mx)), sum);
            acc = __fadd_rn(acc, __fmul_rn(at(state_kv, s), wgt));
        }
        out[std::size_t(e) * c + ch] = bf16_round(acc);
        ++e;
        if (overlap) {
            for (int s = 0; s < ratio; ++s)
                for (int h = 0; h < n_cols; ++h) {
                    const int col = ch + h * c;
                    state_kv[std::size_t(s) * width + col]
                        = state_kv[std::size_t(ratio + s) * width + col];
                    state_score[std::size_t(s) * width + col]
                        = state_score[std::size_t(ratio + s) * width + col];
                }
        }
    }
}

// hyper_connections.cpp hc_head for one token per thread block: mixes [hc] = (x . fn_j) *
// rsqrt(mean(x^2) + norm_eps), pre_j = sigmoid(mix_j * scale + base_j) + hc_eps, y = bf16 of the
// collapse sum_j pre_j * x_j (stream order).
constexpr int kHcHeadMax = 8;

__global__ void hc_head_kernel(const float *x, const float *fn, const float *scale,
                               const float *base, int hc, int dim, float hc_eps, float norm_eps,
                               float *y)
{
    __shared__ double red[33];
    __shared__ float mixes[kHcHeadMax];
    __shared__ float pre[kHcHeadMax];
    const int tok = blockIdx.x, hc_dim = hc * dim;
    const float *xt = x + std::size_t(tok) * hc_dim;
    hc_mixes(xt, fn, hc_dim, hc, norm_eps, red, mixes);
    if (threadIdx.x < hc)
        pre[threadIdx.x] = __fadd_rn(sigmoid_f32(__fadd_rn(__fmul_rn(mixes[threadIdx.x], scale[0]),
                                                           base[threadIdx.x])),
                                     hc_eps);
    __syncthreads();
    float *yt = y + std::size_t(tok) * dim;
    hc_collapse(pre, xt, hc, dim, yt);
}

__global__ void gather_rows_kernel(const float *x, const int *rows, int m, int dim, float *y)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= std::int64_t(m) * dim)
        return;
    const int r = int(t / dim), d = int(t % dim);
    y[t] = x[std::size_t(rows[r]) * dim + d];
}

// y[rows[r]] += src[r] in FP32; the rows of one call are distinct (a token uses an expert once).
__global__ void scatter_add_kernel(float *y, const int *rows, int m, int dim, const float *src)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= std::int64_t(m) * dim)
        return;
    const int r = int(t / dim), d = int(t % dim);
    float *dst = y + std::size_t(rows[r]) * dim + d;
    *dst = __fadd_rn(*dst, src[t]);
}

// out [rows, dim] = bf16(a + b) with b [rows / repeat, dim] broadcast over `repeat` consecutive
// rows (the MTP block adds e_proj [n, dim] to h_proj [n, hc, dim]; the MoE uses repeat 1).
__global__ void add_round_kernel(const float *a, const float *b, std::int64_t n, int dim,
                                 int repeat, float *out)
{
    const std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    const std::int64_t row = i / dim;
    const float bv = b[(row / repeat) * dim + i % dim];
    out[i] = bf16_round(__fadd_rn(bv, a[i]));
}

// Compressed part of the attention key lists from the indexer's picks: idx[i][col0 + j] =
// base + picks[i][j] for j < width[i] and a visible pick, else -1.
__global__ void picks_to_idx_kernel(const int *picks, int k, const int *visible, const int *width,
                                    int base, int n_keys, int col0, int m, int *idx)
{
    const std::int64_t t = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= std::int64_t(m) * k)
        return;
    const int i = int(t / k), j = int(t % k);
    const int e = picks[t];
    idx[std::size_t(i) * n_keys + col0 + j] = (j < width[i] && e >= 0 && e < visible[i]) ? base + e
                                                                                         : -1;
}

// x = bf16(x * s) (the indexer's head weights times id^-0.5 * ih^-0.5).
__global__ void scale_round_kernel(float *x, std::int64_t n, float s)
{
    const std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] = bf16_round(__fmul_rn(x[i], s));
}

} // namespace

Status scale_round(float *x, std::int64_t n, float s, cudaStream_t stream)
{
    if (n == 0)
        return Status::ok();
    scale_round_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(x, n, s);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status linear_exact(const float *x, int m, int k, int x_stride, const void *w, bool w_bf16, int n,
                    int group_rows, bool out_bf16, float *y, cudaStream_t stream)
{
    if (group_rows <= 0)
        return Status::error("linear_exact: group_rows must be positive");
    if (m == 0 || n == 0)
        return Status::ok();
    const dim3 grid(blocks_for(n, kWarps), unsigned(m));
    linear_exact_kernel<<<grid, kWarps * 32, 0, stream>>>(x, k, x_stride, w, w_bf16, n, group_rows,
                                                          out_bf16, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status head_norm(float *q, std::int64_t rows, int d, float eps, cudaStream_t stream)
{
    if (rows == 0)
        return Status::ok();
    head_norm_kernel<<<blocks_for(rows, kWarps), kWarps * 32, 0, stream>>>(q, rows, d, eps);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status quant_simulate(float *x, std::int64_t rows, int stride, int col0, int ncols, int block,
                      bool fp4, float *scales, cudaStream_t stream)
{
    if (block <= 0 || ncols % block != 0 || col0 + ncols > stride)
        return Status::error("quant_simulate: columns [" + std::to_string(col0) + ", "
                             + std::to_string(col0 + ncols) + ") of " + std::to_string(stride)
                             + " in blocks of " + std::to_string(block));
    const std::int64_t blocks = rows * (ncols / block);
    if (blocks == 0)
        return Status::ok();
    quant_sim_kernel<<<blocks_for(blocks * 32, 256), 256, 0, stream>>>(x, rows, stride, col0, ncols,
                                                                       block, fp4, scales);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status compressor_pool(const float *kv, const float *score, const float *ape, int n,
                       std::int64_t start, int ratio, int c, bool overlap, float *state_kv,
                       float *state_score, float *out, cudaStream_t stream)
{
    if (ratio <= 0 || c <= 0)
        return Status::error("compressor: ratio " + std::to_string(ratio) + ", width "
                             + std::to_string(c));
    if (n == 0)
        return Status::ok();
    compressor_kernel<<<blocks_for(c, 128), 128, 0, stream>>>(kv, score, ape, n, start, ratio, c,
                                                              overlap, state_kv, state_score, out);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status hc_head(const float *x, int n, int hc, int dim, const float *fn, const float *scale,
               const float *base, float hc_eps, float norm_eps, float *y, cudaStream_t stream)
{
    if (hc <= 0 || hc > kHcHeadMax)
        return Status::error("hc_head: hc_mult " + std::to_string(hc) + " outside 1.."
                             + std::to_string(kHcHeadMax));
    if (n == 0)
        return Status::ok();
    hc_head_kernel<<<unsigned(n), 256, 0, stream>>>(x, fn, scale, base, hc, dim, hc_eps, norm_eps,
                                                    y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status gather_rows(const float *x, const int *rows, int m, int dim, float *y, cudaStream_t stream)
{
    const std::int64_t n = std::int64_t(m) * dim;
    if (n == 0)
        return Status::ok();
    gather_rows_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(x, rows, m, dim, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status scatter_add_rows(float *y, const int *rows, int m, int dim, const float *src,
                        cudaStream_t stream)
{
    const std::int64_t n = std::int64_t(m) * dim;
    if (n == 0)
        return Status::ok();
    scatter_add_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(y, rows, m, dim, src);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status add_round(const float *a, const float *b, std::int64_t rows, int dim, int repeat, float *out,
                 cudaStream_t stream)
{
    const std::int64_t n = rows * dim;
    if (n == 0)
        return Status::ok();
    if (repeat <= 0)
        return Status::error("add_round: repeat must be positive");
    add_round_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(a, b, n, dim, repeat, out);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status picks_to_idx(const int *picks, int m, int k, const int *visible, const int *width, int base,
                    int *idx, int n_keys, int col0, cudaStream_t stream)
{
    const std::int64_t n = std::int64_t(m) * k;
    if (n == 0)
        return Status::ok();
    if (col0 + k > n_keys)
        return Status::error("picks_to_idx: " + std::to_string(k) + " picks from column "
                             + std::to_string(col0) + " exceed " + std::to_string(n_keys) + " keys");
    picks_to_idx_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(picks, k, visible, width, base,
                                                                n_keys, col0, m, idx);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
