// cpu/simd linear kernels: the fast path (FP32 FMA accumulation on exactly decoded operands)
// against the exact reference kernels, per op.
//   * bit for bit where the fast path must be exact: activation quantise/dequantise, every weight
//     decoder (every E4M3 code incl. subnormals and NaN, every E2M1 code, BF16, F32), one-hot
//     activations (a single product per output, no rounding), and independence of the column
//     split (thread count);
//   * within the summation bound elsewhere: |fast - exact| <= (K + 16) * 2^-24 * sum_k |a_k w_k|
//     per output, on shapes with tails in m, N and K. The bound is far below what a wrong block
//     scale, a wrong decode or a dropped tail would cost.
#include "cpu/linear.h"
#include "cpu/simd/kernels.h"
#include "cpu/thread_pool.h"
#include "quant.h"

#include "folio_test.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
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
    // BF16 values with magnitudes spread over 2^lo..2^hi, random sign, some exact zeros.
    float bf16_value(int lo, int hi)
    {
        if (uniform_int(0, 31) == 0)
            return 0.0f;
        const float mant = std::uniform_real_distribution<float>(1.0f, 2.0f)(gen);
        const float v = std::ldexp(mant, uniform_int(lo, hi)) * (uniform_int(0, 1) ? 1.0f : -1.0f);
        return round_bf16(v);
    }
};

std::vector<float> activations(Rng &rng, int m, int k, int lo, int hi)
{
    std::vector<float> x(std::size_t(m) * k);
    for (float &v : x)
        v = rng.bf16_value(lo, hi);
    return x;
}

struct OwnedWeight
{
    std::vector<std::uint8_t> data, scale;
    LinearWeight view;
};

OwnedWeight make_weight(Rng &rng, WeightKind kind, int out, int in)
{
    OwnedWeight w;
    switch (kind) {
    case WeightKind::FP8:
        w.data.resize(std::size_t(out) * in);
        w.scale.resize(std::size_t((out + 127) / 128) * ((in + 127) / 128));
        break;
    case WeightKind::FP4:
        w.data.resize(std::size_t(out) * in / 2);
        w.scale.resize(std::size_t(out) * in / 32);
        break;
    case WeightKind::BF16:
        w.data.resize(std::size_t(out) * in * 2);
        break;
    case WeightKind::F32:
        w.data.resize(std::size_t(out) * in * 4);
        break;
    }
    if (kind == WeightKind::BF16 || kind == WeightKind::F32) {
        for (std::size_t i = 0; i < std::size_t(out) * in; ++i) {
            const float v = rng.bf16_value(-8, 3);
            if (kind == WeightKind::BF16) {
                const std::uint16_t b = f32_to_bf16(v);
                std::memcpy(w.data.data() + 2 * i, &b, 2);
            } else {
                // F32 weights use all 24 significand bits.
                const float f = v * (1.0f + std::ldexp(float(rng.uniform_int(0, 65535)), -17));
                std::memcpy(w.data.data() + 4 * i, &f, 4);
            }
        }
    } else {
        for (auto &b : w.data) {
            b = std::uint8_t(rng.uniform_int(0, 255));
            if (kind == WeightKind::FP8 && (b & 0x7f) == 0x7f) // NaN codes are tested separately
                b = std::uint8_t(b - 1);
        }
        for (auto &s : w.scale)
            s = std::uint8_t(rng.uniform_int(117, 130));
    }
    w.view = {kind, out, in, w.data.data(), w.scale.empty() ? nullptr : w.scale.data(), false};
    return w;
}

bool quantised(const LinearWeight &w)
{
    return (w.kind == WeightKind::FP8 || w.kind == WeightKind::FP4) && !w.dequantize;
}

// The exact reference's FP32 outputs (before any BF16 rounding) and the operands the fast path
// multiplies: a [m, K] (dequantised activations for quantised weights, x otherwise).
struct Reference
{
    std::vector<float> y, a;
};

