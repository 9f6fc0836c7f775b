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

namespace {

// A non-negative decimal ordinal, nothing else ("01" is accepted as 1, "+1" and "1x" are not).
bool parse_ordinal(const std::string &text, int &out)
{
    if (text.empty() || text.size() > 4)
        return false;
    int v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

} // namespace

Result<std::vector<int>> parse_gpu_list(const std::string &text)
{
    std::vector<int> gpus;
    if (text.empty())
        return gpus;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t comma = text.find(',', begin);
        const std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos
                                                                               : comma - begin);
        int g = 0;
        if (!parse_ordinal(item, g))
            return Status::error("--gpus \"" + text + "\": \"" + item
                                 + "\" is not a GPU ordinal (expected e.g. 0,1)");
        gpus.push_back(g);
        if (comma == std::string::npos)
            break;
        begin = comma + 1;
    }
    return gpus;
}

namespace {

// Ordinals are non-negative and distinct.
Status check_gpus(const std::vector<int> &gpus)
{
    for (std::size_t i = 0; i < gpus.size(); ++i) {
        if (gpus[i] < 0)
            return Status::error("GPU ordinal " + std::to_string(gpus[i]) + " is negative");
        for (std::size_t j = 0; j < i; ++j)
            if (gpus[j] == gpus[i])
                return Status::error("GPU " + std::to_string(gpus[i]) + " is listed twice");
    }
    return Status::ok();
}

} // namespace

Result<DeviceRequest> parse_device_request(const std::string &device, const std::vector<int> &gpus)
{
    if (Status st = check_gpus(gpus); !st)
        return st;
    DeviceRequest req;
    if (device == "cpu") {
        if (!gpus.empty())
            return Status::error("a GPU list was given with device \"cpu\"");
        return req;
    }
    if (device == "auto" || device == "cuda") {
        req.kind = device == "auto" ? DeviceRequest::Kind::Auto : DeviceRequest::Kind::Cuda;
        req.gpus = gpus;
        return req;
    }
    // "cuda:N" or "cuda:N,M,..." (device_request_text's form; also "auto:N,M").
    const bool is_auto = device.rfind("auto:", 0) == 0;
    if (device.rfind("cuda:", 0) == 0 || is_auto) {
        auto listed = parse_gpu_list(device.substr(5));
        if (listed && !listed->empty()) {
            if (Status st = check_gpus(*listed); !st)
                return st;
            // "cuda:N" names the first GPU of a --gpus list; a longer list must be the same.
            const bool agree = gpus.empty() || gpus == *listed
                               || (listed->size() == 1 && gpus.front() == listed->front());
            if (!agree)
                return Status::error("device \"" + device + "\" and the GPU list disagree");
            req.kind = is_auto ? DeviceRequest::Kind::Auto : DeviceRequest::Kind::Cuda;
            req.gpus = gpus.empty() ? *listed : gpus;
            return req;
        }
    }
    return Status::error("unknown device \"" + device + "\" (expected cpu, cuda, cuda:N or auto)");
}

std::string device_request_text(const DeviceRequest &request)
{
    switch (request.kind) {
    case DeviceRequest::Kind::Cpu:
        return "cpu";
    case DeviceRequest::Kind::Auto:
        if (request.gpus.empty())
            return "auto";
        break;
    case DeviceRequest::Kind::Cuda:
        if (request.gpus.empty())
            return "cuda:0";
        break;
    }
    std::string text = request.kind == DeviceRequest::Kind::Auto ? "auto:" : "cuda:";
    for (std::size_t i = 0; i < request.gpus.size(); ++i) {
        if (i)
            text += ',';
        text += std::to_string(request.gpus[i]);
    }
    return text;
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
