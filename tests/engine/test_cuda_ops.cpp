// GPU tests (labels gpu, main): every CUDA kernel of engine/src/cuda against its CPU reference on
// random inputs. Ops whose reference is exact in FP32 (quantisation, RMSNorm, RoPE, SwiGLU,
// Hadamard, the FP8/FP4 linears, top-k) must agree bit for bit or within a tiny NMSE; the cuBLAS
// BF16 GEMM and attention (different summation order) within per-op NMSE thresholds. Positions of
// inf/NaN must be equal. Without a usable CUDA device (any start-up error) every case skips, and
// the executable exits 77.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cuda/memory.h"
#include "cuda/ops.h"
#include "cuda_test_support.h"
#include "folio_test.h"
#include "model/hyper_connections.h"
#include "model/moe.h"
#include "quant.h"

using namespace folio;
using namespace cuda_test;

FOLIO_TEST(cuda_rms_norm)
{
    if (!gpu_ready())
        return;
    const int m = 5, d = 4096;
    auto x = random_bf16(std::size_t(m) * d, 3.0f, 1);
    auto w = random_bf16(d, 1.0f, 2);
    std::vector<float> want(x.size());
    rms_norm_bf16(x.data(), m, d, w.data(), 1e-6f, want.data());
    Dev<float> dx(x), dw(w), dy(x.size());
    CHECK_OK(cuda::rms_norm(dx.p, m, d, dw.p, 1e-6f, dy.p, nullptr));
    CHECK_NMSE(dy.get(), want, 1e-6);
}

FOLIO_TEST(cuda_rope_yarn)
{
    if (!gpu_ready())
        return;
    const int m = 7, stride = 512, col = 448, rd = 64;
    RopeFreqs f = make_rope_freqs(rd, 160000.0, 65536, 16.0, 32.0, 1.0);
    auto x = random_bf16(std::size_t(m) * stride, 1.0f, 3);
    std::vector<std::int64_t> pos = {0, 1, 17, 4095, 65537, 300000, 1048575};
    for (int inverse = 0; inverse < 2; ++inverse) {
        std::vector<float> want = x;
        for (int i = 0; i < m; ++i)
            apply_rope(want.data() + std::size_t(i) * stride + col, f, pos[i], inverse != 0);
        Dev<float> dx(x), df(f.freqs);
        Dev<std::int64_t> dp(pos);
        CHECK_OK(cuda::rope(dx.p, m, stride, col, rd, dp.p, df.p, inverse != 0, nullptr));
        CHECK_NMSE(dx.get(), want, 1e-5);
    }
}

FOLIO_TEST(cuda_swiglu_clamp)
{
    if (!gpu_ready())
        return;
    const int m = 3, inter = 2048;
    const float limit = 10.0f;
    auto g = random_bf16(std::size_t(m) * inter, 8.0f, 4);
    auto u = random_bf16(std::size_t(m) * inter, 8.0f, 5);
    std::vector<float> wts = {0.5f, 1.25f, 0.0625f};
    std::vector<float> want(g.size());
    for (std::size_t k = 0; k < g.size(); ++k) {
        const float uu = std::clamp(u[k], -limit, limit), gg = std::min(g[k], limit);
        const float t = float(double(gg) / (1.0 + std::exp(-double(gg)))) * uu;
        want[k] = round_bf16(wts[k / inter] * t);
    }
    Dev<float> dg(g), du(u), dw(wts);
    CHECK_OK(cuda::swiglu(dg.p, du.p, m, inter, limit, dw.p, nullptr));
    CHECK_NMSE(dg.get(), want, 1e-6);
}

