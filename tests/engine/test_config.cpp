// config.json -> ModelConfig: the two golden configs and the real V4-Flash config load with the
// right values; every kind of bad field gives an error naming that field; to_config_json round-trips.
#include "config.h"

#include "base/json.h"
#include "base/mapped_file.h"
#include "folio_test.h"

#include <string>

using namespace folio;

namespace {

std::string golden(const std::string &rel)
{
    // FOLIO_TEST_DATA_DIR is defined for test executables (the harness library's data_dir() falls
    // back to a path relative to the working directory).
    return std::string(FOLIO_TEST_DATA_DIR) + "/golden/" + rel;
}

std::string flash_text()
{
    Result<std::string> t = read_text_file(golden("v4-flash-config.json"));
    return t ? *t : std::string();
}

// Replaces (or with `value` empty, removes) a top-level field of the V4-Flash config and parses.
Result<ModelConfig> flash_with(const std::string &key, const std::string &value)
{
    Result<json::Value> doc = json::parse(flash_text());
    if (!doc)
        return doc.status();
    json::Value out = json::Value::object();
    for (auto &[k, v] : doc->as_object()) {
        if (k != key)
            out.set(k, v);
    }
    if (!value.empty()) {
        Result<json::Value> v = json::parse(value);
        if (!v)
            return v.status();
        out.set(key, *v);
    }
    return parse_model_config(out.dump());
}

bool error_mentions(const Result<ModelConfig> &r, const std::string &needle)
{
    if (r.is_ok())
        return false;
    const bool found = r.status().message().find(needle) != std::string::npos;
    if (!found)
        std::fprintf(stderr, "  message was: %s\n", r.status().message().c_str());
    return found;
}

} // namespace

FOLIO_TEST(config_loads_real_v4_flash)
{
    Result<ModelConfig> r = load_model_config(golden("v4-flash-config.json"));
    REQUIRE(r.is_ok());
    const ModelConfig &c = *r;
    CHECK_EQ(c.vocab_size, 129280);
    CHECK_EQ(c.dim, 4096);
    CHECK_EQ(c.n_layers, 43);
    CHECK_EQ(c.n_heads, 64);
    CHECK_EQ(c.head_dim, 512);
    CHECK_EQ(c.rope_head_dim, 64);
    CHECK_EQ(c.q_lora_rank, 1024);
    CHECK_EQ(c.o_groups, 8);
    CHECK_EQ(c.o_lora_rank, 1024);
    CHECK_EQ(c.window_size, 128);
    REQUIRE(c.compress_ratios.size() == 44u);
    CHECK_EQ(c.compress_ratio(0), 0);
    CHECK_EQ(c.compress_ratio(2), 4);
    CHECK_EQ(c.compress_ratio(3), 128);
    CHECK_EQ(c.compress_ratio(43), 0);
    CHECK_EQ(c.rope_theta, 10000.0);
    CHECK_EQ(c.compress_rope_theta, 160000.0);
    CHECK(c.yarn);
    CHECK_EQ(c.rope_factor, 16.0);
    CHECK_EQ(c.original_seq_len, 65536);
    CHECK_EQ(c.beta_fast, 32.0);
    CHECK_EQ(c.beta_slow, 1.0);
    CHECK_EQ(c.max_position_embeddings, 1048576);
    CHECK_EQ(c.index_n_heads, 64);
    CHECK_EQ(c.index_head_dim, 128);
    CHECK_EQ(c.index_topk, 512);
    CHECK_EQ(c.n_routed_experts, 256);
    CHECK_EQ(c.n_shared_experts, 1);
    CHECK_EQ(c.n_activated_experts, 6);
    CHECK_EQ(c.moe_inter_dim, 2048);
    CHECK_EQ(c.n_hash_layers, 3);
    CHECK_EQ(c.route_scale, 1.5);
    CHECK_EQ(c.swiglu_limit, 10.0);
    CHECK_EQ(c.hc_mult, 4);
    CHECK_EQ(c.hc_sinkhorn_iters, 20);
    CHECK_EQ(c.hc_eps, 1e-6);
    CHECK_EQ(c.norm_eps, 1e-6);
    CHECK_EQ(c.n_mtp_layers, 1);
    CHECK(c.weight_format == WeightFormat::FP8);
    CHECK(c.expert_format == ExpertFormat::FP4);
    CHECK_EQ(c.bos_token_id, 0);
    CHECK_EQ(c.eos_token_id, 1);
    CHECK(c.is_hash_layer(2));
    CHECK(!c.is_hash_layer(3));
    CHECK_EQ(c.n_blocks(), 44);
}

FOLIO_TEST(config_loads_golden_cases)
{
    Result<ModelConfig> bf = load_model_config(golden("bf16_s1/config.json"));
    REQUIRE(bf.is_ok());
    CHECK(bf->weight_format == WeightFormat::BF16);
    CHECK(bf->expert_format == ExpertFormat::BF16); // no quantization_config, no expert_dtype
    CHECK_EQ(bf->vocab_size, 512);
    CHECK_EQ(bf->window_size, 16);
    CHECK_EQ(bf->n_layers, 4);
    CHECK_EQ(bf->n_mtp_layers, 1);
    CHECK_EQ(bf->compress_ratio(2), 32);
    CHECK_EQ(bf->n_hash_layers, 2);
    CHECK_EQ(bf->max_position_embeddings, 1024);

    Result<ModelConfig> q = load_model_config(golden("fp8fp4_s1/config.json"));
    REQUIRE(q.is_ok());
    CHECK(q->weight_format == WeightFormat::FP8);
    CHECK(q->expert_format == ExpertFormat::FP4);
    CHECK_EQ(q->window_size, 128);
    CHECK_EQ(q->compress_ratio(2), 128);
    CHECK_EQ(q->n_activated_experts, 2);
}

