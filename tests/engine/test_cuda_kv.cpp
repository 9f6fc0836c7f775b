// GPU tests (labels gpu, main) of the device's compact KV state and the kernels that read it:
// the KV / indexer-key encoders byte for byte against KvEntryCodec / IndexKeyCodec (and the
// decoders the kernels read through), the sparse attention over compact rows split over keys
// (flash-decoding) against the CPU's sparse_attn_token and against the one-pass kernel, the
// indexer scores over compact keys against the FP32 kernel, and the indexer's top-k over 262,144
// entries (1M context) against topk_desc. Without a usable CUDA device every case skips (exit 77).
#include <cstring>

#include "cpu/ops.h"
#include "cuda/kv_ops.h"
#include "cuda/ops.h"
#include "cuda_test_support.h"
#include "folio_test.h"
#include "kv_state.h"
#include "quant.h"

using namespace folio;
using namespace cuda_test;

namespace {

// KV rows as the attention produces them: [rows, d] BF16 values with the nope dims FP8-simulated
// in blocks of 64 (scales [rows, nope / 64]); a few blocks at extreme magnitudes.
struct KvRowsHost
{
    std::vector<float> kv, scales;
};

KvRowsHost make_kv_rows(int rows, int d, int rope, std::uint32_t seed)
{
    KvRowsHost h;
    h.kv = random_bf16(std::size_t(rows) * d, 1.5f, seed);
    const int nope = d - rope, nsc = nope / 64;
    h.scales.resize(std::size_t(rows) * nsc);
    for (int r = 0; r < rows; ++r) {
        float *row = h.kv.data() + std::size_t(r) * d;
        if (r % 7 == 3)
            for (int c = 0; c < 64; ++c)
                row[c] *= 1e-6f; // subnormal E4M3 codes
        if (r % 11 == 5)
            row[70] = 3e4f; // a saturating block
        for (int b = 0; b < nsc; ++b)
            h.scales[std::size_t(r) * nsc + b] = fp8_simulate_block(row + b * 64, 64);
    }
    return h;
}

} // namespace

FOLIO_TEST(cuda_kv_encode_matches_codec)
{
    if (!gpu_ready())
        return;
    const int rows = 37, d = 512, rope = 64;
    const KvRowsHost h = make_kv_rows(rows, d, rope, 81);
    const KvEntryCodec codec{d, rope};
    std::vector<std::uint8_t> want(std::size_t(rows) * codec.bytes());
    for (int r = 0; r < rows; ++r)
        codec.encode(h.kv.data() + std::size_t(r) * d,
                     h.scales.data() + std::size_t(r) * (448 / 64),
                     want.data() + std::size_t(r) * codec.bytes());
    Dev<float> dkv(h.kv), dsc(h.scales), back(h.kv.size());
    Dev<std::uint8_t> bytes(want.size());
    CHECK_OK(cuda::encode_kv_rows(dkv.p, dsc.p, rows, d, rope, bytes.p, nullptr));
    CHECK(bytes.get() == want);
    // The reader the attention kernel uses gives back the values exactly.
    CHECK_OK(cuda::decode_kv_rows(bytes.p, rows, d, rope, back.p, nullptr));
    std::vector<float> dec(h.kv.size());
    for (int r = 0; r < rows; ++r)
        codec.decode(want.data() + std::size_t(r) * codec.bytes(), dec.data() + std::size_t(r) * d);
    CHECK(same_values(back.get(), dec));
    CHECK(same_values(dec, h.kv)); // (the codec is lossless on simulated rows)
    CHECK(!cuda::encode_kv_rows(dkv.p, dsc.p, rows, 100, 64, bytes.p, nullptr)); // 36 nope dims
}

