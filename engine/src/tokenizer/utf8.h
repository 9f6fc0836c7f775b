// UTF-8 helpers of the tokenizer: validation with the "maximal subpart" replacement rule (the rule
// of Python's bytes.decode("utf-8", "replace") and Rust's String::from_utf8_lossy, which the
// reference uses when decoding), decoding one code point, and finding where a stream may be cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace folio::tok {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when s[i] starts an invalid one.
// `invalid_len` receives the length of the maximal invalid subpart to replace (>= 1) on failure.
size_t utf8_valid_len(std::string_view s, size_t i, size_t *invalid_len);

// True when `s` is entirely valid UTF-8 (fast path for ASCII).
bool utf8_is_valid(std::string_view s);

// Appends `s` to `out` with each maximal invalid subpart replaced by U+FFFD.
void utf8_append_lossy(std::string &out, std::string_view s);

// Decodes the code point at s[i] of a string known to be valid UTF-8; sets *len to its byte length.
inline char32_t utf8_decode(const unsigned char *p, size_t *len)
{
    const unsigned char c = p[0];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c < 0xE0) {
        *len = 2;
        return char32_t(c & 0x1F) << 6 | (p[1] & 0x3F);
    }
    if (c < 0xF0) {
        *len = 3;
        return char32_t(c & 0x0F) << 12 | char32_t(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    }
    *len = 4;
    return char32_t(c & 0x07) << 18 | char32_t(p[1] & 0x3F) << 12 | char32_t(p[2] & 0x3F) << 6
           | (p[3] & 0x3F);
}

// Appends the UTF-8 encoding of `cp` (a valid scalar value) to `out`.
void utf8_append(std::string &out, char32_t cp);

// Length of the longest prefix of `s` after which no character is cut: everything except a
// trailing sequence that is a valid but incomplete start of a multi-byte character.
size_t utf8_complete_prefix(std::string_view s);

} // namespace folio::tok
