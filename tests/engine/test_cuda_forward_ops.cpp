// GPU tests (labels gpu, main) of the layer driver's kernels (engine/src/cuda/forward_ops.cu and
// the cuBLAS grouped GEMM) against their CPU references on random inputs: the exact FP32/BF16
// linear, the grouped wo_a einsum (exact kernel and cuBLAS), the strided FP8/FP4 simulations with
// their scales, hc_head, and the compressor chain (FP32 linears, gated pooling, norm, RoPE, FP8 or
// Hadamard + FP4) against compressor_forward, pending slots included. Without a usable CUDA device
// every case skips (exit 77).
#include <cublas_v2.h>

#include <cstring>

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cuda/ops.h"
#include "cuda_test_support.h"
#include "folio_test.h"
#include "model/compressor.h"
#include "model/hyper_connections.h"

using namespace folio;
using namespace cuda_test;

namespace {

std::vector<std::uint16_t> to_bf16_bits(const std::vector<float> &v)
{
    std::vector<std::uint16_t> b(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        b[i] = f32_to_bf16(v[i]);
    return b;
}

LinearWeight bf16_view(const std::vector<std::uint16_t> &bits, int out, int in)
{
    LinearWeight w;
    w.kind = WeightKind::BF16;
    w.out = out;
    w.in = in;
    w.data = reinterpret_cast<const std::uint8_t *>(bits.data());
    return w;
}

// The CPU's grouped wo_a (attention.cpp): z[i][r] = bf16(sum_k o[i][g*gin + k] * w[r][k]),
// g = r / rank, the sum in double rounded once.
std::vector<float> grouped_reference(const std::vector<float> &o, const std::vector<float> &w,
                                     int m, int groups, int gin, int rank)
{
    std::vector<float> z(std::size_t(m) * groups * rank);
    for (int i = 0; i < m; ++i)
        for (int r = 0; r < groups * rank; ++r) {
            const int g = r / rank;
            double acc = 0;
            for (int k = 0; k < gin; ++k)
                acc += double(o[std::size_t(i) * groups * gin + std::size_t(g) * gin + k])
                       * double(w[std::size_t(r) * gin + k]);
            z[std::size_t(i) * groups * rank + r] = round_bf16(float(acc));
        }
    return z;
}

} // namespace

FOLIO_TEST(cuda_linear_exact_matches_cpu)
{
    if (!gpu_ready())
        return;
    const int m = 3, k = 1024, n = 300;
    auto x = random_bf16(std::size_t(m) * k, 1.0f, 30);
    auto wf = random_bf16(std::size_t(n) * k, 0.05f, 31);
    const auto wb = to_bf16_bits(wf);
    const LinearWeight lw = bf16_view(wb, n, k);
    std::vector<float> want_f32(std::size_t(m) * n), want_bf16(std::size_t(m) * n);
    linear_f32(x.data(), m, lw, want_f32.data(), nullptr);
    linear_bf16_out(x.data(), m, lw, want_bf16.data(), nullptr);
    Dev<float> dx(x), dy(want_f32.size()), dyb(want_f32.size()), dwf(wf);
    Dev<std::uint16_t> dw(wb);
    CHECK_OK(cuda::linear_exact(dx.p, m, k, k, dw.p, true, n, n, false, dy.p, nullptr));
    CHECK_OK(cuda::linear_exact(dx.p, m, k, k, dw.p, true, n, n, true, dyb.p, nullptr));
    CHECK_NMSE(dy.get(), want_f32, 1e-12);
    CHECK_NMSE(dyb.get(), want_bf16, 1e-10);
    // FP32-stored weight (the F32 kind): the same values, the same sums.
    CHECK_OK(cuda::linear_exact(dx.p, m, k, k, dwf.p, false, n, n, false, dy.p, nullptr));
    CHECK_NMSE(dy.get(), want_f32, 1e-12);
}

FOLIO_TEST(cuda_grouped_wo_a_exact_and_cublas)
{
    if (!gpu_ready())
        return;
    const int groups = 4, gin = 256, rank = 96;
    for (int m : {2, 20}) { // the decode kernel and the cuBLAS prefill path
        auto o = random_bf16(std::size_t(m) * groups * gin, 1.0f, 32 + std::uint32_t(m));
        auto w = random_bf16(std::size_t(groups) * rank * gin, 0.05f, 33);
        const auto want = grouped_reference(o, w, m, groups, gin, rank);
        Dev<float> dx(o), dz(want.size());
        Dev<std::uint16_t> dw(to_bf16_bits(w)), xb(o.size());
        CHECK_OK(cuda::linear_exact(dx.p, m, gin, groups * gin, dw.p, true, groups * rank, rank,
                                    true, dz.p, nullptr));
        CHECK_NMSE(dz.get(), want, 1e-10);
        cublasHandle_t h = nullptr;
        REQUIRE(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS);
        CHECK_OK(
            cuda::linear_bf16_grouped(h, dx.p, m, groups, gin, dw.p, rank, xb.p, dz.p, nullptr));
        CHECK_NMSE(dz.get(), want, 1e-5);
        cublasDestroy(h);
    }
}

FOLIO_TEST(cuda_quant_simulate_strided_with_scales)
{
    if (!gpu_ready())
        return;
    // KV rows [rows, 512]: FP8 blocks of 64 over the first 448 columns, the rope part untouched.
    const int rows = 7, stride = 512, nope = 448;
    auto x = random_bf16(std::size_t(rows) * stride, 2.0f, 34);
    x[5] = 1e30f; // saturates
    auto want = x;
    std::vector<float> want_s(std::size_t(rows) * (nope / 64));
    for (int r = 0; r < rows; ++r)
        for (int b = 0; b < nope / 64; ++b)
            want_s[std::size_t(r) * (nope / 64) + b]
                = fp8_simulate_block(want.data() + std::size_t(r) * stride + 64 * b, 64);
    Dev<float> dx(x), ds(want_s.size());
    CHECK_OK(cuda::quant_simulate(dx.p, rows, stride, 0, nope, 64, false, ds.p, nullptr));
    CHECK(same_values(dx.get(), want));
    CHECK(same_values(ds.get(), want_s));
    // Indexer keys [rows, 128]: FP4 in blocks of 32 over every column.
    auto k = random_bf16(std::size_t(rows) * 128, 1.0f, 35);
    auto kwant = k;
    std::vector<float> kws(std::size_t(rows) * 4);
    for (int r = 0; r < rows; ++r)
        for (int b = 0; b < 4; ++b)
            kws[std::size_t(r) * 4 + b] = fp4_simulate_block(kwant.data() + r * 128 + 32 * b, 32);
    Dev<float> dk(k), dks(kws.size());
    CHECK_OK(cuda::quant_simulate(dk.p, rows, 128, 0, 128, 32, true, dks.p, nullptr));
    CHECK(same_values(dk.get(), kwant));
    CHECK(same_values(dks.get(), kws));
    CHECK(!cuda::quant_simulate(dk.p, rows, 128, 64, 128, 32, true, nullptr, nullptr));
}

FOLIO_TEST(cuda_hc_head_matches_cpu)
{
    if (!gpu_ready())
        return;
    ModelConfig cfg;
    cfg.hc_mult = 4;
    cfg.dim = 512;
    cfg.norm_eps = 1e-6;
    cfg.hc_eps = 1e-6;
    const int n = 5, hc = cfg.hc_mult, dim = cfg.dim;
    HcWeights w;
    w.fn = random_bf16(std::size_t(hc) * hc * dim, 0.02f, 36);
    w.base = random_bf16(std::size_t(hc), 0.5f, 37);
    w.scale = {0.7f};
    auto x = random_bf16(std::size_t(n) * hc * dim, 1.0f, 38);
    std::vector<float> want(std::size_t(n) * dim);
    hc_head(w, cfg, x.data(), n, want.data(), nullptr);
    Dev<float> dx(x), dfn(w.fn), dbase(w.base), dscale(w.scale), dy(want.size());
    CHECK_OK(cuda::hc_head(dx.p, n, hc, dim, dfn.p, dscale.p, dbase.p, float(cfg.hc_eps),
                           float(cfg.norm_eps), dy.p, nullptr));
    CHECK_NMSE(dy.get(), want, 1e-10);
}

namespace {

// The device compressor chain of cuda_forward.cpp for n tokens at `start`, against
// compressor_forward: entries (values and scales) and the pending slots afterwards.
void check_compressor(bool overlap_rotate, std::int64_t start, int n, std::uint32_t seed)
{
    const int ratio = overlap_rotate ? 4 : 8, c = overlap_rotate ? 128 : 256, dim = 256, rd = 64;
    const int coff = overlap_rotate ? 2 : 1, width = coff * c;
    const auto wkv_f = random_bf16(std::size_t(width) * dim, 0.05f, seed);
    const auto wgate_f = random_bf16(std::size_t(width) * dim, 0.05f, seed + 1);
    const auto wkv_b = to_bf16_bits(wkv_f), wgate_b = to_bf16_bits(wgate_f);
    CompressorWeights w;
    w.compress_ratio = ratio;
    w.head_dim = c;
    w.overlap = overlap_rotate;
    w.rotate = overlap_rotate;
    w.wkv = bf16_view(wkv_b, width, dim);
    w.wgate = bf16_view(wgate_b, width, dim);
    w.ape = random_bf16(std::size_t(ratio) * width, 0.3f, seed + 2);
    w.norm = random_bf16(std::size_t(c), 1.0f, seed + 3);
    const RopeFreqs rope = make_rope_freqs(rd, 160000.0, 65536, 16.0, 32.0, 1.0);
    // Pending slots as a previous call left them (start > 0): random, some still empty.
    CompressorState cpu_state;
    cpu_state.init(ratio, c);
    if (start > 0) {
        auto k = random_bf16(cpu_state.kv.size(), 1.0f, seed + 4);
        auto s = random_bf16(cpu_state.score.size(), 1.0f, seed + 5);
        cpu_state.kv = k;
        cpu_state.score = s;
    }
    const CompressorState before = cpu_state;
    const auto x = random_bf16(std::size_t(n) * dim, 1.0f, seed + 6);
    const CompressedEntries want = compressor_forward(w, rope, rd, 1e-6f, x.data(), n, start,
                                                      cpu_state, nullptr);
    const int n_new = int((start + n) / ratio - start / ratio);
    REQUIRE(int(want.ids.size()) == n_new);

    Dev<float> dx(x), dape(w.ape), dnorm(w.norm), dfreq(rope.freqs);
    Dev<std::uint16_t> dwkv(wkv_b), dwgate(wgate_b);
    Dev<float> skv(before.kv), ssc(before.score), ckv(std::size_t(n) * width),
        csc(std::size_t(n) * width), out(std::size_t(std::max(n_new, 1)) * c);
    const int blocks = overlap_rotate ? c / 32 : (c - rd) / 64;
    Dev<float> scales(std::size_t(std::max(n_new, 1)) * blocks);
    std::vector<std::int64_t> pos(std::size_t(std::max(n_new, 1)));
    for (int e = 0; e < n_new; ++e)
        pos[std::size_t(e)] = (start / ratio + e) * ratio;
    Dev<std::int64_t> dpos(pos);
    CHECK_OK(
        cuda::linear_exact(dx.p, n, dim, dim, dwkv.p, true, width, width, false, ckv.p, nullptr));
    CHECK_OK(
        cuda::linear_exact(dx.p, n, dim, dim, dwgate.p, true, width, width, false, csc.p, nullptr));
    CHECK_OK(cuda::compressor_pool(ckv.p, csc.p, dape.p, n, start, ratio, c, overlap_rotate, skv.p,
                                   ssc.p, out.p, nullptr));
    if (n_new > 0) {
        CHECK_OK(cuda::rms_norm(out.p, n_new, c, dnorm.p, 1e-6f, out.p, nullptr));
        CHECK_OK(cuda::rope(out.p, n_new, c, c - rd, rd, dpos.p, dfreq.p, false, nullptr));
        if (overlap_rotate) {
            CHECK_OK(cuda::hadamard(out.p, n_new, c, nullptr));
            CHECK_OK(cuda::quant_simulate(out.p, n_new, c, 0, c, 32, true, scales.p, nullptr));
        } else {
            CHECK_OK(cuda::quant_simulate(out.p, n_new, c, 0, c - rd, 64, false, scales.p, nullptr));
        }
        auto got = out.get();
        got.resize(std::size_t(n_new) * c);
        auto got_s = scales.get();
        got_s.resize(std::size_t(n_new) * blocks);
        CHECK_NMSE(got, want.values, 1e-10);
        CHECK(same_values(got_s, want.scales));
    }
    CHECK_NMSE(skv.get(), cpu_state.kv, 1e-12);
    CHECK(same_values(ssc.get(), cpu_state.score)); // -inf slots stay -inf
}

} // namespace

FOLIO_TEST(cuda_compressor_matches_cpu)
{
    if (!gpu_ready())
        return;
    check_compressor(true, 0, 13, 40);  // overlap + Hadamard/FP4 (indexer), prefill from 0
    check_compressor(true, 6, 1, 50);   // one decode step that closes no window
    check_compressor(true, 7, 1, 55);   // one decode step that closes a window
    check_compressor(false, 0, 20, 60); // plain windows, FP8 (HCA-like), two entries
    check_compressor(false, 13, 9, 70); // from a pending window
}
