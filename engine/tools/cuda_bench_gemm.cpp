// folio-bench-cuda's GEMM rows (cuda_bench_gemm.h). Weights are device-filled byte patterns in
// the release formats (finite FP8 codes, FP4 nibbles, E8M0 scales near 1): the values do not
// change the cost, and filling 3 GB of experts on the host would take longer than the timing.
//   * FP8 GEMM [8192 x dim] x [dim x dim]: cuBLASLt block-scaled (BLK128x128 weights, VEC128
//     activations, activation quantisation included) vs the exact CUDA-core kernel, and its
//     TFLOP/s vs the FP8 dense peak of this GPU (SMs x max clock x FLOP/clock/SM of its arch).
//   * Routed experts of one layer (all n_routed_experts resident), the kernels of
//     CudaSession::moe without the router: a 4,096-token prefill through the grouped FP4 GEMM
//     (its TFLOP/s, and the experts' bytes over the time vs HBM), and a decode step (1 token,
//     n_activated_experts experts) through the fused FP4 GEMV (bytes read vs HBM).
#include "cuda_bench_gemm.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "cuda/gemm_fp8_lt.h"
#include "cuda/moe_run.h"
#include "cuda/ops.h"

namespace folio {
namespace {

void check(cudaError_t e, const char *what)
{
    if (e != cudaSuccess) {
        std::fprintf(stderr, "folio-bench-cuda: %s: %s\n", what, cudaGetErrorString(e));
        std::exit(1);
    }
}

void check(const Status &st)
{
    if (!st) {
        std::fprintf(stderr, "folio-bench-cuda: %s\n", st.message().c_str());
        std::exit(1);
    }
}

// Device allocations of one section, freed together.
struct Arena
{
    std::vector<void *> blocks;
    ~Arena()
    {
        for (void *p : blocks)
            cudaFree(p);
    }
    template<class T>
    T *get(std::size_t n, int fill = -1)
    {
        void *p = nullptr;
        check(cudaMalloc(&p, std::max<std::size_t>(n, 1) * sizeof(T)), "cudaMalloc");
        if (fill >= 0)
            check(cudaMemset(p, fill, n * sizeof(T)), "cudaMemset");
        blocks.push_back(p);
        return static_cast<T *>(p);
    }
};

// Milliseconds per call on the default stream, after one warm-up call.
double event_ms(const std::function<void()> &fn, int reps)
{
    fn();
    cudaEvent_t a, b;
    check(cudaEventCreate(&a), "cudaEventCreate");
    check(cudaEventCreate(&b), "cudaEventCreate");
    check(cudaEventRecord(a), "cudaEventRecord");
    for (int i = 0; i < reps; ++i)
        fn();
    check(cudaEventRecord(b), "cudaEventRecord");
    check(cudaEventSynchronize(b), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return ms / reps;
}

// Dense FP8 tensor-core FLOP per clock per SM: Hopper 8192 (H100/H200 SXM: 1979 TFLOP/s at
// 1.83 GHz), Blackwell 16384; 0 where the bench does not know it.
double fp8_flop_per_clock_sm(int major)
{
    return major == 9 ? 8192.0 : major == 10 ? 16384.0 : 0.0;
}

} // namespace

int run_gemm_bench(const ModelConfig &c, double hbm_gbs, std::string &json)
{
    int dev = 0, clock_khz = 0;
    cudaDeviceProp prop{};
    check(cudaGetDevice(&dev), "cudaGetDevice");
    check(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties");
    check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, dev), "cudaDeviceGetAttribute");
    const double fp8_peak = double(prop.multiProcessorCount) * double(clock_khz) * 1e3
                            * fp8_flop_per_clock_sm(prop.major) / 1e12;
    const double bf16_peak = fp8_peak / 2;
    char row[256];

