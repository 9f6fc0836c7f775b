// Attention sub-layer (see attention.h).
#include "model/attention.h"

#include "cpu/linear.h"
#include "cpu/math.h"
#include "cpu/ops.h"
#include "cpu/simd/ops_kernels.h"
#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "model/bench_support.h"
#include "model/compressor.h"
#include "model/indexer.h"
#include "quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace folio {

namespace {

// q *= rsqrt(mean(q^2) + eps) per head, done in BF16 like the reference's tensor ops on a BF16
// tensor: squares rounded to BF16, mean accumulated in FP32 and rounded to BF16, + eps rounded,
// rsqrt rounded, and the product rounded.
void head_norm_bf16(float *q, int d, float eps)
{
    float sum = 0.0f;
    for (int c = 0; c < d; ++c)
        sum += round_bf16(q[c] * q[c]);
    const float mean = round_bf16(sum / float(d));
    const float r = round_bf16(rsqrt_f32(round_bf16(mean + eps)));
    for (int c = 0; c < d; ++c)
        q[c] = round_bf16(q[c] * r);
}

// Runs fn(i0, i1) over [0, n) on the pool (per-token work of a prefill), inline without one.
void for_tokens(ThreadPool *pool, int n, RangeFn fn, std::int64_t grain = 1)
{
    if (pool)
        pool->parallel_for(n, fn, grain);
    else
        fn(0, n);
}

// KvEntryCodec::decode with table lookups instead of per-element calls (same FP32 products:
// e4m3 value x power-of-two scale, BF16 rope values).
struct FastKvDecoder
{
    float e4m3[256], e8m0[256];
    FastKvDecoder()
    {
        for (int i = 0; i < 256; ++i) {
            e4m3[i] = e4m3_decode(std::uint8_t(i));
            e8m0[i] = e8m0_decode(std::uint8_t(i));
        }
    }
    void decode(const KvEntryCodec &codec, const std::uint8_t *src, float *kv) const
    {
        const int n = codec.nope();
        const std::uint8_t *sc = src + n;
        for (int b = 0; b < codec.n_scales(); ++b) {
            const float s = e8m0[sc[b]];
            for (int i = 64 * b; i < 64 * (b + 1); ++i)
                kv[i] = e4m3[src[i]] * s;
        }
        const std::uint8_t *rope = src + n + codec.n_scales();
        for (int i = 0; i < codec.rope_dim; ++i) {
            std::uint16_t b;
            std::memcpy(&b, rope + 2 * i, 2);
            kv[n + i] = bf16_to_f32(b);
        }
    }
};

const FastKvDecoder &kv_decoder()
{
    static const FastKvDecoder d;
    return d;
}

// Grouped output projection: z[g] = wo_a[g] . o_g per group, a BF16 einsum (FP32 accumulation,
// one rounding). o: [n, n_heads*head_dim], z: [n, o_groups*o_lora_rank]. When a group's rows are
// a valid weight view on their own (FP8: whole 128-row scale tiles; BF16/F32: always) each group
// is one call of the linear API (the fast GEMM/GEMV kernels) on its gathered input slice;
// otherwise the grouped kernel of cpu/simd/ops_kernels.h, split by weight rows.
void grouped_wo_a(const LinearWeight &wo_a, const ModelConfig &cfg, const float *o, int n, float *z,
                  ThreadPool *pool)
{
    const int groups = cfg.o_groups, rank = cfg.o_lora_rank;
    const int rows = groups * rank, gin = wo_a.in;
    const int o_stride = cfg.n_heads * cfg.head_dim;
    const bool views = wo_a.kind == WeightKind::BF16 || wo_a.kind == WeightKind::F32
                       || (wo_a.kind == WeightKind::FP8 && rank % 128 == 0 && gin % 128 == 0);
    if (views) {
        Scratch::Frame f;
        float *xg = f.alloc<float>(std::size_t(n) * gin),
              *zg = f.alloc<float>(std::size_t(n) * rank);
        for (int g = 0; g < groups; ++g) {
            LinearWeight v = wo_a;
            v.out = rank;
            if (wo_a.kind == WeightKind::FP8) {
                v.data = wo_a.data + std::size_t(g) * rank * gin;
                v.scale = wo_a.scale + std::size_t(g) * (rank / 128) * (gin / 128);
            } else {
                const std::size_t elem = wo_a.kind == WeightKind::BF16 ? 2 : 4;
                v.data = wo_a.data + std::size_t(g) * rank * gin * elem;
            }
            // Gather and scatter split by tokens (tens of MB in a prefill: serial otherwise).
            for_tokens(
                pool, n,
                [&](std::int64_t i0, std::int64_t i1) {
                    for (std::int64_t i = i0; i < i1; ++i)
                        std::memcpy(xg + std::size_t(i) * gin,
                                    o + std::size_t(i) * o_stride + std::size_t(g) * gin,
                                    sizeof(float) * std::size_t(gin));
                },
                64);
            linear_bf16_out(xg, n, v, zg, pool);
            for_tokens(
                pool, n,
                [&](std::int64_t i0, std::int64_t i1) {
                    for (std::int64_t i = i0; i < i1; ++i)
                        std::memcpy(z + std::size_t(i) * rows + std::size_t(g) * rank,
                                    zg + std::size_t(i) * rank, sizeof(float) * std::size_t(rank));
                },
                64);
        }
        return;
    }
    auto run = [&](std::int64_t r0, std::int64_t r1) {
        simd::grouped_rows_bf16(wo_a, rank, o, n, o_stride, int(r0), int(r1), z, rows,
                                simd::active_isa());
    };
    if (pool)
        pool->parallel_for(rows, run, 16);
    else
        run(0, rows);
}

} // namespace

