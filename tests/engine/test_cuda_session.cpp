// GPU tests (labels gpu, main) of the CUDA forward pass behind the Session API: both golden cases
// end to end on the device (prefill logits, teacher-forced decode, greedy tokens, with the golden
// tolerances the CPU backend meets), the CUDA backend against the CPU backend, the device state's
// round trip through the host (save on the GPU, load into a fresh GPU session: the continuation
// is bit-identical; a fork copies the device state), the on-demand sync (a save after more
// decoding, incremental, equals one full sync), generation with the GPU sampler equal to the CPU
// sampler on the same logits, decode with CUDA graphs == without (logits bit for bit), the expert
// cache (a few slots, so experts are evicted and fetched again) bit-identical to resident experts
// with its hits and misses in the session's stats, and a layer split over two GPUs bit-identical
// to one GPU (only where two GPUs are present). Without a usable CUDA device every case skips
// (exit 77).
#include "backend_plan.h"
#include "cuda_backend.h"
#include "folio/device.h"
#include "folio/engine.h"
#include "folio_test.h"
#include "golden_support.h"

#include <cstring>

using namespace folio;

namespace {

bool cuda_ready(int needed = 1)
{
    const DeviceList list = list_devices();
    if (int(list.cuda.size()) < needed) {
        folio_test::skip(list.cuda.empty() ? "no usable CUDA device: " + list.cuda_error
                                           : "needs " + std::to_string(needed) + " CUDA devices");
        return false;
    }
    return true;
}

std::shared_ptr<const Model> load(const std::string &name, const std::string &device)
{
    LoadOptions lo;
    lo.device = device;
    auto m = Model::load(golden::case_dir(name), lo);
    if (!m) {
        folio_test::fail(__FILE__, __LINE__, m.status().message());
        return nullptr;
    }
    return *m;
}

void golden_end_to_end(const char *name)
{
    golden::Case c;
    REQUIRE(golden::load_case(name, c));
    auto gpu = load(name, "cuda:0");
    auto cpu = load(name, "cpu");
    REQUIRE(gpu && cpu);
    CHECK_EQ(gpu->info().device, std::string("cuda:0"));
    const int V = c.cfg.vocab_size;
    const auto ids32 = golden::to_i32(golden::ints(c, "input_ids"));
    const std::vector<int> ids(ids32.begin(), ids32.end());
    const int S = int(ids.size());
    auto s = gpu->create_session();
    std::vector<float> logits;
    REQUIRE(s->prefill(ids, LogitsMode::All, &logits).is_ok());
    REQUIRE(logits.size() == std::size_t(S) * V);
    const golden::Stats sp = golden::compare_rows(logits.data(),
                                                  golden::floats(c, "prefill.logits_all").data(), S,
                                                  V);
    golden::print_stats("cuda prefill.logits_all", sp);
    CHECK(golden::within_tolerance(sp));

    // The CPU backend on the same prompt: reported (both are within the golden tolerance).
    auto t = cpu->create_session();
    std::vector<float> cpu_logits;
    REQUIRE(t->prefill(ids, LogitsMode::All, &cpu_logits).is_ok());
    golden::print_stats("cuda vs cpu prefill",
                        golden::compare_rows(logits.data(), cpu_logits.data(), S, V));

    const auto dec_ids = golden::to_i32(golden::ints(c, "decode.input_ids"));
    const int steps = int(dec_ids.size());
    std::vector<float> dec(std::size_t(steps) * V);
    for (int i = 0; i < steps; ++i) {
        auto r = s->decode(dec_ids[std::size_t(i)]);
        REQUIRE(r.is_ok());
        std::memcpy(dec.data() + std::size_t(i) * V, r->data(), sizeof(float) * V);
    }
    const golden::Stats sd = golden::compare_rows(dec.data(),
                                                  golden::floats(c, "decode.logits").data(), steps,
                                                  V);
    golden::print_stats("cuda decode.logits", sd);
    CHECK(sd.median_rel <= 0.1);
    CHECK(sd.argmax_agree >= 0.75);
    CHECK(sd.max_abs <= 4.0);
    const auto greedy = golden::ints(c, "greedy.tokens");
    int agree = golden::argmax(logits.data() + std::size_t(S - 1) * V, V) == greedy[0];
    for (int i = 0; i < steps; ++i)
        agree += golden::argmax(dec.data() + std::size_t(i) * V, V) == greedy[std::size_t(i) + 1];
    std::printf("  cuda greedy.tokens agree %d / %zu\n", agree, greedy.size());
    CHECK(agree >= int(greedy.size()) - 1);
}

// A model on explicit stages (device, end layer) with `cache_slots` expert slots per GPU (0 =
// resident), through the backend's own entry point (the public API plans by free memory).
std::shared_ptr<const DeviceModel> device_model(const golden::Case &c,
                                                const std::vector<std::pair<int, int>> &stages,
                                                std::uint64_t cache_slots)
{
    BackendChoice choice;
    choice.cuda = true;
    choice.plan.experts_on_host = cache_slots > 0;
    int first = 0;
    for (std::size_t i = 0; i < stages.size(); ++i) {
        PlanStage st;
        st.device = stages[i].first;
        st.first_layer = first;
        st.end_layer = stages[i].second;
        st.embed = i == 0;
        st.head = i + 1 == stages.size();
        st.expert_cache_slots = cache_slots;
        choice.plan.stages.push_back(st);
        first = st.end_layer;
    }
    auto m = load_cuda_model(c.weights, choice);
    if (!m) {
        folio_test::fail(__FILE__, __LINE__, m.status().message());
        return nullptr;
    }
    return *m;
}

// Prefill of the golden prompt, then the teacher-forced decode steps and `extra` greedy steps
// (enough for the decode graphs to be captured and replayed): every logits row.
std::vector<float> run_rows(const golden::Case &c, const DeviceModel &m, bool graphs = true,
                            int extra = 0, DeviceStats *stats = nullptr)
{
    auto s = m.create_session();
    s->set_graphs(graphs);
    KvState st = KvState::create(c.cfg);
    std::vector<float> last, hidden, all;
    const auto ids = golden::to_i32(golden::ints(c, "input_ids"));
    if (Status r = s->forward(st, ids.data(), int(ids.size()), &all, last, hidden); !r) {
        folio_test::fail(__FILE__, __LINE__, r.message());
        return {};
    }
    for (std::int32_t t : golden::to_i32(golden::ints(c, "decode.input_ids"))) {
        if (Status r = s->forward(st, &t, 1, nullptr, last, hidden); !r) {
            folio_test::fail(__FILE__, __LINE__, r.message());
            return {};
        }
        all.insert(all.end(), last.begin(), last.end());
    }
    for (int i = 0; i < extra; ++i) {
        std::int32_t t = golden::argmax(last.data(), int(last.size()));
        if (Status r = s->forward(st, &t, 1, nullptr, last, hidden); !r) {
            folio_test::fail(__FILE__, __LINE__, r.message());
            return {};
        }
        all.insert(all.end(), last.begin(), last.end());
    }
    if (stats)
        *stats = s->stats();
    return all;
}

bool bit_identical(const std::vector<float> &a, const std::vector<float> &b)
{
    return !a.empty() && a.size() == b.size()
           && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

} // namespace

FOLIO_TEST(cuda_golden_bf16_s1_end_to_end)
{
    if (cuda_ready())
        golden_end_to_end("bf16_s1");
}

FOLIO_TEST(cuda_golden_fp8fp4_s1_end_to_end)
{
    if (cuda_ready())
        golden_end_to_end("fp8fp4_s1");
}

FOLIO_TEST(cuda_state_round_trip_is_exact)
{
    if (!cuda_ready())
        return;
    auto gpu = load("fp8fp4_s1", "cuda:0");
    REQUIRE(gpu);
    const std::vector<int> prompt = {5, 17, 99, 3, 250, 41, 8, 77, 12, 64, 9, 300};
    const std::vector<int> next = {7, 21, 4};
    auto a = gpu->create_session();
    REQUIRE(a->prefill(prompt).is_ok());
    const std::string saved = a->save();
    auto fork = a->fork();
    std::vector<std::vector<float>> want;
    for (int t : next) {
        auto r = a->decode(t);
        REQUIRE(r.is_ok());
        want.push_back(*r);
    }
    // A fresh session uploads the loaded state; the fork uploads its copy.
    auto b = gpu->create_session();
    REQUIRE(b->load(saved).is_ok());
    for (std::size_t i = 0; i < next.size(); ++i) {
        auto rb = b->decode(next[i]);
        auto rf = fork->decode(next[i]);
        REQUIRE(rb.is_ok() && rf.is_ok());
        CHECK(bit_identical(*rb, want[i]));
        CHECK(bit_identical(*rf, want[i]));
    }
    // The state saved on the GPU continues on the CPU (close, not bitwise: other summation
    // orders).
    auto cpu = load("fp8fp4_s1", "cpu");
    REQUIRE(cpu);
    auto c = cpu->create_session();
    REQUIRE(c->load(saved).is_ok());
    auto rc = c->decode(next[0]);
    REQUIRE(rc.is_ok());
    const golden::Stats s = golden::compare_rows(rc->data(), want[0].data(), 1, int(want[0].size()));
    golden::print_stats("gpu state continued on the cpu", s);
    CHECK(s.median_rel <= 0.1);
}

FOLIO_TEST(cuda_expert_cache_matches_resident)
{
    if (!cuda_ready())
        return;
    golden::Case c;
    REQUIRE(golden::load_case("fp8fp4_s1", c));
    const int L = c.cfg.n_layers;
    auto resident = device_model(c, {{0, L}}, 0);
    // As few slots as one step needs: experts are evicted and fetched again all the time.
    auto cached = device_model(c, {{0, L}}, std::uint64_t(c.cfg.n_activated_experts));
    REQUIRE(resident && cached);
    DeviceStats rs, cs;
    CHECK(bit_identical(run_rows(c, *resident, true, 0, &rs), run_rows(c, *cached, true, 0, &cs)));
    // The counters reach the session: a resident model has no cache, the cached one misses (a
    // few slots) and, with experts shared by neighbouring tokens, hits.
    CHECK_EQ(rs.expert_cache_hits + rs.expert_cache_misses, std::uint64_t(0));
    CHECK(cs.expert_cache_misses > 0);
    CHECK(cs.expert_cache_slots >= std::uint64_t(c.cfg.n_activated_experts));
    // The GEMM path counters reach it too: every block ran its routed experts one way or the
    // other (graph replays excepted, the first steps run directly).
    CHECK(rs.moe_grouped + rs.moe_fused_gemv > 0);
    CHECK(cs.moe_grouped + cs.moe_fused_gemv > 0);
    std::printf("  expert cache: %llu hits, %llu misses\n",
                static_cast<unsigned long long>(cs.expert_cache_hits),
                static_cast<unsigned long long>(cs.expert_cache_misses));
}

FOLIO_TEST(cuda_two_gpu_split_matches_one)
{
    if (!cuda_ready(2))
        return;
    golden::Case c;
    REQUIRE(golden::load_case("fp8fp4_s1", c));
    const int L = c.cfg.n_layers;
    auto one = device_model(c, {{0, L}}, 0);
    auto two = device_model(c, {{0, L / 2}, {1, L}}, 0);
    REQUIRE(one && two);
    CHECK(bit_identical(run_rows(c, *one), run_rows(c, *two)));
}

FOLIO_TEST(cuda_decode_graphs_match_direct_launches)
{
    if (!cuda_ready())
        return;
    for (const char *name : {"bf16_s1", "fp8fp4_s1"}) {
        golden::Case c;
        REQUIRE(golden::load_case(name, c));
        auto m = device_model(c, {{0, c.cfg.n_layers}}, 0);
        REQUIRE(m);
        // 12 more steps: the segments are seen, captured, then replayed many times.
        const std::vector<float> with = run_rows(c, *m, true, 12);
        const std::vector<float> without = run_rows(c, *m, false, 12);
        std::printf("  %s: %zu logits rows, graphs on == off: %s\n", name,
                    with.size() / std::size_t(c.cfg.vocab_size),
                    bit_identical(with, without) ? "yes" : "NO");
        CHECK(bit_identical(with, without));
    }
}

FOLIO_TEST(cuda_generate_samples_on_the_device_like_the_cpu_sampler)
{
    if (!cuda_ready())
        return;
    auto gpu = load("fp8fp4_s1", "cuda:0");
    REQUIRE(gpu);
    const std::vector<int> prompt = {5, 17, 99, 3, 250, 41, 8, 77, 12, 64, 9, 300};
    GenerateParams gp;
    gp.sampling = SamplingParams{0.9f, 40, 0.95f, 0.0f, 1234};
    gp.max_tokens = 16;
    gp.stop_at_eos = false;
    // The session's generate: logits stay on the device, the token comes back.
    auto a = gpu->create_session();
    REQUIRE(a->prefill(prompt, LogitsMode::None).is_ok());
    auto ga = a->generate(gp, nullptr);
    REQUIRE(ga.is_ok());
    // The same logits on the host (decode() returns them) through the CPU sampler.
    auto b = gpu->create_session();
    std::vector<float> logits;
    REQUIRE(b->prefill(prompt, LogitsMode::Last, &logits).is_ok());
    auto sampler = Sampler::create(gp.sampling);
    REQUIRE(sampler.is_ok());
    std::vector<int> want;
    for (int i = 0; i < gp.max_tokens; ++i) {
        auto t = sampler->sample(logits);
        REQUIRE(t.is_ok());
        want.push_back(*t);
        if (i + 1 < gp.max_tokens) {
            auto r = b->decode(*t);
            REQUIRE(r.is_ok());
            logits = *r;
        }
    }
    CHECK(ga->tokens == want);
    // The host copies are fetched on demand: the generating session's save (its logits and state
    // never left the device) equals the other's after the same 15 tokens.
    CHECK(a->save() == b->save());
}

FOLIO_TEST(cuda_state_sync_is_incremental_and_exact)
{
    if (!cuda_ready())
        return;
    auto gpu = load("fp8fp4_s1", "cuda:0");
    REQUIRE(gpu);
    std::vector<int> prompt;
    for (int i = 0; i < 150; ++i) // past the window and several compressed entries
        prompt.push_back((i * 37 + 11) % 500);
    const std::vector<int> next = {7, 21, 4, 9, 13, 2, 8, 30, 1};
    // a: synced after the prompt, then again after more steps (only the new entries travel).
    auto a = gpu->create_session();
    REQUIRE(a->prefill(prompt, LogitsMode::None).is_ok());
    const std::string first = a->save();
    const std::uint64_t bytes_prompt = a->state_bytes();
    for (int t : next)
        REQUIRE(a->decode(t).is_ok());
    // b: one sync at the end.
    auto b = gpu->create_session();
    REQUIRE(b->prefill(prompt, LogitsMode::None).is_ok());
    for (int t : next)
        REQUIRE(b->decode(t).is_ok());
    CHECK(a->state_bytes() == b->state_bytes());
    CHECK(a->state_bytes() > bytes_prompt);
    CHECK(a->save() == b->save());
    // The stream is the CPU's format: a CPU session loads it and reports the same sizes.
    auto cpu = load("fp8fp4_s1", "cpu");
    REQUIRE(cpu);
    auto c = cpu->create_session();
    REQUIRE(c->load(first).is_ok());
    CHECK_EQ(c->state_bytes(), bytes_prompt);
    CHECK(c->save() == first);
}
