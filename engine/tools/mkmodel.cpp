// folio-mkmodel: writes a random-weight DeepSeek-V4 checkpoint in the release's exact format —
// config.json with the release's field names, safetensors shards + model.safetensors.index.json
// (or one model.safetensors with --shards 1), FP8/FP4 weights with E8M0 block scales, the release's
// tensor names — with a tokenizer.json copied alongside. Used for tests, benchmarks and the demo
// model the build produces (--preset tiny).
//
//   folio-mkmodel --out DIR --tokenizer tokenizer.json [--preset tiny|small|flash] [--layers N]
//                 [--seed S] [--shards N] [--sparse] [one option per dimension, see --help]
#include "config.h"
#include "model_init.h"
#include "safetensors_writer.h"
#include "tensor_directory.h"

#include "base/json.h"
#include "base/mapped_file.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace folio;
namespace fs = std::filesystem;

namespace {

const char *kUsage
    = "usage: folio-mkmodel --out DIR (--tokenizer FILE | --vocab N) [--preset tiny|small|flash]\n"
      "                     [--layers N] [--seed S] [--shards N] [--sparse] [dimension options]\n"
      "\n"
      "Writes a random-weight DeepSeek-V4 checkpoint in the release's format: config.json,\n"
      "safetensors shards with model.safetensors.index.json (one model.safetensors with --shards "
      "1),\n"
      "FP8 E4M3 weights with 128x128 E8M0 scales, FP4 E2M1 experts with 1x32 E8M0 scales, and the\n"
      "given tokenizer.json (plus tokenizer_config.json) copied alongside.\n"
      "\n"
      "presets:  tiny   4 layers + MTP, hidden 256, 8 experts, context 131072 (tests, demo model)\n"
      "          small  8 layers + MTP, hidden 1024, 64 experts (benchmarks)\n"
      "          flash  the real DeepSeek-V4-Flash dimensions (43 layers; use --layers N)\n"
      "options:\n"
      "  --out DIR             output directory (created; old model files in it are replaced)\n"
      "  --tokenizer FILE      tokenizer.json to copy; the vocabulary size is read from it\n"
      "                        (without it, --vocab N is required and no tokenizer files are\n"
      "                        written: a checkpoint for programs that feed token ids)\n"
      "  --preset NAME         tiny (default), small or flash\n"
      "  --layers N            number of main layers (compress ratios follow the preset's "
      "pattern)\n"
      "  --seed S              random seed (default 1); the same seed gives identical files\n"
      "  --shards N            1 = model.safetensors; default tiny 2, small 4, flash one per "
      "layer\n"
      "  --sparse              write headers only; the data area is a hole (sizes without disk)\n"
      "  --vocab N --dim N --heads N --head-dim N --rope-dim N --q-lora-rank N --o-groups N\n"
      "  --o-lora-rank N --window N --compress-ratios a,b,... (main layers) --index-heads N\n"
      "  --index-head-dim N --index-topk N --experts N --active-experts N --shared-experts N\n"
      "  --moe-inter N --hash-layers N --mtp N --max-pos N --hc-mult N\n"
      "  --weights fp8|bf16    non-expert Linear format (default fp8)\n"
      "  --expert-format fp4|fp8|bf16   routed-expert format (default fp4)\n"
      "  --help                this text\n";

[[noreturn]] void usage_error(const std::string &msg)
{
    std::fprintf(stderr, "folio-mkmodel: %s\n\n%s", msg.c_str(), kUsage);
    std::exit(2);
}

[[noreturn]] void fail(const std::string &msg)
{
    std::fprintf(stderr, "folio-mkmodel: %s\n", msg.c_str());
    std::exit(1);
}

ModelConfig preset(const std::string &name)
{
    ModelConfig c;
    // Shared by every preset: the V4 constants (rope 64, YaRN of the release, mHC 4/20, thetas).
    c.rope_head_dim = 64;
    c.rope_theta = 10000;
    c.compress_rope_theta = 160000;
    c.yarn = true;
    c.rope_factor = 16;
    c.original_seq_len = 65536;
    c.beta_fast = 32;
    c.beta_slow = 1;
    c.index_head_dim = 128;
    c.route_scale = 1.5;
    c.swiglu_limit = 10;
    c.hc_mult = 4;
    c.hc_sinkhorn_iters = 20;
    c.hc_eps = 1e-6;
    c.norm_eps = 1e-6;
    c.n_mtp_layers = 1;
    c.n_shared_experts = 1;
    c.weight_format = WeightFormat::FP8;
    c.expert_format = ExpertFormat::FP4;
    c.bos_token_id = 0;
    c.eos_token_id = 1;
    c.window_size = 128;
    if (name == "tiny") {
        // The golden fp8fp4 geometry (every feature, real window and ratios) with the real
        // tokenizer's vocabulary and a 128K context.
        c.dim = 256, c.n_layers = 4, c.n_heads = 4, c.head_dim = 256, c.q_lora_rank = 128;
        c.o_groups = 2, c.o_lora_rank = 64, c.index_n_heads = 8, c.index_topk = 8;
        c.n_routed_experts = 8, c.n_activated_experts = 2, c.moe_inter_dim = 128;
        c.n_hash_layers = 2, c.max_position_embeddings = 131072;
    } else if (name == "small") {
        c.dim = 1024, c.n_layers = 8, c.n_heads = 16, c.head_dim = 512, c.q_lora_rank = 512;
        c.o_groups = 4, c.o_lora_rank = 256, c.index_n_heads = 16, c.index_topk = 64;
        c.n_routed_experts = 64, c.n_activated_experts = 6, c.moe_inter_dim = 512;
        c.n_hash_layers = 2, c.max_position_embeddings = 131072;
    } else if (name == "flash") {
        c.dim = 4096, c.n_layers = 43, c.n_heads = 64, c.head_dim = 512, c.q_lora_rank = 1024;
        c.o_groups = 8, c.o_lora_rank = 1024, c.index_n_heads = 64, c.index_topk = 512;
        c.n_routed_experts = 256, c.n_activated_experts = 6, c.moe_inter_dim = 2048;
        c.n_hash_layers = 3, c.max_position_embeddings = 1048576;
    } else {
        usage_error("unknown preset \"" + name + "\" (tiny, small or flash)");
    }
    return c;
}

// The preset's layer pattern: `swa` sliding-window-only layers, then CSA (4) and HCA (128)
// alternating, like the release ([0, 0, 4, 128, 4, ..., 4] for 43 layers).
std::vector<int> ratio_pattern(int n_layers, int swa)
{
    std::vector<int> r;
    for (int i = 0; i < n_layers; ++i)
        r.push_back(i < swa ? 0 : ((i - swa) % 2 == 0 ? 4 : 128));
    return r;
}

// Largest token id in tokenizer.json (model.vocab and added_tokens) + 1.
Result<int> tokenizer_vocab_size(const std::string &path)
{
    Result<std::string> text = read_text_file(path);
    if (!text)
        return text.status();
    Result<json::Value> doc = json::parse(*text);
    if (!doc)
        return Status::error(path + ": " + doc.status().message());
    std::int64_t max_id = -1;
    const json::Value *model = doc->find("model");
    const json::Value *vocab = model ? model->find("vocab") : nullptr;
    if (!vocab || !vocab->is_object())
        return Status::error(path + ": no model.vocab object (not a tokenizer.json?)");
    for (const auto &[tok, id] : vocab->as_object())
        if (id.is_int())
            max_id = std::max(max_id, id.as_int());
    if (const json::Value *added = doc->find("added_tokens"); added && added->is_array())
        for (const json::Value &t : added->as_array())
            if (const json::Value *id = t.find("id"); id && id->is_int())
                max_id = std::max(max_id, id->as_int());
    if (max_id < 1)
        return Status::error(path + ": no token ids found");
    return int(max_id + 1);
}

// Tensors grouped in the release's shard units: embed / one per layer / head + final norm +
// hc_head / the MTP blocks. A shard holds one or more consecutive units.
int unit_of(const std::string &name, int n_layers)
{
    if (name == "embed.weight")
        return 0;
    if (name.rfind("layers.", 0) == 0)
        return 1 + std::atoi(name.c_str() + 7);
    if (name.rfind("mtp.", 0) == 0)
        return n_layers + 2;
    return n_layers + 1;
}

struct Options
{
    std::string out, tokenizer, preset = "tiny";
    std::uint64_t seed = 1;
    int shards = 0; // 0 = the preset's default
    bool sparse = false;
};

int parse_int(const std::string &flag, const char *v, int lo)
{
    char *end = nullptr;
    const long long x = std::strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > (1ll << 31) - 1)
        usage_error(flag + ": expected an integer >= " + std::to_string(lo) + ", got \"" + v + "\"");
    return int(x);
}

} // namespace

