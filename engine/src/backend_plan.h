// Host-side planning of the CUDA backend, pure C++ (no CUDA), tested on the CPU: how many bytes
// each part of a checkpoint occupies (from the tensor directory the config implies), how the
// layers are split over several GPUs (--gpus 0,1,...) with the compact KV state of each layer on
// the GPU that runs it, whether the routed experts stay resident or live in host memory behind a
// device cache (--expert-cache-gb N), and the least-recently-used policy of that cache with its
// hit/miss counters.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "config.h"
#include "folio/device.h"
#include "folio/status.h"

namespace folio {

// Bytes of the weights by part, as stored in the release format.
struct ModelBytes
{
    std::uint64_t embed = 0;                  // embed.weight
    std::uint64_t head = 0;                   // head.weight, the final norm and hc_head_*
    std::uint64_t mtp = 0;                    // every mtp.N.* tensor
    std::vector<std::uint64_t> layer_dense;   // per layer: everything but the routed experts
    std::vector<std::uint64_t> layer_experts; // per layer: all routed experts
    std::uint64_t expert = 0;                 // one routed expert (w1 + w2 + w3 with scales)
    std::uint64_t total() const;
};
ModelBytes model_bytes(const ModelConfig &cfg);

// One GPU offered to the plan: its ordinal and the bytes the plan may use on it (free memory
// less the caller's reserve for activations, workspaces and cuBLAS).
struct GpuBudget
{
    int device = 0;
    std::uint64_t usable_bytes = 0;
};

struct PlanRequest
{
    std::vector<GpuBudget> gpus;          // in pipeline order
    std::uint64_t context_tokens = 0;     // KV state reserved for this many tokens
    std::uint64_t kv_bytes_per_token = 0; // whole model, compact layout (kv_bytes_per_token(cfg))
    // 0: routed experts resident on the GPUs. > 0: experts in host memory, this many bytes of
    // device cache per GPU, rounded down to whole experts.
    std::uint64_t expert_cache_bytes = 0;
};

struct PlanStage
{
    int device = 0;
    int first_layer = 0, end_layer = 0; // [first, end)
    bool embed = false, head = false; // the first stage gathers embeddings, the last runs the head
    std::uint64_t weight_bytes = 0;   // resident weights on this GPU
    std::uint64_t kv_bytes = 0;
    std::uint64_t expert_cache_slots = 0; // whole experts the cache holds (0 when resident)
    std::uint64_t expert_cache_bytes = 0;
    std::uint64_t used() const;
};

struct BackendPlan
{
    std::vector<PlanStage> stages;
    bool experts_on_host = false;
    std::uint64_t host_expert_bytes = 0; // pinned host memory for the routed experts
    std::string describe() const;        // one line per stage, for `folio-cli` and the logs
};

// Contiguous layer ranges per GPU, each GPU filled in order up to its budget (layers are not
// interleaved: activations cross a GPU boundary once per stage). MTP blocks go with the head.
// Fails with a message naming the shortfall when the model does not fit.
Result<BackendPlan> plan_backend(const ModelBytes &bytes, const PlanRequest &req);

// What a load resolves --device/--gpus/--expert-cache-gb to, given the devices present.
struct BackendChoice
{
    bool cuda = false;
    BackendPlan plan;           // the CUDA plan (cuda only)
    std::string device = "cpu"; // "cpu", "cuda:0", "cuda:0,1"
    std::string note;           // why (auto) and the plan, for ModelInfo::device_note and the logs
};

struct ChoiceRequest
{
    DeviceRequest device;                 // parse_device_request
    std::uint64_t context_tokens = 0;     // KV reserve
    std::uint64_t kv_bytes_per_token = 0; // on the device
    std::uint64_t expert_cache_bytes = 0;
    std::uint64_t reserve_bytes = 0; // per GPU, kept free for activations, scratch and cuBLAS
};

// Device "cpu": the CPU. "cuda[:N]": the plan on the listed GPUs, or an error saying why not
// (a build without CUDA, no usable device, an ordinal not present, the model does not fit).
// "auto": the plan when one can be made on the listed (default: all) GPUs, else the CPU with
// the reason in `note`.
Result<BackendChoice> choose_backend(const ModelBytes &bytes, const DeviceList &devices,
                                     const ChoiceRequest &req);

// The device cache of routed experts: fixed slots, least recently used evicted first. The
// backend asks lookup() for every expert the router selects; a miss returns the slot to fill
// (and the expert evicted from it, or -1) and the caller copies the expert there.
class ExpertLru
{
public:
    explicit ExpertLru(std::uint64_t slots);
    struct Access
    {
        bool hit = false;
        std::uint64_t slot = 0;
        std::int64_t evicted = -1; // key that lived in the slot before, on a miss
    };
    // key = layer * n_routed_experts + expert.
    Access lookup(std::int64_t key);
    bool contains(std::int64_t key) const { return m_where.count(key) != 0; }
    std::uint64_t hits() const { return m_hits; }
    std::uint64_t misses() const { return m_misses; }
    std::uint64_t slots() const { return m_slots; }
    void reset_counters() { m_hits = m_misses = 0; }

private:
    struct Entry
    {
        std::int64_t key;
        std::uint64_t slot;
    };
    std::uint64_t m_slots;
    std::list<Entry> m_order; // front = most recently used
    std::unordered_map<std::int64_t, std::list<Entry>::iterator> m_where;
    std::uint64_t m_hits = 0, m_misses = 0;
};

} // namespace folio
