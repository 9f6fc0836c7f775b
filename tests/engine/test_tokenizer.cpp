// Tokenizer exactness against HF `tokenizers`: every id of every fixture in tests/data/tokenizer
// (NAME.txt → NAME.ids, written by scripts/tokenizer_reference.py), the round trip
// decode(encode(x)) == x, the documented invalid-UTF-8 rule, added tokens, special-token lookup,
// the two BPE merge strategies, thread safety and the load errors that name the field.
#include "base/json.h"
#include "base/mapped_file.h"
#include "folio/tokenizer.h"
#include "folio_test.h"
#include "tokenizer/bpe.h"
#include "tokenizer/tokenizer_data.h"
#include "tokenizer/utf8.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace {

using folio::Tokenizer;

std::shared_ptr<const Tokenizer> real_tokenizer()
{
    static std::shared_ptr<const Tokenizer> tok = [] {
        auto r = Tokenizer::load(FOLIO_TOKENIZER_JSON);
        if (!r) {
            std::fprintf(stderr, "cannot load %s: %s\n", FOLIO_TOKENIZER_JSON,
                         r.status().message().c_str());
            return std::shared_ptr<const Tokenizer>();
        }
        return *r;
    }();
    return tok;
}

std::string read_bytes(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<int32_t> read_ids(const std::filesystem::path &p)
{
    std::ifstream f(p);
    std::vector<int32_t> ids;
    int32_t id;
    while (f >> id)
        ids.push_back(id);
    return ids;
}

// The byte-level spelling of one byte (GPT-2's alphabet: printable Latin-1 stands for itself,
// the other bytes map in order to U+0100 upwards).
std::string byte_token(unsigned char b)
{
    char32_t next = 256, cp = 0;
    for (int x = 0; x <= b; ++x) {
        const bool printable = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
        cp = printable ? char32_t(x) : next++;
    }
    std::string s;
    folio::tok::utf8_append(s, cp);
    return s;
}

std::string sanitize(std::string_view s)
{
    std::string out;
    folio::tok::utf8_append_lossy(out, s);
    return out;
}

// Compares ids and prints the first mismatch with the tokens around it.
bool same_ids(const std::string &name, const Tokenizer &tok, const std::vector<int32_t> &got,
              const std::vector<int32_t> &want)
{
    if (got == want)
        return true;
    size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i])
        ++i;
    std::string ctx_got, ctx_want;
    for (size_t k = i; k < std::min(got.size(), i + 6); ++k)
        ctx_got += "[" + std::string(tok.token_bytes(got[k])) + "]" + std::to_string(got[k]) + " ";
    for (size_t k = i; k < std::min(want.size(), i + 6); ++k)
        ctx_want += "[" + std::string(tok.token_bytes(want[k])) + "]" + std::to_string(want[k])
                    + " ";
    std::string before;
    for (size_t k = i >= 4 ? i - 4 : 0; k < i; ++k)
        before += "[" + std::string(tok.token_bytes(want[k])) + "]";
    folio_test::fail(__FILE__, __LINE__,
                     name + ": first mismatch at token " + std::to_string(i) + " of "
                         + std::to_string(want.size()) + " (got " + std::to_string(got.size())
                         + ")\n    after: " + before + "\n    got:  " + ctx_got
                         + "\n    want: " + ctx_want);
    return false;
}

FOLIO_TEST(tokenizer_loads_real_v4_file)
{
    auto tok = real_tokenizer();
    REQUIRE(tok);
    CHECK_EQ(tok->vocab_size(), size_t(129280));
    CHECK(tok->origin() == FOLIO_TOKENIZER_JSON);
}

FOLIO_TEST(tokenizer_fixtures_match_hf_ids)
{
    auto tok = real_tokenizer();
    REQUIRE(tok);
    const std::filesystem::path dir = std::filesystem::path(FOLIO_TEST_DATA_DIR) / "tokenizer";
    size_t cases = 0, tokens = 0;
    for (const auto &entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".txt")
            continue;
        const std::string name = entry.path().stem().string();
        const std::string text = read_bytes(entry.path());
        std::filesystem::path ids_path = entry.path();
        ids_path.replace_extension(".ids");
        REQUIRE(std::filesystem::exists(ids_path));
        const std::vector<int32_t> want = read_ids(ids_path);
        const std::vector<int32_t> got = tok->encode(text);
        same_ids(name, *tok, got, want);
        CHECK_EQ(tok->count(text), want.size());
        // Round trip: the text itself for valid UTF-8, its sanitized form otherwise.
        const std::string back = tok->decode(got);
        if (folio::tok::utf8_is_valid(text))
            CHECK(back == text);
        else
            CHECK(back == sanitize(text));
        ++cases;
        tokens += want.size();
    }
    CHECK(cases >= 30);
    CHECK(tokens > 40000);
}

