// The grouping of a MoE call's routed entries by expert, as plain host code: the definition the
// device kernels (moe_group.cu) reproduce, used where the host needs it (the expert cache's
// batches in cuda_forward.cpp) and by the tests (test_moe_grouping on the CPU, test_cuda_ops
// against the device). No CUDA types: it compiles in every build.
//
// Entry r = token * k + slot of the router's ids [m, k]. The order is the CPU MoE's
// (model/moe.cpp): the entries of expert 0, then expert 1, ..., each expert's in increasing r.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace folio::cuda {

struct MoeGrouping
{
    std::vector<int> counts;     // [E] entries per expert
    std::vector<int> offsets;    // [E + 1] exclusive prefix sums of counts
    std::vector<int> order;      // [m * k] entries in grouped order (ids outside [0, E): none)
    std::vector<int> pos;        // [m * k] grouped position of entry r (-1: not grouped)
    std::vector<int> tile_start; // [E + 1] prefix sums of ceil(counts / tile_rows)
};

inline MoeGrouping moe_group_host(const int *ids, int n_entries, int n_experts, int tile_rows)
{
    MoeGrouping g;
    g.counts.assign(std::size_t(n_experts), 0);
    for (int r = 0; r < n_entries; ++r)
        if (ids[r] >= 0 && ids[r] < n_experts)
            ++g.counts[std::size_t(ids[r])];
    g.offsets.assign(std::size_t(n_experts) + 1, 0);
    g.tile_start.assign(std::size_t(n_experts) + 1, 0);
    for (int e = 0; e < n_experts; ++e) {
        g.offsets[std::size_t(e) + 1] = g.offsets[std::size_t(e)] + g.counts[std::size_t(e)];
        g.tile_start[std::size_t(e) + 1] = g.tile_start[std::size_t(e)]
                                           + (g.counts[std::size_t(e)] + tile_rows - 1) / tile_rows;
    }
    g.order.assign(std::size_t(g.offsets.back()), -1);
    g.pos.assign(std::size_t(n_entries), -1);
    std::vector<int> fill(g.offsets.begin(), g.offsets.end() - 1);
    for (int r = 0; r < n_entries; ++r) {
        if (ids[r] < 0 || ids[r] >= n_experts)
            continue;
        const int p = fill[std::size_t(ids[r])]++;
        g.order[std::size_t(p)] = r;
        g.pos[std::size_t(r)] = p;
    }
    return g;
}

// The expert cache's batches: consecutive expert ranges [first, end) in increasing id, each with
// at most `slots` experts that have entries (so all of a batch fit in the cache at once), every
// expert with entries in exactly one batch. Processing the batches in order keeps each token's
// sum over its experts in increasing expert id, the same sum as one batch over all experts.
inline std::vector<std::pair<int, int>> moe_cache_batches(const std::vector<int> &counts,
                                                          std::uint64_t slots)
{
    std::vector<std::pair<int, int>> batches;
    if (slots == 0) // DeviceExpertCache refuses zero slots; one expert at a time is the floor
        slots = 1;
    const int n = int(counts.size());
    int first = 0;
    std::uint64_t used = 0;
    for (int e = 0; e < n; ++e) {
        if (counts[std::size_t(e)] == 0)
            continue;
        if (used == slots) {
            batches.emplace_back(first, e);
            first = e;
            used = 0;
        }
        ++used;
    }
    if (used > 0)
        batches.emplace_back(first, n);
    return batches;
}

} // namespace folio::cuda