FOLIO_TEST(config_expert_dtype_defaults_to_weight_format)
{
    // quantization_config without expert_dtype (the first official upload of the top-level
    // config): experts are FP8 like the other weights.
    Result<ModelConfig> r = flash_with("expert_dtype", "");
    REQUIRE(r.is_ok());
    CHECK(r->expert_format == ExpertFormat::FP8);
    Result<ModelConfig> b = flash_with("expert_dtype", "\"bf16\"");
    REQUIRE(b.is_ok());
    CHECK(b->expert_format == ExpertFormat::BF16);
}

FOLIO_TEST(config_missing_fields_are_named)
{
    for (const char *key : {"hidden_size", "num_hidden_layers", "vocab_size", "head_dim",
                            "compress_ratios", "sliding_window", "num_experts_per_tok",
                            "moe_intermediate_size", "hc_mult", "rms_norm_eps", "rope_theta"}) {
        Result<ModelConfig> r = flash_with(key, "");
        CHECK(error_mentions(r, std::string(key) + ": missing"));
    }
}

FOLIO_TEST(config_wrong_types_are_named)
{
    CHECK(
        error_mentions(flash_with("hidden_size", "\"4096\""), "hidden_size: expected an integer"));
    CHECK(error_mentions(flash_with("head_dim", "512.5"), "head_dim: expected an integer"));
    CHECK(error_mentions(flash_with("rope_theta", "true"), "rope_theta: expected a number"));
    CHECK(error_mentions(flash_with("compress_ratios", "4"), "compress_ratios: expected an array"));
    CHECK(error_mentions(flash_with("compress_ratios", "[0, \"x\"]"),
                         "compress_ratios[1]: expected an integer"));
    CHECK(error_mentions(flash_with("rope_scaling", "{\"type\": \"yarn\", \"factor\": 16}"),
                         "rope_scaling.original_max_position_embeddings: missing"));
    CHECK(error_mentions(flash_with("quantization_config", "{\"quant_method\": \"awq\"}"),
                         "quantization_config.quant_method"));
    CHECK(error_mentions(flash_with("expert_dtype", "\"int4\""), "expert_dtype"));
    CHECK(error_mentions(flash_with("num_key_value_heads", "8"), "num_key_value_heads"));
    CHECK(error_mentions(flash_with("model_type", "\"llama\""), "model_type"));
    CHECK(error_mentions(flash_with("hidden_size", "0"), "hidden_size: 0 is out of range"));
    CHECK(error_mentions(flash_with("vocab_size", "-5"), "vocab_size: -5 is out of range"));
    CHECK(error_mentions(parse_model_config("[1, 2]"), "expected a JSON object"));
    CHECK(error_mentions(parse_model_config("{\"hidden_size\": "), "config.json:"));
    // An integral number written as 16.0 is fine (some writers do that).
    CHECK(flash_with("hc_mult", "4.0").is_ok());
}

FOLIO_TEST(config_inconsistencies_are_named)
{
    CHECK(error_mentions(flash_with("compress_ratios", "[0, 0, 4]"),
                         "compress_ratios: 3 entries, expected num_hidden_layers + "
                         "num_nextn_predict_layers = 44"));
    CHECK(error_mentions(flash_with("head_dim", "480"), "head_dim: 480 is not a multiple of 64"));
    CHECK(error_mentions(flash_with("o_groups", "7"), "o_groups: 7 does not divide"));
    CHECK(error_mentions(flash_with("qk_rope_head_dim", "512"), "qk_rope_head_dim"));
    CHECK(error_mentions(flash_with("num_hash_layers", "44"), "num_hash_layers: 44 exceeds"));
    CHECK(error_mentions(flash_with("num_experts_per_tok", "300"),
                         "num_experts_per_tok: 300 exceeds"));
    CHECK(error_mentions(flash_with("index_head_dim", "96"), "index_head_dim"));
    CHECK(error_mentions(flash_with("hidden_size", "4000"), "hidden_size: 4000 is not a multiple"));
    CHECK(error_mentions(flash_with("eos_token_id", "129280"), "eos_token_id"));
    // Without MTP the list must shrink by one.
    CHECK(
        error_mentions(flash_with("num_nextn_predict_layers", "0"), "expected num_hidden_layers"));
}

FOLIO_TEST(config_json_round_trip)
{
    for (const char *file :
         {"v4-flash-config.json", "bf16_s1/config.json", "fp8fp4_s1/config.json"}) {
        Result<ModelConfig> a = load_model_config(golden(file));
        REQUIRE(a.is_ok());
        const std::string text = to_config_json(*a);
        Result<ModelConfig> b = parse_model_config(text);
        REQUIRE(b.is_ok());
        CHECK(to_config_json(*b) == text);
        CHECK_EQ(b->dim, a->dim);
        CHECK(b->compress_ratios == a->compress_ratios);
        CHECK(b->weight_format == a->weight_format);
        CHECK(b->expert_format == a->expert_format);
        CHECK_EQ(b->hc_eps, a->hc_eps);
        CHECK_EQ(b->rope_factor, a->rope_factor);
        CHECK_EQ(b->yarn, a->yarn);
        // Release field names, shortest number form.
        CHECK(text.find("\"rms_norm_eps\": 1e-06") != std::string::npos);
        CHECK(text.find("\"hidden_size\": ") != std::string::npos);
    }
}
