// CPU reference ops (see ops.h).
#include "cpu/ops.h"

#include "cpu/math.h"
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
    for (int i = 0; i < m; ++i) {
        const float *xi = x + std::size_t(i) * d;
        float *yi = y + std::size_t(i) * d;
        const float r = rsqrt_f32(mean_square_f32(xi, d) + eps);
        for (int j = 0; j < d; ++j) {
            const float n = xi[j] * r; // FP32, rounded
            yi[j] = round_bf16(weight ? weight[j] * n : n);
        }
    }
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

void apply_rope(float *x, const RopeFreqs &f, std::int64_t pos, bool inverse)
{
    const int half = int(f.freqs.size());
    for (int i = 0; i < half; ++i) {
        // torch.outer(t, freqs) in FP32, then polar(1, angle): cos/sin of the FP32 angle.
        const float angle = float(pos) * f.freqs[i];
        const float c = float(std::cos(double(angle)));
        float s = float(std::sin(double(angle)));
        if (inverse)
            s = -s;
        const float a = x[2 * i], b = x[2 * i + 1];
        // Complex product in FP32 as torch's vectorised complex multiply: each product rounded.
        const float ac = a * c, bs = b * s, as = a * s, bc = b * c;
        x[2 * i] = round_bf16(ac - bs);
        x[2 * i + 1] = round_bf16(bc + as);
    }
}

void hadamard_bf16(float *x, int n)
{
    // Exact sums (BF16 inputs, +-1 coefficients) in double, rounded to FP32, then the FP32 scale.
    std::vector<double> v(x, x + n);
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
    constexpr int kBlock = 64; // the kernel's key block
    const float kNegInf = -std::numeric_limits<float>::infinity();
    std::vector<float> acc(d);
    float s[kBlock], p[kBlock];
    for (int h = 0; h < n_heads; ++h) {
        const float *qh = q + std::size_t(h) * d;
        std::fill(acc.begin(), acc.end(), 0.0f);
        float m = kNegInf, sum_exp = 0.0f;
        for (int t0 = 0; t0 < n_keys; t0 += kBlock) {
            const int nb = std::min(kBlock, n_keys - t0);
            float block_max = kNegInf;
            for (int j = 0; j < nb; ++j) {
                const float *k = keys[t0 + j];
                if (!k) {
                    s[j] = kNegInf;
                    continue;
                }
                double dot = 0;
                for (int c = 0; c < d; ++c)
                    dot += double(qh[c]) * double(k[c]);
                s[j] = float(dot) * softmax_scale;
                block_max = std::max(block_max, s[j]);
            }
            const float m_new = std::max(m, block_max);
            if (m_new == kNegInf)
                continue; // nothing visible yet: the block contributes nothing
            const float rescale = exp_f32(m - m_new); // exp(-inf) = 0 on the first block
            double block_sum = 0;
            for (int j = 0; j < nb; ++j) {
                p[j] = s[j] == kNegInf ? 0.0f : exp_f32(s[j] - m_new);
                block_sum += p[j];
            }
            sum_exp = sum_exp * rescale + float(block_sum);
            // P.V with the probabilities rounded to BF16 (the kernel's acc_s_cast).
            for (int j = 0; j < nb; ++j)
                p[j] = round_bf16(p[j]);
            for (int c = 0; c < d; ++c) {
                double pv = 0;
                for (int j = 0; j < nb; ++j)
                    if (p[j] != 0.0f)
                        pv += double(p[j]) * double(keys[t0 + j][c]);
                acc[c] = acc[c] * rescale + float(pv);
            }
            m = m_new;
        }
        sum_exp += exp_f32(attn_sink[h] - m);
        float *oh = o + std::size_t(h) * d;
        for (int c = 0; c < d; ++c)
            oh[c] = round_bf16(acc[c] / sum_exp);
    }
}

void topk_desc(const float *scores, int n, int k, std::vector<int> &out)
{
    k = std::min(k, n);
    std::vector<int> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    auto before = [&](int a, int b) {
        if (scores[a] != scores[b])
            return scores[a] > scores[b];
        return a < b;
    };
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), before);
    out.assign(idx.begin(), idx.begin() + k);
}

} // namespace folio
