// Random weights for folio-mkmodel: fills one tensor of the release format (BF16, F32, I64 tid2eid,
// FP8 E4M3 with 128x128 E8M0 scales, FP4 E2M1 experts with 1x32 E8M0 scales) deterministically from
// (seed, tensor name), so any tensor can be produced alone, in any order, and the same seed always
// gives byte-identical files.
//
// Init scales are chosen for a numerically healthy forward pass at any size: Linear weights keep
// activation variance (uniform, std 1/sqrt(fan_in)); norms are ~1; the head gives logits of std ~2.5
// (diverse but not flat sampling); mHC bases make `pre` ~0.5, `post` ~1 and the Sinkhorn input
// diagonal-dominant, with small mixing scales, so the 20 Sinkhorn iterations stay well conditioned.
#pragma once

#include "config.h"
#include "safetensors_writer.h"
#include "tensor_directory.h"

#include <cstdint>
#include <string>
#include <unordered_map>

namespace folio::mkmodel {

class ModelInit
{
public:
    ModelInit(const ModelConfig &cfg, std::uint64_t seed);
    // Writes entry.nbytes() bytes for `entry` (a tensor of expected_tensors(cfg)).
    Status fill(const ShardEntry &entry, std::uint8_t *out) const;

private:
    struct Quantized
    {
        bool fp4;             // FP4 E2M1 1x32 blocks, else FP8 E4M3 128x128 tiles
        std::int64_t out, in; // logical weight shape
        float sigma;
    };
    // The logical weight behind "X.weight" / "X.scale" of a quantised Linear.
    bool quantized(const std::string &prefix, Quantized &q) const;
    float sigma_of(const std::string &name, std::int64_t fan_in) const;
    // Per-block gain in [0.75, 1.25), so block scales differ like in a trained checkpoint.
    float block_gain(std::uint64_t name_hash, std::uint64_t block) const;

    void fill_fp8(const std::string &name, const Quantized &q, bool scales, std::uint8_t *out) const;
    void fill_fp4(const std::string &name, const Quantized &q, bool scales, std::uint8_t *out) const;
    void fill_float(const ShardEntry &e, std::uint8_t *out) const;
    void fill_tid2eid(const ShardEntry &e, std::uint8_t *out) const;

    const ModelConfig &m_cfg;
    std::uint64_t m_seed;
    std::unordered_map<std::string, TensorSpec> m_specs; // name -> spec
};

} // namespace folio::mkmodel
