// Host API of the GPU sampler (sampling.cu): folio::Sampler::sample (engine/src/sampler.cpp) on
// the device, so that a decode step sends only the chosen token id back to the host. The random
// draw stays on the host (the Sampler's own xoshiro256** stream, taken with Sampler::draw()), so
// the device and the CPU consume the same stream for the same seed.
#pragma once

#include <cuda_runtime_api.h>

#include "folio/status.h"

namespace folio::cuda {

struct DeviceSamplingParams
{
    float temperature = 0.0f; // 0 = greedy
    int top_k = 0;
    float top_p = 1.0f;
    float min_p = 0.0f;
};

// What sample_token leaves in `result` (4 ints on the device): the token (-1 on an error), the
// error (0 none, 1 NaN logit, 2 +inf logit, 3 every logit -inf), the first offending token id.
enum SampleError { kSampleOk = 0, kSampleNan = 1, kSampleInf = 2, kSampleAllNegInf = 3 };

// Picks a token from logits [n] with the Sampler's semantics: greedy (temperature 0 or top_k 1:
// the first maximum); else temperature, top-k (the total order: logit descending, ties to the
// lower id), top-p (the smallest prefix of that order whose probability reaches top_p), min-p,
// and the draw u in [0, 1) scaled by the kept mass, walked in id order. `work` holds n doubles.
// Differences from the CPU (token for token equal unless the draw or a top-p boundary falls within
// double rounding): probabilities from CUDA's exp, sums in a fixed tree order, top-p masses in
// 2^-62 fixed point. One thread block; nothing is synchronised with the host.
Status sample_token(const float *logits, int n, const DeviceSamplingParams &p, double u,
                    double *work, int *result, cudaStream_t stream);

} // namespace folio::cuda
