// The pre-tokenizer of the DeepSeek V3/V4 tokenizer.json, written out by hand for exactly its three
// `Split` regexes (behavior "Isolated"), applied in sequence as HF `tokenizers` does:
//
//   1. \p{N}{1,3}
//   2. [一-龥぀-ゟ゠-ヿ]+
//   3. [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
//      ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Each split runs on the pieces the previous one produced, so a regex never sees across a piece
// boundary: `\s+(?!\S)` at the end of a piece that is followed by digits sees the end of the string.
// The pieces are returned as byte ranges of the input; the ByteLevel step that follows in the
// pipeline only maps bytes, so the BPE model takes the pieces' bytes directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace folio::tok {

struct Piece
{
    size_t begin; // byte offsets into the text given to pretokenize()
    size_t end;
};

// Appends the pieces of `text` (valid UTF-8) to `out`, in order, covering it.
void pretokenize(std::string_view text, std::vector<Piece> &out);

} // namespace folio::tok
