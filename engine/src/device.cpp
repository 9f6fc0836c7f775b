// CPU description and the device list; the CUDA half lives in cuda/device_query.cu and is only
// linked when the engine is built with CUDA.
#include "folio/device.h"

#include <fstream>
#include <string>
#include <thread>

#ifndef FOLIO_VERSION_STRING
#define FOLIO_VERSION_STRING "0.0.0"
#endif

namespace folio {

#ifdef FOLIO_HAVE_CUDA
namespace cuda {
DeviceList query_devices(); // cuda/device_query.cu
}
#endif

DeviceList list_devices()
{
#ifdef FOLIO_HAVE_CUDA
    return cuda::query_devices();
#else
    DeviceList list;
    list.cuda_error = "this build of the engine has no CUDA backend (built with FOLIO_CUDA=OFF or "
                      "without nvcc)";
    return list;
#endif
}

std::string cpu_description()
{
    std::string model = "unknown CPU";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos)
                model = line.substr(colon + 2);
            break;
        }
    }
    std::string simd = "scalar";
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        simd = "AVX-512";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        simd = "AVX2+FMA";
    else if (__builtin_cpu_supports("sse4.2"))
        simd = "SSE4.2";
#endif
    return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " threads, " + simd;
}

const char *engine_version()
{
    return FOLIO_VERSION_STRING;
}

} // namespace folio
