// Loading tokenizer.json into tokenizer_detail::Data: validation of every field that changes what
// encode() returns (an unsupported construct is an error naming the field, never a silently
// different tokenizer), the vocabulary and merges resolved to ids, the added tokens and the decode
// table.
//
// Fields and what is accepted (the DeepSeek V3/V4 files):
//   normalizer      null, or a Sequence with no normalizers
//   pre_tokenizer   Sequence [Split \p{N}{1,3}, Split CJK/kana, Split main pattern] (all Isolated,
//                   not inverted) followed by ByteLevel with use_regex=false, add_prefix_space=false
//   model           BPE, no dropout, no byte_fallback, no subword prefix/suffix, ignore_merges false
//   decoder         ByteLevel (or null)
//   post_processor  anything: it only adds special tokens when asked to, and encode() never asks
//   truncation, padding  null
//   added_tokens    single_word, lstrip and rstrip false
#include "base/json.h"
#include "base/mapped_file.h"
#include "folio/tokenizer.h"
#include "tokenizer/tokenizer_data.h"
#include "tokenizer/utf8.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace folio {

using tokenizer_detail::Data;

namespace {

// The three Split regexes of the V4 pre-tokenizer, verbatim as in tokenizer.json; pretokenize.cpp
// implements exactly these.
constexpr std::string_view kSplitDigits = "\\p{N}{1,3}";
constexpr std::string_view kSplitCjk = "[一-龥぀-ゟ゠-ヿ]+";
constexpr std::string_view kSplitMain
    = "[!\"#$%&'()*+,\\-./"
      ":;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
      " ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

std::atomic<uint64_t> g_serial{1};

Status field_error(const std::string &origin, const std::string &field, const std::string &what)
{
    return Status::error(origin + ": " + field + ": " + what);
}

// GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves, the other bytes are
// mapped in order to U+0100 upwards.
std::array<char32_t, 256> byte_to_char()
{
    std::array<char32_t, 256> map{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        map[size_t(b)] = printable ? char32_t(b) : next++;
    }
    return map;
}

// Bytes of a token string for decoding, as the reference's ByteLevel decoder does it: if every
// character belongs to the byte alphabet, the bytes they stand for; otherwise the string's own
// UTF-8 (added tokens such as "<｜User｜>").
std::string token_bytes_of(std::string_view token, const std::array<int16_t, 512> &rev)
{
    std::string bytes;
    const auto *p = reinterpret_cast<const unsigned char *>(token.data());
    size_t i = 0;
    while (i < token.size()) {
        size_t bad = 0;
        if (tok::utf8_valid_len(token, i, &bad) == 0)
            return std::string(token);
        size_t len;
        const char32_t cp = tok::utf8_decode(p + i, &len);
        if (cp >= rev.size() || rev[cp] < 0)
            return std::string(token);
        bytes.push_back(char(rev[cp]));
        i += len;
    }
    return bytes;
}

Status check_null_or(const json::Value &doc, const char *key, const std::string &origin)
{
    const json::Value *v = doc.find(key);
    if (v && !v->is_null())
        return field_error(origin, key, "must be null (not supported)");
    return Status::ok();
}

const char *type_of(const json::Value &v)
{
    const json::Value *t = v.find("type");
    return t && t->is_string() ? t->as_string().c_str() : "(no type)";
}

Status check_pre_tokenizer(const json::Value *pt, const std::string &origin)
{
    const std::string f = "pre_tokenizer";
    if (!pt || pt->is_null())
        return field_error(origin, f, "missing (a Split sequence is required)");
    if (std::string_view(type_of(*pt)) != "Sequence")
        return field_error(origin, f + ".type",
                           std::string("unsupported pre-tokenizer '") + type_of(*pt) + "'");
    const json::Value *list = pt->find("pretokenizers");
    if (!list || !list->is_array() || list->as_array().size() != 4)
        return field_error(origin, f + ".pretokenizers",
                           "expected 3 Split regexes followed by ByteLevel");
    const std::string_view expected[3] = {kSplitDigits, kSplitCjk, kSplitMain};
    for (size_t i = 0; i < 3; ++i) {
        const json::Value &s = list->as_array()[i];
        const std::string at = f + ".pretokenizers[" + std::to_string(i) + "]";
        if (std::string_view(type_of(s)) != "Split")
            return field_error(origin, at + ".type",
                               std::string("expected Split, found ") + type_of(s));
        const json::Value *pat = s.find("pattern");
        const json::Value *re = pat ? pat->find("Regex") : nullptr;
        if (!re || !re->is_string())
            return field_error(origin, at + ".pattern", "expected a {\"Regex\": ...} pattern");
        if (re->as_string() != expected[i])
            return field_error(origin, at + ".pattern.Regex",
                               "unsupported regex '" + re->as_string()
                                   + "' (this tokenizer implements '" + std::string(expected[i])
                                   + "')");
        const json::Value *beh = s.find("behavior");
        if (!beh || !beh->is_string() || beh->as_string() != "Isolated")
            return field_error(origin, at + ".behavior", "only Isolated is supported");
        const json::Value *inv = s.find("invert");
        if (inv && !(inv->is_bool() && !inv->as_bool()))
            return field_error(origin, at + ".invert", "only false is supported");
    }
    const json::Value &bl = list->as_array()[3];
    const std::string at = f + ".pretokenizers[3]";
    if (std::string_view(type_of(bl)) != "ByteLevel")
        return field_error(origin, at + ".type",
                           std::string("expected ByteLevel, found ") + type_of(bl));
    for (const char *key : {"use_regex", "add_prefix_space"}) {
        const json::Value *v = bl.find(key);
        if (v && !(v->is_bool() && !v->as_bool()))
            return field_error(origin, at + "." + key, "only false is supported");
    }
    return Status::ok();
}

Status check_model_options(const json::Value &model, const std::string &origin)
{
    if (std::string_view(type_of(model)) != "BPE")
        return field_error(origin, "model.type",
                           std::string("unsupported model '") + type_of(model) + "'");
    for (const char *key : {"dropout", "continuing_subword_prefix", "end_of_word_suffix"}) {
        const json::Value *v = model.find(key);
        if (v && !v->is_null() && !(v->is_string() && v->as_string().empty()))
            return field_error(origin, std::string("model.") + key, "not supported (must be null)");
    }
    for (const char *key : {"byte_fallback", "ignore_merges"}) {
        const json::Value *v = model.find(key);
        if (v && !(v->is_bool() && !v->as_bool()))
            return field_error(origin, std::string("model.") + key, "only false is supported");
    }
    return Status::ok();
}

// Splits one merge ("a b" or ["a", "b"]) into its two halves.
bool merge_parts(const json::Value &m, std::string_view *a, std::string_view *b)
{
    if (m.is_string()) {
        const std::string &s = m.as_string();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
            return false;
        *a = std::string_view(s).substr(0, sp);
        *b = std::string_view(s).substr(sp + 1);
        return true;
    }
    if (m.is_array() && m.as_array().size() == 2 && m.as_array()[0].is_string()
        && m.as_array()[1].is_string()) {
        *a = m.as_array()[0].as_string();
        *b = m.as_array()[1].as_string();
        return true;
    }
    return false;
}

} // namespace

