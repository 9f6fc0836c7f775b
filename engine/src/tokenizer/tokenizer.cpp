// Encoding and decoding with a loaded tokenizer (folio/tokenizer.h); loading is in
// tokenizer_load.cpp. The pipeline, as in the reference: added tokens are cut out first (two
// passes, see tokenizer_data.h), every remaining gap is pre-tokenized (pretokenize.cpp) and every
// piece is merged by the BPE model (bpe.cpp).
//
// Per-thread state: the pre-tokenizer's piece list, the merge loop's buffers and a small cache of
// recently merged pieces live in thread_local storage, so const methods are thread-safe without
// locks and nothing is allocated per piece once the buffers have grown.
#include "folio/tokenizer.h"

#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer_data.h"
#include "tokenizer/utf8.h"

#include <cstring>

namespace folio {

using tokenizer_detail::Data;

namespace tok {

void AddedTrie::add(std::string_view content, int32_t id)
{
    uint32_t node = 0;
    for (unsigned char c : content) {
        uint32_t child = 0;
        for (const auto &[byte, index] : m_nodes[node].children)
            if (byte == c)
                child = index;
        if (child == 0) {
            child = uint32_t(m_nodes.size());
            m_nodes[node].children.emplace_back(c, child);
            m_nodes.emplace_back();
        }
        node = child;
    }
    m_nodes[node].id = id;
    m_first[static_cast<unsigned char>(content[0])] = true;
}

size_t AddedTrie::longest_at(std::string_view text, size_t pos, int32_t *id) const
{
    uint32_t node = 0;
    size_t best = 0;
    for (size_t i = pos; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        uint32_t child = 0;
        for (const auto &[byte, index] : m_nodes[node].children)
            if (byte == c) {
                child = index;
                break;
            }
        if (child == 0)
            break;
        node = child;
        if (m_nodes[node].id >= 0) {
            best = i + 1 - pos;
            *id = m_nodes[node].id;
        }
    }
    return best;
}

namespace {

// A direct-mapped cache of piece → ids for short pieces, per thread. Why: natural text and code
// repeat the same words and indentation runs constantly; a hit costs one hash and one memcmp
// instead of the merge loop. Entries are tagged with the tokenizer's serial so a thread that
// switches tokenizers never reads another's ids.
struct PieceCache
{
    static constexpr size_t kSlots = 8192;
    static constexpr size_t kMaxKey = 23;
    static constexpr size_t kMaxIds = 6;
    struct Slot
    {
        uint64_t serial = 0;
        uint8_t key_len = 0;
        uint8_t n_ids = 0;
        char key[kMaxKey];
        int32_t ids[kMaxIds];
    };
    std::vector<Slot> slots = std::vector<Slot>(kSlots);

