// The seam between the engine's API (engine.cpp, session.cpp) and the CUDA backend. A Model
// loaded on a GPU holds a DeviceModel (weights on the devices of its plan); each Session holds a
// DeviceSession (its KV state on the devices) and sends prefill/decode there instead of to the
// CPU forward pass.
//
// Whose copy is the state: while a session runs on the device, the device copy (in the compact
// layout of kv_state.h) is authoritative and the session's host copies — KvState contents,
// last_logits, last_hidden — are a cache that sync_host() brings up to date on demand (before a
// save, or any read by the CPU). The host KvState's counters (n_tokens, mtp_tokens) always
// follow; last_logits / last_hidden keep their sizes. Whoever replaces the host copies (load())
// calls invalidate(): the host copies are the state again and the next call uploads them.
//
// This header has no CUDA types: it compiles in a build without CUDA, where open_device_backend
// refuses "cuda" with a clear error and resolves "auto" to the CPU.
#pragma once

#include "folio/device_stats.h"
#include "folio/engine.h"
#include "folio/sampling.h"
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
    // forward_chunk does on the CPU (the MTP block one position behind): all-position logits
    // [n, vocab] into `all` when given; the last position's logits into last_logits when
    // host_logits (else they stay on the device for sample(), and last_logits only keeps its
    // size); state.n_tokens / mtp_tokens advance, the rest of the host copies is sync_host's.
    virtual Status forward(KvState &state, const std::int32_t *tokens, int n,
                           std::vector<float> *all, std::vector<float> &last_logits,
                           std::vector<float> &last_hidden, bool host_logits = true)
        = 0;
    // Brings the host copies up to date with the device (no-op when they are): the window rings
    // and pending slots whole, the compressed entries and indexer keys past what the host holds.
    virtual Status sync_host(KvState &state, std::vector<float> &last_logits,
                             std::vector<float> &last_hidden)
        = 0;
    // The next token from the last position's logits, picked on the device with the sampler's
    // parameters and its random stream (Sampler::draw); `last_logits` is read only when the
    // device has none (a loaded state). Same errors as Sampler::sample.
    virtual Result<int> sample(const std::vector<float> &last_logits, Sampler &sampler) = 0;
    // KvState::context_bytes of the device state (0 while the host copy is the state).
    virtual std::uint64_t context_bytes() const = 0;
    // This session's counters (expert cache hits and misses of its calls).
    virtual DeviceStats stats() const = 0;
    // CUDA graphs for the decode step (default: the model's setting).
    virtual void set_graphs(bool on) = 0;
    // The host copies were replaced: they are the state; upload them before the next call.
    virtual void invalidate() = 0;
    // A session on the same model with a copy of this one's state: a device-to-device copy of
    // the device state (the host copies are copied by Session::fork), or, while the host copy is
    // the state, the fork uploads its own copy on first use.
    virtual std::unique_ptr<DeviceSession> fork() const = 0;
};

class DeviceModel
{
public:
    virtual ~DeviceModel() = default;
    virtual std::unique_ptr<DeviceSession> create_session() const = 0;
    // Whether new sessions replay CUDA graphs for the decode step (LoadOptions::cuda_graphs and
    // FOLIO_CUDA_GRAPHS=0, resolved by open_device_backend).
    bool graphs_enabled() const { return m_graphs; }
    void set_graphs_enabled(bool on) { m_graphs = on; }

private:
    bool m_graphs = true;
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
