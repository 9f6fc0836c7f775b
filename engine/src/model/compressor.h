// Token-level KV compressor (model.py Compressor): gated pooling of `compress_ratio` consecutive
// tokens into one entry, with overlapping 8-slot windows for ratio 4 (CSA and the indexer) and
// plain windows otherwise (HCA). Tokens are fed one at a time into the pending slots; an entry is
// emitted when a window closes, exactly as the reference's decode path (which reproduces its
// prefill path bit for bit), so prefill, chunked prefill and decoding share this one code path.
#pragma once

#include "kv_state.h"
#include "model/weights.h"

#include <cstdint>
#include <vector>

namespace folio {

class ThreadPool;

struct CompressedEntries
{
    std::vector<std::int64_t> ids; // entry numbers (position / ratio)
    std::vector<float> values;     // [ids.size(), head_dim] BF16 values after norm/rope/quant-sim
    std::vector<float> scales;     // [ids.size(), blocks] power-of-two scales of the simulation
};

// Feeds x [n, dim] (the attention's normed input, BF16) at positions start..start+n-1 through
// the compressor; completed entries are returned in order. Indexer compressors (rotate) apply the
// Hadamard rotation and the FP4 simulation (block 32, all dims); attention compressors the FP8
// simulation (block 64, non-rope dims).
CompressedEntries compressor_forward(const CompressorWeights &w, const RopeFreqs &rope,
                                     int rope_dim, float norm_eps, const float *x, int n,
                                     std::int64_t start, CompressorState &state, ThreadPool *pool);
// The same into `out` (cleared first; its vectors keep their capacity, so a caller that keeps one
// CompressedEntries allocates nothing per decode step).
void compressor_forward(const CompressorWeights &w, const RopeFreqs &rope, int rope_dim,
                        float norm_eps, const float *x, int n, std::int64_t start,
                        CompressorState &state, ThreadPool *pool, CompressedEntries &out);

} // namespace folio
