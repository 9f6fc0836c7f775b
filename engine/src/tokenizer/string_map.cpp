// The flat string → id map (see string_map.h).
#include "tokenizer/string_map.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace folio::tok {

uint64_t StringMap::hash(std::string_view s)
{
    // FNV-1a over 8-byte words, then a final mix: keys are short, quality only needs to spread
    // them over the slots.
    uint64_t h = 0xcbf29ce484222325ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (; i < s.size(); ++i)
        h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void StringMap::reserve(size_t n)
{
    m_entries.reserve(n);
    if (n * 2 > m_slots.size())
        rehash(std::bit_ceil(n * 2));
}

void StringMap::rehash(size_t slots)
{
    m_slots.assign(std::max<size_t>(slots, 16), 0);
    m_mask = m_slots.size() - 1;
    for (size_t i = 0; i < m_entries.size(); ++i) {
        const uint64_t h = hash(key(i));
        size_t s = h & m_mask;
        while (m_slots[s])
            s = (s + 1) & m_mask;
        m_slots[s] = (h >> 32) << 32 | (i + 1);
    }
}

void StringMap::insert(std::string_view k, int32_t value)
{
    if ((m_entries.size() + 1) * 2 > m_slots.size())
        rehash(std::max<size_t>(16, m_slots.size() * 2));
    const uint64_t h = hash(k);
    const uint64_t tag = h >> 32;
    size_t s = h & m_mask;
    for (; m_slots[s]; s = (s + 1) & m_mask) {
        const uint64_t slot = m_slots[s];
        const size_t e = size_t(slot & 0xffffffffu) - 1;
        if ((slot >> 32) == tag && key(e) == k) {
            m_entries[e].value = value;
            return;
        }
    }
    m_entries.push_back({uint32_t(m_arena.size()), uint32_t(k.size()), value});
    m_arena.append(k);
    m_slots[s] = tag << 32 | m_entries.size();
}

std::optional<int32_t> StringMap::find(std::string_view k) const
{
    if (m_slots.empty())
        return std::nullopt;
    const uint64_t h = hash(k);
    const uint64_t tag = h >> 32;
    for (size_t s = h & m_mask; m_slots[s]; s = (s + 1) & m_mask) {
        const uint64_t slot = m_slots[s];
        const size_t e = size_t(slot & 0xffffffffu) - 1;
        if ((slot >> 32) == tag && key(e) == k)
            return m_entries[e].value;
    }
    return std::nullopt;
}

} // namespace folio::tok
