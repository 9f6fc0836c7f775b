// Session: prefill (one call or chunks, from any position), decode, generation with the sampler,
// cancellation, fork, save/load of the complete state, and greedy speculative decoding with the
// MTP block. See folio/engine.h.
//
// The MTP block runs alongside the main model one position behind it (at position p it needs the
// main model's final residual at p and the token at p+1), so its state is always ready for
// drafting. Its KV at a position depends only on that position's inputs (a sliding-window block),
// which is why running it alongside equals running it over the whole sequence.
#include "folio/engine.h"

#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "model/forward.h"
#include "session_impl.h"

#include <cstring>
#include <fstream>
#include <type_traits>

namespace folio {

namespace {

constexpr char kMagic[8] = {'F', 'O', 'L', 'I', 'O', 'K', 'V', '1'};

using Impl = Session::Impl;

Status cancelled_status()
{
    return Status::error("cancelled");
}

void dump_layers(const std::string &dir, const ForwardTrace &trace, std::int64_t start, int n,
                 const ModelConfig &cfg)
{
    std::ofstream index(dir + "/index.txt", std::ios::app);
    for (std::size_t l = 0; l < trace.layer_out.size(); ++l) {
        const std::string file = "pos" + std::to_string(start) + "_layer" + std::to_string(l)
                                 + ".f32";
        std::ofstream out(dir + "/" + file, std::ios::binary | std::ios::trunc);
        const std::vector<float> &v = trace.layer_out[l];
        out.write(reinterpret_cast<const char *>(v.data()),
                  std::streamsize(v.size() * sizeof(float)));
        index << file << ' ' << start << ' ' << n << ' ' << cfg.hc_mult << ' ' << cfg.dim << '\n';
    }
}

// Runs the main model over `tokens` (positions state.n_tokens..) as one forward call; fills
// last_logits/last_hidden, and all-position logits when `all` is given. Keeps the MTP block one
// position behind. Allocation-free once the session's buffers are warm (issue 5).
void forward_chunk(Impl &s, const std::int32_t *tokens, int n, std::vector<float> *all)
{
    const std::int64_t start = s.state.n_tokens;
    if (s.dump_dir.empty()) {
        forward_call(*s.weights, s.state, tokens, n, s.buffers, s.last_logits, s.last_hidden, all,
                     s.pool.get(), nullptr);
        return;
    }
    ForwardTrace trace;
    trace.keep_layers = true;
    forward_call(*s.weights, s.state, tokens, n, s.buffers, s.last_logits, s.last_hidden, all,
                 s.pool.get(), &trace);
    dump_layers(s.dump_dir, trace, start, n, s.weights->cfg);
}

// forward_chunk on the session's backend: the GPU when the model was loaded on one (there the
// last position's logits reach s.last_logits only when host_logits: generate samples on the
// device).
Status run_chunk(Impl &s, const std::int32_t *tokens, int n, std::vector<float> *all,
                 bool host_logits = true)
{
    if (!s.device) {
        forward_chunk(s, tokens, n, all);
        return Status::ok();
    }
    if (!s.dump_dir.empty())
        return Status::error("--dump-layers needs the CPU backend (device cpu)");
    return s.device->forward(s.state, tokens, n, all, s.last_logits, s.last_hidden, host_logits);
}

// Refuses token ids outside the vocabulary and a context past the model's limit; `what` names the
// call in the message.
Status check_append(const ModelConfig &cfg, std::int64_t n_tokens, const int *ids, std::size_t n,
                    const char *what)
{
    for (std::size_t i = 0; i < n; ++i)
        if (ids[i] < 0 || ids[i] >= cfg.vocab_size)
            return Status::error(std::string(what) + ": token id " + std::to_string(ids[i])
                                 + " outside [0, " + std::to_string(cfg.vocab_size) + ")");
    if (n_tokens + std::int64_t(n) > cfg.max_position_embeddings)
        return Status::error(std::string(what) + ": context of "
                             + std::to_string(cfg.max_position_embeddings) + " tokens exceeded");
    return Status::ok();
}

int greedy_token(const std::vector<float> &logits)
{
    return argmax(logits.data(), logits.size());
}

// The part of the state a verification step may change, for rolling it back: the fixed-size
// parts (window rings, pending compressor slots) are copied, the growing ones (compressed
// entries, indexer keys) only remember their length — appends are undone by truncation.
struct Snapshot
{
    struct Layer
    {
        std::vector<std::uint8_t> window;
        CompressorState compressor, index_compressor;
        std::size_t compressed = 0, index_keys = 0, hca_decoded = 0;
        std::int64_t n_entries = 0;
    };
    std::int64_t n_tokens = 0, mtp_tokens = 0;
    std::vector<Layer> layers, mtp;
    std::vector<float> last_logits, last_hidden;

