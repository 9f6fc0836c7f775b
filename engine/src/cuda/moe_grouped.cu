// The routed experts' grouped FP4 GEMM of the prefill (moe_grouped_gemm) and the combine of the
// experts' outputs into each token's sum (moe_combine).
//
// Grouped GEMM: one launch for all experts. Thread block (x, y) computes a 64x64 tile of
// out [grouped rows, N]: y is a row tile of the moe_group grouping (tile_start says which expert
// and which 64 of its rows), x the 64 output columns. Hopper has no FP4 tensor cores, so every
// 32-wide K step expands the expert's E2M1 nibbles times their E8M0 block scale into BF16 in
// shared memory (exact: 2 significant bits times a power of two), next to the BF16 activation
// rows (dequantised act_quant values, also exact), and four warps multiply them with WMMA
// 16x16x16 BF16 fragments into FP32 accumulators (2x2 fragments each). The products are exact and
// only the FP32 summation order differs from the reference's exact per-block partial sums, so
// the result matches the CPU within an NMSE bound (test_cuda_ops), not bit for bit; the fused
// GEMV (moe_gemv.cu) is the exact path.
#include <cuda_bf16.h>
#include <mma.h>

#include "check.cuh"
#include "gemm_dot.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kBM = kMoeTileRows, kBN = 64, kBK = 32;
constexpr int kThreads = 128;  // 4 warps in 2x2, each a 32x32 sub-tile
constexpr int kPadA = kBK + 8; // BF16 row stride of the staged tiles (a multiple of 8, 80 bytes)
constexpr int kPadC = kBN + 4; // FP32 row stride of the staged result (a multiple of 4)
constexpr int kMaxActive = 16;

namespace wmma = nvcuda::wmma;

