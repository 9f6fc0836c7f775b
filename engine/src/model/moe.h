// Mixture-of-experts sub-layer (model.py Gate, Expert, MoE): sqrt-softplus router scores, expert
// choice by the token-id hash table (tid2eid, first num_hash_layers blocks) or by top-k of
// score + bias, weights normalised over the chosen experts and scaled by route_scale, clamped
// SwiGLU experts (routed and shared), the routed outputs summed in FP32 in expert-id order.
#pragma once

#include "config.h"
#include "model/weights.h"

#include <cstdint>

namespace folio {

class ThreadPool;

// x: [n, dim] (ffn_norm'ed, BF16), tokens: [n] ids (hash routing); out: [n, dim] BF16.
void moe_forward(const BlockWeights &bw, const ModelConfig &cfg, const float *x,
                 const std::int32_t *tokens, int n, float *out, ThreadPool *pool);

// Router of one token: expert ids [n_activated] and gate weights [n_activated] (FP32).
void moe_route(const MoeWeights &w, const ModelConfig &cfg, bool hash, const float *logits,
               std::int32_t token, int *ids, float *weights);

} // namespace folio
