// CPU ops of the forward pass other than the linears: RMSNorm, interleaved RoPE with per-layer
// theta and YaRN, the Walsh-Hadamard rotation, the sparse attention kernel with its sink and
// 64-key blocks, and the top-k selection with the reference's tie rule. Each op mirrors the
// rounding points of inference/model.py and kernel.py (see golden/README "Numerics"). RMSNorm and
// sparse attention dispatch to the fast kernels of cpu/simd/ops_kernels.h (bit-identical to their
// scalar references there).
#pragma once

#include <cstdint>
#include <vector>

namespace folio {

// RMSNorm of the reference: in FP32, y = w * (x * rsqrt(mean(x^2) + eps)), rounded to BF16.
// x, y: [m, d] (may alias); weight: [d] FP32 (upcast BF16) or null for no weight.
void rms_norm_bf16(const float *x, int m, int d, const float *weight, float eps, float *y);

// mean(x^2) over d values as the reference computes it in FP32 (squares rounded to FP32, the sum
// rounded once to FP32, then an FP32 division).
float mean_square_f32(const float *x, int d);

// RoPE frequencies of one layer (precompute_freqs_cis): rope_dim/2 FP32 frequencies, base theta,
// with the YaRN ramp when original_seq_len > 0.
struct RopeFreqs
{
    std::vector<float> freqs; // [rope_dim/2]
};
RopeFreqs make_rope_freqs(int rope_dim, double base, std::int64_t original_seq_len, double factor,
                          double beta_fast, double beta_slow);

// Rotates the rope_dim values at x (interleaved pairs (2i, 2i+1)) by the angles of position pos,
// or by their conjugates when inverse; the result is rounded to BF16 (apply_rotary_emb writes the
// FP32 product back into a BF16 tensor).
void apply_rope(float *x, const RopeFreqs &f, std::int64_t pos, bool inverse);

// The same rotation in two steps, so that one position's cos/sin serve every head: cs receives
// [rope_dim/2][2] (cos, sin) FP32 values of position pos; apply_rope_cs rotates x by them (or by
// their conjugates). apply_rope(x, f, pos, inv) == rope_cos_sin + apply_rope_cs, bit for bit.
void rope_cos_sin(const RopeFreqs &f, std::int64_t pos, float *cs);
void apply_rope_cs(float *x, const float *cs, int half, bool inverse);

// In-place Walsh-Hadamard transform of n (power of two) BF16 values in Sylvester order, scaled by
// n^-1/2 (fast_hadamard_transform.hadamard_transform(x, scale=n**-0.5)); output BF16.
void hadamard_bf16(float *x, int n);

// sparse_attn for one query token: q [n_heads, d] BF16; keys[t] points at key/value t ([d] BF16)
// or is null (index -1: no key); n_keys = the reference's topk width. Keys are taken in blocks of
// 64 with an online softmax; probabilities are rounded to BF16 relative to the running maximum;
// the sink exp(sink - max) joins the denominator at the end. o: [n_heads, d] BF16.
void sparse_attn_token(const float *q, int n_heads, int d, const float *const *keys, int n_keys,
                       const float *attn_sink, float softmax_scale, float *o);

// Indices of the k largest of scores[0..n), by descending score, ties to the lower index (a stable
// descending sort, as the reference generator pins torch.topk). Partial selection (nth_element on
// the total order "higher score, then lower index", then a sort of the k chosen), not a full sort.
void topk_desc(const float *scores, int n, int k, std::vector<int> &out);
// The same into out[0 .. min(k, n)) (no allocation once the per-thread index buffer has grown).
void topk_desc(const float *scores, int n, int k, int *out);

} // namespace folio