int main(int argc, char **argv)
{
    Options o;
    std::map<std::string, std::string> dims; // dimension overrides, applied after the preset
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (a == "--sparse") {
            o.sparse = true;
            continue;
        }
        if (a.rfind("--", 0) != 0)
            usage_error("unexpected argument \"" + a + "\"");
        if (i + 1 >= argc)
            usage_error(a + " needs a value");
        const char *v = argv[++i];
        if (a == "--out")
            o.out = v;
        else if (a == "--tokenizer")
            o.tokenizer = v;
        else if (a == "--preset")
            o.preset = v;
        else if (a == "--seed")
            o.seed = std::uint64_t(parse_int(a, v, 0));
        else if (a == "--shards")
            o.shards = parse_int(a, v, 1);
        else
            dims[a] = v;
    }
    if (o.out.empty())
        usage_error("--out is required");
    if (o.tokenizer.empty() && !dims.count("--vocab"))
        usage_error("--tokenizer FILE (or --vocab N for a checkpoint without one) is required");

    ModelConfig c = preset(o.preset);
    const int swa = o.preset == "tiny" ? 1 : 2;
    int vocab = 0;
    if (!o.tokenizer.empty()) {
        Result<int> v = tokenizer_vocab_size(o.tokenizer);
        if (!v)
            fail(v.status().message());
        vocab = *v;
    }
    c.vocab_size = vocab;
    std::string ratios_text;
    for (const auto &[flag, value] : dims) {
        const char *v = value.c_str();
        struct IntFlag
        {
            const char *flag;
            int *field;
            int lo;
        } ints[] = {{"--vocab", &c.vocab_size, 2},
                    {"--dim", &c.dim, 1},
                    {"--layers", &c.n_layers, 1},
                    {"--heads", &c.n_heads, 1},
                    {"--head-dim", &c.head_dim, 1},
                    {"--rope-dim", &c.rope_head_dim, 2},
                    {"--q-lora-rank", &c.q_lora_rank, 1},
                    {"--o-groups", &c.o_groups, 1},
                    {"--o-lora-rank", &c.o_lora_rank, 1},
                    {"--window", &c.window_size, 1},
                    {"--index-heads", &c.index_n_heads, 1},
                    {"--index-head-dim", &c.index_head_dim, 1},
                    {"--index-topk", &c.index_topk, 1},
                    {"--experts", &c.n_routed_experts, 1},
                    {"--active-experts", &c.n_activated_experts, 1},
                    {"--shared-experts", &c.n_shared_experts, 1},
                    {"--moe-inter", &c.moe_inter_dim, 1},
                    {"--hash-layers", &c.n_hash_layers, 0},
                    {"--mtp", &c.n_mtp_layers, 0},
                    {"--hc-mult", &c.hc_mult, 1}};
        bool done = false;
        for (const IntFlag &f : ints)
            if (flag == f.flag) {
                *f.field = parse_int(flag, v, f.lo);
                done = true;
            }
        if (done)
            continue;
        if (flag == "--max-pos")
            c.max_position_embeddings = parse_int(flag, v, 1);
        else if (flag == "--compress-ratios")
            ratios_text = value;
        else if (flag == "--weights" && (value == "fp8" || value == "bf16"))
            c.weight_format = value == "fp8" ? WeightFormat::FP8 : WeightFormat::BF16;
        else if (flag == "--expert-format" && (value == "fp4" || value == "fp8" || value == "bf16"))
            c.expert_format = value == "fp4"   ? ExpertFormat::FP4
                              : value == "fp8" ? ExpertFormat::FP8
                                               : ExpertFormat::BF16;
        else
            usage_error("unknown option or value: " + flag + " " + value);
    }
    if (c.vocab_size < vocab)
        fail("--vocab " + std::to_string(c.vocab_size) + " is smaller than the tokenizer's "
             + std::to_string(vocab) + " ids");
    c.n_hash_layers = std::min(c.n_hash_layers, c.n_layers);
    if (ratios_text.empty()) {
        c.compress_ratios = ratio_pattern(c.n_layers, std::min(swa, c.n_layers));
    } else {
        size_t pos = 0;
        while (pos <= ratios_text.size()) {
            const size_t comma = std::min(ratios_text.find(',', pos), ratios_text.size());
            c.compress_ratios.push_back(
                parse_int("--compress-ratios", ratios_text.substr(pos, comma - pos).c_str(), 0));
            pos = comma + 1;
        }
        if (int(c.compress_ratios.size()) != c.n_layers)
            usage_error("--compress-ratios has " + std::to_string(c.compress_ratios.size())
                        + " entries for " + std::to_string(c.n_layers) + " layers");
    }
    for (int m = 0; m < c.n_mtp_layers; ++m)
        c.compress_ratios.push_back(0); // MTP blocks are sliding-window only, as in the release

    // Round-trip through the parser: the same validation as any loaded model, so a bad option
    // combination is reported with the config field it breaks.
    const std::string config_text = to_config_json(c);
    Result<ModelConfig> checked = parse_model_config(config_text);
    if (!checked)
        fail(checked.status().message());
    c = *checked;

    // Shards: contiguous runs of units, balanced by bytes.
    const std::vector<TensorSpec> specs = expected_tensors(c);
    const int n_units = c.n_layers + 2 + (c.n_mtp_layers > 0 ? 1 : 0);
    const int n_shards = o.shards ? o.shards
                                  : (o.preset == "tiny"    ? 2
                                     : o.preset == "small" ? 4
                                                           : n_units);
    if (n_shards > n_units)
        usage_error("--shards " + std::to_string(n_shards) + ": this model has only "
                    + std::to_string(n_units) + " shard units (embed, layers, head, MTP)");
    std::vector<std::uint64_t> unit_bytes(static_cast<size_t>(n_units), 0);
    std::uint64_t total = 0;
    for (const TensorSpec &t : specs) {
        const std::uint64_t b = ShardEntry{t.name, t.dtype, t.shape}.nbytes();
        unit_bytes[size_t(std::min(unit_of(t.name, c.n_layers), n_units - 1))] += b;
        total += b;
    }
    // Greedy cut: unit u goes to shard s until the running total passes (s+1)/n of the bytes,
    // keeping at least one unit for every remaining shard.
    std::vector<int> shard_of_unit(static_cast<size_t>(n_units));
    {
        int s = 0;
        std::uint64_t acc = 0;
        for (int u = 0; u < n_units; ++u) {
            shard_of_unit[size_t(u)] = s;
            acc += unit_bytes[size_t(u)];
            const bool must_cut = n_units - 1 - u <= n_shards - 1 - s;
            const bool full = double(acc) >= double(total) * (s + 1) / n_shards;
            if (s < n_shards - 1 && (must_cut || full))
                ++s;
        }
    }
    std::vector<std::vector<ShardEntry>> shards(static_cast<size_t>(n_shards));
    for (const TensorSpec &t : specs) {
        const int u = std::min(unit_of(t.name, c.n_layers), n_units - 1);
        shards[size_t(shard_of_unit[size_t(u)])].push_back({t.name, t.dtype, t.shape});
    }

    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec)
        fail("cannot create " + o.out + ": " + ec.message());
    // Stale model files of an earlier run would confuse the loader (an old index wins over a new
    // model.safetensors); remove exactly those.
    for (const auto &entry : fs::directory_iterator(o.out, ec)) {
        const std::string f = entry.path().filename().string();
        if (f == "config.json" || f == "model.safetensors.index.json"
            || (f.rfind("model", 0) == 0 && f.size() > 12
                && f.compare(f.size() - 12, 12, ".safetensors") == 0))
            fs::remove(entry.path(), ec);
    }

    const mkmodel::ModelInit init(c, o.seed);
    const TensorFill fill = o.sparse ? TensorFill() : [&](const ShardEntry &e, std::uint8_t *out) {
        return init.fill(e, out);
    };
    std::vector<std::pair<std::string, std::string>> weight_map;
    std::uint64_t file_bytes = 0;
    for (int s = 0; s < n_shards; ++s) {
        char name[64];
        if (n_shards == 1)
            std::snprintf(name, sizeof name, "model.safetensors");
        else
            std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", s + 1, n_shards);
        const ShardLayout layout = plan_shard(shards[size_t(s)]);
        for (const ShardEntry &e : layout.entries)
            weight_map.push_back({e.name, name});
        std::fprintf(stderr, "folio-mkmodel: writing %s (%zu tensors, %.1f MB)\n", name,
                     layout.entries.size(), double(layout.file_size) / 1e6);
        if (Status st = write_shard(o.out + "/" + name, layout, fill); !st)
            fail(st.message());
        file_bytes += layout.file_size;
    }
    if (n_shards > 1) {
        std::ofstream idx(o.out + "/model.safetensors.index.json", std::ios::trunc);
        idx << index_json(weight_map, total);
        if (!idx)
            fail("cannot write " + o.out + "/model.safetensors.index.json");
    }

    // Tokenizer files; tokenizer_config.json is copied when it sits next to tokenizer.json, else
    // a minimal one with the release's special tokens is written. Without --tokenizer: none (a
    // stale tokenizer.json of an earlier model in --out would not match this vocabulary).
    if (o.tokenizer.empty()) {
        fs::remove(o.out + "/tokenizer.json", ec);
        fs::remove(o.out + "/tokenizer_config.json", ec);
    } else {
        fs::copy_file(o.tokenizer, o.out + "/tokenizer.json", fs::copy_options::overwrite_existing,
                      ec);
        if (ec)
            fail("cannot copy " + o.tokenizer + ": " + ec.message());
        const fs::path tok_cfg = fs::path(o.tokenizer).parent_path() / "tokenizer_config.json";
        if (fs::exists(tok_cfg)) {
            fs::copy_file(tok_cfg, o.out + "/tokenizer_config.json",
                          fs::copy_options::overwrite_existing, ec);
        } else {
            std::ofstream(o.out + "/tokenizer_config.json", std::ios::trunc)
                << "{\n  \"add_bos_token\": false,\n  \"add_eos_token\": false,\n"
                   "  \"bos_token\": \"<\xef\xbd\x9c"
                   "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>\",\n"
                   "  \"eos_token\": \"<\xef\xbd\x9c"
                   "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>\",\n"
                   "  \"model_max_length\": "
                << c.max_position_embeddings
                << ",\n  \"tokenizer_class\": \"LlamaTokenizerFast\"\n}\n";
        }
    }
    // config.json last: its presence marks a complete model (the build's demo-model rule keys on
    // it).
    {
        std::ofstream cfg(o.out + "/config.json", std::ios::trunc);
        cfg << config_text;
        if (!cfg)
            fail("cannot write " + o.out + "/config.json");
    }

    const ParameterCounts pc = count_parameters(c);
    std::printf("%s: %s preset, %d layers + %d MTP, vocab %d, %d shard(s), %.3f GB%s\n",
                o.out.c_str(), o.preset.c_str(), c.n_layers, c.n_mtp_layers, c.vocab_size, n_shards,
                double(file_bytes) / 1e9, o.sparse ? " (sparse)" : "");
    std::printf("parameters: main %.6f B, MTP %.6f B, total %.6f B, active/token %.6f B; "
                "KV %llu B/token\n",
                double(pc.main) / 1e9, double(pc.mtp) / 1e9, double(pc.main + pc.mtp) / 1e9,
                double(pc.active_per_token) / 1e9,
                static_cast<unsigned long long>(kv_bytes_per_token(c)));
    return 0;
}
