// Sampler: greedy and temperature 0 agree; top-k / top-p / min-p keep exactly the tokens their
// boundaries define; sampled frequencies match the intended distribution for fixed seeds; the same
// seed repeats the same sequence; NaN / inf logits and bad parameters are rejected with a clear
// error.
#include "folio/sampling.h"

#include "folio_test.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace folio;

namespace {

SamplingParams params(float t, int k = 0, float p = 1.0f, float min_p = 0.0f, std::uint64_t seed = 1)
{
    SamplingParams s;
    s.temperature = t;
    s.top_k = k;
    s.top_p = p;
    s.min_p = min_p;
    s.seed = seed;
    return s;
}

// Logits whose softmax is exactly proportional to `probs`.
std::vector<float> logits_of(const std::vector<double> &probs)
{
    std::vector<float> l;
    for (double p : probs)
        l.push_back(p > 0 ? float(std::log(p)) : -INFINITY);
    return l;
}

// Frequencies of `draws` samples.
std::vector<double> frequencies(Sampler &s, const std::vector<float> &logits, int draws)
{
    std::vector<double> f(logits.size(), 0);
    for (int i = 0; i < draws; ++i) {
        Result<int> t = s.sample(logits);
        if (!t)
            return {};
        f[size_t(*t)] += 1.0 / draws;
    }
    return f;
}

std::set<int> support(Sampler &s, const std::vector<float> &logits, int draws = 4000)
{
    std::set<int> seen;
    for (int i = 0; i < draws; ++i)
        if (Result<int> t = s.sample(logits))
            seen.insert(*t);
    return seen;
}

// One draw as a plain int (-1 on error), so checks never hold a reference into a temporary Result.
int pick(Sampler &s, const std::vector<float> &logits)
{
    Result<int> r = s.sample(logits);
    return r ? *r : -1;
}

bool mentions(const Status &s, const std::string &needle)
{
    if (s.is_ok() || s.message().find(needle) == std::string::npos) {
        std::fprintf(stderr, "  expected \"%s\", got: %s\n", needle.c_str(),
                     s.is_ok() ? "ok" : s.message().c_str());
        return false;
    }
    return true;
}

} // namespace

FOLIO_TEST(sampler_greedy_is_argmax_with_low_id_ties)
{
    auto s = Sampler::create(SamplingParams::make_greedy());
    REQUIRE(s.is_ok());
    CHECK_EQ(pick(*s, {0.1f, 3.0f, -2.0f, 3.0f}), 1);
    CHECK_EQ(pick(*s, {-INFINITY, -5.0f}), 1);
    CHECK_EQ(argmax(nullptr, 0), -1);
}

FOLIO_TEST(sampler_temperature_zero_equals_greedy)
{
    std::mt19937 gen(5);
    std::normal_distribution<float> nd(0.0f, 3.0f);
    auto t0 = Sampler::create(params(0.0f, 50, 0.5f, 0.1f, 99));
    REQUIRE(t0.is_ok());
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<float> l(1000);
        for (float &x : l)
            x = nd(gen);
        CHECK_EQ(pick(*t0, l), argmax(l.data(), l.size()));
    }
    // top_k = 1 is greedy too, at any temperature.
    auto k1 = Sampler::create(params(1.5f, 1));
    REQUIRE(k1.is_ok());
    const std::vector<float> l = {0.0f, 0.3f, 0.2f};
    CHECK_EQ(pick(*k1, l), 1);
}

FOLIO_TEST(sampler_frequencies_match_the_distribution)
{
    const std::vector<double> probs = {0.4, 0.3, 0.2, 0.1};
    const std::vector<float> l = logits_of(probs);
    auto s = Sampler::create(params(1.0f, 0, 1.0f, 0.0f, 7));
    REQUIRE(s.is_ok());
    std::vector<double> f = frequencies(*s, l, 200000);
    REQUIRE(f.size() == 4);
    for (size_t i = 0; i < 4; ++i)
        CHECK_NEAR(f[i], probs[i], 0.005);

    // Temperature 2 flattens: p ~ sqrt(probs).
    auto t2 = Sampler::create(params(2.0f, 0, 1.0f, 0.0f, 8));
    REQUIRE(t2.is_ok());
    f = frequencies(*t2, l, 200000);
    double z = 0;
    for (double p : probs)
        z += std::sqrt(p);
    for (size_t i = 0; i < 4; ++i)
        CHECK_NEAR(f[i], std::sqrt(probs[i]) / z, 0.005);

    // Top-k 2 renormalises over the two most likely: 4/7, 3/7.
    auto k2 = Sampler::create(params(1.0f, 2, 1.0f, 0.0f, 9));
    REQUIRE(k2.is_ok());
    f = frequencies(*k2, l, 200000);
    CHECK_NEAR(f[0], 4.0 / 7, 0.005);
    CHECK_NEAR(f[1], 3.0 / 7, 0.005);
    CHECK_EQ(f[2] + f[3], 0.0);
}

