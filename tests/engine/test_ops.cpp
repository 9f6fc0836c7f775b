// Per-op tests of the CPU reference ops against naive scalar references written independently
// here (plain formulas from the spec, double precision): RMSNorm, RoPE with YaRN, FP8/FP4/BF16
// linears with the reference's activation quantisation, the Walsh-Hadamard rotation, mHC
// Sinkhorn, the compressor (overlap and non-overlap), top-k ties, sparse attention with its sink
// and 64-key blocks, and MoE routing.
#include "folio_test.h"

#include "cpu/linear.h"
#include "cpu/math.h"
#include "cpu/ops.h"
#include "cpu/simd/kernels.h"
#include "cpu/thread_pool.h"
#include "kv_state.h"
#include "model/compressor.h"
#include "model/hyper_connections.h"
#include "model/moe.h"
#include "quant.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace folio;

namespace {

std::vector<float> random_bf16(std::size_t n, std::uint32_t seed, float scale = 1.0f)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (float &x : v)
        x = round_bf16(d(rng));
    return v;
}

std::vector<std::uint16_t> to_bf16_bits(const std::vector<float> &v)
{
    std::vector<std::uint16_t> b(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        b[i] = f32_to_bf16(v[i]);
    return b;
}

} // namespace

FOLIO_TEST(ops_rms_norm_matches_formula)
{
    const int m = 3, d = 256;
    auto x = random_bf16(std::size_t(m) * d, 1, 2.0f);
    auto w = random_bf16(d, 2);
    std::vector<float> y(x.size());
    rms_norm_bf16(x.data(), m, d, w.data(), 1e-6f, y.data());
    for (int i = 0; i < m; ++i) {
        double ss = 0;
        for (int j = 0; j < d; ++j)
            ss += double(x[i * d + j]) * x[i * d + j];
        const double r = 1.0 / std::sqrt(ss / d + 1e-6);
        for (int j = 0; j < d; ++j) {
            const double ref = w[j] * x[i * d + j] * r;
            CHECK_EQ(y[i * d + j], round_bf16(y[i * d + j])); // BF16 output
            CHECK(std::fabs(y[i * d + j] - ref) <= std::fabs(ref) * 0.008 + 1e-30);
        }
    }
}

FOLIO_TEST(ops_rope_yarn_frequencies_and_rotation)
{
    // V4-Flash compressed layers: theta 160000, YaRN factor 16 over 65536, beta 32/1:
    // dims i <= 15 keep theta^(-2i/64), i >= 25 are divided by 16 (spec §2.4).
    const RopeFreqs f = make_rope_freqs(64, 160000.0, 65536, 16.0, 32.0, 1.0);
    const RopeFreqs plain = make_rope_freqs(64, 160000.0, 0, 16.0, 32.0, 1.0);
    CHECK_EQ(f.freqs.size(), std::size_t(32));
    for (int i = 0; i < 32; ++i) {
        const double base = std::pow(160000.0, -2.0 * i / 64);
        CHECK_NEAR(plain.freqs[i], base, base * 1e-6);
        if (i <= 15)
            CHECK_EQ(f.freqs[i], plain.freqs[i]);
        if (i >= 25)
            CHECK_NEAR(f.freqs[i], base / 16, base / 16 * 1e-6);
        if (i > 15 && i < 25) { // the ramp lies between the two
            CHECK(f.freqs[i] < plain.freqs[i]);
            CHECK(f.freqs[i] > plain.freqs[i] / 16);
        }
    }
    // Rotation of pair i by angle p * f_i; the inverse undoes it up to BF16 rounding.
    auto x = random_bf16(64, 3);
    std::vector<float> y = x;
    apply_rope(y.data(), plain, 1234, false);
    for (int i = 0; i < 32; ++i) {
        const double a = 1234.0 * double(float(1234) * plain.freqs[i]) / 1234.0;
        const double re = x[2 * i] * std::cos(a) - x[2 * i + 1] * std::sin(a);
        const double im = x[2 * i] * std::sin(a) + x[2 * i + 1] * std::cos(a);
        CHECK_NEAR(y[2 * i], re, 0.01 * (std::fabs(re) + 0.01));
        CHECK_NEAR(y[2 * i + 1], im, 0.01 * (std::fabs(im) + 0.01));
    }
    apply_rope(y.data(), plain, 1234, true);
    for (int i = 0; i < 64; ++i)
        CHECK_NEAR(y[i], x[i], 0.02 * (std::fabs(x[i]) + 0.05));
}

