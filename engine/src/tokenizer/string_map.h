// A flat, open-addressing map from strings to ids for the vocabulary (128k entries) and the added
// tokens. Why not std::unordered_map: loading resolves ~400k merge halves against the vocabulary,
// and a node-based map spends most of the load time in pointer-chasing cache misses; here a lookup
// is one probe into a slot array (with a 32-bit hash tag, so almost no false string compares) plus
// one compare against the key stored contiguously in an arena.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace folio::tok {

class StringMap
{
public:
    void reserve(size_t n);
    // Inserts `key` → `value`, or overwrites the value of an existing key (a later duplicate wins).
    void insert(std::string_view key, int32_t value);
    std::optional<int32_t> find(std::string_view key) const;
    size_t size() const { return m_entries.size(); }
    // Entry i's key and value, in insertion order.
    std::string_view key(size_t i) const
    {
        return std::string_view(m_arena).substr(m_entries[i].offset, m_entries[i].length);
    }
    int32_t value(size_t i) const { return m_entries[i].value; }

private:
    struct Entry
    {
        uint32_t offset, length;
        int32_t value;
    };
    static uint64_t hash(std::string_view s);
    void rehash(size_t slots);
    std::string m_arena;
    std::vector<Entry> m_entries;
    // Slot: 0 = empty, else (hash tag << 32) | (entry index + 1).
    std::vector<uint64_t> m_slots;
    size_t m_mask = 0;
};

} // namespace folio::tok
