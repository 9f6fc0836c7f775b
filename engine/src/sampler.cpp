// Sampler (folio/sampling.h): greedy, temperature, top-k, top-p, min-p with a seeded xoshiro256**
// RNG. Probabilities are computed in double from max-subtracted logits, so results do not depend
// on the vocabulary's order of summation beyond double rounding, and are the same everywhere.
#include "folio/sampling.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace folio {
namespace {

std::uint64_t splitmix64(std::uint64_t &x)
{
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

// Relative slack on the top-p / min-p boundaries: a token whose cumulative probability (or ratio)
// equals the threshold up to rounding (the parameters are floats: 0.8f is 0.8 + 1.2e-8) counts as reaching it, so "top_p = 0.8 over
// {0.5, 0.3, 0.2}" keeps exactly two tokens whatever the softmax's last bit.
constexpr double kBoundarySlack = 1e-6;

} // namespace

Status validate_sampling(const SamplingParams &p)
{
    if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
        return Status::error("temperature: " + std::to_string(p.temperature)
                             + " must be a finite number >= 0");
    if (p.top_k < 0)
        return Status::error("top_k: " + std::to_string(p.top_k) + " must be >= 0 (0 = off)");
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
        return Status::error("top_p: " + std::to_string(p.top_p) + " must be in (0, 1]");
    if (!(p.min_p >= 0.0f && p.min_p < 1.0f))
        return Status::error("min_p: " + std::to_string(p.min_p) + " must be in [0, 1)");
    return Status::ok();
}

Sampler::Sampler(const SamplingParams &p)
    : m_params(p)
{
    std::uint64_t s = p.seed;
    for (auto &x : m_state)
        x = splitmix64(s);
}

Result<Sampler> Sampler::create(const SamplingParams &params)
{
    if (Status s = validate_sampling(params); !s)
        return s;
    return Sampler(params);
}

double Sampler::next_unit()
{
    // xoshiro256**
    const std::uint64_t result = rotl(m_state[1] * 5, 7) * 9;
    const std::uint64_t t = m_state[1] << 17;
    m_state[2] ^= m_state[0];
    m_state[3] ^= m_state[1];
    m_state[1] ^= m_state[2];
    m_state[0] ^= m_state[3];
    m_state[2] ^= t;
    m_state[3] = rotl(m_state[3], 45);
    return double(result >> 11) * (1.0 / 9007199254740992.0);
}

int argmax(const float *logits, std::size_t n)
{
    int best = -1;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(logits[i]))
            continue;
        if (best < 0 || logits[i] > logits[best])
            best = int(i);
    }
    return best;
}

Result<int> Sampler::sample(const float *logits, std::size_t n)
{
    if (n == 0)
        return Status::error("sampler: empty logits");
    float max_logit = -INFINITY;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(logits[i]) || logits[i] == INFINITY)
            return Status::error("sampler: logits contain "
                                 + std::string(std::isnan(logits[i]) ? "NaN" : "+inf") + " (token "
                                 + std::to_string(i)
                                 + "); the forward pass produced non-finite values");
        max_logit = std::max(max_logit, logits[i]);
    }
    if (max_logit == -INFINITY)
        return Status::error("sampler: every logit is -inf; no token can be chosen");
    // Greedy, and any setting that leaves a single candidate, needs no random draw (and consumes
    // none, so greedy steps do not shift the RNG stream).
    if (m_params.greedy() || m_params.top_k == 1)
        return argmax(logits, n);

    // Candidates: (logit, id). Sorted by logit descending, ties to the lower id, when a filter
    // needs the order; top-k only needs the first k (partial sort).
    m_candidates.clear();
    for (std::size_t i = 0; i < n; ++i)
        if (logits[i] != -INFINITY)
            m_candidates.emplace_back(logits[i], int(i));
    auto before = [](const std::pair<float, int> &a, const std::pair<float, int> &b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    const bool need_order = m_params.top_k > 0 || m_params.top_p < 1.0f;
    if (m_params.top_k > 0 && size_t(m_params.top_k) < m_candidates.size()) {
        std::partial_sort(m_candidates.begin(), m_candidates.begin() + m_params.top_k,
                          m_candidates.end(), before);
        m_candidates.resize(size_t(m_params.top_k));
    } else if (need_order) {
        std::sort(m_candidates.begin(), m_candidates.end(), before);
    }

    // Softmax of logit / temperature over the candidates, in double.
    const double inv_t = 1.0 / double(m_params.temperature);
    m_probs.resize(m_candidates.size());
    double sum = 0, p_max = 0;
    for (size_t i = 0; i < m_candidates.size(); ++i) {
        m_probs[i] = std::exp((double(m_candidates[i].first) - double(max_logit)) * inv_t);
        sum += m_probs[i];
        p_max = std::max(p_max, m_probs[i]);
    }
    for (double &p : m_probs)
        p /= sum;
    p_max /= sum;

    // Top-p: the smallest prefix (in descending order) reaching top_p; always >= 1 token.
    size_t keep = m_candidates.size();
    if (m_params.top_p < 1.0f) {
        double cum = 0;
        const double target = double(m_params.top_p) * (1.0 - kBoundarySlack);
        for (size_t i = 0; i < m_candidates.size(); ++i) {
            cum += m_probs[i];
            if (cum >= target) {
                keep = i + 1;
                break;
            }
        }
    }
    // Min-p: drop tokens below min_p * p_max (the most likely token always stays).
    const double floor_p = double(m_params.min_p) * p_max * (1.0 - kBoundarySlack);
    double kept_sum = 0;
    for (size_t i = 0; i < keep; ++i) {
        if (m_probs[i] < floor_p)
            m_probs[i] = 0;
        kept_sum += m_probs[i];
    }

    // Draw u in [0, kept_sum) and walk the cumulative sum.
    const double u = next_unit() * kept_sum;
    double cum = 0;
    int last = -1;
    for (size_t i = 0; i < keep; ++i) {
        if (m_probs[i] == 0)
            continue;
        cum += m_probs[i];
        last = m_candidates[i].second;
        if (u < cum)
            return last;
    }
    return last; // u landed on the rounding remainder: the last kept token
}

} // namespace folio
