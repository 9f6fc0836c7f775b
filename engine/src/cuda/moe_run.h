// The routed experts of one block on the device (moe_run.cpp): the host side that chooses the
// path and launches the kernels of moe_group.cu / moe_gemv.cu / moe_grouped.cu for
// CudaSession::moe (cuda_forward.cpp), which runs the router before and the shared expert after.
#pragma once

#include <cstdint>
#include <functional>

#include "cuda/ops.h"
#include "folio/status.h"

namespace folio::cuda {

struct CudaModel;
struct DevBlock;
struct Gpu;

// One batch of experts: the table (device [E] pointers, null for experts outside the batch) and
// the grouped rows [row0, row1) of its experts (all rows for a single batch).
struct MoeBatch
{
    const std::uint8_t *const *table = nullptr;
    int row0 = 0, row1 = 0;
};

// Device buffers of one call, for m tokens with k experts each (nk = m * k):
//   both paths: gate, up [nk, inter] FP32;
//   fused GEMV: xq [m, dim], xs [m, dim/128], hs [nk, inter/128] FP32;
//   grouped:    counts [E], offsets, tiles [E + 1], order, pos [nk] int; wg [nk], oe [nk, dim]
//               FP32; xa [m, dim], ha [nk, inter] BF16.
struct MoeScratch
{
    int *counts = nullptr, *offsets = nullptr, *order = nullptr, *pos = nullptr, *tiles = nullptr;
    float *wg = nullptr, *xq = nullptr, *xs = nullptr, *gate = nullptr, *up = nullptr,
          *hs = nullptr, *oe = nullptr;
    std::uint16_t *xa = nullptr, *ha = nullptr;
};

// Batch i of a call, made just before its kernels are launched (an expert cache fetches the
// batch's experts then, after the kernels of the batch before).
using MoeBatchSource = std::function<Status(std::size_t index, MoeBatch &batch)>;

// The routed experts' kernels of one call on `stream`: yacc [m, dim] += every token's experts'
// outputs in increasing expert id, batch after batch. `shape` gives the experts' layout (its
// table is ignored: each batch brings its own). grouped: the tensor-core path (moe_group runs
// first), else the fused GEMV.
Status run_moe_batches(const MoeExperts &shape, bool grouped, const float *x, const int *ids,
                       const float *gw, int m, int k, const MoeScratch &b, std::size_t n_batches,
                       const MoeBatchSource &batch, float *yacc, cudaStream_t stream);

// From this many tokens a call takes the grouped tensor-core GEMM (experts' weights read once per
// call, NMSE-level numerics); fewer (decode) take the fused GEMV (bit-exact with the CPU), as do
// all calls with FOLIO_CUDA_EXACT_GEMM=1.
constexpr int kMoeGroupedMinTokens = 16;

// yacc [m, dim] (FP32, zeroed by the caller) += the routed experts' outputs of every token, in
// increasing expert id (model/moe.cpp's order): x [m, dim] the block's FFN input (BF16 values),
// ids / gw [m, k] the router's choice on the device. Resident experts: no host involvement.
// Experts behind the cache: the ids are copied to `host_ids` (pinned, m * k ints), the only
// synchronisation, and the experts are fetched and run in batches that fit the cache's slots.
Status run_routed_experts(const CudaModel &model, Gpu &g, const DevBlock &d, const float *x,
                          const int *ids, const float *gw, int m, int *host_ids, float *yacc);

} // namespace folio::cuda
