// Routed experts of one block on the device (moe_run.h). Two paths, one summation order:
//   * fused GEMV (decode, exact mode): act_quant of x, moe_gemv_gate_up over every entry,
//     act_quant of h, moe_gemv_down adding each token's experts into yacc in expert order;
//   * grouped GEMM (prefill): moe_group on the device, x dequantised to BF16 once, per weight one
//     moe_grouped_gemm launch over all experts' row tiles (w1, w3; SwiGLU; act quant; w2), then
//     moe_combine adds each token's rows into yacc in expert order.
// Resident experts run as one batch with the block's device table. Experts behind the device
// cache need the choice on the host (which experts to fetch): the ids are copied once, the
// experts with entries are cut into batches of at most `slots` consecutive ids
// (moe_cache_batches), and each batch fetches its experts (a miss copies on the stream, after the
// kernels that read the slot before) and runs the kernels with a table holding only its experts.
// Batches in increasing id keep every token's sum in expert order, so the result is the resident
// one bit for bit.
#include "cuda/moe_run.h"

#include "cuda/check.cuh"
#include "cuda/moe_group.h"
#include "cuda/ops.h"
#include "cuda_model.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace folio::cuda {
namespace {

Status buffers(Gpu &g, const ModelConfig &cfg, int m, bool grouped, MoeScratch &b)
{
    const int E = cfg.n_routed_experts, dim = cfg.dim, inter = cfg.moe_inter_dim;
    const std::size_t nk = std::size_t(m) * std::size_t(cfg.n_activated_experts);
    // gate, up: [m * k, inter] (grouped rows, or entries on the GEMV path where up holds hq).
    Status st = scratch(g, Buf::Gate, nk * inter, b.gate);
    if (st)
        st = scratch(g, Buf::Up, nk * inter, b.up);
    if (!st || !grouped) {
        if (st)
            st = scratch(g, Buf::MoeXq, std::size_t(m) * dim, b.xq);
        if (st)
            st = scratch(g, Buf::MoeXs, std::size_t(m) * (dim / 128), b.xs);
        if (st)
            st = scratch(g, Buf::MoeHs, nk * (inter / 128), b.hs);
        return st;
    }
    st = scratch(g, Buf::MoeCounts, std::size_t(E), b.counts);
    if (st)
        st = scratch(g, Buf::MoeOffsets, std::size_t(E) + 1, b.offsets);
    if (st)
        st = scratch(g, Buf::MoeTiles, std::size_t(E) + 1, b.tiles);
    if (st)
        st = scratch(g, Buf::MoeOrder, nk, b.order);
    if (st)
        st = scratch(g, Buf::MoePos, nk, b.pos);
    if (st)
        st = scratch(g, Buf::MoeWg, nk, b.wg);
    if (st)
        st = scratch(g, Buf::MoeXa, std::size_t(m) * dim, b.xa);
    if (st)
        st = scratch(g, Buf::MoeHa, nk * inter, b.ha);
    if (st)
        st = scratch(g, Buf::Oe, nk * dim, b.oe);
    return st;
}

// The expert batches of a call behind the cache: the choice copied to the host (the only
// synchronisation), checked, grouped, and cut into ranges of at most `slots` experts with entries.
struct CachePlan
{
    MoeGrouping grouping;
    std::vector<std::pair<int, int>> ranges;
    const std::uint8_t **tables = nullptr; // device, one table of E pointers per batch
};

Status plan_cached(const ModelConfig &cfg, Gpu &g, const int *ids, int m, int *host_ids,
                   CachePlan &plan)
{
    const int E = cfg.n_routed_experts, nk = m * cfg.n_activated_experts;
    CUDA_CHECK(cudaMemcpyAsync(host_ids, ids, std::size_t(nk) * sizeof(int), cudaMemcpyDeviceToHost,
                               g.stream));
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    for (int r = 0; r < nk; ++r)
        if (host_ids[r] < 0 || host_ids[r] >= E)
            return Status::error("router chose expert " + std::to_string(host_ids[r]) + " of "
                                 + std::to_string(E));
    plan.grouping = moe_group_host(host_ids, nk, E, kMoeTileRows);
    plan.ranges = moe_cache_batches(plan.grouping.counts, g.cache->slots());
    return scratch(g, Buf::MoeTable, std::max<std::size_t>(plan.ranges.size(), 1) * std::size_t(E),
                   plan.tables);
}

// Batch b of a cached call: its experts fetched into cache slots (a miss copies on the stream,
// after the kernels of the batches before, which read the slots it may reuse) and its table.
Status fetch_batch(const CudaModel &model, Gpu &g, const DevBlock &d, const CachePlan &plan,
                   std::size_t b, MoeBatch &out)
{
    const int E = model.weights->cfg.n_routed_experts;
    const auto [first, end] = plan.ranges[b];
    const std::size_t bytes = model.expert_layout.bytes;
    std::vector<const std::uint8_t *> table(std::size_t(E), nullptr);
    for (int e = first; e < end; ++e) {
        if (plan.grouping.counts[std::size_t(e)] == 0)
            continue;
        const void *dev = nullptr;
        if (Status st = g.cache->fetch(d.layer_key + e, d.host_experts + std::size_t(e) * bytes,
                                       g.stream, &dev);
            !st)
            return st;
        table[std::size_t(e)] = static_cast<const std::uint8_t *>(dev);
    }
    // Pageable source: staged before the call returns, copied in stream order.
    const std::uint8_t **dst = plan.tables + b * std::size_t(E);
    CUDA_CHECK(cudaMemcpyAsync(dst, table.data(), table.size() * sizeof(table[0]),
                               cudaMemcpyHostToDevice, g.stream));
    out = {dst, plan.grouping.offsets[std::size_t(first)], plan.grouping.offsets[std::size_t(end)]};
    return Status::ok();
}

} // namespace

