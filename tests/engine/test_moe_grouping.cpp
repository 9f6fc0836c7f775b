// CPU tests (label main) of the host side of the device MoE (engine/src/cuda/moe_group.h): the
// grouping of a call's entries by expert that the device kernels reproduce (test_cuda_ops checks
// them against it on a GPU) and the expert cache's batches. No GPU needed.
#include <algorithm>
#include <random>
#include <vector>

#include "cuda/moe_group.h"
#include "folio_test.h"

using folio::cuda::moe_cache_batches;
using folio::cuda::moe_group_host;

FOLIO_TEST(moe_grouping_is_the_cpu_moe_order)
{
    // 7 tokens, 3 experts each, 9 experts: expert 4 and 8 get nothing, expert 0 most.
    const int m = 7, k = 3, E = 9;
    const std::vector<int> ids = {0, 5, 2, 2, 0, 7, 1, 0, 3, 0, 6, 5, 7, 0, 1, 2, 3, 0, 0, 5, 6};
    const auto g = moe_group_host(ids.data(), m * k, E, 2);
    CHECK((g.counts == std::vector<int>{7, 2, 3, 2, 0, 3, 2, 2, 0}));
    CHECK((g.offsets == std::vector<int>{0, 7, 9, 12, 14, 14, 17, 19, 21, 21}));
    // Row tiles of 2: ceil(count / 2) per expert.
    CHECK((g.tile_start == std::vector<int>{0, 4, 5, 7, 8, 8, 10, 11, 12, 12}));
    // The CPU MoE's order: by expert, then by entry (token * k + slot).
    std::vector<int> want(std::size_t(m * k));
    for (int r = 0; r < m * k; ++r)
        want[std::size_t(r)] = r;
    std::stable_sort(want.begin(), want.end(),
                     [&](int a, int b) { return ids[std::size_t(a)] < ids[std::size_t(b)]; });
    CHECK(g.order == want);
    bool inverse = true;
    for (int p = 0; p < m * k; ++p)
        inverse = inverse && g.pos[std::size_t(g.order[std::size_t(p)])] == p;
    CHECK(inverse);
}

FOLIO_TEST(moe_grouping_skips_ids_out_of_range)
{
    const std::vector<int> ids = {1, -1, 3, 1, 4}; // -1 and 4 are not experts of E = 4
    const auto g = moe_group_host(ids.data(), 5, 4, 64);
    CHECK((g.counts == std::vector<int>{0, 2, 0, 1}));
    CHECK((g.order == std::vector<int>{0, 3, 2}));
    CHECK((g.pos == std::vector<int>{0, -1, 2, 1, -1}));
    CHECK((g.tile_start == std::vector<int>{0, 0, 1, 1, 2}));
}

FOLIO_TEST(moe_cache_batches_cover_every_expert_once_within_the_slots)
{
    std::mt19937 rng(7);
    for (int trial = 0; trial < 200; ++trial) {
        const int E = 1 + int(rng() % 40);
        std::vector<int> counts(static_cast<std::size_t>(E));
        for (auto &c : counts)
            c = rng() % 3 == 0 ? 0 : int(rng() % 5);
        const std::uint64_t slots = 1 + rng() % 8;
        const auto batches = moe_cache_batches(counts, slots);
        int next = 0;
        bool ok = true;
        for (const auto &[first, end] : batches) {
            std::uint64_t used = 0;
            for (int e = first; e < end; ++e)
                used += counts[std::size_t(e)] > 0;
            // Consecutive, increasing, each within the slots and not empty.
            ok = ok && first == next && first < end && used >= 1 && used <= slots;
            next = end;
        }
        const bool any = std::any_of(counts.begin(), counts.end(), [](int c) { return c > 0; });
        ok = ok && (any ? next == E : batches.empty());
        CHECK(ok);
    }
    // Everything fits: one batch; one slot: one batch per expert with entries.
    const std::vector<int> counts = {2, 0, 1, 0, 0, 3};
    CHECK((moe_cache_batches(counts, 6) == std::vector<std::pair<int, int>>{{0, 6}}));
    CHECK(
        (moe_cache_batches(counts, 1) == std::vector<std::pair<int, int>>{{0, 2}, {2, 5}, {5, 6}}));
    CHECK(moe_cache_batches(std::vector<int>(5, 0), 2).empty());
}