FOLIO_TEST(ops_fp8_linear_matches_naive_block_quantised_reference)
{
    const int m = 5, K = 256, N = 192; // N not a multiple of 128: partial weight tile
    auto x = random_bf16(std::size_t(m) * K, 4, 3.0f);
    // Weight: E4M3 codes with one E8M0 scale per 128x128 tile.
    std::mt19937 rng(5);
    std::vector<std::uint8_t> wq(std::size_t(N) * K), ws(2 * 2);
    for (auto &c : wq) {
        c = std::uint8_t(rng() & 0xff);
        if ((c & 0x7f) == 0x7f)
            c = 0x30; // no NaN codes
    }
    for (auto &s : ws)
        s = std::uint8_t(120 + rng() % 8);
    LinearWeight w{WeightKind::FP8, N, K, wq.data(), ws.data()};
    std::vector<float> y(std::size_t(m) * N);
    ThreadPool pool(2);
    linear_bf16_out(x.data(), m, w, y.data(), &pool);
    for (int i = 0; i < m; ++i) {
        // Naive: quantise each 128-block of the row with s = 2^ceil(log2(amax/448)).
        std::vector<double> q(K), sa(K / 128);
        for (int b = 0; b < K / 128; ++b) {
            double amax = 1e-4;
            for (int k = 0; k < 128; ++k)
                amax = std::max(amax, std::fabs(double(x[i * K + b * 128 + k])));
            sa[b] = std::exp2(std::ceil(std::log2(amax * double(1.0f / 448.0f))));
            for (int k = 0; k < 128; ++k)
                q[b * 128 + k] = e4m3_decode(e4m3_encode(float(x[i * K + b * 128 + k] / sa[b])));
        }
        for (int n = 0; n < N; ++n) {
            double acc = 0;
            for (int b = 0; b < K / 128; ++b) {
                double part = 0;
                for (int k = b * 128; k < (b + 1) * 128; ++k)
                    part += q[k] * e4m3_decode(wq[std::size_t(n) * K + k]);
                acc += part * sa[b] * e8m0_decode(ws[(n / 128) * 2 + b]);
            }
            CHECK_NEAR(y[i * N + n], acc, std::fabs(acc) * 0.008 + 1e-6);
        }
    }
    // Results do not depend on the thread count.
    std::vector<float> y1(y.size());
    linear_bf16_out(x.data(), m, w, y1.data(), nullptr);
    CHECK(y1 == y);
}

FOLIO_TEST(ops_fp4_linear_matches_naive_reference)
{
    const int m = 3, K = 256, N = 64;
    auto x = random_bf16(std::size_t(m) * K, 6, 2.0f);
    std::mt19937 rng(7);
    std::vector<std::uint8_t> wq(std::size_t(N) * K / 2), ws(std::size_t(N) * K / 32);
    for (auto &c : wq)
        c = std::uint8_t(rng() & 0xff);
    for (auto &s : ws)
        s = std::uint8_t(122 + rng() % 6);
    LinearWeight w{WeightKind::FP4, N, K, wq.data(), ws.data()};
    std::vector<float> y(std::size_t(m) * N), row(K);
    linear_bf16_out(x.data(), m, w, y.data(), nullptr);
    for (int n = 0; n < N; ++n) {
        decode_weight_row(w, n, row.data());
        // Element 2j is the low nibble of byte j.
        CHECK_EQ(row[0], e2m1_decode(wq[std::size_t(n) * K / 2] & 0xf) * e8m0_decode(ws[n * 8]));
        CHECK_EQ(row[1], e2m1_decode(wq[std::size_t(n) * K / 2] >> 4) * e8m0_decode(ws[n * 8]));
        for (int i = 0; i < m; ++i) {
            std::vector<float> q(K), s(K / 128);
            act_quant_row(x.data() + i * K, K, q.data(), s.data());
            double acc = 0;
            for (int k = 0; k < K; ++k)
                acc += double(q[k]) * s[k / 128] * row[k];
            CHECK_NEAR(y[i * N + n], acc, std::fabs(acc) * 0.008 + 1e-6);
        }
    }
}