FOLIO_TEST(cuda_quant_simulations_exact)
{
    if (!gpu_ready())
        return;
    const int rows = 4, n = 1024;
    auto x = random_bf16(std::size_t(rows) * n, 20.0f, 6);
    x[5] = 0.0f;
    for (int i = 128; i < 256; ++i)
        x[i] = 0.0f;   // an all-zero block: the amax floor
    x[300] = NAN;      // NaN passes the clamp as on the CPU
    x[700] = INFINITY; // an infinite amax
    std::vector<float> w8 = x, w4 = x;
    for (std::size_t b = 0; b < x.size() / 128; ++b)
        fp8_simulate_block(w8.data() + b * 128, 128);
    for (std::size_t b = 0; b < x.size() / 32; ++b)
        fp4_simulate_block(w4.data() + b * 32, 32);
    Dev<float> d8(x), d4(x);
    CHECK_OK(cuda::fp8_simulate(d8.p, rows, n, 128, nullptr));
    CHECK_OK(cuda::fp4_simulate(d4.p, rows, n, 32, nullptr));
    CHECK(same_values(d8.get(), w8));
    CHECK(same_values(d4.get(), w4));
    std::vector<float> q(x.size()), s(x.size() / 128);
    for (int i = 0; i < rows; ++i)
        act_quant_row(x.data() + std::size_t(i) * n, n, q.data() + std::size_t(i) * n,
                      s.data() + std::size_t(i) * (n / 128));
    Dev<float> dx(x), dq(x.size()), ds(s.size());
    CHECK_OK(cuda::act_quant(dx.p, rows, n, dq.p, ds.p, nullptr));
    CHECK(same_values(dq.get(), q));
    CHECK(same_values(ds.get(), s));
    Dev<float> bad(x);
    CHECK(!cuda::fp8_simulate(bad.p, 1, 100, 128, nullptr));
}

FOLIO_TEST(cuda_hadamard)
{
    if (!gpu_ready())
        return;
    for (int n : {64, 128, 1024}) {
        const int rows = 3;
        auto x = random_bf16(std::size_t(rows) * n, 2.0f, 7 + n);
        std::vector<float> want = x;
        for (int i = 0; i < rows; ++i)
            hadamard_bf16(want.data() + std::size_t(i) * n, n);
        Dev<float> dx(x);
        CHECK_OK(cuda::hadamard(dx.p, rows, n, nullptr));
        CHECK(dx.get() == want);
    }
    Dev<float> dx(std::size_t(100));
    CHECK(!cuda::hadamard(dx.p, 1, 100, nullptr));
}

FOLIO_TEST(cuda_embedding_gather)
{
    if (!gpu_ready())
        return;
    const int vocab = 50, dim = 256;
    std::mt19937 rng(8);
    std::vector<std::uint16_t> table(std::size_t(vocab) * dim);
    for (auto &t : table)
        t = f32_to_bf16(std::normal_distribution<float>(0, 1)(rng));
    std::vector<int> ids = {0, 49, 7, 7};
    Dev<std::uint16_t> dt(table);
    Dev<int> di(ids);
    Dev<float> dy(ids.size() * dim);
    CHECK_OK(cuda::embedding_gather(dt.p, vocab, dim, di.p, int(ids.size()), dy.p, nullptr));
    auto y = dy.get();
    bool same = true;
    for (std::size_t i = 0; i < ids.size(); ++i)
        for (int c = 0; c < dim; ++c)
            same = same && y[i * dim + c] == bf16_to_f32(table[std::size_t(ids[i]) * dim + c]);
    CHECK(same);
}

