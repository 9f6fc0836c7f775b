// The state side of the CUDA session (cuda_session.h): the device state uploaded from the host
// copies as compact bytes, brought back to the host on demand (incrementally: entries and
// indexer keys never change once written), copied device to device for a fork; the GPU sampler
// (only the token id comes back); the session's counters; the generation of the buffers a
// captured CUDA graph points into.
#include "cuda/sampling.h"
#include "cuda_session.h"

#include <cstring>

namespace folio::cuda {
namespace {

// A device copy of `src` (its first `bytes` bytes) into `dst` on `device`.
Status copy_buffer(const DeviceBuffer &src, std::size_t bytes, DeviceBuffer &dst, int device,
                   cudaStream_t stream)
{
    if (!src.get())
        return Status::ok();
    if (Status st = dst.ensure(device, std::max<std::size_t>(src.size(), 1)); !st)
        return st;
    if (bytes)
        CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream));
    return Status::ok();
}

// The CPU sampler's messages for what the device sampler reports.
Status sample_error(int code, int at)
{
    if (code == kSampleAllNegInf)
        return Status::error("sampler: every logit is -inf; no token can be chosen");
    return Status::error("sampler: logits contain "
                         + std::string(code == kSampleNan ? "NaN" : "+inf") + " (token "
                         + std::to_string(at) + "); the forward pass produced non-finite values");
}

} // namespace

Status CudaSession::upload_layer(const DevBlock &d, const LayerState &hs, DevState &ds)
{
    Gpu &g = gpu(d.gpu);
    CUDA_CHECK(cudaSetDevice(g.device));
    const int win = m_cfg.window_size;
    const std::size_t eb = KvEntryCodec{m_cfg.head_dim, m_cfg.rope_head_dim}.bytes();
    ds.n_entries = hs.n_entries;
    ds.cap = std::max<std::int64_t>(hs.n_entries, 1024);
    const std::size_t rows = std::size_t(win + kMaxChunk + ds.cap);
    if (Status st = ds.kv.ensure(g.device, rows * eb); !st)
        return st;
    // The compact bytes as they are: the device reads the same layout.
    auto *kv = static_cast<std::uint8_t *>(ds.kv.get());
    CUDA_CHECK(cudaMemcpy(kv, hs.window.data(), hs.window.size(), cudaMemcpyHostToDevice));
    if (hs.n_entries > 0)
        CUDA_CHECK(cudaMemcpy(kv + std::size_t(win + kMaxChunk) * eb, hs.compressed.data(),
                              std::size_t(hs.n_entries) * eb, cudaMemcpyHostToDevice));
    if (d.has_indexer) {
        const std::size_t kb = IndexKeyCodec{m_cfg.index_head_dim}.bytes();
        ds.n_keys = std::int64_t(hs.index_keys.size() / kb);
        ds.key_cap = std::max<std::int64_t>(ds.n_keys, 1024);
        if (Status st = ds.keys.ensure(g.device, std::size_t(ds.key_cap) * kb); !st)
            return st;
        if (ds.n_keys > 0)
            CUDA_CHECK(cudaMemcpy(ds.keys.get(), hs.index_keys.data(), std::size_t(ds.n_keys) * kb,
                                  cudaMemcpyHostToDevice));
    }
    auto slots = [&](const CompressorState &cs, DeviceBuffer &dk, DeviceBuffer &dsc) -> Status {
        const std::size_t bytes = cs.kv.size() * sizeof(float);
        if (bytes == 0)
            return Status::ok();
        if (Status st = dk.ensure(g.device, bytes); !st)
            return st;
        if (Status st = dsc.ensure(g.device, bytes); !st)
            return st;
        CUDA_CHECK(cudaMemcpy(dk.get(), cs.kv.data(), bytes, cudaMemcpyHostToDevice));
        CUDA_CHECK(cudaMemcpy(dsc.get(), cs.score.data(), bytes, cudaMemcpyHostToDevice));
        return Status::ok();
    };
    if (Status st = slots(hs.compressor, ds.comp_kv, ds.comp_score); !st)
        return st;
    if (Status st = slots(hs.index_compressor, ds.icomp_kv, ds.icomp_score); !st)
        return st;
    // cudaMemcpy from pageable memory may return before its DMA lands, and the layer's kernels
    // run on a non-blocking stream: wait here.
    CUDA_CHECK(cudaDeviceSynchronize());
    return Status::ok();
}

