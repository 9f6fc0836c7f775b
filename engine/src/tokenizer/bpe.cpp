// The BPE merge loop (see bpe.h). Why two strategies: the reference uses a binary heap for every
// word, which costs O(n log n) with a large constant; most pieces are a handful of bytes, where
// rescanning a small rank array after each merge is several times faster. Pieces longer than
// kScanLimit (long identifiers, whitespace runs, base64) take the heap path so the cost stays
// O(n log n) and a pathological input cannot make encoding quadratic.
#include "tokenizer/bpe.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace folio::tok {

namespace {
constexpr size_t kScanLimit = 48;
constexpr uint32_t kNone = MergeTable::kNoRank;
} // namespace

void MergeTable::reserve(size_t merges)
{
    // Load factor at most 1/2: probes stay short on the hot path.
    size_t cap = std::bit_ceil(std::max<size_t>(16, merges * 2));
    m_entries.assign(cap, Entry{});
    m_mask = cap - 1;
    m_shift = 64 - std::countr_zero(cap);
    m_size = 0;
}

void MergeTable::insert(int32_t left, int32_t right, uint32_t rank, int32_t merged)
{
    if ((m_size + 1) * 2 > m_entries.size()) {
        std::vector<Entry> old = std::move(m_entries);
        reserve(old.size()); // doubles: reserve() takes a merge count and allocates twice that
        for (const Entry &e : old)
            if (e.key != kEmpty)
                insert(int32_t(e.key >> 32), int32_t(uint32_t(e.key)), e.rank, e.merged);
    }
    const uint64_t key = pack(left, right);
    for (size_t i = slot(key);; i = (i + 1) & m_mask) {
        Entry &e = m_entries[i];
        if (e.key == key) {
            e.rank = rank;
            e.merged = merged;
            return;
        }
        if (e.key == kEmpty) {
            e = Entry{key, rank, merged};
            ++m_size;
            return;
        }
    }
}

void bpe_merge_scan(std::string_view piece, const int32_t *byte_ids, const MergeTable &merges,
                    BpeScratch &scratch, std::vector<int32_t> &out)
{
    const size_t n = piece.size();
    auto &ids = scratch.ids;
    auto &ranks = scratch.ranks;
    auto &merged = scratch.merged;
    ids.resize(n);
    ranks.resize(n);
    merged.resize(n);
    for (size_t i = 0; i < n; ++i)
        ids[i] = byte_ids[static_cast<unsigned char>(piece[i])];
    size_t m = n;
    // ranks[i]: rank of the pair (ids[i], ids[i+1]); merged[i] its result.
    for (size_t i = 0; i + 1 < m; ++i)
        ranks[i] = merges.find(ids[i], ids[i + 1], &merged[i]);
    while (m > 1) {
        size_t best = 0;
        uint32_t best_rank = ranks[0];
        for (size_t i = 1; i + 1 < m; ++i) {
            if (ranks[i] < best_rank) { // strict: the leftmost of equal ranks wins
                best_rank = ranks[i];
                best = i;
            }
        }
        if (best_rank == kNone)
            break;
        ids[best] = merged[best];
        // Remove element best+1 from the three arrays.
        const size_t tail = m - best - 2;
        std::memmove(&ids[best + 1], &ids[best + 2], tail * sizeof(int32_t));
        std::memmove(&ranks[best + 1], &ranks[best + 2], tail * sizeof(uint32_t));
        std::memmove(&merged[best + 1], &merged[best + 2], tail * sizeof(int32_t));
        --m;
        if (best + 1 < m)
            ranks[best] = merges.find(ids[best], ids[best + 1], &merged[best]);
        if (best > 0)
            ranks[best - 1] = merges.find(ids[best - 1], ids[best], &merged[best - 1]);
    }
    out.insert(out.end(), ids.begin(), ids.begin() + m);
}

void bpe_merge_heap(std::string_view piece, const int32_t *byte_ids, const MergeTable &merges,
                    BpeScratch &scratch, std::vector<int32_t> &out)
{
    // A linked list of symbols (a removed symbol gets id -1) and a min-heap of candidate merges
    // ordered by (rank, position). A candidate is stale when its left symbol was removed, has no
    // right neighbour any more, or the pair there no longer merges into the same id; the same
    // check as the reference, which is exact because a pair at a position can only grow.
    const size_t n = piece.size();
    auto &ids = scratch.ids;
    auto &prev = scratch.prev;
    auto &next = scratch.next;
    auto &heap = scratch.heap;
    ids.resize(n);
    prev.resize(n);
    next.resize(n);
    heap.clear();
    for (size_t i = 0; i < n; ++i) {
        ids[i] = byte_ids[static_cast<unsigned char>(piece[i])];
        prev[i] = int32_t(i) - 1;
        next[i] = i + 1 < n ? int32_t(i + 1) : -1;
    }
    auto greater = [](const BpeScratch::Candidate &a, const BpeScratch::Candidate &b) {
        return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    auto push = [&](size_t pos) {
        const int32_t nx = next[pos];
        if (nx < 0)
            return;
        int32_t merged;
        const uint32_t rank = merges.find(ids[pos], ids[size_t(nx)], &merged);
        if (rank == kNone)
            return;
        heap.push_back({rank, uint32_t(pos), merged});
        std::push_heap(heap.begin(), heap.end(), greater);
    };
    for (size_t i = 0; i + 1 < n; ++i)
        push(i);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), greater);
        const BpeScratch::Candidate top = heap.back();
        heap.pop_back();
        const size_t pos = top.pos;
        if (ids[pos] < 0 || next[pos] < 0)
            continue;
        const size_t right = size_t(next[pos]);
        int32_t now;
        if (merges.find(ids[pos], ids[right], &now) == kNone || now != top.merged)
            continue;
        ids[pos] = top.merged;
        ids[right] = -1;
        next[pos] = next[right];
        if (next[right] >= 0)
            prev[size_t(next[right])] = int32_t(pos);
        if (prev[pos] >= 0)
            push(size_t(prev[pos]));
        push(pos);
    }
    for (size_t i = 0; i < n; ++i)
        if (ids[i] >= 0)
            out.push_back(ids[i]);
}

void bpe_merge(std::string_view piece, const int32_t *byte_ids, const MergeTable &merges,
               BpeScratch &scratch, std::vector<int32_t> &out)
{
    if (piece.size() <= kScanLimit)
        bpe_merge_scan(piece, byte_ids, merges, scratch, out);
    else
        bpe_merge_heap(piece, byte_ids, merges, scratch, out);
}

} // namespace folio::tok
