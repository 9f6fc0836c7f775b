// Session tests on the golden models: token-by-token == one-shot prefill == chunked prefill,
// save/load == never having stopped (bit-identical logits), fork independence, cancellation,
// malformed state streams, speculative (MTP) greedy decoding == plain greedy decoding.
#include "folio_test.h"
#include "golden_support.h"

#include "folio/engine.h"

#include <cstdio>

using namespace folio;

namespace {

std::shared_ptr<const Model> load_model(const std::string &name)
{
    auto m = Model::load(golden::case_dir(name));
    if (!m) {
        std::fprintf(stderr, "%s\n", m.status().message().c_str());
        return nullptr;
    }
    return *m;
}

std::vector<int> prompt(const std::string &name)
{
    golden::Case c;
    c.name = name;
    auto g = Checkpoint::open_file(golden::case_dir(name) + "/golden.safetensors");
    if (!g)
        return {};
    c.golden = *g;
    const auto ids = golden::ints(c, "input_ids");
    return std::vector<int>(ids.begin(), ids.end());
}

std::vector<float> golden_floats(const std::string &name, const std::string &tensor)
{
    golden::Case c;
    auto g = Checkpoint::open_file(golden::case_dir(name) + "/golden.safetensors");
    c.golden = *g;
    return golden::floats(c, tensor);
}

std::size_t count_equal(const std::vector<float> &a, const std::vector<float> &b)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        n += a[i] == b[i];
    return n;
}

void check_stepwise_chunked(const std::string &name, int first_exact_chunk)
{
    auto model = load_model(name);
    REQUIRE(model);
    const std::vector<int> ids = prompt(name);
    const int S = int(ids.size()), V = model->info().vocab_size;

    std::vector<float> one_shot;
    auto s = model->create_session();
    REQUIRE(s->prefill(ids, LogitsMode::All, &one_shot).is_ok());
    CHECK_EQ(s->position(), std::int64_t(S));
    CHECK_EQ(one_shot.size(), std::size_t(S) * V);

    // Token by token (a one-token prefill, then decode steps): the reference reproduces its
    // prefill.logits_all bit for bit this way; so must the engine (S >= window here).
    std::vector<float> stepwise;
    auto t = model->create_session();
    for (int i = 0; i < S; ++i) {
        auto r = t->decode(ids[std::size_t(i)]);
        REQUIRE(r.is_ok());
        stepwise.insert(stepwise.end(), r->begin(), r->end());
    }
    const std::size_t eq = count_equal(one_shot, stepwise);
    std::printf("%s: token-by-token == one-shot on %zu / %zu logits\n", name.c_str(), eq,
                one_shot.size());
    CHECK_EQ(eq, one_shot.size());
    const std::vector<float> gold = golden_floats(name, "prefill.logits_all");
    const golden::Stats gs = golden::compare_rows(stepwise.data(), gold.data(), S, V);
    golden::print_stats("token-by-token vs golden", gs);
    CHECK(golden::within_tolerance(gs));

    for (int chunk : {5, 64, first_exact_chunk, 200}) {
        std::vector<float> chunked;
        auto c = model->create_session();
        REQUIRE(c->prefill(ids, LogitsMode::All, &chunked, chunk).is_ok());
        const golden::Stats cs = golden::compare_rows(chunked.data(), one_shot.data(), S, V);
        const std::size_t ceq = count_equal(chunked, one_shot);
        std::printf("  chunks of %3d: equal to one-shot on %zu / %zu logits\n", chunk, ceq,
                    chunked.size());
        CHECK(golden::within_tolerance(cs));
        // A first chunk at least one window long puts every query's keys in the same blocks as
        // the one-shot prefill: then the results are bit-identical.
        if (chunk >= first_exact_chunk)
            CHECK_EQ(ceq, chunked.size());
    }
}

} // namespace

FOLIO_TEST(session_bf16_stepwise_and_chunked_match_one_shot)
{
    check_stepwise_chunked("bf16_s1", 16);
}

FOLIO_TEST(session_fp8fp4_stepwise_and_chunked_match_one_shot)
{
    check_stepwise_chunked("fp8fp4_s1", 128);
}

FOLIO_TEST(session_save_load_continues_bit_identically)
{
    for (const char *name : {"bf16_s1", "fp8fp4_s1"}) {
        auto model = load_model(name);
        REQUIRE(model);
        const std::vector<int> ids = prompt(name);
        const int l0 = 203, steps = 20; // not aligned to 4, 16, 32 or 128
        std::vector<int> head(ids.begin(), ids.begin() + l0);
        auto a = model->create_session();
        REQUIRE(a->prefill(head).is_ok());
        const std::string bytes = a->save();
        std::printf("%s: state after %d tokens: %zu bytes in the stream, %llu context bytes "
                    "(%.1f B/token; compact layout %llu B/token)\n",
                    name, l0, bytes.size(), (unsigned long long) a->state_bytes(),
                    double(a->state_bytes()) / l0,
                    (unsigned long long) model->info().kv_bytes_per_token);
        auto b = model->create_session();
        REQUIRE(b->load(bytes).is_ok());
        CHECK_EQ(b->position(), std::int64_t(l0));
        CHECK(b->save() == bytes);
        for (int j = 0; j < steps; ++j) {
            auto ra = a->decode(ids[std::size_t(l0 + j)]);
            auto rb = b->decode(ids[std::size_t(l0 + j)]);
            REQUIRE(ra.is_ok() && rb.is_ok());
            CHECK(*ra == *rb);
        }
        // Generation continues identically too (the last logits are part of the state).
        auto c = model->create_session();
        REQUIRE(c->load(a->save()).is_ok());
        GenerateParams gp;
        gp.max_tokens = 6;
        gp.stop_at_eos = false;
        auto ga = a->generate(gp, nullptr);
        auto gc = c->generate(gp, nullptr);
        REQUIRE(ga.is_ok() && gc.is_ok());
        CHECK(ga->tokens == gc->tokens);
    }
}