Status CudaSession::upload_state(const KvState &state, const std::vector<float> &last_logits,
                                 const std::vector<float> &last_hidden)
{
    m_state.clear();
    m_state.resize(m_model->blocks.size());
    for (int l = 0; l < m_cfg.n_layers; ++l)
        if (Status st = upload_layer(m_model->blocks[std::size_t(l)], state.layers[std::size_t(l)],
                                     m_state[std::size_t(l)]);
            !st)
            return st;
    for (std::size_t i = 0; i < state.mtp.size() && i < m_model->mtp.size(); ++i)
        if (Status st = upload_layer(m_model->blocks[std::size_t(m_cfg.n_layers) + i], state.mtp[i],
                                     m_state[std::size_t(m_cfg.n_layers) + i]);
            !st)
            return st;
    // The last position's logits (the sampler's input) and final residual (the MTP block's).
    Gpu &g = last_gpu();
    CUDA_CHECK(cudaSetDevice(g.device));
    m_logits_dev = m_hidden_dev = false;
    if (last_logits.size() == std::size_t(m_cfg.vocab_size)) {
        if (Status st = m_logits.ensure(g.device, last_logits.size() * sizeof(float)); !st)
            return st;
        CUDA_CHECK(cudaMemcpy(m_logits.get(), last_logits.data(),
                              last_logits.size() * sizeof(float), cudaMemcpyHostToDevice));
        m_logits_dev = true;
    }
    if (last_hidden.size() == std::size_t(m_cfg.hc_mult) * m_cfg.dim) {
        if (Status st = m_hidden.ensure(g.device, last_hidden.size() * sizeof(float)); !st)
            return st;
        CUDA_CHECK(cudaMemcpy(m_hidden.get(), last_hidden.data(),
                              last_hidden.size() * sizeof(float), cudaMemcpyHostToDevice));
        m_hidden_dev = true;
    }
    CUDA_CHECK(cudaDeviceSynchronize());
    m_host_stale = false;
    m_host_logits = m_host_hidden = true;
    return Status::ok();
}

Status CudaSession::download_layer(const DevBlock &d, const DevState &ds, LayerState &hs) const
{
    Gpu &g = gpu(d.gpu);
    CUDA_CHECK(cudaSetDevice(g.device));
    CUDA_CHECK(cudaStreamSynchronize(g.stream)); // (cudaMemcpy does not wait for g.stream)
    const int win = m_cfg.window_size;
    const std::size_t eb = KvEntryCodec{m_cfg.head_dim, m_cfg.rope_head_dim}.bytes();
    const auto *kv = static_cast<const std::uint8_t *>(ds.kv.get());
    CUDA_CHECK(cudaMemcpy(hs.window.data(), kv, hs.window.size(), cudaMemcpyDeviceToHost));
    // Entries and keys are never rewritten: only those past the host's copy travel.
    const std::int64_t have = std::min<std::int64_t>(std::int64_t(hs.compressed.size() / eb),
                                                     ds.n_entries);
    hs.compressed.resize(std::size_t(ds.n_entries) * eb);
    if (ds.n_entries > have)
        CUDA_CHECK(cudaMemcpy(hs.compressed.data() + std::size_t(have) * eb,
                              kv + std::size_t(win + kMaxChunk + have) * eb,
                              std::size_t(ds.n_entries - have) * eb, cudaMemcpyDeviceToHost));
    hs.n_entries = ds.n_entries;
    if (d.has_indexer) {
        const std::size_t kb = IndexKeyCodec{m_cfg.index_head_dim}.bytes();
        const std::int64_t khave = std::min<std::int64_t>(std::int64_t(hs.index_keys.size() / kb),
                                                          ds.n_keys);
        hs.index_keys.resize(std::size_t(ds.n_keys) * kb);
        if (ds.n_keys > khave)
            CUDA_CHECK(cudaMemcpy(hs.index_keys.data() + std::size_t(khave) * kb,
                                  static_cast<const std::uint8_t *>(ds.keys.get())
                                      + std::size_t(khave) * kb,
                                  std::size_t(ds.n_keys - khave) * kb, cudaMemcpyDeviceToHost));
    }
    auto slots = [&](CompressorState &cs, const DeviceBuffer &dk, const DeviceBuffer &dsc) {
        const std::size_t bytes = cs.kv.size() * sizeof(float);
        if (bytes == 0)
            return Status::ok();
        CUDA_CHECK(cudaMemcpy(cs.kv.data(), dk.get(), bytes, cudaMemcpyDeviceToHost));
        CUDA_CHECK(cudaMemcpy(cs.score.data(), dsc.get(), bytes, cudaMemcpyDeviceToHost));
        return Status::ok();
    };
    if (Status st = slots(hs.compressor, ds.comp_kv, ds.comp_score); !st)
        return st;
    return slots(hs.index_compressor, ds.icomp_kv, ds.icomp_score);
}

