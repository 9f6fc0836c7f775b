// Deterministic random weights in the release's formats (see model_init.h).
#include "model_init.h"

#include "quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

namespace folio::mkmodel {
namespace {

std::uint64_t fnv64(std::string_view s)
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s)
        h = (h ^ c) * 0x100000001b3ull;
    return h;
}

std::uint64_t splitmix64(std::uint64_t &x)
{
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// xoshiro256**: fast, good enough for weights, and fully specified (no libstdc++ distribution
// whose output could change between versions).
class Rng
{
public:
    explicit Rng(std::uint64_t seed)
    {
        for (auto &s : m_s)
            s = splitmix64(seed);
    }
    std::uint64_t next()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    // Uniform in [-1, 1).
    float symmetric() { return float(next() >> 40) * (2.0f / 16777216.0f) - 1.0f; }
    float unit() { return float(next() >> 40) * (1.0f / 16777216.0f); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4];
};

bool ends_with(const std::string &s, std::string_view suffix)
{
    return s.size() >= suffix.size()
           && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains(const std::string &s, std::string_view part)
{
    return s.find(part) != std::string::npos;
}

constexpr float kSqrt3 = 1.7320508f;

// The RNG of one row of a tensor: rows are independent streams, so a tensor can be filled by
// several threads and still be byte-identical for a seed whatever the thread count.
std::uint64_t row_seed(std::uint64_t seed, std::uint64_t name_hash, std::int64_t row)
{
    std::uint64_t x = seed ^ name_hash ^ (std::uint64_t(row) + 1) * 0x9e3779b97f4a7c15ull;
    return splitmix64(x);
}

// Runs fn(r0, r1) over [0, rows) in contiguous chunks on up to hardware_concurrency threads;
// small tensors (< ~1M elements) stay on the calling thread.
void parallel_rows(std::int64_t rows, std::int64_t row_elems,
                   const std::function<void(std::int64_t, std::int64_t)> &fn)
{
    const unsigned hw = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
    if (hw == 1 || rows < 2 || rows * row_elems < (1 << 20)) {
        fn(0, rows);
        return;
    }
    const std::int64_t n = std::min<std::int64_t>(hw, rows);
    std::vector<std::thread> threads;
    for (std::int64_t t = 0; t < n; ++t)
        threads.emplace_back(fn, rows * t / n, rows * (t + 1) / n);
    for (std::thread &th : threads)
        th.join();
}

} // namespace

ModelInit::ModelInit(const ModelConfig &cfg, std::uint64_t seed)
    : m_cfg(cfg)
    , m_seed(seed)
{
    for (TensorSpec &t : expected_tensors(cfg))
        m_specs.emplace(t.name, std::move(t));
}

float ModelInit::block_gain(std::uint64_t name_hash, std::uint64_t block) const
{
    std::uint64_t x = name_hash ^ (block * 0xd1b54a32d192ed03ull) ^ m_seed;
    return 0.75f + 0.5f * float(splitmix64(x) >> 40) / 16777216.0f;
}

float ModelInit::sigma_of(const std::string &name, std::int64_t fan_in) const
{
    // The head sets the logit scale: normalised input (rms 1) times std 2.5/sqrt(dim) gives logits
    // of std ~2.5.
    if (name == "head.weight")
        return 2.5f / std::sqrt(float(m_cfg.dim));
    if (name == "embed.weight")
        return 1.0f;
    // The MTP input projections add two terms; keep their sum at unit variance.
    if (contains(name, "e_proj") || contains(name, "h_proj"))
        return 0.7f / std::sqrt(float(fan_in));
    return 1.0f / std::sqrt(float(fan_in));
}

bool ModelInit::quantized(const std::string &prefix, Quantized &q) const
{
    auto it = m_specs.find(prefix + ".weight");
    if (it == m_specs.end())
        return false;
    const TensorSpec &w = it->second;
    if (w.dtype == DType::I8) {
        q = {true, w.shape[0], w.shape[1] * 2, 0};
    } else if (w.dtype == DType::F8_E4M3) {
        q = {false, w.shape[0], w.shape[1], 0};
    } else {
        return false;
    }
    q.sigma = sigma_of(prefix + ".weight", q.in);
    return true;
}

// FP8 E4M3 weight [out, in] with one E8M0 scale per 128x128 tile. The tile's values are uniform in
// [-a, a], a = sqrt(3) * sigma * gain(tile); the scale is the reference's power-of-two rule applied
// to a (an upper bound of the tile's amax), so every value / scale lies within +-448.
void ModelInit::fill_fp8(const std::string &name, const Quantized &q, bool scales,
                         std::uint8_t *out) const
{
    const std::uint64_t h = fnv64(name);
    const std::int64_t tiles_c = (q.in + 127) / 128, tiles_r = (q.out + 127) / 128;
    std::vector<float> scale(size_t(tiles_r * tiles_c)), amax(scale.size());
    for (std::int64_t t = 0; t < tiles_r * tiles_c; ++t) {
        amax[size_t(t)] = kSqrt3 * q.sigma * block_gain(h, std::uint64_t(t));
        scale[size_t(t)] = fp8_block_scale(amax[size_t(t)]);
    }
    if (scales) {
        for (size_t t = 0; t < scale.size(); ++t)
            out[t] = e8m0_encode_pow2(scale[t]);
        return;
    }
    parallel_rows(q.out, q.in, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            Rng rng(row_seed(m_seed, h, r));
            const std::int64_t tr = r / 128;
            for (std::int64_t c = 0; c < q.in; ++c) {
                const size_t t = size_t(tr * tiles_c + c / 128);
                out[r * q.in + c] = e4m3_encode(rng.symmetric() * amax[t] / scale[t]);
            }
        }
    });
}

