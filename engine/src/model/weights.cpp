// Binding of checkpoint tensors to ModelWeights (see weights.h). Names are the release's
// (spec §3.2); validate_checkpoint has already checked presence, dtype and shape of each, so the
// binder only looks tensors up and converts the small ones.
#include "model/weights.h"

#include "quant.h"
#include "tensor_directory.h"

#include <cstring>
#include <string>

namespace folio {

namespace {

class Binder
{
public:
    explicit Binder(const Checkpoint &ckpt)
        : m_ckpt(ckpt)
    {}

    const TensorView *get(const std::string &name)
    {
        const TensorView *t = m_ckpt.find(name);
        if (!t && m_error.empty())
            m_error = "missing tensor " + name;
        return t;
    }

    // An F32 or BF16 tensor as FP32 values.
    std::vector<float> f32(const std::string &name)
    {
        const TensorView *t = get(name);
        std::vector<float> out;
        if (!t)
            return out;
        const std::size_t n = std::size_t(t->numel());
        out.resize(n);
        if (t->dtype == DType::F32) {
            std::memcpy(out.data(), t->data, n * 4);
        } else if (t->dtype == DType::BF16) {
            for (std::size_t i = 0; i < n; ++i) {
                std::uint16_t b;
                std::memcpy(&b, t->data + 2 * i, 2);
                out[i] = bf16_to_f32(b);
            }
        } else if (m_error.empty()) {
            m_error = name + ": expected F32 or BF16, found " + dtype_name(t->dtype);
        }
        return out;
    }

    // `prefix`.weight (+ `prefix`.scale for FP8/FP4) as a linear of shape [out, in].
    LinearWeight linear(const std::string &prefix, int out, int in)
    {
        LinearWeight w;
        w.out = out;
        w.in = in;
        const TensorView *t = get(prefix + ".weight");
        if (!t)
            return w;
        w.data = t->data;
        switch (t->dtype) {
        case DType::BF16:
            w.kind = WeightKind::BF16;
            return w;
        case DType::F32:
            w.kind = WeightKind::F32;
            return w;
        case DType::F8_E4M3:
            w.kind = WeightKind::FP8;
            break;
        case DType::I8:
            w.kind = WeightKind::FP4;
            break;
        default:
            if (m_error.empty())
                m_error = prefix + ".weight: unsupported dtype " + dtype_name(t->dtype);
            return w;
        }
        const TensorView *s = get(prefix + ".scale");
        if (s)
            w.scale = s->data;
        return w;
    }

    HcWeights hc(const std::string &prefix, const std::string &which)
    {
        HcWeights h;
        h.fn = f32(prefix + "hc_" + which + "_fn");
        h.base = f32(prefix + "hc_" + which + "_base");
        h.scale = f32(prefix + "hc_" + which + "_scale");
        return h;
    }

