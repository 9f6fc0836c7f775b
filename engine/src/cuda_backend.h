// The seam between the engine's API (engine.cpp, session.cpp) and the CUDA backend. A Model
// loaded on a GPU holds a DeviceModel (weights on the devices of its plan); each Session holds a
// DeviceSession (its KV state on the devices) and sends prefill/decode there instead of to the
// CPU forward pass. The session's host KvState stays the complete state in the compact layout:
// the device updates it after every call (only what the call changed), so save(), fork() and
// state_bytes() work unchanged; whoever replaces the host state (load(), a speculative roll-back)
// calls invalidate(), and the next call uploads it again.
//
// This header has no CUDA types: it compiles in a build without CUDA, where open_device_backend
// refuses "cuda" with a clear error and resolves "auto" to the CPU.
#pragma once

#include "folio/engine.h"
#include "folio/status.h"
#include "kv_state.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace folio {

struct ModelWeights;

class DeviceSession
{
public:
    virtual ~DeviceSession() = default;
    // The main model over tokens [n] at positions state.n_tokens.., exactly as session.cpp's
    // forward_chunk does on the CPU (the MTP block one position behind): last_logits [vocab],
    // last_hidden [hc, dim] (the previous one is the MTP block's input), all-position logits
    // [n, vocab] when `all` is given; `state` (host) is brought up to date.
    virtual Status forward(KvState &state, const std::int32_t *tokens, int n,
                           std::vector<float> *all, std::vector<float> &last_logits,
                           std::vector<float> &last_hidden)
        = 0;
    // The host state was replaced: upload it before the next forward.
    virtual void invalidate() = 0;
    // A session on the same model whose device state will be uploaded from the fork's host state.
    virtual std::unique_ptr<DeviceSession> fork() const = 0;
};

class DeviceModel
{
public:
    virtual ~DeviceModel() = default;
    virtual std::unique_ptr<DeviceSession> create_session() const = 0;
};

// Resolves options.device / gpus / expert_cache_bytes for `weights`: null for the CPU, else the
// model on its GPUs. `info.device` and `info.device_note` say what was chosen and why.
Result<std::shared_ptr<const DeviceModel>> open_device_backend(
    const std::shared_ptr<const ModelWeights> &weights, const LoadOptions &options, ModelInfo &info);

#ifdef FOLIO_HAVE_CUDA
struct BackendChoice;
// cuda_model.cpp: uploads the weights onto the plan's GPUs.
Result<std::shared_ptr<const DeviceModel>> load_cuda_model(
    const std::shared_ptr<const ModelWeights> &weights, const BackendChoice &choice);
#endif

} // namespace folio