namespace {

void check_quant_linear(bool fp4, int m, int k, int n, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    auto x = random_bf16(std::size_t(m) * k, 1.0f, seed + 1);
    std::vector<std::uint8_t> w, s;
    if (fp4) {
        w.resize(std::size_t(n) * k / 2);
        s.resize(std::size_t(n) * k / 32);
    } else {
        w.resize(std::size_t(n) * k);
        s.resize(std::size_t((n + 127) / 128) * ((k + 127) / 128));
    }
    for (auto &b : w) {
        b = std::uint8_t(rng());
        if (!fp4 && (b & 0x7f) == 0x7f)
            b ^= 1; // no NaN codes
    }
    for (auto &b : s)
        b = std::uint8_t(118 + rng() % 12);
    LinearWeight lw;
    lw.kind = fp4 ? WeightKind::FP4 : WeightKind::FP8;
    lw.out = n;
    lw.in = k;
    lw.data = w.data();
    lw.scale = s.data();
    std::vector<float> want(std::size_t(m) * n);
    linear_bf16_out(x.data(), m, lw, want.data(), nullptr);
    Dev<float> dx(x), work(std::size_t(m) * k + std::size_t(m) * (k / 128)), dy(want.size());
    Dev<std::uint8_t> dw(w), ds(s);
    CHECK_OK(fp4 ? cuda::linear_fp4(dx.p, m, k, dw.p, ds.p, n, work.p, dy.p, nullptr)
                 : cuda::linear_fp8(dx.p, m, k, dw.p, ds.p, n, work.p, dy.p, nullptr));
    CHECK(dy.get() == want);
}

} // namespace

FOLIO_TEST(cuda_linear_fp8_exact)
{
    if (!gpu_ready())
        return;
    check_quant_linear(false, 1, 1024, 300, 10);
    check_quant_linear(false, 4, 512, 256, 11);
    check_quant_linear(false, 8, 256, 64, 50);   // the smallest m of the tiled (prefill) kernel
    check_quant_linear(false, 70, 640, 200, 51); // partial tiles in m and n
}

FOLIO_TEST(cuda_linear_fp4_exact)
{
    if (!gpu_ready())
        return;
    check_quant_linear(true, 1, 1024, 200, 12);
    check_quant_linear(true, 3, 256, 64, 13);
    check_quant_linear(true, 33, 512, 130, 52); // tiled kernel, partial tiles
}

FOLIO_TEST(cuda_linear_bf16_cublas)
{
    if (!gpu_ready())
        return;
    const int m = 6, k = 1024, n = 384;
    auto x = random_bf16(std::size_t(m) * k, 1.0f, 14);
    auto wf = random_bf16(std::size_t(n) * k, 0.05f, 15);
    std::vector<std::uint16_t> w(wf.size());
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = f32_to_bf16(wf[i]);
    LinearWeight lw;
    lw.kind = WeightKind::BF16;
    lw.out = n;
    lw.in = k;
    lw.data = reinterpret_cast<const std::uint8_t *>(w.data());
    std::vector<float> want(std::size_t(m) * n);
    linear_bf16_out(x.data(), m, lw, want.data(), nullptr);
    cublasHandle_t h = nullptr;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
        folio_test::fail(__FILE__, __LINE__, "cublasCreate failed");
        return;
    }
    Dev<float> dx(x), dy(want.size());
    Dev<std::uint16_t> dw(w), xb(x.size());
    CHECK_OK(cuda::linear_bf16(h, dx.p, m, k, dw.p, n, xb.p, dy.p, nullptr));
    CHECK_NMSE(dy.get(), want, 1e-5);
    cublasDestroy(h);
}

