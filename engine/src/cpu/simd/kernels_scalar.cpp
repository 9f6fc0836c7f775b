// The portable scalar kernels (any x86-64, any compiler flags) and the run-time ISA dispatch of
// cpu/simd/kernels.h. The scalar kernels follow cpu/linear.cpp's summation structure exactly and
// are the reference the AVX2 kernels are tested against.
#include "cpu/simd/kernels.h"

#include "quant.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace folio::simd {

namespace {

constexpr int kFp8Block = 128;
constexpr int kFp4Block = 32;

Isa detect()
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return Isa::Avx2;
#endif
    return Isa::Scalar;
}

Isa initial_isa()
{
    const char *env = std::getenv("FOLIO_CPU_ISA");
    if (env && std::strcmp(env, "scalar") == 0)
        return Isa::Scalar;
    return best_isa();
}

std::atomic<int> &active()
{
    static std::atomic<int> isa{int(initial_isa())};
    return isa;
}

} // namespace

Isa best_isa()
{
    static const Isa isa = detect();
    return isa;
}

Isa active_isa()
{
    return Isa(active().load(std::memory_order_relaxed));
}

void set_isa(Isa isa)
{
    if (isa == Isa::Avx2 && best_isa() != Isa::Avx2)
        isa = Isa::Scalar;
    active().store(int(isa), std::memory_order_relaxed);
}

const char *isa_name(Isa isa)
{
    return isa == Isa::Avx2 ? "avx2+fma" : "scalar";
}

void quant_linear_cols(const float *qa, const float *sa, int m, const LinearWeight &w, int n0,
                       int n1, float *y, Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (isa == Isa::Avx2 && best_isa() == Isa::Avx2)
        return detail::quant_linear_cols_avx2(qa, sa, m, w, n0, n1, y);
#endif
    (void) isa;
    detail::quant_linear_cols_scalar(qa, sa, m, w, n0, n1, y);
}

void dense_linear_cols(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y,
                       Isa isa)
{
#if defined(FOLIO_HAVE_AVX2_KERNELS)
    if (isa == Isa::Avx2 && best_isa() == Isa::Avx2)
        return detail::dense_linear_cols_avx2(x, m, w, n0, n1, y);
#endif
    (void) isa;
    detail::dense_linear_cols_scalar(x, m, w, n0, n1, y);
}

namespace detail {

void quant_linear_cols_scalar(const float *qa, const float *sa, int m, const LinearWeight &w,
                              int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    const bool fp4 = w.kind == WeightKind::FP4;
    const int wblock = fp4 ? kFp4Block : kFp8Block;
    const int tiles_in = (K + kFp8Block - 1) / kFp8Block;
    for (int n = n0; n < n1; ++n) {
        for (int i = 0; i < m; ++i) {
            const float *q = qa + std::size_t(i) * K;
            const float *s = sa + std::size_t(i) * (K / kFp8Block);
            float acc = 0.0f;
            for (int b = 0; b < K / wblock; ++b) {
                double part = 0;
                if (fp4) {
                    const std::uint8_t *p = w.data + std::size_t(n) * (K / 2);
                    for (int k = b * wblock; k < (b + 1) * wblock; ++k) {
                        const std::uint8_t code = (k & 1) ? (p[k / 2] >> 4) : (p[k / 2] & 0xf);
                        part += double(q[k]) * double(e2m1_decode(code));
                    }
                    const float ws = e8m0_decode(w.scale[std::size_t(n) * (K / kFp4Block) + b]);
                    acc += float(part) * s[(b * wblock) / kFp8Block] * ws;
                } else {
                    const std::uint8_t *p = w.data + std::size_t(n) * K;
                    for (int k = b * wblock; k < (b + 1) * wblock; ++k)
                        part += double(q[k]) * double(e4m3_decode(p[k]));
                    const float ws = e8m0_decode(w.scale[std::size_t(n / kFp8Block) * tiles_in + b]);
                    acc += float(part) * (s[b] * ws);
                }
            }
            y[std::size_t(i) * N + n] = acc;
        }
    }
}

void dense_linear_cols_scalar(const float *x, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    for (int n = n0; n < n1; ++n) {
        for (int i = 0; i < m; ++i) {
            const float *xi = x + std::size_t(i) * K;
            double acc = 0;
            if (w.kind == WeightKind::BF16) {
                const std::uint8_t *p = w.data + std::size_t(n) * K * 2;
                for (int k = 0; k < K; ++k) {
                    std::uint16_t b;
                    std::memcpy(&b, p + 2 * k, 2);
                    acc += double(xi[k]) * double(bf16_to_f32(b));
                }
            } else {
                const std::uint8_t *p = w.data + std::size_t(n) * K * 4;
                for (int k = 0; k < K; ++k) {
                    float v;
                    std::memcpy(&v, p + 4 * k, 4);
                    acc += double(xi[k]) * double(v);
                }
            }
            y[std::size_t(i) * N + n] = float(acc);
        }
    }
}

} // namespace detail

} // namespace folio::simd
