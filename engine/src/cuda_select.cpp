// open_device_backend (cuda_backend.h): --device / --gpus / --expert-cache-gb resolved against
// the devices present, with the reason for the choice; built with and without CUDA.
#include "backend_plan.h"
#include "cuda_backend.h"
#include "folio/device.h"
#include "model/weights.h"
#include "tensor_directory.h"

#include <algorithm>

namespace folio {

namespace {

// Per GPU, kept free for activations and scratch (a prefill chunk of 2,048 tokens), cuBLAS's
// workspace and the CUDA context.
constexpr std::uint64_t kReserveBytes = 3ull << 30;
// The device keeps the KV state as FP32 vectors for its kernels (the host copy is compact):
// about four times the compact bytes per token.
constexpr std::uint64_t kDeviceKvFactor = 4;
constexpr std::uint64_t kDefaultContext = 131072;

} // namespace

Result<std::shared_ptr<const DeviceModel>> open_device_backend(
    const std::shared_ptr<const ModelWeights> &weights, const LoadOptions &options, ModelInfo &info)
{
    auto request = parse_device_request(options.device, options.gpus);
    if (!request)
        return request.status();
    const ModelConfig &cfg = weights->cfg;
    ChoiceRequest req;
    req.device = *request;
    req.context_tokens = options.context_tokens
                             ? options.context_tokens
                             : std::min<std::uint64_t>(kDefaultContext,
                                                       std::uint64_t(cfg.max_position_embeddings));
    req.kv_bytes_per_token = kv_bytes_per_token(cfg) * kDeviceKvFactor;
    req.expert_cache_bytes = options.expert_cache_bytes;
    req.reserve_bytes = kReserveBytes;
    const DeviceList devices = request->kind == DeviceRequest::Kind::Cpu ? DeviceList{}
                                                                         : list_devices();
    auto choice = choose_backend(model_bytes(cfg), devices, req);
    if (!choice)
        return choice.status();
    info.device = choice->device;
    info.device_note = choice->note;
    if (!choice->cuda)
        return std::shared_ptr<const DeviceModel>();
#ifdef FOLIO_HAVE_CUDA
    return load_cuda_model(weights, *choice);
#else
    // choose_backend never picks CUDA in a build without it (devices.cuda_compiled is false).
    return Status::error("device " + choice->device + ": no CUDA backend in this build");
#endif
}

} // namespace folio
