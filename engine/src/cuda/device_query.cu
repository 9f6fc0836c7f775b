// Lists the CUDA devices (name, memory, compute capability) and proves at build time that CUDA code
// compiles and links with cuBLAS: a cuBLAS handle is created on the first device to show the
// library loads there too.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "check.cuh"
#include "folio/device.h"

namespace folio::cuda {
namespace {

Status probe_cublas(int device)
{
    CUDA_CHECK(cudaSetDevice(device));
    cublasHandle_t handle = nullptr;
    CUBLAS_CHECK(cublasCreate(&handle));
    CUBLAS_CHECK(cublasDestroy(handle));
    return Status::ok();
}

Status query(DeviceList &list)
{
    int count = 0;
    CUDA_CHECK(cudaGetDeviceCount(&count));
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        CUDA_CHECK(cudaGetDeviceProperties(&prop, i));
        DeviceInfo info;
        info.index = i;
        info.name = prop.name;
        info.total_memory = prop.totalGlobalMem;
        info.compute_major = prop.major;
        info.compute_minor = prop.minor;
        info.multiprocessors = prop.multiProcessorCount;
        size_t free_b = 0, total_b = 0;
        CUDA_CHECK(cudaSetDevice(i));
        CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
        info.free_memory = free_b;
        list.cuda.push_back(info);
    }
    if (count == 0)
        return Status::error("the CUDA driver reports no device");
    return probe_cublas(0);
}

} // namespace

DeviceList query_devices()
{
    DeviceList list;
    list.cuda_compiled = true;
    Status st = query(list);
    if (!st) {
        list.cuda.clear();
        list.cuda_error = st.message();
        cudaGetLastError(); // clear the sticky error so later calls start clean
    }
    return list;
}

} // namespace folio::cuda
