// GPU tests (labels gpu, main) of the GPU sampler (engine/src/cuda/sampling.cu) against the CPU
// Sampler (engine/src/sampler.cpp): token for token with the same seed over the vocabulary of
// V4-Flash for greedy, temperature, top-k, top-p, min-p and their combinations (the device takes
// its draws from a twin Sampler's stream through Sampler::draw), the same errors for NaN / +inf /
// all -inf logits, and the distribution of many draws over a small vocabulary against the
// softmax. Without a usable CUDA device every case skips (exit 77).
#include <cmath>
#include <cstdio>

#include "cuda/sampling.h"
#include "cuda_test_support.h"
#include "folio/sampling.h"
#include "folio_test.h"

using namespace folio;
using namespace cuda_test;

namespace {

struct GpuSampler
{
    explicit GpuSampler(int n)
        : work(std::size_t(n))
        , out(4)
    {}
    Dev<double> work;
    Dev<int> out;
    // The device's pick for logits already on the device; `u` as Sampler::draw gives it.
    std::vector<int> pick(const float *logits, int n, const SamplingParams &p, double u)
    {
        const cuda::DeviceSamplingParams dp{p.temperature, p.top_k, p.top_p, p.min_p};
        CHECK_OK(cuda::sample_token(logits, n, dp, u, work.p, out.p, nullptr));
        return out.get();
    }
};

// Whether the CPU sampler takes a draw for these parameters (sampler.cpp).
bool draws(const SamplingParams &p)
{
    return !(p.greedy() || p.top_k == 1);
}

} // namespace

FOLIO_TEST(cuda_sampler_matches_cpu_token_for_token)
{
    if (!gpu_ready())
        return;
    const int vocab = 129280, n_rows = 6;
    // Logit rows with the shapes generation sees: peaked, flat, ties, -inf (masked) tokens.
    std::vector<std::vector<float>> rows;
    for (int r = 0; r < n_rows; ++r) {
        std::vector<float> l = random_bf16(std::size_t(vocab), r % 2 ? 1.0f : 4.0f,
                                           100 + std::uint32_t(r));
        if (r == 2)
            for (int i = 0; i < vocab; i += 3)
                l[std::size_t(i)] = l[std::size_t(i + 1) % std::size_t(vocab)]; // many ties
        if (r == 3)
            for (int i = 0; i < vocab; i += 2)
                l[std::size_t(i)] = -INFINITY;
        if (r == 4)
            l[12345] = 40.0f; // nearly one-hot
        rows.push_back(std::move(l));
    }
    std::vector<Dev<float> *> dev;
    for (const auto &l : rows)
        dev.push_back(new Dev<float>(l));
    const SamplingParams cases[] = {
        SamplingParams::make_greedy(),
        SamplingParams{1.0f, 0, 1.0f, 0.0f, 1},
        SamplingParams{0.7f, 0, 0.9f, 0.0f, 2},
        SamplingParams{1.0f, 40, 1.0f, 0.0f, 3},
        SamplingParams{1.2f, 1, 1.0f, 0.0f, 4}, // top_k 1: greedy, no draw
        SamplingParams{0.8f, 50, 0.95f, 0.05f, 5},
        SamplingParams{1.5f, 0, 0.5f, 0.0f, 6},
        SamplingParams{1.0f, 0, 1.0f, 0.2f, 7},
        SamplingParams{0.3f, 1000, 0.99f, 0.0f, 8},
    };
    GpuSampler gs(vocab);
    int compared = 0, mismatches = 0;
    for (const SamplingParams &p : cases) {
        auto cpu = Sampler::create(p);
        auto twin = Sampler::create(p);
        REQUIRE(cpu.is_ok() && twin.is_ok());
        for (int step = 0; step < 60; ++step) {
            const int r = step % n_rows;
            auto want = cpu->sample(rows[std::size_t(r)]);
            REQUIRE(want.is_ok());
            const double u = draws(p) ? twin->draw() : 0.0;
            const std::vector<int> got = gs.pick(dev[std::size_t(r)]->p, vocab, p, u);
            CHECK_EQ(got[1], 0);
            ++compared;
            if (got[0] != *want) {
                ++mismatches;
                std::printf("  mismatch: T %.2f top_k %d top_p %.2f min_p %.2f step %d: gpu %d "
                            "cpu %d\n",
                            double(p.temperature), p.top_k, double(p.top_p), double(p.min_p), step,
                            got[0], *want);
            }
        }
        // Both streams advanced alike: the next draws agree.
        CHECK(cpu->rng_state() == twin->rng_state());
    }
    std::printf("  gpu sampler: %d of %d tokens equal to the cpu sampler\n", compared - mismatches,
                compared);
    CHECK_EQ(mismatches, 0);
    for (Dev<float> *d : dev)
        delete d;
}

