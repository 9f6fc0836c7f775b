// FP8 block-scaled GEMM through cuBLASLt (see gemm_fp8_lt.h). Column-major view of the row-major
// operands: D [n, m_pad] = op(A) B with A = the weight, row-major [n, k] = column-major [k, n]
// (ld k) transposed, B = the activation codes, row-major [m_pad, k] = column-major [k, m_pad]
// (ld k), D = the output, row-major [m_pad, n] BF16 (ld n). Scales: A's BLK128x128_32F tensor
// [ceil(n/128), ceil(k/128)] FP32 with the k-tiles fastest; B's VEC128_32F tensor [k/128, m_pad]
// with the row index fastest (cuBLASLt's "outer dimension fastest" layout, the one
// torch._scaled_mm passes for 1x128 blocks). Each 128-wide K block of a tile is accumulated on
// the tensor cores and promoted to FP32 times the two scales, as the reference's fp8_gemm does
// (with the tensor cores' accumulation in place of the exact partial sums, hence the NMSE-level
// difference that test_cuda_ops bounds). The BF16 result is widened into the engine's FP32 buffer.
#include "gemm_fp8_lt.h"

#include <cstdio>

#include "check.cuh"
#include "ops.h"
#include "quant.h"

namespace folio::cuda {
namespace {

constexpr std::size_t kWorkspaceBytes = 32ull << 20;

std::size_t align256(std::size_t n)
{
    return (n + 255) / 256 * 256;
}

// Owns the descriptors of one cublasLtMatmul call.
struct LtDescs
{
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    ~LtDescs()
    {
        if (pref)
            cublasLtMatmulPreferenceDestroy(pref);
        if (d)
            cublasLtMatrixLayoutDestroy(d);
        if (b)
            cublasLtMatrixLayoutDestroy(b);
        if (a)
            cublasLtMatrixLayoutDestroy(a);
        if (op)
            cublasLtMatmulDescDestroy(op);
    }
};

template<class T>
cublasStatus_t set_op(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr, const T &v)
{
    return cublasLtMatmulDescSetAttribute(d, attr, &v, sizeof(v));
}

// The descriptors of D [n, m_pad] = W^T-view x codes, with both scale modes and pointers.
Status make_descs(LtDescs &ds, int m_pad, int n, int k, const void *a_scale, const void *b_scale,
                  std::size_t workspace)
{
    CUBLAS_CHECK(cublasLtMatmulDescCreate(&ds.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    CUBLAS_CHECK(set_op(ds.op, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T));
    CUBLAS_CHECK(set_op(ds.op, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N));
    const std::int32_t a_mode = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
    const std::int32_t b_mode = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
    CUBLAS_CHECK(set_op(ds.op, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, a_mode));
    CUBLAS_CHECK(set_op(ds.op, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, b_mode));
    CUBLAS_CHECK(set_op(ds.op, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, a_scale));
    CUBLAS_CHECK(set_op(ds.op, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, b_scale));
    CUBLAS_CHECK(
        cublasLtMatrixLayoutCreate(&ds.a, CUDA_R_8F_E4M3, std::uint64_t(k), std::uint64_t(n), k));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&ds.b, CUDA_R_8F_E4M3, std::uint64_t(k),
                                            std::uint64_t(m_pad), k));
    CUBLAS_CHECK(
        cublasLtMatrixLayoutCreate(&ds.d, CUDA_R_16BF, std::uint64_t(n), std::uint64_t(m_pad), n));
    CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&ds.pref));
    CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(ds.pref,
                                                      CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                      &workspace, sizeof(workspace)));
    return Status::ok();
}

bool is_refusal(cublasStatus_t st)
{
    // What cuBLASLt answers for a combination it has no kernel for on this device.
    return st == CUBLAS_STATUS_NOT_SUPPORTED || st == CUBLAS_STATUS_ARCH_MISMATCH;
}

} // namespace

Fp8LtGemm::~Fp8LtGemm()
{
    if (m_workspace) {
        cudaSetDevice(m_device);
        cudaFree(m_workspace);
    }
    if (m_handle)
        cublasLtDestroy(m_handle);
}

Status Fp8LtGemm::init()
{
    CUDA_CHECK(cudaGetDevice(&m_device));
    CUBLAS_CHECK(cublasLtCreate(&m_handle));
    CUDA_CHECK(cudaMalloc(&m_workspace, kWorkspaceBytes));
    m_workspace_bytes = kWorkspaceBytes;
    return Status::ok();
}

bool Fp8LtGemm::takes(int m, int n, int k)
{
    return m >= kMinRows && n > 0 && n % 16 == 0 && k > 0 && k % 512 == 0;
}

std::size_t Fp8LtGemm::work_bytes(int m, int k, int n)
{
    const std::size_t mp = std::size_t(padded_rows(m));
    return align256(mp * std::size_t(k)) + align256(std::size_t(k / 128) * mp * sizeof(float))
           + align256(mp * std::size_t(n) * 2);
}

