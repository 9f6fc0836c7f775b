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

    // The filters only decide WHICH tokens stay; the draw then walks the kept tokens in id order.
    // So no filter needs a full sort of the vocabulary (129,280 entries): top-k is a selection,
    // top-p a bucketed cumulative sum plus a sort of one bucket. "Before" is the total order
    // (logit descending, ties to the lower id) that defines the top-k / top-p sets.
    auto before = [](const std::pair<float, int> &a, const std::pair<float, int> &b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    m_candidates.clear(); // (logit, id) of the kept tokens, in id order
    for (std::size_t i = 0; i < n; ++i)
        if (logits[i] != -INFINITY)
            m_candidates.emplace_back(logits[i], int(i));

    if (m_params.top_k > 0 && size_t(m_params.top_k) < m_candidates.size()) {
        std::vector<std::pair<float, int>> sel = m_candidates;
        std::nth_element(sel.begin(), sel.begin() + (m_params.top_k - 1), sel.end(), before);
        const std::pair<float, int> kth = sel[size_t(m_params.top_k - 1)];
        std::erase_if(m_candidates, [&](const auto &c) { return before(kth, c); });
    }

    // Softmax of logit / temperature over the kept tokens, in double.
    const double inv_t = 1.0 / double(m_params.temperature);
    m_probs.resize(m_candidates.size());
    double sum = 0;
    for (size_t i = 0; i < m_candidates.size(); ++i) {
        m_probs[i] = std::exp((double(m_candidates[i].first) - double(max_logit)) * inv_t);
        sum += m_probs[i];
    }
    for (double &p : m_probs)
        p /= sum;
    const double p_max = 1.0 / sum; // the max logit's exp(0) / sum

    // Top-p: the smallest set, in the total order, whose probability reaches top_p (always >= 1
    // token). Tokens are bucketed by logit distance from the maximum (monotone, so buckets follow
    // the total order); the buckets' masses find the bucket where the sum crosses top_p, and only
    // that bucket is sorted.
    if (m_params.top_p < 1.0f && m_candidates.size() > 1) {
        constexpr int kBuckets = 4096;
        float max_key = 0;
        for (const auto &c : m_candidates)
            max_key = std::max(max_key, max_logit - c.first);
        auto bucket_of = [&](float logit) {
            if (max_key == 0)
                return 0;
            return std::min(kBuckets - 1, int((max_logit - logit) / max_key * kBuckets));
        };
        std::vector<double> mass(kBuckets, 0.0);
        for (size_t i = 0; i < m_candidates.size(); ++i)
            mass[size_t(bucket_of(m_candidates[i].first))] += m_probs[i];
        const double target = double(m_params.top_p) * (1.0 - kBoundarySlack);
        double cum = 0;
        int crossing = kBuckets - 1;
        for (int b = 0; b < kBuckets; ++b) {
            if (cum + mass[size_t(b)] >= target) {
                crossing = b;
                break;
            }
            cum += mass[size_t(b)];
        }
        // Inside the crossing bucket, take tokens in the total order until the sum reaches it.
        std::vector<std::pair<std::pair<float, int>, double>> edge;
        for (size_t i = 0; i < m_candidates.size(); ++i)
            if (bucket_of(m_candidates[i].first) == crossing)
                edge.push_back({m_candidates[i], m_probs[i]});
        std::sort(edge.begin(), edge.end(),
                  [&](const auto &a, const auto &b) { return before(a.first, b.first); });
        std::pair<float, int> last = edge.front().first;
        for (const auto &e : edge) {
            last = e.first;
            cum += e.second;
            if (cum >= target)
                break;
        }
        for (size_t i = 0; i < m_candidates.size(); ++i)
            if (before(last, m_candidates[i]))
                m_probs[i] = 0; // after the cut
    }
    // Min-p: drop tokens below min_p * p_max (the most likely token always stays).
    const double floor_p = double(m_params.min_p) * p_max * (1.0 - kBoundarySlack);
    double kept_sum = 0;
    for (double &p : m_probs) {
        if (p < floor_p)
            p = 0;
        kept_sum += p;
    }

    // Draw u in [0, kept_sum) and walk the kept tokens in id order.
    const double u = next_unit() * kept_sum;
    double cum = 0;
    int last = -1;
    for (size_t i = 0; i < m_candidates.size(); ++i) {
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