__global__ void __launch_bounds__(kThreads)
    grouped_kernel(MoeExperts ex, int which, const __nv_bfloat16 *a, bool gather, int k_active,
                   const int *counts, const int *offsets, const int *order, const int *tile_start,
                   float *out)
{
    __shared__ __align__(128) __nv_bfloat16 as[kBM][kPadA]; // activation rows, [row][k]
    __shared__ __align__(128) __nv_bfloat16 bs[kBN][kPadA]; // expanded weight rows, [n][k]
    __shared__ __align__(128) float cs[kBM][kPadC];
    __shared__ int src_row[kBM];
    const int E = ex.n_experts;
    const int t = int(blockIdx.y);
    if (t >= tile_start[E])
        return;
    // The expert of row tile t: tile_start[e] <= t < tile_start[e + 1] (experts without rows
    // have no tiles, so the search never lands on one).
    int lo = 0, hi = E;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (tile_start[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    const int e = lo;
    const std::uint8_t *base = ex.table[e];
    const int N = which == 1 ? ex.dim : ex.inter, K = which == 1 ? ex.inter : ex.dim;
    const int n0 = int(blockIdx.x) * kBN;
    if (!base || n0 >= N) // an expert outside the cache's batch; columns past the end
        return;
    const int row0 = (t - tile_start[e]) * kBM;
    const int p0 = offsets[e] + row0; // first grouped row of the tile
    const int valid = min(kBM, counts[e] - row0);
    const int tid = int(threadIdx.x), warp = tid / 32;
    for (int i = tid; i < kBM; i += kThreads)
        src_row[i] = i >= valid ? -1 : (gather ? order[p0 + i] / k_active : p0 + i);
    const std::uint8_t *w = base + ex.w_data[which];   // [N, K/2] packed E2M1
    const std::uint8_t *ws = base + ex.w_scale[which]; // [N, K/32] E8M0
    const int wm = warp / 2, wn = warp % 2;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
            wmma::fill_fragment(acc[i][j], 0.0f);
    __syncthreads();
    for (int k0 = 0; k0 < K; k0 += kBK) {
        // A: 64 rows x 32 BF16 = 4 x 16 bytes per row.
        for (int i = tid; i < kBM * 4; i += kThreads) {
            const int r = i / 4, part = i % 4;
            uint4 v = make_uint4(0, 0, 0, 0);
            if (src_row[r] >= 0)
                v = *reinterpret_cast<const uint4 *>(a + std::size_t(src_row[r]) * K + k0
                                                     + part * 8);
            *reinterpret_cast<uint4 *>(&as[r][part * 8]) = v;
        }
        // B: 64 weight rows x 32 nibbles (16 bytes) and one scale; two threads per row.
        {
            const int r = tid / 2, half = tid % 2, n = n0 + r;
            __nv_bfloat16 *dst = &bs[r][half * 16];
            if (n < N) {
                const uint2 codes = *reinterpret_cast<const uint2 *>(w + std::size_t(n) * (K / 2)
                                                                     + k0 / 2 + half * 8);
                const float sc = e8m0_value(ws[std::size_t(n) * (K / 32) + k0 / 32]);
                for (int i = 0; i < 16; ++i) {
                    const unsigned word = i < 8 ? codes.x : codes.y;
                    dst[i] = __float2bfloat16_rn(__fmul_rn(e2m1_fast(word >> (4 * (i % 8))), sc));
                }
            } else {
                for (int i = 0; i < 16; ++i)
                    dst[i] = __float2bfloat16_rn(0.0f);
            }
        }
        __syncthreads();
        for (int kk = 0; kk < kBK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb[2];
            for (int i = 0; i < 2; ++i)
                wmma::load_matrix_sync(fa[i], &as[wm * 32 + i * 16][kk], kPadA);
            for (int j = 0; j < 2; ++j) // B (k, n) = bs[n][k]: column-major with ldm kPadA
                wmma::load_matrix_sync(fb[j], &bs[wn * 32 + j * 16][kk], kPadA);
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j)
                    wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
            wmma::store_matrix_sync(&cs[wm * 32 + i * 16][wn * 32 + j * 16], acc[i][j], kPadC,
                                    wmma::mem_row_major);
    __syncthreads();
    for (int idx = tid; idx < kBM * kBN; idx += kThreads) {
        const int i = idx / kBN, j = idx % kBN;
        if (i < valid && n0 + j < N)
            out[std::size_t(p0 + i) * N + n0 + j] = bf16_round(cs[i][j]);
    }
}

__global__ void combine_kernel(MoeExperts ex, const float *o, const int *ids, const int *pos, int k,
                               float *y)
{
    const int tok = int(blockIdx.x);
    const int c = int(blockIdx.y) * blockDim.x + int(threadIdx.x);
    if (c >= ex.dim)
        return;
    int slot[kMaxActive];
    moe_sorted_slots(ids + std::size_t(tok) * k, k, slot);
    float acc = y[std::size_t(tok) * ex.dim + c];
    for (int j = 0; j < k; ++j) {
        const int r = tok * k + slot[j], e = ids[r];
        if (e < 0 || e >= ex.n_experts || !ex.table[e] || pos[r] < 0)
            continue;
        acc = __fadd_rn(acc, o[std::size_t(pos[r]) * ex.dim + c]);
    }
    y[std::size_t(tok) * ex.dim + c] = acc;
}

} // namespace

Status moe_grouped_gemm(const MoeExperts &ex, int which, const std::uint16_t *a, bool gather, int m,
                        int k, const int *counts, const int *offsets, const int *order,
                        const int *tile_start, int max_tiles, float *out, cudaStream_t stream)
{
    if (which < 0 || which > 2 || ex.dim % 128 != 0 || ex.inter % 128 != 0 || !ex.table)
        return Status::error("moe_grouped_gemm: weight " + std::to_string(which) + ", dim "
                             + std::to_string(ex.dim) + ", inter " + std::to_string(ex.inter));
    if (m == 0 || max_tiles <= 0)
        return Status::ok();
    const int N = which == 1 ? ex.dim : ex.inter;
    const dim3 grid(unsigned((N + kBN - 1) / kBN), unsigned(max_tiles));
    grouped_kernel<<<grid, kThreads, 0, stream>>>(ex, which,
                                                  reinterpret_cast<const __nv_bfloat16 *>(a),
                                                  gather, k, counts, offsets, order, tile_start,
                                                  out);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status moe_combine(const MoeExperts &ex, const float *o, const int *ids, const int *pos, int m,
                   int k, float *y, cudaStream_t stream)
{
    if (k <= 0 || k > kMaxActive || !ex.table)
        return Status::error("moe_combine: " + std::to_string(k) + " active experts");
    if (m == 0)
        return Status::ok();
    const dim3 grid(unsigned(m), unsigned((ex.dim + 255) / 256));
    combine_kernel<<<grid, 256, 0, stream>>>(ex, o, ids, pos, k, y);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