std::vector<float> Fp8LtGemm::expand_scales(const std::uint8_t *e8m0, int n, int k)
{
    const int tiles_out = (n + 127) / 128, tiles_in = (k + 127) / 128;
    const int stride = scale_row_stride(k);
    std::vector<float> f32(std::size_t(tiles_out) * std::size_t(stride), 1.0f);
    for (int i = 0; i < tiles_out; ++i)
        for (int j = 0; j < tiles_in; ++j)
            f32[std::size_t(i) * stride + j] = e8m0_decode(e8m0[std::size_t(i) * tiles_in + j]);
    return f32;
}

void Fp8LtGemm::note_refusal(const Shape &shape, const std::string &why)
{
    if (!m_ever_refused)
        std::fprintf(stderr,
                     "folio: cuBLASLt refused the FP8 block-scaled GEMM (rows %d, out %d, in %d: "
                     "%s); FP8 linears of that shape use the exact CUDA-core kernel\n",
                     std::get<0>(shape), std::get<1>(shape), std::get<2>(shape), why.c_str());
    m_ever_refused = true;
}

Status Fp8LtGemm::plan(const Shape &shape, const void *a_scale, const void *b_scale, Plan &out)
{
    if (auto it = m_plans.find(shape); it != m_plans.end()) {
        out = it->second;
        return Status::ok();
    }
    const auto [m_pad, n, k] = shape;
    LtDescs ds;
    if (Status st = make_descs(ds, m_pad, n, k, a_scale, b_scale, m_workspace_bytes); !st)
        return st;
    cublasLtMatmulHeuristicResult_t result{};
    int returned = 0;
    const cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(m_handle, ds.op, ds.a, ds.b, ds.d,
                                                             ds.d, ds.pref, 1, &result, &returned);
    Plan p;
    if (is_refusal(hs) || (hs == CUBLAS_STATUS_SUCCESS && returned == 0)) {
        p.refused = true;
        note_refusal(shape, returned == 0 && hs == CUBLAS_STATUS_SUCCESS
                                ? std::string("no algorithm")
                                : std::string(cublasGetStatusName(hs)));
    } else {
        CUBLAS_CHECK(hs);
        p.algo = result.algo;
    }
    m_plans[shape] = p;
    out = p;
    return Status::ok();
}

Status Fp8LtGemm::gemm(const std::uint8_t *codes, const float *a_scales, int m_pad, int k,
                       const std::uint8_t *w, const float *w_scales, int n, std::uint16_t *d,
                       cudaStream_t stream, bool *refused)
{
    *refused = false;
    const Shape shape{m_pad, n, k};
    Plan p;
    if (Status st = plan(shape, w_scales, a_scales, p); !st)
        return st;
    if (p.refused) {
        *refused = true;
        return Status::ok();
    }
    LtDescs ds;
    if (Status st = make_descs(ds, m_pad, n, k, w_scales, a_scales, m_workspace_bytes); !st)
        return st;
    const float alpha = 1.0f, beta = 0.0f;
    const cublasStatus_t ms = cublasLtMatmul(m_handle, ds.op, &alpha, w, ds.a, codes, ds.b, &beta,
                                             d, ds.d, d, ds.d, &p.algo, m_workspace,
                                             m_workspace_bytes, stream);
    if (is_refusal(ms)) {
        m_plans[shape].refused = true;
        note_refusal(shape, cublasGetStatusName(ms));
        *refused = true;
        return Status::ok();
    }
    CUBLAS_CHECK(ms);
    ++m_calls;
    return Status::ok();
}

Status Fp8LtGemm::linear(const float *x, int m, int k, const std::uint8_t *w, const float *w_scales,
                         int n, void *work, float *y, cudaStream_t stream, bool *refused)
{
    *refused = false;
    if (!takes(m, n, k)) {
        *refused = true; // not a shape of this path: the caller's exact kernel
        return Status::ok();
    }
    const int m_pad = padded_rows(m);
    // codes [m_pad, k] E4M3, a_scales [k/128, m_pad] FP32, d [m_pad, n] BF16: 256-byte aligned.
    auto *base = static_cast<std::uint8_t *>(work);
    auto *codes = base;
    auto *a_scales = reinterpret_cast<float *>(base + align256(std::size_t(m_pad) * k));
    auto *d = reinterpret_cast<std::uint16_t *>(
        reinterpret_cast<std::uint8_t *>(a_scales)
        + align256(std::size_t(k / 128) * m_pad * sizeof(float)));
    // A shape refused before: not even the quantisation runs.
    if (auto it = m_plans.find(Shape{m_pad, n, k}); it != m_plans.end() && it->second.refused) {
        *refused = true;
        return Status::ok();
    }
    if (Status st = act_quant_fp8_codes(x, m, m_pad, k, codes, a_scales, stream); !st)
        return st;
    if (Status st = gemm(codes, a_scales, m_pad, k, w, w_scales, n, d, stream, refused);
        !st || *refused)
        return st;
    // The first m rows of D are y's rows (row-major [m_pad, n]): widen them.
    return bf16_widen(d, std::int64_t(m) * n, y, stream);
}

} // namespace folio::cuda
