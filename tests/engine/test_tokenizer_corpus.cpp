// The large tokenizer corpus (label `slow`): builds ≥ 5 MB of text written by others from files on
// this machine (source code in many languages, English, CJK, Cyrillic, Arabic and other prose, plus
// the edge cases) with reference ids from HF `tokenizers` (scripts/tokenizer_reference.py corpus),
// then checks every id and the round trip of every file.
#include "folio/tokenizer.h"
#include "folio_test.h"
#include "tokenizer/utf8.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

std::string read_bytes(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

FOLIO_TEST(tokenizer_full_corpus_matches_hf)
{
    const std::filesystem::path dir = std::filesystem::path(FOLIO_BINARY_DIR) / "tokenizer-corpus";
    const std::string cmd = std::string(FOLIO_SOURCE_DIR) + "/.venv/bin/python " + FOLIO_SOURCE_DIR
                            + "/scripts/tokenizer_reference.py corpus " + dir.string();
    std::fprintf(stderr, "building the corpus: %s\n", cmd.c_str());
    REQUIRE(std::system(cmd.c_str()) == 0);
    auto loaded = folio::Tokenizer::load(FOLIO_TOKENIZER_JSON);
    REQUIRE(loaded);
    const folio::Tokenizer &tok = *loaded.value();
    size_t files = 0, bytes = 0, tokens = 0, bad_files = 0;
    for (const auto &e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".txt")
            continue;
        const std::string text = read_bytes(e.path());
        std::filesystem::path ids_path = e.path();
        ids_path.replace_extension(".ids");
        std::ifstream in(ids_path);
        std::vector<int32_t> want;
        for (int32_t id; in >> id;)
            want.push_back(id);
        const std::vector<int32_t> got = tok.encode(text);
        std::string sanitized;
        folio::tok::utf8_append_lossy(sanitized, text);
        if (got != want || tok.decode(got) != sanitized) {
            size_t i = 0;
            while (i < got.size() && i < want.size() && got[i] == want[i])
                ++i;
            if (++bad_files <= 10)
                std::fprintf(stderr, "  %s: first difference at token %zu of %zu\n",
                             e.path().filename().c_str(), i, want.size());
        }
        ++files;
        bytes += text.size();
        tokens += want.size();
    }
    std::fprintf(stderr, "corpus: %zu files, %.2f MB, %zu tokens, %zu files differ\n", files,
                 bytes / 1e6, tokens, bad_files);
    CHECK_EQ(bad_files, size_t(0));
    CHECK(bytes >= size_t(5000000));
}

} // namespace
