// Benchmark-only engine paths (see bench_support.h).
#include "model/bench_support.h"

#include <algorithm>
#include <atomic>
#include <string>

namespace folio::bench_support {

namespace {

std::atomic<const DenseBaseline *> g_dense{nullptr};

// Grows `bytes` (n_old records of `rec` bytes) to n_new records by repeating the old ones.
void repeat_records(std::vector<std::uint8_t> &bytes, std::size_t rec, std::int64_t n_new)
{
    const std::size_t n_old = bytes.size() / rec;
    bytes.resize(std::size_t(n_new) * rec);
    for (std::size_t e = n_old; e < std::size_t(n_new); ++e)
        std::copy_n(bytes.begin() + std::ptrdiff_t((e % n_old) * rec), rec,
                    bytes.begin() + std::ptrdiff_t(e * rec));
}

Status extend_layer(const ModelConfig &cfg, LayerState &l, std::int64_t n_tokens,
                    const std::string &what)
{
    if (!l.compress_ratio)
        return Status::ok();
    if (l.n_entries <= 0)
        return Status::error(what + " has no compressed entry to repeat (prefill more tokens)");
    const KvEntryCodec codec{cfg.head_dim, cfg.rope_head_dim};
    const std::int64_t n_new = n_tokens / l.compress_ratio;
    repeat_records(l.compressed, codec.bytes(), n_new);
    if (!l.index_keys.empty())
        repeat_records(l.index_keys, IndexKeyCodec{cfg.index_head_dim}.bytes(), n_new);
    l.n_entries = n_new;
    return Status::ok();
}

} // namespace

Status extend_state_synthetic(const ModelConfig &cfg, KvState &state, std::int64_t add_tokens)
{
    if (add_tokens < 0 || add_tokens % 128 != 0)
        return Status::error("synthetic extension must add a multiple of 128 tokens");
    for (int r : cfg.compress_ratios)
        if (r > 0 && add_tokens % r != 0)
            return Status::error("synthetic extension must add a multiple of every compress ratio");
    if (state.n_tokens + add_tokens > cfg.max_position_embeddings)
        return Status::error("synthetic extension past the model's context");
    for (std::size_t i = 0; i < state.layers.size(); ++i)
        if (Status st = extend_layer(cfg, state.layers[i], state.n_tokens + add_tokens,
                                     "layer " + std::to_string(i));
            !st)
            return st;
    for (std::size_t i = 0; i < state.mtp.size(); ++i)
        if (Status st = extend_layer(cfg, state.mtp[i], state.mtp_tokens + add_tokens,
                                     "MTP block " + std::to_string(i));
            !st)
            return st;
    state.n_tokens += add_tokens;
    state.mtp_tokens += add_tokens;
    return Status::ok();
}

void set_dense_baseline(const DenseBaseline *baseline)
{
    g_dense.store(baseline);
}

const DenseBaseline *dense_baseline()
{
    return g_dense.load(std::memory_order_relaxed);
}

} // namespace folio::bench_support
