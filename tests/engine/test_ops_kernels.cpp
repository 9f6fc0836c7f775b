// cpu/simd op kernels (ops_kernels.h): every AVX2 kernel against its scalar reference, bit for bit
// (the kernels keep the reference's summation order per output, see ops_kernels.h), on shapes
// with tails (heads not a multiple of 4, channels not a multiple of 8/16, rows not a multiple of
// 4, key counts around the 64-key block) and edge cases (null keys, a first block with no visible
// key, empty key lists, extreme indexer scales). Also the op-level pieces that have no SIMD twin:
// the split RoPE equals the one-call RoPE, and top-k by selection equals a stable full sort.
#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cpu/simd/ops_kernels.h"
#include "kv_state.h"
#include "quant.h"

#include "folio_test.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using namespace folio;

namespace {

struct Rng
{
    std::mt19937 gen;
    explicit Rng(unsigned seed)
        : gen(seed)
    {}
    int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); }
    float normal(float sd) { return std::normal_distribution<float>(0.0f, sd)(gen); }
    float bf16(float sd) { return round_bf16(normal(sd)); }
};

bool have_avx2()
{
    return simd::best_isa() == simd::Isa::Avx2;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Fills `keys` with n pointers into `store` ([n, d] BF16 values), about 1 in 9 null, and the first
// `null_prefix` null (a block with nothing visible yet).
void make_keys(Rng &rng, int n, int d, int null_prefix, std::vector<float> &store,
               std::vector<const float *> &keys)
{
    store.resize(std::size_t(std::max(n, 1)) * d);
    for (float &v : store)
        v = rng.bf16(1.0f);
    keys.assign(std::size_t(n), nullptr);
    for (int j = 0; j < n; ++j)
        if (j >= null_prefix && rng.uniform_int(0, 8) != 0)
            keys[std::size_t(j)] = store.data() + std::size_t(j) * d;
}

} // namespace

FOLIO_TEST(sparse_attn_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(1);
    const int heads_list[] = {1, 3, 4, 5, 16, 17};
    const int d_list[] = {8, 72, 512};
    const int keys_list[] = {0, 1, 63, 64, 65, 200};
    for (int heads : heads_list)
        for (int d : d_list)
            for (int nk : keys_list)
                for (int null_prefix : {0, 70}) {
                    std::vector<float> q(std::size_t(heads) * d),
                        sink(static_cast<std::size_t>(heads));
                    // Now and then a wide score range: softmax weights down to FP32 subnormals and
                    // 0 (the vector exp's scalar-path lanes).
                    const float q_sd = null_prefix == 0 && nk == 200 ? 40.0f : 1.0f;
                    for (float &v : q)
                        v = rng.bf16(q_sd);
                    for (float &v : sink)
                        v = rng.normal(1.0f);
                    std::vector<float> store;
                    std::vector<const float *> keys;
                    make_keys(rng, nk, d, std::min(null_prefix, nk), store, keys);
                    const float scale = 1.0f / std::sqrt(float(d));
                    std::vector<float> a(q.size()), b(q.size());
                    simd::sparse_attn_token(q.data(), heads, d, keys.data(), nk, sink.data(), scale,
                                            a.data(), simd::Isa::Scalar);
                    simd::sparse_attn_token(q.data(), heads, d, keys.data(), nk, sink.data(), scale,
                                            b.data(), simd::Isa::Avx2);
                    CHECK(same_bits(a, b));
                }
}

FOLIO_TEST(sparse_attn_scalar_is_a_softmax)
{
    // One key, sink -inf: the output is the key itself (probability 1, rounded to BF16).
    const int d = 16;
    std::vector<float> q(d, 0.5f), k(d), o(d);
    for (int c = 0; c < d; ++c)
        k[std::size_t(c)] = round_bf16(0.25f * float(c - 8));
    const float *keys[1] = {k.data()};
    const float sink = -std::numeric_limits<float>::infinity();
    for (simd::Isa isa : {simd::Isa::Scalar, simd::best_isa()}) {
        simd::sparse_attn_token(q.data(), 1, d, keys, 1, &sink, 0.25f, o.data(), isa);
        for (int c = 0; c < d; ++c)
            CHECK_EQ(o[std::size_t(c)], k[std::size_t(c)]);
    }
}

