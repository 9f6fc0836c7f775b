// folio-bench-cuda: times the CUDA kernels on the real DeepSeek-V4-Flash dimensions with random
// weights in the release's formats (FP8 E4M3 with 128x128 E8M0 tiles, FP4 E2M1 experts with 1x32
// scales, BF16), shaped by the tensor directory the config implies (the same shapes folio-mkmodel
// writes), and prints one short table: the measured HBM bandwidth, one layer's decode linears vs
// the HBM roofline of the bytes they read, prefill linears vs the FP8/BF16 matrix peaks, the
// indexer (scores + top-k) at 262,144 entries, decode per layer at 8K vs 1M context, and the
// extrapolated whole-model decode rate, and the cost of routed experts that miss the device
// cache (experts in host memory). Without a usable CUDA device it exits 77.
//
//   folio-bench-cuda [--config FILE] [--layer N] [--json FILE] [--model DIR [--prefill N,...]]
//                    [--probe]
//
// The GEMM rows (cuda_bench_gemm.cpp) time the FP8 cuBLASLt prefill GEMM and the routed experts'
// grouped GEMM / fused GEMV. With --model (a folio-mkmodel checkpoint of the real dimensions), the
// table also times the CUDA forward pass itself (cuda_bench_model.cpp).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "cuda/memory.h"
#include "cuda/ops.h"
#include "cuda_bench_gemm.h"
#include "cuda_bench_model.h"
#include "quant.h"
#include "safetensors.h"
#include "tensor_directory.h"

using namespace folio;