void attention_forward(const BlockWeights &bw, const ModelConfig &cfg, const float *x, int n,
                       std::int64_t start, LayerState &state, float *out, ThreadPool *pool,
                       std::vector<std::vector<int>> *indexer_picks)
{
    const AttentionWeights &a = bw.attn;
    const int H = cfg.n_heads, hd = cfg.head_dim, rd = cfg.rope_head_dim, win = cfg.window_size;
    const int ratio = bw.compress_ratio;
    const RopeFreqs &rope = *bw.rope;
    const int half = rd / 2;
    const float eps = float(cfg.norm_eps);
    const bool prefill_mode = start == 0;
    Scratch::Frame f; // every temporary below: no allocation per decode step once warm

    // cos/sin of every position of the call, shared by q, kv and the de-rotation: [n][rd/2][2].
    float *cs = f.alloc<float>(std::size_t(n) * rd);
    for_tokens(
        pool, n,
        [&](std::int64_t i0, std::int64_t i1) {
            for (std::int64_t i = i0; i < i1; ++i)
                rope_cos_sin(rope, start + i, cs + std::size_t(i) * rd);
        },
        16);

    // Query path. qr: [n, q_lora_rank] BF16 (also the indexer's input); q: [n, H, hd] BF16.
    float *qr = f.alloc<float>(std::size_t(n) * cfg.q_lora_rank);
    linear_bf16_out(x, n, a.wq_a, qr, pool);
    rms_norm_bf16(qr, n, cfg.q_lora_rank, a.q_norm.data(), eps, qr);
    float *q = f.alloc<float>(std::size_t(n) * H * hd);
    linear_bf16_out(qr, n, a.wq_b, q, pool);
    for_tokens(
        pool, n * H,
        [&](std::int64_t r0, std::int64_t r1) {
            for (std::int64_t r = r0; r < r1; ++r) { // r = token * H + head
                float *qh = q + std::size_t(r) * hd;
                head_norm_bf16(qh, hd, eps);
                apply_rope_cs(qh + hd - rd, cs + std::size_t(r / H) * rd, half, false);
            }
        },
        16);

    // KV path. kv: [n, hd] BF16; the nope dims FP8-simulated (block 64), kv_scales:
    // [n, nope/64]; the rope dims stay BF16 for positional precision.
    const KvEntryCodec codec{hd, rd};
    const int nblk = codec.n_scales();
    float *kv = f.alloc<float>(std::size_t(n) * hd);
    float *kv_scales = f.alloc<float>(std::size_t(n) * nblk);
    linear_bf16_out(x, n, a.wkv, kv, pool);
    rms_norm_bf16(kv, n, hd, a.kv_norm.data(), eps, kv);
    for_tokens(
        pool, n,
        [&](std::int64_t i0, std::int64_t i1) {
            for (std::int64_t i = i0; i < i1; ++i) {
                float *ki = kv + std::size_t(i) * hd;
                apply_rope_cs(ki + hd - rd, cs + std::size_t(i) * rd, half, false);
                for (int b = 0; b < nblk; ++b)
                    kv_scales[std::size_t(i) * nblk + b] = fp8_simulate_block(ki + 64 * b, 64);
            }
        },
        8);

    // Compressed branch: the indexer first (its compressor, then scores), then the main
    // compressor; entries completed in this call are visible to later tokens of the call.
    // picks: [n, index_topk] entry ids per token (row i: widths[i] of them, -1 = no key).
    const int topk = cfg.index_topk;
    int *picks = nullptr, *widths = nullptr;
    if (a.indexer) {
        picks = f.alloc<int>(std::size_t(n) * topk);
        widths = f.alloc<int>(std::size_t(n));
        indexer_forward(*a.indexer, rope, cfg, x, qr, n, start, prefill_mode, state, pool, picks,
                        widths);
    }
    if (a.compressor) {
        thread_local CompressedEntries ce; // reused: keeps its capacity
        compressor_forward(*a.compressor, rope, rd, eps, x, n, start, state.compressor, pool, ce);
        for (std::size_t e = 0; e < ce.ids.size(); ++e) {
            const std::size_t off = std::size_t(ce.ids[e]) * codec.bytes();
            state.compressed.resize(off + codec.bytes());
            codec.encode(ce.values.data() + e * hd, ce.scales.data() + e * nblk,
                         state.compressed.data() + off);
        }
        state.n_entries = std::int64_t(state.compressed.size() / codec.bytes());
    }

    // Keys as float vectors, decoded from the compact layout (lossless): the window ring slots of
    // positions before this call, and only the compressed entries some query reads — the CSA
    // picks, decoded per call, or every entry of an HCA layer, kept decoded in the state's cache
    // (only the entries new since the last call are decoded) — so a decode step's decoding work
    // does not grow with the context.
    const FastKvDecoder &dec = kv_decoder();
    const std::int64_t ring_first = std::max<std::int64_t>(0, start - win);
    float *ring = f.alloc<float>(std::size_t(win) * hd);
    for_tokens(
        pool, int(start - ring_first),
        [&](std::int64_t k0, std::int64_t k1) { // split: a decode step's window is 128 entries
            for (std::int64_t pos = ring_first + k0; pos < ring_first + k1; ++pos)
                dec.decode(codec, state.window.data() + std::size_t(pos % win) * codec.bytes(),
                           ring + std::size_t(pos % win) * hd);
        },
        32);
    // Decodes entries used[u] (or u itself without `used`) for u in [u0, u1) into dst rows u.
    auto decode_entries = [&](const int *used, std::size_t u0, std::size_t u1, float *dst) {
        for_tokens(
            pool, int(u1 - u0),
            [&](std::int64_t k0, std::int64_t k1) {
                for (std::int64_t k = k0; k < k1; ++k) {
                    const std::size_t u = u0 + std::size_t(k);
                    const std::size_t e = used ? std::size_t(used[u]) : u;
                    dec.decode(codec, state.compressed.data() + e * codec.bytes(),
                               dst + u * std::size_t(hd));
                }
            },
            64);
    };
    // entries: decoded rows. CSA: used[0 .. n_used) are the sorted ids of the picked entries and
    // row u is entry used[u]; HCA: row e is entry e (the cache).
    int *used = nullptr;
    std::size_t n_used = 0;
    const float *entries = nullptr;
    if (ratio && a.indexer) {
        used = f.alloc<int>(std::size_t(n) * topk);
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < widths[i]; ++j)
                if (const int e = picks[std::size_t(i) * topk + j]; e >= 0)
                    used[n_used++] = e;
        std::sort(used, used + n_used);
        n_used = std::size_t(std::unique(used, used + n_used) - used);
        float *rows = f.alloc<float>(n_used * std::size_t(hd));
        decode_entries(used, 0, n_used, rows);
        entries = rows;
    } else if (ratio) {
        std::vector<float> &cache = state.hca_decoded;
        const std::size_t total = std::size_t(state.n_entries);
        const std::size_t have = std::min(cache.size() / std::size_t(hd), total);
        cache.resize(total * std::size_t(hd)); // amortised growth (KvState::reserve avoids it)
        decode_entries(nullptr, have, total, cache.data());
        entries = cache.data();
    }
    auto entry = [&](int e) { // decoded CSA entry e (e is in `used`)
        return entries + std::size_t(std::lower_bound(used, used + n_used, e) - used) * hd;
    };

    // Sparse attention per token over [window part][compressed part]. o: [n, H, hd] BF16.
    float *o = f.alloc<float>(std::size_t(n) * H * hd);
    const float softmax_scale = float(std::pow(double(hd), -0.5));
    const bench_support::DenseBaseline *dense = bench_support::dense_baseline();
    const int wq = prefill_mode ? std::min(n, win) : win;
    std::size_t max_keys = std::size_t(wq);
    if (ratio && a.indexer)
        max_keys += std::size_t(topk);
    else if (ratio)
        max_keys += std::size_t((start + n) / ratio);
    if (dense)
        max_keys = std::size_t(dense->n_keys);
    // The key list of token i: [window part][compressed part] (null = no key); returns its size.
    auto build_keys = [&](std::int64_t i, const float **keys) {
        const std::int64_t p = start + i;
        std::size_t nk = 0;
        if (dense) { // benchmark-only baseline: every previous token instead
            for (std::int64_t t = 0; t < dense->n_keys; ++t)
                keys[nk++] = dense->keys + std::size_t(t) * hd;
            return nk;
        }
        const std::int64_t first = std::max<std::int64_t>(0, p - win + 1);
        for (int j = 0; j < wq; ++j) {
            const std::int64_t pos = first + j;
            if (pos > p)
                keys[nk++] = nullptr;
            else if (pos >= start)
                keys[nk++] = kv + std::size_t(pos - start) * hd;
            else
                keys[nk++] = ring + std::size_t(pos % win) * hd;
        }
        if (ratio && a.indexer) {
            const int *row = picks + std::size_t(i) * topk;
            for (int j = 0; j < widths[i]; ++j)
                keys[nk++] = row[j] < 0 ? nullptr : entry(row[j]);
        } else if (ratio) {
            const std::int64_t visible = (p + 1) / ratio;
            const std::int64_t width = prefill_mode ? (start + n) / ratio : visible;
            for (std::int64_t e = 0; e < width; ++e)
                keys[nk++] = e < visible ? entries + std::size_t(e) * hd : nullptr;
        }
        return nk;
    };
    // Heads [h0, h1) of token i over its key list; then the value's rope part de-rotated at the
    // query position.
    auto attend_heads = [&](std::int64_t i, const float *const *keys, std::size_t nk, int h0,
                            int h1) {
        const std::size_t off = (std::size_t(i) * H + h0) * hd;
        sparse_attn_token(q + off, h1 - h0, hd, keys, int(nk), a.attn_sink.data() + h0,
                          softmax_scale, o + off);
        for (int h = h0; h < h1; ++h)
            apply_rope_cs(o + (std::size_t(i) * H + h) * hd + hd - rd, cs + std::size_t(i) * rd,
                          half, true);
    };
    if (pool && n < pool->size() && H > 1) {
        // Fewer tokens than threads (decode): split the heads of each token instead. Heads are
        // independent, so this equals the per-token computation bit for bit.
        const float **keys = f.alloc<const float *>(max_keys);
        for (int i = 0; i < n; ++i) {
            const std::size_t nk = build_keys(i, keys);
            pool->parallel_for(H, [&](std::int64_t h0, std::int64_t h1) {
                attend_heads(i, keys, nk, int(h0), int(h1));
            });
        }
    } else {
        // Token k of the split is n-1-k/2 for odd k, k/2 for even k (HCA keys grow with the
        // position; this gives every thread's contiguous chunk the same mix).
        for_tokens(pool, n, [&](std::int64_t k0, std::int64_t k1) {
            Scratch::Frame wf; // the running thread's arena
            const float **keys = wf.alloc<const float *>(max_keys);
            for (std::int64_t k = k0; k < k1; ++k) {
                const std::int64_t i = k % 2 == 0 ? k / 2 : n - 1 - k / 2;
                attend_heads(i, keys, build_keys(i, keys), 0, H);
            }
        });
    }

    // The window ring keeps the last `win` tokens (slot p % win).
    for (int i = std::max(0, n - win); i < n; ++i)
        codec.encode(kv + std::size_t(i) * hd, kv_scales + std::size_t(i) * nblk,
                     state.window.data() + std::size_t((start + i) % win) * codec.bytes());
    if (indexer_picks) {
        indexer_picks->assign(std::size_t(a.indexer ? n : 0), {});
        for (std::size_t i = 0; i < indexer_picks->size(); ++i)
            (*indexer_picks)[i].assign(picks + i * topk, picks + i * topk + widths[i]);
    }

    // Output projections. z: [n, o_groups*o_lora_rank] BF16; out: [n, dim] BF16.
    float *z = f.alloc<float>(std::size_t(n) * cfg.o_groups * cfg.o_lora_rank);
    grouped_wo_a(a.wo_a, cfg, o, n, z, pool);
    linear_bf16_out(z, n, a.wo_b, out, pool);
}

} // namespace folio
