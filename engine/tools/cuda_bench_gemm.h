// folio-bench-cuda's GEMM section (cuda_bench_gemm.cpp): the FP8 block-scaled prefill GEMM on
// cuBLASLt against the exact kernel and the FP8 matrix peak of the detected GPU, and the routed
// experts on the V4-Flash shapes — the grouped FP4 GEMM of a prefill and the fused FP4 GEMV of a
// decode step — against the HBM bandwidth measured in the same run. Prints table rows; appends
// JSON fields ("name":value pairs, comma-separated, no braces) to `json`. Returns 0, or exits
// through the bench's error path on a CUDA failure.
#pragma once

#include <string>

#include "config.h"

namespace folio {

int run_gemm_bench(const ModelConfig &cfg, double hbm_gbs, std::string &json);

} // namespace folio
