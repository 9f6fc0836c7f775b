// Tensor directory: expected_tensors() equals the golden checkpoints' directories exactly and the
// release inventory's totals for V4-Flash; validate_checkpoint names the tensor, the expected and the
// found; parameter counts and KV bytes per token of the real model; a synthetic (sparse) V4-Flash
// checkpoint with the real config reports the real parameter counts.
#include "config.h"
#include "safetensors.h"
#include "safetensors_writer.h"
#include "tensor_directory.h"

#include "folio_test.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sys/stat.h>

using namespace folio;
namespace fs = std::filesystem;

namespace {

std::string golden(const std::string &rel)
{
    return std::string(FOLIO_TEST_DATA_DIR) + "/golden/" + rel;
}

std::string tmp_dir(const std::string &name)
{
    const fs::path p = fs::path(FOLIO_BINARY_DIR) / "test-tmp" / "tensor_directory" / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}

ModelConfig flash()
{
    Result<ModelConfig> c = load_model_config(golden("v4-flash-config.json"));
    return c ? *c : ModelConfig();
}

// Writes `specs` as one sparse model.safetensors (data area a hole) plus config.json.
void write_sparse_model(const std::string &dir, const std::vector<TensorSpec> &specs,
                        const ModelConfig &cfg)
{
    std::vector<ShardEntry> entries;
    for (const TensorSpec &t : specs)
        entries.push_back({t.name, t.dtype, t.shape});
    CHECK(write_shard(dir + "/model.safetensors", plan_shard(entries), nullptr).is_ok());
    std::ofstream(dir + "/config.json") << to_config_json(cfg);
}

bool mentions(const Status &s, const std::string &needle)
{
    if (s.is_ok())
        return false;
    if (s.message().find(needle) == std::string::npos) {
        std::fprintf(stderr, "  message was: %s\n", s.message().c_str());
        return false;
    }
    return true;
}

bool same_directory(const std::vector<TensorSpec> &a, const std::vector<TensorSpec> &b)
{
    bool same = a.size() == b.size();
    for (size_t i = 0; same && i < a.size(); ++i) {
        same = a[i].name == b[i].name && a[i].dtype == b[i].dtype && a[i].shape == b[i].shape;
        if (!same)
            std::fprintf(stderr, "  first difference: %s vs %s\n", a[i].name.c_str(),
                         b[i].name.c_str());
    }
    if (a.size() != b.size())
        std::fprintf(stderr, "  sizes %zu vs %zu\n", a.size(), b.size());
    return same;
}

} // namespace

FOLIO_TEST(tensor_directory_matches_golden_checkpoints)
{
    for (const char *c : {"bf16_s1", "fp8fp4_s1"}) {
        Result<ModelConfig> cfg = load_model_config(golden(std::string(c) + "/config.json"));
        REQUIRE(cfg.is_ok());
        auto ck = Checkpoint::open(golden(c));
        REQUIRE(ck.is_ok());
        CHECK(same_directory(expected_tensors(*cfg), directory_of(**ck)));
        CHECK(validate_checkpoint(**ck, *cfg).is_ok());
    }
}

FOLIO_TEST(tensor_directory_flash_inventory)
{
    // Totals of the release inventory (spec §0.2 / §3.1): 69,187 tensors, 158,069,433,298 stored
    // elements, 159,609,485,896 bytes of tensor data.
    const std::vector<TensorSpec> specs = expected_tensors(flash());
    CHECK_EQ(specs.size(), 69187u);
    std::int64_t elements = 0;
    std::uint64_t bytes = 0;
    for (const TensorSpec &t : specs) {
        std::int64_t n = 1;
        for (auto d : t.shape)
            n *= d;
        elements += n;
        bytes += std::uint64_t(n) * dtype_size(t.dtype);
    }
    CHECK_EQ(elements, 158069433298);
    CHECK_EQ(bytes, 159609485896u);
}

FOLIO_TEST(tensor_directory_flash_parameter_counts)
{
    const ParameterCounts pc = count_parameters(flash());
    // Spec §3.5 / issue 4: 284.33 B main, 6.61 B MTP, 290.94 B total, 13.27 B active per token
    // (embedding excluded).
    CHECK_NEAR(double(pc.main) / 1e9, 284.33, 0.005);
    CHECK_NEAR(double(pc.mtp) / 1e9, 6.61, 0.005);
    CHECK_NEAR(double(pc.main + pc.mtp) / 1e9, 290.94, 0.005);
    CHECK_NEAR(double(pc.active_per_token) / 1e9, 13.27, 0.005);
    CHECK_EQ(kv_bytes_per_token(flash()), 3509u);
}

FOLIO_TEST(tensor_directory_golden_kv_bytes)
{
    // bf16_s1: head_dim 256 -> entry 192 FP8 + 3 scales + 128 rope = 323 B; indexer key 64 + 4.
    // Layers 1, 3 are CSA (ratio 4), layer 2 HCA (ratio 32): 2*(323+68)/4 + 323/32 = 205.59 -> 206.
    Result<ModelConfig> c = load_model_config(golden("bf16_s1/config.json"));
    REQUIRE(c.is_ok());
    CHECK_EQ(kv_bytes_per_token(*c), 206u);
}

