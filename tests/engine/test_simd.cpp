// cpu/simd kernels against the scalar reference: the AVX2 FP8/FP4 GEMV/GEMM must be bit-identical
// to the scalar kernels, and the scalar kernels bit-identical to cpu/linear.cpp's
// linear_bf16_out / linear_f32 (the path the golden tests check). BF16/F32 dense kernels are
// bit-identical when the double sum is exact and within one FP32 ulp otherwise (kernels.h).
#include "cpu/linear.h"
#include "cpu/simd/kernels.h"
#include "quant.h"

#include "folio_test.h"

#include <cmath>
#include <cstdint>
#include <cstring>
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

struct Quantised
{
    std::vector<float> q, s;
};

Quantised quantise(const std::vector<float> &x, int m, int k)
{
    Quantised a{std::vector<float>(x.size()), std::vector<float>(std::size_t(m) * (k / 128))};
    for (int i = 0; i < m; ++i)
        act_quant_row(x.data() + std::size_t(i) * k, k, a.q.data() + std::size_t(i) * k,
                      a.s.data() + std::size_t(i) * (k / 128));
    return a;
}

struct OwnedWeight
{
    std::vector<std::uint8_t> data, scale;
    LinearWeight view;
};

OwnedWeight fp8_weight(Rng &rng, int out, int in)
{
    OwnedWeight w;
    w.data.resize(std::size_t(out) * in);
    for (auto &b : w.data) {
        b = std::uint8_t(rng.uniform_int(0, 255));
        if ((b & 0x7f) == 0x7f) // NaN codes are tested separately
            b = std::uint8_t(b - 1);
    }
    const int tiles = ((out + 127) / 128) * ((in + 127) / 128);
    w.scale.resize(tiles);
    for (auto &s : w.scale)
        s = std::uint8_t(rng.uniform_int(117, 130));
    w.view = {WeightKind::FP8, out, in, w.data.data(), w.scale.data(), false};
    return w;
}

OwnedWeight fp4_weight(Rng &rng, int out, int in)
{
    OwnedWeight w;
    w.data.resize(std::size_t(out) * in / 2);
    for (auto &b : w.data)
        b = std::uint8_t(rng.uniform_int(0, 255));
    w.scale.resize(std::size_t(out) * in / 32);
    for (auto &s : w.scale)
        s = std::uint8_t(rng.uniform_int(117, 130));
    w.view = {WeightKind::FP4, out, in, w.data.data(), nullptr, false};
    w.view.scale = w.scale.data();
    return w;
}

OwnedWeight bf16_weight(Rng &rng, int out, int in, int lo, int hi)
{
    OwnedWeight w;
    w.data.resize(std::size_t(out) * in * 2);
    for (std::size_t i = 0; i < std::size_t(out) * in; ++i) {
        const std::uint16_t b = f32_to_bf16(rng.bf16_value(lo, hi));
        std::memcpy(w.data.data() + 2 * i, &b, 2);
    }
    w.view = {WeightKind::BF16, out, in, w.data.data(), nullptr, false};
    return w;
}

bool same_bits(float a, float b)
{
    return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b));
}

// Quantised kernel (all ISAs, full and partial column ranges) vs linear_bf16_out.
int check_quant(const OwnedWeight &w, const std::vector<float> &x, int m)
{
    const int N = w.view.out, K = w.view.in;
    std::vector<float> ref(std::size_t(m) * N);
    linear_bf16_out(x.data(), m, w.view, ref.data(), nullptr);
    const Quantised a = quantise(x, m, K);
    int bad = 0;
    for (simd::Isa isa : {simd::Isa::Scalar, simd::best_isa()}) {
        std::vector<float> y(std::size_t(m) * N, -1.0f);
        // Two column ranges, split off a 128-row tile boundary, as threads would split them.
        const int split = N / 3;
        simd::quant_linear_cols(a.q.data(), a.s.data(), m, w.view, 0, split, y.data(), isa);
        simd::quant_linear_cols(a.q.data(), a.s.data(), m, w.view, split, N, y.data(), isa);
        for (std::size_t i = 0; i < y.size(); ++i)
            if (!same_bits(round_bf16(y[i]), ref[i]))
                ++bad;
    }
    return bad;
}

} // namespace

FOLIO_TEST(simd_dispatch)
{
    CHECK(simd::active_isa() == simd::best_isa() || simd::active_isa() == simd::Isa::Scalar);
    simd::set_isa(simd::Isa::Scalar);
    CHECK(simd::active_isa() == simd::Isa::Scalar);
    simd::set_isa(simd::Isa::Avx2);
    CHECK(simd::active_isa() == simd::best_isa());
    std::printf("best ISA: %s\n", simd::isa_name(simd::best_isa()));
}

FOLIO_TEST(simd_fp8_gemv_gemm_bit_identical)
{
    Rng rng(1);
    for (int m : {1, 2, 3, 4, 5, 9}) {
        for (int K : {128, 384}) {
            const OwnedWeight w = fp8_weight(rng, 200, K); // 200 rows: a partial 128-row tile
            // Activations whose blocks have very different amax, so block scales differ.
            const std::vector<float> x = activations(rng, m, K, -20, 12);
            CHECK_EQ(check_quant(w, x, m), 0);
        }
    }
}

