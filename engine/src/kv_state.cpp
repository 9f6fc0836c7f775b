// KvState codecs, creation and the versioned byte stream (see kv_state.h).
#include "kv_state.h"

#include "quant.h"

#include <algorithm>
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

void KvState::reserve(const ModelConfig &cfg, std::int64_t n_tokens)
{
    const KvEntryCodec codec{cfg.head_dim, cfg.rope_head_dim};
    const IndexKeyCodec key_codec{cfg.index_head_dim};
    auto reserve_layer = [&](LayerState &l, std::int64_t tokens) {
        if (!l.compress_ratio)
            return;
        const std::size_t entries = std::size_t(std::max<std::int64_t>(tokens, 0))
                                    / std::size_t(l.compress_ratio);
        l.compressed.reserve(entries * codec.bytes());
        if (l.compress_ratio == 4)
            l.index_keys.reserve(entries * key_codec.bytes());
        if (l.is_hca())
            l.hca_decoded.reserve(entries * std::size_t(cfg.head_dim));
    };
    for (LayerState &l : layers)
        reserve_layer(l, n_tokens);
    for (LayerState &l : mtp)
        reserve_layer(l, n_tokens);
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
// Little-endian fixed-width integers; FP32 slots as their bit patterns (lossless). Written
// straight from the state's buffers into the sink and read straight into the new state's buffers:
// no staging copy of the state on either side.

namespace folio {

namespace {

template<class T>
Status put(StateSink &out, T v)
{
    return out.write(&v, sizeof(T));
}

// A few fixed-width fields gathered into one sink write.
class Fields
{
public:
    template<class T>
    Fields &add(T v)
    {
        std::memcpy(m_bytes + m_size, &v, sizeof(T));
        m_size += sizeof(T);
        return *this;
    }
    Status write(StateSink &out) const { return out.write(m_bytes, m_size); }

private:
    char m_bytes[32];
    std::size_t m_size = 0;
};

Status put_bytes(StateSink &out, const void *p, std::size_t n)
{
    if (Status st = put<std::uint64_t>(out, n); !st)
        return st;
    return n ? out.write(p, n) : Status::ok();
}

// Reads exactly `n` bytes; false when the stream ends first (`error` keeps a source failure).
bool get_exact(StateSource &in, void *p, std::size_t n, Status &error)
{
    auto *dst = static_cast<char *>(p);
    while (n > 0) {
        Result<std::size_t> got = in.read(dst, n);
        if (!got) {
            error = got.status();
            return false;
        }
        if (*got == 0 || *got > n)
            return false;
        dst += *got;
        n -= *got;
    }
    return true;
}

template<class T>
bool get(StateSource &in, T &v, Status &error)
{
    return get_exact(in, &v, sizeof(T), error);
}

bool get_bytes(StateSource &in, void *p, std::size_t expected, Status &error)
{
    std::uint64_t n;
    return get(in, n, error) && n == expected && get_exact(in, p, expected, error);
}

Status write_compressor(StateSink &out, const CompressorState &c)
{
    if (Status st = put<std::int32_t>(out, c.compress_ratio); !st || !c.compress_ratio)
        return st;
    if (Status st = put_bytes(out, c.kv.data(), c.kv.size() * sizeof(float)); !st)
        return st;
    return put_bytes(out, c.score.data(), c.score.size() * sizeof(float));
}

bool read_compressor(StateSource &in, CompressorState &c, Status &error)
{
    std::int32_t ratio;
    if (!get(in, ratio, error) || ratio != c.compress_ratio)
        return false;
    if (!ratio)
        return true;
    return get_bytes(in, c.kv.data(), c.kv.size() * sizeof(float), error)
           && get_bytes(in, c.score.data(), c.score.size() * sizeof(float), error);
}

Status write_layer(StateSink &out, const LayerState &l)
{
    if (Status st
        = Fields().add<std::int32_t>(l.compress_ratio).add<std::int64_t>(l.n_entries).write(out);
        !st)
        return st;
    if (Status st = put_bytes(out, l.window.data(), l.window.size()); !st)
        return st;
    if (Status st = put_bytes(out, l.compressed.data(), l.compressed.size()); !st)
        return st;
    if (Status st = put_bytes(out, l.index_keys.data(), l.index_keys.size()); !st)
        return st;
    if (Status st = write_compressor(out, l.compressor); !st)
        return st;
    return write_compressor(out, l.index_compressor);
}

Status read_layer(StateSource &in, const ModelConfig &cfg, std::int64_t n_tokens, LayerState &l,
                  const std::string &what)
{
    const KvEntryCodec codec{cfg.head_dim, cfg.rope_head_dim};
    const IndexKeyCodec icodec{cfg.index_head_dim};
    Status error;
    std::int32_t ratio;
    std::int64_t n_entries;
    if (!get(in, ratio, error) || !get(in, n_entries, error))
        return error.is_ok() ? Status::error("KV state: truncated at " + what) : error;
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
    if (!get_bytes(in, l.window.data(), l.window.size(), error)
        || !get_bytes(in, l.compressed.data(), l.compressed.size(), error)
        || !get_bytes(in, l.index_keys.data(), l.index_keys.size(), error)
        || !read_compressor(in, l.compressor, error)
        || !read_compressor(in, l.index_compressor, error))
        return error.is_ok()
                   ? Status::error("KV state: " + what + " is truncated or has wrong sizes")
                   : error;
    return Status::ok();
}

} // namespace

Status KvState::write(StateSink &out) const
{
    Fields header;
    header.add<std::int64_t>(n_tokens).add<std::int64_t>(mtp_tokens);
    header.add<std::uint32_t>(std::uint32_t(layers.size()))
        .add<std::uint32_t>(std::uint32_t(mtp.size()));
    if (Status st = header.write(out); !st)
        return st;
    for (const LayerState &l : layers)
        if (Status st = write_layer(out, l); !st)
            return st;
    for (const LayerState &l : mtp)
        if (Status st = write_layer(out, l); !st)
            return st;
    return Status::ok();
}

Result<KvState> KvState::read(StateSource &in, const ModelConfig &cfg)
{
    KvState s = create(cfg);
    Status error;
    std::uint32_t n_layers, n_mtp;
    if (!get(in, s.n_tokens, error) || !get(in, s.mtp_tokens, error) || !get(in, n_layers, error)
        || !get(in, n_mtp, error))
        return error.is_ok() ? Status::error("KV state: truncated header") : error;
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
