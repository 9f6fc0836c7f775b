// The FP8 block-scaled GEMM of the prefill through cuBLASLt (gemm_fp8_lt.cu): the release's
// FP8 weights (E4M3, one scale per 128x128 tile) against activations quantised on the device per
// 1x128 (act_quant_fp8_codes), with cuBLASLt's Hopper block-scaling modes
// CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F (weights) and ..._VEC128_32F (activations). One
// Fp8LtGemm per GPU: the cuBLASLt handle, a workspace, the heuristic's algorithm per shape.
// Where cuBLASLt refuses a shape (not supported, no algorithm) the call reports `refused` and
// computes nothing: the caller runs the exact kernel (linear_fp8) instead; the first refusal is
// logged once to stderr.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "folio/status.h"

namespace folio::cuda {

class Fp8LtGemm
{
public:
    Fp8LtGemm() = default;
    ~Fp8LtGemm();
    Fp8LtGemm(const Fp8LtGemm &) = delete;
    Fp8LtGemm &operator=(const Fp8LtGemm &) = delete;

    // The handle and a workspace on the current device.
    Status init();

    // Shapes this path takes: m rows padded to a multiple of 16 (kRowAlign), n % 16 == 0 (the
    // BF16 output's leading dimension and the weight's tiles), k % 512 == 0 (k/128 scale blocks a
    // multiple of 4: the weight-scale rows then need no padding, whichever way cuBLASLt reads
    // them), and at least kMinRows rows (fewer: the exact GEMV is as fast).
    static constexpr int kRowAlign = 16, kMinRows = 16;
    static bool takes(int m, int n, int k);
    static int padded_rows(int m) { return (m + kRowAlign - 1) / kRowAlign * kRowAlign; }
    // Device scratch of one call: codes [m_pad, k], scales [k/128, m_pad], output [m_pad, n] BF16.
    static std::size_t work_bytes(int m, int k, int n);
    // FP32 scale layout of a weight [n, k] for BLK128x128_32F, from its E8M0 tiles
    // [ceil(n/128), ceil(k/128)]: the same row-major tiles as FP32, each tile row padded to a
    // multiple of 4 entries (cuBLASLt's documented layout; no padding when takes() holds).
    static int scale_row_stride(int k) { return ((k + 127) / 128 + 3) / 4 * 4; }
    // That layout on the host, from the checkpoint's E8M0 tiles (padding entries 1.0).
    static std::vector<float> expand_scales(const std::uint8_t *e8m0, int n, int k);

    // y [m, n] = bf16(x W^T) with the FP8 numerics (linear_fp8), x [m, k] BF16 values; w [n, k]
    // E4M3 codes, w_scales as scale_row_stride(). work: work_bytes(m, k, n) bytes (256-aligned).
    // *refused = true and nothing written when cuBLASLt refuses this shape.
    Status linear(const float *x, int m, int k, const std::uint8_t *w, const float *w_scales, int n,
                  void *work, float *y, cudaStream_t stream, bool *refused);

    // The GEMM alone: d [m_pad, n] BF16 = codes [m_pad, k] (E4M3, scales a_scales in the
    // VEC128_32F layout [k/128, m_pad]) times W^T. linear() is act_quant_fp8_codes + gemm + the
    // widening; the op test also calls it directly (to tell a wrong scale layout apart).
    Status gemm(const std::uint8_t *codes, const float *a_scales, int m_pad, int k,
                const std::uint8_t *w, const float *w_scales, int n, std::uint16_t *d,
                cudaStream_t stream, bool *refused);

    bool ever_refused() const { return m_ever_refused; }
    std::uint64_t calls() const { return m_calls; }

private:
    using Shape = std::tuple<int, int, int>; // m_pad, n, k
    struct Plan
    {
        bool refused = false;
        cublasLtMatmulAlgo_t algo{};
    };
    Status plan(const Shape &shape, const void *a_scale, const void *b_scale, Plan &out);
    void note_refusal(const Shape &shape, const std::string &why);

    cublasLtHandle_t m_handle = nullptr;
    void *m_workspace = nullptr;
    std::size_t m_workspace_bytes = 0;
    int m_device = 0;
    std::map<Shape, Plan> m_plans;
    bool m_ever_refused = false;
    std::uint64_t m_calls = 0;
};

} // namespace folio::cuda