    const std::string &error() const { return m_error; }

private:
    const Checkpoint &m_ckpt;
    std::string m_error;
};

CompressorWeights bind_compressor(Binder &b, const std::string &prefix, const ModelConfig &cfg,
                                  int ratio, int head_dim, bool rotate)
{
    CompressorWeights c;
    c.compress_ratio = ratio;
    c.head_dim = head_dim;
    c.overlap = ratio == 4;
    c.rotate = rotate;
    const int coff = c.overlap ? 2 : 1;
    c.wkv = b.linear(prefix + "wkv", coff * head_dim, cfg.dim);
    c.wgate = b.linear(prefix + "wgate", coff * head_dim, cfg.dim);
    c.ape = b.f32(prefix + "ape");
    c.norm = b.f32(prefix + "norm.weight");
    return c;
}

void bind_block(Binder &b, const std::string &p, const ModelConfig &cfg, int layer_id,
                BlockWeights &bw)
{
    bw.layer_id = layer_id;
    bw.compress_ratio = cfg.compress_ratio(layer_id);
    bw.hash = cfg.is_hash_layer(layer_id);
    bw.attn_norm = b.f32(p + "attn_norm.weight");
    bw.ffn_norm = b.f32(p + "ffn_norm.weight");
    bw.hc_attn = b.hc(p, "attn");
    bw.hc_ffn = b.hc(p, "ffn");

    AttentionWeights &a = bw.attn;
    const std::string ap = p + "attn.";
    a.attn_sink = b.f32(ap + "attn_sink");
    a.wq_a = b.linear(ap + "wq_a", cfg.q_lora_rank, cfg.dim);
    a.q_norm = b.f32(ap + "q_norm.weight");
    a.wq_b = b.linear(ap + "wq_b", cfg.n_heads * cfg.head_dim, cfg.q_lora_rank);
    a.wkv = b.linear(ap + "wkv", cfg.head_dim, cfg.dim);
    a.kv_norm = b.f32(ap + "kv_norm.weight");
    a.wo_a = b.linear(ap + "wo_a", cfg.o_groups * cfg.o_lora_rank,
                      cfg.n_heads * cfg.head_dim / cfg.o_groups);
    a.wo_a.dequantize = true;
    a.wo_b = b.linear(ap + "wo_b", cfg.dim, cfg.o_groups * cfg.o_lora_rank);
    if (bw.compress_ratio) {
        a.compressor = bind_compressor(b, ap + "compressor.", cfg, bw.compress_ratio, cfg.head_dim,
                                       false);
        if (bw.compress_ratio == 4) {
            IndexerWeights ix;
            ix.wq_b = b.linear(ap + "indexer.wq_b", cfg.index_n_heads * cfg.index_head_dim,
                               cfg.q_lora_rank);
            ix.weights_proj = b.linear(ap + "indexer.weights_proj", cfg.index_n_heads, cfg.dim);
            ix.compressor = bind_compressor(b, ap + "indexer.compressor.", cfg, 4,
                                            cfg.index_head_dim, true);
            a.indexer = std::move(ix);
        }
    }

    MoeWeights &m = bw.ffn;
    const std::string fp = p + "ffn.";
    m.gate = b.linear(fp + "gate", cfg.n_routed_experts, cfg.dim);
    if (bw.hash) {
        if (const TensorView *t = b.get(fp + "gate.tid2eid"))
            m.tid2eid = t->data;
    } else {
        m.bias = b.f32(fp + "gate.bias");
    }
    auto expert = [&](const std::string &ep) {
        ExpertWeights e;
        e.w1 = b.linear(ep + "w1", cfg.moe_inter_dim, cfg.dim);
        e.w2 = b.linear(ep + "w2", cfg.dim, cfg.moe_inter_dim);
        e.w3 = b.linear(ep + "w3", cfg.moe_inter_dim, cfg.dim);
        return e;
    };
    for (int e = 0; e < cfg.n_routed_experts; ++e)
        m.experts.push_back(expert(fp + "experts." + std::to_string(e) + "."));
    m.shared = expert(fp + "shared_experts.");
}

} // namespace

Result<std::shared_ptr<const ModelWeights>> bind_weights(std::shared_ptr<const Checkpoint> ckpt,
                                                         const ModelConfig &cfg)
{
    if (Status st = validate_checkpoint(*ckpt, cfg); !st)
        return st;
    auto w = std::make_shared<ModelWeights>();
    w->checkpoint = ckpt;
    w->cfg = cfg;
    w->rope_window = make_rope_freqs(cfg.rope_head_dim, cfg.rope_theta, 0, cfg.rope_factor,
                                     cfg.beta_fast, cfg.beta_slow);
    w->rope_compressed = make_rope_freqs(cfg.rope_head_dim, cfg.compress_rope_theta,
                                         cfg.yarn ? cfg.original_seq_len : 0, cfg.rope_factor,
                                         cfg.beta_fast, cfg.beta_slow);
    Binder b(*ckpt);
    if (const TensorView *t = b.get("embed.weight"))
        w->embed = t->data;
    w->layers.resize(std::size_t(cfg.n_layers));
    for (int l = 0; l < cfg.n_layers; ++l) {
        bind_block(b, "layers." + std::to_string(l) + ".", cfg, l, w->layers[std::size_t(l)]);
        w->layers[std::size_t(l)].rope = cfg.compress_ratio(l) ? &w->rope_compressed
                                                               : &w->rope_window;
    }
    w->norm = b.f32("norm.weight");
    w->head = b.linear("head", cfg.vocab_size, cfg.dim);
    w->hc_head = b.hc("", "head");
    w->mtp.resize(std::size_t(cfg.n_mtp_layers));
    for (int i = 0; i < cfg.n_mtp_layers; ++i) {
        const std::string p = "mtp." + std::to_string(i) + ".";
        MtpWeights &m = w->mtp[std::size_t(i)];
        const int layer_id = cfg.n_layers + i;
        bind_block(b, p, cfg, layer_id, m.block);
        m.block.rope = cfg.compress_ratio(layer_id) ? &w->rope_compressed : &w->rope_window;
        m.e_proj = b.linear(p + "e_proj", cfg.dim, cfg.dim);
        m.h_proj = b.linear(p + "h_proj", cfg.dim, cfg.dim);
        m.enorm = b.f32(p + "enorm.weight");
        m.hnorm = b.f32(p + "hnorm.weight");
        m.norm = b.f32(p + "norm.weight");
        m.hc_head = b.hc(p, "head");
    }
    if (!b.error().empty())
        return Status::error(b.error());
    return std::shared_ptr<const ModelWeights>(std::move(w));
}

void embed_token(const ModelWeights &w, std::int64_t token, float *out)
{
    const int dim = w.cfg.dim;
    const std::uint8_t *row = w.embed + std::size_t(token) * std::size_t(dim) * 2;
    for (int j = 0; j < dim; ++j) {
        std::uint16_t b;
        std::memcpy(&b, row + 2 * j, 2);
        out[j] = bf16_to_f32(b);
    }
}

} // namespace folio
