// KvState codecs, creation and the versioned byte stream (see kv_state.h).
#include "kv_state.h"

#include "quant.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace folio {

void KvEntryCodec::encode(const float *kv, const float *scales, std::uint8_t *dst) const
{
    const int n = nope();
    for (int i = 0; i < n; ++i) // exact: kv[i] / scale is an E4M3 value
        dst[i] = e4m3_encode(kv[i] / scales[i / 64]);
    for (int b = 0; b < n_scales(); ++b)
        dst[n + b] = e8m0_encode_pow2(scales[b]);
    std::uint8_t *rope = dst + n + n_scales();
    for (int i = 0; i < rope_dim; ++i) {
        const std::uint16_t b = f32_to_bf16(kv[n + i]);
        std::memcpy(rope + 2 * i, &b, 2);
    }
}

void KvEntryCodec::decode(const std::uint8_t *src, float *kv) const
{
    const int n = nope();
    const std::uint8_t *sc = src + n;
    for (int i = 0; i < n; ++i)
        kv[i] = e4m3_decode(src[i]) * e8m0_decode(sc[i / 64]);
    const std::uint8_t *rope = src + n + n_scales();
    for (int i = 0; i < rope_dim; ++i) {
        std::uint16_t b;
        std::memcpy(&b, rope + 2 * i, 2);
        kv[n + i] = bf16_to_f32(b);
    }
}

void IndexKeyCodec::encode(const float *key, const float *scales, std::uint8_t *dst) const
{
    for (int i = 0; i < dim; i += 2) {
        const std::uint8_t lo = e2m1_encode(key[i] / scales[i / 32]);
        const std::uint8_t hi = e2m1_encode(key[i + 1] / scales[(i + 1) / 32]);
        dst[i / 2] = std::uint8_t(lo | (hi << 4)); // element 2j in the low nibble
    }
    for (int b = 0; b < dim / 32; ++b)
        dst[dim / 2 + b] = e8m0_encode_pow2(scales[b]);
}

void IndexKeyCodec::decode(const std::uint8_t *src, float *key) const
{
    const std::uint8_t *sc = src + dim / 2;
    for (int i = 0; i < dim; ++i) {
        const std::uint8_t code = (i & 1) ? (src[i / 2] >> 4) : (src[i / 2] & 0xf);
        key[i] = e2m1_decode(code) * e8m0_decode(sc[i / 32]);
    }
}

void CompressorState::init(int ratio, int head_dim)
{
    compress_ratio = ratio;
    const int coff = ratio == 4 ? 2 : 1;
    slots = coff * ratio;
    width = coff * head_dim;
    kv.assign(std::size_t(slots) * width, 0.0f);
    score.assign(std::size_t(slots) * width, -std::numeric_limits<float>::infinity());
}

namespace {

LayerState make_layer(const ModelConfig &cfg, int layer_id)
{
    LayerState st;
    st.compress_ratio = cfg.compress_ratio(layer_id);
    const KvEntryCodec codec{cfg.head_dim, cfg.rope_head_dim};
    st.window.assign(std::size_t(cfg.window_size) * codec.bytes(), 0);
    if (st.compress_ratio) {
        st.compressor.init(st.compress_ratio, cfg.head_dim);
        if (st.compress_ratio == 4)
            st.index_compressor.init(4, cfg.index_head_dim);
    }
    return st;
}

} // namespace

KvState KvState::create(const ModelConfig &cfg)
{
    KvState s;
    for (int l = 0; l < cfg.n_layers; ++l)
        s.layers.push_back(make_layer(cfg, l));
    for (int i = 0; i < cfg.n_mtp_layers; ++i)
        s.mtp.push_back(make_layer(cfg, cfg.n_layers + i));
    return s;
}

std::uint64_t KvState::context_bytes() const
{
    std::uint64_t n = 0;
    for (const LayerState &l : layers)
        n += l.compressed.size() + l.index_keys.size();
    return n;
}

} // namespace folio

// ---- byte stream -----------------------------------------------------------------------------
// Little-endian fixed-width integers; FP32 slots as their bit patterns (lossless).

