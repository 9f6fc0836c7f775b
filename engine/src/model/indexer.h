// Lightning indexer of the CSA layers (model.py Indexer): scores every visible compressed entry
// for each query token and keeps the top index_topk. Its own compressor (ratio 4, overlap, with
// the Hadamard rotation and FP4 simulation) produces the indexer keys, stored compactly in the
// layer state.
#pragma once

#include "config.h"
#include "kv_state.h"
#include "model/weights.h"

#include <cstdint>
#include <vector>

namespace folio {

class ThreadPool;

// For the n tokens at start..start+n-1 with attention input x [n, dim] and query latent
// qr [n, q_lora_rank]: updates the indexer compressor (appending keys to state.index_keys) and
// writes per token the picked entry ids by descending score (ties to the lower id), -1 padded:
// row i of picks [n, index_topk] holds widths[i] ids. prefill_mode (a call with start == 0, as the
// reference's prefill): every row has width min(topk, n/4) and entries not yet visible to a token
// are -1; otherwise (decode semantics) the row of the token at p has width min(topk, (p+1)/4).
void indexer_forward(const IndexerWeights &w, const RopeFreqs &rope, const ModelConfig &cfg,
                     const float *x, const float *qr, int n, std::int64_t start, bool prefill_mode,
                     LayerState &state, ThreadPool *pool, int *picks, int *widths);

} // namespace folio