FOLIO_TEST(cuda_sparse_attention_sink)
{
    if (!gpu_ready())
        return;
    const int m = 3, heads = 4, d = 512, n_kv = 300, n_keys = 200;
    auto q = random_bf16(std::size_t(m) * heads * d, 1.0f, 16);
    auto kv = random_bf16(std::size_t(n_kv) * d, 1.0f, 17);
    std::vector<float> sink = {0.5f, -1.0f, 2.0f, 0.0f};
    std::mt19937 rng(18);
    std::vector<int> idx(std::size_t(m) * n_keys);
    for (int t = 0; t < m; ++t)
        for (int j = 0; j < n_keys; ++j)
            idx[std::size_t(t) * n_keys + j] = (t == 2 && j < 100) || rng() % 7 == 0
                                                   ? -1
                                                   : int(rng() % n_kv);
    const float scale = 1.0f / std::sqrt(float(d));
    std::vector<float> want(q.size());
    std::vector<const float *> keys(n_keys);
    for (int t = 0; t < m; ++t) {
        for (int j = 0; j < n_keys; ++j) {
            const int id = idx[std::size_t(t) * n_keys + j];
            keys[j] = id < 0 ? nullptr : kv.data() + std::size_t(id) * d;
        }
        sparse_attn_token(q.data() + std::size_t(t) * heads * d, heads, d, keys.data(), n_keys,
                          sink.data(), scale, want.data() + std::size_t(t) * heads * d);
    }
    Dev<float> dq(q), dkv(kv), ds(sink), dout(q.size());
    Dev<int> di(idx);
    CHECK_OK(cuda::sparse_attention(dq.p, m, heads, d, dkv.p, di.p, n_keys, ds.p, scale, dout.p,
                                    nullptr));
    CHECK_NMSE(dout.get(), want, 1e-5);
}