    // ---- FP8 block-scaled GEMM ----
    {
        Arena a;
        const int m = 8192, k = c.dim, n = c.dim;
        auto *w = a.get<std::uint8_t>(std::size_t(n) * k, 0x38); // E4M3 1.0
        auto *s = a.get<std::uint8_t>(std::size_t((n + 127) / 128) * ((k + 127) / 128), 127);
        std::vector<std::uint8_t> s_host(std::size_t((n + 127) / 128) * ((k + 127) / 128), 127);
        const auto sf = cuda::Fp8LtGemm::expand_scales(s_host.data(), n, k);
        auto *s32 = a.get<float>(sf.size());
        check(cudaMemcpy(s32, sf.data(), sf.size() * 4, cudaMemcpyHostToDevice), "cudaMemcpy");
        auto *x = a.get<float>(std::size_t(m) * k,
                               0x3f); // 0x3f3f3f3f: 0.747 (the act quant rounds it)
        auto *y = a.get<float>(std::size_t(m) * n);
        auto *work = a.get<std::uint8_t>(cuda::Fp8LtGemm::work_bytes(m, k, n));
        auto *ework = a.get<float>(std::size_t(m) * k + std::size_t(m) * (k / 128));
        cuda::Fp8LtGemm lt;
        check(lt.init());
        bool refused = false;
        const double lt_ms
            = event_ms([&] { check(lt.linear(x, m, k, w, s32, n, work, y, nullptr, &refused)); },
                       10);
        const double exact_ms
            = event_ms([&] { check(cuda::linear_fp8(x, m, k, w, s, n, ework, y, nullptr)); }, 1);
        const double flops = 2.0 * m * k * n;
        const double lt_tf = flops / (lt_ms * 1e-3) / 1e12;
        const double ex_tf = flops / (exact_ms * 1e-3) / 1e12;
        std::snprintf(row, sizeof row, "FP8 GEMM cuBLASLt %dx%dx%d", m, k, n);
        if (refused)
            std::printf("%-44s %12s %12s\n", row, "refused", "-");
        else if (fp8_peak > 0)
            std::printf("%-44s %8.0f TF/s %11.1f%%\n", row, lt_tf, 100.0 * lt_tf / fp8_peak);
        else
            std::printf("%-44s %8.0f TF/s %12s\n", row, lt_tf, "-");
        std::printf("%-44s %8.1f TF/s %10.1fx\n", "FP8 GEMM exact kernel, same shape (Lt speed-up)",
                    ex_tf, refused ? 0.0 : exact_ms / lt_ms);
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      "\"fp8_peak_tflops\":%.1f,\"fp8_lt_tflops\":%.2f,\"fp8_lt_refused\":%s,"
                      "\"fp8_exact_tflops\":%.3f,\"fp8_lt_speedup\":%.2f",
                      fp8_peak, refused ? 0.0 : lt_tf, refused ? "true" : "false", ex_tf,
                      refused ? 0.0 : exact_ms / lt_ms);
        json += (json.empty() ? "" : ",") + std::string(buf);
    }