namespace folio {

namespace {

template<class T>
void put(std::string &out, T v)
{
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

void put_bytes(std::string &out, const void *p, std::size_t n)
{
    put<std::uint64_t>(out, n);
    out.append(static_cast<const char *>(p), n);
}

template<class T>
bool get(std::string_view &in, T &v)
{
    if (in.size() < sizeof(T))
        return false;
    std::memcpy(&v, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return true;
}

bool get_bytes(std::string_view &in, void *p, std::size_t expected)
{
    std::uint64_t n;
    if (!get(in, n) || n != expected || in.size() < n)
        return false;
    std::memcpy(p, in.data(), n);
    in.remove_prefix(n);
    return true;
}

void write_compressor(std::string &out, const CompressorState &c)
{
    put<std::int32_t>(out, c.compress_ratio);
    if (!c.compress_ratio)
        return;
    put_bytes(out, c.kv.data(), c.kv.size() * sizeof(float));
    put_bytes(out, c.score.data(), c.score.size() * sizeof(float));
}

bool read_compressor(std::string_view &in, CompressorState &c)
{
    std::int32_t ratio;
    if (!get(in, ratio) || ratio != c.compress_ratio)
        return false;
    if (!ratio)
        return true;
    return get_bytes(in, c.kv.data(), c.kv.size() * sizeof(float))
           && get_bytes(in, c.score.data(), c.score.size() * sizeof(float));
}

void write_layer(std::string &out, const LayerState &l)
{
    put<std::int32_t>(out, l.compress_ratio);
    put<std::int64_t>(out, l.n_entries);
    put_bytes(out, l.window.data(), l.window.size());
    put_bytes(out, l.compressed.data(), l.compressed.size());
    put_bytes(out, l.index_keys.data(), l.index_keys.size());
    write_compressor(out, l.compressor);
    write_compressor(out, l.index_compressor);
}

Status read_layer(std::string_view &in, const ModelConfig &cfg, std::int64_t n_tokens,
                  LayerState &l, const std::string &what)
{
    const KvEntryCodec codec{cfg.head_dim, cfg.rope_head_dim};
    const IndexKeyCodec icodec{cfg.index_head_dim};
    std::int32_t ratio;
    std::int64_t n_entries;
    if (!get(in, ratio) || !get(in, n_entries))
        return Status::error("KV state: truncated at " + what);
    if (ratio != l.compress_ratio)
        return Status::error("KV state: " + what + " has compress ratio " + std::to_string(ratio)
                             + ", the model has " + std::to_string(l.compress_ratio));
    const std::int64_t expected = ratio ? n_tokens / ratio : 0;
    if (n_entries != expected)
        return Status::error("KV state: " + what + " holds " + std::to_string(n_entries)
                             + " compressed entries, expected " + std::to_string(expected));
    l.n_entries = n_entries;
    l.compressed.resize(std::size_t(n_entries) * codec.bytes());
    l.index_keys.resize(ratio == 4 ? std::size_t(n_entries) * icodec.bytes() : 0);
    if (!get_bytes(in, l.window.data(), l.window.size())
        || !get_bytes(in, l.compressed.data(), l.compressed.size())
        || !get_bytes(in, l.index_keys.data(), l.index_keys.size())
        || !read_compressor(in, l.compressor) || !read_compressor(in, l.index_compressor))
        return Status::error("KV state: " + what + " is truncated or has wrong sizes");
    return Status::ok();
}

} // namespace

void KvState::write(std::string &out) const
{
    put<std::int64_t>(out, n_tokens);
    put<std::int64_t>(out, mtp_tokens);
    put<std::uint32_t>(out, std::uint32_t(layers.size()));
    put<std::uint32_t>(out, std::uint32_t(mtp.size()));
    for (const LayerState &l : layers)
        write_layer(out, l);
    for (const LayerState &l : mtp)
        write_layer(out, l);
}

Result<KvState> KvState::read(std::string_view &in, const ModelConfig &cfg)
{
    KvState s = create(cfg);
    std::uint32_t n_layers, n_mtp;
    if (!get(in, s.n_tokens) || !get(in, s.mtp_tokens) || !get(in, n_layers) || !get(in, n_mtp))
        return Status::error("KV state: truncated header");
    if (s.n_tokens < 0 || s.mtp_tokens < 0 || s.mtp_tokens > s.n_tokens
        || s.n_tokens > cfg.max_position_embeddings)
        return Status::error("KV state: invalid token count " + std::to_string(s.n_tokens));
    if (n_layers != s.layers.size() || n_mtp != s.mtp.size())
        return Status::error("KV state: " + std::to_string(n_layers) + " layers + "
                             + std::to_string(n_mtp) + " MTP blocks, the model has "
                             + std::to_string(s.layers.size()) + " + "
                             + std::to_string(s.mtp.size()));
    for (std::size_t i = 0; i < s.layers.size(); ++i)
        if (Status st = read_layer(in, cfg, s.n_tokens, s.layers[i], "layer " + std::to_string(i));
            !st)
            return st;
    for (std::size_t i = 0; i < s.mtp.size(); ++i)
        if (Status st = read_layer(in, cfg, s.mtp_tokens, s.mtp[i],
                                   "MTP block " + std::to_string(i));
            !st)
            return st;
    return s;
}

} // namespace folio
