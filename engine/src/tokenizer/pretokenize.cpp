// The hand-written matcher for the V4 pre-tokenizer (see pretokenize.h for the patterns).
//
// Splits 1 and 2 partition the text into segments: runs of \p{N} (cut into chunks of at most 3
// code points, which split 3 never splits further since none of its alternatives can match a
// digit-only string), runs of the CJK/kana range, and the rest. Split 3 then runs on each
// CJK/other segment with the backtracking semantics of the reference's regex engine: at each start
// position the alternatives are tried in order and the first that matches wins; where none matches
// the character joins the unmatched gap, which is a piece of its own ("Isolated" keeps gaps).
//
// The alternatives reduce to forward scans (why each is exact is noted at its code), so the matcher
// never backtracks and never allocates.
#include "tokenizer/pretokenize.h"

#include "tokenizer/unicode_class.h"
#include "tokenizer/utf8.h"

#include <cstddef>

namespace folio::tok {

namespace {

// Returned for the position after the segment (end of text or a character of another segment).
constexpr uint16_t kEnd = 0x8000;

enum Segment { kOther = 0, kDigits = 1, kCjk = 2 };

inline int segment_of(uint16_t cls)
{
    return (cls & kClassN) ? kDigits : (cls & kClassCJK) ? kCjk : kOther;
}

struct Scanner
{
    const unsigned char *s;
    size_t n;
    const uint16_t *table;
    int segment;

    // Class bits of the character at byte `p` and its length, or kEnd outside the segment.
    uint16_t at(size_t p, size_t *len) const
    {
        if (p >= n) {
            *len = 0;
            return kEnd;
        }
        char32_t cp;
        if (s[p] < 0x80) {
            cp = s[p];
            *len = 1;
        } else {
            cp = utf8_decode(s + p, len);
        }
        const uint16_t cls = table[cp];
        return segment_of(cls) == segment ? cls : kEnd;
    }

    // End of the run of characters having any of `bits`, starting at `p`.
    size_t run(size_t p, uint16_t bits) const
    {
        size_t len;
        while (at(p, &len) & bits) // kEnd shares no bit with the classes
            p += len;
        return p;
    }

    // End of the match of split 3 starting at `p` (whose character has class `c` and length
    // `clen`), or SIZE_MAX when no alternative matches there.
    size_t match(size_t p, uint16_t c, size_t clen) const
    {
        const size_t q = p + clen;
        size_t dlen;
        const uint16_t d = at(q, &dlen);
        // 1: [ASCII punctuation][A-Za-z]+ (greedy letters).
        if ((c & kClassAsciiPunct) && (d & kClassAsciiAlpha))
            return run(q, kClassAsciiAlpha);
        // 2: [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+. The optional prefix is tried first (greedy);
        // without it the run must start at p. Either way the match ends where the L/M run ends.
        if (!(c & (kClassCRLF | kClassL | kClassP | kClassS)) && (d & (kClassL | kClassM)))
            return run(q, kClassL | kClassM);
        if (c & (kClassL | kClassM))
            return run(p, kClassL | kClassM);
        // 3: " ?[\p{P}\p{S}]+[\r\n]*" (the optional character is U+0020 only).
        if ((c & kClassSpace) && (d & (kClassP | kClassS)))
            return run(run(q, kClassP | kClassS), kClassCRLF);
        if (c & (kClassP | kClassS))
            return run(run(p, kClassP | kClassS), kClassCRLF);
        if (!(c & kClassWS))
            return SIZE_MAX;
        // 4-6 all start with a whitespace run W = [p, r).
        size_t r = p, len, last_start = p, crlf_end = 0, count = 0;
        uint16_t x;
        while ((x = at(r, &len)) & kClassWS) {
            if (x & kClassCRLF)
                crlf_end = r + len;
            last_start = r;
            r += len;
            ++count;
        }
        // 4: \s*[\r\n]+ -- \s* backs off until [\r\n]+ can match: the match ends right after the
        // last \r or \n of W (what follows it inside W is other whitespace).
        if (crlf_end)
            return crlf_end;
        // 5: \s+(?!\S) -- all of W if it reaches the end of the segment, else W less its last
        // character (which is whitespace, so the lookahead holds), if that leaves one.
        if (x & kEnd)
            return r;
        if (count >= 2)
            return last_start;
        // 6: \s+
        return r;
    }
};

// Split 3 over the segment starting at `p`; *stop receives the segment's end.
void split_main(const Scanner &sc, size_t p, std::vector<Piece> &out, size_t *stop)
{
    size_t gap = SIZE_MAX;
    size_t len;
    for (;;) {
        const uint16_t c = sc.at(p, &len);
        if (c & kEnd)
            break;
        const size_t m = sc.match(p, c, len);
        if (m != SIZE_MAX) {
            if (gap != SIZE_MAX) {
                out.push_back({gap, p});
                gap = SIZE_MAX;
            }
            out.push_back({p, m});
            p = m;
        } else {
            if (gap == SIZE_MAX)
                gap = p;
            p += len;
        }
    }
    if (gap != SIZE_MAX)
        out.push_back({gap, p});
    *stop = p;
}

} // namespace

void pretokenize(std::string_view text, std::vector<Piece> &out)
{
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    const size_t n = text.size();
    const uint16_t *table = unicode_class_table();
    size_t p = 0;
    while (p < n) {
        size_t len;
        char32_t cp = s[p] < 0x80 ? (len = 1, s[p]) : utf8_decode(s + p, &len);
        const int seg = segment_of(table[cp]);
        if (seg == kDigits) {
            // Split 1: up to three code points of \p{N} per piece.
            size_t q = p + len;
            for (int k = 1; k < 3 && q < n; ++k) {
                size_t l2;
                const char32_t c2 = s[q] < 0x80 ? (l2 = 1, s[q]) : utf8_decode(s + q, &l2);
                if (!(table[c2] & kClassN))
                    break;
                q += l2;
            }
            out.push_back({p, q});
            p = q;
            continue;
        }
        const Scanner sc{s, n, table, seg};
        split_main(sc, p, out, &p);
    }
}

} // namespace folio::tok
