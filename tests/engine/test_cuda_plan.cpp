// CPU tests (label main) of the host-side planning of the CUDA decode step (engine/src/cuda/
// kv_plan.h): the split of the decode attention over keys, and the policy that decides when a
// decode segment runs directly, is captured into a CUDA graph, or replays it. No GPU needed.
#include "cuda/kv_plan.h"
#include "folio_test.h"

using namespace folio::cuda;

namespace {

// Every key in exactly one non-empty split, splits aligned to the kernel's key blocks.
void check_covers(const AttentionSplit &p, int n_keys)
{
    CHECK(p.splits >= 1);
    CHECK(p.splits <= kMaxSplits);
    if (p.splits == 1) {
        CHECK_EQ(p.keys_per_split, n_keys);
        return;
    }
    CHECK_EQ(p.keys_per_split % kAttnKeyBlock, 0);
    CHECK(std::int64_t(p.splits) * p.keys_per_split >= n_keys);    // covered
    CHECK(std::int64_t(p.splits - 1) * p.keys_per_split < n_keys); // the last split not empty
    CHECK(p.keys_per_split >= kMinKeysPerSplit / 2);
}

} // namespace

FOLIO_TEST(attention_split_prefill_and_short_lists_stay_one_pass)
{
    // Prefill: 2,048 tokens x 64 heads fill an H200 (132 SMs) many times over.
    const AttentionSplit pre = plan_attention_split(2048, 64, 640, 132);
    CHECK_EQ(pre.splits, 1);
    CHECK_EQ(pre.keys_per_split, 640);
    // Decode with a short list (the window alone): one pass.
    CHECK_EQ(plan_attention_split(1, 64, 128, 132).splits, 1);
    CHECK_EQ(plan_attention_split(1, 64, 2 * kMinKeysPerSplit - 1, 132).splits, 1);
    // Nothing to split.
    CHECK_EQ(plan_attention_split(1, 64, 0, 132).splits, 1);
    CHECK_EQ(plan_attention_split(0, 64, 4096, 132).splits, 1);
}

FOLIO_TEST(attention_split_decode_long_lists)
{
    // V4-Flash decode: 64 heads, a CSA layer (window 128 + top-k 512 = 640 keys) and an HCA layer
    // at 1M context (128 + 8,192 keys).
    const AttentionSplit csa = plan_attention_split(1, 64, 640, 132);
    check_covers(csa, 640);
    CHECK_EQ(csa.splits, 2); // 640 / 256 keys at least per split
    const AttentionSplit hca = plan_attention_split(1, 64, 128 + 8192, 132);
    check_covers(hca, 128 + 8192);
    CHECK_EQ(hca.splits, 5); // ceil(2 * 132 / 64): enough blocks for the device, no more
    // A small device wants fewer splits; a huge list never more than kMaxSplits.
    CHECK(plan_attention_split(1, 64, 8320, 8).splits == 1);
    const AttentionSplit wide = plan_attention_split(1, 1, 1 << 20, 132);
    check_covers(wide, 1 << 20);
    CHECK_EQ(wide.splits, kMaxSplits);
    for (int n : {512, 513, 700, 1000, 4097, 65536, 262144 + 128})
        for (int heads : {1, 8, 64})
            check_covers(plan_attention_split(1, heads, n, 132), n);
}

FOLIO_TEST(graph_policy_captures_on_second_sight_then_replays)
{
    GraphSlot slot;
    bool drop = true;
    const GraphKey k{1, 3, 1, 42};
    CHECK(graph_action(slot, k, true, drop) == GraphAction::Direct); // first sight: sizes buffers
    CHECK(!drop);
    CHECK(graph_action(slot, k, true, drop) == GraphAction::Capture);
    slot.captured = true; // (the caller records a successful capture)
    CHECK(graph_action(slot, k, true, drop) == GraphAction::Replay);
    CHECK(graph_action(slot, k, true, drop) == GraphAction::Replay);
    // A reallocated buffer: new generation, the old graph is dropped, the cycle starts again.
    GraphKey moved = k;
    moved.generation = 43;
    CHECK(graph_action(slot, moved, true, drop) == GraphAction::Direct);
    CHECK(drop);
    CHECK(!slot.captured);
    CHECK(graph_action(slot, moved, true, drop) == GraphAction::Capture);
    CHECK(!drop);
}

FOLIO_TEST(graph_policy_direct_when_off_prefill_or_failed)
{
    GraphSlot slot;
    bool drop = false;
    const GraphKey k{2, 0, 1, 7};
    CHECK(graph_action(slot, k, false, drop) == GraphAction::Direct);
    CHECK(graph_action(slot, k, false, drop) == GraphAction::Direct); // off: never captures
    const GraphKey prefill{2, 0, 512, 7};
    CHECK(graph_action(slot, prefill, true, drop) == GraphAction::Direct);
    CHECK(graph_action(slot, prefill, true, drop) == GraphAction::Direct); // rows != 1
    GraphSlot failed;
    CHECK(graph_action(failed, k, true, drop) == GraphAction::Direct);
    CHECK(graph_action(failed, k, true, drop) == GraphAction::Capture);
    failed.failed = true; // the capture did not work: never retried for this key
    CHECK(graph_action(failed, k, true, drop) == GraphAction::Direct);
    CHECK(graph_action(failed, k, true, drop) == GraphAction::Direct);
    // Segments and blocks are different keys.
    CHECK(!(GraphKey{1, 0, 1, 7} == GraphKey{2, 0, 1, 7}));
    CHECK(!(GraphKey{1, 0, 1, 7} == GraphKey{1, 1, 1, 7}));
}

FOLIO_TEST(graph_generation_hash_sees_every_pointer)
{
    int a = 0, b = 0;
    const std::uint64_t h1 = mix_pointer(mix_pointer(kGraphHashSeed, &a), &b);
    const std::uint64_t h2 = mix_pointer(mix_pointer(kGraphHashSeed, &b), &a);
    const std::uint64_t h3 = mix_pointer(mix_pointer(kGraphHashSeed, &a), nullptr);
    CHECK(h1 != h2); // order matters: the pointers of different buffers
    CHECK(h1 != h3);
    CHECK_EQ(h1, mix_pointer(mix_pointer(kGraphHashSeed, &a), &b));
}
