// Internals of Model and Session (folio/engine.h) shared by engine.cpp and session.cpp.
#pragma once

#include "cuda_backend.h"
#include "folio/engine.h"
#include "kv_state.h"
#include "model/forward.h"
#include "model/weights.h"

#include <atomic>
#include <memory>
#include <vector>

namespace folio {

class ThreadPool;

struct Model::Impl
{
    std::shared_ptr<const ModelWeights> weights;
    std::shared_ptr<ThreadPool> pool; // shared by the model's sessions
    ModelInfo info;
    std::shared_ptr<const DeviceModel> device; // the model on its GPUs; null = CPU
};

struct Session::Impl
{
    std::shared_ptr<const ModelWeights> weights;
    std::shared_ptr<ThreadPool> pool;
    std::string fingerprint;
    KvState state;
    std::vector<float> last_logits; // [vocab] of the last position; empty before any token
    std::vector<float> last_hidden; // [hc, dim] final residual of the last position (MTP input)
    ForwardBuffers buffers;         // the CPU forward calls' reusable buffers (not state)
    std::atomic<bool> cancelled{false};
    std::string dump_dir;                  // --dump-layers target; empty = off
    std::unique_ptr<DeviceSession> device; // runs the forward pass on the GPU; null = CPU
};

} // namespace folio
