// Helpers of the GPU op tests (test_cuda_ops, test_cuda_forward_ops): the start-up check that
// skips (exit 77) on any CUDA error, a device buffer, random BF16 data, the NMSE comparison with
// equal inf/NaN positions, and the checks built on them.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "folio_test.h"
#include "quant.h"

namespace cuda_test {

inline bool gpu_ready()
{
    static int ready = -1;
    if (ready < 0) {
        int count = 0;
        ready = cudaGetDeviceCount(&count) == cudaSuccess && count > 0
                && cudaFree(nullptr) == cudaSuccess;
    }
    if (!ready) {
        cudaGetLastError();
        folio_test::skip("no usable CUDA device");
    }
    return ready != 0;
}

template<class T>
struct Dev
{
    T *p = nullptr;
    std::size_t n = 0;
    explicit Dev(std::size_t count)
        : n(count)
    {
        if (cudaMalloc(reinterpret_cast<void **>(&p), std::max<std::size_t>(count, 1) * sizeof(T))
            != cudaSuccess)
            p = nullptr;
    }
    explicit Dev(const std::vector<T> &h)
        : Dev(h.size())
    {
        if (p)
            cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
    }
    ~Dev() { cudaFree(p); }
    std::vector<T> get() const
    {
        std::vector<T> h(n);
        cudaDeviceSynchronize();
        cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
        return h;
    }
    Dev(const Dev &) = delete;
    Dev &operator=(const Dev &) = delete;
};

inline std::vector<float> random_bf16(std::size_t n, float scale, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto &x : v)
        x = folio::round_bf16(dist(rng));
    return v;
}

// Normalised mean squared error over the finite positions; -1 when inf/NaN positions differ.
inline double nmse(const std::vector<float> &got, const std::vector<float> &want)
{
    if (got.size() != want.size())
        return -1;
    double num = 0, den = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool fg = std::isfinite(got[i]), fw = std::isfinite(want[i]);
        if (fg != fw || (!fg && std::isnan(got[i]) != std::isnan(want[i])))
            return -1;
        if (!fg)
            continue;
        num += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
        den += double(want[i]) * want[i];
    }
    return den == 0 ? num : num / den;
}

// Equal values, NaN where the other has NaN (NaN payloads differ between CPU and GPU).
inline bool same_values(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))))
            return false;
    return true;
}

} // namespace cuda_test

#define CHECK_OK(expr) \
    do { \
        folio::Status st_ = (expr); \
        if (!st_) \
            folio_test::fail(__FILE__, __LINE__, st_.message()); \
    } while (0)

#define CHECK_NMSE(got, want, limit) \
    do { \
        const double e_ = cuda_test::nmse(got, want); \
        if (!(e_ >= 0 && e_ <= (limit))) \
            folio_test::fail(__FILE__, __LINE__, "NMSE " + std::to_string(e_) + " > " #limit); \
    } while (0)