FOLIO_TEST(tokenizer_spec_example_and_special_ids)
{
    auto tok = real_tokenizer();
    REQUIRE(tok);
    // v4-architecture.md §5.1, worked example from the port's test.
    const std::vector<int32_t> want = {128803, 30594, 128804, 128821, 36101, 128822, 7624, 1};
    CHECK(tok->encode("<｜User｜>你好<｜Assistant｜><think>推理</think>答案<｜end▁of▁sentence｜>")
          == want);
    const std::pair<const char *, int32_t> specials[] = {{"<｜begin▁of▁sentence｜>", 0},
                                                         {"<｜end▁of▁sentence｜>", 1},
                                                         {"<think>", 128821},
                                                         {"｜DSML｜", 128825},
                                                         {"<｜image｜>", 129279}};
    for (const auto &[name, id] : specials) {
        const folio::Result<int32_t> got = tok->special_id(name);
        CHECK(got && got.value() == id);
    }
    auto missing = tok->special_id("<｜no_such_token｜>");
    CHECK(!missing);
    CHECK(missing.status().message().find("<｜no_such_token｜>") != std::string::npos);
    // Vocabulary tokens are found in their byte-level spelling ("Ġ" is a space).
    const std::vector<int32_t> the = tok->encode(" the");
    CHECK(the.size() == 1 && tok->token_id("Ġthe").value_or(-1) == the[0]);
    CHECK(tok->is_special(0));
    CHECK(!tok->is_special(128803)); // <｜User｜> is an added but non-special token
    // decode(skip_special) drops only special tokens.
    const std::vector<int32_t> ids = tok->encode("<｜begin▁of▁sentence｜>a<｜User｜>b");
    CHECK(tok->decode(ids, true) == "a<｜User｜>b");
    CHECK(tok->decode(ids) == "<｜begin▁of▁sentence｜>a<｜User｜>b");
    // Unknown ids are skipped, as the reference does.
    const std::vector<int32_t> odd = {-5, 64, 999999};
    CHECK(tok->decode(odd) == tok->decode(std::vector<int32_t>{64}));
}

FOLIO_TEST(tokenizer_invalid_utf8_becomes_replacement_character)
{
    auto tok = real_tokenizer();
    REQUIRE(tok);
    // Each maximal invalid subpart is one U+FFFD: "\xe4\xbd" (a truncated 3-byte character) is one,
    // "\xc0\xaf" (an overlong) is two.
    CHECK(sanitize("a\xe4\xbd"
                   "b")
          == "a\xEF\xBF\xBD"
             "b");
    CHECK(sanitize("\xc0\xaf") == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitize("\xf0\x9f\x98") == "\xEF\xBF\xBD");
    const std::string bad = "x\xff y\xe4\xbd";
    CHECK(tok->encode(bad) == tok->encode(sanitize(bad)));
    // A cut-off character in decoding: the bytes of half a "你" decode to U+FFFD.
    const std::vector<int32_t> ids = tok->encode("你");
    std::string all;
    for (int32_t id : ids)
        all += tok->token_bytes(id);
    CHECK(all == "你");
}

