// ModelConfig: the validated architecture description of a DeepSeek-V4 checkpoint, read from the
// release's Hugging Face config.json (field names of spec §1.1: `hidden_size`, `sliding_window`,
// `num_hash_layers`, `quantization_config`, `expert_dtype`, ...). Any model of this architecture
// loads through it: the real V4-Flash, the golden cases, folio-mkmodel's random models.
//
// Parsing validates everything the engine later relies on (positive sizes, head_dim a multiple of
// 64, compress_ratios of length n_layers + n_mtp_layers with ratios the forward supports, ...), so
// the forward pass never re-checks; every error names the JSON field.
//
//   folio::Result<folio::ModelConfig> cfg = folio::load_model_config(dir + "/config.json");
//   if (!cfg) return cfg.status();      // e.g. "config.json: hidden_size: missing"
#pragma once

#include "folio/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace folio {

// Storage of the non-expert Linear weights. FP8 = E4M3 weight + ".scale" E8M0
// [ceil(out/128), ceil(in/128)] (128×128 tiles).
enum class WeightFormat { BF16, FP8 };
// Storage of the routed experts. FP4 = I8 [out, in/2] packed E2M1 (low nibble = even k) +
// ".scale" E8M0 [out, in/32]; FP8 = like WeightFormat::FP8.
enum class ExpertFormat { BF16, FP8, FP4 };

struct ModelConfig
{
    int vocab_size = 0;    // vocab_size: rows of embed / head
    int dim = 0;           // hidden_size
    int n_layers = 0;      // num_hidden_layers (main blocks, without MTP)
    int n_heads = 0;       // num_attention_heads (query heads; one shared K=V head)
    int head_dim = 0;      // head_dim (incl. the rope part), multiple of 64
    int rope_head_dim = 0; // qk_rope_head_dim: rope on the last rope_head_dim dims
    int q_lora_rank = 0;   // q_lora_rank
    int o_groups = 0;      // o_groups: n_heads is split into o_groups consecutive groups
    int o_lora_rank = 0;   // o_lora_rank: per-group output rank
    int window_size = 0;   // sliding_window
    // compress_ratios: n_layers + n_mtp_layers entries; the last n_mtp_layers are the MTP blocks.
    // 0 = sliding window only, 4 = CSA (overlapping compressor + indexer), other = HCA.
    std::vector<int> compress_ratios;
    double rope_theta = 0;          // rope_theta (ratio-0 layers)
    double compress_rope_theta = 0; // compress_rope_theta (layers with a compressor)
    // rope_scaling {type: yarn, factor, original_max_position_embeddings, beta_fast, beta_slow};
    // applies to compressor layers only. yarn == false when rope_scaling is absent or null.
    bool yarn = false;
    double rope_factor = 1;
    std::int64_t original_seq_len = 0;
    double beta_fast = 0, beta_slow = 0;
    std::int64_t max_position_embeddings = 0;
    int index_n_heads = 0, index_head_dim = 0, index_topk = 0;
    int n_routed_experts = 0;        // n_routed_experts
    int n_shared_experts = 0;        // n_shared_experts
    int n_activated_experts = 0;     // num_experts_per_tok
    int moe_inter_dim = 0;           // moe_intermediate_size (routed and shared experts)
    int n_hash_layers = 0;           // num_hash_layers: layers 0..n-1 route by tid2eid
    double route_scale = 1;          // routed_scaling_factor
    double swiglu_limit = 0;         // swiglu_limit (0 = no clamp)
    int hc_mult = 0;                 // hc_mult: residual streams
    int hc_sinkhorn_iters = 0;       // hc_sinkhorn_iters
    double hc_eps = 0, norm_eps = 0; // hc_eps, rms_norm_eps
    int n_mtp_layers = 0;            // num_nextn_predict_layers
    WeightFormat weight_format = WeightFormat::BF16; // quantization_config present => FP8
    ExpertFormat expert_format = ExpertFormat::BF16; // expert_dtype "fp4"/"fp8", else = weights
    int bos_token_id = 0, eos_token_id = 0;

    // Ratio of block `layer` (0..n_layers+n_mtp_layers-1; MTP block i is n_layers + i).
    int compress_ratio(int layer) const { return compress_ratios[static_cast<size_t>(layer)]; }
    bool is_hash_layer(int layer) const { return layer < n_layers && layer < n_hash_layers; }
    int n_blocks() const { return n_layers + n_mtp_layers; }
};

// Parses and validates a config.json text. Errors name the field ("hidden_size: missing",
// "compress_ratios: 5 entries, expected num_hidden_layers + num_nextn_predict_layers = 6").
Result<ModelConfig> parse_model_config(std::string_view json_text);
// Reads `path` and parses it; errors are prefixed with the path.
Result<ModelConfig> load_model_config(const std::string &path);

// The config.json text of `cfg` in the release's field names (as folio-mkmodel writes it);
// parse_model_config(to_config_json(cfg)) gives `cfg` back.
std::string to_config_json(const ModelConfig &cfg);

} // namespace folio
