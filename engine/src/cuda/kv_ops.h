// Host API of the kernels that work on the device's compact KV state (kv_state.h layout, see
// kv_codec.cuh): the encoders that write FP8-simulated KV rows and FP4-simulated indexer keys as
// KvEntryCodec / IndexKeyCodec bytes (kv_codec.cu), the sparse attention over compact rows with
// the decode split over keys, and the indexer scores over compact keys (attention.cu). Device
// pointers, a stream, a Status naming the failing call, as ops.h.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "folio/status.h"
#include "kv_plan.h"

namespace folio::cuda {

// KvEntryCodec::encode of `rows` rows: kv [rows, head_dim] FP32 values whose first head_dim -
// rope_dim dims are e4m3 * scales (quant_simulate's output), scales [rows, nope / 64] powers of
// two; dst [rows, KvEntryCodec::bytes()] (byte-identical to the CPU encoder).
Status encode_kv_rows(const float *kv, const float *scales, std::int64_t rows, int head_dim,
                      int rope_dim, std::uint8_t *dst, cudaStream_t stream);
// IndexKeyCodec::encode: keys [rows, dim] (e2m1 * scales), scales [rows, dim / 32]; dst [rows,
// dim / 2 + dim / 32].
Status encode_index_keys(const float *keys, const float *scales, std::int64_t rows, int dim,
                         std::uint8_t *dst, cudaStream_t stream);
// KvEntryCodec::decode / IndexKeyCodec::decode of `rows` rows into FP32 (the op tests, and a
// debugging aid).
Status decode_kv_rows(const std::uint8_t *src, std::int64_t rows, int head_dim, int rope_dim,
                      float *kv, cudaStream_t stream);
Status decode_index_keys(const std::uint8_t *src, std::int64_t rows, int dim, float *keys,
                         cudaStream_t stream);

// sparse_attention (ops.h) over compact KV rows: idx [m, n_keys] rows of kv [*, KvEntryCodec
// bytes] (-1 = no key). `split` from plan_attention_split; with split.splits > 1, `partials`
// holds m * heads * splits * (d + 2) floats.
Status sparse_attention_kv(const float *q, int m, int heads, int d, int rope_dim,
                           const std::uint8_t *kv, const int *idx, int n_keys, const float *sink,
                           float scale, AttentionSplit split, float *partials, float *o,
                           cudaStream_t stream);
// indexer_scores (ops.h) over compact indexer keys [n_entries, id / 2 + id / 32].
Status indexer_scores_kv(const float *q, const float *hw, int m, int ih, int id,
                         const std::uint8_t *keys, int n_entries, const int *visible, float *scores,
                         cudaStream_t stream);

} // namespace folio::cuda