    static size_t hash(std::string_view s)
    {
        uint64_t h = 0xcbf29ce484222325ull; // FNV-1a
        for (unsigned char c : s)
            h = (h ^ c) * 0x100000001b3ull;
        return size_t(h ^ (h >> 29)) & (kSlots - 1);
    }
};

struct ThreadState
{
    std::vector<Piece> pieces;
    BpeScratch bpe;
    PieceCache cache;
};

ThreadState &thread_state()
{
    thread_local ThreadState state;
    return state;
}

void encode_plain(const Data &d, std::string_view text, ThreadState &ts, std::vector<int32_t> &out)
{
    ts.pieces.clear();
    pretokenize(text, ts.pieces);
    for (const Piece &p : ts.pieces) {
        const std::string_view piece = text.substr(p.begin, p.end - p.begin);
        if (piece.size() == 1) {
            out.push_back(d.byte_ids[static_cast<unsigned char>(piece[0])]);
            continue;
        }
        if (piece.size() > PieceCache::kMaxKey) {
            bpe_merge(piece, d.byte_ids.data(), d.merges, ts.bpe, out);
            continue;
        }
        PieceCache::Slot &slot = ts.cache.slots[PieceCache::hash(piece)];
        if (slot.serial == d.serial && slot.key_len == piece.size()
            && std::memcmp(slot.key, piece.data(), piece.size()) == 0) {
            out.insert(out.end(), slot.ids, slot.ids + slot.n_ids);
            continue;
        }
        const size_t before = out.size();
        bpe_merge(piece, d.byte_ids.data(), d.merges, ts.bpe, out);
        const size_t produced = out.size() - before;
        if (produced <= PieceCache::kMaxIds) {
            slot.serial = d.serial;
            slot.key_len = uint8_t(piece.size());
            slot.n_ids = uint8_t(produced);
            std::memcpy(slot.key, piece.data(), piece.size());
            std::memcpy(slot.ids, out.data() + before, produced * sizeof(int32_t));
        }
    }
}

// Cuts the added tokens of `trie` out of `text`: gaps go to `gap`, matches to `out`.
template<class Gap>
void split_added(const AddedTrie &trie, std::string_view text, std::vector<int32_t> &out, Gap &&gap)
{
    if (trie.empty()) {
        if (!text.empty())
            gap(text);
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < text.size();) {
        int32_t id;
        size_t len;
        if (trie.may_start(static_cast<unsigned char>(text[i]))
            && (len = trie.longest_at(text, i, &id)) > 0) {
            if (i > start)
                gap(text.substr(start, i - start));
            out.push_back(id);
            i += len;
            start = i;
        } else {
            ++i;
        }
    }
    if (start < text.size())
        gap(text.substr(start));
}

} // namespace
} // namespace tok

Tokenizer::Tokenizer(std::unique_ptr<Data> data)
    : m_data(std::move(data))
{}

Tokenizer::~Tokenizer() = default;

void Tokenizer::encode_into(std::string_view utf8, std::vector<int32_t> &out) const
{
    const Data &d = *m_data;
    tok::ThreadState &ts = tok::thread_state();
    std::string_view text = utf8;
    std::string sanitized;
    if (!tok::utf8_is_valid(utf8)) {
        tok::utf8_append_lossy(sanitized, utf8);
        text = sanitized;
    }
    tok::split_added(d.raw_trie, text, out, [&](std::string_view gap) {
        tok::split_added(d.normalized_trie, gap, out,
                         [&](std::string_view plain) { tok::encode_plain(d, plain, ts, out); });
    });
}

std::vector<int32_t> Tokenizer::encode(std::string_view utf8) const
{
    std::vector<int32_t> ids;
    ids.reserve(utf8.size() / 3 + 4);
    encode_into(utf8, ids);
    return ids;
}

size_t Tokenizer::count(std::string_view utf8) const
{
    thread_local std::vector<int32_t> ids;
    ids.clear();
    encode_into(utf8, ids);
    const size_t n = ids.size();
    if (ids.capacity() > (size_t(1) << 22))
        std::vector<int32_t>().swap(ids); // do not keep a huge buffer per thread
    return n;
}

std::string_view Tokenizer::token_bytes(int32_t id) const
{
    const Data &d = *m_data;
    if (id < 0 || size_t(id) >= d.known.size() || !d.known[size_t(id)])
        return {};
    return std::string_view(d.token_text)
        .substr(d.offsets[size_t(id)], d.offsets[size_t(id) + 1] - d.offsets[size_t(id)]);
}

bool Tokenizer::is_special(int32_t id) const
{
    return id >= 0 && size_t(id) < m_data->special.size() && m_data->special[size_t(id)];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const
{
    std::string bytes;
    for (int32_t id : ids) {
        if (skip_special && is_special(id))
            continue;
        bytes += token_bytes(id);
    }
    if (tok::utf8_is_valid(bytes))
        return bytes;
    std::string text;
    tok::utf8_append_lossy(text, bytes);
    return text;
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const
{
    if (std::optional<int32_t> id = m_data->added_ids.find(token))
        return id;
    return m_data->vocab.find(token);
}

Result<int32_t> Tokenizer::special_id(std::string_view token) const
{
    if (std::optional<int32_t> id = token_id(token))
        return *id;
    return Status::error("tokenizer " + m_data->origin + " has no token \"" + std::string(token)
                         + "\" (a tokenizer of another model family?)");
}

size_t Tokenizer::vocab_size() const
{
    return m_data->known.size();
}

const std::string &Tokenizer::origin() const
{
    return m_data->origin;
}

StreamDecoder::StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special)
    : m_tokenizer(std::move(tokenizer))
    , m_skip_special(skip_special)
{}

std::string StreamDecoder::push(int32_t id)
{
    if (m_skip_special && m_tokenizer->is_special(id))
        return {};
    m_pending += m_tokenizer->token_bytes(id);
    const size_t complete = tok::utf8_complete_prefix(m_pending);
    std::string text;
    tok::utf8_append_lossy(text, std::string_view(m_pending).substr(0, complete));
    m_pending.erase(0, complete);
    return text;
}

std::string StreamDecoder::finish()
{
    std::string text;
    tok::utf8_append_lossy(text, m_pending);
    m_pending.clear();
    return text;
}

} // namespace folio
