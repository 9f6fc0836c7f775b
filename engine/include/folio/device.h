// Compute devices the engine can run on. The CPU is always there; CUDA devices are listed when the
// engine was built with CUDA (FOLIO_CUDA) and a driver answers. Any CUDA start-up error (no driver,
// error 35 "insufficient driver", no device) yields an empty list and a readable reason, never a
// crash.
#pragma once

#include "folio/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace folio {

struct DeviceInfo
{
    int index = 0;                  // CUDA ordinal (cuda:N)
    std::string name;               // e.g. "NVIDIA H200"
    std::uint64_t total_memory = 0; // bytes
    std::uint64_t free_memory = 0;  // bytes, at the time of the query
    int compute_major = 0;          // compute capability, e.g. 9.0 for Hopper
    int compute_minor = 0;
    int multiprocessors = 0;
};

struct DeviceList
{
    bool cuda_compiled = false; // the engine was built with the CUDA backend
    std::vector<DeviceInfo> cuda;
    std::string cuda_error; // why `cuda` is empty, when it is
};

// Queries the CUDA devices (cheap; safe to call from any thread).
DeviceList list_devices();

// A parsed --device / --gpus choice (LoadOptions::device, LoadOptions::gpus).
struct DeviceRequest
{
    enum class Kind { Cpu, Cuda, Auto };
    Kind kind = Kind::Cpu;
    std::vector<int> gpus; // CUDA ordinals in pipeline order; empty = cuda:0 (Cuda), all (Auto)
};

// "cpu", "cuda", "cuda:N" or "auto" (case-sensitive, no spaces), plus an optional GPU list. The
// N of "cuda:N" and `gpus` must agree when both are given; ordinals are >= 0 and distinct; a GPU
// list with "cpu" is an error. Errors name the offending text.
Result<DeviceRequest> parse_device_request(const std::string &device, const std::vector<int> &gpus);

// "0,1,3" -> {0, 1, 3} (the --gpus option); empty text -> {}.
Result<std::vector<int>> parse_gpu_list(const std::string &text);

// The canonical text of a request ("cpu", "auto", "cuda:0", "cuda:0,1").
std::string device_request_text(const DeviceRequest &request);

// A one-line description of the CPU the engine runs on (model name, cores, SIMD level).
std::string cpu_description();

// The engine's version string ("0.1.0").
const char *engine_version();

} // namespace folio
