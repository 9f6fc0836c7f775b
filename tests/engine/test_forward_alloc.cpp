// No heap allocation on the CPU decode path (issue 5): after a prefill and a few warm-up steps, a
// decode step — the main blocks, the head for one row, the MTP block — runs on the per-thread
// scratch arenas (cpu/workspace.h) and the pool's allocation-free parallel_for, so the global
// operator new is never called. Counted by replacing operator new in this test binary; the KV
// state's own growth (compressed entries appended every few tokens, amortised vector growth) is
// reserved up front so that only the forward pass's allocations are counted. Both golden models
// (BF16 and FP8/FP4 weights), one and two threads. The linears' exact reference path (scalar ISA
// or FOLIO_EXACT_LINEAR=1, cpu/linear.cpp) is a reference, not the decode path, and is skipped.
#include "cpu/simd/kernels.h"
#include "golden_support.h"
#include "kv_state.h"
#include "model/forward.h"

#include "folio_test.h"

#include <atomic>
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

long decode_allocations(const char *name, int threads)
{
    golden::Case c;
    if (!golden::load_case(name, c))
        return -1;
    const ModelConfig &cfg = c.cfg;
    const ModelWeights &w = *c.weights;
    ThreadPool pool(threads);
    const int prompt = 40;
    std::vector<std::int32_t> ids(std::size_t(prompt + 8));
    for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = std::int32_t((i * 7919 + 11) % std::size_t(cfg.vocab_size));
    KvState st = KvState::create(cfg);
    std::vector<float> h, logits(std::size_t(cfg.vocab_size)), mout;
    forward_blocks(w, st, ids.data(), prompt, h, &pool, nullptr);
    auto step = [&](int t) {
        forward_blocks(w, st, ids.data() + t, 1, h, &pool, nullptr);
        head_logits(w, w.hc_head, w.norm, h.data(), 1, logits.data(), &pool);
        if (cfg.n_mtp_layers > 0)
            mtp_forward(w, 0, st, h.data(), ids.data() + t, 1, mout, &pool);
    };
    st.mtp_tokens = st.n_tokens;              // the MTP block starts here (its position is its own)
    for (int t = prompt; t < prompt + 3; ++t) // warm-up: arenas and buffers reach their size
        step(t);
    for (LayerState &l : st.layers) { // the state's own (amortised) growth is not counted
        l.compressed.reserve(l.compressed.size() + (1 << 16));
        l.index_keys.reserve(l.index_keys.size() + (1 << 16));
    }
    for (LayerState &l : st.mtp) {
        l.compressed.reserve(l.compressed.size() + (1 << 16));
        l.index_keys.reserve(l.index_keys.size() + (1 << 16));
    }
    g_allocs = 0;
    g_counting = true;
    for (int t = prompt + 3; t < prompt + 8; ++t)
        step(t);
    g_counting = false;
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
