// Exhaustive tests of the number formats in engine/src/quant.h: every E4M3 and E2M1 code, round to
// nearest even at every midpoint, saturation, BF16 rounding, E8M0 and the power-of-two scale rule.
#include "folio_test.h"
#include "quant.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using namespace folio;

namespace {

// Brute force: the code whose value is nearest to x; at a tie the code with an even lowest bit.
// Searches only non-negative codes of `n` codes with `decode`, then applies the sign.
template<class Decode>
int nearest_code(float x, int n_codes, int sign_bit, Decode decode)
{
    const double a = std::fabs(double(x));
    int best = -1;
    double best_d = 0;
    for (int c = 0; c < n_codes; ++c) {
        const double v = decode(std::uint8_t(c));
        if (std::isnan(v))
            continue;
        const double d = std::fabs(v - a);
        if (best < 0 || d < best_d || (d == best_d && (c & 1) == 0)) {
            best = c;
            best_d = d;
        }
    }
    return std::signbit(x) ? (best | sign_bit) : best;
}

} // namespace

FOLIO_TEST(quant_e4m3_every_code_roundtrips)
{
    int finite = 0;
    for (int c = 0; c < 256; ++c) {
        const float v = e4m3_decode(std::uint8_t(c));
        if (std::isnan(v)) {
            CHECK((c & 0x7f) == 0x7f);
            continue;
        }
        ++finite;
        if (c == 0x80) { // -0
            CHECK(std::signbit(v));
            CHECK_EQ(int(e4m3_encode(v)), 0x80);
            continue;
        }
        CHECK_EQ(int(e4m3_encode(v)), c);
    }
    CHECK_EQ(finite, 254);
    CHECK_EQ(e4m3_decode(0x7e), 448.0f);
    CHECK_EQ(e4m3_decode(0x38), 1.0f);
    CHECK_EQ(e4m3_decode(0x01), std::ldexp(1.0f, -9));
    CHECK_EQ(e4m3_decode(0x08), std::ldexp(1.0f, -6));
}

FOLIO_TEST(quant_e4m3_rne_at_every_midpoint_and_between)
{
    // Every midpoint between consecutive non-negative codes, and points just off it.
    for (int c = 0; c < 0x7e; ++c) {
        const float lo = e4m3_decode(std::uint8_t(c));
        const float hi = e4m3_decode(std::uint8_t(c + 1));
        const float mid = 0.5f * (lo + hi); // exact: one more bit than E4M3 has
        const int even = (c % 2 == 0) ? c : c + 1;
        CHECK_EQ(int(e4m3_encode(mid)), even);
        CHECK_EQ(int(e4m3_encode(-mid)), even | 0x80);
        CHECK_EQ(int(e4m3_encode(std::nextafter(mid, 0.0f))), c);
        CHECK_EQ(int(e4m3_encode(std::nextafter(mid, 1000.0f))), c + 1);
    }
    // Every BF16 value in range against brute force.
    for (int b = 0; b < 65536; ++b) {
        const float x = bf16_to_f32(std::uint16_t(b));
        if (!std::isfinite(x) || std::fabs(x) >= 448.0f)
            continue;
        CHECK_EQ(int(e4m3_encode(x)), nearest_code(x, 128, 0x80, e4m3_decode));
    }
}

FOLIO_TEST(quant_e4m3_saturates)
{
    CHECK_EQ(int(e4m3_encode(448.0f)), 0x7e);
    CHECK_EQ(int(e4m3_encode(449.0f)), 0x7e);
    CHECK_EQ(int(e4m3_encode(1e30f)), 0x7e);
    CHECK_EQ(int(e4m3_encode(-1e30f)), 0xfe);
    CHECK_EQ(int(e4m3_encode(std::numeric_limits<float>::infinity())), 0x7e);
    CHECK_EQ(int(e4m3_encode(std::nanf(""))), 0x7f);
    // Below half the smallest subnormal: zero; at exactly half: tie to even = zero.
    CHECK_EQ(int(e4m3_encode(std::ldexp(1.0f, -10))), 0);
    CHECK_EQ(int(e4m3_encode(std::ldexp(1.5f, -10))), 1);
}

FOLIO_TEST(quant_e2m1_every_code_and_midpoint)
{
    const float values[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int c = 0; c < 16; ++c) {
        const float v = e2m1_decode(std::uint8_t(c));
        CHECK_EQ(std::fabs(v), values[c & 7]);
        if (c != 8) // -0 encodes as 8 too, checked below
            CHECK_EQ(int(e2m1_encode(v)), c);
    }
    CHECK_EQ(int(e2m1_encode(-0.0f)), 8);
    // Midpoints: 0.25->0, 0.75->1.0, 1.25->1.0, 1.75->2.0, 2.5->2.0, 3.5->4.0, 5->4.0.
    CHECK_EQ(e2m1_decode(e2m1_encode(0.25f)), 0.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(0.75f)), 1.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(1.25f)), 1.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(1.75f)), 2.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(2.5f)), 2.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(3.5f)), 4.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(5.0f)), 4.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(-5.0f)), -4.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(5.0001f)), 6.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(100.0f)), 6.0f);
    CHECK_EQ(e2m1_decode(e2m1_encode(-100.0f)), -6.0f);
    for (int b = 0; b < 65536; ++b) {
        const float x = bf16_to_f32(std::uint16_t(b));
        if (!std::isfinite(x) || std::fabs(x) > 6.0f)
            continue;
        CHECK_EQ(int(e2m1_encode(x)), nearest_code(x, 8, 8, e2m1_decode));
    }
}