Status run_routed_experts(const CudaModel &model, Gpu &g, const DevBlock &d, const float *x,
                          const int *ids, const float *gw, int m, int *host_ids, float *yacc)
{
    const ModelConfig &cfg = model.weights->cfg;
    const int E = cfg.n_routed_experts, k = cfg.n_activated_experts, dim = cfg.dim;
    const int inter = cfg.moe_inter_dim;
    if (m == 0)
        return Status::ok();
    const bool grouped = !model.exact_gemm && m >= kMoeGroupedMinTokens;
    MoeScratch b;
    if (Status st = buffers(g, cfg, m, grouped, b); !st)
        return st;
    const ExpertLayout &lay = model.expert_layout;
    MoeExperts ex;
    for (int j = 0; j < 3; ++j) {
        ex.w_data[j] = lay.w_data[j];
        ex.w_scale[j] = lay.w_scale[j];
    }
    ex.n_experts = E;
    ex.dim = dim;
    ex.inter = inter;
    ex.swiglu_limit = float(cfg.swiglu_limit);
    if (grouped)
        ++model.moe_grouped_calls;
    else
        ++model.moe_gemv_calls;
    // Resident experts: one batch over everything; cached experts: the plan's batches.
    const bool cached = d.expert_table == nullptr;
    CachePlan plan;
    if (cached) {
        if (!g.cache || !d.host_experts)
            return Status::error("routed experts without a device copy or an expert cache");
        if (Status st = plan_cached(cfg, g, ids, m, host_ids, plan); !st)
            return st;
    }
    const int nk = m * k;
    const MoeBatchSource source = [&](std::size_t i, MoeBatch &batch) -> Status {
        if (!cached) {
            batch = {d.expert_table, 0, nk};
            return Status::ok();
        }
        return fetch_batch(model, g, d, plan, i, batch);
    };
    return run_moe_batches(ex, grouped, x, ids, gw, m, k, b, cached ? plan.ranges.size() : 1,
                           source, yacc, g.stream);
}

Status run_moe_batches(const MoeExperts &shape, bool grouped, const float *x, const int *ids,
                       const float *gw, int m, int k, const MoeScratch &b, std::size_t n_batches,
                       const MoeBatchSource &batch_of, float *yacc, cudaStream_t s)
{
    if (m == 0)
        return Status::ok();
    const int E = shape.n_experts, dim = shape.dim, inter = shape.inter, nk = m * k;
    MoeExperts ex = shape;
    // The inputs every batch shares: the grouping and x's quantisation.
    Status st;
    if (grouped) {
        st = moe_group(ids, gw, m, k, E, kMoeTileRows, b.counts, b.offsets, b.order, b.pos, b.wg,
                       b.tiles, s);
        if (st)
            st = act_quant_bf16(x, m, dim, b.xa, s);
    } else {
        st = act_quant(x, m, dim, b.xq, b.xs, s);
    }
    if (!st)
        return st;
    const int max_tiles = (nk + kMoeTileRows - 1) / kMoeTileRows + E;
    for (std::size_t bi = 0; bi < n_batches; ++bi) {
        MoeBatch batch;
        if (st = batch_of(bi, batch); !st)
            return st;
        ex.table = batch.table;
        if (!grouped) {
            // h in Buf::Gate, its quantisation hq in Buf::Up with scales hs.
            st = moe_gemv_gate_up(ex, b.xq, b.xs, ids, gw, m, k, b.gate, s);
            if (st)
                st = act_quant(b.gate, nk, inter, b.up, b.hs, s);
            if (st)
                st = moe_gemv_down(ex, b.up, b.hs, ids, m, k, yacc, s);
        } else {
            const int rows = batch.row1 - batch.row0;
            const std::size_t at = std::size_t(batch.row0) * inter;
            st = moe_grouped_gemm(ex, 0, b.xa, true, m, k, b.counts, b.offsets, b.order, b.tiles,
                                  max_tiles, b.gate, s);
            if (st)
                st = moe_grouped_gemm(ex, 2, b.xa, true, m, k, b.counts, b.offsets, b.order,
                                      b.tiles, max_tiles, b.up, s);
            if (st && rows > 0)
                st = swiglu(b.gate + at, b.up + at, rows, inter, ex.swiglu_limit, b.wg + batch.row0,
                            s);
            if (st && rows > 0)
                st = act_quant_bf16(b.gate + at, rows, inter, b.ha + at, s);
            if (st)
                st = moe_grouped_gemm(ex, 1, b.ha, false, m, k, b.counts, b.offsets, b.order,
                                      b.tiles, max_tiles, b.oe, s);
            if (st)
                st = moe_combine(ex, b.oe, ids, b.pos, m, k, yacc, s);
        }
        if (!st)
            return st;
    }
    return Status::ok();
}

} // namespace folio::cuda