// FP4 E2M1 expert weight: I8 [out, in/2] with element 2k in the low nibble of byte k, and one E8M0
// scale per 32 consecutive inputs of a row.
void ModelInit::fill_fp4(const std::string &name, const Quantized &q, bool scales,
                         std::uint8_t *out) const
{
    const std::uint64_t h = fnv64(name);
    const std::int64_t blocks = q.in / 32;
    if (scales) {
        for (std::int64_t b = 0; b < q.out * blocks; ++b)
            out[b] = e8m0_encode_pow2(
                fp4_block_scale(kSqrt3 * q.sigma * block_gain(h, std::uint64_t(b))));
        return;
    }
    parallel_rows(q.out, q.in, [&](std::int64_t r0, std::int64_t r1) {
        for (std::int64_t r = r0; r < r1; ++r) {
            Rng rng(row_seed(m_seed, h, r));
            for (std::int64_t b = 0; b < blocks; ++b) {
                const float a = kSqrt3 * q.sigma * block_gain(h, std::uint64_t(r * blocks + b));
                const float inv = 1.0f / fp4_block_scale(a);
                std::uint8_t *dst = out + r * (q.in / 2) + b * 16;
                for (int k = 0; k < 16; ++k) {
                    const std::uint8_t lo = e2m1_encode(rng.symmetric() * a * inv);
                    const std::uint8_t hi = e2m1_encode(rng.symmetric() * a * inv);
                    dst[k] = std::uint8_t(lo | (hi << 4));
                }
            }
        }
    });
}