FOLIO_TEST(tensor_directory_validation_messages)
{
    Result<ModelConfig> cfg = load_model_config(golden("fp8fp4_s1/config.json"));
    REQUIRE(cfg.is_ok());
    const std::vector<TensorSpec> good = expected_tensors(*cfg);

    struct Case
    {
        const char *what;
        std::function<void(std::vector<TensorSpec> &)> edit;
        const char *message;
    };
    const Case cases[] = {
        {"wrong shape",
         [](auto &v) {
             for (auto &t : v)
                 if (t.name == "layers.1.attn.wq_a.weight")
                     t.shape = {128, 128};
         },
         "layers.1.attn.wq_a.weight: expected F8_E4M3 [128, 256], found F8_E4M3 [128, 128]"},
        {"wrong dtype",
         [](auto &v) {
             for (auto &t : v)
                 if (t.name == "layers.0.ffn.experts.3.w2.weight")
                     t.dtype = DType::U8;
         },
         "layers.0.ffn.experts.3.w2.weight: expected I8 [256, 64], found U8 [256, 64]"},
        {"missing tensor",
         [](auto &v) {
             std::erase_if(v, [](const TensorSpec &t) { return t.name == "mtp.0.hnorm.weight"; });
         },
         "missing tensor mtp.0.hnorm.weight (expected BF16 [256])"},
        {"extra tensor",
         [](auto &v) {
             v.push_back({"layers.9.attn.wq_a.weight", DType::BF16, {2, 2}});
         },
         "unexpected tensor layers.9.attn.wq_a.weight (BF16 [2, 2]) is not implied by config.json"},
        {"bias on a hash layer",
         [](auto &v) {
             v.push_back({"layers.0.ffn.gate.bias", DType::F32, {8}});
         },
         "unexpected tensor layers.0.ffn.gate.bias"},
    };
    for (const Case &c : cases) {
        std::vector<TensorSpec> v = good;
        c.edit(v);
        const std::string dir = tmp_dir(c.what);
        write_sparse_model(dir, v, *cfg);
        auto ck = Checkpoint::open(dir);
        REQUIRE(ck.is_ok());
        const Status s = validate_checkpoint(**ck, *cfg);
        if (!mentions(s, c.message))
            std::fprintf(stderr, "  case: %s\n", c.what);
        CHECK(mentions(s, "(1 problem)"));
    }
    // Several problems are counted and the first few listed.
    std::vector<TensorSpec> v = good;
    v.resize(v.size() - 20);
    const std::string dir = tmp_dir("many");
    write_sparse_model(dir, v, *cfg);
    auto ck = Checkpoint::open(dir);
    REQUIRE(ck.is_ok());
    CHECK(mentions(validate_checkpoint(**ck, *cfg), "(20 problems)"));
}

// The acceptance check: the real config with a synthetic tensor directory (every shard of
// the release layout written as a sparse file: headers only, data area a hole) opens, validates and
// reports the real model's parameter counts.
FOLIO_TEST(tensor_directory_synthetic_flash_checkpoint)
{
    const ModelConfig cfg = flash();
    const std::string dir = tmp_dir("flash");
    const std::vector<TensorSpec> specs = expected_tensors(cfg);
    // Release sharding: embed / one shard per layer / head + norms / MTP.
    auto shard_of = [&](const std::string &name) -> int {
        if (name == "embed.weight")
            return 0;
        if (name.rfind("layers.", 0) == 0)
            return 1 + std::stoi(name.substr(7));
        if (name.rfind("mtp.", 0) == 0)
            return cfg.n_layers + 2;
        return cfg.n_layers + 1;
    };
    const int n_shards = cfg.n_layers + 3;
    std::vector<std::vector<ShardEntry>> shards(static_cast<size_t>(n_shards));
    for (const TensorSpec &t : specs)
        shards[size_t(shard_of(t.name))].push_back({t.name, t.dtype, t.shape});
    std::vector<std::pair<std::string, std::string>> map;
    std::uint64_t total = 0;
    for (int s = 0; s < n_shards; ++s) {
        char file[64];
        std::snprintf(file, sizeof file, "model-%05d-of-%05d.safetensors", s + 1, n_shards);
        for (const ShardEntry &e : shards[size_t(s)]) {
            map.push_back({e.name, file});
            total += e.nbytes();
        }
        REQUIRE(write_shard(dir + "/" + file, plan_shard(shards[size_t(s)]), nullptr).is_ok());
        if (s == 0) {
            // Sparse files are what keeps this test at a few MB of disk; stop if they are not.
            struct stat st;
            REQUIRE(::stat((dir + "/" + file).c_str(), &st) == 0);
            if (std::uint64_t(st.st_blocks) * 512 > (64u << 20)) {
                folio_test::skip("the file system does not keep sparse files");
                return;
            }
        }
    }
    std::ofstream(dir + "/model.safetensors.index.json") << index_json(map, total);
    std::ofstream(dir + "/config.json") << to_config_json(cfg);

    auto ck = Checkpoint::open(dir);
    REQUIRE(ck.is_ok());
    CHECK_EQ((*ck)->tensors().size(), 69187u);
    Result<ModelConfig> loaded = parse_model_config((*ck)->config_text());
    REQUIRE(loaded.is_ok());
    CHECK(validate_checkpoint(**ck, *loaded).is_ok());
    const ParameterCounts pc = count_parameters(directory_of(**ck), *loaded);
    CHECK_NEAR(double(pc.main) / 1e9, 284.33, 0.005);
    CHECK_NEAR(double(pc.main + pc.mtp) / 1e9, 290.94, 0.005);
    CHECK_NEAR(double(pc.active_per_token) / 1e9, 13.27, 0.005);
    const ParameterCounts from_cfg = count_parameters(*loaded);
    CHECK_EQ(pc.main, from_cfg.main);
    CHECK_EQ(pc.mtp, from_cfg.mtp);
    CHECK_EQ(pc.active_per_token, from_cfg.active_per_token);
    CHECK_EQ(kv_bytes_per_token(*loaded), 3509u);
    // Files as large as the release's data (the headers add ~170 KB per shard in the release; ours
    // are the same format).
    CHECK((*ck)->total_file_bytes() > 159609485896u);
    fs::remove_all(dir);
}