Result<std::shared_ptr<const Tokenizer>> Tokenizer::load(const std::string &path)
{
    Result<std::string> text = read_text_file(path);
    if (!text)
        return text.status();
    return load_from_json(*text, path);
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::load_from_json(std::string_view json_text,
                                                                   const std::string &origin)
{
    Result<json::Value> parsed = json::parse(json_text);
    if (!parsed)
        return Status::error(origin + ": " + parsed.status().message());
    const json::Value &doc = *parsed;
    if (!doc.is_object())
        return Status::error(origin + ": not a JSON object");

    for (const char *key : {"truncation", "padding"})
        if (Status st = check_null_or(doc, key, origin); !st)
            return st;
    if (const json::Value *norm = doc.find("normalizer"); norm && !norm->is_null()) {
        const json::Value *list = norm->find("normalizers");
        const bool empty_sequence = std::string_view(type_of(*norm)) == "Sequence" && list
                                    && list->is_array() && list->as_array().empty();
        if (!empty_sequence)
            return field_error(origin, "normalizer",
                               std::string("unsupported normalizer '") + type_of(*norm) + "'");
    }
    if (Status st = check_pre_tokenizer(doc.find("pre_tokenizer"), origin); !st)
        return st;
    if (const json::Value *dec = doc.find("decoder");
        dec && !dec->is_null() && std::string_view(type_of(*dec)) != "ByteLevel")
        return field_error(origin, "decoder.type",
                           std::string("unsupported decoder '") + type_of(*dec) + "'");
    const json::Value *model = doc.find("model");
    if (!model || !model->is_object())
        return field_error(origin, "model", "missing");
    if (Status st = check_model_options(*model, origin); !st)
        return st;

    auto data = std::make_unique<Data>();
    data->origin = origin;
    data->serial = g_serial.fetch_add(1);

    // Vocabulary.
    const json::Value *vocab = model->find("vocab");
    if (!vocab || !vocab->is_object())
        return field_error(origin, "model.vocab", "missing or not an object");
    int64_t max_id = -1;
    data->vocab.reserve(vocab->as_object().size());
    for (const auto &[token, idv] : vocab->as_object()) {
        if (!idv.is_int() || idv.as_int() < 0 || idv.as_int() > INT32_MAX / 2)
            return field_error(origin, "model.vocab[\"" + token + "\"]",
                               "id is not a valid integer");
        data->vocab.insert(token, int32_t(idv.as_int()));
        max_id = std::max<int64_t>(max_id, idv.as_int());
    }
    const std::array<char32_t, 256> alphabet = byte_to_char();
    std::array<int16_t, 512> char_to_byte; // the alphabet's characters are all below U+0200
    char_to_byte.fill(-1);
    for (int b = 0; b < 256; ++b) {
        char_to_byte[alphabet[size_t(b)]] = int16_t(b);
        std::string spelled;
        tok::utf8_append(spelled, alphabet[size_t(b)]);
        std::optional<int32_t> id = data->vocab.find(spelled);
        if (!id) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02X", b);
            return field_error(origin, "model.vocab",
                               std::string("no token for byte ") + hex
                                   + " (not a byte-level vocabulary)");
        }
        data->byte_ids[size_t(b)] = *id;
    }

    // Merges: rank = position in the list.
    const json::Value *merges = model->find("merges");
    if (!merges || !merges->is_array())
        return field_error(origin, "model.merges", "missing or not an array");
    data->merges.reserve(merges->as_array().size());
    std::string joined;
    for (size_t i = 0; i < merges->as_array().size(); ++i) {
        auto at = [i] { return "model.merges[" + std::to_string(i) + "]"; };
        std::string_view a, b;
        if (!merge_parts(merges->as_array()[i], &a, &b))
            return field_error(origin, at(), "expected \"a b\" or [\"a\", \"b\"]");
        const std::optional<int32_t> ia = data->vocab.find(a);
        const std::optional<int32_t> ib = data->vocab.find(b);
        joined.assign(a);
        joined.append(b);
        const std::optional<int32_t> ij = data->vocab.find(joined);
        if (!ia || !ib || !ij)
            return field_error(origin, at(),
                               "'" + std::string(a) + "' + '" + std::string(b)
                                   + "': a part or the merged token is not in the vocabulary");
        data->merges.insert(*ia, *ib, uint32_t(i), *ij);
    }

    // Added tokens.
    if (const json::Value *added = doc.find("added_tokens"); added && !added->is_null()) {
        if (!added->is_array())
            return field_error(origin, "added_tokens", "not an array");
        for (size_t i = 0; i < added->as_array().size(); ++i) {
            const json::Value &t = added->as_array()[i];
            const std::string at = "added_tokens[" + std::to_string(i) + "]";
            const json::Value *id = t.find("id");
            const json::Value *content = t.find("content");
            if (!id || !id->is_int() || id->as_int() < 0 || id->as_int() > INT32_MAX / 2)
                return field_error(origin, at + ".id", "missing or not a valid integer");
            if (!content || !content->is_string() || content->as_string().empty())
                return field_error(origin, at + ".content", "missing or empty");
            for (const char *key : {"single_word", "lstrip", "rstrip"}) {
                const json::Value *v = t.find(key);
                if (v && !(v->is_bool() && !v->as_bool()))
                    return field_error(origin, at + "." + key, "only false is supported");
            }
            const json::Value *special = t.find("special");
            const json::Value *normalized = t.find("normalized");
            tok::AddedToken token{content->as_string(), int32_t(id->as_int()),
                                  special && special->is_bool() && special->as_bool(),
                                  normalized && normalized->is_bool() && normalized->as_bool()};
            max_id = std::max<int64_t>(max_id, token.id);
            data->added_ids.insert(token.content, token.id);
            (token.normalized ? data->normalized_trie : data->raw_trie).add(token.content, token.id);
            data->added.push_back(std::move(token));
        }
    }

    // Decode table: added tokens take precedence over the vocabulary for the same id (the
    // reference looks ids up in the added vocabulary first).
    // Ids index flat tables, so they must be (nearly) dense: a file claiming id 10^9 for a small
    // vocabulary is refused instead of allocating gigabytes.
    if (size_t(max_id) > 2 * (data->vocab.size() + data->added.size()) + 1024)
        return field_error(origin, "model.vocab",
                           "ids are not dense (largest id " + std::to_string(max_id) + " for "
                               + std::to_string(data->vocab.size() + data->added.size())
                               + " tokens)");
    const size_t n = size_t(max_id + 1);
    std::vector<std::string_view> spelling(n);
    std::vector<bool> spelled(n, false);
    data->special.assign(n, false);
    data->known.assign(n, false);
    for (size_t i = 0; i < data->vocab.size(); ++i) {
        spelling[size_t(data->vocab.value(i))] = data->vocab.key(i);
        spelled[size_t(data->vocab.value(i))] = true;
    }
    for (const tok::AddedToken &t : data->added) {
        spelling[size_t(t.id)] = t.content;
        spelled[size_t(t.id)] = true;
        data->special[size_t(t.id)] = t.special;
    }
    data->offsets.resize(n + 1);
    for (size_t id = 0; id < n; ++id) {
        data->offsets[id] = uint32_t(data->token_text.size());
        if (spelled[id]) {
            data->known[id] = true;
            data->token_text += token_bytes_of(spelling[id], char_to_byte);
        }
    }
    data->offsets[n] = uint32_t(data->token_text.size());
    return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(data)));
}

} // namespace folio