void ModelInit::fill_float(const ShardEntry &e, std::uint8_t *out) const
{
    const std::string &n = e.name;
    const std::int64_t numel = e.shape.empty() ? 1 : [&] {
        std::int64_t x = 1;
        for (auto d : e.shape)
            x *= d;
        return x;
    }();
    const std::int64_t fan_in = e.shape.size() >= 2 ? e.shape.back() : 1;
    Rng rng(m_seed ^ fnv64(n));
    std::vector<float> v(static_cast<size_t>(numel));
    const int hc = m_cfg.hc_mult;

    if (ends_with(n, "norm.weight")) {
        for (float &x : v) // RMSNorm gains near 1
            x = 1.0f + 0.05f * rng.symmetric();
    } else if (contains(n, "hc_") && ends_with(n, "_fn")) {
        // Mixing rows: with input rms 1 the 24 mixes get std ~1 before the small scale below.
        const float a = kSqrt3 / std::sqrt(float(fan_in));
        for (float &x : v)
            x = a * rng.symmetric();
    } else if (contains(n, "hc_") && ends_with(n, "_scale")) {
        for (float &x : v)
            x = 0.1f + 0.05f * rng.unit();
    } else if (contains(n, "hc_head_base")) {
        for (float &x : v)
            x = 0.1f * rng.symmetric();
    } else if (contains(n, "hc_") && ends_with(n, "_base")) {
        // [pre (hc) | post (hc) | comb (hc x hc)]: pre ~ sigmoid(0) = 0.5, post ~ 2 sigmoid(0) = 1,
        // comb rows softmax-dominated by the diagonal (the identity path of the residual).
        for (int i = 0; i < int(v.size()); ++i) {
            const int j = i - 2 * hc;
            const bool diag = j >= 0 && j / hc == j % hc;
            v[size_t(i)] = (diag ? 2.0f : 0.0f) + 0.1f * rng.symmetric();
        }
    } else if (ends_with(n, "attn_sink")) {
        for (float &x : v)
            x = 0.5f * rng.symmetric();
    } else if (ends_with(n, ".ape")) {
        for (float &x : v)
            x = 0.2f * rng.symmetric();
    } else if (ends_with(n, "gate.bias")) {
        for (float &x : v)
            x = 0.02f * rng.symmetric();
    } else {
        // Linear weights [rows, fan_in] (embed and head are the big ones): row-parallel.
        const float a = kSqrt3 * sigma_of(n, fan_in);
        const std::uint64_t h = fnv64(n);
        parallel_rows(numel / fan_in, fan_in, [&](std::int64_t r0, std::int64_t r1) {
            for (std::int64_t r = r0; r < r1; ++r) {
                Rng row_rng(row_seed(m_seed, h, r));
                for (std::int64_t c = 0; c < fan_in; ++c)
                    v[size_t(r * fan_in + c)] = a * row_rng.symmetric();
            }
        });
    }

    if (e.dtype == DType::F32) {
        std::memcpy(out, v.data(), v.size() * 4);
    } else { // BF16, little-endian
        for (size_t i = 0; i < v.size(); ++i) {
            const std::uint16_t b = f32_to_bf16(v[i]);
            out[2 * i] = std::uint8_t(b & 0xff);
            out[2 * i + 1] = std::uint8_t(b >> 8);
        }
    }
}

// Hash routing table [vocab, n_activated]: distinct experts per token, uniformly drawn.
void ModelInit::fill_tid2eid(const ShardEntry &e, std::uint8_t *out) const
{
    Rng rng(m_seed ^ fnv64(e.name));
    const std::int64_t rows = e.shape[0], k = e.shape[1];
    std::vector<std::int64_t> perm(static_cast<size_t>(m_cfg.n_routed_experts));
    for (std::int64_t r = 0; r < rows; ++r) {
        for (size_t i = 0; i < perm.size(); ++i)
            perm[i] = std::int64_t(i);
        for (std::int64_t i = 0; i < k; ++i) { // partial Fisher-Yates
            const std::int64_t j = i
                                   + std::int64_t(rng.next()
                                                  % std::uint64_t(perm.size() - size_t(i)));
            std::swap(perm[size_t(i)], perm[size_t(j)]);
            std::memcpy(out + (r * k + i) * 8, &perm[size_t(i)], 8);
        }
    }
}

Status ModelInit::fill(const ShardEntry &e, std::uint8_t *out) const
{
    if (m_specs.find(e.name) == m_specs.end())
        return Status::error("mkmodel: tensor " + e.name + " is not in the model's directory");
    const bool is_scale = ends_with(e.name, ".scale") && e.dtype == DType::F8_E8M0;
    const bool is_weight = ends_with(e.name, ".weight");
    if (is_scale || (is_weight && (e.dtype == DType::F8_E4M3 || e.dtype == DType::I8))) {
        const std::string prefix = e.name.substr(0, e.name.rfind('.'));
        Quantized q;
        if (!quantized(prefix, q))
            return Status::error("mkmodel: no quantised weight behind " + e.name);
        if (q.fp4)
            fill_fp4(prefix + ".weight", q, is_scale, out);
        else
            fill_fp8(prefix + ".weight", q, is_scale, out);
        return Status::ok();
    }
    if (e.dtype == DType::I64) {
        fill_tid2eid(e, out);
        return Status::ok();
    }
    if (e.dtype == DType::F32 || e.dtype == DType::BF16) {
        fill_float(e, out);
        return Status::ok();
    }
    return Status::error(std::string("mkmodel: no initialiser for ") + dtype_name(e.dtype) + " "
                         + e.name);
}

} // namespace folio::mkmodel