Reference reference(const LinearWeight &w, const std::vector<float> &x, int m)
{
    const int N = w.out, K = w.in;
    Reference r{std::vector<float>(std::size_t(m) * N), x};
    if (quantised(w)) {
        std::vector<float> q(x.size()), s(std::size_t(m) * (K / 128));
        for (int i = 0; i < m; ++i)
            act_quant_row(x.data() + std::size_t(i) * K, K, q.data() + std::size_t(i) * K,
                          s.data() + std::size_t(i) * (K / 128));
        simd::quant_linear_cols_exact(q.data(), s.data(), m, w, 0, N, r.y.data());
        for (std::size_t i = 0; i < q.size(); ++i)
            r.a[i] = q[i] * s[(i % std::size_t(K)) / 128 + (i / std::size_t(K)) * (K / 128)];
    } else {
        simd::dense_linear_cols_exact(x.data(), m, w, 0, N, r.y.data());
    }
    return r;
}

bool same_bits(float a, float b)
{
    return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b));
}

// Fast kernel over [0, N) in two column ranges split at `split` (as threads split them).
std::vector<float> fast(const LinearWeight &w, const std::vector<float> &a, int m, int split)
{
    std::vector<float> y(std::size_t(m) * w.out, -1.0f);
    simd::linear_cols_fast(a.data(), m, w, 0, split, y.data());
    simd::linear_cols_fast(a.data(), m, w, split, w.out, y.data());
    return y;
}

// Number of outputs outside the summation bound.
int check_bound(const LinearWeight &w, const std::vector<float> &x, int m)
{
    const int N = w.out, K = w.in;
    const Reference ref = reference(w, x, m);
    const std::vector<float> y = fast(w, ref.a, m, N / 3);
    std::vector<float> row(K);
    int bad = 0;
    for (int n = 0; n < N; ++n) {
        decode_weight_row(w, n, row.data());
        for (int i = 0; i < m; ++i) {
            double mag = 0;
            for (int k = 0; k < K; ++k)
                mag += std::fabs(double(ref.a[std::size_t(i) * K + k]) * row[k]);
            const double tol = (K + 16) * std::ldexp(1.0, -24) * mag + 1e-30;
            const float got = y[std::size_t(i) * N + n], want = ref.y[std::size_t(i) * N + n];
            if (!(std::fabs(double(got) - double(want)) <= tol)) {
                if (bad < 3)
                    std::printf("  m=%d N=%d K=%d [%d,%d]: fast %.9g exact %.9g tol %.3g\n", m, N,
                                K, i, n, double(got), double(want), tol);
                ++bad;
            }
        }
    }
    return bad;
}

bool have_fast()
{
    if (simd::best_isa() != simd::Isa::Avx2) {
        std::printf("no AVX2+FMA+F16C on this CPU: only the exact path runs here\n");
        return false;
    }
    return true;
}

} // namespace

FOLIO_TEST(simd_dispatch)
{
    CHECK(simd::active_isa() == simd::best_isa() || simd::active_isa() == simd::Isa::Scalar);
    simd::set_isa(simd::Isa::Scalar);
    CHECK(simd::active_isa() == simd::Isa::Scalar);
    CHECK(simd::exact_linear());
    simd::set_isa(simd::Isa::Avx2);
    CHECK(simd::active_isa() == simd::best_isa());
    std::printf("best ISA: %s\n", simd::isa_name(simd::best_isa()));
}