Status CudaSession::sync_host(KvState &state, std::vector<float> &last_logits,
                              std::vector<float> &last_hidden)
{
    std::lock_guard<std::mutex> lock(m_model->run);
    if (!m_broken)
        return m_broken;
    if (!m_device_valid)
        return Status::ok(); // the host copies are the state
    if (m_host_stale) {
        for (int l = 0; l < m_cfg.n_layers; ++l)
            if (Status st = download_layer(m_model->blocks[std::size_t(l)], m_state[std::size_t(l)],
                                           state.layers[std::size_t(l)]);
                !st)
                return st;
        for (std::size_t i = 0; i < state.mtp.size() && i < m_model->mtp.size(); ++i)
            if (Status st = download_layer(m_model->blocks[std::size_t(m_cfg.n_layers) + i],
                                           m_state[std::size_t(m_cfg.n_layers) + i], state.mtp[i]);
                !st)
                return st;
        m_host_stale = false;
    }
    Gpu &g = last_gpu();
    CUDA_CHECK(cudaSetDevice(g.device));
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    if (!m_host_logits && m_logits_dev) {
        last_logits.resize(std::size_t(m_cfg.vocab_size));
        CUDA_CHECK(cudaMemcpy(last_logits.data(), m_logits.get(),
                              last_logits.size() * sizeof(float), cudaMemcpyDeviceToHost));
        m_host_logits = true;
    }
    if (!m_host_hidden && m_hidden_dev) {
        last_hidden.resize(std::size_t(m_cfg.hc_mult) * m_cfg.dim);
        CUDA_CHECK(cudaMemcpy(last_hidden.data(), m_hidden.get(),
                              last_hidden.size() * sizeof(float), cudaMemcpyDeviceToHost));
        m_host_hidden = true;
    }
    return Status::ok();
}

void CudaSession::invalidate()
{
    m_device_valid = false;
    m_host_stale = false;
    m_logits_dev = m_hidden_dev = false;
    m_host_logits = m_host_hidden = true;
    m_broken = Status::ok();
}

std::uint64_t CudaSession::context_bytes() const
{
    if (!m_device_valid)
        return 0; // (Session::state_bytes asks the host state then)
    const std::size_t eb = KvEntryCodec{m_cfg.head_dim, m_cfg.rope_head_dim}.bytes();
    const std::size_t kb = IndexKeyCodec{m_cfg.index_head_dim}.bytes();
    std::uint64_t n = 0;
    for (int l = 0; l < m_cfg.n_layers && std::size_t(l) < m_state.size(); ++l) {
        const DevState &ds = m_state[std::size_t(l)];
        n += std::uint64_t(ds.n_entries) * eb + std::uint64_t(ds.n_keys) * kb;
    }
    return n;
}

