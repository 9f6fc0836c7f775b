// folio-bench-cuda's --model section (cuda_bench_model.cpp): the CUDA forward pass on a
// folio-mkmodel checkpoint with the real dimensions. Prints table rows; appends JSON fields
// ("name":value pairs, comma-separated, no braces) to `json`. Returns a process exit code.
#pragma once

#include <string>
#include <vector>

namespace folio {

int run_model_bench(const std::string &dir, const std::vector<int> &prefill_lengths, double hbm_gbs,
                    double fp8_peak_tflops, std::string &json);

} // namespace folio