FOLIO_TEST(grouped_rows_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(2);
    for (WeightKind kind : {WeightKind::FP8, WeightKind::BF16}) {
        const int groups = 3, rank = 70, gin = 256; // rank: partial 128-row tiles and 4-row blocks
        const int rows = groups * rank;
        std::vector<std::uint8_t> data, scale;
        LinearWeight w;
        w.kind = kind;
        w.out = rows;
        w.in = gin;
        w.dequantize = kind == WeightKind::FP8;
        if (kind == WeightKind::FP8) {
            data.resize(std::size_t(rows) * gin);
            for (auto &c : data) {
                c = std::uint8_t(rng.uniform_int(0, 255));
                if ((c & 0x7f) == 0x7f)
                    c = 0x00; // no NaN codes
            }
            scale.resize(std::size_t((rows + 127) / 128) * (gin / 128));
            for (auto &s : scale)
                s = std::uint8_t(127 + rng.uniform_int(-8, 4));
            w.scale = scale.data();
        } else {
            data.resize(std::size_t(rows) * gin * 2);
            for (std::size_t i = 0; i < data.size() / 2; ++i) {
                const std::uint16_t b = f32_to_bf16(rng.normal(0.05f));
                std::memcpy(data.data() + 2 * i, &b, 2);
            }
        }
        w.data = data.data();
        for (int n : {1, 2, 3, 5}) {
            const int o_stride = groups * gin + 8; // padding between tokens
            std::vector<float> o(std::size_t(n) * o_stride);
            for (float &v : o)
                v = rng.bf16(1.0f);
            for (auto [r0, r1] : {std::pair{0, rows}, std::pair{3, 141}, std::pair{69, 71}}) {
                std::vector<float> a(std::size_t(n) * rows, -1.0f), b = a;
                simd::grouped_rows_bf16(w, rank, o.data(), n, o_stride, r0, r1, a.data(), rows,
                                        simd::Isa::Scalar);
                simd::grouped_rows_bf16(w, rank, o.data(), n, o_stride, r0, r1, b.data(), rows,
                                        simd::Isa::Avx2);
                CHECK(same_bits(a, b));
            }
        }
    }
}

namespace {

// An indexer query [heads, dim] FP4-simulated in blocks of 32 (with its scales) and n packed keys.
struct IndexCase
{
    std::vector<float> q, qs, hw;
    std::vector<std::uint8_t> keys;
};

IndexCase make_index_case(Rng &rng, int heads, int dim, int n, int scale_spread)
{
    IndexCase c;
    c.q.resize(std::size_t(heads) * dim);
    c.qs.resize(std::size_t(heads) * (dim / 32));
    for (int h = 0; h < heads; ++h)
        for (int b = 0; b < dim / 32; ++b) {
            float *blk = c.q.data() + std::size_t(h) * dim + 32 * b;
            const float sd = std::ldexp(1.0f, rng.uniform_int(-scale_spread, scale_spread));
            for (int i = 0; i < 32; ++i)
                blk[i] = rng.bf16(sd);
            c.qs[std::size_t(h) * (dim / 32) + b] = fp4_simulate_block(blk, 32);
        }
    c.hw.resize(std::size_t(heads));
    for (float &v : c.hw)
        v = rng.bf16(0.3f);
    const IndexKeyCodec codec{dim};
    c.keys.resize(std::size_t(n) * codec.bytes());
    for (int t = 0; t < n; ++t) {
        std::uint8_t *k = c.keys.data() + std::size_t(t) * codec.bytes();
        for (int i = 0; i < dim / 2; ++i)
            k[i] = std::uint8_t(rng.uniform_int(0, 255));
        for (int b = 0; b < dim / 32; ++b)
            k[dim / 2 + b] = std::uint8_t(127 + rng.uniform_int(-scale_spread, scale_spread));
    }
    return c;
}

} // namespace

FOLIO_TEST(index_scores_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(3);
    for (int dim : {64, 128, 256})
        for (int heads : {1, 3, 5, 13, 16}) // 4- and 8-head groups with and without tails
            for (int n : {0, 1, 7, 300}) {
                IndexCase c = make_index_case(rng, heads, dim, n, 6);
                std::vector<float> a(std::size_t(n), -1.0f), b = a;
                simd::index_scores(c.q.data(), c.qs.data(), c.hw.data(), heads, dim, c.keys.data(),
                                   n, a.data(), simd::Isa::Scalar);
                simd::index_scores(c.q.data(), c.qs.data(), c.hw.data(), heads, dim, c.keys.data(),
                                   n, b.data(), simd::Isa::Avx2);
                CHECK(same_bits(a, b));
            }
}