FOLIO_TEST(simd_act_dequant_bit_identical)
{
    if (!have_fast())
        return;
    Rng rng(11);
    const int m = 6, K = 512;
    std::vector<float> x = activations(rng, m, K, -30, 20);
    // Special values: NaN, infinities, zeros of both signs, FP32 subnormals, the largest finite,
    // and exact E4M3 rounding ties (1 + 1/16 = halfway between 1 and 1.125; subnormal-grid ties).
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              0.0f,
                              -0.0f,
                              std::numeric_limits<float>::denorm_min(),
                              -1e-39f,
                              std::numeric_limits<float>::max(),
                              1.0625f,
                              1.1875f,
                              -3.0f / 1024.0f,
                              5.0f / 1024.0f};
    for (std::size_t i = 0; i < std::size(specials); ++i)
        x[std::size_t(K) + 128 + i * 9] = specials[i]; // row 1, second block onwards
    // A row whose blocks hold ties at the block scale: amax 448 * 2^-3, values at midpoints.
    for (int k = 0; k < K; ++k)
        x[std::size_t(2) * K + k] = std::ldexp(float(16 + (k % 32)) + 0.5f, -5 + (k % 7));
    std::vector<float> q(x.size()), s(std::size_t(m) * (K / 128)), a(x.size());
    for (int i = 0; i < m; ++i)
        act_quant_row(x.data() + std::size_t(i) * K, K, q.data() + std::size_t(i) * K,
                      s.data() + std::size_t(i) * (K / 128));
    std::vector<float> sf(s.size());
    simd::act_dequant_rows(x.data(), m, K, a.data(), sf.data());
    int bad = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
        bad += !same_bits(sf[i], s[i]);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float want = q[i] * s[i / 128];
        if (!same_bits(a[i], want)) {
            if (bad < 3)
                std::printf("  x %.9g: fast %.9g want %.9g\n", double(x[i]), double(a[i]),
                            double(want));
            ++bad;
        }
    }
    CHECK_EQ(bad, 0);
}

FOLIO_TEST(simd_round_bf16_cols_bit_identical)
{
    if (!have_fast())
        return;
    // Random bit patterns (every class: normals, subnormals, zeros, infinities, NaNs) and every
    // rounding tie around 1.0, in a 7-column range of a 13-wide matrix (vector body and tail).
    Rng rng(19);
    const int m = 300, ld = 13;
    std::vector<float> y(std::size_t(m) * ld), want;
    for (std::size_t i = 0; i < y.size(); ++i) {
        std::uint32_t u = std::uint32_t(rng.gen());
        if (i % 3 == 0)
            u = 0x3f800000u + std::uint32_t(i % 0x20000u); // ties and near-ties around 1.0
        std::memcpy(&y[i], &u, 4);
    }
    want = y;
    for (int i = 0; i < m; ++i)
        for (int n = 2; n < 11; ++n)
            want[std::size_t(i) * ld + n] = round_bf16(want[std::size_t(i) * ld + n]);
    simd::round_bf16_cols(y.data(), m, ld, 2, 11);
    int bad = 0;
    for (std::size_t i = 0; i < y.size(); ++i)
        bad += std::memcmp(&y[i], &want[i], 4) != 0;
    CHECK_EQ(bad, 0);
}

FOLIO_TEST(simd_decoders_bit_identical)
{
    if (!have_fast())
        return;
    Rng rng(12);
    // FP8: every code (NaN 0x7F/0xFF included) at every position class, scales 2^-20..2^20.
    {
        const int N = 256, K = 512;
        OwnedWeight w = make_weight(rng, WeightKind::FP8, N, K);
        for (int n = 0; n < N; ++n)
            for (int k = 0; k < K; ++k)
                w.data[std::size_t(n) * K + k] = std::uint8_t((n * 7 + k) & 0xff);
        for (auto &s : w.scale)
            s = std::uint8_t(rng.uniform_int(107, 147));
        std::vector<float> want(K), got(K);
        int bad = 0;
        for (int n = 0; n < N; ++n) {
            decode_weight_row(w.view, n, want.data());
            simd::decode_weight_fast(w.view, n, 0, K, got.data());
            for (int k = 0; k < K; ++k)
                bad += !same_bits(got[k], want[k]);
        }
        CHECK_EQ(bad, 0);
    }
    // FP4: every byte (both nibbles, all 16 codes each) with per-32 scales; segments at k0 = 32.
    {
        const int N = 64, K = 512 + 32; // a 32-wide tail after the 64-wide steps
        OwnedWeight w = make_weight(rng, WeightKind::FP4, N, K);
        for (std::size_t i = 0; i < w.data.size(); ++i)
            w.data[i] = std::uint8_t(i * 37 + 11);
        std::vector<float> want(K), got(K);
        int bad = 0;
        for (int n = 0; n < N; ++n) {
            decode_weight_row(w.view, n, want.data());
            simd::decode_weight_fast(w.view, n, 0, K, got.data());
            for (int k = 0; k < K; ++k)
                bad += !same_bits(got[k], want[k]);
            simd::decode_weight_fast(w.view, n, 32, K - 32, got.data());
            for (int k = 32; k < K; ++k)
                bad += !same_bits(got[k - 32], want[k]);
        }
        CHECK_EQ(bad, 0);
    }
    // BF16 and F32, K with a tail that is not a multiple of 8.
    for (WeightKind kind : {WeightKind::BF16, WeightKind::F32}) {
        const int N = 9, K = 203;
        const OwnedWeight w = make_weight(rng, kind, N, K);
        std::vector<float> want(K), got(K);
        int bad = 0;
        for (int n = 0; n < N; ++n) {
            decode_weight_row(w.view, n, want.data());
            simd::decode_weight_fast(w.view, n, 0, K, got.data());
            for (int k = 0; k < K; ++k)
                bad += !same_bits(got[k], want[k]);
        }
        CHECK_EQ(bad, 0);
    }
}

