// CPU ops (see ops.h).
#include "cpu/ops.h"

#include "cpu/math.h"
#include "cpu/simd/ops_kernels.h"
#include "cpu/workspace.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace folio {

float mean_square_f32(const float *x, int d)
{
    // torch: x.square() (FP32 products) then mean (FP32 sum / n). The sum is taken in double and
    // rounded once, which is what a well-conditioned FP32 tree reduction gives almost always.
    double acc = 0;
    for (int i = 0; i < d; ++i) {
        const float sq = x[i] * x[i];
        acc += sq;
    }
    return float(acc) / float(d);
}

void rms_norm_bf16(const float *x, int m, int d, const float *weight, float eps, float *y)
{
    simd::rms_norm_bf16(x, m, d, weight, eps, y, simd::active_isa());
}

RopeFreqs make_rope_freqs(int rope_dim, double base, std::int64_t original_seq_len, double factor,
                          double beta_fast, double beta_slow)
{
    const int half = rope_dim / 2;
    RopeFreqs f;
    f.freqs.resize(half);
    for (int i = 0; i < half; ++i) {
        // 1.0 / (base ** (arange(0, dim, 2) / dim)) in FP32: the exponent is an FP32 division,
        // the power is rounded to FP32, then an FP32 reciprocal.
        const float e = float(2 * i) / float(rope_dim);
        const float p = float(std::pow(base, double(e)));
        f.freqs[i] = 1.0f / p;
    }
    if (original_seq_len > 0) {
        const double kPi = 3.14159265358979323846;
        auto correction_dim = [&](double rotations) {
            return rope_dim * std::log(double(original_seq_len) / (rotations * 2 * kPi))
                   / (2 * std::log(base));
        };
        double low = std::floor(correction_dim(beta_fast));
        double high = std::ceil(correction_dim(beta_slow));
        low = std::max(low, 0.0);
        high = std::min(high, double(rope_dim - 1));
        if (low == high)
            high += 0.001;
        for (int i = 0; i < half; ++i) {
            // linear_ramp_factor in FP32, then freqs / factor * (1 - smooth) + freqs * smooth.
            float ramp = (float(i) - float(low)) / float(high - low);
            ramp = std::clamp(ramp, 0.0f, 1.0f);
            const float smooth = 1.0f - ramp;
            const float fr = f.freqs[i];
            const float a = fr / float(factor) * (1.0f - smooth);
            const float b = fr * smooth;
            f.freqs[i] = a + b;
        }
    }
    return f;
}

void rope_cos_sin(const RopeFreqs &f, std::int64_t pos, float *cs)
{
    const int half = int(f.freqs.size());
    for (int i = 0; i < half; ++i) {
        // torch.outer(t, freqs) in FP32, then polar(1, angle): cos/sin of the FP32 angle.
        const float angle = float(pos) * f.freqs[std::size_t(i)];
        cs[2 * i] = float(std::cos(double(angle)));
        cs[2 * i + 1] = float(std::sin(double(angle)));
    }
}

void apply_rope_cs(float *x, const float *cs, int half, bool inverse)
{
    simd::rope_cs(x, cs, half, inverse, simd::active_isa());
}

void apply_rope(float *x, const RopeFreqs &f, std::int64_t pos, bool inverse)
{
    float cs[512];
    const int half = int(f.freqs.size());
    if (half <= 256) {
        rope_cos_sin(f, pos, cs);
        apply_rope_cs(x, cs, half, inverse);
        return;
    }
    std::vector<float> big(std::size_t(2 * half));
    rope_cos_sin(f, pos, big.data());
    apply_rope_cs(x, big.data(), half, inverse);
}

void hadamard_bf16(float *x, int n)
{
    // Exact sums (BF16 inputs, +-1 coefficients) in double, rounded to FP32, then the FP32 scale.
    thread_local std::vector<double> v; // reused: no allocation per call once grown
    v.assign(x, x + n);
    for (int len = 1; len < n; len <<= 1)
        for (int i = 0; i < n; i += 2 * len)
            for (int j = i; j < i + len; ++j) {
                const double a = v[j], b = v[j + len];
                v[j] = a + b;
                v[j + len] = a - b;
            }
    const float scale = float(1.0 / std::sqrt(double(n)));
    for (int i = 0; i < n; ++i)
        x[i] = round_bf16(float(v[i]) * scale);
}

void sparse_attn_token(const float *q, int n_heads, int d, const float *const *keys, int n_keys,
                       const float *attn_sink, float softmax_scale, float *o)
{
    simd::sparse_attn_token(q, n_heads, d, keys, n_keys, attn_sink, softmax_scale, o,
                            simd::active_isa());
}

void topk_desc(const float *scores, int n, int k, std::vector<int> &out)
{
    out.resize(std::size_t(std::max(0, std::min(k, n))));
    topk_desc(scores, n, k, out.data());
}

void topk_desc(const float *scores, int n, int k, int *out)
{
    k = std::max(0, std::min(k, n));
    Scratch::Frame f; // the index buffer: no allocation once the arena holds it
    int *idx = f.alloc<int>(std::size_t(n));
    std::iota(idx, idx + n, 0);
    // A strict total order (ties to the lower index), so the k chosen and their order are exactly
    // those of a stable descending sort.
    auto before = [&](int a, int b) {
        if (scores[a] != scores[b])
            return scores[a] > scores[b];
        return a < b;
    };
    if (k < n)
        std::nth_element(idx, idx + k, idx + n, before);
    std::sort(idx, idx + k, before);
    std::copy(idx, idx + k, out);
}

} // namespace folio
