// KvState: everything a sequence remembers between forward calls (spec §4), per block:
//   * the raw KV window ring: slot p % window_size holds token p's KV vector,
//   * compressed KV entries (CSA ratio 4, HCA ratio m): entry w covers tokens m*w .. m*w+m-1,
//   * indexer keys (CSA layers): one per ratio-4 entry,
//   * the pending compressor slots (kv_state / score_state of model.py) of the main and the
//     indexer compressor,
// plus the position (tokens processed). The MTP block has its own window state and position.
//
// Storage layout (why compact): the reference rounds every stored KV vector through FP8 (the 448
// non-rope dims, block 64) and every indexer key through FP4 (block 32) with power-of-two scales,
// so keeping the codes plus E8M0 scales is lossless: a KV entry is nope FP8 bytes + nope/64 scale
// bytes + rope_dim BF16 values (583 B for V4-Flash), an indexer key index_head_dim/2 FP4 bytes +
// index_head_dim/32 scale bytes (68 B). The pending compressor slots are FP32, as in the reference.
#pragma once

#include "config.h"
#include "folio/state_stream.h"
#include "folio/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace folio {

// Codec of one attention KV vector [head_dim] (FP8-simulated non-rope dims + BF16 rope dims).
struct KvEntryCodec
{
    int head_dim = 0, rope_dim = 0;
    int nope() const { return head_dim - rope_dim; }
    int n_scales() const { return nope() / 64; }
    std::size_t bytes() const { return std::size_t(nope() + n_scales() + 2 * rope_dim); }
    // kv: [head_dim] values as the reference holds them (nope dims = e4m3 * scales[b]);
    // scales: [n_scales] powers of two.
    void encode(const float *kv, const float *scales, std::uint8_t *dst) const;
    void decode(const std::uint8_t *src, float *kv) const;
};

// Codec of one indexer key [dim] (FP4-simulated in blocks of 32).
struct IndexKeyCodec
{
    int dim = 0;
    std::size_t bytes() const { return std::size_t(dim / 2 + dim / 32); }
    void encode(const float *key, const float *scales, std::uint8_t *dst) const;
    void decode(const std::uint8_t *src, float *key) const;
};

// Pending slots of one compressor (model.py Compressor.kv_state / score_state).
struct CompressorState
{
    int compress_ratio = 0;
    int slots = 0;            // coff * ratio (overlap: [previous window | current window])
    int width = 0;            // coff * head_dim (overlap: [A half | B half])
    std::vector<float> kv;    // [slots, width] fp32, 0 when empty
    std::vector<float> score; // [slots, width] fp32, -inf when empty
    void init(int ratio, int head_dim);
};

struct LayerState
{
    int compress_ratio = 0;
    std::int64_t n_entries = 0;           // compressed entries written
    std::vector<std::uint8_t> window;     // [window_size, KvEntryCodec::bytes()] ring
    std::vector<std::uint8_t> compressed; // [n_entries, KvEntryCodec::bytes()]
    std::vector<std::uint8_t> index_keys; // [n_entries, IndexKeyCodec::bytes()] (CSA)
    CompressorState compressor, index_compressor;
    // HCA layers (compressed, no indexer): decoded FP32 copies of the compressed entries
    // [rows, head_dim], rows <= n_entries. Every HCA query reads every entry, so keeping them
    // decoded makes a decode step decode only the entries new since the last call instead of the
    // whole context (2 KiB per 128 tokens per HCA layer). A cache, not state: never serialised,
    // rebuilt from `compressed` when missing. `compressed` only ever grows at its end; whoever
    // truncates it truncates this too (Session's speculative rollback does).
    std::vector<float> hca_decoded;
    bool is_hca() const { return compress_ratio > 0 && compress_ratio != 4; }
};

struct KvState
{
    std::int64_t n_tokens = 0;      // positions 0..n_tokens-1 are in the state
    std::vector<LayerState> layers; // [n_layers]
    std::int64_t mtp_tokens = 0;    // positions the MTP block has seen
    std::vector<LayerState> mtp;    // [n_mtp_layers]

    static KvState create(const ModelConfig &cfg);
    // Bytes held for the context (entries and keys; the fixed window and slots excluded).
    std::uint64_t context_bytes() const;
    // Reserves the growing buffers (entries, keys, the HCA cache) for a context of n_tokens, so
    // that appending up to it allocates nothing.
    void reserve(const ModelConfig &cfg, std::int64_t n_tokens);

    // Streams the state into `out` straight from its buffers / reads it back from `in` straight
    // into the new state's buffers. The layer layout must match `cfg`; every length is checked
    // before anything is allocated for it, so a malformed stream is an error, never a crash.
    Status write(StateSink &out) const;
    static Result<KvState> read(StateSource &in, const ModelConfig &cfg);
};

} // namespace folio
