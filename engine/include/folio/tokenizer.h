// The engine's tokenizer: an exact re-implementation of the HF `tokenizers` pipeline that the
// DeepSeek V3/V4 family ships in tokenizer.json (byte-level BPE, added tokens matched first, the
// three-regex pre-tokenizer), with no Python and no third-party library at run time.
//
//   auto tok = folio::Tokenizer::load(path);          // Result<std::shared_ptr<const Tokenizer>>
//   if (!tok) return tok.status();                    // names the unsupported field, if any
//   std::vector<int32_t> ids = (*tok)->encode(text);  // no BOS/EOS added (add_special_tokens=False)
//   std::string back = (*tok)->decode(ids);           // == text for valid UTF-8 input
//   auto eos = (*tok)->special_id("<｜end▁of▁sentence｜>"); // by string, never by hard-coded id
//
// Thread safety: a loaded Tokenizer is immutable; every const method may be called from many threads
// at once (the ingest packer counts tokens of many files in parallel). A StreamDecoder belongs to
// one thread at a time.
//
// Invalid UTF-8: encode() first replaces every maximal invalid subsequence of the input with U+FFFD
// (the Unicode "substitution of maximal subparts" rule, the same as Python's
// bytes.decode("utf-8", "replace")), then encodes that text. decode() turns byte sequences that are
// not valid UTF-8 (a token sequence cut inside a character) into U+FFFD the same way.
#pragma once

#include "folio/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace folio {

namespace tokenizer_detail {
struct Data;
}

class Tokenizer
{
public:
    // Loads a tokenizer.json. Fails with a message naming the field for anything this
    // implementation does not reproduce exactly (another model type, normaliser, regex, ...).
    static Result<std::shared_ptr<const Tokenizer>> load(const std::string &path);
    // Same, from the JSON text itself; `origin` names it in error messages.
    static Result<std::shared_ptr<const Tokenizer>> load_from_json(std::string_view json_text,
                                                                   const std::string &origin);
    ~Tokenizer();
    Tokenizer(const Tokenizer &) = delete;
    Tokenizer &operator=(const Tokenizer &) = delete;

    // Token ids of `utf8`, exactly as HF `Tokenizer.encode(text, add_special_tokens=False)`.
    // Added-token strings inside the text (e.g. "<｜User｜>") become their single id.
    std::vector<int32_t> encode(std::string_view utf8) const;
    // Appends the ids to `out` (reuse one vector across calls to avoid allocations).
    void encode_into(std::string_view utf8, std::vector<int32_t> &out) const;
    // Number of tokens encode() would return.
    size_t count(std::string_view utf8) const;

    // Text of `ids`, as HF `Tokenizer.decode(ids, skip_special_tokens=skip_special)`. Ids outside
    // the vocabulary are skipped (as HF does).
    std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;
    // The raw bytes of one token (may be part of a UTF-8 character); empty for an unknown id.
    std::string_view token_bytes(int32_t id) const;
    // True for ids of added tokens marked "special" in tokenizer.json.
    bool is_special(int32_t id) const;

    // Id of a token given by its string as written in tokenizer.json (added tokens first, then the
    // BPE vocabulary in its byte-level spelling); nullopt if absent.
    std::optional<int32_t> token_id(std::string_view token) const;
    // Same, for tokens the caller needs: an error naming the token and the file when it is absent
    // (V3-family files lack some V4 tokens).
    Result<int32_t> special_id(std::string_view token) const;

    // One past the largest id (BPE vocabulary plus added tokens).
    size_t vocab_size() const;
    // The file this tokenizer was loaded from.
    const std::string &origin() const;

private:
    explicit Tokenizer(std::unique_ptr<tokenizer_detail::Data> data);
    std::unique_ptr<tokenizer_detail::Data> m_data;
    friend class StreamDecoder;
};

// Incremental decoding for streaming generation: push() each token as it arrives and get the text
// that is now complete. An incomplete multi-byte UTF-8 character at the end is held back until a
// later token completes it; bytes that can never become valid UTF-8 are emitted as U+FFFD. The
// concatenation of all push() results and finish() equals Tokenizer::decode() of all the ids.
class StreamDecoder
{
public:
    explicit StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special = false);
    // Text completed by `id` (may be empty).
    std::string push(int32_t id);
    // The held-back bytes (an incomplete character at the end of the stream) as U+FFFD; resets.
    std::string finish();
    // Number of bytes currently held back (0..3).
    size_t pending_bytes() const { return m_pending.size(); }

private:
    std::shared_ptr<const Tokenizer> m_tokenizer;
    bool m_skip_special;
    std::string m_pending;
};

} // namespace folio
