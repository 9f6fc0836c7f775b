// The forward pass of a whole model (model.py Block.forward, Transformer.forward, MTPBlock.forward)
// over a chunk of tokens at any start position, reading and updating a KvState.
#pragma once

#include "kv_state.h"
#include "model/weights.h"

#include <cstdint>
#include <vector>

namespace folio {

class ThreadPool;

// What a caller may want to see besides logits (golden tests, --dump-layers).
struct ForwardTrace
{
    bool keep_layers = false;
    std::vector<std::vector<float>> layer_out; // [n_layers][n, hc, dim] residual after block L
    // [n_layers][n][k]: CSA indexer picks per layer (empty rows for other layers).
    std::vector<std::vector<std::vector<int>>> indexer_picks;
};

// One block: x [n, hc, dim] BF16 residual in/out.
void block_forward(const BlockWeights &bw, const ModelConfig &cfg, LayerState &state, float *x,
                   const std::int32_t *tokens, int n, std::int64_t start, ThreadPool *pool,
                   std::vector<std::vector<int>> *indexer_picks);

// Embeds the n tokens at positions state.n_tokens.. and runs every main block; h receives the
// final residual [n, hc, dim] (the head's and the MTP block's input). Advances state.n_tokens.
void forward_blocks(const ModelWeights &w, KvState &state, const std::int32_t *tokens, int n,
                    std::vector<float> &h, ThreadPool *pool, ForwardTrace *trace);

// hc_head collapse, final norm and FP32 head for the residual rows h [rows, hc, dim]: logits
// [rows, vocab].
void head_logits(const ModelWeights &w, const HcWeights &hc_head, const std::vector<float> &norm,
                 const float *h, int rows, float *logits, ThreadPool *pool);

// MTP block i on the main model's final residual h [n, hc, dim] at positions
// state.mtp_tokens.. with the ids of the following tokens next_tokens [n]; returns the residual
// of the MTP block [n, hc, dim] and advances state.mtp_tokens.
void mtp_forward(const ModelWeights &w, int i, KvState &state, const float *h,
                 const std::int32_t *next_tokens, int n, std::vector<float> &out, ThreadPool *pool);

} // namespace folio