FOLIO_TEST(cuda_sampler_errors_match_cpu)
{
    if (!gpu_ready())
        return;
    const int n = 1000;
    const SamplingParams p{0.8f, 0, 0.9f, 0.0f, 1};
    GpuSampler gs(n);
    std::vector<float> l = random_bf16(std::size_t(n), 1.0f, 120);
    l[500] = INFINITY;
    l[77] = NAN; // the first bad token in id order is reported
    Dev<float> d1(l);
    std::vector<int> got = gs.pick(d1.p, n, p, 0.5);
    CHECK_EQ(got[0], -1);
    CHECK_EQ(got[1], int(cuda::kSampleNan));
    CHECK_EQ(got[2], 77);
    l[77] = 0.0f;
    Dev<float> d2(l);
    got = gs.pick(d2.p, n, p, 0.5);
    CHECK_EQ(got[1], int(cuda::kSampleInf));
    CHECK_EQ(got[2], 500);
    std::vector<float> none(std::size_t(n), -INFINITY);
    Dev<float> d3(none);
    got = gs.pick(d3.p, n, SamplingParams::make_greedy(), 0.0);
    CHECK_EQ(got[1], int(cuda::kSampleAllNegInf));
    auto cpu = Sampler::create(p);
    CHECK(!cpu->sample(none).is_ok()); // (the CPU refuses the same rows)
}

FOLIO_TEST(cuda_sampler_distribution_follows_softmax)
{
    if (!gpu_ready())
        return;
    // Five tokens, temperature 0.5, top-p 0.9: the kept set and its renormalised probabilities
    // from the CPU's definition; 20,000 draws within 5 standard deviations of each.
    const std::vector<float> l = {1.0f, 2.0f, 0.5f, 2.0f, -1.0f};
    const SamplingParams p{0.5f, 0, 0.9f, 0.0f, 11};
    std::vector<double> prob(l.size());
    double sum = 0;
    for (std::size_t i = 0; i < l.size(); ++i)
        sum += prob[i] = std::exp((double(l[i]) - 2.0) / 0.5);
    for (double &x : prob)
        x /= sum;
    // The kept set by the CPU's definition: the total order (logit descending, ties to the lower
    // id) until the cumulative probability reaches top_p (here ids 1 and 3: 0.457 + 0.457).
    const std::vector<int> order = {1, 3, 0, 2, 4};
    std::vector<double> want(l.size(), 0.0);
    double cum = 0, kept = 0;
    for (int id : order) {
        want[std::size_t(id)] = prob[std::size_t(id)];
        kept += prob[std::size_t(id)];
        cum += prob[std::size_t(id)];
        if (cum >= 0.9 * (1 - 1e-6))
            break;
    }
    for (double &x : want)
        x /= kept;
    CHECK(want[2] == 0.0 && want[4] == 0.0 && want[0] == 0.0);
    Dev<float> dl(l);
    GpuSampler gs(int(l.size()));
    auto twin = Sampler::create(p);
    REQUIRE(twin.is_ok());
    const int draws_n = 20000;
    std::vector<int> count(l.size(), 0);
    for (int i = 0; i < draws_n; ++i) {
        const std::vector<int> got = gs.pick(dl.p, int(l.size()), p, twin->draw());
        REQUIRE(got[1] == 0 && got[0] >= 0 && got[0] < int(l.size()));
        ++count[std::size_t(got[0])];
    }
    for (std::size_t i = 0; i < l.size(); ++i) {
        const double f = double(count[i]) / draws_n;
        const double sd = std::sqrt(want[i] * (1 - want[i]) / draws_n);
        std::printf("  token %zu: %.4f (softmax %.4f)\n", i, f, want[i]);
        CHECK(std::fabs(f - want[i]) <= 5 * sd + 1e-12);
    }
}