FOLIO_TEST(cuda_index_key_encode_matches_codec)
{
    if (!gpu_ready())
        return;
    const int rows = 29, dim = 128;
    std::vector<float> keys = random_bf16(std::size_t(rows) * dim, 2.0f, 82);
    std::vector<float> scales(std::size_t(rows) * (dim / 32));
    for (int r = 0; r < rows; ++r)
        for (int b = 0; b < dim / 32; ++b)
            scales[std::size_t(r) * (dim / 32) + b] = fp4_simulate_block(keys.data()
                                                                             + std::size_t(r) * dim
                                                                             + b * 32,
                                                                         32);
    const IndexKeyCodec kc{dim};
    std::vector<std::uint8_t> want(std::size_t(rows) * kc.bytes());
    for (int r = 0; r < rows; ++r)
        kc.encode(keys.data() + std::size_t(r) * dim, scales.data() + std::size_t(r) * (dim / 32),
                  want.data() + std::size_t(r) * kc.bytes());
    Dev<float> dk(keys), ds(scales), back(keys.size());
    Dev<std::uint8_t> bytes(want.size());
    CHECK_OK(cuda::encode_index_keys(dk.p, ds.p, rows, dim, bytes.p, nullptr));
    CHECK(bytes.get() == want);
    CHECK_OK(cuda::decode_index_keys(bytes.p, rows, dim, back.p, nullptr));
    CHECK(same_values(back.get(), keys));
}

FOLIO_TEST(cuda_split_attention_matches_cpu_and_one_pass)
{
    if (!gpu_ready())
        return;
    // A decode query over a long key list of compact rows (window + 8K compressed entries, some
    // slots empty), split over keys as plan_attention_split does for an HCA layer at 1M.
    const int heads = 8, d = 512, rope = 64, n_rows = 3000, n_keys = 4352;
    const KvRowsHost h = make_kv_rows(n_rows, d, rope, 83);
    const KvEntryCodec codec{d, rope};
    std::vector<std::uint8_t> rows(std::size_t(n_rows) * codec.bytes());
    for (int r = 0; r < n_rows; ++r)
        codec.encode(h.kv.data() + std::size_t(r) * d, h.scales.data() + std::size_t(r) * 7,
                     rows.data() + std::size_t(r) * codec.bytes());
    std::vector<int> idx(n_keys);
    for (int j = 0; j < n_keys; ++j)
        idx[std::size_t(j)] = (j % 97 == 5) ? -1 : int((std::uint32_t(j) * 2654435761u) % n_rows);
    std::vector<float> q = random_bf16(std::size_t(heads) * d, 1.0f, 84), sink(heads);
    for (int i = 0; i < heads; ++i)
        sink[std::size_t(i)] = 0.5f * float(i) - 2.0f;
    const float scale = 1.0f / std::sqrt(float(d));
    std::vector<const float *> keys(n_keys);
    for (int j = 0; j < n_keys; ++j)
        keys[std::size_t(j)] = idx[std::size_t(j)] < 0
                                   ? nullptr
                                   : h.kv.data() + std::size_t(idx[std::size_t(j)]) * d;
    std::vector<float> want(std::size_t(heads) * d);
    sparse_attn_token(q.data(), heads, d, keys.data(), n_keys, sink.data(), scale, want.data());

    Dev<float> dq(q), dsink(sink), o1(want.size()), os(want.size()), of(want.size()), dkv(h.kv);
    Dev<std::uint8_t> dr(rows);
    Dev<int> didx(idx);
    // One pass over compact rows == one pass over FP32 rows, bit for bit (exact decoding).
    CHECK_OK(cuda::sparse_attention_kv(dq.p, 1, heads, d, rope, dr.p, didx.p, n_keys, dsink.p, scale,
                                       cuda::AttentionSplit{1, n_keys}, nullptr, o1.p, nullptr));
    CHECK_OK(cuda::sparse_attention(dq.p, 1, heads, d, dkv.p, didx.p, n_keys, dsink.p, scale, of.p,
                                    nullptr));
    CHECK(same_values(o1.get(), of.get()));
    CHECK_NMSE(o1.get(), want, 1e-5);
    for (int sm : {8, 64, 132}) {
        const cuda::AttentionSplit split = cuda::plan_attention_split(1, heads, n_keys, sm);
        CHECK(split.splits > 1);
        Dev<float> part(std::size_t(heads) * split.splits * (d + 2));
        CHECK_OK(cuda::sparse_attention_kv(dq.p, 1, heads, d, rope, dr.p, didx.p, n_keys, dsink.p,
                                           scale, split, part.p, os.p, nullptr));
        CHECK_NMSE(os.get(), want, 1e-5);
        CHECK_NMSE(os.get(), o1.get(), 1e-5);
    }
    // A split over only empty keys changes nothing; a split plan that misses keys is refused.
    std::vector<int> sparse_idx(n_keys, -1);
    sparse_idx[0] = 1;
    Dev<int> dsp(sparse_idx);
    Dev<float> part(std::size_t(heads) * 4 * (d + 2));
    CHECK_OK(cuda::sparse_attention_kv(dq.p, 1, heads, d, rope, dr.p, dsp.p, n_keys, dsink.p, scale,
                                       cuda::AttentionSplit{1, n_keys}, nullptr, o1.p, nullptr));
    CHECK_OK(cuda::sparse_attention_kv(dq.p, 1, heads, d, rope, dr.p, dsp.p, n_keys, dsink.p, scale,
                                       cuda::AttentionSplit{4, 1088}, part.p, os.p, nullptr));
    CHECK(same_values(os.get(), o1.get()));
    CHECK(!cuda::sparse_attention_kv(dq.p, 1, heads, d, rope, dr.p, didx.p, n_keys, dsink.p, scale,
                                     cuda::AttentionSplit{2, 64}, part.p, os.p, nullptr));
}

