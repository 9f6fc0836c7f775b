// Compressor (see compressor.h).
#include "model/compressor.h"

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cpu/simd/ops_kernels.h"
#include "cpu/workspace.h"
#include "quant.h"

#include <algorithm>
#include <cstring>

namespace folio {

CompressedEntries compressor_forward(const CompressorWeights &w, const RopeFreqs &rope,
                                     int rope_dim, float norm_eps, const float *x, int n,
                                     std::int64_t start, CompressorState &state, ThreadPool *pool)
{
    CompressedEntries out;
    compressor_forward(w, rope, rope_dim, norm_eps, x, n, start, state, pool, out);
    return out;
}

void compressor_forward(const CompressorWeights &w, const RopeFreqs &rope, int rope_dim,
                        float norm_eps, const float *x, int n, std::int64_t start,
                        CompressorState &state, ThreadPool *pool, CompressedEntries &out)
{
    const int ratio = w.compress_ratio, c = w.head_dim;
    const int coff = w.overlap ? 2 : 1, width = coff * c;
    // kv, score: [n, coff*c] FP32 (wkv / wgate are FP32 linears on the FP32-upcast input).
    Scratch::Frame f;
    float *kv = f.alloc<float>(std::size_t(n) * width),
          *score = f.alloc<float>(std::size_t(n) * width);
    linear_f32(x, n, w.wkv, kv, pool);
    linear_f32(x, n, w.wgate, score, pool);

    out.ids.clear();
    out.values.clear();
    out.scales.clear();
    const int blocks = w.rotate ? c / 32 : (c - rope_dim) / 64;
    float *pool_kv = f.alloc<float>(std::size_t(c));
    for (int i = 0; i < n; ++i) {
        const std::int64_t p = start + i;
        const int r = int(p % ratio);
        const int slot = w.overlap ? ratio + r : r;
        float *skv = state.kv.data() + std::size_t(slot) * width;
        float *ssc = state.score.data() + std::size_t(slot) * width;
        std::memcpy(skv, kv + std::size_t(i) * width, sizeof(float) * width);
        for (int j = 0; j < width; ++j) // score + ape[p % ratio] (FP32)
            ssc[j] = score[std::size_t(i) * width + j] + w.ape[std::size_t(r) * width + j];
        if ((p + 1) % ratio != 0)
            continue;

        // Pool per channel over the window's slots: overlap mode takes the A half (channels
        // [0, c)) of the previous window's slots and the B half ([c, 2c)) of the current ones.
        const int n_slots = w.overlap ? 2 * ratio : ratio;
        simd::compressor_pool(state.kv.data(), state.score.data(), width, n_slots,
                              w.overlap ? ratio : n_slots, c, pool_kv, simd::active_isa());
        const std::size_t e = out.ids.size();
        out.ids.push_back(p / ratio);
        out.values.resize((e + 1) * c);
        out.scales.resize((e + 1) * blocks);
        float *v = out.values.data() + e * c;
        rms_norm_bf16(pool_kv, 1, c, w.norm.data(), norm_eps, v);
        // RoPE at the window's first position m*w on the last rope_dim dims.
        apply_rope(v + c - rope_dim, rope, p + 1 - ratio, false);
        float *sc = out.scales.data() + e * blocks;
        if (w.rotate) {
            hadamard_bf16(v, c);
            for (int b = 0; b < blocks; ++b)
                sc[b] = fp4_simulate_block(v + 32 * b, 32);
        } else {
            for (int b = 0; b < blocks; ++b)
                sc[b] = fp8_simulate_block(v + 64 * b, 64);
        }
        if (w.overlap) { // the current window becomes the previous one
            std::memcpy(state.kv.data(), state.kv.data() + std::size_t(ratio) * width,
                        sizeof(float) * std::size_t(ratio) * width);
            std::memcpy(state.score.data(), state.score.data() + std::size_t(ratio) * width,
                        sizeof(float) * std::size_t(ratio) * width);
        }
    }
}

} // namespace folio
