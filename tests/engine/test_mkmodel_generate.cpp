// End to end through the public engine API: a folio-mkmodel tiny model in the release format
// (2 shards + index, FP8 weights, FP4 experts) loads with folio::Model::load and generates tokens
// through a Session; the random weights are numerically healthy (finite logits with a useful
// spread, sampling that does not collapse onto one token); the same seed repeats the same output.
#include "folio/engine.h"

#include "safetensors.h"

#include "folio_test.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <sys/wait.h>

using namespace folio;
namespace fs = std::filesystem;

namespace {

// One tiny model for every case of this file (generated once, ~0.15 GB).
const std::string &tiny_model()
{
    static const std::string dir = [] {
        const fs::path p = fs::path(FOLIO_BINARY_DIR) / "test-tmp" / "mkmodel_generate" / "tiny";
        fs::remove_all(p);
        fs::create_directories(p.parent_path());
        const std::string cmd = std::string("\"") + FOLIO_MKMODEL
                                + "\" --preset tiny --shards 2 --seed 5 --out \"" + p.string()
                                + "\" --tokenizer \"" + FOLIO_TOKENIZER_JSON
                                + "\" > /dev/null 2>&1";
        const int rc = std::system(cmd.c_str());
        return WIFEXITED(rc) && WEXITSTATUS(rc) == 0 ? p.string() : std::string();
    }();
    return dir;
}

bool have_tokenizer()
{
    return std::string(FOLIO_TOKENIZER_JSON).size() > 0 && fs::exists(FOLIO_TOKENIZER_JSON);
}

// A prompt of ordinary token ids (BOS + a few words' ids of the V4 tokenizer).
const std::vector<int> kPrompt = {0, 19923, 14, 223, 3427, 128803, 3159, 1010};

std::vector<int> generate(const Model &m, const GenerateParams &gp)
{
    std::unique_ptr<Session> s = m.create_session();
    if (!s->prefill(kPrompt, LogitsMode::Last).is_ok())
        return {};
    Result<GenerateResult> r = s->generate(gp, [](int) { return true; });
    return r ? r->tokens : std::vector<int>{};
}

LoadOptions one_thread()
{
    LoadOptions o;
    o.threads = 1;
    return o;
}

} // namespace

FOLIO_TEST(mkmodel_tiny_loads_through_the_engine)
{
    if (!have_tokenizer()) {
        folio_test::skip("no tokenizer.json (FOLIO_TOKENIZER_JSON)");
        return;
    }
    REQUIRE(!tiny_model().empty());
    REQUIRE(fs::exists(tiny_model() + "/model-00002-of-00002.safetensors"));
    Result<std::shared_ptr<const Model>> m = Model::load(tiny_model(), one_thread());
    if (!m)
        std::fprintf(stderr, "  %s\n", m.status().message().c_str());
    REQUIRE(m.is_ok());
    const ModelInfo &info = (*m)->info();
    CHECK_EQ(info.vocab_size, 129280);
    CHECK_EQ(info.n_layers, 4);
    CHECK(info.max_context >= 131072);
    CHECK(info.has_mtp);
    CHECK_EQ(info.eos_token_id, 1);
    auto ck = Checkpoint::open(tiny_model());
    REQUIRE(ck.is_ok());
    CHECK_EQ(info.fingerprint, (*ck)->fingerprint());
}

FOLIO_TEST(mkmodel_tiny_generates_healthy_tokens)
{
    if (!have_tokenizer()) {
        folio_test::skip("no tokenizer.json");
        return;
    }
    REQUIRE(!tiny_model().empty());
    const auto t0 = std::chrono::steady_clock::now();
    Result<std::shared_ptr<const Model>> m = Model::load(tiny_model(), one_thread());
    REQUIRE(m.is_ok());
    std::unique_ptr<Session> s = (*m)->create_session();
    std::vector<float> logits;
    REQUIRE(s->prefill(kPrompt, LogitsMode::Last, &logits).is_ok());
    CHECK_EQ(s->position(), std::int64_t(kPrompt.size()));
    REQUIRE(logits.size() == 129280u);
    double sum = 0, sum2 = 0;
    bool finite = true;
    for (float x : logits) {
        finite = finite && std::isfinite(x);
        sum += x;
        sum2 += double(x) * x;
    }
    CHECK(finite);
    const double mean = sum / logits.size();
    const double sd = std::sqrt(sum2 / logits.size() - mean * mean);
    // The head is initialised for logits of std ~2.5: a peaked-enough but not degenerate
    // distribution.
    CHECK(sd > 1.0 && sd < 6.0);

    GenerateParams greedy;
    greedy.max_tokens = 16;
    greedy.stop_at_eos = false;
    Result<GenerateResult> g = s->generate(greedy, [](int) { return true; });
    REQUIRE(g.is_ok());
    CHECK_EQ(g->tokens.size(), 16u);
    for (int t : g->tokens)
        CHECK(t >= 0 && t < 129280);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                               .count();
    std::fprintf(stderr, "  load + prefill %zu + 16 greedy tokens on 1 thread: %.2f s\n",
                 kPrompt.size(), seconds);

    // Sampling at temperature 1 spreads over many tokens; the same seed repeats exactly.
    GenerateParams sampled;
    sampled.sampling = SamplingParams{1.0f, 0, 1.0f, 0.0f, 1234};
    sampled.max_tokens = 24;
    sampled.stop_at_eos = false;
    const std::vector<int> a = generate(**m, sampled);
    const std::vector<int> b = generate(**m, sampled);
    REQUIRE(a.size() == 24u);
    CHECK(a == b);
    CHECK(std::set<int>(a.begin(), a.end()).size() >= 12);
    sampled.sampling.seed = 1235;
    CHECK(generate(**m, sampled) != a);
}
