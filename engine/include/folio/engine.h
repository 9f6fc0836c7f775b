// The engine's public API: load a DeepSeek-V4 checkpoint, open sessions, prefill and generate.
//
//   auto model = folio::Model::load("/models/v4-flash");          // config + weights, validated
//   if (!model) { log(model.status().message()); return; }
//   std::unique_ptr<folio::Session> s = (*model)->create_session();
//   std::vector<float> logits;                                     // [vocab] of the last token
//   if (auto st = s->prefill(prompt_ids, folio::LogitsMode::Last, &logits); !st) ...
//   folio::GenerateParams gp;                                      // greedy by default
//   gp.max_tokens = 256;
//   auto r = s->generate(gp, [](int token) { print(token); return true; });  // false = stop
//   std::string snapshot = s->save();                              // complete state, versioned
//   std::unique_ptr<folio::Session> t = s->fork();                 // independent copy
//
// Lifetimes and threads: a Model is immutable after load and may be shared by any number of
// sessions and threads (std::shared_ptr<const Model>); its compute pool serialises the heavy
// work of concurrent sessions. A Session owns its KV state and belongs to one thread at a time;
// only cancel() may be called from another thread (the running call stops between steps and
// returns the status "cancelled"). No exception crosses this API; failures are Status/Result.
// No tensor type appears here: tokens are ints, logits are float rows of vocab_size.
#pragma once

#include "folio/device_stats.h"
#include "folio/sampling.h"
#include "folio/state_stream.h"
#include "folio/status.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace folio {

class Session;

struct ModelInfo
{
    int vocab_size = 0;
    int n_layers = 0;
    int dim = 0;
    std::int64_t max_context = 0; // max_position_embeddings
    int bos_token_id = 0, eos_token_id = 0;
    bool has_mtp = false;                 // an MTP block is present (speculative decoding possible)
    std::string fingerprint;              // hash of config + tensor directory + shard sizes
    std::uint64_t kv_bytes_per_token = 0; // compact layout, context-proportional part
    std::string device = "cpu"; // where the forward pass runs: "cpu", "cuda:0", "cuda:0,1"
    std::string device_note;    // why that device (auto) and the plan, one line each
};

struct LoadOptions
{
    int threads = 0; // compute threads; 0 = all hardware threads
    // Compute device: "cpu", "cuda" (cuda:0, or the `gpus` list), "cuda:N", or "auto" (CUDA when
    // a usable device has room for the model, else the CPU; ModelInfo::device_note says why).
    // parse_device_request (folio/device.h) validates it; a build without CUDA refuses "cuda".
    std::string device = "cpu";
    std::vector<int> gpus; // CUDA ordinals in pipeline order: the layers are split over them
    // 0: routed experts resident on the GPUs. > 0: experts in pinned host memory with a device
    // cache of this many bytes per GPU (least recently used evicted, hits/misses counted).
    std::uint64_t expert_cache_bytes = 0;
    // KV state the device plan reserves room for; 0 = min(max_position_embeddings, 131072).
    std::uint64_t context_tokens = 0;
    // CUDA only: replay CUDA graphs of the decode step's position-independent segments (off:
    // every kernel launched directly; FOLIO_CUDA_GRAPHS=0 in the environment does the same).
    bool cuda_graphs = true;
};

class Model
{
public:
    static Result<std::shared_ptr<const Model>> load(const std::string &model_dir,
                                                     const LoadOptions &options = {});
    ~Model();
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    const ModelInfo &info() const;
    std::unique_ptr<Session> create_session() const;

    struct Impl;
    const Impl &impl() const { return *m_impl; }

private:
    Model();
    std::unique_ptr<Impl> m_impl;
};

enum class LogitsMode { None, Last, All };

struct GenerateParams
{
    SamplingParams sampling = SamplingParams::make_greedy();
    int max_tokens = 256;         // token budget of this call
    bool stop_at_eos = true;      // stop after emitting the model's EOS token
    std::vector<int> stop_tokens; // further tokens that end generation (emitted, then stop)
    bool speculative = false;     // greedy only: draft with the MTP block, verify with the model
};

enum class StopReason { Eos, StopToken, MaxTokens, Callback };

struct GenerateResult
{
    std::vector<int> tokens;
    StopReason reason = StopReason::MaxTokens;
    int drafted = 0, accepted = 0; // speculative decoding statistics
};

// Called with each generated token; return false to stop.
using TokenCallback = std::function<bool(int token)>;

class Session
{
public:
    ~Session();

    // Tokens in the context (the next token's position).
    std::int64_t position() const;

    // Appends `tokens` at the current position in chunks of `chunk` tokens (0 = one call) and,
    // per `mode`, writes the logits of the last token ([vocab]) or of every token ([n, vocab])
    // to `logits`.
    Status prefill(const std::vector<int> &tokens, LogitsMode mode = LogitsMode::Last,
                   std::vector<float> *logits = nullptr, int chunk = 0);

    // One decode step: appends `token`, returns its logits [vocab].
    Result<std::vector<float>> decode(int token);
    // The same into `logits` (resized to [vocab]; its capacity is reused): on the CPU a warm
    // step then performs no heap allocation (with the state reserved, see reserve()).
    Status decode(int token, std::vector<float> &logits);

    // Reserves the KV state's memory for a context of `tokens` positions, so that growing the
    // context up to there allocates nothing (optional: the state otherwise grows as it goes).
    // Reserved pages that are never written cost address space, not resident memory.
    Status reserve(std::int64_t tokens);

    // Generates from the logits of the last prefill/decode (error if there are none).
    Result<GenerateResult> generate(const GenerateParams &params, const TokenCallback &on_token);

    // Thread-safe: the current or next prefill/decode/generate stops between steps.
    void cancel();

    // An independent copy of the session (state, position, last logits).
    std::unique_ptr<Session> fork() const;

    // The complete state as a versioned byte stream (magic, format version kStateFormatVersion,
    // model fingerprint, token count, per-layer state in the compact layout), and its
    // restoration. save_to/load_from stream it (folio/state_stream.h: no copy of the state is
    // made on either side); save()/load() are the same stream as one string. Loading refuses a
    // stream of another model or format version, any malformed stream and any source failure
    // with a clear error, and then leaves the session as it was.
    Status save_to(StateSink &sink) const;
    Status load_from(StateSource &source);
    std::string save() const;
    Status load(const std::string &bytes);

    // Bytes of context-proportional state held now (compressed entries and indexer keys).
    std::uint64_t state_bytes() const;

    // The CUDA backend's counters for this session's calls (folio/device_stats.h: the routed
    // expert cache's hits and misses, and its slots); all zero on the CPU.
    DeviceStats stats() const;

    // Debugging aid (`--dump-layers DIR`): from now on every forward call writes the residual
    // after each block as raw little-endian FP32 [n, hc_mult, dim] to
    // DIR/pos<start>_layer<L>.f32 and appends "file start n hc_mult dim" to DIR/index.txt.
    // An empty dir turns it off. Fails when DIR cannot be written.
    Status set_layer_dump(const std::string &dir);

    struct Impl;

private:
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
    friend class Model;
};

} // namespace folio