FOLIO_TEST(index_scores_extreme_scales_within_one_bf16_ulp)
{
    // Block scales 2^+-50 apart: the double sums of both paths may round (differently); the
    // score still agrees to one BF16 ulp of the larger magnitude, and almost always exactly.
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(4);
    const int heads = 4, dim = 128, n = 500;
    IndexCase c = make_index_case(rng, heads, dim, n, 50);
    std::vector<float> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
    simd::index_scores(c.q.data(), c.qs.data(), c.hw.data(), heads, dim, c.keys.data(), n, a.data(),
                       simd::Isa::Scalar);
    simd::index_scores(c.q.data(), c.qs.data(), c.hw.data(), heads, dim, c.keys.data(), n, b.data(),
                       simd::Isa::Avx2);
    int equal = 0;
    for (int t = 0; t < n; ++t) {
        const float x = a[std::size_t(t)], y = b[std::size_t(t)];
        const float ulp = std::ldexp(1.0f, std::ilogb(std::max(std::fabs(x), std::fabs(y))) - 7);
        CHECK(std::fabs(x - y) <= ulp || x == y);
        equal += x == y;
    }
    CHECK(equal >= n * 9 / 10);
}

FOLIO_TEST(rms_norm_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(5);
    for (int d : {1, 7, 8, 64, 1025})
        for (bool with_weight : {false, true}) {
            const int m = 3;
            std::vector<float> x(std::size_t(m) * d), w(static_cast<std::size_t>(d));
            for (float &v : x)
                v = rng.bf16(2.0f);
            for (float &v : w)
                v = rng.normal(1.0f);
            std::vector<float> a(x.size()), b(x.size());
            simd::rms_norm_bf16(x.data(), m, d, with_weight ? w.data() : nullptr, 1e-6f, a.data(),
                                simd::Isa::Scalar);
            simd::rms_norm_bf16(x.data(), m, d, with_weight ? w.data() : nullptr, 1e-6f, b.data(),
                                simd::Isa::Avx2);
            CHECK(same_bits(a, b));
            // In place (x and y alias, as the forward pass calls it).
            std::vector<float> c = x;
            simd::rms_norm_bf16(c.data(), m, d, with_weight ? w.data() : nullptr, 1e-6f, c.data(),
                                simd::Isa::Avx2);
            CHECK(same_bits(a, c));
        }
}

FOLIO_TEST(hc_kernels_avx2_equal_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(6);
    for (int hc : {1, 2, 4})
        for (int dim : {5, 8, 1030}) {
            std::vector<float> x(static_cast<std::size_t>(dim)), res(std::size_t(hc) * dim);
            std::vector<float> post(static_cast<std::size_t>(hc)), comb(std::size_t(hc) * hc),
                pre(post);
            for (float &v : x)
                v = rng.bf16(1.0f);
            for (float &v : res)
                v = rng.bf16(1.0f);
            for (float &v : post)
                v = rng.normal(1.0f);
            for (float &v : comb)
                v = std::fabs(rng.normal(0.5f));
            for (float &v : pre)
                v = std::fabs(rng.normal(0.5f));
            std::vector<float> a(res.size()), b(res.size());
            simd::hc_post_token(x.data(), res.data(), post.data(), comb.data(), hc, dim, a.data(),
                                simd::Isa::Scalar);
            simd::hc_post_token(x.data(), res.data(), post.data(), comb.data(), hc, dim, b.data(),
                                simd::Isa::Avx2);
            CHECK(same_bits(a, b));
            std::vector<float> ya(static_cast<std::size_t>(dim)), yb(static_cast<std::size_t>(dim));
            simd::hc_collapse_token(res.data(), pre.data(), hc, dim, ya.data(), simd::Isa::Scalar);
            simd::hc_collapse_token(res.data(), pre.data(), hc, dim, yb.data(), simd::Isa::Avx2);
            CHECK(same_bits(ya, yb));
        }
}

