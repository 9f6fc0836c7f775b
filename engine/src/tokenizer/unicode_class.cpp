// Builds the code point → class bits table from the generated ranges. A flat table of 0x110000
// uint16 entries (2.2 MB, shared by all tokenizers, built once on first use) makes the lookup one
// load in the pre-tokenizer's inner loop, where a binary search over 1,600 ranges would dominate.
#include "tokenizer/unicode_class.h"

#include <memory>
#include <mutex>

namespace folio::tok {

namespace {

struct Range
{
    char32_t first, last;
    uint16_t bits;
};

constexpr Range kRanges[] = {
#include "tokenizer/unicode_tables.inc"
};

const uint16_t *build_table()
{
    static std::unique_ptr<uint16_t[]> table;
    static std::once_flag once;
    std::call_once(once, [] {
        table = std::make_unique<uint16_t[]>(0x110000);
        for (const Range &r : kRanges)
            for (char32_t c = r.first; c <= r.last; ++c)
                table[c] = r.bits;
        table['\r'] |= kClassCRLF;
        table['\n'] |= kClassCRLF;
        table[' '] |= kClassSpace;
        for (char32_t c = 0x21; c <= 0x7E; ++c) {
            const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            const bool digit = c >= '0' && c <= '9';
            if (alpha)
                table[c] |= kClassAsciiAlpha;
            else if (!digit)
                table[c] |= kClassAsciiPunct;
        }
        for (char32_t c = 0x4E00; c <= 0x9FA5; ++c)
            table[c] |= kClassCJK;
        for (char32_t c = 0x3040; c <= 0x30FF; ++c)
            table[c] |= kClassCJK;
    });
    return table.get();
}

} // namespace

const uint16_t *unicode_class_table()
{
    static const uint16_t *table = build_table();
    return table;
}

uint16_t unicode_class(char32_t cp)
{
    return cp < 0x110000 ? unicode_class_table()[cp] : 0;
}

} // namespace folio::tok
