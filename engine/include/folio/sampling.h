// Sampling parameters of generation (greedy, temperature, top-k, top-p, min-p, seed) and the
// Sampler that turns one row of logits into a token. Deterministic: the same parameters, seed and
// logits always give the same tokens, on every machine (own RNG, double-precision softmax, ties
// broken towards the lower token id).
//
//   folio::SamplingParams p;            // temperature 1, no truncation, seed 0
//   p.temperature = 0.7f; p.top_p = 0.9f; p.seed = 42;
//   auto sampler = folio::Sampler::create(p);
//   if (!sampler) return sampler.status();
//   folio::Result<int> tok = sampler->sample(logits, vocab_size);
//
// Order of the filters (as in Hugging Face generate): temperature, top-k, top-p, min-p, then a draw
// from the renormalised distribution. temperature == 0 is greedy (argmax).
#pragma once

#include "folio/status.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace folio {

struct SamplingParams
{
    float temperature = 1.0f; // >= 0; 0 = greedy
    int top_k = 0;            // keep the k most likely tokens; 0 = off
    float top_p = 1.0f;       // (0, 1]: keep the smallest set with cumulative probability >= top_p
    float min_p = 0.0f;       // [0, 1): drop tokens below min_p * p(most likely token)
    std::uint64_t seed = 0;

    bool greedy() const { return temperature == 0.0f; }
    static SamplingParams make_greedy() { return SamplingParams{0.0f, 0, 1.0f, 0.0f, 0}; }
};

// Checks the ranges above; the message names the parameter.
Status validate_sampling(const SamplingParams &p);

class Sampler
{
public:
    static Result<Sampler> create(const SamplingParams &params);

    // Picks a token from `n` logits. Errors (never a silent pick): NaN or +inf in the logits,
    // n == 0, or every logit -inf.
    Result<int> sample(const float *logits, std::size_t n);
    Result<int> sample(const std::vector<float> &logits)
    {
        return sample(logits.data(), logits.size());
    }

    const SamplingParams &params() const { return m_params; }
    // The RNG state, for saving and forking a session mid-generation: restoring it continues the
    // exact same token sequence.
    std::array<std::uint64_t, 4> rng_state() const { return m_state; }
    void set_rng_state(const std::array<std::uint64_t, 4> &s) { m_state = s; }
    // The uniform draw in [0, 1) that sample() takes from the stream (one per sample() that is
    // neither greedy nor top_k == 1), for a backend that applies the filters on its own device
    // (the CUDA sampler): it consumes the same stream, so the same seed gives the same tokens.
    double draw() { return next_unit(); }

private:
    explicit Sampler(const SamplingParams &p);
    double next_unit(); // uniform in [0, 1), 53 bits

    SamplingParams m_params;
    std::array<std::uint64_t, 4> m_state{};
    // Scratch reused between calls (sampling runs once per generated token).
    std::vector<std::pair<float, int>> m_candidates;
    std::vector<double> m_probs;
};

// Argmax with ties broken towards the lower id; -1 when n == 0. NaN entries are skipped.
int argmax(const float *logits, std::size_t n);

} // namespace folio