    static Layer take(const LayerState &l)
    {
        return Layer{l.window,
                     l.compressor,
                     l.index_compressor,
                     l.compressed.size(),
                     l.index_keys.size(),
                     l.hca_decoded.size(),
                     l.n_entries};
    }
    static void restore(const Layer &s, LayerState &l)
    {
        l.window = s.window;
        l.compressor = s.compressor;
        l.index_compressor = s.index_compressor;
        l.compressed.resize(s.compressed);
        l.index_keys.resize(s.index_keys);
        // Decoded entries past the restored ones would be stale once new entries are appended.
        l.hca_decoded.resize(std::min(l.hca_decoded.size(), s.hca_decoded));
        l.n_entries = s.n_entries;
    }
    explicit Snapshot(const Impl &s)
        : n_tokens(s.state.n_tokens)
        , mtp_tokens(s.state.mtp_tokens)
        , last_logits(s.last_logits)
        , last_hidden(s.last_hidden)
    {
        for (const LayerState &l : s.state.layers)
            layers.push_back(take(l));
        for (const LayerState &l : s.state.mtp)
            mtp.push_back(take(l));
    }
    void restore(Impl &s) const
    {
        s.state.n_tokens = n_tokens;
        s.state.mtp_tokens = mtp_tokens;
        for (std::size_t i = 0; i < layers.size(); ++i)
            restore(layers[i], s.state.layers[i]);
        for (std::size_t i = 0; i < mtp.size(); ++i)
            restore(mtp[i], s.state.mtp[i]);
        s.last_logits = last_logits;
        s.last_hidden = last_hidden;
    }
};

} // namespace

Session::Session(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

Session::~Session() = default;

std::int64_t Session::position() const
{
    return m_impl->state.n_tokens;
}

Status Session::prefill(const std::vector<int> &tokens, LogitsMode mode, std::vector<float> *logits,
                        int chunk)
{
    Impl &s = *m_impl;
    const ModelConfig &cfg = s.weights->cfg;
    if (tokens.empty())
        return Status::error("prefill: no tokens");
    if (Status st = check_append(cfg, s.state.n_tokens, tokens.data(), tokens.size(), "prefill");
        !st)
        return st;
    if (chunk < 0)
        return Status::error("prefill: negative chunk size");
    // The ids as the forward pass takes them, without a copy (int is int32 on every target).
    static_assert(std::is_same_v<int, std::int32_t>);
    const std::int32_t *ids = tokens.data();
    const int n = int(tokens.size());
    const int step = chunk == 0 ? n : chunk;
    if (logits && mode == LogitsMode::All)
        logits->clear();
    std::vector<float> rows;
    // The chunks share one scratch arena, released after the last one (cpu/workspace.h).
    const Scratch::Frame keep_scratch;
    for (int i = 0; i < n; i += step) {
        if (s.cancelled.exchange(false))
            return cancelled_status();
        const int m = std::min(step, n - i);
        if (Status st = run_chunk(s, ids + i, m, mode == LogitsMode::All ? &rows : nullptr); !st)
            return st;
        if (logits && mode == LogitsMode::All)
            logits->insert(logits->end(), rows.begin(), rows.end());
    }
    if (logits && mode == LogitsMode::Last)
        *logits = s.last_logits;
    return Status::ok();
}

Status Session::decode(int token, std::vector<float> &logits)
{
    Impl &s = *m_impl;
    const ModelConfig &cfg = s.weights->cfg;
    if (Status st = check_append(cfg, s.state.n_tokens, &token, 1, "decode"); !st)
        return st;
    if (s.cancelled.exchange(false))
        return cancelled_status();
    const std::int32_t id = token;
    if (Status st = run_chunk(s, &id, 1, nullptr); !st)
        return st;
    logits.assign(s.last_logits.begin(), s.last_logits.end()); // keeps the caller's capacity
    return Status::ok();
}

Result<std::vector<float>> Session::decode(int token)
{
    std::vector<float> logits;
    if (Status st = decode(token, logits); !st)
        return st;
    return logits;
}

Status Session::reserve(std::int64_t tokens)
{
    Impl &s = *m_impl;
    const ModelConfig &cfg = s.weights->cfg;
    if (tokens < 0 || tokens > cfg.max_position_embeddings)
        return Status::error("reserve: " + std::to_string(tokens) + " tokens outside [0, "
                             + std::to_string(cfg.max_position_embeddings) + "]");
    s.state.reserve(cfg, tokens);
    return Status::ok();
}

Result<GenerateResult> Session::generate(const GenerateParams &params, const TokenCallback &on_token)
{
    Impl &s = *m_impl;
    const ModelConfig &cfg = s.weights->cfg;
    if (s.last_logits.empty())
        return Status::error("generate: prefill the prompt first");
    if (params.max_tokens < 0)
        return Status::error("generate: negative token budget");
    auto sampler = Sampler::create(params.sampling);
    if (!sampler)
        return sampler.status();
    if (params.speculative && (!params.sampling.greedy() || cfg.n_mtp_layers == 0))
        return Status::error("generate: speculative decoding needs greedy sampling and an MTP "
                             "block");
    if (params.speculative && s.device)
        return Status::error("generate: speculative decoding runs on the CPU backend only");
    GenerateResult result;
    // Emits one token; false when generation ends with it.
    auto emit = [&](int t) {
        result.tokens.push_back(t);
        if (on_token && !on_token(t)) {
            result.reason = StopReason::Callback;
            return false;
        }
        if (params.stop_at_eos && t == cfg.eos_token_id) {
            result.reason = StopReason::Eos;
            return false;
        }
        for (int st : params.stop_tokens)
            if (t == st) {
                result.reason = StopReason::StopToken;
                return false;
            }
        return int(result.tokens.size()) < params.max_tokens;
    };
    if (params.max_tokens == 0)
        return result;
    for (;;) {
        if (s.cancelled.exchange(false))
            return cancelled_status();
        if (s.state.n_tokens + (params.speculative ? 2 : 1) > cfg.max_position_embeddings)
            return Status::error("generate: context of "
                                 + std::to_string(cfg.max_position_embeddings)
                                 + " tokens exhausted");
        // On a GPU the logits stay there: only the chosen token comes back.
        auto next = s.device ? s.device->sample(s.last_logits, *sampler)
                             : sampler->sample(s.last_logits);
        if (!next)
            return next.status();
        const int t = *next;
        if (!emit(t))
            return result;
        if (!params.speculative) {
            const std::int32_t id = t;
            if (Status st = run_chunk(s, &id, 1, nullptr, false); !st)
                return st;
            continue;
        }
        // Draft the token after t with the MTP block at the last position (h, t).
        const ModelWeights &w = *s.weights;
        // A copy of the MTP block's state only: the verification call below runs this same MTP
        // step again on the real state (it keeps the MTP block one position behind).
        KvState mtp_probe;
        mtp_probe.mtp_tokens = s.state.mtp_tokens;
        mtp_probe.mtp = s.state.mtp;
        std::vector<float> mout, mlogits(std::size_t(cfg.vocab_size));
        const std::int32_t tid = t;
        mtp_forward(w, 0, mtp_probe, s.last_hidden.data(), &tid, 1, mout, s.pool.get());
        head_logits(w, w.mtp[0].hc_head, w.mtp[0].norm, mout.data(), 1, mlogits.data(),
                    s.pool.get());
        const int d = greedy_token(mlogits);
        ++result.drafted;
        // Verify t and d in one call; the logits at t decide whether d was right.
        const Snapshot snap(s);
        const std::int32_t pair[2] = {tid, d};
        std::vector<float> rows;
        forward_chunk(s, pair, 2, &rows);
        const int g = argmax(rows.data(), std::size_t(cfg.vocab_size));
        if (g == d) {
            ++result.accepted;
            if (!emit(d))
                return result;
            continue; // last_logits are the ones after d
        }
        // Rejected: back to the state before the pair and run t alone.
        snap.restore(s);
        forward_chunk(s, &tid, 1, nullptr);
    }
}

void Session::cancel()
{
    m_impl->cancelled.store(true);
}

std::unique_ptr<Session> Session::fork() const
{
    auto impl = std::make_unique<Impl>();
    impl->weights = m_impl->weights;
    impl->pool = m_impl->pool;
    impl->fingerprint = m_impl->fingerprint;
    impl->state = m_impl->state;
    impl->last_logits = m_impl->last_logits;
    impl->last_hidden = m_impl->last_hidden;
    if (m_impl->device)
        impl->device = m_impl->device->fork(); // uploads the copied host state on first use
    return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Status Session::save_to(StateSink &sink) const
{
    Impl &s = *m_impl; // (the host copies of a GPU session are brought up to date first)
    if (s.device)
        if (Status st = s.device->sync_host(s.state, s.last_logits, s.last_hidden); !st)
            return st;
    // Header: magic, format version, fingerprint length, fingerprint.
    const std::uint32_t header[2] = {kStateFormatVersion, std::uint32_t(s.fingerprint.size())};
    if (Status st = sink.write(kMagic, sizeof(kMagic)); !st)
        return st;
    if (Status st = sink.write(header, sizeof(header)); !st)
        return st;
    if (Status st = sink.write(s.fingerprint.data(), s.fingerprint.size()); !st)
        return st;
    if (Status st = s.state.write(sink); !st)
        return st;
    // Trailer: the last position's logits [vocab] and final residual [hc, dim] (empty at 0).
    for (const std::vector<float> *v : {&s.last_logits, &s.last_hidden}) {
        const std::uint32_t n = std::uint32_t(v->size());
        if (Status st = sink.write(&n, sizeof(n)); !st)
            return st;
        if (n == 0)
            continue;
        if (Status st = sink.write(v->data(), v->size() * sizeof(float)); !st)
            return st;
    }
    return Status::ok();
}

Status Session::load_from(StateSource &source)
{
    Impl &s = *m_impl;
    const ModelConfig &cfg = s.weights->cfg;
    Status failure;
    // Reads exactly n bytes; false at a premature end or a source failure (kept in `failure`).
    auto get = [&](void *p, std::size_t n) {
        auto *dst = static_cast<char *>(p);
        while (n > 0) {
            Result<std::size_t> got = source.read(dst, n);
            if (!got) {
                failure = got.status();
                return false;
            }
            if (*got == 0 || *got > n)
                return false;
            dst += *got;
            n -= *got;
        }
        return true;
    };
    auto fail = [&](const std::string &what) {
        return failure.is_ok() ? Status::error(what) : failure;
    };
    char magic[sizeof(kMagic)];
    std::uint32_t header[2];
    if (!get(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0
        || !get(header, sizeof(header)))
        return fail("KV state: not a Folio state stream (bad magic)");
    if (header[0] != kStateFormatVersion)
        return Status::error("KV state: format version " + std::to_string(header[0])
                             + ", this engine reads version " + std::to_string(kStateFormatVersion));
    std::string fingerprint(header[1] == s.fingerprint.size() ? header[1] : 0, '\0');
    if (header[1] != s.fingerprint.size() || !get(fingerprint.data(), fingerprint.size())
        || fingerprint != s.fingerprint)
        return fail("KV state: saved for another model (fingerprint mismatch)");
    auto state = KvState::read(source, cfg);
    if (!state)
        return state.status();
    auto get_floats = [&](std::vector<float> &v, std::size_t allowed1, std::size_t allowed2) {
        std::uint32_t n;
        if (!get(&n, sizeof(n)) || (n != allowed1 && n != allowed2))
            return false;
        v.resize(n);
        return get(v.data(), std::size_t(n) * sizeof(float));
    };
    std::vector<float> logits, hidden;
    const std::size_t none = state->n_tokens == 0 ? 0 : std::size_t(-1);
    char extra;
    if (!get_floats(logits, none, std::size_t(cfg.vocab_size))
        || !get_floats(hidden, none, std::size_t(cfg.hc_mult) * cfg.dim))
        return fail("KV state: malformed trailer");
    if (get(&extra, 1))
        return Status::error("KV state: malformed trailer (bytes after the end)");
    if (!failure.is_ok())
        return failure;
    s.state = std::move(*state);
    if (s.device)
        s.device->invalidate(); // the GPU's copy is stale now
    s.last_logits = std::move(logits);
    s.last_hidden = std::move(hidden);
    return Status::ok();
}

std::string Session::save() const
{
    std::string out;
    StringSink sink(out);
    save_to(sink); // a string sink never fails
    return out;
}

Status Session::load(const std::string &bytes)
{
    StringSource source(bytes);
    return load_from(source);
}

Status Session::set_layer_dump(const std::string &dir)
{
    if (!dir.empty()) {
        std::ofstream probe(dir + "/index.txt", std::ios::app);
        if (!probe)
            return Status::error("cannot write " + dir + "/index.txt");
    }
    m_impl->dump_dir = dir;
    return Status::ok();
}

std::uint64_t Session::state_bytes() const
{
    if (m_impl->device)
        if (const std::uint64_t n = m_impl->device->context_bytes())
            return n;
    return m_impl->state.context_bytes();
}

DeviceStats Session::stats() const
{
    return m_impl->device ? m_impl->device->stats() : DeviceStats{};
}

} // namespace folio