FOLIO_TEST(simd_one_hot_exact)
{
    // One nonzero activation per row: every output is a single exact product, so the fast GEMV
    // (m <= 4) and GEMM (m > 4) must equal the reference bit for bit at every K position; a wrong
    // scale block, decode or tail position cannot hide here.
    if (!have_fast())
        return;
    Rng rng(13);
    for (WeightKind kind : {WeightKind::FP8, WeightKind::FP4, WeightKind::BF16, WeightKind::F32}) {
        const int N = 140, K = kind == WeightKind::BF16 || kind == WeightKind::F32 ? 645 : 640;
        const OwnedWeight w = make_weight(rng, kind, N, K);
        int bad = 0;
        for (int m : {1, 3, 7}) {
            for (int k0 = 0; k0 < K; k0 += m) {
                std::vector<float> x(std::size_t(m) * K, 0.0f);
                for (int i = 0; i < m && k0 + i < K; ++i)
                    x[std::size_t(i) * K + k0 + i] = std::ldexp(1.0f, rng.uniform_int(-6, 6));
                const Reference ref = reference(w.view, x, m);
                const std::vector<float> y = fast(w.view, ref.a, m, 97);
                for (std::size_t i = 0; i < y.size(); ++i)
                    bad += !same_bits(y[i], ref.y[i]);
            }
        }
        CHECK_EQ(bad, 0);
    }
}

FOLIO_TEST(simd_fp8_nan_codes)
{
    if (!have_fast())
        return;
    Rng rng(14);
    const int N = 130, K = 256;
    OwnedWeight w = make_weight(rng, WeightKind::FP8, N, K);
    w.data[5] = 0x7f;                          // row 0
    w.data[std::size_t(129) * K + 200] = 0xff; // row 129, second row tile
    for (int m : {1, 4, 6}) {
        const std::vector<float> x = activations(rng, m, K, -4, 4);
        const Reference ref = reference(w.view, x, m);
        const std::vector<float> y = fast(w.view, ref.a, m, 64);
        for (int i = 0; i < m; ++i) {
            CHECK(std::isnan(y[std::size_t(i) * N]));
            CHECK(std::isnan(y[std::size_t(i) * N + 129]));
            CHECK(!std::isnan(y[std::size_t(i) * N + 1]));
            CHECK(std::isnan(ref.y[std::size_t(i) * N]));
        }
    }
}

