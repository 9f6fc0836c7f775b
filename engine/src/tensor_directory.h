// The tensor directory a ModelConfig implies: every tensor name, dtype and shape of the release
// format (spec §3.2), including the MTP blocks `mtp.N.*`, and the check of a Checkpoint against it
// (style rule 2: validate the model's shape before allocating anything). Also the size arithmetic
// derived from the same shapes: parameter counts and KV-cache bytes per token.
#pragma once

#include "config.h"
#include "safetensors.h"

#include <cstdint>
#include <string>
#include <vector>

namespace folio {

struct TensorSpec
{
    std::string name;
    DType dtype = DType::BF16;
    std::vector<std::int64_t> shape;
};

// Every tensor of the release format for `cfg`, sorted by name.
std::vector<TensorSpec> expected_tensors(const ModelConfig &cfg);

// Checks presence, shape and dtype of every expected tensor; a tensor the config does not imply is
// an error too. The message names the tensor, the expected and the found, e.g.
// "layers.3.attn.wq_a.weight: expected F8_E4M3 [128, 256], found BF16 [128, 256]". Several
// problems are listed (up to a few), with the total count.
Status validate_checkpoint(const Checkpoint &ckpt, const ModelConfig &cfg);

// Logical parameter counts (an FP4 byte holds two parameters; scales are not parameters).
// main: everything but the MTP blocks; mtp: the MTP blocks (they share embed and head);
// active_per_token: main-model parameters used for one token, excluding the embedding table
// (n_activated_experts routed experts + shared experts + all non-expert weights + head).
struct ParameterCounts
{
    std::int64_t main = 0, mtp = 0, active_per_token = 0;
};
ParameterCounts count_parameters(const ModelConfig &cfg);
// The same counts from an actual tensor directory (e.g. a Checkpoint's, converted with
// directory_of): what a loaded model really holds. Equals count_parameters(cfg) for a checkpoint
// that passes validate_checkpoint. tid2eid (an integer lookup table) and the E8M0 ".scale" tensors
// are not parameters.
ParameterCounts count_parameters(const std::vector<TensorSpec> &tensors, const ModelConfig &cfg);
// A Checkpoint's tensor directory as TensorSpecs (sorted by name).
std::vector<TensorSpec> directory_of(const Checkpoint &ckpt);

// KV-cache bytes per token of context in the lossless compact layout (spec §4.1): per compressed
// entry (head_dim - rope) FP8 bytes + one E8M0 per 64 + rope BF16; per indexer key index_head_dim/2
// FP4 bytes + one E8M0 per 32; entries per token = 1/ratio. Rounded to the nearest byte: 3,509 B for V4-Flash.
std::uint64_t kv_bytes_per_token(const ModelConfig &cfg);

} // namespace folio
