// CPU tests (label main) of the CUDA backend's host-side planning (engine/src/backend_plan.h):
// weight bytes by part on the real V4-Flash config, layer split over one or two GPUs with the KV
// state, routed experts in host memory behind a device cache, and the LRU expert cache policy.
#include "backend_plan.h"

#include <cstdio>

#include "folio_test.h"
#include "safetensors.h"
#include "tensor_directory.h"

using namespace folio;

namespace {

ModelConfig flash()
{
    Result<ModelConfig> r = load_model_config(std::string(FOLIO_TEST_DATA_DIR)
                                              + "/golden/v4-flash-config.json");
    if (!r)
        folio_test::fail(__FILE__, __LINE__, r.status().message());
    return r ? *r : ModelConfig{};
}

constexpr std::uint64_t kGiB = 1ull << 30;

} // namespace

FOLIO_TEST(plan_model_bytes_flash)
{
    const ModelConfig c = flash();
    REQUIRE(c.n_layers == 43);
    const ModelBytes b = model_bytes(c);
    std::uint64_t all = 0;
    for (const TensorSpec &t : expected_tensors(c)) {
        std::uint64_t n = dtype_size(t.dtype);
        for (auto d : t.shape)
            n *= std::uint64_t(d);
        all += n;
    }
    CHECK_EQ(b.total(), all);
    CHECK_EQ(b.layer_dense.size(), std::size_t(43));
    CHECK_EQ(b.embed, std::uint64_t(c.vocab_size) * c.dim * 2);
    REQUIRE(c.expert_format == ExpertFormat::FP4);
    // w1, w3 [inter, dim/2] + [inter, dim/32]; w2 [dim, inter/2] + [dim, inter/32]
    const std::uint64_t per = std::uint64_t(c.moe_inter_dim) * c.dim;
    CHECK_EQ(b.expert, 3 * (per / 2 + per / 32));
    CHECK_EQ(b.layer_experts[5], b.expert * std::uint64_t(c.n_routed_experts));
    // The release is about 160 GB; the routed experts are most of it.
    CHECK(b.total() > 140 * kGiB && b.total() < 160 * kGiB);
    std::uint64_t experts = 0;
    for (auto e : b.layer_experts)
        experts += e;
    CHECK(experts > b.total() / 2);
    std::printf("V4-Flash: %.2f GiB in all, %.2f GiB routed experts, one expert %.2f MiB\n",
                double(b.total()) / kGiB, double(experts) / kGiB, double(b.expert) / (1 << 20));
}

FOLIO_TEST(plan_one_h200_needs_expert_offload)
{
    const ModelConfig c = flash();
    const ModelBytes b = model_bytes(c);
    PlanRequest req;
    req.gpus = {{0, 130 * kGiB}};
    req.context_tokens = 1 << 20;
    req.kv_bytes_per_token = kv_bytes_per_token(c);
    Result<BackendPlan> resident = plan_backend(b, req);
    REQUIRE(!resident);
    CHECK(resident.status().message().find("does not fit") != std::string::npos);

    req.expert_cache_bytes = 40 * kGiB;
    Result<BackendPlan> p = plan_backend(b, req);
    REQUIRE(p.is_ok());
    REQUIRE(p->stages.size() == 1);
    const PlanStage &s = p->stages[0];
    CHECK(p->experts_on_host);
    CHECK(s.embed && s.head);
    CHECK_EQ(s.first_layer, 0);
    CHECK_EQ(s.end_layer, 43);
    CHECK_EQ(s.expert_cache_slots, 40 * kGiB / b.expert);
    CHECK(s.used() <= 130 * kGiB);
    CHECK_EQ(s.kv_bytes, kv_bytes_per_token(c) * (1u << 20) / 43 * 43);
    std::uint64_t experts = 0;
    for (auto e : b.layer_experts)
        experts += e;
    CHECK_EQ(p->host_expert_bytes, experts);
    CHECK(p->describe().find("expert cache") != std::string::npos);

    req.expert_cache_bytes = b.expert - 1;
    Result<BackendPlan> tiny = plan_backend(b, req);
    CHECK(!tiny);
    CHECK(tiny.status().message().find("holds no expert") != std::string::npos);
}

FOLIO_TEST(plan_two_h200_split_contiguous)
{
    const ModelConfig c = flash();
    const ModelBytes b = model_bytes(c);
    PlanRequest req;
    req.gpus = {{0, 130 * kGiB}, {1, 130 * kGiB}};
    req.context_tokens = 1 << 20;
    req.kv_bytes_per_token = kv_bytes_per_token(c);
    Result<BackendPlan> p = plan_backend(b, req);
    REQUIRE(p.is_ok());
    REQUIRE(p->stages.size() == 2);
    CHECK(!p->experts_on_host);
    CHECK(p->stages[0].embed && !p->stages[0].head);
    CHECK(!p->stages[1].embed && p->stages[1].head);
    CHECK_EQ(p->stages[0].first_layer, 0);
    CHECK_EQ(p->stages[0].end_layer, p->stages[1].first_layer);
    CHECK_EQ(p->stages[1].end_layer, 43);
    CHECK(p->stages[0].end_layer > 21); // the first GPU is filled before the second is used
    std::uint64_t weights = 0;
    for (const PlanStage &s : p->stages) {
        CHECK(s.used() <= 130 * kGiB);
        weights += s.weight_bytes;
    }
    CHECK_EQ(weights, b.total());
    CHECK(!plan_backend(b, PlanRequest{}));
}

