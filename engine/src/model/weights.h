// ModelWeights: every tensor of a DeepSeek-V4 checkpoint bound to the structure of the reference
// (inference/model.py module names: Block.attn.wq_a, Block.ffn.experts[e].w1, ...). Large weights
// stay in the Checkpoint's mappings (LinearWeight views); small FP32 parameters (norm weights,
// mHC mixes, sinks, ape, router bias) are copied and upcast once, which also frees the forward
// pass from any alignment assumption about the file. The checkpoint is validated against the
// config's tensor directory before anything is bound.
#pragma once

#include "config.h"
#include "cpu/linear.h"
#include "cpu/ops.h"
#include "folio/status.h"
#include "safetensors.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace folio {

// hc_{attn,ffn}_{fn,base,scale} of a block, or hc_head_* (then mix = hc_mult, scale has 1 entry).
struct HcWeights
{
    std::vector<float> fn;    // [mix_hc, hc_mult * dim] fp32
    std::vector<float> base;  // [mix_hc] fp32
    std::vector<float> scale; // [3] (block) or [1] (head) fp32
};

struct CompressorWeights
{
    int compress_ratio = 0;
    int head_dim = 0;        // output width c (512 attention, 128 indexer in V4-Flash)
    bool overlap = false;    // ratio 4: two halves per token, 8-slot windows
    bool rotate = false;     // indexer compressor: Hadamard + FP4 instead of FP8 simulation
    LinearWeight wkv, wgate; // [coff*c, dim] BF16 used as FP32
    std::vector<float> ape;  // [ratio, coff*c] fp32
    std::vector<float> norm; // [c]
};

struct IndexerWeights
{
    LinearWeight wq_b;         // [index_n_heads*index_head_dim, q_lora_rank]
    LinearWeight weights_proj; // [index_n_heads, dim] BF16
    CompressorWeights compressor;
};

struct AttentionWeights
{
    std::vector<float> attn_sink; // [n_heads] fp32
    LinearWeight wq_a;            // [q_lora_rank, dim]
    std::vector<float> q_norm;    // [q_lora_rank]
    LinearWeight wq_b;            // [n_heads*head_dim, q_lora_rank]
    LinearWeight wkv;             // [head_dim, dim]
    std::vector<float> kv_norm;   // [head_dim]
    LinearWeight wo_a;            // [o_groups*o_lora_rank, n_heads*head_dim/o_groups] (as BF16)
    LinearWeight wo_b;            // [dim, o_groups*o_lora_rank]
    std::optional<CompressorWeights> compressor;
    std::optional<IndexerWeights> indexer;
};

struct ExpertWeights
{
    LinearWeight w1, w2, w3; // w1/w3: [moe_inter_dim, dim]; w2: [dim, moe_inter_dim]
};

struct MoeWeights
{
    LinearWeight gate;                     // [n_routed_experts, dim] BF16 used as FP32
    std::vector<float> bias;               // [n_routed_experts] (score-routed layers)
    const std::uint8_t *tid2eid = nullptr; // [vocab, n_activated] int64 (hash layers)
    std::vector<ExpertWeights> experts;
    ExpertWeights shared;
};

struct BlockWeights
{
    int layer_id = 0;
    int compress_ratio = 0;
    bool hash = false;
    std::vector<float> attn_norm, ffn_norm; // [dim]
    HcWeights hc_attn, hc_ffn;
    AttentionWeights attn;
    MoeWeights ffn;
    const RopeFreqs *rope = nullptr; // the layer's table (theta and YaRN by compress ratio)
};

struct MtpWeights
{
    BlockWeights block;
    LinearWeight e_proj, h_proj;           // [dim, dim]
    std::vector<float> enorm, hnorm, norm; // [dim]
    HcWeights hc_head;
};

struct ModelWeights
{
    std::shared_ptr<const Checkpoint> checkpoint; // keeps the mappings alive
    ModelConfig cfg;
    const std::uint8_t *embed = nullptr; // [vocab, dim] bf16
    std::vector<BlockWeights> layers;
    std::vector<float> norm; // [dim]
    LinearWeight head;       // [vocab, dim] BF16 used as FP32
    HcWeights hc_head;
    std::vector<MtpWeights> mtp;
    RopeFreqs rope_window;     // ratio-0 layers: rope_theta, no YaRN
    RopeFreqs rope_compressed; // compressor layers: compress_rope_theta with YaRN
};

// Validates `ckpt` against `cfg` (validate_checkpoint) and binds every tensor.
Result<std::shared_ptr<const ModelWeights>> bind_weights(std::shared_ptr<const Checkpoint> ckpt,
                                                         const ModelConfig &cfg);

// Embedding row of `token` as BF16 values in floats: out [dim].
void embed_token(const ModelWeights &w, std::int64_t token, float *out);

} // namespace folio
