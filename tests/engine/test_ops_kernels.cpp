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
#include <cstring>
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
                    for (float &v : q)
                        v = rng.bf16(1.0f);
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
        for (int heads : {1, 3, 16})
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
