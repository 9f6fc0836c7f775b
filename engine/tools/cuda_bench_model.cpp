// folio-bench-cuda --model DIR: the CUDA forward pass itself (cuda_forward.cpp, the path a Session
// takes with --device cuda) on a checkpoint folio-mkmodel wrote with the real V4-Flash dimensions
// and a few layers (tools/device_check.sh: --preset flash --layers 4, one layer of each type):
// weight upload rate, decode time per layer against the HBM roofline of the bytes a decode step
// must read, decode per layer with the state filled synthetically to 8K and to 1M tokens, prefill
// tokens/s at the requested lengths against the FP8 matrix roofline, and the whole-model decode
// rate extrapolated to 43 layers. Decode steps run as generate() runs them: the state resident on
// the device, the logits left there and the next token picked by the GPU sampler (only its id
// comes back); with CUDA graphs and, as the baseline of the same run, without; the sampler alone;
// and a decode with the routed experts behind a device cache (hit rate). Rows go to stdout in
// folio-bench-cuda's table format and to a JSON fragment.
#include "cuda_bench_model.h"

#include <chrono>
#include <cstdio>
#include <random>

#include "backend_plan.h"
#include "cuda_backend.h"
#include "folio/sampling.h"
#include "kv_state.h"
#include "model/weights.h"
#include "safetensors.h"

