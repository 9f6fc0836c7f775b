// Host-side planning of the decode step on the device, kept free of CUDA types so that the CPU
// tests (label main) check it: how the decode attention is split over keys (flash-decoding: several
// thread blocks per (token, head), each over a contiguous range of the key list, then a combine
// with the sink), and the key under which a captured CUDA graph of a decode segment is replayed.
#pragma once

#include <algorithm>
#include <cstdint>

namespace folio::cuda {

// Key ranges of one attention call: split z reads keys [z * keys_per_split, min(n_keys, (z + 1) *
// keys_per_split)); every range is non-empty and a multiple of the kernel's key block (64) except
// the last.
struct AttentionSplit
{
    int splits = 1;
    int keys_per_split = 0;
};

constexpr int kAttnKeyBlock = 64;     // keys per online-softmax step of the kernel
constexpr int kMinKeysPerSplit = 256; // fewer: the combine costs more than the parallelism gains
constexpr int kMaxSplits = 32;

// m query tokens over `heads` heads with n_keys keys each, on a device with sm_count
// multiprocessors. Prefill (m * heads already fills the device twice) and short key lists keep
// one block per (token, head): the tiled one-pass kernel, whose results split == 1 reproduces.
inline AttentionSplit plan_attention_split(int m, int heads, int n_keys, int sm_count)
{
    AttentionSplit p;
    p.keys_per_split = std::max(n_keys, 0);
    const std::int64_t blocks = std::int64_t(std::max(m, 0)) * std::max(heads, 0);
    const std::int64_t target = 2 * std::int64_t(std::max(sm_count, 1));
    if (n_keys < 2 * kMinKeysPerSplit || blocks == 0 || blocks >= target)
        return p;
    const std::int64_t want = (target + blocks - 1) / blocks;
    const int by_keys = n_keys / kMinKeysPerSplit;
    const int splits = int(std::min<std::int64_t>({want, std::int64_t(by_keys), kMaxSplits}));
    if (splits <= 1)
        return p;
    int per = (n_keys + splits - 1) / splits;
    per = (per + kAttnKeyBlock - 1) / kAttnKeyBlock * kAttnKeyBlock;
    p.keys_per_split = per;
    p.splits = (n_keys + per - 1) / per; // rounding up per may leave the last split empty: drop it
    return p;
}

// CUDA graphs of the decode step. A decode step (one token) is cut at its host synchronisations
// (the MoE's expert choice) and at the kernels that take the position by value into segments; a
// segment whose launches do not depend on the position (the query/KV projections before the
// attention, the output projections and the next sub-layer's mHC, the head) is captured once and
// replayed. A captured graph is valid while every pointer it was launched with is the same:
// `generation` hashes the device buffers the segment can touch (any reallocation changes it).
struct GraphKey
{
    int segment = 0; // which segment of the step (cuda_forward.cpp's Segment)
    int block = -1;  // block index (main layers, then MTP blocks), -1 for the head
    int rows = 0;    // tokens of the call; only one-token calls (decode) are captured
    std::uint64_t generation = 0;
    friend bool operator==(const GraphKey &a, const GraphKey &b)
    {
        return a.segment == b.segment && a.block == b.block && a.rows == b.rows
               && a.generation == b.generation;
    }
};

// FNV-1a step over a pointer's bits: GraphKey::generation of the buffers a segment uses.
inline std::uint64_t mix_pointer(std::uint64_t h, const void *p)
{
    auto v = std::uint64_t(reinterpret_cast<std::uintptr_t>(p));
    for (int i = 0; i < 8; ++i) {
        h ^= (v >> (8 * i)) & 0xffu;
        h *= 0x100000001b3ull;
    }
    return h;
}
constexpr std::uint64_t kGraphHashSeed = 0xcbf29ce484222325ull;

// What happens to a segment: run its launches directly, capture them into a graph (and launch
// it), or replay the graph captured before.
enum class GraphAction { Direct, Capture, Replay };

// The graph slot of one segment of one block, and the policy: a key is captured the second time
// it is seen (the first run sizes every buffer, so nothing is allocated while capturing), then
// replayed while it stays the same; a new key drops the old graph (`drop` tells the caller to
// destroy it); a failed capture is never retried for that key.
struct GraphSlot
{
    GraphKey key;
    bool seen = false, captured = false, failed = false;
};

inline GraphAction graph_action(GraphSlot &slot, const GraphKey &key, bool enabled, bool &drop)
{
    drop = false;
    if (!enabled || key.rows != 1)
        return GraphAction::Direct;
    if (!slot.seen || !(slot.key == key)) {
        drop = slot.captured;
        slot = GraphSlot{key, true, false, false};
        return GraphAction::Direct;
    }
    if (slot.failed)
        return GraphAction::Direct;
    return slot.captured ? GraphAction::Replay : GraphAction::Capture;
}

} // namespace folio::cuda