FOLIO_TEST(simd_fast_within_bound)
{
    if (!have_fast())
        return;
    Rng rng(15);
    // m covers the GEMV (1..4) and GEMM (5+) paths with row tails of the 6-row tile; N tails of
    // the 16-row micro-panel, the 96-row panel and the 128-row FP8 tile; K tails of the 256-wide
    // chunk (and of the f64 kernel's 512-wide one).
    for (int m : {1, 2, 3, 4, 5, 7, 9, 13}) {
        for (int K : {128, 640, 1152}) {
            CHECK_EQ(check_bound(make_weight(rng, WeightKind::FP8, 200, K).view,
                                 activations(rng, m, K, -20, 12), m),
                     0);
            CHECK_EQ(check_bound(make_weight(rng, WeightKind::FP4, 101, K + 32).view,
                                 activations(rng, m, K + 32, -20, 12), m),
                     0);
        }
        for (int K : {7, 200, 1029}) {
            CHECK_EQ(check_bound(make_weight(rng, WeightKind::BF16, 98, K).view,
                                 activations(rng, m, K, -10, 6), m),
                     0);
            CHECK_EQ(check_bound(make_weight(rng, WeightKind::F32, 35, K).view,
                                 activations(rng, m, K, -10, 6), m),
                     0);
        }
    }
    // wo_a-style: FP8 storage used as an exactly dequantised weight, no activation quantisation.
    OwnedWeight w = make_weight(rng, WeightKind::FP8, 70, 256);
    w.view.dequantize = true;
    CHECK_EQ(check_bound(w.view, activations(rng, 6, 256, -8, 4), 6), 0);
}

// Outputs of the fast kernel against the exact path where the operands sit at the edges of the
// GEMV's scaled ranges: NaN must match NaN, infinities must match, everything else within the
// summation bound. Returns the number of mismatches.
int check_special(const LinearWeight &w, const std::vector<float> &x, int m, bool f64)
{
    const int N = w.out, K = w.in;
    std::vector<float> y(std::size_t(m) * N), want(y.size());
    std::vector<float> a = x;
    if (f64) {
        const std::vector<double> xd(x.begin(), x.end());
        simd::dense_linear_cols_exact(x.data(), m, w, 0, N, want.data());
        simd::linear_cols_fast_f64(xd.data(), m, w, 0, N / 2, y.data());
        simd::linear_cols_fast_f64(xd.data(), m, w, N / 2, N, y.data());
    } else {
        const Reference ref = reference(w, x, m);
        want = ref.y;
        a = ref.a;
        y = fast(w, a, m, N / 2);
    }
    std::vector<float> row(K);
    int bad = 0;
    for (int n = 0; n < N; ++n) {
        decode_weight_row(w, n, row.data());
        for (int i = 0; i < m; ++i) {
            double mag = 0;
            for (int k = 0; k < K; ++k)
                mag += std::fabs(double(a[std::size_t(i) * K + k]) * row[k]);
            const double tol = (K + 16) * std::ldexp(1.0, -24) * mag + 1e-30;
            const float got = y[std::size_t(i) * N + n], exp = want[std::size_t(i) * N + n];
            const bool ok = std::isnan(exp)   ? std::isnan(got)
                            : std::isinf(exp) ? got == exp
                                              : std::fabs(double(got) - double(exp)) <= tol;
            if (!ok) {
                if (bad < 3)
                    std::printf("  m=%d [%d,%d]: fast %.9g exact %.9g tol %.3g\n", m, i, n,
                                double(got), double(exp), tol);
                ++bad;
            }
        }
    }
    return bad;
}