// The fork's device state: a device copy of every buffer of `src` (same GPUs), its counters and
// flags; the host copies were copied by Session::fork.
Status CudaSession::copy_from(const CudaSession &src)
{
    m_state.clear();
    m_state.resize(src.m_state.size());
    const std::size_t eb = KvEntryCodec{m_cfg.head_dim, m_cfg.rope_head_dim}.bytes();
    const std::size_t kb = IndexKeyCodec{m_cfg.index_head_dim}.bytes();
    for (std::size_t b = 0; b < src.m_state.size(); ++b) {
        const DevState &from = src.m_state[b];
        DevState &to = m_state[b];
        Gpu &g = gpu(m_model->blocks[b].gpu);
        CUDA_CHECK(cudaSetDevice(g.device));
        to.cap = from.cap;
        to.n_entries = from.n_entries;
        to.key_cap = from.key_cap;
        to.n_keys = from.n_keys;
        const std::size_t kv_bytes = std::size_t(m_cfg.window_size + kMaxChunk + from.n_entries)
                                     * eb;
        Status st = copy_buffer(from.kv, kv_bytes, to.kv, g.device, g.stream);
        if (st)
            st = copy_buffer(from.keys, std::size_t(from.n_keys) * kb, to.keys, g.device, g.stream);
        for (auto [f, t] :
             {std::pair{&from.comp_kv, &to.comp_kv}, std::pair{&from.comp_score, &to.comp_score},
              std::pair{&from.icomp_kv, &to.icomp_kv},
              std::pair{&from.icomp_score, &to.icomp_score}})
            if (st)
                st = copy_buffer(*f, f->size(), *t, g.device, g.stream);
        if (!st)
            return st;
    }
    Gpu &g = last_gpu();
    CUDA_CHECK(cudaSetDevice(g.device));
    Status st = copy_buffer(src.m_logits, src.m_logits.size(), m_logits, g.device, g.stream);
    if (st)
        st = copy_buffer(src.m_hidden, src.m_hidden.size(), m_hidden, g.device, g.stream);
    if (!st)
        return st;
    for (const auto &gp : m_model->gpus) {
        CUDA_CHECK(cudaSetDevice(gp->device));
        CUDA_CHECK(cudaStreamSynchronize(gp->stream));
    }
    m_device_valid = true;
    m_host_stale = src.m_host_stale;
    m_logits_dev = src.m_logits_dev;
    m_host_logits = src.m_host_logits;
    m_hidden_dev = src.m_hidden_dev;
    m_host_hidden = src.m_host_hidden;
    return Status::ok();
}

std::unique_ptr<DeviceSession> CudaSession::fork() const
{
    auto s = std::make_unique<CudaSession>(m_model);
    s->m_graphs_on = m_graphs_on;
    s->m_broken = m_broken; // (a broken session's host copy is not its state either)
    if (!m_device_valid || !m_broken)
        return s; // the fork uploads its host copy on first use
    std::lock_guard<std::mutex> lock(m_model->run);
    if (Status st = s->copy_from(*this); !st) {
        // The host copy Session::fork made may be behind the device: never run from it.
        s->m_broken = Status::error("fork: the device state could not be copied: " + st.message());
    }
    return s;
}

int CudaSession::gpu_index(const Gpu &g) const
{
    for (std::size_t i = 0; i < m_model->gpus.size(); ++i)
        if (m_model->gpus[i].get() == &g)
            return int(i);
    return 0;
}

Status CudaSession::begin_uploads(int m, std::int64_t end)
{
    // Decode only: a prefill's key lists can be large, and its pageable copies cost nothing
    // that matters next to it.
    m_pinned_uploads = m == 1;
    const int win = m_cfg.window_size;
    for (std::size_t gi = 0; gi < m_model->gpus.size(); ++gi) {
        Gpu &g = *m_model->gpus[gi];
        SessionScratch &sc = m_scratch[gi];
        CUDA_CHECK(cudaSetDevice(g.device));
        if (sc.uploads_pending)
            CUDA_CHECK(cudaEventSynchronize(sc.uploads_read)); // (the last step's: long done)
        else if (sc.upload_used)
            CUDA_CHECK(cudaStreamSynchronize(g.stream)); // a failed call's copies
        sc.uploads_pending = false;
        sc.upload_used = 0;
        if (!m_pinned_uploads)
            continue;
        // Room for everything a one-token call uploads on this GPU (main and MTP calls): token
        // and positions twice, and per block its key list, visibility and entry position.
        std::size_t bound = 2
                                * (4 + 8 * std::size_t(2 + m_cfg.n_heads + m_cfg.index_n_heads)
                                   + 4 * 256)
                            + 4 * std::size_t(m_cfg.dim) + 256; // the MTP block's embedding
        for (const DevBlock &d : m_model->blocks) {
            if (d.gpu != int(gi))
                continue;
            const int ratio = d.host->compress_ratio;
            const std::int64_t comp = ratio == 0      ? 0
                                      : d.has_indexer ? m_cfg.index_topk
                                                      : end / ratio + 1;
            bound += 4 * std::size_t(win + comp) + 16 + 4 * 256;
        }
        if (bound > sc.upload_cap) {
            if (Status st = sc.uploads.ensure(2 * bound); !st)
                return st;
            sc.upload_cap = 2 * bound;
        }
    }
    return Status::ok();
}

