// CUDA_CHECK / CUBLAS_CHECK: every CUDA and cuBLAS call goes through one of these, which turn a
// failure into a readable message naming the call, the file and the line (style: ggml's
// CUDA_CHECK). They return a folio::Status from the enclosing function instead of aborting.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "folio/status.h"

namespace folio::cuda {

inline Status cuda_status(cudaError_t err, const char *call, const char *file, int line)
{
    if (err == cudaSuccess)
        return Status::ok();
    return Status::error(std::string(call) + " failed at " + file + ":" + std::to_string(line)
                         + ": " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

inline Status cublas_status(cublasStatus_t st, const char *call, const char *file, int line)
{
    if (st == CUBLAS_STATUS_SUCCESS)
        return Status::ok();
    return Status::error(std::string(call) + " failed at " + file + ":" + std::to_string(line)
                         + ": " + cublasGetStatusName(st) + " (" + cublasGetStatusString(st) + ")");
}

} // namespace folio::cuda

#define CUDA_CHECK(call) \
    do { \
        ::folio::Status folio_st_ = ::folio::cuda::cuda_status((call), #call, __FILE__, __LINE__); \
        if (!folio_st_) \
            return folio_st_; \
    } while (0)

#define CUBLAS_CHECK(call) \
    do { \
        ::folio::Status folio_st_ = ::folio::cuda::cublas_status((call), #call, __FILE__, \
                                                                 __LINE__); \
        if (!folio_st_) \
            return folio_st_; \
    } while (0)