namespace folio {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A state of `context` tokens: every ring slot, compressed entry and indexer key a valid code
// (unit scales), the pending slots empty. Entry bytes are encoded once and
// repeated: the kernels read them, their values do not matter for the timing.
KvState synthetic_state(const ModelConfig &cfg, std::int64_t context)
{
    KvState st = KvState::create(cfg);
    st.n_tokens = context;
    const KvEntryCodec codec{cfg.head_dim, cfg.rope_head_dim};
    // 0.5 everywhere: exact in E4M3, E2M1 and BF16.
    std::vector<float> kv(std::size_t(cfg.head_dim), 0.5f),
        ones(std::size_t(codec.n_scales()), 1.0f);
    std::vector<std::uint8_t> entry(codec.bytes());
    codec.encode(kv.data(), ones.data(), entry.data());
    const IndexKeyCodec kc{cfg.index_head_dim};
    std::vector<float> key(std::size_t(std::max(cfg.index_head_dim, 32)), 0.5f),
        kones(std::size_t(std::max(cfg.index_head_dim / 32, 1)), 1.0f);
    std::vector<std::uint8_t> kbytes(kc.bytes());
    if (cfg.index_head_dim > 0)
        kc.encode(key.data(), kones.data(), kbytes.data());
    for (LayerState &l : st.layers) {
        for (int s = 0; s < cfg.window_size; ++s)
            std::copy(entry.begin(), entry.end(),
                      l.window.begin() + std::ptrdiff_t(s) * entry.size());
        if (l.compress_ratio == 0)
            continue;
        l.n_entries = context / l.compress_ratio;
        l.compressed.resize(std::size_t(l.n_entries) * entry.size());
        for (std::int64_t e = 0; e < l.n_entries; ++e)
            std::copy(entry.begin(), entry.end(),
                      l.compressed.begin() + std::ptrdiff_t(e) * std::ptrdiff_t(entry.size()));
        if (l.compress_ratio == 4) {
            l.index_keys.resize(std::size_t(l.n_entries) * kbytes.size());
            for (std::int64_t e = 0; e < l.n_entries; ++e)
                std::copy(kbytes.begin(), kbytes.end(),
                          l.index_keys.begin() + std::ptrdiff_t(e) * std::ptrdiff_t(kbytes.size()));
        }
    }
    return st;
}

// Multiply-adds of one token through one layer's linears (the dense ones, the shared expert and
// the activated routed experts), times two: the FLOPs the matrix roofline is taken over.
double layer_flops_per_token(const ModelConfig &c, int ratio)
{
    double macs = double(c.dim) * c.q_lora_rank + double(c.q_lora_rank) * c.n_heads * c.head_dim
                  + double(c.dim) * c.head_dim + double(c.n_heads) * c.head_dim * c.o_lora_rank
                  + double(c.o_groups) * c.o_lora_rank * c.dim;
    macs += 3.0 * c.dim * c.moe_inter_dim * (c.n_activated_experts + c.n_shared_experts);
    macs += double(c.dim) * c.n_routed_experts;
    if (ratio) {
        const int coff = ratio == 4 ? 2 : 1;
        macs += 2.0 * c.dim * coff * c.head_dim;
    }
    if (ratio == 4)
        macs += double(c.q_lora_rank) * c.index_n_heads * c.index_head_dim
                + 2.0 * c.dim * 2 * c.index_head_dim + double(c.dim) * c.index_n_heads;
    return 2.0 * macs;
}

// The sampling of the timed decode steps (as a chat would: temperature, nucleus).
SamplingParams bench_sampling()
{
    return SamplingParams{0.8f, 0, 0.95f, 0.0f, 7};
}

struct DecodeTiming
{
    double step_ms = 0;   // one decode step: forward (logits stay on the device) + GPU sample
    double sample_ms = 0; // the GPU sampler alone, per token
    DeviceStats stats;    // the session's counters over the timed steps
};

// Mean time of one decode step with `context` tokens in the state, as generate() runs it, after
// three warm-up steps (the CUDA graphs are captured on the second).
Result<DecodeTiming> decode_ms(const DeviceModel &model, const ModelConfig &cfg,
                               std::int64_t context, int steps, bool graphs)
{
    KvState st = synthetic_state(cfg, context);
    auto s = model.create_session();
    s->set_graphs(graphs);
    auto sampler = Sampler::create(bench_sampling());
    if (!sampler)
        return sampler.status();
    std::vector<float> last, hidden;
    std::int32_t tok = 1000 % cfg.vocab_size;
    if (Status r = s->forward(st, &tok, 1, nullptr, last, hidden); !r) // uploads the state
        return r;
    auto step = [&]() -> Status {
        auto next = s->sample(last, *sampler);
        if (!next)
            return next.status();
        tok = *next;
        return s->forward(st, &tok, 1, nullptr, last, hidden, false);
    };
    for (int i = 0; i < 3; ++i)
        if (Status r = step(); !r)
            return r;
    const DeviceStats before = s->stats();
    DecodeTiming t;
    auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i)
        if (Status r = step(); !r)
            return r;
    t.step_ms = seconds_since(t0) * 1e3 / steps;
    t.stats = s->stats();
    t.stats.expert_cache_hits -= before.expert_cache_hits;
    t.stats.expert_cache_misses -= before.expert_cache_misses;
    t0 = Clock::now();
    for (int i = 0; i < steps; ++i)
        if (auto next = s->sample(last, *sampler); !next)
            return next.status();
    t.sample_ms = seconds_since(t0) * 1e3 / steps;
    return t;
}

} // namespace