FOLIO_TEST(tokenizer_stream_decoder_holds_back_incomplete_characters)
{
    auto tok = real_tokenizer();
    REQUIRE(tok);
    const std::string text = "emoji 👨‍👩‍👧 and 中文 and ğ and 𓀀 done";
    const std::vector<int32_t> ids = tok->encode(text);
    folio::StreamDecoder stream(tok);
    std::string out;
    bool held = false;
    for (int32_t id : ids) {
        const std::string piece = stream.push(id);
        CHECK(folio::tok::utf8_is_valid(piece)); // never a broken sequence
        held = held || stream.pending_bytes() > 0;
        out += piece;
    }
    out += stream.finish();
    CHECK(out == text);
    CHECK(held); // the text has characters split across byte-level tokens

    // Feed the bytes of "中" (E4 B8 AD) one single-byte token at a time.
    std::vector<int32_t> bytes;
    for (unsigned char c : std::string("中"))
        bytes.push_back(tok->token_id(byte_token(c)).value_or(-1));
    folio::StreamDecoder s2(tok);
    CHECK(s2.push(bytes[0]).empty());
    CHECK(s2.push(bytes[1]).empty());
    CHECK_EQ(s2.pending_bytes(), size_t(2));
    CHECK(s2.push(bytes[2]) == "中");
    // An incomplete character at the end is emitted as U+FFFD by finish(), like decode().
    folio::StreamDecoder s3(tok);
    CHECK(s3.push(bytes[0]).empty());
    CHECK(s3.finish() == "\xEF\xBF\xBD");
    CHECK(tok->decode(std::vector<int32_t>{bytes[0]}) == "\xEF\xBF\xBD");
    // A broken sequence followed by ASCII is replaced at once.
    folio::StreamDecoder s4(tok);
    CHECK(s4.push(bytes[0]).empty());
    CHECK(s4.push(tok->encode("A").at(0))
          == "\xEF\xBF\xBD"
             "A");
}

FOLIO_TEST(tokenizer_bpe_scan_and_heap_agree)
{
    // The two merge strategies (bpe.h) must agree on every piece, short and long. The merge table
    // is rebuilt here from the file so the internals can be called directly.
    auto file = folio::read_text_file(FOLIO_TOKENIZER_JSON);
    REQUIRE(file); // scripts/setup.sh installs the real tokenizer.json
    auto doc = folio::json::parse(*file);
    REQUIRE(doc);
    const folio::json::Value &model = *doc->find("model");
    std::unordered_map<std::string, int32_t> vocab;
    for (const auto &[k, v] : model.find("vocab")->as_object())
        vocab[k] = int32_t(v.as_int());
    folio::tok::MergeTable merges;
    const auto &list = model.find("merges")->as_array();
    merges.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string &m = list[i].as_string();
        const size_t sp = m.find(' ');
        const std::string a = m.substr(0, sp), b = m.substr(sp + 1);
        merges.insert(vocab.at(a), vocab.at(b), uint32_t(i), vocab.at(a + b));
    }
    std::array<int32_t, 256> byte_ids{};
    for (int b = 0; b < 256; ++b)
        byte_ids[size_t(b)] = vocab.at(byte_token((unsigned char) b));

    std::vector<std::string> words;
    const std::filesystem::path dir = std::filesystem::path(FOLIO_TEST_DATA_DIR) / "tokenizer";
    for (const auto &entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".txt")
            continue;
        std::istringstream in(read_bytes(entry.path()));
        std::string w;
        while (in >> w)
            words.push_back(" " + w);
    }
    words.push_back(std::string(200, 'a'));
    words.push_back(std::string(100, ' '));
    words.push_back(std::string(77, '\n'));
    std::string ab;
    for (int i = 0; i < 40; ++i)
        ab += "ab";
    words.push_back(ab);
    words.push_back(" internationalization_internationalization_internationalization");
    folio::tok::BpeScratch scratch;
    size_t differ = 0;
    for (const std::string &w : words) {
        std::vector<int32_t> scan, heap;
        folio::tok::bpe_merge_scan(w, byte_ids.data(), merges, scratch, scan);
        folio::tok::bpe_merge_heap(w, byte_ids.data(), merges, scratch, heap);
        if (scan != heap) {
            if (++differ < 5)
                std::fprintf(stderr, "  strategies differ on '%s'\n", w.c_str());
        }
    }
    CHECK_EQ(differ, size_t(0));
    CHECK(words.size() > 10000);
}

FOLIO_TEST(tokenizer_is_thread_safe)
{
    auto tok = real_tokenizer();
    REQUIRE(tok);
    const std::string a = read_bytes(std::filesystem::path(FOLIO_TEST_DATA_DIR) / "tokenizer"
                                     / "prose_english.txt");
    const std::string b = read_bytes(std::filesystem::path(FOLIO_TEST_DATA_DIR) / "tokenizer"
                                     / "prose_chinese.txt");
    const std::vector<int32_t> ea = tok->encode(a), eb = tok->encode(b);
    std::vector<int> ok(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            bool good = true;
            for (int i = 0; i < 20; ++i)
                good = good && (t % 2 ? tok->encode(a) == ea : tok->encode(b) == eb);
            ok[size_t(t)] = good;
        });
    }
    for (auto &th : threads)
        th.join();
    CHECK(std::all_of(ok.begin(), ok.end(), [](int v) { return v == 1; }));
}

