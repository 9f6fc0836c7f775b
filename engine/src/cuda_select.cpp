// open_device_backend (cuda_backend.h): --device / --gpus / --expert-cache-gb resolved against
// the devices present, with the reason for the choice; built with and without CUDA.
#include "backend_plan.h"
#include "cuda_backend.h"
#include "folio/device.h"
#include "model/weights.h"
#include "tensor_directory.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace folio {

namespace {

// Per GPU, kept free for activations and scratch (a prefill chunk of 2,048 tokens), cuBLAS's
// workspace and the CUDA context.
constexpr std::uint64_t kReserveBytes = 3ull << 30;
// The device keeps the KV state in the compact layout, the host copy's bytes per token.
constexpr std::uint64_t kDeviceKvFactor = 1;
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
    auto model = load_cuda_model(weights, *choice);
    if (!model)
        return model.status();
    // CUDA graphs for the decode step unless switched off (a debugging aid, and the baseline of
    // the graphs-on/off comparison): the option, or FOLIO_CUDA_GRAPHS=0 in the environment.
    const char *env = std::getenv("FOLIO_CUDA_GRAPHS");
    const bool graphs = options.cuda_graphs && !(env && std::string(env) == "0");
    // The model was created just now and is not shared yet: setting it is safe.
    std::const_pointer_cast<DeviceModel>(*model)->set_graphs_enabled(graphs);
    return model;
#else
    // choose_backend never picks CUDA in a build without it (devices.cuda_compiled is false).
    return Status::error("device " + choice->device + ": no CUDA backend in this build");
#endif
}

} // namespace folio
