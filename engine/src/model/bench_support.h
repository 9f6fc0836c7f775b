// Benchmark-only engine paths for `folio-bench model` (bench/model_bench.cpp). Not part of the
// product API (engine/include/folio/*.h does not expose them) and never used by the engine itself
// except through the one hook attention_forward reads:
//   * extend_state_synthetic: grows a real state (after a short real prefill) to a long context by
//     repeating its compressed entries and indexer keys, so decode at 32K/128K context can be timed
//     without a 128K-token prefill. Entry values are real ones; only their positions are fictional,
//     which changes no cost.
//   * the dense-attention baseline: while set, every query attends over all previous tokens (one
//     shared [n_keys, head_dim] key buffer standing in for a dense KV cache) instead of the window
//     plus the compressed/selected entries — what decode would cost without compressed attention.
#pragma once

#include "config.h"
#include "folio/status.h"
#include "kv_state.h"

#include <cstdint>

namespace folio::bench_support {

// Advances `state` by `add_tokens` positions (a multiple of 128 and of every compress ratio):
// n_tokens, mtp_tokens and each layer's compressed entries / indexer keys grow as a real run would
// grow them; the new entries repeat the existing ones cyclically. The state needs at least one
// compressed entry per compressed layer (prefill >= the largest ratio first).
Status extend_state_synthetic(const ModelConfig &cfg, KvState &state, std::int64_t add_tokens);

struct DenseBaseline
{
    const float *keys = nullptr; // [n_keys, head_dim] K=V vectors (BF16 values)
    std::int64_t n_keys = 0;
};

// Sets (or clears with null) the process-wide dense-attention baseline. Not thread-safe against
// running forward passes: set it between them.
void set_dense_baseline(const DenseBaseline *baseline);
const DenseBaseline *dense_baseline();

} // namespace folio::bench_support