Status CudaSession::end_uploads()
{
    for (std::size_t gi = 0; gi < m_model->gpus.size(); ++gi) {
        SessionScratch &sc = m_scratch[gi];
        if (!sc.upload_used)
            continue;
        Gpu &g = *m_model->gpus[gi];
        CUDA_CHECK(cudaSetDevice(g.device));
        if (!sc.uploads_read)
            CUDA_CHECK(cudaEventCreateWithFlags(&sc.uploads_read, cudaEventDisableTiming));
        CUDA_CHECK(cudaEventRecord(sc.uploads_read, g.stream));
        sc.uploads_pending = true;
    }
    return Status::ok();
}

CudaSession::~CudaSession()
{
    for (SessionScratch &sc : m_scratch)
        if (sc.uploads_read)
            cudaEventDestroy(sc.uploads_read);
    for (auto &[key, e] : m_graphs)
        if (e.exec)
            cudaGraphExecDestroy(e.exec);
}

DeviceStats CudaSession::cache_counters() const
{
    return m_model->stats(); // (summed over the model's GPUs, all its sessions)
}

DeviceStats CudaSession::stats() const
{
    const DeviceStats model = m_model->stats();
    DeviceStats s = m_stats; // the deltas over this session's calls
    s.expert_cache_slots = model.expert_cache_slots;
    s.fp8_cublaslt_refused = model.fp8_cublaslt_refused;
    return s;
}

std::uint64_t CudaSession::generation(const Gpu &g, int gpu_index, const DevState *ds) const
{
    std::uint64_t h = kGraphHashSeed;
    for (const DeviceBuffer &b : g.scratch)
        h = mix_pointer(h, b.get());
    const SessionScratch &sc = m_scratch[std::size_t(gpu_index)];
    for (const DeviceBuffer *b : {&sc.kv32, &sc.entry32, &sc.key32, &sc.partials, &m_logits})
        h = mix_pointer(h, b->get());
    if (ds)
        for (const DeviceBuffer *b : {&ds->kv, &ds->keys, &ds->comp_kv, &ds->icomp_kv})
            h = mix_pointer(h, b->get());
    return h;
}

Result<int> CudaSession::sample(const std::vector<float> &last_logits, Sampler &sampler)
{
    std::lock_guard<std::mutex> lock(m_model->run);
    if (!m_broken)
        return m_broken;
    Gpu &g = last_gpu();
    CUDA_CHECK(cudaSetDevice(g.device));
    const int vocab = m_cfg.vocab_size;
    float *logits = nullptr;
    if (Status st = own(m_logits, g.device, std::size_t(vocab), logits); !st)
        return st;
    if (!m_logits_dev) { // (a loaded state: its logits are on the host)
        if (last_logits.size() != std::size_t(vocab))
            return Status::error("generate: prefill the prompt first");
        CUDA_CHECK(cudaMemcpyAsync(logits, last_logits.data(), std::size_t(vocab) * sizeof(float),
                                   cudaMemcpyHostToDevice, g.stream));
        m_logits_dev = true;
    }
    double *work = nullptr;
    int *out = nullptr;
    Status st = own(m_sample_work, g.device, std::size_t(vocab), work);
    if (st)
        st = own(m_sample_out, g.device, 4, out);
    if (st)
        st = m_sample_host.ensure(4 * sizeof(int));
    if (!st)
        return st;
    const SamplingParams &p = sampler.params();
    // The draw comes from the sampler's own stream, exactly when the CPU sampler would take it.
    const bool draws = !(p.greedy() || p.top_k == 1);
    const std::array<std::uint64_t, 4> rng = sampler.rng_state();
    const double u = draws ? sampler.draw() : 0.0;
    const DeviceSamplingParams dp{p.temperature, p.top_k, p.top_p, p.min_p};
    if (st = sample_token(logits, vocab, dp, u, work, out, g.stream); !st)
        return st;
    CUDA_CHECK(cudaMemcpyAsync(m_sample_host.get(), out, 4 * sizeof(int), cudaMemcpyDeviceToHost,
                               g.stream));
    CUDA_CHECK(cudaStreamSynchronize(g.stream));
    int r[4];
    std::memcpy(r, m_sample_host.get(), sizeof(r));
    if (r[1] != kSampleOk) {
        sampler.set_rng_state(rng); // as the CPU sampler, an error consumes no draw
        return sample_error(r[1], r[2]);
    }
    return r[0];
}

} // namespace folio::cuda
