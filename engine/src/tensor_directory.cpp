// The release's tensor directory derived from a ModelConfig (spec §3.2, checked against the golden
// checkpoints), its validation against a Checkpoint, and the size arithmetic on top of it.
#include "tensor_directory.h"

#include <algorithm>
#include <cmath>

namespace folio {
namespace {

using Shape = std::vector<std::int64_t>;

std::int64_t ceil_div(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

std::string shape_text(const Shape &shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::string describe(DType dt, const Shape &shape)
{
    return std::string(dtype_name(dt)) + " " + shape_text(shape);
}

class Builder
{
public:
    explicit Builder(const ModelConfig &c)
        : m_c(c)
    {}

    void add(std::string name, DType dt, Shape shape)
    {
        m_out.push_back({std::move(name), dt, std::move(shape)});
    }

    // A Linear weight [out, in] in the non-expert format: FP8 = E4M3 + E8M0 scale per 128x128 tile.
    void linear(const std::string &prefix, std::int64_t out, std::int64_t in)
    {
        if (m_c.weight_format == WeightFormat::FP8)
            fp8(prefix, out, in);
        else
            add(prefix + ".weight", DType::BF16, {out, in});
    }

    // A routed expert's Linear [out, in]: FP4 = I8 [out, in/2] (two E2M1 codes per byte along in)
    // + E8M0 scale per 1x32 block.
    void expert_linear(const std::string &prefix, std::int64_t out, std::int64_t in)
    {
        switch (m_c.expert_format) {
        case ExpertFormat::FP4:
            add(prefix + ".weight", DType::I8, {out, in / 2});
            add(prefix + ".scale", DType::F8_E8M0, {out, in / 32});
            break;
        case ExpertFormat::FP8:
            fp8(prefix, out, in);
            break;
        case ExpertFormat::BF16:
            add(prefix + ".weight", DType::BF16, {out, in});
            break;
        }
    }

    void norm(const std::string &name, std::int64_t n) { add(name + ".weight", DType::BF16, {n}); }

    // mHC parameters of one sub-layer (`which` = "attn" / "ffn"): the 24 mixing rows = hc pre
    // weights, hc post weights and the hc x hc combination matrix.
    void hyper_connection(const std::string &p, const char *which)
    {
        const std::int64_t hc = m_c.hc_mult, mix = (2 + hc) * hc;
        add(p + "hc_" + which + "_fn", DType::F32, {mix, hc * m_c.dim});
        add(p + "hc_" + which + "_base", DType::F32, {mix});
        add(p + "hc_" + which + "_scale", DType::F32, {3});
    }

    void hc_head(const std::string &p)
    {
        const std::int64_t hc = m_c.hc_mult;
        add(p + "hc_head_fn", DType::F32, {hc, hc * m_c.dim});
        add(p + "hc_head_base", DType::F32, {hc});
        add(p + "hc_head_scale", DType::F32, {1});
    }

    // A token-level compressor of ratio `ratio` and output width `c` (κ = 2 in overlap mode).
    void compressor(const std::string &p, int ratio, std::int64_t c)
    {
        const std::int64_t k = ratio == 4 ? 2 : 1;
        add(p + "ape", DType::F32, {ratio, k * c});
        norm(p + "norm", c);
        add(p + "wgate.weight", DType::BF16, {k * c, m_c.dim});
        add(p + "wkv.weight", DType::BF16, {k * c, m_c.dim});
    }

    // One block (`p` = "layers.N." or "mtp.N."); `layer` is its index in compress_ratios.
    void block(const std::string &p, int layer)
    {
        const ModelConfig &c = m_c;
        const std::int64_t D = c.dim, hd = c.head_dim;
        const int ratio = c.compress_ratio(layer);
        norm(p + "attn_norm", D);
        norm(p + "ffn_norm", D);
        hyper_connection(p, "attn");
        hyper_connection(p, "ffn");

        const std::string a = p + "attn.";
        add(a + "attn_sink", DType::F32, {c.n_heads});
        linear(a + "wq_a", c.q_lora_rank, D);
        norm(a + "q_norm", c.q_lora_rank);
        linear(a + "wq_b", std::int64_t(c.n_heads) * hd, c.q_lora_rank);
        linear(a + "wkv", hd, D);
        norm(a + "kv_norm", hd);
        // wo_a: o_groups blocks of [o_lora_rank, heads-per-group * head_dim], stacked.
        linear(a + "wo_a", std::int64_t(c.o_groups) * c.o_lora_rank,
               std::int64_t(c.n_heads) * hd / c.o_groups);
        linear(a + "wo_b", D, std::int64_t(c.o_groups) * c.o_lora_rank);
        if (ratio != 0)
            compressor(a + "compressor.", ratio, hd);
        if (ratio == 4) {
            const std::string ix = a + "indexer.";
            linear(ix + "wq_b", std::int64_t(c.index_n_heads) * c.index_head_dim, c.q_lora_rank);
            add(ix + "weights_proj.weight", DType::BF16, {c.index_n_heads, D});
            compressor(ix + "compressor.", 4, c.index_head_dim);
        }

        const std::string f = p + "ffn.";
        add(f + "gate.weight", DType::BF16, {c.n_routed_experts, D});
        if (c.is_hash_layer(layer))
            add(f + "gate.tid2eid", DType::I64, {c.vocab_size, c.n_activated_experts});
        else
            add(f + "gate.bias", DType::F32, {c.n_routed_experts});
        for (int e = 0; e < c.n_routed_experts; ++e) {
            const std::string x = f + "experts." + std::to_string(e) + ".";
            expert_linear(x + "w1", c.moe_inter_dim, D);
            expert_linear(x + "w2", D, c.moe_inter_dim);
            expert_linear(x + "w3", c.moe_inter_dim, D);
        }
        const std::int64_t shared = std::int64_t(c.n_shared_experts) * c.moe_inter_dim;
        linear(f + "shared_experts.w1", shared, D);
        linear(f + "shared_experts.w2", D, shared);
        linear(f + "shared_experts.w3", shared, D);
    }

    std::vector<TensorSpec> take()
    {
        std::sort(m_out.begin(), m_out.end(),
                  [](const TensorSpec &a, const TensorSpec &b) { return a.name < b.name; });
        return std::move(m_out);
    }

private:
    void fp8(const std::string &prefix, std::int64_t out, std::int64_t in)
    {
        add(prefix + ".weight", DType::F8_E4M3, {out, in});
        add(prefix + ".scale", DType::F8_E8M0, {ceil_div(out, 128), ceil_div(in, 128)});
    }

    const ModelConfig &m_c;
    std::vector<TensorSpec> m_out;
};

bool ends_with(const std::string &s, std::string_view suffix)
{
    return s.size() >= suffix.size()
           && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::vector<TensorSpec> expected_tensors(const ModelConfig &cfg)
{
    Builder b(cfg);
    const std::int64_t V = cfg.vocab_size, D = cfg.dim;
    b.add("embed.weight", DType::BF16, {V, D});
    b.add("head.weight", DType::BF16, {V, D});
    b.norm("norm", D);
    b.hc_head("");
    for (int l = 0; l < cfg.n_layers; ++l)
        b.block("layers." + std::to_string(l) + ".", l);
    // MTP blocks share embed and head with the main model (the release has no mtp.N.embed/head).
    for (int m = 0; m < cfg.n_mtp_layers; ++m) {
        const std::string p = "mtp." + std::to_string(m) + ".";
        b.block(p, cfg.n_layers + m);
        b.linear(p + "e_proj", D, D);
        b.linear(p + "h_proj", D, D);
        b.norm(p + "enorm", D);
        b.norm(p + "hnorm", D);
        b.norm(p + "norm", D);
        b.hc_head(p);
    }
    return b.take();
}

std::vector<TensorSpec> directory_of(const Checkpoint &ckpt)
{
    std::vector<TensorSpec> out;
    out.reserve(ckpt.tensors().size());
    for (const TensorView &t : ckpt.tensors())
        out.push_back({t.name, t.dtype, t.shape});
    return out;
}

Status validate_checkpoint(const Checkpoint &ckpt, const ModelConfig &cfg)
{
    const std::vector<TensorSpec> expected = expected_tensors(cfg);
    std::vector<std::string> problems;
    size_t count = 0;
    auto report = [&](std::string m) {
        ++count;
        if (problems.size() < 8)
            problems.push_back(std::move(m));
    };
    // Both lists are sorted by name: one merge pass finds missing, unexpected and mismatched.
    const std::vector<TensorView> &found = ckpt.tensors();
    size_t i = 0, j = 0;
    while (i < expected.size() || j < found.size()) {
        if (j == found.size() || (i < expected.size() && expected[i].name < found[j].name)) {
            report("missing tensor " + expected[i].name + " (expected "
                   + describe(expected[i].dtype, expected[i].shape) + ")");
            ++i;
        } else if (i == expected.size() || found[j].name < expected[i].name) {
            report("unexpected tensor " + found[j].name + " ("
                   + describe(found[j].dtype, found[j].shape) + ") is not implied by config.json");
            ++j;
        } else {
            const TensorSpec &e = expected[i];
            const TensorView &f = found[j];
            if (e.dtype != f.dtype || e.shape != f.shape)
                report(e.name + ": expected " + describe(e.dtype, e.shape) + ", found "
                       + describe(f.dtype, f.shape));
            ++i;
            ++j;
        }
    }
    if (count == 0)
        return Status::ok();
    std::string msg = ckpt.directory() + ": the checkpoint does not match config.json ("
                      + std::to_string(count) + (count == 1 ? " problem" : " problems") + "): ";
    for (size_t k = 0; k < problems.size(); ++k)
        msg += (k ? "; " : "") + problems[k];
    if (count > problems.size())
        msg += "; ...";
    return Status::error(msg);
}

ParameterCounts count_parameters(const std::vector<TensorSpec> &tensors, const ModelConfig &cfg)
{
    ParameterCounts pc;
    std::int64_t routed_main = 0, embed = 0;
    for (const TensorSpec &t : tensors) {
        // Scales and the hash routing table carry no learned parameters of their own.
        if ((t.dtype == DType::F8_E8M0 && ends_with(t.name, ".scale"))
            || ends_with(t.name, "tid2eid"))
            continue;
        std::int64_t n = 1;
        for (std::int64_t d : t.shape)
            n *= d;
        if (t.dtype == DType::I8 && t.name.find(".experts.") != std::string::npos)
            n *= 2; // packed FP4: two parameters per byte
        if (t.name.rfind("mtp.", 0) == 0) {
            pc.mtp += n;
            continue;
        }
        pc.main += n;
        if (t.name == "embed.weight")
            embed = n;
        if (t.name.find(".ffn.experts.") != std::string::npos)
            routed_main += n;
    }
    // All routed experts of a layer have the same size, so the active share is exact.
    const std::int64_t routed_active = cfg.n_routed_experts > 0 ? routed_main / cfg.n_routed_experts
                                                                      * cfg.n_activated_experts
                                                                : 0;
    pc.active_per_token = pc.main - embed - routed_main + routed_active;
    return pc;
}

ParameterCounts count_parameters(const ModelConfig &cfg)
{
    return count_parameters(expected_tensors(cfg), cfg);
}

std::uint64_t kv_bytes_per_token(const ModelConfig &cfg)
{
    // Compact entry = FP8 non-rope dims + one E8M0 scale per 64 of them + BF16 rope dims; indexer
    // key = FP4 (two per byte) + one E8M0 per 32. A layer of ratio m adds 1/m entry per token; the
    // window ring is a fixed cost, not per token. The MTP block (sliding-window only) adds nothing.
    const double nope = cfg.head_dim - cfg.rope_head_dim;
    const double entry = nope + std::ceil(nope / 64) + 2.0 * cfg.rope_head_dim;
    const double index_key = cfg.index_head_dim / 2.0 + std::ceil(cfg.index_head_dim / 32.0);
    double per_token = 0;
    for (int l = 0; l < cfg.n_layers; ++l) {
        const int m = cfg.compress_ratio(l);
        if (m == 0)
            continue;
        per_token += (entry + (m == 4 ? index_key : 0.0)) / m;
    }
    return static_cast<std::uint64_t>(std::llround(per_token));
}

} // namespace folio