FOLIO_TEST(simd_gemv_extreme_scales)
{
    // The streaming GEMV scales its activations by powers of two so that the lane-order decoders
    // need no scale in the loop; these cases push that scaling to its limits. FP8: activations up
    // to 2^30 against tile scales up to 2^12 (the pre-scaled copy would overflow without the
    // extra shift G), tiny activations, a NaN tile scale. FP4: scale bytes 0 and 1 next to tiny
    // activations and a NaN scale (the rows the lane kernel hands to the generic one), huge
    // scales. FP8 in double likewise. BF16 in double: infinities and NaNs in the weights (redone by
    // the segment kernel), BF16 subnormals.
    if (!have_fast())
        return;
    Rng rng(21);
    for (int m : {1, 2, 4}) {
        {
            OwnedWeight w = make_weight(rng, WeightKind::FP8, 300, 384);
            for (auto &s : w.scale)
                s = std::uint8_t(rng.uniform_int(126, 139));
            CHECK_EQ(check_special(w.view, activations(rng, m, 384, 10, 30), m, false), 0);
            for (auto &s : w.scale)
                s = std::uint8_t(rng.uniform_int(0, 20));
            CHECK_EQ(check_special(w.view, activations(rng, m, 384, -60, -40), m, false), 0);
            w.scale[4] = 0xff; // tile row 1, K block 1: NaN outputs for rows 128..255
            CHECK_EQ(check_special(w.view, activations(rng, m, 384, -4, 4), m, false), 0);
        }
        {
            OwnedWeight w = make_weight(rng, WeightKind::FP4, 70, 352); // K % 64 == 32
            for (std::size_t i = 0; i < w.scale.size(); ++i)
                w.scale[i] = std::uint8_t(i % 11 == 0 ? rng.uniform_int(0, 1)
                                                      : rng.uniform_int(100, 140));
            w.scale[5 * 11 + 3] = 0xff; // row 5: NaN
            CHECK_EQ(check_special(w.view, activations(rng, m, 352, -30, -20), m, false), 0);
            for (auto &s : w.scale)
                s = std::uint8_t(rng.uniform_int(200, 230));
            CHECK_EQ(check_special(w.view, activations(rng, m, 352, -60, -30), m, false), 0);
        }
        {
            // FP8 in double (wo_a's dequantised path): G > 0, a tile scale of 2^-122, a NaN code
            // and a NaN tile scale.
            OwnedWeight w = make_weight(rng, WeightKind::FP8, 260, 256);
            for (auto &s : w.scale)
                s = std::uint8_t(rng.uniform_int(126, 139));
            CHECK_EQ(check_special(w.view, activations(rng, m, 256, 10, 30), m, true), 0);
            w.scale[0] = 5;
            w.scale[3] = 0xff;
            w.data[std::size_t(200) * 256 + 77] = 0x7f;
            CHECK_EQ(check_special(w.view, activations(rng, m, 256, -8, 4), m, true), 0);
        }
        {
            OwnedWeight w = make_weight(rng, WeightKind::BF16, 40, 203);
            const std::uint16_t specials[] = {0x7f80, 0xff80, 0x7fc1, 0x0001, 0x8005};
            for (std::size_t i = 0; i < std::size(specials); ++i)
                std::memcpy(w.data.data() + 2 * (std::size_t(7 * i + 3) * 203 + 17 * i + 5),
                            &specials[i], 2);
            CHECK_EQ(check_special(w.view, activations(rng, m, 203, -6, 4), m, true), 0);
        }
    }
}

FOLIO_TEST(simd_fast_f64_matches_exact)
{
    // linear_f32's kernel (double accumulation): bit-identical to the exact path when the double
    // sum is exact (BF16 operands in a narrow range), within one FP32 ulp for every format.
    if (!have_fast())
        return;
    Rng rng(17);
    int identical = 0, total = 0;
    for (int m : {1, 3, 4, 5, 9}) {
        for (WeightKind kind :
             {WeightKind::BF16, WeightKind::F32, WeightKind::FP8, WeightKind::FP4}) {
            const bool dense = kind == WeightKind::BF16 || kind == WeightKind::F32;
            const int N = 101, K = dense ? 1029 : 640;
            const OwnedWeight w = make_weight(rng, kind, N, K);
            const std::vector<float> x = activations(rng, m, K, -10, 2);
            const std::vector<double> xd(x.begin(), x.end());
            std::vector<float> want(std::size_t(m) * N), got(want.size());
            simd::dense_linear_cols_exact(x.data(), m, w.view, 0, N, want.data());
            simd::linear_cols_fast_f64(xd.data(), m, w.view, 0, 40, got.data());
            simd::linear_cols_fast_f64(xd.data(), m, w.view, 40, N, got.data());
            int bad = 0;
            for (std::size_t i = 0; i < want.size(); ++i) {
                const float ulp = std::fabs(std::nextafter(want[i], 2 * want[i]) - want[i]);
                bad += !(std::fabs(got[i] - want[i]) <= ulp);
                identical += same_bits(got[i], want[i]);
                ++total;
                if (kind == WeightKind::BF16)
                    bad += !same_bits(got[i], want[i]);
            }
            CHECK_EQ(bad, 0);
        }
    }
    std::printf("  f64 kernel bit-identical to the exact path on %d of %d outputs\n", identical,
                total);
}