FOLIO_TEST(rope_split_equals_one_call)
{
    const RopeFreqs f = make_rope_freqs(64, 160000, 65536, 16, 32, 1);
    Rng rng(7);
    for (std::int64_t pos : {0, 1, 4097, 131071}) {
        std::vector<float> x(64);
        for (float &v : x)
            v = rng.bf16(1.0f);
        // The one-call RoPE written out as the reference computes it.
        std::vector<float> ref = x;
        for (int i = 0; i < 32; ++i) {
            const float angle = float(pos) * f.freqs[std::size_t(i)];
            const float c = float(std::cos(double(angle))), s = float(std::sin(double(angle)));
            const float a = ref[std::size_t(2 * i)], b = ref[std::size_t(2 * i + 1)];
            ref[std::size_t(2 * i)] = round_bf16(a * c - b * s);
            ref[std::size_t(2 * i + 1)] = round_bf16(b * c + a * s);
        }
        std::vector<float> one = x, cs(64);
        apply_rope(one.data(), f, pos, false);
        rope_cos_sin(f, pos, cs.data());
        std::vector<float> split = x;
        apply_rope_cs(split.data(), cs.data(), 32, false);
        CHECK(same_bits(one, ref));
        CHECK(same_bits(split, ref));
        apply_rope_cs(split.data(), cs.data(), 32, true); // the inverse undoes it up to rounding
        for (int i = 0; i < 64; ++i)
            CHECK_NEAR(split[std::size_t(i)], x[std::size_t(i)], 0.05);
    }
}

namespace {

// Bit-identical, except that a NaN only has to be a NaN (which NaN payload an FP operation with
// two NaN operands returns depends on the operand order, which C++ leaves to the compiler).
bool same_bits_or_nan(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i]) && std::isnan(b[i]))
            continue;
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            std::printf("  first difference at %zu: %a vs %a\n", i, double(a[i]), double(b[i]));
            return false;
        }
    }
    return true;
}

// Random BF16 values with the edge cases mixed in: NaN, +-inf, +-0, FP32 subnormals, values
// around the kernels' range limits (silu's -80, exp's -87.3 and -104) and huge ones.
void fill_with_edges(Rng &rng, std::vector<float> &v, float sd)
{
    const float inf = std::numeric_limits<float>::infinity();
    const float edges[] = {std::numeric_limits<float>::quiet_NaN(),
                           inf,
                           -inf,
                           0.0f,
                           -0.0f,
                           1e-40f,
                           -3e-39f,
                           -79.9f,
                           -80.0f,
                           -85.0f,
                           -87.3f,
                           -90.0f,
                           -103.9f,
                           -104.1f,
                           -200.0f,
                           1e30f,
                           -1e30f,
                           10.0f,
                           -10.0f,
                           9.99f};
    for (float &x : v)
        x = rng.uniform_int(0, 15) == 0 ? edges[rng.uniform_int(0, int(std::size(edges)) - 1)]
                                        : rng.bf16(sd);
}

} // namespace

FOLIO_TEST(exp_f64_avx2_within_4_ulps)
{
    // The AVX2 SwiGLU and pooling kernels send a lane to the scalar path when its double result
    // lies within 1024 double ulps of an FP32 rounding midpoint; that is safe as long as the vector
    // exp stays within a few ulps of the library's exp, checked here over the range they use.
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(9);
    std::vector<double> x;
    for (int i = 0; i < 200000; ++i)
        x.push_back(std::uniform_real_distribution<double>(-104.0, 88.0)(rng.gen));
    for (double v = -104.0; v <= 88.0; v += 0.001)
        x.push_back(v);
    for (double v : {0.0, -0.0, 1e-300, -1e-300, 0.5 * std::log(2.0), -0.5 * std::log(2.0)})
        x.push_back(v);
    std::vector<double> y(x.size());
    simd::detail::exp_f64_avx2(x.data(), y.data(), int(x.size()));
    std::int64_t worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double ref = std::exp(x[i]);
        std::int64_t a, b;
        std::memcpy(&a, &ref, 8);
        std::memcpy(&b, &y[i], 8);
        worst = std::max<std::int64_t>(worst, a > b ? a - b : b - a);
    }
    std::printf("exp_f64_avx2: worst distance to std::exp %lld ulps over %zu values\n",
                (long long) worst, x.size());
    CHECK(worst <= 4);
}

FOLIO_TEST(swiglu_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(10);
    for (int n : {1, 7, 8, 9, 31, 512, 1000, 1 << 18})
        for (float limit : {10.0f, 0.0f})
            for (bool weighted : {false, true}) {
                std::vector<float> g(static_cast<std::size_t>(n)), u(g.size());
                fill_with_edges(rng, g, 3.0f);
                fill_with_edges(rng, u, 3.0f);
                const float w = rng.normal(1.0f);
                const float *wp = weighted ? &w : nullptr;
                std::vector<float> a(g.size()), b(g.size());
                simd::swiglu_bf16(g.data(), u.data(), n, wp, limit, a.data(), simd::Isa::Scalar);
                simd::swiglu_bf16(g.data(), u.data(), n, wp, limit, b.data(), simd::Isa::Avx2);
                CHECK(same_bits_or_nan(a, b));
                std::vector<float> c = g; // in place, as the expert calls it
                simd::swiglu_bf16(c.data(), u.data(), n, wp, limit, c.data(), simd::Isa::Avx2);
                CHECK(same_bits_or_nan(a, c));
            }
}