FOLIO_TEST(ops_bf16_and_f32_linears)
{
    const int m = 2, K = 128, N = 16;
    auto x = random_bf16(std::size_t(m) * K, 8);
    auto wv = random_bf16(std::size_t(N) * K, 9);
    auto wb = to_bf16_bits(wv);
    LinearWeight w{WeightKind::BF16, N, K, reinterpret_cast<const std::uint8_t *>(wb.data()),
                   nullptr};
    std::vector<float> y(std::size_t(m) * N), yf(std::size_t(m) * N), yfast(std::size_t(m) * N);
    // The exact path (scalar ISA) rounds the double sum once; the fast path (FP32 FMA
    // accumulation, cpu/simd) stays within K * 2^-24 * sum|x w| of it.
    linear_f32(x.data(), m, w, yfast.data(), nullptr);
    simd::set_isa(simd::Isa::Scalar);
    linear_bf16_out(x.data(), m, w, y.data(), nullptr);
    linear_f32(x.data(), m, w, yf.data(), nullptr);
    simd::set_isa(simd::best_isa());
    for (int i = 0; i < m; ++i)
        for (int n = 0; n < N; ++n) {
            double acc = 0, mag = 0;
            for (int k = 0; k < K; ++k) {
                acc += double(x[i * K + k]) * wv[n * K + k];
                mag += std::fabs(double(x[i * K + k]) * wv[n * K + k]);
            }
            CHECK_EQ(yf[i * N + n], float(acc));
            CHECK_EQ(y[i * N + n], round_bf16(float(acc)));
            CHECK_NEAR(yfast[i * N + n], acc, K * std::ldexp(1.0, -24) * mag);
        }
}

FOLIO_TEST(ops_hadamard_is_orthonormal_sylvester)
{
    const int n = 128;
    auto x = random_bf16(n, 10);
    std::vector<float> y = x;
    hadamard_bf16(y.data(), n);
    for (int i = 0; i < n; ++i) {
        double acc = 0;
        for (int j = 0; j < n; ++j)
            acc += ((__builtin_popcount(unsigned(i & j)) & 1) ? -1.0 : 1.0) * x[j];
        acc /= std::sqrt(double(n));
        CHECK_NEAR(y[i], acc, std::fabs(acc) * 0.005 + 1e-6);
    }
    hadamard_bf16(y.data(), n); // H is its own inverse (orthonormal and symmetric)
    for (int i = 0; i < n; ++i)
        CHECK_NEAR(y[i], x[i], std::fabs(x[i]) * 0.02 + 0.01);
}

FOLIO_TEST(ops_sinkhorn_is_doubly_stochastic)
{
    const int hc = 4, mix = (2 + hc) * hc;
    auto mixes = random_bf16(mix, 11, 2.0f);
    const float scale[3] = {0.7f, 1.3f, 0.9f};
    auto base = random_bf16(mix, 12);
    float pre[4], post[4], comb[16];
    hc_split_sinkhorn(mixes.data(), scale, base.data(), hc, 20, 1e-6f, pre, post, comb);
    for (int j = 0; j < hc; ++j) {
        const double s = 1.0 / (1.0 + std::exp(-(double(mixes[j]) * scale[0] + base[j])));
        CHECK_NEAR(pre[j], s + 1e-6, 1e-6);
        const double p = 2.0 / (1.0 + std::exp(-(double(mixes[j + hc]) * scale[1] + base[j + hc])));
        CHECK_NEAR(post[j], p, 1e-6);
        double row = 0, col = 0;
        for (int k = 0; k < hc; ++k) {
            row += comb[j * hc + k];
            col += comb[k * hc + j];
            CHECK(comb[j * hc + k] > 0);
        }
        CHECK_NEAR(col, 1.0, 1e-5); // the last step normalises columns
        CHECK_NEAR(row, 1.0, 1e-3);
    }
}

FOLIO_TEST(ops_topk_ties_go_to_the_lower_index)
{
    const float s[8] = {1, 3, 3, 2, 3, 0, 2, 3};
    std::vector<int> out;
    topk_desc(s, 8, 3, out);
    CHECK(out == (std::vector<int>{1, 2, 4}));
    topk_desc(s, 8, 6, out);
    CHECK(out == (std::vector<int>{1, 2, 4, 7, 3, 6}));
    topk_desc(s, 8, 20, out); // k larger than n: all, sorted
    CHECK_EQ(out.size(), std::size_t(8));
    CHECK_EQ(out.back(), 5);
}

