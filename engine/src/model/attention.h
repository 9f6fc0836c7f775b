// Attention sub-layer of a block (model.py Attention): low-rank query with the per-head BF16
// RMS normalisation, a single K=V head (wkv + kv_norm + RoPE + FP8 simulation), the sliding
// window plus — by layer type — the HCA compressed entries or the CSA indexer's picks, sparse
// attention with a per-head sink, de-rotation of the output, the grouped low-rank wo_a and wo_b.
#pragma once

#include "config.h"
#include "kv_state.h"
#include "model/weights.h"

#include <cstdint>
#include <vector>

namespace folio {

class ThreadPool;

// Runs the n tokens at start..start+n-1 (x: [n, dim], attn_norm'ed BF16) through the attention of
// block `bw` against and into `state`; out: [n, dim] BF16. A call with start == 0 follows the
// reference's prefill (window part min(n, window) wide, entries of this call masked by
// visibility); any other call follows its decode semantics token by token (window part `window`
// wide). indexer_picks, when given, receives the CSA indexer's picks per token.
void attention_forward(const BlockWeights &bw, const ModelConfig &cfg, const float *x, int n,
                       std::int64_t start, LayerState &state, float *out, ThreadPool *pool,
                       std::vector<std::vector<int>> *indexer_picks);

} // namespace folio
