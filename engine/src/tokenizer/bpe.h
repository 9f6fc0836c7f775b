// The byte-level BPE model: the merge table and the merge loop that turns one pre-token piece (its
// raw bytes) into token ids, with the semantics of HF `tokenizers` (no dropout): repeatedly merge
// the adjacent pair of lowest merge rank, leftmost first among equal ranks, until no pair has a
// rank.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace folio::tok {

// Open-addressing hash table (pair of ids → rank and merged id). Built once at load; read-only and
// thus shareable between threads afterwards.
class MergeTable
{
public:
    void reserve(size_t merges);
    // Inserts or overwrites (a later duplicate merge wins, as in the reference's HashMap).
    void insert(int32_t left, int32_t right, uint32_t rank, int32_t merged);
    // Rank of the pair, or kNoRank; `merged` receives the merged id.
    uint32_t find(int32_t left, int32_t right, int32_t *merged) const
    {
        const uint64_t key = pack(left, right);
        for (size_t i = slot(key);; i = (i + 1) & m_mask) {
            const Entry &e = m_entries[i];
            if (e.key == key) {
                *merged = e.merged;
                return e.rank;
            }
            if (e.key == kEmpty)
                return kNoRank;
        }
    }
    static constexpr uint32_t kNoRank = UINT32_MAX;
    size_t size() const { return m_size; }
    size_t memory_bytes() const { return m_entries.size() * sizeof(Entry); }

private:
    static constexpr uint64_t kEmpty = UINT64_MAX;
    struct Entry
    {
        uint64_t key = kEmpty;
        uint32_t rank = 0;
        int32_t merged = 0;
    };
    static uint64_t pack(int32_t a, int32_t b) { return uint64_t(uint32_t(a)) << 32 | uint32_t(b); }
    size_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> m_shift; }
    std::vector<Entry> m_entries;
    uint64_t m_mask = 0;
    int m_shift = 64;
    size_t m_size = 0;
};

// Reusable buffers of the merge loop (one per thread; no allocation per piece once grown).
struct BpeScratch
{
    std::vector<int32_t> ids;
    std::vector<uint32_t> ranks;
    std::vector<int32_t> merged;
    std::vector<int32_t> prev, next;
    struct Candidate
    {
        uint32_t rank;
        uint32_t pos;
        int32_t merged;
    };
    std::vector<Candidate> heap;
};

// Merges `piece` (raw bytes; `byte_ids` maps each byte to its single-byte token id) and appends
// the ids to `out`. Short pieces use a linear scan, long ones a heap; both give the same result
// (tested), the scan is faster below a few dozen bytes.
void bpe_merge(std::string_view piece, const int32_t *byte_ids, const MergeTable &merges,
               BpeScratch &scratch, std::vector<int32_t> &out);
// The two strategies, exposed for the test that proves them equal.
void bpe_merge_scan(std::string_view piece, const int32_t *byte_ids, const MergeTable &merges,
                    BpeScratch &scratch, std::vector<int32_t> &out);
void bpe_merge_heap(std::string_view piece, const int32_t *byte_ids, const MergeTable &merges,
                    BpeScratch &scratch, std::vector<int32_t> &out);

} // namespace folio::tok