FOLIO_TEST(expert_lru_policy)
{
    ExpertLru lru(2);
    auto a = lru.lookup(10);
    CHECK(!a.hit);
    CHECK_EQ(a.slot, std::uint64_t(0));
    CHECK_EQ(a.evicted, std::int64_t(-1));
    auto b = lru.lookup(20);
    CHECK(!b.hit);
    CHECK_EQ(b.slot, std::uint64_t(1));
    auto a2 = lru.lookup(10); // 10 becomes most recent; 20 is now the LRU
    CHECK(a2.hit);
    CHECK_EQ(a2.slot, std::uint64_t(0));
    auto c = lru.lookup(30);
    CHECK(!c.hit);
    CHECK_EQ(c.evicted, std::int64_t(20));
    CHECK_EQ(c.slot, std::uint64_t(1));
    CHECK(lru.contains(10) && lru.contains(30) && !lru.contains(20));
    CHECK_EQ(lru.hits(), std::uint64_t(1));
    CHECK_EQ(lru.misses(), std::uint64_t(3));
    lru.reset_counters();
    CHECK_EQ(lru.hits() + lru.misses(), std::uint64_t(0));

    ExpertLru none(0);
    CHECK(!none.lookup(1).hit);
    CHECK(!none.lookup(1).hit);
    CHECK_EQ(none.misses(), std::uint64_t(2));
}

namespace {

DeviceList two_h200(std::uint64_t free_each)
{
    DeviceList list;
    list.cuda_compiled = true;
    for (int i = 0; i < 2; ++i) {
        DeviceInfo d;
        d.index = i;
        d.name = "NVIDIA H200";
        d.total_memory = 141 * kGiB;
        d.free_memory = free_each;
        d.compute_major = 9;
        list.cuda.push_back(d);
    }
    return list;
}

ChoiceRequest request(const char *device, std::vector<int> gpus = {})
{
    auto r = parse_device_request(device, gpus);
    if (!r)
        folio_test::fail(__FILE__, __LINE__, r.status().message());
    ChoiceRequest req;
    if (r)
        req.device = *r;
    req.context_tokens = 8192;
    req.kv_bytes_per_token = 4 * 3509;
    req.reserve_bytes = 3 * kGiB;
    return req;
}

} // namespace

FOLIO_TEST(choose_cpu_and_refusals)
{
    const ModelBytes b = model_bytes(flash());
    auto cpu = choose_backend(b, two_h200(140 * kGiB), request("cpu"));
    REQUIRE(cpu.is_ok());
    CHECK(!cpu->cuda);
    CHECK_EQ(cpu->device, std::string("cpu"));

    DeviceList none; // a build without CUDA
    none.cuda_error = "this build of the engine has no CUDA backend";
    auto off = choose_backend(b, none, request("cuda"));
    REQUIRE(!off.is_ok());
    CHECK(off.status().message().find("FOLIO_CUDA=OFF") != std::string::npos);
    auto off_auto = choose_backend(b, none, request("auto"));
    REQUIRE(off_auto.is_ok());
    CHECK(!off_auto->cuda);
    CHECK(off_auto->note.find("FOLIO_CUDA=OFF") != std::string::npos);

    DeviceList no_device;
    no_device.cuda_compiled = true;
    no_device.cuda_error = "cudaGetDeviceCount: cudaErrorInsufficientDriver";
    auto nodev = choose_backend(b, no_device, request("cuda:0"));
    REQUIRE(!nodev.is_ok());
    CHECK(nodev.status().message().find("InsufficientDriver") != std::string::npos);

    auto missing = choose_backend(b, two_h200(140 * kGiB), request("cuda:5"));
    REQUIRE(!missing.is_ok());
    CHECK(missing.status().message().find("cuda:5 is not present") != std::string::npos);
}

FOLIO_TEST(choose_cuda_split_offload_and_auto_fallback)
{
    const ModelBytes b = model_bytes(flash());
    // One H200 cannot hold V4-Flash: an error for "cuda", the CPU with the reason for "auto".
    auto one = choose_backend(b, two_h200(140 * kGiB), request("cuda:0"));
    REQUIRE(!one.is_ok());
    CHECK(one.status().message().find("does not fit") != std::string::npos);
    auto one_auto = choose_backend(b, two_h200(140 * kGiB), request("auto", {0}));
    REQUIRE(one_auto.is_ok());
    CHECK(!one_auto->cuda);
    CHECK(one_auto->note.find("device auto: cpu, because") == 0);
    // With an expert cache it fits on one GPU.
    ChoiceRequest cached = request("cuda:0");
    cached.expert_cache_bytes = 40 * kGiB;
    auto offload = choose_backend(b, two_h200(140 * kGiB), cached);
    REQUIRE(offload.is_ok());
    CHECK(offload->cuda);
    CHECK(offload->plan.experts_on_host);
    CHECK_EQ(offload->device, std::string("cuda:0"));
    // Two GPUs: a contiguous split; auto uses every GPU present.
    auto both = choose_backend(b, two_h200(140 * kGiB), request("auto"));
    REQUIRE(both.is_ok());
    CHECK(both->cuda);
    CHECK_EQ(both->device, std::string("cuda:0,1"));
    REQUIRE(both->plan.stages.size() == 2);
    CHECK(both->plan.stages[0].end_layer == both->plan.stages[1].first_layer);
    CHECK(both->note.find("device auto: cuda:0,1\ncuda:0 layers 0..") == 0);
    // Reversed order: the first listed GPU runs the first layers.
    auto reversed = choose_backend(b, two_h200(140 * kGiB), request("cuda", {1, 0}));
    REQUIRE(reversed.is_ok());
    CHECK(reversed->plan.stages[0].device == 1);
    CHECK(reversed->plan.stages[0].embed);
    // The reserve is taken off each GPU's free memory: too little free memory does not fit.
    auto tight = choose_backend(b, two_h200(70 * kGiB), request("cuda", {0, 1}));
    CHECK(!tight.is_ok());
}