int run_model_bench(const std::string &dir, const std::vector<int> &prefill_lengths, double hbm_gbs,
                    double fp8_peak_tflops, std::string &json)
{
    auto cfg = load_model_config(dir + "/config.json");
    if (!cfg) {
        std::fprintf(stderr, "folio-bench-cuda: %s\n", cfg.status().message().c_str());
        return 1;
    }
    auto ckpt = Checkpoint::open(dir);
    if (!ckpt) {
        std::fprintf(stderr, "folio-bench-cuda: %s\n", ckpt.status().message().c_str());
        return 1;
    }
    auto weights = bind_weights(*ckpt, *cfg);
    if (!weights) {
        std::fprintf(stderr, "folio-bench-cuda: %s\n", weights.status().message().c_str());
        return 1;
    }
    const ModelConfig &c = *cfg;
    const int L = c.n_layers;
    BackendChoice choice;
    choice.cuda = true;
    PlanStage stage;
    stage.first_layer = 0;
    stage.end_layer = L;
    stage.embed = stage.head = true;
    choice.plan.stages.push_back(stage);
    const ModelBytes bytes = model_bytes(c);
    const auto t_load = Clock::now();
    auto model = load_cuda_model(*weights, choice);
    if (!model) {
        std::fprintf(stderr, "folio-bench-cuda: %s\n", model.status().message().c_str());
        return 1;
    }
    const double load_s = seconds_since(t_load);
    const double upload_gbs = double(bytes.total() - bytes.mtp) / load_s / 1e9;

    // Bytes a decode step reads per layer: the dense weights and the activated experts.
    double step_bytes = 0;
    for (int l = 0; l < L; ++l)
        step_bytes += double(bytes.layer_dense[std::size_t(l)])
                      + double(c.n_activated_experts) * double(bytes.expert);
    const double roof_layer_ms = step_bytes / L / (hbm_gbs * 1e9) * 1e3;
    auto d8k = decode_ms(**model, c, 8192, 20, true);
    auto d8k_direct = decode_ms(**model, c, 8192, 20, false); // baseline: no CUDA graphs
    // The last positions of a 1M context (room for the timed steps).
    auto d1m = decode_ms(**model, c,
                         std::min<std::int64_t>(1048576, c.max_position_embeddings) - 64, 10, true);
    if (!d8k || !d8k_direct || !d1m) {
        std::fprintf(stderr, "folio-bench-cuda: decode: %s\n",
                     (!d8k          ? d8k.status()
                      : !d8k_direct ? d8k_direct.status()
                                    : d1m.status())
                         .message()
                         .c_str());
        return 1;
    }
    const double layer8k = d8k->step_ms / L, layer1m = d1m->step_ms / L; // head + sampling included
    const double layer8k_direct = d8k_direct->step_ms / L;
    const double whole_ms = layer8k * 43;

    std::printf("model %s: %d layers, upload %.1f s (%.1f GB/s)\n", dir.c_str(), L, load_s,
                upload_gbs);
    std::printf("%-44s %10.3f ms %11.0f%%\n", "forward decode / layer at 8K (HBM roofline)",
                layer8k, 100.0 * roof_layer_ms / layer8k);
    std::printf("%-44s %10.3f ms %11.2fx\n", "forward decode / layer 8K, graphs off (on/off)",
                layer8k_direct, layer8k_direct / layer8k);
    std::printf("%-44s %10.3f ms %12s\n", "GPU sampling (T 0.8, top-p 0.95, full vocab)",
                d8k->sample_ms, "-");
    std::printf("%-44s %10.3f ms %11.0f%%\n", "forward decode / layer at 1M (vs 8K)", layer1m,
                100.0 * layer8k / layer1m);
    std::printf("%-44s %7.1f tok/s %12s\n", "forward decode extrapolated to 43 layers",
                1e3 / whole_ms, "-");
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "\"model_layers\":%d,\"upload_gbs\":%.2f,\"forward_decode_layer_8k_ms\":%.4f,"
                  "\"forward_decode_layer_8k_nographs_ms\":%.4f,\"gpu_sample_ms\":%.4f,"
                  "\"forward_decode_layer_1m_ms\":%.4f,\"forward_decode_roofline_ms\":%.4f,"
                  "\"forward_decode_43_tokens_per_s\":%.2f",
                  L, upload_gbs, layer8k, layer8k_direct, d8k->sample_ms, layer1m, roof_layer_ms,
                  1e3 / whole_ms);
    json += buf;
    // Rows reach the log as they are measured: device_check.sh's timeout may end the run later.
    std::fflush(stdout);

    // Prefill at each length from an empty state, one timed call each. A length is skipped when
    // the previous one's time, scaled by the length ratio and doubled (the indexer's scoring
    // grows quadratically), would pass the two minutes device_check.sh leaves for prefill.
    double flops_per_token = 0;
    for (int l = 0; l < L; ++l)
        flops_per_token += layer_flops_per_token(c, c.compress_ratio(l));
    double spent = 0, last_sec = 0;
    int last_n = 0;
    std::mt19937 rng(3);
    for (int n : prefill_lengths) {
        const double estimate = last_n ? 2.0 * last_sec * double(n) / last_n : 0;
        if (n > c.max_position_embeddings || spent + estimate > 120) {
            char why[64];
            std::snprintf(why, sizeof why, "skip (~%.0f s)", estimate);
            std::printf("%-44s %12s %12s\n", ("forward prefill " + std::to_string(n)).c_str(), why,
                        "-");
            continue;
        }
        std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
        for (auto &t : ids)
            t = std::int32_t(rng() % std::uint32_t(c.vocab_size));
        KvState st = KvState::create(c);
        auto s = (*model)->create_session();
        std::vector<float> last, hidden;
        const auto t0 = Clock::now();
        if (Status r = s->forward(st, ids.data(), n, nullptr, last, hidden); !r) {
            std::fprintf(stderr, "folio-bench-cuda: prefill %d: %s\n", n, r.message().c_str());
            return 1;
        }
        const double sec = seconds_since(t0);
        spent += sec;
        last_sec = sec;
        last_n = n;
        const double tps = n / sec;
        const double tflops = flops_per_token * n / sec / 1e12;
        // Extrapolated to the full model: the same per-layer rate over 43 layers.
        const double full_tps = tps * L / 43.0;
        std::printf("%-44s %7.0f tok/s %11.1f%%\n",
                    ("forward prefill " + std::to_string(n) + " (43-layer tok/s, FP8 roof)").c_str(),
                    full_tps, 100.0 * tflops / fp8_peak_tflops);
        std::snprintf(buf, sizeof buf,
                      ",\"prefill_%d_tokens_per_s_43\":%.1f,\"prefill_%d_tflops\":%.2f", n,
                      full_tps, n, tflops);
        json += buf;
        std::fflush(stdout);
    }

    // The routed experts in pinned host memory behind a device cache of a quarter of them: decode
    // at 8K, its time and the cache's hit rate over the timed steps (the first model is released
    // first: two copies need not fit).
    model->reset();
    BackendChoice cached = choice;
    cached.plan.experts_on_host = true;
    cached.plan.stages.front().expert_cache_slots
        = std::max<std::uint64_t>(std::uint64_t(c.n_activated_experts),
                                  std::uint64_t(L) * c.n_routed_experts / 4);
    auto cmodel = load_cuda_model(*weights, cached);
    if (!cmodel) {
        std::fprintf(stderr, "folio-bench-cuda: expert cache: %s\n",
                     cmodel.status().message().c_str());
        return 1;
    }
    auto dc = decode_ms(**cmodel, c, 8192, 16, true);
    if (!dc) {
        std::fprintf(stderr, "folio-bench-cuda: expert cache decode: %s\n",
                     dc.status().message().c_str());
        return 1;
    }
    const double hits = double(dc->stats.expert_cache_hits),
                 misses = double(dc->stats.expert_cache_misses);
    const double hit_rate = hits + misses > 0 ? hits / (hits + misses) : 0.0;
    std::printf("%-44s %10.3f ms %11.0f%%\n", "decode / layer 8K, experts cached 1/4 (hits)",
                dc->step_ms / L, 100.0 * hit_rate);
    std::snprintf(buf, sizeof buf,
                  ",\"expert_cache_decode_layer_ms\":%.4f,\"expert_cache_hits\":%.0f,"
                  "\"expert_cache_misses\":%.0f,\"expert_cache_hit_rate\":%.4f",
                  dc->step_ms / L, hits, misses, hit_rate);
    json += buf;
    return 0;
}

} // namespace folio
