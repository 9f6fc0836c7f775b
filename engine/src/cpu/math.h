// Scalar math with the reference generator's rounding: exp, sigmoid, softplus and silu are
// evaluated in double and rounded once to FP32 (golden/README "Numerics": the generator treats
// them as correctly rounded functions). rsqrt follows torch's CPU kernel: an FP32 square root,
// then an FP32 division (two roundings).
#pragma once

#include <cmath>

namespace folio {

inline float exp_f32(float x)
{
    return float(std::exp(double(x)));
}

inline float sigmoid_f32(float x)
{
    return float(1.0 / (1.0 + std::exp(-double(x))));
}

// torch.nn.functional.softplus with beta 1, threshold 20: x itself above the threshold.
inline float softplus_f32(float x)
{
    if (x > 20.0f)
        return x;
    return float(std::log1p(std::exp(double(x))));
}

inline float silu_f32(float x)
{
    const double d = x;
    return float(d / (1.0 + std::exp(-d)));
}

inline float rsqrt_f32(float x)
{
    return 1.0f / std::sqrt(x);
}

} // namespace folio