FOLIO_TEST(simd_fp8_every_code)
{
    // Every E4M3 code (normals, subnormals, both zeros, both signs) in one row per code pair.
    Rng rng(2);
    const int K = 256, N = 128;
    OwnedWeight w = fp8_weight(rng, N, K);
    for (int n = 0; n < N; ++n)
        for (int k = 0; k < K; ++k) {
            std::uint8_t code = std::uint8_t((n * 2 + k) & 0xff);
            if ((code & 0x7f) == 0x7f)
                code = 0;
            w.data[std::size_t(n) * K + k] = code;
        }
    CHECK_EQ(check_quant(w, activations(rng, 3, K, -12, 8), 3), 0);
    // NaN codes decode to NaN in every ISA, as in the reference.
    w.data[5] = 0x7f;
    w.data[K + 7] = 0xff;
    const std::vector<float> x = activations(rng, 1, K, -4, 4);
    const Quantised a = quantise(x, 1, K);
    for (simd::Isa isa : {simd::Isa::Scalar, simd::best_isa()}) {
        std::vector<float> y(N);
        simd::quant_linear_cols(a.q.data(), a.s.data(), 1, w.view, 0, N, y.data(), isa);
        CHECK(std::isnan(y[0]));
        CHECK(std::isnan(y[1]));
        CHECK(!std::isnan(y[2]));
    }
}

FOLIO_TEST(simd_fp4_gemv_gemm_bit_identical)
{
    Rng rng(3);
    for (int m : {1, 4, 7}) {
        for (int K : {128, 512}) {
            const OwnedWeight w = fp4_weight(rng, 96, K);
            CHECK_EQ(check_quant(w, activations(rng, m, K, -20, 12), m), 0);
        }
    }
}

FOLIO_TEST(simd_bf16_exact_range_bit_identical)
{
    // Magnitudes 2^-4..2^3: every double partial sum is exact, so any order gives the same bits.
    Rng rng(4);
    for (int m : {1, 4, 6}) {
        for (int K : {64, 1000}) { // 1000: a K tail that is not a multiple of 8
            const OwnedWeight w = bf16_weight(rng, 70, K, -4, 3);
            const std::vector<float> x = activations(rng, m, K, -4, 3);
            std::vector<float> ref(std::size_t(m) * 70);
            linear_bf16_out(x.data(), m, w.view, ref.data(), nullptr);
            for (simd::Isa isa : {simd::Isa::Scalar, simd::best_isa()}) {
                std::vector<float> y(ref.size());
                simd::dense_linear_cols(x.data(), m, w.view, 0, 70, y.data(), isa);
                int bad = 0;
                for (std::size_t i = 0; i < y.size(); ++i)
                    bad += !same_bits(round_bf16(y[i]), ref[i]);
                CHECK_EQ(bad, 0);
            }
        }
    }
}

FOLIO_TEST(simd_bf16_wide_range_within_one_ulp)
{
    // Magnitudes 2^-30..2^30: the double sum may round, so the AVX2 order may differ from the
    // sequential one; the scalar kernel still equals linear_f32 exactly.
    Rng rng(5);
    const int m = 5, K = 768, N = 40;
    const OwnedWeight w = bf16_weight(rng, N, K, -30, 30);
    const std::vector<float> x = activations(rng, m, K, -30, 30);
    std::vector<float> ref(std::size_t(m) * N), ys(ref.size()), yv(ref.size());
    linear_f32(x.data(), m, w.view, ref.data(), nullptr);
    simd::dense_linear_cols(x.data(), m, w.view, 0, N, ys.data(), simd::Isa::Scalar);
    simd::dense_linear_cols(x.data(), m, w.view, 0, N, yv.data(), simd::best_isa());
    int bad_scalar = 0, bad_fast = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        bad_scalar += !same_bits(ys[i], ref[i]);
        bad_fast += std::fabs(yv[i] - ref[i]) > std::fabs(std::nextafter(ref[i], 0.0f) - ref[i]);
    }
    CHECK_EQ(bad_scalar, 0);
    CHECK_EQ(bad_fast, 0);
}

FOLIO_TEST(simd_f32_matches_linear_f32)
{
    Rng rng(6);
    const int m = 3, K = 200, N = 33;
    std::vector<float> wf(std::size_t(N) * K);
    for (float &v : wf)
        v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng.gen);
    const LinearWeight w{WeightKind::F32,
                         N,
                         K,
                         reinterpret_cast<const std::uint8_t *>(wf.data()),
                         nullptr,
                         false};
    const std::vector<float> x = activations(rng, m, K, -3, 2);
    std::vector<float> ref(std::size_t(m) * N), ys(ref.size()), yv(ref.size());
    linear_f32(x.data(), m, w, ref.data(), nullptr);
    simd::dense_linear_cols(x.data(), m, w, 0, N, ys.data(), simd::Isa::Scalar);
    simd::dense_linear_cols(x.data(), m, w, 0, N, yv.data(), simd::best_isa());
    int bad_scalar = 0, bad_fast = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        bad_scalar += !same_bits(ys[i], ref[i]);
        bad_fast += std::fabs(yv[i] - ref[i]) > std::fabs(std::nextafter(ref[i], 0.0f) - ref[i]);
    }
    CHECK_EQ(bad_scalar, 0);
    CHECK_EQ(bad_fast, 0);
}