FOLIO_TEST(quant_bf16_round_to_nearest_even)
{
    CHECK_EQ(int(f32_to_bf16(1.0f)), 0x3f80);
    // 1 + 2^-8 is exactly between 1 and 1+2^-7: ties to even (1.0).
    CHECK_EQ(int(f32_to_bf16(1.0f + std::ldexp(1.0f, -8))), 0x3f80);
    // 1 + 3*2^-8 is between 1+2^-7 (odd) and 1+2^-6 (even): up.
    CHECK_EQ(int(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8))), 0x3f82);
    CHECK_EQ(int(f32_to_bf16(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f))), 0x3f81);
    CHECK(std::isnan(round_bf16(std::nanf(""))));
    CHECK(std::isinf(round_bf16(std::numeric_limits<float>::infinity())));
    // Overflow rounds to infinity as torch does.
    CHECK(std::isinf(round_bf16(3.4028235e38f)));
    std::mt19937 rng(7);
    for (int i = 0; i < 200000; ++i) {
        const float x = bits_to_f32(rng() & 0x7f7fffffu) * ((i & 1) ? -1.0f : 1.0f);
        const float r = round_bf16(x);
        if (!std::isfinite(r)) { // beyond the largest BF16: overflow to infinity, checked above
            CHECK(std::fabs(x) > 3.38953139e38f);
            continue;
        }
        // r is a BF16 value, and no BF16 value is nearer.
        CHECK_EQ(f32_to_bits(r) & 0xffffu, 0u);
        const std::uint32_t rb = f32_to_bits(r);
        const float up = bits_to_f32(rb + 0x10000u), down = bits_to_f32(rb - 0x10000u);
        const double d = std::fabs(double(x) - r);
        if (std::isfinite(up))
            CHECK(d <= std::fabs(double(x) - up));
        if ((rb & 0x7fffffffu) != 0) // no smaller magnitude below zero
            CHECK(d <= std::fabs(double(x) - down));
    }
}

FOLIO_TEST(quant_e8m0_and_pow2_scale_rule)
{
    CHECK_EQ(e8m0_decode(127), 1.0f);
    CHECK_EQ(e8m0_decode(128), 2.0f);
    CHECK_EQ(e8m0_decode(120), std::ldexp(1.0f, -7));
    CHECK(std::isnan(e8m0_decode(255)));
    for (int e = 1; e < 255; ++e)
        CHECK_EQ(int(e8m0_encode_pow2(e8m0_decode(std::uint8_t(e)))), e);
    CHECK_EQ(fast_log2_ceil(1.0f), 0);
    CHECK_EQ(fast_log2_ceil(1.5f), 1);
    CHECK_EQ(fast_log2_ceil(0.5f), -1);
    CHECK_EQ(fast_log2_ceil(std::nextafter(0.5f, 1.0f)), 0);
    CHECK_EQ(fast_pow2(-3), 0.125f);
    // amax = 448 -> 448 * fp32(1/448) rounds to exactly 1 -> scale 1; a hair more -> 2.
    CHECK_EQ(fp8_block_scale(448.0f), 1.0f);
    CHECK_EQ(fp8_block_scale(std::nextafter(448.0f, 1000.0f)), 2.0f);
    CHECK_EQ(fp8_block_scale(224.0f), 0.5f);
    CHECK_EQ(fp8_block_scale(300.0f), 1.0f);
    // The 1e-4 floor: amax 0 behaves like 1e-4.
    CHECK_EQ(fp8_block_scale(0.0f), fp8_block_scale(1e-4f));
    CHECK_EQ(fp8_block_scale(0.0f), std::ldexp(1.0f, -22));
    // Every scale is a power of two and amax/scale <= 448 (no clipping by the rule itself).
    std::mt19937 rng(3);
    for (int i = 0; i < 100000; ++i) {
        const float amax = std::ldexp(float(rng() % 1000000 + 1), int(rng() % 40) - 30);
        const float s = fp8_block_scale(amax);
        int e;
        CHECK_EQ(std::frexp(s, &e), 0.5f);
        CHECK(amax / s <= 448.0f || amax < 1e-4f);
        const float s4 = fp4_block_scale(amax);
        CHECK_EQ(std::frexp(s4, &e), 0.5f);
        CHECK(amax / s4 <= 6.0f * (1 + 1e-6f));
    }
    CHECK_EQ(fp4_block_scale(6.0f), 1.0f);
    CHECK_EQ(fp4_block_scale(12.0f), 2.0f);
    CHECK_EQ(fp4_block_scale(0.0f), std::ldexp(1.0f, -126));
}

FOLIO_TEST(quant_block_simulation)
{
    float x[64];
    for (int i = 0; i < 64; ++i)
        x[i] = round_bf16(std::sin(float(i)) * 3.0f);
    float y[64];
    std::copy(x, x + 64, y);
    const float s = fp8_simulate_block(y, 64);
    for (int i = 0; i < 64; ++i) {
        // Each output is an E4M3 value times s, and the nearest one to x.
        const float q = y[i] / s;
        CHECK_EQ(e4m3_decode(e4m3_encode(q)), q);
        CHECK_EQ(y[i], e4m3_decode(e4m3_encode(x[i] / s)) * s);
    }
    std::copy(x, x + 64, y);
    const float s4 = fp4_simulate_block(y, 32);
    for (int i = 0; i < 32; ++i)
        CHECK_EQ(y[i], e2m1_decode(e2m1_encode(x[i] / s4)) * s4);
    for (int i = 32; i < 64; ++i)
        CHECK_EQ(y[i], x[i]);
}