FOLIO_TEST(rope_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(11);
    const RopeFreqs f = make_rope_freqs(64, 160000, 65536, 16, 32, 1);
    for (int half : {1, 3, 4, 5, 32, 33})
        for (bool inverse : {false, true})
            for (int rep = 0; rep < 20; ++rep) {
                std::vector<float> x(std::size_t(2 * half)), cs(x.size());
                fill_with_edges(rng, x, 2.0f);
                // Real cos/sin of some position, with edge values mixed in now and then.
                std::vector<float> real(64);
                rope_cos_sin(f, rng.uniform_int(0, 1 << 20), real.data());
                for (std::size_t i = 0; i < cs.size(); ++i)
                    cs[i] = real[i % 64];
                if (rep % 4 == 0)
                    fill_with_edges(rng, cs, 1.0f);
                std::vector<float> a = x, b = x;
                simd::rope_cs(a.data(), cs.data(), half, inverse, simd::Isa::Scalar);
                simd::rope_cs(b.data(), cs.data(), half, inverse, simd::Isa::Avx2);
                CHECK(same_bits_or_nan(a, b));
            }
}

FOLIO_TEST(compressor_pool_avx2_equals_scalar)
{
    if (!have_avx2())
        return folio_test::skip("no AVX2+FMA on this CPU");
    Rng rng(12);
    const float inf = std::numeric_limits<float>::infinity();
    struct Shape
    {
        int n_slots, split; // split < n_slots: overlap mode (B half of the current window)
    };
    for (Shape sh : {Shape{8, 4}, Shape{4, 4}, Shape{128, 128}, Shape{3, 3}, Shape{2, 1}})
        for (int c : {1, 7, 8, 9, 128, 515})
            for (int rep = 0; rep < 4; ++rep) {
                const int width = (sh.split < sh.n_slots ? 2 : 1) * c;
                std::vector<float> kv(std::size_t(sh.n_slots) * width), score(kv.size());
                for (float &v : kv)
                    v = rng.bf16(1.0f);
                for (float &v : score)
                    v = rng.normal(3.0f);
                if (rep == 1) // the first window of overlap mode: the previous slots are empty
                    for (int s = 0; s < sh.split && sh.split < sh.n_slots; ++s)
                        std::fill_n(score.begin() + std::ptrdiff_t(s) * width, width, -inf);
                if (rep == 2) { // spread scores: weights down to exp(-104) and below
                    for (float &v : score)
                        v = rng.normal(60.0f);
                }
                if (rep == 3) // edge values everywhere (NaN, +-inf, subnormals)
                    fill_with_edges(rng, score, 30.0f);
                std::vector<float> a(static_cast<std::size_t>(c)), b(a.size());
                simd::compressor_pool(kv.data(), score.data(), width, sh.n_slots, sh.split, c,
                                      a.data(), simd::Isa::Scalar);
                simd::compressor_pool(kv.data(), score.data(), width, sh.n_slots, sh.split, c,
                                      b.data(), simd::Isa::Avx2);
                CHECK(same_bits_or_nan(a, b));
            }
}

FOLIO_TEST(topk_selection_equals_stable_sort)
{
    Rng rng(8);
    for (int n : {0, 1, 5, 64, 1000, 5000})
        for (int k : {0, 1, 7, 64, 6000}) {
            std::vector<float> s(static_cast<std::size_t>(n));
            for (float &v : s) // few distinct values: many ties
                v = float(rng.uniform_int(-3, 3));
            std::vector<int> idx(static_cast<std::size_t>(n));
            std::iota(idx.begin(), idx.end(), 0);
            std::stable_sort(idx.begin(), idx.end(),
                             [&](int a, int b) { return s[std::size_t(a)] > s[std::size_t(b)]; });
            idx.resize(std::size_t(std::min(k, n)));
            std::vector<int> got;
            topk_desc(s.data(), n, k, got);
            CHECK(got == idx);
        }
}
