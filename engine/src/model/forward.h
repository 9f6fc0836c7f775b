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

// Buffers of one sequence's CPU forward calls (Session, folio-bench model). Kept between calls:
// vectors keep their capacity, so a warm decode step allocates nothing here.
struct ForwardBuffers
{
    std::vector<float> h;    // [n, hc, dim] final residual of the main blocks
    std::vector<float> mh;   // [n, hc, dim] MTP inputs: last_hidden then h without its last row
    std::vector<float> mout; // [n, hc, dim] the MTP block's residual (not used further)
};

// One forward call as a Session runs it on the CPU: the main blocks over the n tokens at
// positions state.n_tokens.., the head for the last row into last_logits [vocab] (or for every
// row into *all [n, vocab], last_logits then its last row), and the MTP block kept one position
// behind: its input at position p is (final residual at p, token p+1), so it takes last_hidden
// (the previous call's last residual) when the MTP block is exactly one position behind, and
// starts at the call's second token otherwise (position 0, or a state without MTP history).
// last_hidden receives the call's last final residual [hc, dim]. trace: as forward_blocks.
void forward_call(const ModelWeights &w, KvState &state, const std::int32_t *tokens, int n,
                  ForwardBuffers &buf, std::vector<float> &last_logits,
                  std::vector<float> &last_hidden, std::vector<float> *all, ThreadPool *pool,
                  ForwardTrace *trace);

// MTP block i on the main model's final residual h [n, hc, dim] at positions
// state.mtp_tokens.. with the ids of the following tokens next_tokens [n]; returns the residual
// of the MTP block [n, hc, dim] and advances state.mtp_tokens.
void mtp_forward(const ModelWeights &w, int i, KvState &state, const float *h,
                 const std::int32_t *next_tokens, int n, std::vector<float> &out, ThreadPool *pool);

} // namespace folio
