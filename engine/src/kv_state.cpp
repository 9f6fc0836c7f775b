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