FOLIO_TEST(cuda_topk_radix_select)
{
    if (!gpu_ready())
        return;
    const int rows = 2, n = 262144, k = 512;
    std::mt19937 rng(19);
    std::vector<float> s(std::size_t(rows) * n);
    for (auto &v : s)
        v = round_bf16(std::normal_distribution<float>(0, 1)(rng)); // BF16 values: many ties
    for (int i = 0; i < 1000; ++i)
        s[std::size_t(n) + rng() % n] = -INFINITY;
    std::vector<int> want_all;
    std::vector<int> want;
    for (int r = 0; r < rows; ++r) {
        topk_desc(s.data() + std::size_t(r) * n, n, k, want);
        want_all.insert(want_all.end(), want.begin(), want.end());
    }
    Dev<float> ds(s);
    Dev<int> dout(want_all.size());
    CHECK_OK(cuda::topk(ds.p, rows, n, k, dout.p, nullptr));
    CHECK(dout.get() == want_all);
    // all-equal scores: the lowest indices in order
    std::vector<float> flat(1000, 1.0f);
    Dev<float> dflat(flat);
    Dev<int> dk(std::size_t(10));
    CHECK_OK(cuda::topk(dflat.p, 1, 1000, 10, dk.p, nullptr));
    CHECK((dk.get() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    CHECK(!cuda::topk(ds.p, 1, n, 4096, dout.p, nullptr));
}

FOLIO_TEST(cuda_indexer_scores_then_topk)
{
    if (!gpu_ready())
        return;
    // The scoring loop of model/indexer.cpp, restated: per head a BF16-rounded, ReLU'd dot
    // product times the head weight (rounded), summed over heads in FP32, rounded to BF16.
    const int m = 2, ih = 64, id = 128, n = 3000, width = 512;
    auto q = random_bf16(std::size_t(m) * ih * id, 1.0f, 20);
    auto hw = random_bf16(std::size_t(m) * ih, 0.01f, 21);
    auto keys = random_bf16(std::size_t(n) * id, 1.0f, 22);
    std::vector<int> visible = {n, 1200};
    std::vector<float> want(std::size_t(m) * n, -INFINITY);
    std::vector<int> want_top, top;
    for (int i = 0; i < m; ++i) {
        for (int t = 0; t < visible[i]; ++t) {
            float acc = 0.0f;
            for (int h = 0; h < ih; ++h) {
                double dot = 0;
                for (int c = 0; c < id; ++c)
                    dot += double(q[(std::size_t(i) * ih + h) * id + c])
                           * double(keys[std::size_t(t) * id + c]);
                const float s = std::max(round_bf16(float(dot)), 0.0f);
                acc += round_bf16(s * hw[std::size_t(i) * ih + h]);
            }
            want[std::size_t(i) * n + t] = round_bf16(acc);
        }
        topk_desc(want.data() + std::size_t(i) * n, visible[i], width, top);
        want_top.insert(want_top.end(), top.begin(), top.end());
    }
    Dev<float> dq(q), dhw(hw), dk(keys), ds(want.size());
    Dev<int> dv(visible), dtop(want_top.size());
    CHECK_OK(cuda::indexer_scores(dq.p, dhw.p, m, ih, id, dk.p, n, dv.p, ds.p, nullptr));
    const auto got = ds.get();
    CHECK_NMSE(got, want, 1e-6);
    CHECK_OK(cuda::topk(ds.p, m, n, width, dtop.p, nullptr));
    if (got == want) // the selection is only comparable on identical scores
        CHECK(dtop.get() == want_top);
}

FOLIO_TEST(cuda_hc_pre_sinkhorn_post)
{
    if (!gpu_ready())
        return;
    ModelConfig cfg{};
    cfg.hc_mult = 4;
    cfg.dim = 1024;
    cfg.hc_sinkhorn_iters = 20;
    cfg.hc_eps = 1e-6;
    cfg.norm_eps = 1e-6;
    const int n = 3, hc = 4, dim = 1024, mix = (2 + hc) * hc;
    HcWeights w;
    w.fn = random_bf16(std::size_t(mix) * hc * dim, 0.02f, 30);
    w.base = random_bf16(mix, 0.5f, 31);
    w.scale = {0.7f, 1.3f, 0.9f};
    auto x = random_bf16(std::size_t(n) * hc * dim, 1.0f, 32);
    std::vector<float> y(std::size_t(n) * dim), post(std::size_t(n) * hc),
        comb(std::size_t(n) * hc * hc);
    hc_pre(w, cfg, x.data(), n, y.data(), post.data(), comb.data(), nullptr);
    Dev<float> dx(x), dfn(w.fn), dsc(w.scale), dbase(w.base), dy(y.size()), dpost(post.size()),
        dcomb(comb.size());
    CHECK_OK(cuda::hc_pre(dx.p, n, hc, dim, dfn.p, dsc.p, dbase.p, cfg.hc_sinkhorn_iters,
                          float(cfg.hc_eps), float(cfg.norm_eps), dy.p, dpost.p, dcomb.p, nullptr));
    CHECK_NMSE(dy.get(), y, 1e-6);
    CHECK_NMSE(dpost.get(), post, 1e-10);
    CHECK_NMSE(dcomb.get(), comb, 1e-10);

    auto layer_out = random_bf16(std::size_t(n) * dim, 1.0f, 33);
    std::vector<float> out(x.size());
    hc_post(layer_out.data(), x.data(), post.data(), comb.data(), n, hc, dim, out.data());
    Dev<float> dl(layer_out), dpost2(post), dcomb2(comb), dout(out.size());
    CHECK_OK(cuda::hc_post(dl.p, dx.p, dpost2.p, dcomb2.p, n, hc, dim, dout.p, nullptr));
    CHECK(same_values(dout.get(), out));
}

FOLIO_TEST(cuda_router_score_and_hash)
{
    if (!gpu_ready())
        return;
    ModelConfig cfg{};
    cfg.n_routed_experts = 256;
    cfg.n_activated_experts = 6;
    cfg.route_scale = 1.5;
    const int m = 4, E = 256, k = 6, vocab = 10;
    auto logits = random_bf16(std::size_t(m) * E, 2.0f, 40);
    logits[3] = logits[7]; // a tie between experts 3 and 7 of token 0
    std::mt19937 rng(41);
    std::vector<std::int64_t> t2e(std::size_t(vocab) * k);
    for (auto &v : t2e)
        v = std::int64_t(rng() % E);
    std::vector<int> tokens = {3, 0, 9, 3};
    MoeWeights w;
    w.bias = random_bf16(E, 0.1f, 42);
    w.tid2eid = reinterpret_cast<const std::uint8_t *>(t2e.data());
    for (int hash = 0; hash < 2; ++hash) {
        std::vector<int> ids(std::size_t(m) * k);
        std::vector<float> wts(std::size_t(m) * k);
        for (int i = 0; i < m; ++i)
            moe_route(w, cfg, hash != 0, logits.data() + std::size_t(i) * E, tokens[i],
                      ids.data() + std::size_t(i) * k, wts.data() + std::size_t(i) * k);
        Dev<float> dl(logits), db(w.bias), dw(wts.size());
        Dev<long long> dt(std::vector<long long>(t2e.begin(), t2e.end()));
        Dev<int> dtok(tokens), di(ids.size());
        CHECK_OK(cuda::router(dl.p, m, E, k, db.p, hash ? dt.p : nullptr, hash ? dtok.p : nullptr,
                              float(cfg.route_scale), di.p, dw.p, nullptr));
        CHECK(di.get() == ids);
        CHECK(same_values(dw.get(), wts));
    }
    Dev<float> dl(logits);
    Dev<int> di(std::size_t(m * k));
    Dev<float> dw(std::size_t(m * k));
    CHECK(!cuda::router(dl.p, m, E, 17, nullptr, nullptr, nullptr, 1.0f, di.p, dw.p, nullptr));
}

FOLIO_TEST(cuda_argmax_ties_and_nan)
{
    if (!gpu_ready())
        return;
    const int V = 129280;
    auto logits = random_bf16(std::size_t(3) * V, 3.0f, 43);
    logits[5000] = 100.0f;
    logits[90000] = 100.0f; // tie: the lower index wins
    logits[V + 7] = NAN;
    logits[V + 8] = 50.0f;
    for (int i = 0; i < V; ++i)
        logits[std::size_t(2) * V + i] = NAN;
    Dev<float> dl(logits);
    Dev<int> out(std::size_t(3));
    CHECK_OK(cuda::argmax(dl.p, 3, V, out.p, nullptr));
    CHECK((out.get() == std::vector<int>{5000, 8, -1}));
}

FOLIO_TEST(cuda_staged_upload_and_expert_cache)
{
    if (!gpu_ready())
        return;
    std::mt19937 rng(60);
    std::vector<std::uint8_t> host((5u << 20) + 12345);
    for (auto &b : host)
        b = std::uint8_t(rng());
    cuda::StagedUploader up;
    CHECK_OK(up.init(1u << 20));
    Dev<std::uint8_t> dst(host.size());
    CHECK_OK(up.upload(host.data(), host.size(), dst.p));
    CHECK(dst.get() == host);
    CHECK_EQ(up.bytes_uploaded(), std::uint64_t(host.size()));

    const std::size_t eb = 4096;
    std::vector<std::vector<std::uint8_t>> experts(10, std::vector<std::uint8_t>(eb));
    for (auto &e : experts)
        for (auto &b : e)
            b = std::uint8_t(rng());
    cuda::DeviceExpertCache cache;
    CHECK_OK(cache.init(3, eb));
    const int order[] = {0, 1, 2, 0, 3, 1, 4, 0, 0, 9};
    bool contents_ok = true;
    for (int key : order) {
        const void *dev = nullptr;
        CHECK_OK(cache.fetch(key, experts[std::size_t(key)].data(), nullptr, &dev));
        std::vector<std::uint8_t> back(eb);
        cudaMemcpy(back.data(), dev, eb, cudaMemcpyDeviceToHost);
        contents_ok = contents_ok && back == experts[std::size_t(key)];
    }
    CHECK(contents_ok);
    // 0 1 2 miss, 0 hit, 3 miss (evicts 1), 1 miss (evicts 2), 4 miss (evicts 0), 0 miss
    // (evicts 3), 0 hit, 9 miss.
    CHECK_EQ(cache.hits(), std::uint64_t(2));
    CHECK_EQ(cache.misses(), std::uint64_t(8));
    cuda::DeviceExpertCache bad;
    CHECK(!bad.init(0, eb));
}