FOLIO_TEST(ops_sparse_attention_matches_softmax_with_sink)
{
    const int H = 3, d = 64, T = 150; // three key blocks of 64
    auto q = random_bf16(std::size_t(H) * d, 13, 0.3f);
    auto kv = random_bf16(std::size_t(T) * d, 14, 0.5f);
    const float sink[H] = {0.5f, -1.0f, 2.0f};
    std::vector<const float *> keys(T);
    for (int t = 0; t < T; ++t)
        keys[t] = (t % 7 == 3) ? nullptr : kv.data() + std::size_t(t) * d; // some -1 entries
    std::vector<float> o(std::size_t(H) * d);
    const float scale = 1.0f / 8.0f;
    sparse_attn_token(q.data(), H, d, keys.data(), T, sink, scale, o.data());
    for (int h = 0; h < H; ++h) {
        std::vector<double> s(T, -1e300);
        double mx = -1e300;
        for (int t = 0; t < T; ++t)
            if (keys[t]) {
                double dot = 0;
                for (int c = 0; c < d; ++c)
                    dot += double(q[h * d + c]) * keys[t][c];
                s[t] = dot * scale;
                mx = std::max(mx, s[t]);
            }
        double den = std::exp(sink[h] - mx);
        std::vector<double> num(d, 0.0);
        for (int t = 0; t < T; ++t)
            if (keys[t]) {
                const double p = std::exp(s[t] - mx);
                den += p;
                for (int c = 0; c < d; ++c)
                    num[c] += p * keys[t][c];
            }
        for (int c = 0; c < d; ++c) {
            const double ref = num[c] / den;
            // BF16 probabilities and output: a few BF16 ulps.
            CHECK_NEAR(o[h * d + c], ref, std::fabs(ref) * 0.02 + 2e-3);
        }
    }
    // A key list with no visible key yields the sink-only result 0.
    std::vector<const float *> none(5, nullptr);
    none[0] = kv.data();
    sparse_attn_token(q.data(), H, d, none.data(), 5, sink, scale, o.data());
    for (int c = 0; c < d; ++c) // one key: o = p/(p + sink term) * k
        CHECK(std::fabs(o[c]) <= std::fabs(kv[c]) + 1e-6);
}

FOLIO_TEST(ops_compressor_pools_like_the_formula)
{
    // Non-overlap ratio 8 and overlap ratio 4 on a tiny width, against the pooled formula of
    // spec §2.6 computed naively (no norm weight effect: weight 1, then compare before RoPE by
    // using rope slice values only through the norm).
    for (int ratio : {8, 4}) {
        const bool overlap = ratio == 4;
        const int dim = 128, c = 128, coff = overlap ? 2 : 1, rd = 64;
        auto wkv = to_bf16_bits(random_bf16(std::size_t(coff) * c * dim, 20, 0.05f));
        auto wgate = to_bf16_bits(random_bf16(std::size_t(coff) * c * dim, 21, 0.05f));
        CompressorWeights w;
        w.compress_ratio = ratio;
        w.head_dim = c;
        w.overlap = overlap;
        w.wkv = {WeightKind::BF16, coff * c, dim,
                 reinterpret_cast<const std::uint8_t *>(wkv.data()), nullptr};
        w.wgate = {WeightKind::BF16, coff * c, dim,
                   reinterpret_cast<const std::uint8_t *>(wgate.data()), nullptr};
        w.ape = random_bf16(std::size_t(ratio) * coff * c, 22, 0.1f);
        w.norm.assign(c, 1.0f);
        const RopeFreqs rope = make_rope_freqs(rd, 10000.0, 0, 1, 1, 1);
        const int n = 3 * ratio + 1;
        auto x = random_bf16(std::size_t(n) * dim, 23);
        CompressorState st;
        st.init(ratio, c);
        // Fed in two calls (chunking must not matter).
        CompressedEntries a = compressor_forward(w, rope, rd, 1e-6f, x.data(), 5, 0, st, nullptr);
        CompressedEntries b = compressor_forward(w, rope, rd, 1e-6f, x.data() + 5 * dim, n - 5, 5,
                                                 st, nullptr);
        std::vector<std::int64_t> ids = a.ids;
        ids.insert(ids.end(), b.ids.begin(), b.ids.end());
        std::vector<float> vals = a.values;
        vals.insert(vals.end(), b.values.begin(), b.values.end());
        CHECK(ids == (std::vector<std::int64_t>{0, 1, 2}));
        // Naive pooled value of entry e, then RMS-normalised: compare the direction of the
        // non-rope part (the FP8 simulation changes values by < 7%).
        std::vector<float> kvv(std::size_t(n) * coff * c), sc(std::size_t(n) * coff * c);
        linear_f32(x.data(), n, w.wkv, kvv.data(), nullptr);
        linear_f32(x.data(), n, w.wgate, sc.data(), nullptr);
        for (int e = 0; e < 3; ++e) {
            std::vector<double> pooled(c);
            for (int ch = 0; ch < c; ++ch) {
                std::vector<std::pair<double, double>> slots; // (score, value)
                for (int j = 0; j < ratio; ++j) {
                    const int p = e * ratio + j;
                    const std::size_t col = std::size_t(overlap ? c + ch : ch);
                    slots.push_back({sc[p * coff * c + col] + w.ape[j * coff * c + col],
                                     kvv[p * coff * c + col]});
                    if (overlap && e > 0) {
                        const int pp = (e - 1) * ratio + j;
                        slots.push_back({sc[pp * coff * c + ch] + w.ape[j * coff * c + ch],
                                         kvv[pp * coff * c + ch]});
                    }
                }
                double mx = -1e300, den = 0, num = 0;
                for (auto &s : slots)
                    mx = std::max(mx, s.first);
                for (auto &s : slots) {
                    den += std::exp(s.first - mx);
                    num += std::exp(s.first - mx) * s.second;
                }
                pooled[ch] = num / den;
            }
            double ss = 0;
            for (double v : pooled)
                ss += v * v;
            const double r = 1.0 / std::sqrt(ss / c + 1e-6);
            for (int ch = 0; ch < c - rd; ++ch)
                CHECK_NEAR(vals[std::size_t(e) * c + ch], pooled[ch] * r,
                           std::fabs(pooled[ch] * r) * 0.08 + 0.02);
        }
    }
}

