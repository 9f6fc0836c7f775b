// Text decoding into UTF-8 (rule in text_decode.h). Hand-written validation and conversion: this
// runs over every byte of every ingested file, so it avoids QString round trips for the common
// valid-UTF-8 case (no copy beyond the result).
#include "ingest/text_decode.h"

namespace folio::ingest {

QString encodingName(TextEncoding e)
{
    switch (e) {
    case TextEncoding::Utf8:
        return QStringLiteral("utf-8");
    case TextEncoding::Utf8Bom:
        return QStringLiteral("utf-8-bom");
    case TextEncoding::Utf16Le:
        return QStringLiteral("utf-16le");
    case TextEncoding::Utf16Be:
        return QStringLiteral("utf-16be");
    case TextEncoding::Latin1:
        return QStringLiteral("latin-1");
    }
    return QString();
}

bool isValidUtf8(QByteArrayView bytes)
{
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        // ASCII fast path: 8 bytes at a time while no high bit is set.
        while (i + 8 <= n) {
            quint64 w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        const unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len;
        char32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false; // continuation byte, overlong lead C0/C1, or F5..FF
        }
        if (i + len > n)
            return false;
        for (int k = 1; k < len; ++k) {
            const unsigned char cc = s[i + k];
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false; // overlong or out of range
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return false; // surrogates are not characters
        i += len;
    }
    return true;
}

bool hasUtf16Bom(QByteArrayView bytes)
{
    if (bytes.size() < 2)
        return false;
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    const auto b1 = static_cast<unsigned char>(bytes[1]);
    return (b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF);
}

static void appendUtf8(QByteArray &out, char32_t cp)
{
    if (cp < 0x80) {
        out.append(char(cp));
    } else if (cp < 0x800) {
        out.append(char(0xC0 | (cp >> 6)));
        out.append(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.append(char(0xE0 | (cp >> 12)));
        out.append(char(0x80 | ((cp >> 6) & 0x3F)));
        out.append(char(0x80 | (cp & 0x3F)));
    } else {
        out.append(char(0xF0 | (cp >> 18)));
        out.append(char(0x80 | ((cp >> 12) & 0x3F)));
        out.append(char(0x80 | ((cp >> 6) & 0x3F)));
        out.append(char(0x80 | (cp & 0x3F)));
    }
}

static QByteArray utf16ToUtf8(QByteArrayView bytes, bool littleEndian)
{
    constexpr char32_t kReplacement = 0xFFFD;
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    const qsizetype units = bytes.size() / 2;
    QByteArray out;
    out.reserve(units * 3 / 2 + 4);
    auto unitAt = [&](qsizetype u) -> char16_t {
        const unsigned char a = s[2 * u], b = s[2 * u + 1];
        return littleEndian ? char16_t(a | (b << 8)) : char16_t((a << 8) | b);
    };
    for (qsizetype u = 0; u < units; ++u) {
        const char16_t w = unitAt(u);
        if (w >= 0xD800 && w <= 0xDBFF) {
            if (u + 1 < units) {
                const char16_t w2 = unitAt(u + 1);
                if (w2 >= 0xDC00 && w2 <= 0xDFFF) {
                    appendUtf8(out, 0x10000 + ((char32_t(w) - 0xD800) << 10) + (w2 - 0xDC00));
                    ++u;
                    continue;
                }
            }
            appendUtf8(out, kReplacement);
        } else if (w >= 0xDC00 && w <= 0xDFFF) {
            appendUtf8(out, kReplacement);
        } else {
            appendUtf8(out, w);
        }
    }
    if (bytes.size() % 2)
        appendUtf8(out, kReplacement); // a dangling half code unit
    return out;
}

static QByteArray latin1ToUtf8(QByteArrayView bytes)
{
    QByteArray out;
    out.reserve(bytes.size() + bytes.size() / 8);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.append(ch);
        } else {
            out.append(char(0xC0 | (c >> 6)));
            out.append(char(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

DecodedText decodeText(QByteArrayView bytes)
{
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    if (bytes.size() >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        const QByteArrayView rest = bytes.sliced(3);
        // A BOM in front of invalid UTF-8 is a lie; fall back like any other invalid text.
        if (isValidUtf8(rest))
            return {rest.toByteArray(), TextEncoding::Utf8Bom};
        return {latin1ToUtf8(bytes), TextEncoding::Latin1};
    }
    if (hasUtf16Bom(bytes)) {
        const bool le = s[0] == 0xFF;
        return {utf16ToUtf8(bytes.sliced(2), le),
                le ? TextEncoding::Utf16Le : TextEncoding::Utf16Be};
    }
    if (isValidUtf8(bytes))
        return {bytes.toByteArray(), TextEncoding::Utf8};
    return {latin1ToUtf8(bytes), TextEncoding::Latin1};
}

} // namespace folio::ingest
