// No heap allocation on the CPU decode path (issue 5): after a prefill and a few warm-up steps, a
// decode step runs on the per-thread scratch arenas (cpu/workspace.h), the pool's
// allocation-free parallel_for and buffers that keep their capacity, so the global operator new is
// never called. Checked at two levels: the forward pass (the main blocks, the head for one row,
// the MTP block) and Session::decode end to end (token checks, the forward call, the session's
// buffers, the logits copied into the caller's vector). Counted by replacing operator new in this
// test binary. The KV state's own growth (compressed entries, indexer keys and the decoded HCA
// entries appended every few tokens) is reserved up front (KvState::reserve, Session::reserve).
// The counted steps cross a compressed-entry boundary of every compressed layer (CSA ratio 4 and
// the HCA ratio, 32 or 128), so new entries, indexer keys and HCA cache rows are created while
// counting. Both golden models (BF16 and FP8/FP4 weights), one and two threads. The linears'
// exact reference path (scalar ISA or FOLIO_EXACT_LINEAR=1, cpu/linear.cpp) is a reference, not
// the decode path, and is skipped.
#include "cpu/simd/kernels.h"
#include "folio/engine.h"
#include "golden_support.h"
#include "kv_state.h"
#include "model/forward.h"

#include "folio_test.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocs{0};
} // namespace

void *operator new(std::size_t n)
{
    if (g_counting.load(std::memory_order_relaxed))
        g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}

void *operator new(std::size_t n, std::align_val_t a)
{
    if (g_counting.load(std::memory_order_relaxed))
        g_allocs.fetch_add(1, std::memory_order_relaxed);
    const std::size_t al = std::size_t(a);
    if (void *p = std::aligned_alloc(al, (n + al - 1) / al * al))
        return p;
    throw std::bad_alloc();
}

// The replaced operator new takes its memory from malloc, so free is the matching release.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void *p) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
#pragma GCC diagnostic pop

using namespace folio;

namespace {

// The prompt and the steps: positions kPrompt..kFirst-1 are warm-up steps, kFirst..kLast-1 are
// counted; every compressed layer of both golden models (ratios 4, 32, 128) completes an entry at
// position 127, inside the counted range.
constexpr int kPrompt = 120, kFirst = 124, kLast = 132;

std::vector<std::int32_t> test_ids(int vocab)
{
    std::vector<std::int32_t> ids(static_cast<std::size_t>(kLast));
    for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = std::int32_t((i * 7919 + 11) % std::size_t(vocab));
    return ids;
}

long decode_allocations(const char *name, int threads)
{
    golden::Case c;
    if (!golden::load_case(name, c))
        return -1;
    const ModelConfig &cfg = c.cfg;
    const ModelWeights &w = *c.weights;
    ThreadPool pool(threads);
    const std::vector<std::int32_t> ids = test_ids(cfg.vocab_size);
    KvState st = KvState::create(cfg);
    std::vector<float> h, logits(std::size_t(cfg.vocab_size)), mout;
    forward_blocks(w, st, ids.data(), kPrompt, h, &pool, nullptr);
    auto step = [&](int t) {
        forward_blocks(w, st, ids.data() + t, 1, h, &pool, nullptr);
        head_logits(w, w.hc_head, w.norm, h.data(), 1, logits.data(), &pool);
        if (cfg.n_mtp_layers > 0)
            mtp_forward(w, 0, st, h.data(), ids.data() + t, 1, mout, &pool);
    };
    st.mtp_tokens = st.n_tokens;           // the MTP block starts here (its position is its own)
    for (int t = kPrompt; t < kFirst; ++t) // warm-up: arenas and buffers reach their size
        step(t);
    st.reserve(cfg, kLast + 8); // the state's own (amortised) growth is not counted
    g_allocs = 0;
    g_counting = true;
    for (int t = kFirst; t < kLast; ++t)
        step(t);
    g_counting = false;
    return g_allocs.load();
}

// Session::decode(token, logits) end to end on a warm session with its state reserved.
long session_decode_allocations(const char *name, int threads)
{
    LoadOptions opt;
    opt.threads = threads;
    auto model = Model::load(golden::case_dir(name), opt);
    if (!model) {
        std::fprintf(stderr, "%s\n", model.status().message().c_str());
        return -1;
    }
    const std::vector<std::int32_t> ids = test_ids((*model)->info().vocab_size);
    auto s = (*model)->create_session();
    if (!s->prefill(std::vector<int>(ids.begin(), ids.begin() + kPrompt)).is_ok())
        return -1;
    if (!s->reserve(kLast + 8).is_ok())
        return -1;
    std::vector<float> logits;
    for (int t = kPrompt; t < kFirst; ++t)
        if (!s->decode(ids[std::size_t(t)], logits).is_ok())
            return -1;
    long failures = 0;
    g_allocs = 0;
    g_counting = true;
    for (int t = kFirst; t < kLast; ++t)
        failures += s->decode(ids[std::size_t(t)], logits).is_ok() ? 0 : 1;
    g_counting = false;
    if (failures || s->position() != kLast
        || logits.size() != std::size_t((*model)->info().vocab_size))
        return -1;
    return g_allocs.load();
}

} // namespace

FOLIO_TEST(decode_step_allocates_nothing_fp8fp4)
{
    if (simd::exact_linear())
        return folio_test::skip("the exact reference linears are in use (not the decode path)");
    for (int threads : {1, 2})
        CHECK_EQ(decode_allocations("fp8fp4_s1", threads), 0L);
}

FOLIO_TEST(decode_step_allocates_nothing_bf16)
{
    if (simd::exact_linear())
        return folio_test::skip("the exact reference linears are in use (not the decode path)");
    for (int threads : {1, 2})
        CHECK_EQ(decode_allocations("bf16_s1", threads), 0L);
}

FOLIO_TEST(session_decode_allocates_nothing)
{
    if (simd::exact_linear())
        return folio_test::skip("the exact reference linears are in use (not the decode path)");
    for (const char *name : {"fp8fp4_s1", "bf16_s1"})
        for (int threads : {1, 2})
            CHECK_EQ(session_decode_allocations(name, threads), 0L);
}

FOLIO_TEST(allocation_counter_counts)
{
    // The replaced operator new does count (so a zero above means something).
    g_allocs = 0;
    g_counting = true;
    auto *v = new std::vector<int>(100);
    g_counting = false;
    CHECK(g_allocs.load() >= 2);
    delete v;
}