FOLIO_TEST(session_rejects_malformed_state)
{
    auto model = load_model("bf16_s1");
    REQUIRE(model);
    auto a = model->create_session();
    REQUIRE(a->prefill({5, 6, 7, 8, 9, 10, 11}).is_ok());
    const std::string bytes = a->save();
    auto b = model->create_session();
    Status st = b->load("nonsense");
    CHECK(!st && st.message().find("magic") != std::string::npos);
    for (std::size_t cut : {std::size_t(10), bytes.size() / 2, bytes.size() - 1}) {
        st = b->load(bytes.substr(0, cut));
        CHECK(!st);
    }
    std::string other = bytes;
    other[20] ^= 1; // inside the fingerprint
    st = b->load(other);
    CHECK(!st && st.message().find("fingerprint") != std::string::npos);
    std::string version = bytes;
    version[8] = 9;
    st = b->load(version);
    CHECK(!st && st.message().find("version") != std::string::npos);
    // A state of another model is refused.
    auto fp8 = load_model("fp8fp4_s1");
    REQUIRE(fp8);
    st = fp8->create_session()->load(bytes);
    CHECK(!st);
    CHECK_EQ(b->position(), std::int64_t(0)); // failed loads leave the session untouched
}

FOLIO_TEST(session_fork_is_independent)
{
    auto model = load_model("bf16_s1");
    REQUIRE(model);
    const std::vector<int> ids = prompt("bf16_s1");
    auto a = model->create_session();
    REQUIRE(a->prefill(std::vector<int>(ids.begin(), ids.begin() + 50)).is_ok());
    auto f = a->fork();
    auto ref = model->create_session();
    REQUIRE(ref->prefill(std::vector<int>(ids.begin(), ids.begin() + 50)).is_ok());
    // The fork goes elsewhere; the original must not notice.
    for (int t : {3, 4, 5, 6, 7})
        REQUIRE(f->decode(t).is_ok());
    CHECK_EQ(f->position(), std::int64_t(55));
    CHECK_EQ(a->position(), std::int64_t(50));
    for (int j = 50; j < 60; ++j) {
        auto ra = a->decode(ids[std::size_t(j)]);
        auto rr = ref->decode(ids[std::size_t(j)]);
        REQUIRE(ra.is_ok() && rr.is_ok());
        CHECK(*ra == *rr);
    }
}

FOLIO_TEST(session_cancel_and_bad_input)
{
    auto model = load_model("bf16_s1");
    REQUIRE(model);
    auto s = model->create_session();
    s->cancel();
    Status st = s->prefill({1, 2, 3});
    CHECK(!st && st.message() == "cancelled");
    CHECK_EQ(s->position(), std::int64_t(0));
    // Cancelling from the token callback stops generation before the next step.
    REQUIRE(s->prefill({1, 2, 3}).is_ok());
    GenerateParams gp;
    gp.max_tokens = 50;
    gp.stop_at_eos = false;
    int seen = 0;
    auto r = s->generate(gp, [&](int) {
        if (++seen == 3)
            s->cancel();
        return true;
    });
    CHECK(!r.is_ok() && r.status().message() == "cancelled");
    CHECK_EQ(seen, 3);
    CHECK_EQ(s->position(), std::int64_t(3 + 3));
    CHECK(!s->prefill({}).is_ok());
    CHECK(!s->prefill({model->info().vocab_size}).is_ok());
    CHECK(!s->prefill({-1}).is_ok());
    auto fresh = model->create_session();
    CHECK(!fresh->generate(gp, nullptr).is_ok()); // nothing to continue from
}

FOLIO_TEST(session_speculative_equals_greedy)
{
    for (const char *name : {"bf16_s1", "fp8fp4_s1"}) {
        auto model = load_model(name);
        REQUIRE(model);
        const std::vector<int> ids = prompt(name);
        std::vector<int> head(ids.begin(), ids.begin() + 150);
        GenerateParams gp;
        gp.max_tokens = 24;
        gp.stop_at_eos = false;
        auto a = model->create_session();
        REQUIRE(a->prefill(head).is_ok());
        auto plain = a->generate(gp, nullptr);
        auto b = model->create_session();
        REQUIRE(b->prefill(head).is_ok());
        gp.speculative = true;
        auto spec = b->generate(gp, nullptr);
        REQUIRE(plain.is_ok() && spec.is_ok());
        CHECK(plain->tokens == spec->tokens);
        CHECK_EQ(a->position(), b->position());
        std::printf("%s: speculative decoding accepted %d of %d drafts\n", name, spec->accepted,
                    spec->drafted);
        // And the states agree: the next logits are identical.
        auto ra = a->decode(7), rb = b->decode(7);
        REQUIRE(ra.is_ok() && rb.is_ok());
        CHECK(*ra == *rb);
    }
}
