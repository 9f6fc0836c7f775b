// config.json -> ModelConfig: reads the release's Hugging Face field names (spec §1.1) and validates
// every value the engine relies on, naming the field in each error. Also writes a ModelConfig back as
// a release-style config.json (folio-mkmodel).
#include "config.h"

#include "base/json.h"
#include "base/mapped_file.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <string>

namespace folio {
namespace {

// Reads fields of one JSON object and remembers the first error (so parsing reads as a list of
// field names instead of a cascade of ifs).
class FieldReader
{
public:
    explicit FieldReader(const json::Value &obj)
        : m_obj(obj)
    {}

    const Status &status() const { return m_status; }
    bool ok() const { return m_status.is_ok(); }
    void fail(const std::string &msg)
    {
        if (m_status.is_ok())
            m_status = Status::error(msg);
    }

    const json::Value *get(const char *key, bool required)
    {
        const json::Value *v = m_obj.find(key);
        if (v && v->is_null())
            v = nullptr;
        if (!v && required)
            fail(std::string(key) + ": missing");
        return v;
    }

    // An integer in [lo, hi]. JSON writers sometimes emit 16.0 for an integer; a number with an
    // exactly integral value is accepted, anything else is a type error.
    std::int64_t integer(const char *key, std::int64_t lo, std::int64_t hi, bool required = true,
                         std::int64_t fallback = 0)
    {
        const json::Value *v = get(key, required);
        if (!v)
            return fallback;
        return as_integer(*v, key, lo, hi);
    }
    std::int64_t as_integer(const json::Value &v, const std::string &key, std::int64_t lo,
                            std::int64_t hi)
    {
        std::int64_t x = 0;
        if (v.is_int()) {
            x = v.as_int();
        } else if (v.is_number() && std::isfinite(v.as_double())
                   && v.as_double() == std::floor(v.as_double())
                   && std::fabs(v.as_double()) < 9.0e15) {
            x = static_cast<std::int64_t>(v.as_double());
        } else {
            fail(key + ": expected an integer, found " + describe(v));
            return lo;
        }
        if (x < lo || x > hi) {
            fail(key + ": " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", "
                 + std::to_string(hi) + "]");
            return lo;
        }
        return x;
    }

    // A finite number > lo (exclusive when `exclusive`) and <= hi.
    double number(const char *key, double lo, double hi, bool exclusive, bool required = true,
                  double fallback = 0)
    {
        const json::Value *v = get(key, required);
        if (!v)
            return fallback;
        if (!v->is_number() || !std::isfinite(v->as_double())) {
            fail(std::string(key) + ": expected a number, found " + describe(*v));
            return fallback;
        }
        const double x = v->as_double();
        if ((exclusive ? x <= lo : x < lo) || x > hi) {
            fail(std::string(key) + ": " + format_double(x) + " is out of range "
                 + (exclusive ? "(" : "[") + format_double(lo) + ", " + format_double(hi) + "]");
            return fallback;
        }
        return x;
    }

    // Optional string that, when present, must equal one of `allowed` (case-sensitive).
    std::string string(const char *key, std::initializer_list<const char *> allowed)
    {
        const json::Value *v = get(key, false);
        if (!v)
            return {};
        if (!v->is_string()) {
            fail(std::string(key) + ": expected a string, found " + describe(*v));
            return {};
        }
        std::string list;
        for (const char *a : allowed) {
            if (v->as_string() == a)
                return v->as_string();
            list += list.empty() ? "" : ", ";
            list += std::string("\"") + a + "\"";
        }
        fail(std::string(key) + ": \"" + v->as_string() + "\" is not supported (expected " + list
             + ")");
        return {};
    }

    static std::string describe(const json::Value &v)
    {
        if (v.is_number())
            return format_double(v.as_double());
        if (v.is_string())
            return "\"" + v.as_string() + "\"";
        return json::Value::type_name(v.type());
    }

