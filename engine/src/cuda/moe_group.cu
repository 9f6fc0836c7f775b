// Grouping of the router's choice by expert on the device (moe_group in ops.h; the definition is
// moe_group_host in moe_group.h): no copy to the host and no synchronisation per block. Two
// kernels, one thread block per expert, no atomics, so the order is deterministic:
//   1. count: block e counts the entries r with ids[r] == e;
//   2. scatter: block e sums the counts (and row tiles) of the experts before it for its offset,
//      then walks the entries in chunks of the block size; a ballot/popc scan ranks the matching
//      entries of a chunk, so they land in increasing r.
#include "check.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

__device__ int block_sum(int v, int *shared)
{
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
    __syncthreads(); // `shared` may still be read from a previous call
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    int total = 0;
    for (int w = 0; w < kWarps; ++w)
        total += shared[w];
    return total;
}

__global__ void __launch_bounds__(kThreads) count_kernel(const int *ids, int n, int *counts)
{
    __shared__ int part[kWarps];
    const int e = int(blockIdx.x);
    int c = 0;
    for (int r = int(threadIdx.x); r < n; r += kThreads)
        c += ids[r] == e;
    const int total = block_sum(c, part);
    if (threadIdx.x == 0)
        counts[e] = total;
}

__global__ void __launch_bounds__(kThreads)
    scatter_kernel(const int *ids, const float *gw, int n, int n_experts, int tile_rows,
                   const int *counts, int *offsets, int *order, int *pos, float *wg,
                   int *tile_start)
{
    __shared__ int part[kWarps];
    __shared__ int warp_base[kWarps + 1];
    const int e = int(blockIdx.x);
    const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
    // This expert's first grouped row and first row tile: sums over the experts before it.
    int before = 0, tiles_before = 0;
    for (int j = int(threadIdx.x); j < e; j += kThreads) {
        before += counts[j];
        tiles_before += (counts[j] + tile_rows - 1) / tile_rows;
    }
    const int offset = block_sum(before, part);
    const int tile0 = block_sum(tiles_before, part);
    if (threadIdx.x == 0) {
        offsets[e] = offset;
        tile_start[e] = tile0;
        if (e == n_experts - 1) {
            offsets[n_experts] = offset + counts[e];
            tile_start[n_experts] = tile0 + (counts[e] + tile_rows - 1) / tile_rows;
        }
    }
    int base = offset; // grouped position of the next matching entry
    for (int r0 = 0; r0 < n; r0 += kThreads) {
        const int r = r0 + int(threadIdx.x);
        const bool match = r < n && ids[r] == e;
        const unsigned ballot = __ballot_sync(0xffffffffu, match);
        __syncthreads(); // warp_base of the previous chunk has been read by every thread
        if (lane == 0)
            warp_base[warp] = __popc(ballot);
        __syncthreads();
        if (threadIdx.x == 0) { // exclusive scan of the warps' counts (8 values)
            int acc = 0;
            for (int w = 0; w < kWarps; ++w) {
                const int c = warp_base[w];
                warp_base[w] = acc;
                acc += c;
            }
            warp_base[kWarps] = acc;
        }
        __syncthreads();
        if (match) {
            const int p = base + warp_base[warp] + __popc(ballot & ((1u << lane) - 1u));
            order[p] = r;
            pos[r] = p;
            wg[p] = gw[r];
        }
        base += warp_base[kWarps];
    }
}

// pos = -1 for entries no expert groups (ids outside [0, E)); run before the scatter.
__global__ void fill_kernel(int *p, int n, int v)
{
    const int i = int(blockIdx.x) * blockDim.x + int(threadIdx.x);
    if (i < n)
        p[i] = v;
}

} // namespace

Status moe_group(const int *ids, const float *gw, int m, int k, int n_experts, int tile_rows,
                 int *counts, int *offsets, int *order, int *pos, float *wg, int *tile_start,
                 cudaStream_t stream)
{
    if (n_experts <= 0 || tile_rows <= 0 || k <= 0)
        return Status::error("moe_group: " + std::to_string(n_experts) + " experts, k = "
                             + std::to_string(k) + ", tiles of " + std::to_string(tile_rows));
    const int n = m * k;
    if (n > 0) {
        fill_kernel<<<unsigned((n + 255) / 256), 256, 0, stream>>>(pos, n, -1);
        CUDA_CHECK(cudaGetLastError());
    }
    count_kernel<<<unsigned(n_experts), kThreads, 0, stream>>>(ids, n, counts);
    CUDA_CHECK(cudaGetLastError());
    scatter_kernel<<<unsigned(n_experts), kThreads, 0, stream>>>(ids, gw, n, n_experts, tile_rows,
                                                                 counts, offsets, order, pos, wg,
                                                                 tile_start);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
