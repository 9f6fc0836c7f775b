// UTF-8 validation and lossy conversion (see utf8.h). The byte ranges follow the Unicode table
// "Well-Formed UTF-8 Byte Sequences" (Unicode 15, table 3-7): overlong forms, surrogates and
// values above U+10FFFF are invalid, and an invalid sequence is replaced as one U+FFFD per maximal
// subpart (the longest prefix that could still have started a valid sequence).
#include "tokenizer/utf8.h"

namespace folio::tok {

namespace {

// Valid range of the second byte given the first byte; the third and fourth are always 80..BF.
bool second_byte_ok(unsigned char lead, unsigned char b)
{
    switch (lead) {
    case 0xE0:
        return b >= 0xA0 && b <= 0xBF;
    case 0xED:
        return b >= 0x80 && b <= 0x9F;
    case 0xF0:
        return b >= 0x90 && b <= 0xBF;
    case 0xF4:
        return b >= 0x80 && b <= 0x8F;
    default:
        return b >= 0x80 && b <= 0xBF;
    }
}

// Expected total length for a lead byte; 0 for bytes that never start a sequence.
size_t sequence_len(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

} // namespace

size_t utf8_valid_len(std::string_view s, size_t i, size_t *invalid_len)
{
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    const size_t n = sequence_len(p[i]);
    if (n == 0) {
        *invalid_len = 1;
        return 0;
    }
    size_t k = 1;
    for (; k < n; ++k) {
        if (i + k >= s.size())
            break;
        const unsigned char b = p[i + k];
        const bool ok = k == 1 ? second_byte_ok(p[i], b) : (b >= 0x80 && b <= 0xBF);
        if (!ok)
            break;
    }
    if (k == n)
        return n;
    *invalid_len = k; // the lead byte plus the continuation bytes that were still acceptable
    return 0;
}

bool utf8_is_valid(std::string_view s)
{
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        // ASCII fast path, 8 bytes at a time.
        while (i + 8 <= n) {
            uint64_t w;
            __builtin_memcpy(&w, s.data() + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        size_t bad = 0;
        const size_t len = utf8_valid_len(s, i, &bad);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

void utf8_append_lossy(std::string &out, std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        size_t bad = 0;
        const size_t len = utf8_valid_len(s, i, &bad);
        if (len) {
            out.append(s.data() + i, len);
            i += len;
        } else {
            out.append("\xEF\xBF\xBD");
            i += bad;
        }
    }
}

void utf8_append(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else if (cp < 0x800) {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(char(0xE0 | (cp >> 12)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (cp >> 18)));
        out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
}

size_t utf8_complete_prefix(std::string_view s)
{
    // Only the last 3 bytes can belong to an incomplete character: find the start of the last
    // sequence and check whether it is a valid prefix that merely lacks bytes.
    const size_t n = s.size();
    for (size_t back = 1; back <= 3 && back <= n; ++back) {
        const size_t i = n - back;
        const auto lead = static_cast<unsigned char>(s[i]);
        if (lead >= 0x80 && lead < 0xC0)
            continue; // a continuation byte: look further back for the lead
        const size_t need = sequence_len(lead);
        if (need <= back)
            return n; // ASCII, an invalid lead, or a sequence that is already complete
        size_t bad = 0;
        if (utf8_valid_len(s, i, &bad) == 0 && bad == back)
            return i; // every byte so far fits: wait for the rest
        return n;     // already invalid: nothing to wait for
    }
    return n;
}

} // namespace folio::tok