// Loads the real file with one field changed.
folio::Result<std::shared_ptr<const Tokenizer>> load_with(
    const std::function<void(folio::json::Value &)> &edit)
{
    static folio::Result<std::string> text = folio::read_text_file(FOLIO_TOKENIZER_JSON);
    if (!text)
        return text.status();
    auto doc = folio::json::parse(*text);
    if (!doc)
        return folio::Status::error("parse failed");
    edit(*doc);
    return Tokenizer::load_from_json(doc->dump(), "edited.json");
}

// The error message of such a load ("" if it loaded).
std::string load_error_with(const std::function<void(folio::json::Value &)> &edit)
{
    auto tok = load_with(edit);
    return tok ? std::string() : tok.status().message();
}

folio::json::Value *member(folio::json::Value &v, const std::string &key)
{
    for (auto &[k, val] : v.as_object())
        if (k == key)
            return &val;
    return nullptr;
}

FOLIO_TEST(tokenizer_unsupported_fields_are_named)
{
    using folio::json::Value;
    auto contains = [](const std::string &msg, const char *what) {
        const bool ok = msg.find(what) != std::string::npos;
        if (!ok)
            std::fprintf(stderr, "  message was: %s\n", msg.c_str());
        return ok;
    };
    CHECK(contains(load_error_with([](Value &d) {
                       *member(*member(d, "model"), "type") = Value::string("WordPiece");
                   }),
                   "model.type"));
    CHECK(contains(load_error_with([](Value &d) {
                       *member(*member(d, "model"), "byte_fallback") = Value::boolean(true);
                   }),
                   "model.byte_fallback"));
    CHECK(contains(load_error_with([](Value &d) {
                       Value *pts = member(*member(d, "pre_tokenizer"), "pretokenizers");
                       *member(*member(pts->as_array()[2], "pattern"), "Regex") = Value::string(
                           "\\s+");
                   }),
                   "pre_tokenizer.pretokenizers[2].pattern.Regex"));
    CHECK(contains(load_error_with([](Value &d) {
                       Value n = Value::object();
                       n.set("type", Value::string("NFKC"));
                       *member(d, "normalizer") = n;
                   }),
                   "normalizer"));
    CHECK(contains(load_error_with([](Value &d) {
                       Value &first = member(d, "added_tokens")->as_array()[0];
                       *member(first, "lstrip") = Value::boolean(true);
                   }),
                   "added_tokens[0].lstrip"));
    CHECK(contains(load_error_with([](Value &d) {
                       Value &merges = *member(*member(d, "model"), "merges");
                       merges.as_array()[5] = Value::string("nosuchtoken alsonot");
                   }),
                   "model.merges[5]"));
    CHECK(contains(load_error_with([](Value &d) {
                       Value t = Value::object();
                       t.set("max_length", Value::integer(10));
                       *member(d, "truncation") = t;
                   }),
                   "truncation"));
    CHECK(contains(load_error_with([](Value &d) {
                       Value &first = member(d, "added_tokens")->as_array()[0];
                       *member(first, "id") = Value::integer(900000000);
                   }),
                   "not dense"));
    // The pair form of merges loads and gives the same ids as the string form.
    auto pairs = load_with([](Value &d) {
        Value &merges = *member(*member(d, "model"), "merges");
        for (Value &m : merges.as_array()) {
            const std::string s = m.as_string();
            const size_t sp = s.find(' ');
            Value pair = Value::array();
            pair.push(Value::string(s.substr(0, sp)));
            pair.push(Value::string(s.substr(sp + 1)));
            m = pair;
        }
    });
    REQUIRE(pairs);
    auto tok = real_tokenizer();
    REQUIRE(tok);
    const std::string sample = read_bytes(std::filesystem::path(FOLIO_TEST_DATA_DIR) / "tokenizer"
                                          / "edge_random_mix.txt");
    CHECK(pairs.value()->encode(sample) == tok->encode(sample));
    auto missing = Tokenizer::load("/nonexistent/tokenizer.json");
    CHECK(!missing);
    CHECK(contains(missing.status().message(), "/nonexistent/tokenizer.json"));
    CHECK(!Tokenizer::load_from_json("{\"model\": ", "broken.json"));
}

} // namespace
