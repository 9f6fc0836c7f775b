// Text decoding: turns the bytes of a file into UTF-8, by one documented rule (docs/ingest.md):
//   1. a UTF-8 BOM (EF BB BF)            → UTF-8, the BOM removed                 ("utf-8-bom")
//   2. a UTF-16 BOM (FF FE or FE FF)     → UTF-16 LE/BE converted to UTF-8; unpaired surrogates and
//                                          a trailing odd byte become U+FFFD       ("utf-16le/be")
//   3. valid UTF-8 (no BOM)              → unchanged                               ("utf-8")
//   4. anything else                     → read as Latin-1 (ISO-8859-1), every byte one code point,
//                                          converted to UTF-8                      ("latin-1")
// Latin-1 is the fallback because every byte sequence is valid Latin-1: decoding never fails and
// never loses bytes. Binary detection (NUL bytes) is the filters' job and happens before decoding,
// except that a UTF-16 BOM wins over the NUL sniff (UTF-16 text is full of NULs).
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace folio::ingest {

enum class TextEncoding { Utf8, Utf8Bom, Utf16Le, Utf16Be, Latin1 };

QString encodingName(TextEncoding e);

struct DecodedText
{
    QByteArray utf8;
    TextEncoding encoding = TextEncoding::Utf8;
};

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(QByteArrayView bytes);

// True when `bytes` starts with a UTF-16 byte order mark.
bool hasUtf16Bom(QByteArrayView bytes);

// Decodes by the rule above. Total: any input gives valid UTF-8.
DecodedText decodeText(QByteArrayView bytes);

} // namespace folio::ingest