namespace {

// Matrix peaks of an H200 SXM (dense, no sparsity), for the roofline columns.
constexpr double kFp8PeakTflops = 1979.0;
constexpr double kBf16PeakTflops = 989.0;

[[noreturn]] void die(const std::string &what)
{
    std::fprintf(stderr, "folio-bench-cuda: %s\n", what.c_str());
    std::exit(1);
}

void ok(const Status &st)
{
    if (!st)
        die(st.message());
}

void cu(cudaError_t e, const char *what)
{
    if (e != cudaSuccess)
        die(std::string(what) + ": " + cudaGetErrorString(e));
}

template<class T>
T *dev_alloc(std::size_t n)
{
    void *p = nullptr;
    cu(cudaMalloc(&p, std::max<std::size_t>(n, 1) * sizeof(T)), "cudaMalloc");
    return static_cast<T *>(p);
}

template<class T>
T *dev_upload(const std::vector<T> &h)
{
    T *p = dev_alloc<T>(h.size());
    cu(cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
    return p;
}

std::mt19937 g_rng(1234);

std::vector<float> random_act(std::size_t n)
{
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto &x : v)
        x = round_bf16(d(g_rng));
    return v;
}

// Milliseconds per call of fn, averaged over `reps` after one warm-up call.
double time_ms(const std::function<void()> &fn, int reps)
{
    fn();
    cudaEvent_t a, b;
    cu(cudaEventCreate(&a), "cudaEventCreate");
    cu(cudaEventCreate(&b), "cudaEventCreate");
    cu(cudaEventRecord(a), "cudaEventRecord");
    for (int i = 0; i < reps; ++i)
        fn();
    cu(cudaEventRecord(b), "cudaEventRecord");
    cu(cudaEventSynchronize(b), "cudaEventSynchronize");
    float ms = 0;
    cu(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return ms / reps;
}

struct Lin
{
    std::string name;
    DType dtype;
    int out = 0, in = 0;
    std::uint8_t *w = nullptr, *s = nullptr;
    std::uint64_t bytes = 0;
};

} // namespace

int main(int argc, char **argv)
{
    std::string config_path = std::string(FOLIO_SOURCE_DIR)
                              + "/tests/data/golden/v4-flash-config.json";
    std::string json_path, model_dir;
    std::vector<int> prefill = {8192, 65536, 131072};
    int layer = -1;
    bool probe = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--config" && i + 1 < argc)
            config_path = argv[++i];
        else if (a == "--json" && i + 1 < argc)
            json_path = argv[++i];
        else if (a == "--layer" && i + 1 < argc)
            layer = std::atoi(argv[++i]);
        else if (a == "--probe")
            probe = true;
        else if (a == "--model" && i + 1 < argc)
            model_dir = argv[++i];
        else if (a == "--prefill" && i + 1 < argc) {
            prefill.clear();
            for (const char *p = argv[++i]; *p;) {
                char *end = nullptr;
                const long v = std::strtol(p, &end, 10);
                if (end == p || v <= 0) {
                    std::fprintf(stderr, "folio-bench-cuda: --prefill: expected N,N,...\n");
                    return 2;
                }
                prefill.push_back(int(v));
                p = *end == ',' ? end + 1 : end;
            }
        } else if (a == "--help") {
            std::printf("usage: folio-bench-cuda [--config FILE] [--layer N] [--json FILE]\n"
                        "                        [--model DIR [--prefill 8192,65536,131072]] "
                        "[--probe]\n");
            return 0;
        } else {
            std::fprintf(stderr, "folio-bench-cuda: unknown argument %s (see --help)\n", a.c_str());
            return 2;
        }
    }
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0
        || cudaFree(nullptr) != cudaSuccess) {
        std::fprintf(stderr, "folio-bench-cuda: no usable CUDA device, skipped\n");
        return 77;
    }
    if (probe) // --probe: only whether a usable device answers (exit 0, else 77)
        return 0;
    Result<ModelConfig> rc = load_model_config(config_path);
    if (!rc)
        die(rc.status().message());
    const ModelConfig &c = *rc;
    if (layer < 0) { // a CSA layer (compress ratio 4): the one with the indexer
        for (int l = 0; l < c.n_layers && layer < 0; ++l)
            if (c.compress_ratios[std::size_t(l)] == 4)
                layer = l;
        if (layer < 0)
            layer = 0;
    }
    cudaDeviceProp prop{};
    cu(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    cublasHandle_t cublas = nullptr;
    if (cublasCreate(&cublas) != CUBLAS_STATUS_SUCCESS)
        die("cublasCreate failed");

    // HBM bandwidth: a 2 GiB device-to-device copy reads and writes every byte.
    const std::size_t copy_bytes = std::size_t(2) << 30;
    auto *src = dev_alloc<std::uint8_t>(copy_bytes), *dst = dev_alloc<std::uint8_t>(copy_bytes);
    cu(cudaMemset(src, 1, copy_bytes), "cudaMemset");
    const double copy_ms
        = time_ms([&] { cudaMemcpyAsync(dst, src, copy_bytes, cudaMemcpyDeviceToDevice); }, 5);
    const double hbm_gbs = 2.0 * double(copy_bytes) / (copy_ms * 1e-3) / 1e9;
    cudaFree(src);
    cudaFree(dst);

    // The linears one decode step of `layer` reads: every dense linear, the shared expert and
    // n_activated_experts routed experts (experts 0..k-1; which ones does not change the cost).
    const std::string prefix = "layers." + std::to_string(layer) + ".";
    std::vector<TensorSpec> specs = expected_tensors(c);
    auto find_spec = [&](const std::string &name) -> const TensorSpec * {
        for (const TensorSpec &t : specs)
            if (t.name == name)
                return &t;
        return nullptr;
    };
    std::vector<Lin> lins;
    for (const TensorSpec &t : specs) {
        if (t.name.rfind(prefix, 0) != 0 || t.shape.size() != 2 || t.name.size() < 7
            || t.name.compare(t.name.size() - 7, 7, ".weight") != 0)
            continue;
        const auto ex = t.name.find(".experts.");
        if (ex != std::string::npos && std::atoi(t.name.c_str() + ex + 9) >= c.n_activated_experts)
            continue;
        Lin l;
        l.name = t.name;
        l.dtype = t.dtype;
        l.out = int(t.shape[0]);
        l.in = int(t.dtype == DType::I8 ? t.shape[1] * 2 : t.shape[1]);
        if (t.dtype != DType::F8_E4M3 && t.dtype != DType::I8 && t.dtype != DType::BF16)
            continue; // FP32 mixes (mHC, compressor ape) are tiny; they are not linears here
        std::vector<std::uint8_t> w(std::size_t(t.shape[0]) * std::size_t(t.shape[1])
                                    * dtype_size(t.dtype));
        for (auto &b : w)
            b = std::uint8_t(g_rng());
        if (t.dtype == DType::F8_E4M3)
            for (auto &b : w)
                if ((b & 0x7f) == 0x7f)
                    b ^= 1; // no NaN codes
        if (t.dtype == DType::BF16)
            for (std::size_t i = 1; i < w.size(); i += 2)
                w[i] = std::uint8_t(0x3c + (w[i] & 1)); // small finite BF16 values
        l.w = dev_upload(w);
        l.bytes = w.size();
        const std::string sname = t.name.substr(0, t.name.size() - 7) + ".scale";
        if (const TensorSpec *s = find_spec(sname)) {
            std::vector<std::uint8_t> sc(std::size_t(s->shape[0]) * std::size_t(s->shape[1]));
            for (auto &b : sc)
                b = std::uint8_t(118 + g_rng() % 12);
            l.s = dev_upload(sc);
            l.bytes += sc.size();
        }
        lins.push_back(l);
    }
    int max_in = 0, max_out = 0;
    for (const Lin &l : lins) {
        max_in = std::max(max_in, l.in);
        max_out = std::max(max_out, l.out);
    }
    const int prefill_m = 1024;
    float *x = dev_upload(random_act(std::size_t(prefill_m) * max_in));
    float *work = dev_alloc<float>(std::size_t(prefill_m) * max_in
                                   + std::size_t(prefill_m) * (max_in / 128 + 1));
    float *y = dev_alloc<float>(std::size_t(prefill_m) * max_out);
    auto *xb = dev_alloc<std::uint16_t>(std::size_t(prefill_m) * max_in);
    auto run_layer = [&](int m) {
        for (const Lin &l : lins) {
            if (l.dtype == DType::F8_E4M3)
                ok(cuda::linear_fp8(x, m, l.in, l.w, l.s, l.out, work, y, nullptr));
            else if (l.dtype == DType::I8)
                ok(cuda::linear_fp4(x, m, l.in, l.w, l.s, l.out, work, y, nullptr));
            else
                ok(cuda::linear_bf16(cublas, x, m, l.in,
                                     reinterpret_cast<const std::uint16_t *>(l.w), l.out, xb, y,
                                     nullptr));
        }
    };
    std::uint64_t layer_bytes = 0;
    double layer_flops = 0;
    for (const Lin &l : lins) {
        layer_bytes += l.bytes;
        layer_flops += 2.0 * l.out * l.in;
    }
    const double decode_lin_ms = time_ms([&] { run_layer(1); }, 10);
    const double roof_ms = double(layer_bytes) / (hbm_gbs * 1e9) * 1e3;
    const double prefill_ms = time_ms([&] { run_layer(prefill_m); }, 2);
    const double prefill_tflops = layer_flops * prefill_m / (prefill_ms * 1e-3) / 1e12;
    // cuBLAS BF16 at a prefill shape, for the matrix-roofline column.
    const int gm = 8192, gk = c.dim, gn = c.dim;
    auto *gw = dev_alloc<std::uint16_t>(std::size_t(gk) * gn);
    cu(cudaMemset(gw, 0x3c, std::size_t(gk) * gn * 2), "cudaMemset");
    float *gx = dev_upload(random_act(std::size_t(gm) * gk));
    float *gy = dev_alloc<float>(std::size_t(gm) * gn);
    auto *gxb = dev_alloc<std::uint16_t>(std::size_t(gm) * gk);
    const double gemm_ms
        = time_ms([&] { ok(cuda::linear_bf16(cublas, gx, gm, gk, gw, gn, gxb, gy, nullptr)); }, 5);
    const double gemm_tflops = 2.0 * gm * gk * gn / (gemm_ms * 1e-3) / 1e12;

    // Attention (window + top-k keys) and the indexer at a context of `ctx` tokens, one query.
    const int heads = c.n_heads, hd = c.head_dim, n_keys = c.window_size + c.index_topk;
    const int ih = c.index_n_heads, id = c.index_head_dim;
    const int max_entries = (1 << 20) / 4; // 262,144 compressed entries at 1M
    float *q = dev_upload(random_act(std::size_t(heads) * hd));
    float *kv = dev_upload(random_act(std::size_t(n_keys) * hd));
    std::vector<int> idx(static_cast<std::size_t>(n_keys));
    for (int j = 0; j < n_keys; ++j)
        idx[std::size_t(j)] = j;
    int *didx = dev_upload(idx);
    float *sink = dev_upload(std::vector<float>(std::size_t(heads), 0.0f));
    float *o = dev_alloc<float>(std::size_t(heads) * hd);
    float *iq = dev_upload(random_act(std::size_t(ih) * id));
    std::vector<float> hwv = random_act(std::size_t(ih));
    for (auto &v : hwv)
        v = round_bf16(v * 0.01f);
    float *ihw = dev_upload(hwv);
    float *ikeys = dev_upload(random_act(std::size_t(max_entries) * id));
    float *scores = dev_alloc<float>(std::size_t(max_entries));
    int *top = dev_alloc<int>(std::size_t(c.index_topk));
    const float scale = 1.0f / std::sqrt(float(hd));
    const double attn_ms = time_ms(
        [&] {
            ok(cuda::sparse_attention(q, 1, heads, hd, kv, didx, n_keys, sink, scale, o, nullptr));
        },
        10);
    auto indexer_ms = [&](int entries) {
        int *vis = dev_upload(std::vector<int>{entries});
        const double ms = time_ms(
            [&] {
                ok(cuda::indexer_scores(iq, ihw, 1, ih, id, ikeys, entries, vis, scores, nullptr));
                ok(cuda::topk(scores, 1, entries, c.index_topk, top, nullptr));
            },
            5);
        cudaFree(vis);
        return ms;
    };
    const double topk_only_ms
        = time_ms([&] { ok(cuda::topk(scores, 1, max_entries, c.index_topk, top, nullptr)); }, 5);
    const double idx8k_ms = indexer_ms(8192 / 4), idx1m_ms = indexer_ms(max_entries);
    const double layer8k = decode_lin_ms + attn_ms + idx8k_ms;
    const double layer1m = decode_lin_ms + attn_ms + idx1m_ms;
    // Head: vocab x dim BF16 GEMV once per token.
    auto *hwt = dev_alloc<std::uint16_t>(std::size_t(c.vocab_size) * c.dim);
    cu(cudaMemset(hwt, 0x3c, std::size_t(c.vocab_size) * c.dim * 2), "cudaMemset");
    float *logits = dev_alloc<float>(std::size_t(c.vocab_size));
    const double head_ms = time_ms(
        [&] { ok(cuda::linear_bf16(cublas, x, 1, c.dim, hwt, c.vocab_size, xb, logits, nullptr)); },
        5);
    const double model_ms = layer8k * c.n_layers + head_ms;

    // Experts in host memory (--expert-cache-gb): one layer's step with every routed expert a
    // cache miss, copied from pinned host memory into the device cache.
    std::size_t expert_bytes = 0;
    for (const Lin &l : lins)
        if (l.name.find(".experts.0.") != std::string::npos)
            expert_bytes += l.bytes;
    const int k_act = c.n_activated_experts;
    void *pinned = nullptr;
    cu(cudaMallocHost(&pinned, std::size_t(k_act) * expert_bytes), "cudaMallocHost");
    std::memset(pinned, 1, std::size_t(k_act) * expert_bytes);
    cuda::DeviceExpertCache cache;
    ok(cache.init(std::uint64_t(k_act), expert_bytes));
    std::int64_t next_key = 0;
    const double miss_ms = time_ms(
        [&] {
            for (int j = 0; j < k_act; ++j) {
                const void *dev = nullptr;
                ok(cache.fetch(next_key++, static_cast<std::uint8_t *>(pinned) + j * expert_bytes,
                               nullptr, &dev));
            }
        },
        5);
    const double h2d_gbs = double(k_act) * double(expert_bytes) / (miss_ms * 1e-3) / 1e9;

    std::printf("device: %s, %d SMs, %.0f GiB\n", prop.name, prop.multiProcessorCount,
                double(prop.totalGlobalMem) / double(1ull << 30));
    std::printf("layer %d (compress ratio %d), %zu linears, %.1f MB read per decode step\n", layer,
                c.compress_ratios[std::size_t(layer)], lins.size(), double(layer_bytes) / 1e6);
    std::printf("%-44s %12s %12s\n", "measure", "value", "vs roofline");
    std::printf("%-44s %9.0f GB/s %12s\n", "HBM bandwidth (D2D copy)", hbm_gbs, "-");
    std::printf("%-44s %10.3f ms %11.0f%%\n", "decode linears / layer (m=1)", decode_lin_ms,
                100.0 * roof_ms / decode_lin_ms);
    std::printf("%-44s %7.0f tok/s %11.1f%%\n", "prefill linears / layer (m=1024, own kernels)",
                prefill_m / (prefill_ms * 1e-3), 100.0 * prefill_tflops / kFp8PeakTflops);
    std::printf("%-44s %8.0f TF/s %11.1f%%\n", "cuBLAS BF16 GEMM 8192x4096x4096", gemm_tflops,
                100.0 * gemm_tflops / kBf16PeakTflops);
    std::printf("%-44s %10.3f ms %12s\n", "sparse attention / layer (640 keys, 64 heads)", attn_ms,
                "-");
    std::printf("%-44s %10.3f ms %12s\n", "indexer top-512 of 262,144 (select only)", topk_only_ms,
                "-");
    std::printf("%-44s %10.3f ms %12s\n", "indexer scores + top-k at 262,144 (1M ctx)", idx1m_ms,
                "-");
    std::printf("%-44s %10.3f ms %12s\n", "decode / layer at 8K context", layer8k, "-");
    std::printf("%-44s %10.3f ms %11.0f%%\n", "decode / layer at 1M context (vs 8K)", layer1m,
                100.0 * layer8k / layer1m);
    std::printf("%-44s %7.1f tok/s %12s\n", "extrapolated decode, all layers + head",
                1e3 / model_ms, "-");
    std::printf("%-44s %10.3f ms %7.1f GB/s\n", "expert misses / layer (all from pinned host)",
                miss_ms, h2d_gbs);
    std::string gemm_json, model_json;
    if (int grc = run_gemm_bench(c, hbm_gbs, gemm_json); grc != 0)
        return grc;
    if (!model_dir.empty())
        if (int mrc = run_model_bench(model_dir, prefill, hbm_gbs, kFp8PeakTflops, model_json);
            mrc != 0)
            return mrc;
    if (!json_path.empty()) {
        FILE *f = std::fopen(json_path.c_str(), "w");
        if (!f)
            die("cannot write " + json_path);
        std::fprintf(
            f,
            "{\"device\":\"%s\",\"hbm_gbs\":%.1f,\"layer_bytes\":%llu,\"decode_linears_ms\":%.4f,"
            "\"decode_roofline_ms\":%.4f,\"prefill_m\":%d,\"prefill_linears_ms\":%.4f,"
            "\"prefill_tflops\":%.2f,\"cublas_bf16_tflops\":%.2f,\"attention_ms\":%.4f,"
            "\"topk_262144_ms\":%.4f,\"indexer_1m_ms\":%.4f,\"indexer_8k_ms\":%.4f,"
            "\"decode_layer_8k_ms\":%.4f,\"decode_layer_1m_ms\":%.4f,\"head_ms\":%.4f,"
            "\"decode_tokens_per_s\":%.2f,\"expert_miss_layer_ms\":%.4f,\"h2d_gbs\":%.2f%s%s%s%s}"
            "\n",
            prop.name, hbm_gbs, static_cast<unsigned long long>(layer_bytes), decode_lin_ms,
            roof_ms, prefill_m, prefill_ms, prefill_tflops, gemm_tflops, attn_ms, topk_only_ms,
            idx1m_ms, idx8k_ms, layer8k, layer1m, head_ms, 1e3 / model_ms, miss_ms, h2d_gbs,
            gemm_json.empty() ? "" : ",", gemm_json.c_str(), model_json.empty() ? "" : ",",
            model_json.c_str());
        std::fclose(f);
    }
    cublasDestroy(cublas);
    return 0;
}