FOLIO_TEST(sampler_top_p_boundaries)
{
    const std::vector<float> l = logits_of({0.5, 0.3, 0.2});
    auto keep = [&](float p) {
        auto s = Sampler::create(params(1.0f, 0, p, 0.0f, 3));
        return s ? support(*s, l) : std::set<int>{};
    };
    CHECK(keep(0.49f) == (std::set<int>{0}));
    CHECK(keep(0.5f) == (std::set<int>{0})); // the first token alone reaches 0.5
    CHECK(keep(0.51f) == (std::set<int>{0, 1}));
    CHECK(keep(0.8f) == (std::set<int>{0, 1})); // 0.5 + 0.3 reaches 0.8 exactly
    CHECK(keep(0.81f) == (std::set<int>{0, 1, 2}));
    CHECK(keep(1.0f) == (std::set<int>{0, 1, 2}));
    // A tiny top_p still keeps the most likely token.
    CHECK(keep(1e-6f) == (std::set<int>{0}));
}

// The top-p set equals the one a plain full sort defines (logit descending, ties to the lower id),
// also with many equal logits (several tokens per bucket, ties at the cut).
FOLIO_TEST(sampler_top_p_matches_a_full_sort)
{
    std::mt19937 gen(11);
    for (int trial = 0; trial < 12; ++trial) {
        const bool ties = trial % 2 == 1;
        std::vector<float> l(60);
        std::normal_distribution<float> nd(0.0f, 1.0f);
        for (float &x : l)
            x = ties ? float(int(gen() % 4)) : nd(gen);
        const float top_p = 0.3f + 0.05f * float(trial);
        // Reference: sort, softmax, smallest prefix reaching top_p.
        std::vector<int> order(l.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = int(i);
        std::sort(order.begin(), order.end(), [&](int a, int b) {
            return l[size_t(a)] != l[size_t(b)] ? l[size_t(a)] > l[size_t(b)] : a < b;
        });
        double z = 0;
        for (float x : l)
            z += std::exp(double(x));
        std::set<int> expected;
        double cum = 0;
        for (int id : order) {
            expected.insert(id);
            cum += std::exp(double(l[size_t(id)])) / z;
            if (cum >= top_p * (1 - 1e-6))
                break;
        }
        auto s = Sampler::create(params(1.0f, 0, top_p, 0.0f, 100 + std::uint64_t(trial)));
        REQUIRE(s.is_ok());
        const std::set<int> got = support(*s, l, 20000);
        if (got != expected)
            std::fprintf(stderr, "  trial %d: %zu tokens sampled, %zu expected\n", trial,
                         got.size(), expected.size());
        CHECK(got == expected);
    }
}

FOLIO_TEST(sampler_top_k_boundaries)
{
    const std::vector<float> l = {1.0f, 3.0f, 2.0f, 3.0f, 0.0f};
    auto keep = [&](int k) {
        auto s = Sampler::create(params(1.0f, k));
        return s ? support(*s, l) : std::set<int>{};
    };
    CHECK(keep(1) == (std::set<int>{1})); // tie between 1 and 3: the lower id
    CHECK(keep(2) == (std::set<int>{1, 3}));
    CHECK(keep(3) == (std::set<int>{1, 2, 3}));
    CHECK(keep(5) == (std::set<int>{0, 1, 2, 3, 4}));
    CHECK(keep(100) == (std::set<int>{0, 1, 2, 3, 4}));
}

FOLIO_TEST(sampler_min_p_boundaries)
{
    const std::vector<float> l = logits_of({0.5, 0.3, 0.2});
    auto keep = [&](float m) {
        auto s = Sampler::create(params(1.0f, 0, 1.0f, m));
        return s ? support(*s, l) : std::set<int>{};
    };
    CHECK(keep(0.0f) == (std::set<int>{0, 1, 2}));
    CHECK(keep(0.4f) == (std::set<int>{0, 1, 2})); // 0.2 >= 0.4 * 0.5: kept (inclusive)
    CHECK(keep(0.41f) == (std::set<int>{0, 1}));
    CHECK(keep(0.6f) == (std::set<int>{0, 1})); // 0.3 >= 0.6 * 0.5
    CHECK(keep(0.61f) == (std::set<int>{0}));
    CHECK(keep(0.99f) == (std::set<int>{0}));
}

FOLIO_TEST(sampler_is_deterministic_per_seed)
{
    std::vector<float> l(5000);
    std::mt19937 gen(1);
    std::normal_distribution<float> nd(0.0f, 2.0f);
    for (float &x : l)
        x = nd(gen);
    auto run = [&](std::uint64_t seed) {
        std::vector<int> out;
        auto s = Sampler::create(params(0.9f, 40, 0.95f, 0.01f, seed));
        for (int i = 0; s && i < 200; ++i)
            out.push_back(*s->sample(l));
        return out;
    };
    CHECK(run(42) == run(42));
    CHECK(run(42) != run(43));
    // The RNG state continues a sequence exactly (save / fork of a session).
    auto a = Sampler::create(params(1.0f, 0, 1.0f, 0.0f, 5));
    REQUIRE(a.is_ok());
    for (int i = 0; i < 10; ++i)
        (void) a->sample(l);
    auto b = Sampler::create(params(1.0f, 0, 1.0f, 0.0f, 777));
    REQUIRE(b.is_ok());
    b->set_rng_state(a->rng_state());
    bool same = true;
    for (int i = 0; i < 50; ++i)
        same = same && *a->sample(l) == *b->sample(l);
    CHECK(same);
}

FOLIO_TEST(sampler_rejects_bad_logits_and_parameters)
{
    auto s = Sampler::create(params(1.0f));
    REQUIRE(s.is_ok());
    CHECK(mentions(s->sample(std::vector<float>{0.0f, NAN, 1.0f}).status(),
                   "logits contain NaN (token 1)"));
    CHECK(mentions(s->sample(std::vector<float>{INFINITY, 1.0f}).status(), "+inf (token 0)"));
    CHECK(mentions(s->sample(std::vector<float>{-INFINITY, -INFINITY}).status(),
                   "every logit is -inf"));
    CHECK(mentions(s->sample(std::vector<float>{}).status(), "empty logits"));
    auto g = Sampler::create(SamplingParams::make_greedy());
    REQUIRE(g.is_ok());
    CHECK(mentions(g->sample(std::vector<float>{NAN}).status(), "NaN")); // greedy checks too

    CHECK(mentions(Sampler::create(params(-1.0f)).status(), "temperature"));
    CHECK(mentions(Sampler::create(params(NAN)).status(), "temperature"));
    CHECK(mentions(Sampler::create(params(1.0f, -3)).status(), "top_k"));
    CHECK(mentions(Sampler::create(params(1.0f, 0, 0.0f)).status(), "top_p"));
    CHECK(mentions(Sampler::create(params(1.0f, 0, 1.5f)).status(), "top_p"));
    CHECK(mentions(Sampler::create(params(1.0f, 0, 1.0f, 1.0f)).status(), "min_p"));
    CHECK(mentions(Sampler::create(params(1.0f, 0, 1.0f, -0.1f)).status(), "min_p"));
}

FOLIO_TEST(sampler_full_vocabulary_is_fast_enough)
{
    // 129,280 logits (the V4 vocabulary) with top-p: the per-token cost must stay far below a
    // decode step. 50 draws; a generous bound so a loaded machine does not fail it.
    std::vector<float> l(129280);
    std::mt19937 gen(3);
    std::normal_distribution<float> nd(0.0f, 2.5f);
    for (float &x : l)
        x = nd(gen);
    auto s = Sampler::create(params(1.0f, 0, 0.9f, 0.0f, 1));
    REQUIRE(s.is_ok());
    std::set<int> seen;
    for (int i = 0; i < 50; ++i)
        seen.insert(*s->sample(l));
    CHECK(seen.size() > 40); // a flat-ish distribution: almost every draw differs
}