FOLIO_TEST(cuda_indexer_scores_over_compact_keys)
{
    if (!gpu_ready())
        return;
    const int m = 3, ih = 64, id = 128, n = 1000;
    std::vector<float> keys = random_bf16(std::size_t(n) * id, 1.0f, 85);
    std::vector<float> scales(std::size_t(n) * (id / 32));
    for (int r = 0; r < n; ++r)
        for (int b = 0; b < id / 32; ++b)
            scales[std::size_t(r) * 4 + b] = fp4_simulate_block(keys.data() + std::size_t(r) * id
                                                                    + b * 32,
                                                                32);
    const IndexKeyCodec kc{id};
    std::vector<std::uint8_t> bytes(std::size_t(n) * kc.bytes());
    for (int r = 0; r < n; ++r)
        kc.encode(keys.data() + std::size_t(r) * id, scales.data() + std::size_t(r) * 4,
                  bytes.data() + std::size_t(r) * kc.bytes());
    const std::vector<float> q = random_bf16(std::size_t(m) * ih * id, 1.0f, 86);
    const std::vector<float> hw = random_bf16(std::size_t(m) * ih, 0.1f, 87);
    const std::vector<int> visible = {1000, 617, 3};
    Dev<float> dq(q), dhw(hw), dk(keys), s1(std::size_t(m) * n), s2(std::size_t(m) * n);
    Dev<std::uint8_t> db(bytes);
    Dev<int> dv(visible);
    CHECK_OK(cuda::indexer_scores(dq.p, dhw.p, m, ih, id, dk.p, n, dv.p, s1.p, nullptr));
    CHECK_OK(cuda::indexer_scores_kv(dq.p, dhw.p, m, ih, id, db.p, n, dv.p, s2.p, nullptr));
    CHECK(same_values(s1.get(), s2.get()));
}

FOLIO_TEST(cuda_topk_at_262144_entries_matches_cpu)
{
    if (!gpu_ready())
        return;
    // The indexer at 1M context: 262,144 compressed entries per query, top 512 (BF16 scores, so
    // many ties; -inf past the visible part), two rows.
    const int n = 262144, k = 512, rows = 2;
    std::vector<float> scores = random_bf16(std::size_t(rows) * n, 1.0f, 88);
    for (int i = 200000; i < n; ++i)
        scores[std::size_t(n) + i] = -INFINITY;
    Dev<float> ds(scores);
    Dev<int> out(std::size_t(rows) * k);
    CHECK_OK(cuda::topk(ds.p, rows, n, k, out.p, nullptr));
    const std::vector<int> got = out.get();
    for (int r = 0; r < rows; ++r) {
        std::vector<int> want;
        topk_desc(scores.data() + std::size_t(r) * n, n, k, want);
        CHECK(std::equal(want.begin(), want.end(), got.begin() + std::ptrdiff_t(r) * k));
    }
}
