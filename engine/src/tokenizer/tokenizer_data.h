// The internal state of a loaded Tokenizer (folio/tokenizer.h): what tokenizer_load.cpp fills in
// and tokenizer.cpp encodes and decodes with. Immutable after load, hence shareable by threads.
#pragma once

#include "folio/tokenizer.h"
#include "tokenizer/bpe.h"
#include "tokenizer/string_map.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace folio::tok {

// A byte trie of added-token strings for leftmost-longest matching (the reference matches added
// tokens with Aho-Corasick in LeftmostLongest mode; at each position the longest token starting
// there wins, and scanning resumes after it).
class AddedTrie
{
public:
    void add(std::string_view content, int32_t id);
    bool empty() const { return m_nodes.size() <= 1; }
    // Length and id of the longest token starting at text[pos]; 0 when none.
    size_t longest_at(std::string_view text, size_t pos, int32_t *id) const;
    // Whether any token starts with byte `b` (a cheap filter before walking the trie).
    bool may_start(unsigned char b) const { return m_first[b]; }

private:
    struct Node
    {
        int32_t id = -1;
        std::vector<std::pair<unsigned char, uint32_t>> children;
    };
    std::vector<Node> m_nodes = std::vector<Node>(1);
    std::array<bool, 256> m_first{};
};

struct AddedToken
{
    std::string content;
    int32_t id;
    bool special;
    bool normalized;
};

} // namespace folio::tok

namespace folio::tokenizer_detail {

struct Data
{
    std::string origin;
    // BPE model.
    tok::MergeTable merges;
    std::array<int32_t, 256> byte_ids{}; // byte → id of its single-byte token
    tok::StringMap vocab;                // byte-level spelling → id
    // Added tokens, matched in two passes like the reference: first those with normalized=false
    // on the raw text, then those with normalized=true on the remaining gaps.
    std::vector<tok::AddedToken> added;
    tok::StringMap added_ids;
    tok::AddedTrie raw_trie, normalized_trie;
    // Decoding: the bytes of every id, concatenated; id i spans [offsets[i], offsets[i+1]).
    std::string token_text;
    std::vector<uint32_t> offsets;
    std::vector<bool> special;
    std::vector<bool> known;
    // Distinguishes tokenizers for the per-thread piece cache.
    uint64_t serial = 0;
};

} // namespace folio::tokenizer_detail