FOLIO_TEST(simd_quant_linear_bf16_near_ties)
{
    // linear_bf16_out on quantised weights recomputes exactly the outputs whose FP32 sum lies
    // within a few ulps of a BF16 midpoint (linear.cpp refine_near_ties), where the FP32
    // summation order can round to the other BF16 neighbour than the reference. Short K and a
    // wide activation range make such outputs frequent: the refined path must differ from the
    // exact one at most a quarter as often as the raw fast kernel does.
    if (!have_fast())
        return;
    Rng rng(18);
    for (WeightKind kind : {WeightKind::FP8, WeightKind::FP4}) {
        const int m = 64, N = 1024, K = 256;
        const OwnedWeight w = make_weight(rng, kind, N, K);
        const std::vector<float> x = activations(rng, m, K, -8, 4);
        std::vector<float> fast(std::size_t(m) * N), exact(fast.size()), raw(fast.size());
        linear_bf16_out(x.data(), m, w.view, fast.data(), nullptr);
        std::vector<float> a(x.size()), s(std::size_t(m) * (K / 128));
        simd::act_dequant_rows(x.data(), m, K, a.data(), s.data());
        simd::linear_cols_fast(a.data(), m, w.view, 0, N, raw.data());
        simd::set_isa(simd::Isa::Scalar);
        linear_bf16_out(x.data(), m, w.view, exact.data(), nullptr);
        simd::set_isa(simd::Isa::Avx2);
        int bad_fast = 0, bad_raw = 0;
        for (std::size_t i = 0; i < fast.size(); ++i) {
            bad_fast += !same_bits(fast[i], exact[i]);
            bad_raw += !same_bits(round_bf16(raw[i]), exact[i]);
        }
        std::printf("  %s: BF16 outputs differing from the exact path: raw %d, refined %d of %zu\n",
                    kind == WeightKind::FP8 ? "fp8" : "fp4", bad_raw, bad_fast, fast.size());
        CHECK(bad_fast * 4 <= bad_raw);
    }
}

FOLIO_TEST(simd_linear_entry_points)
{
    // linear_bf16_out / linear_f32 on the fast path: independent of the thread count, and the
    // exact path (Scalar ISA) still gives the reference's bits.
    Rng rng(16);
    ThreadPool pool(2);
    for (int m : {1, 6}) {
        const OwnedWeight w8 = make_weight(rng, WeightKind::FP8, 300, 512);
        const std::vector<float> x = activations(rng, m, 512, -12, 8);
        std::vector<float> y1(std::size_t(m) * 300), y2(y1.size()), ye(y1.size());
        linear_bf16_out(x.data(), m, w8.view, y1.data(), nullptr);
        linear_bf16_out(x.data(), m, w8.view, y2.data(), &pool);
        CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * 4) == 0);
        const Reference ref = reference(w8.view, x, m);
        simd::set_isa(simd::Isa::Scalar);
        linear_bf16_out(x.data(), m, w8.view, ye.data(), &pool);
        simd::set_isa(simd::Isa::Avx2);
        int bad = 0;
        for (std::size_t i = 0; i < ye.size(); ++i)
            bad += !same_bits(ye[i], round_bf16(ref.y[i]));
        CHECK_EQ(bad, 0);

        const OwnedWeight wf = make_weight(rng, WeightKind::BF16, 77, 300);
        const std::vector<float> xf = activations(rng, m, 300, -6, 4);
        std::vector<float> f1(std::size_t(m) * 77), f2(f1.size());
        linear_f32(xf.data(), m, wf.view, f1.data(), nullptr);
        linear_f32(xf.data(), m, wf.view, f2.data(), &pool);
        CHECK(std::memcmp(f1.data(), f2.data(), f1.size() * 4) == 0);
    }
}
