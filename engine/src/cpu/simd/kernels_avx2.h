// Internal interface between the AVX2 translation units of cpu/simd (kernels_avx2.cpp: entry
// points, activation dequantisation, weight-panel decoding; gemv_avx2.cpp; gemm_avx2.cpp), plus
// the per-thread workspace they share. Included only by files compiled with -mavx2 -mfma -mf16c.
#pragma once

#include "cpu/linear.h"

#include <cstddef>
#include <cstdint>
#include <new>

namespace folio::simd::avx2 {

// A growable 64-byte aligned buffer. Kernels keep one per thread (thread_local), so the decode
// path allocates only while a buffer first grows, never per token.
template<class T>
class Workspace
{
public:
    Workspace() = default;
    Workspace(const Workspace &) = delete;
    Workspace &operator=(const Workspace &) = delete;
    ~Workspace() { release(); }

    T *get(std::size_t count)
    {
        if (count > m_cap) {
            release();
            m_data = static_cast<T *>(::operator new(count * sizeof(T), std::align_val_t(64)));
            m_cap = count;
        }
        return m_data;
    }

private:
    void release()
    {
        if (m_data)
            ::operator delete(m_data, std::align_val_t(64));
        m_data = nullptr;
        m_cap = 0;
    }
    T *m_data = nullptr;
    std::size_t m_cap = 0;
};

// E8M0 byte -> scale (quant.h e8m0_decode, tabulated once).
const float *e8m0_table();

// Decodes row `row`, columns [k0, k0 + count) of w (codes x scales, exact) into dst and fills
// dst[count, padded) with zeros. FP8: k0 % 128 == 0 and count % 32 == 0; FP4: k0 and count
// multiples of 32.
void decode_row_segment(const LinearWeight &w, int row, int k0, int count, int padded, float *dst);

// Streaming GEMV for m <= kGemvMaxRows activation rows (kernels.h linear_cols_fast contract).
constexpr int kGemvMaxRows = 4;
void gemv_cols(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y);

// Panel GEMM for any m (kernels.h linear_cols_fast contract).
void gemm_cols(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y);

// The double-accumulating variants (kernels.h linear_cols_fast_f64 contract).
void gemv_cols_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y);
void gemm_cols_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y);

} // namespace folio::simd::avx2