FOLIO_TEST(ops_moe_routing)
{
    ModelConfig cfg;
    cfg.n_routed_experts = 6;
    cfg.n_activated_experts = 2;
    cfg.route_scale = 1.5;
    MoeWeights w;
    w.bias = {0.0f, 0.0f, 5.0f, 0.0f, 0.0f, 0.0f}; // steers the choice to expert 2
    const float logits[6] = {3.0f, -1.0f, -2.0f, 4.0f, 25.0f, 0.5f};
    int ids[2];
    float gw[2];
    moe_route(w, cfg, false, logits, 0, ids, gw);
    // Selection by score + bias: expert 2 (sqrt(softplus(-2)) + 5 = 5.36) first, then expert 4
    // (sqrt(softplus(25)) = 5: above the threshold 20 softplus is the identity); expert 3
    // (sqrt(softplus(4)) = 2.0) loses.
    CHECK_EQ(ids[0], 2);
    CHECK_EQ(ids[1], 4);
    const double s4 = std::sqrt(25.0), s2 = std::sqrt(std::log1p(std::exp(-2.0)));
    CHECK_NEAR(gw[0], s2 / (s4 + s2) * 1.5, 1e-5); // weights without the bias
    CHECK_NEAR(gw[1], s4 / (s4 + s2) * 1.5, 1e-5);
    // Hash routing reads tid2eid[token] (int64), no bias.
    const std::int64_t table[3 * 2] = {1, 5, 0, 3, 2, 4};
    w.tid2eid = reinterpret_cast<const std::uint8_t *>(table);
    moe_route(w, cfg, true, logits, 1, ids, gw);
    CHECK_EQ(ids[0], 0);
    CHECK_EQ(ids[1], 3);
    CHECK_NEAR(gw[0] + gw[1], 1.5, 1e-5);
    CHECK_EQ(silu_f32(0.0f), 0.0f);
    CHECK_NEAR(silu_f32(2.0f), 2.0 / (1.0 + std::exp(-2.0)), 1e-7);
    CHECK_EQ(softplus_f32(30.0f), 30.0f);
}

FOLIO_TEST(ops_kv_codecs_are_lossless)
{
    const KvEntryCodec codec{256, 64};
    CHECK_EQ(codec.bytes(), std::size_t(192 + 3 + 128));
    CHECK_EQ((KvEntryCodec{512, 64}.bytes()), std::size_t(583)); // V4-Flash, spec §4.1
    auto kv = random_bf16(256, 30, 2.0f);
    float scales[3];
    for (int b = 0; b < 3; ++b)
        scales[b] = fp8_simulate_block(kv.data() + 64 * b, 64);
    std::vector<std::uint8_t> bytes(codec.bytes());
    codec.encode(kv.data(), scales, bytes.data());
    std::vector<float> back(256);
    codec.decode(bytes.data(), back.data());
    CHECK(back == kv);
    const IndexKeyCodec ic{128};
    CHECK_EQ(ic.bytes(), std::size_t(68));
    auto key = random_bf16(128, 31);
    float ks[4];
    for (int b = 0; b < 4; ++b)
        ks[b] = fp4_simulate_block(key.data() + 32 * b, 32);
    std::vector<std::uint8_t> kb(ic.bytes());
    ic.encode(key.data(), ks, kb.data());
    std::vector<float> kback(128);
    ic.decode(kb.data(), kback.data());
    CHECK(kback == key);
}