    // ---- routed experts: grouped FP4 GEMM (prefill) and fused FP4 GEMV (decode) ----
    {
        Arena a;
        const int E = c.n_routed_experts, k = c.n_activated_experts, dim = c.dim;
        const int inter = c.moe_inter_dim;
        cuda::MoeExperts ex;
        const std::size_t rows[3] = {std::size_t(inter), std::size_t(dim), std::size_t(inter)};
        const std::size_t cols[3] = {std::size_t(dim), std::size_t(inter), std::size_t(dim)};
        std::size_t bytes = 0;
        for (int j = 0; j < 3; ++j) {
            ex.w_data[j] = bytes;
            bytes = (bytes + rows[j] * cols[j] / 2 + 255) / 256 * 256;
            ex.w_scale[j] = bytes;
            bytes = (bytes + rows[j] * cols[j] / 32 + 255) / 256 * 256;
        }
        auto *experts = a.get<std::uint8_t>(bytes * std::size_t(E), 0x7f); // scales 2^0
        for (int e = 0; e < E; ++e)
            for (int j = 0; j < 3; ++j) // nibbles 2 and 3: E2M1 1.0 and 1.5
                check(cudaMemset(experts + std::size_t(e) * bytes + ex.w_data[j], 0x32,
                                 rows[j] * cols[j] / 2),
                      "cudaMemset");
        std::vector<const std::uint8_t *> table(static_cast<std::size_t>(E));
        for (int e = 0; e < E; ++e)
            table[std::size_t(e)] = experts + std::size_t(e) * bytes;
        auto *dtable = a.get<const std::uint8_t *>(table.size());
        check(cudaMemcpy(dtable, table.data(), table.size() * sizeof(table[0]),
                         cudaMemcpyHostToDevice),
              "cudaMemcpy");
        ex.table = dtable;
        ex.n_experts = E;
        ex.dim = dim;
        ex.inter = inter;
        ex.swiglu_limit = float(c.swiglu_limit);
        const int m = 4096, nk = m * k;
        // Every token's k distinct experts, uniformly: about m * k / E rows per expert.
        std::mt19937 rng(5);
        std::vector<int> ids(static_cast<std::size_t>(nk));
        for (int t = 0; t < m; ++t)
            for (int j = 0; j < k; ++j) {
                int e;
                bool again;
                do {
                    e = int(rng() % unsigned(E));
                    again = false;
                    for (int i = 0; i < j; ++i)
                        again = again || ids[std::size_t(t) * k + i] == e;
                } while (again);
                ids[std::size_t(t) * k + j] = e;
            }
        auto *dids = a.get<int>(ids.size());
        check(cudaMemcpy(dids, ids.data(), ids.size() * 4, cudaMemcpyHostToDevice), "cudaMemcpy");
        auto *gw = a.get<float>(std::size_t(nk), 0);
        auto *x = a.get<float>(std::size_t(m) * dim, 0x3f);
        auto *yacc = a.get<float>(std::size_t(m) * dim, 0);
        cuda::MoeScratch b;
        b.counts = a.get<int>(std::size_t(E));
        b.offsets = a.get<int>(std::size_t(E) + 1);
        b.tiles = a.get<int>(std::size_t(E) + 1);
        b.order = a.get<int>(std::size_t(nk));
        b.pos = a.get<int>(std::size_t(nk));
        b.wg = a.get<float>(std::size_t(nk));
        b.xq = a.get<float>(std::size_t(m) * dim);
        b.xs = a.get<float>(std::size_t(m) * dim / 128);
        b.gate = a.get<float>(std::size_t(nk) * inter);
        b.up = a.get<float>(std::size_t(nk) * inter);
        b.hs = a.get<float>(std::size_t(nk) * inter / 128);
        b.oe = a.get<float>(std::size_t(nk) * dim);
        b.xa = a.get<std::uint16_t>(std::size_t(m) * dim);
        b.ha = a.get<std::uint16_t>(std::size_t(nk) * inter);
        const cuda::MoeBatchSource one = [&](std::size_t, cuda::MoeBatch &batch) {
            batch = {dtable, 0, nk};
            return Status::ok();
        };
        const double grouped_ms = event_ms(
            [&] {
                check(cuda::run_moe_batches(ex, true, x, dids, gw, m, k, b, 1, one, yacc, nullptr));
            },
            3);
        const cuda::MoeBatchSource one1 = [&](std::size_t, cuda::MoeBatch &batch) {
            batch = {dtable, 0, k};
            return Status::ok();
        };
        const double gemv_ms = event_ms(
            [&] {
                check(
                    cuda::run_moe_batches(ex, false, x, dids, gw, 1, k, b, 1, one1, yacc, nullptr));
            },
            20);
        const double flops = 2.0 * 3.0 * double(nk) * dim * inter;
        const double grouped_tf = flops / (grouped_ms * 1e-3) / 1e12;
        const double all_bytes = double(bytes) * E, step_bytes = double(bytes) * k;
        const double grouped_gbs = all_bytes / (grouped_ms * 1e-3) / 1e9;
        const double gemv_gbs = step_bytes / (gemv_ms * 1e-3) / 1e9;
        std::snprintf(row, sizeof row, "MoE grouped FP4 GEMM / layer (m=%d), TF/s", m);
        if (bf16_peak > 0)
            std::printf("%-44s %8.0f TF/s %11.1f%%\n", row, grouped_tf,
                        100.0 * grouped_tf / bf16_peak);
        else
            std::printf("%-44s %8.0f TF/s %12s\n", row, grouped_tf, "-");
        std::printf("%-44s %7.0f tok/s %7.0f GB/s\n", "MoE grouped FP4 GEMM / layer, experts read",
                    m / (grouped_ms * 1e-3), grouped_gbs);
        std::snprintf(row, sizeof row, "MoE fused FP4 GEMV / layer (m=1, %d experts)", k);
        std::printf("%-44s %10.3f ms %11.0f%%\n", row, gemv_ms, 100.0 * gemv_gbs / hbm_gbs);
        char buf[320];
        std::snprintf(buf, sizeof buf,
                      "\"moe_grouped_ms\":%.4f,\"moe_grouped_tflops\":%.2f,"
                      "\"moe_grouped_weight_gbs\":%.1f,\"moe_gemv_ms\":%.4f,\"moe_gemv_gbs\":%.1f,"
                      "\"moe_gemv_vs_hbm\":%.3f",
                      grouped_ms, grouped_tf, grouped_gbs, gemv_ms, gemv_gbs, gemv_gbs / hbm_gbs);
        json += (json.empty() ? "" : ",") + std::string(buf);
    }
    return 0;
}

} // namespace folio