    // Shortest text that reads back as the same double.
    static std::string format_double(double x)
    {
        char buf[40];
        for (int prec = 1; prec <= 17; ++prec) {
            std::snprintf(buf, sizeof buf, "%.*g", prec, x);
            if (std::strtod(buf, nullptr) == x)
                break;
        }
        return buf;
    }

private:
    const json::Value &m_obj;
    Status m_status;
};

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

// Checks that tie sizes together; the first inconsistency is reported with the fields involved.
Status check_consistency(const ModelConfig &c)
{
    auto err = [](const std::string &m) { return Status::error(m); };
    const auto n = [](auto x) { return std::to_string(x); };
    if (c.head_dim % 64 != 0)
        return err("head_dim: " + n(c.head_dim)
                   + " is not a multiple of 64 (the KV FP8 simulation works in blocks of 64)");
    if (c.rope_head_dim % 2 != 0 || c.rope_head_dim >= c.head_dim)
        return err("qk_rope_head_dim: " + n(c.rope_head_dim)
                   + " must be even and smaller than head_dim = " + n(c.head_dim));
    if (c.n_heads % c.o_groups != 0)
        return err("o_groups: " + n(c.o_groups)
                   + " does not divide num_attention_heads = " + n(c.n_heads));
    const int expected_ratios = c.n_layers + c.n_mtp_layers;
    if (static_cast<int>(c.compress_ratios.size()) != expected_ratios)
        return err("compress_ratios: " + n(c.compress_ratios.size())
                   + " entries, expected num_hidden_layers + num_nextn_predict_layers = "
                   + n(expected_ratios));
    bool any_csa = false;
    for (size_t i = 0; i < c.compress_ratios.size(); ++i) {
        if (c.compress_ratios[i] < 0)
            return err("compress_ratios[" + n(i) + "]: " + n(c.compress_ratios[i]) + " is negative");
        any_csa = any_csa || c.compress_ratios[i] == 4;
    }
    if (c.n_hash_layers > c.n_layers)
        return err("num_hash_layers: " + n(c.n_hash_layers)
                   + " exceeds num_hidden_layers = " + n(c.n_layers));
    if (c.n_activated_experts > c.n_routed_experts)
        return err("num_experts_per_tok: " + n(c.n_activated_experts)
                   + " exceeds n_routed_experts = " + n(c.n_routed_experts));
    if (any_csa) {
        // The indexer ropes the last rope_head_dim dims of its heads and Hadamard-rotates them
        // (power of two) before an FP4 simulation in blocks of 32.
        const int d = c.index_head_dim;
        if (d <= c.rope_head_dim || d % 32 != 0 || (d & (d - 1)) != 0)
            return err("index_head_dim: " + n(d)
                       + " must be a power of two, a multiple of 32 and larger than "
                         "qk_rope_head_dim = "
                       + n(c.rope_head_dim));
    }
    // Quantised GEMMs quantise their input per 128-wide block along K; FP4 weights are scaled per
    // 32 inputs. The reference asserts these divisibilities, so a config violating them has no
    // defined numerics.
    if (c.weight_format == WeightFormat::FP8) {
        struct K
        {
            const char *what;
            int k;
        } ks[] = {{"hidden_size", c.dim},
                  {"q_lora_rank", c.q_lora_rank},
                  {"o_groups * o_lora_rank", c.o_groups * c.o_lora_rank},
                  {"moe_intermediate_size", c.moe_inter_dim}};
        for (const K &k : ks)
            if (k.k % 128 != 0)
                return err(std::string(k.what) + ": " + n(k.k)
                           + " is not a multiple of 128 (FP8 weights quantise their input in "
                             "1x128 blocks)");
    }
    if (c.expert_format != ExpertFormat::BF16) {
        if (c.dim % 128 != 0 || c.moe_inter_dim % 128 != 0)
            return err("expert_dtype: quantised experts need hidden_size (" + n(c.dim)
                       + ") and moe_intermediate_size (" + n(c.moe_inter_dim)
                       + ") to be multiples of 128");
    }
    if (c.bos_token_id >= c.vocab_size)
        return err("bos_token_id: " + n(c.bos_token_id)
                   + " is not below vocab_size = " + n(c.vocab_size));
    if (c.eos_token_id >= c.vocab_size)
        return err("eos_token_id: " + n(c.eos_token_id)
                   + " is not below vocab_size = " + n(c.vocab_size));
    return Status::ok();
}

} // namespace

namespace {

// Errors without a file prefix; the public functions add "config.json: " or the path.
Result<ModelConfig> parse_config(std::string_view json_text)
{
    Result<json::Value> doc = json::parse(json_text);
    if (!doc)
        return doc.status();
    if (!doc->is_object())
        return Status::error("expected a JSON object at the top level");
    FieldReader r(*doc);
    ModelConfig c;

    // Fields whose value is fixed by this architecture: checked when present (a config of another
    // architecture must not load silently).
    r.string("model_type", {"deepseek_v4"});
    r.string("scoring_func", {"sqrtsoftplus"});
    r.string("hidden_act", {"silu"});
    r.string("topk_method", {"noaux_tc"});
    if (r.get("num_key_value_heads", false))
        r.integer("num_key_value_heads", 1, 1);
    if (const json::Value *tie = r.get("tie_word_embeddings", false)) {
        if (!tie->is_bool() || tie->as_bool())
            r.fail("tie_word_embeddings: expected false (embed and head are separate tensors)");
    }

    auto i32 = [&](const char *key, std::int64_t lo) {
        return static_cast<int>(r.integer(key, lo, kIntMax));
    };
    c.vocab_size = i32("vocab_size", 1);
    c.dim = i32("hidden_size", 1);
    c.n_layers = i32("num_hidden_layers", 1);
    c.n_heads = i32("num_attention_heads", 1);
    c.head_dim = i32("head_dim", 1);
    c.rope_head_dim = i32("qk_rope_head_dim", 2);
    c.q_lora_rank = i32("q_lora_rank", 1);
    c.o_groups = i32("o_groups", 1);
    c.o_lora_rank = i32("o_lora_rank", 1);
    c.window_size = i32("sliding_window", 1);
    c.rope_theta = r.number("rope_theta", 1, 1e30, true);
    c.compress_rope_theta = r.number("compress_rope_theta", 1, 1e30, true);
    c.max_position_embeddings = r.integer("max_position_embeddings", 1, std::int64_t(1) << 40);
    c.index_n_heads = i32("index_n_heads", 1);
    c.index_head_dim = i32("index_head_dim", 1);
    c.index_topk = i32("index_topk", 1);
    c.n_routed_experts = i32("n_routed_experts", 1);
    c.n_shared_experts = i32("n_shared_experts", 1);
    c.n_activated_experts = i32("num_experts_per_tok", 1);
    c.moe_inter_dim = i32("moe_intermediate_size", 1);
    c.n_hash_layers = static_cast<int>(r.integer("num_hash_layers", 0, kIntMax, false, 0));
    c.route_scale = r.number("routed_scaling_factor", 0, 1e6, true);
    c.swiglu_limit = r.number("swiglu_limit", 0, 1e30, false, false, 0);
    c.hc_mult = i32("hc_mult", 1);
    c.hc_sinkhorn_iters = i32("hc_sinkhorn_iters", 1);
    c.hc_eps = r.number("hc_eps", 0, 1, false);
    c.norm_eps = r.number("rms_norm_eps", 0, 1, false);
    c.n_mtp_layers = static_cast<int>(r.integer("num_nextn_predict_layers", 0, 64, false, 0));
    c.bos_token_id = static_cast<int>(r.integer("bos_token_id", 0, kIntMax));
    c.eos_token_id = static_cast<int>(r.integer("eos_token_id", 0, kIntMax));

    if (const json::Value *ratios = r.get("compress_ratios", true)) {
        if (!ratios->is_array()) {
            r.fail("compress_ratios: expected an array, found " + FieldReader::describe(*ratios));
        } else {
            const auto &a = ratios->as_array();
            for (size_t i = 0; i < a.size() && r.ok(); ++i)
                c.compress_ratios.push_back(static_cast<int>(
                    r.as_integer(a[i], "compress_ratios[" + std::to_string(i) + "]", 0, 1 << 20)));
        }
    }

    // rope_scaling: absent/null = no YaRN; otherwise it must be a complete YaRN block.
    if (const json::Value *rs = r.get("rope_scaling", false)) {
        if (!rs->is_object()) {
            r.fail("rope_scaling: expected an object, found " + FieldReader::describe(*rs));
        } else {
            FieldReader y(*rs);
            const json::Value *type = rs->find("type");
            if (!type)
                type = rs->find("rope_type");
            if (!type || !type->is_string() || type->as_string() != "yarn") {
                y.fail("type: expected \"yarn\"");
            } else {
                c.yarn = true;
                c.rope_factor = y.number("factor", 1, 1e9, false);
                c.original_seq_len = y.integer("original_max_position_embeddings", 1,
                                               std::int64_t(1) << 40);
                c.beta_fast = y.number("beta_fast", 0, 1e9, true);
                c.beta_slow = y.number("beta_slow", 0, 1e9, true);
            }
            if (!y.ok())
                r.fail("rope_scaling." + y.status().message());
        }
    }

    // quantization_config present => FP8 non-expert weights with 128x128 E8M0 block scales (the only
    // scheme of the release); absent => BF16 (the first official upload, the bf16 golden cases).
    if (const json::Value *q = r.get("quantization_config", false)) {
        if (!q->is_object()) {
            r.fail("quantization_config: expected an object, found " + FieldReader::describe(*q));
        } else {
            FieldReader qr(*q);
            qr.string("quant_method", {"fp8"});
            qr.string("fmt", {"e4m3"});
            qr.string("scale_fmt", {"ue8m0"});
            qr.get("quant_method", true);
            if (const json::Value *bs = qr.get("weight_block_size", false)) {
                const bool ok = bs->is_array() && bs->as_array().size() == 2
                                && bs->as_array()[0].is_number()
                                && bs->as_array()[0].as_double() == 128
                                && bs->as_array()[1].is_number()
                                && bs->as_array()[1].as_double() == 128;
                if (!ok)
                    qr.fail("weight_block_size: only [128, 128] is supported");
            }
            if (!qr.ok())
                r.fail("quantization_config." + qr.status().message());
            c.weight_format = WeightFormat::FP8;
        }
    }
    const std::string expert = r.string("expert_dtype", {"fp4", "fp8", "bf16"});
    if (expert == "fp4")
        c.expert_format = ExpertFormat::FP4;
    else if (expert == "fp8")
        c.expert_format = ExpertFormat::FP8;
    else if (expert == "bf16")
        c.expert_format = ExpertFormat::BF16;
    else // absent: experts are stored like the other weights
        c.expert_format = c.weight_format == WeightFormat::FP8 ? ExpertFormat::FP8
                                                               : ExpertFormat::BF16;

    if (!r.ok())
        return r.status();
    if (Status s = check_consistency(c); !s)
        return s;
    return c;
}

} // namespace

Result<ModelConfig> parse_model_config(std::string_view json_text)
{
    Result<ModelConfig> cfg = parse_config(json_text);
    if (!cfg)
        return Status::error("config.json: " + cfg.status().message());
    return cfg;
}

Result<ModelConfig> load_model_config(const std::string &path)
{
    Result<std::string> text = read_text_file(path);
    if (!text)
        return text.status();
    Result<ModelConfig> cfg = parse_config(*text);
    if (!cfg)
        return Status::error(path + ": " + cfg.status().message());
    return cfg;
}

std::string to_config_json(const ModelConfig &c)
{
    // Hand-written rather than json::Value::dump so doubles print in their shortest form (1e-06,
    // not 9.9999999999999995e-07) and the layout matches the release's file (2-space indent, keys in
    // its order).
    std::string o = "{\n";
    auto num = [](double x) { return FieldReader::format_double(x); };
    auto add = [&](const char *key, const std::string &value) {
        o += "  \"";
        o += key;
        o += "\": " + value + ",\n";
    };
    const auto n = [](std::int64_t x) { return std::to_string(x); };
    add("architectures", "[\"DeepseekV4ForCausalLM\"]");
    add("attention_bias", "false");
    add("attention_dropout", "0.0");
    add("bos_token_id", n(c.bos_token_id));
    add("eos_token_id", n(c.eos_token_id));
    if (c.expert_format == ExpertFormat::FP4)
        add("expert_dtype", "\"fp4\"");
    else if (c.expert_format == ExpertFormat::FP8 && c.weight_format != WeightFormat::FP8)
        add("expert_dtype", "\"fp8\"");
    else if (c.expert_format == ExpertFormat::BF16 && c.weight_format == WeightFormat::FP8)
        add("expert_dtype", "\"bf16\"");
    add("hc_eps", num(c.hc_eps));
    add("hc_mult", n(c.hc_mult));
    add("hc_sinkhorn_iters", n(c.hc_sinkhorn_iters));
    add("head_dim", n(c.head_dim));
    add("hidden_act", "\"silu\"");
    add("hidden_size", n(c.dim));
    add("index_head_dim", n(c.index_head_dim));
    add("index_n_heads", n(c.index_n_heads));
    add("index_topk", n(c.index_topk));
    add("initializer_range", "0.02");
    add("max_position_embeddings", n(c.max_position_embeddings));
    add("model_type", "\"deepseek_v4\"");
    add("moe_intermediate_size", n(c.moe_inter_dim));
    add("n_routed_experts", n(c.n_routed_experts));
    add("n_shared_experts", n(c.n_shared_experts));
    add("norm_topk_prob", "true");
    add("num_attention_heads", n(c.n_heads));
    add("num_experts_per_tok", n(c.n_activated_experts));
    add("num_hidden_layers", n(c.n_layers));
    add("num_hash_layers", n(c.n_hash_layers));
    add("num_key_value_heads", "1");
    add("num_nextn_predict_layers", n(c.n_mtp_layers));
    add("o_groups", n(c.o_groups));
    add("o_lora_rank", n(c.o_lora_rank));
    add("q_lora_rank", n(c.q_lora_rank));
    add("qk_rope_head_dim", n(c.rope_head_dim));
    if (c.weight_format == WeightFormat::FP8)
        add("quantization_config",
            "{\n    \"activation_scheme\": \"dynamic\",\n    \"fmt\": \"e4m3\",\n"
            "    \"quant_method\": \"fp8\",\n    \"scale_fmt\": \"ue8m0\",\n"
            "    \"weight_block_size\": [128, 128]\n  }");
    add("rms_norm_eps", num(c.norm_eps));
    if (c.yarn)
        add("rope_scaling", "{\n    \"beta_fast\": " + num(c.beta_fast) + ",\n    \"beta_slow\": "
                                + num(c.beta_slow) + ",\n    \"factor\": " + num(c.rope_factor)
                                + ",\n    \"original_max_position_embeddings\": "
                                + n(c.original_seq_len) + ",\n    \"type\": \"yarn\"\n  }");
    add("rope_theta", num(c.rope_theta));
    add("routed_scaling_factor", num(c.route_scale));
    add("scoring_func", "\"sqrtsoftplus\"");
    add("sliding_window", n(c.window_size));
    add("swiglu_limit", num(c.swiglu_limit));
    add("tie_word_embeddings", "false");
    add("topk_method", "\"noaux_tc\"");
    add("torch_dtype", "\"bfloat16\"");
    add("transformers_version", "\"4.57.1\"");
    add("use_cache", "true");
    add("vocab_size", n(c.vocab_size));
    add("compress_rope_theta", num(c.compress_rope_theta));
    std::string ratios = "[";
    for (size_t i = 0; i < c.compress_ratios.size(); ++i)
        ratios += (i ? ", " : "") + n(c.compress_ratios[i]);
    o += "  \"compress_ratios\": " + ratios + "]\n}\n";
    return o;
}

} // namespace folio
