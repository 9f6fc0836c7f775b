// Counters of the CUDA backend that a Session reports next to its timings: the routed-expert
// device cache (--expert-cache-gb) and which GEMM paths ran. They belong to the model (all its
// sessions add to them) and only grow; a CPU model reports all zeros. No CUDA types here: the
// header is part of the public API in builds without CUDA too.
#pragma once

#include <cstdint>

namespace folio {

struct DeviceStats
{
    // Routed-expert device cache, summed over the model's GPUs; all zero when the experts are
    // resident on the device. A hit is an expert a step found in its slot, a miss one copied from
    // pinned host memory (one expert's w1/w2/w3 with their scales).
    std::uint64_t expert_cache_hits = 0;
    std::uint64_t expert_cache_misses = 0;
    std::uint64_t expert_cache_slots = 0;
    // FP8 linears (one count per call): through cuBLASLt's block-scaled GEMM (prefill), or through
    // the exact CUDA-core kernels (decode rows, shapes cuBLASLt refuses, FOLIO_CUDA_EXACT_GEMM=1).
    std::uint64_t fp8_gemm_cublaslt = 0;
    std::uint64_t fp8_gemm_exact = 0;
    // True once cuBLASLt refused the FP8 block-scaled GEMM on this device (no algorithm, or not
    // supported): every FP8 linear then takes the exact kernel (logged once).
    bool fp8_cublaslt_refused = false;
    // Routed-expert sub-layers (one count per block call): the grouped FP4 GEMM over the tokens
    // of each expert (prefill), or the fused FP4 GEMV over each token's experts (decode, exact).
    std::uint64_t moe_grouped = 0;
    std::uint64_t moe_fused_gemv = 0;
};

} // namespace folio
