// Safetensors reader and writer: the golden single-file checkpoints open; written files read back
// byte for byte in the release's header layout; sharded directories with an index open; every kind
// of malformed file gives a clear error; a mutation fuzzer over real and generated headers never
// crashes and never yields a tensor outside the file.
#include "safetensors.h"
#include "safetensors_writer.h"

#include "folio_test.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace folio;
namespace fs = std::filesystem;

namespace {

std::string golden_dir(const char *c)
{
    return std::string(FOLIO_TEST_DATA_DIR) + "/golden/" + c;
}

std::string tmp_dir(const std::string &name)
{
    const fs::path p = fs::path(FOLIO_BINARY_DIR) / "test-tmp" / "safetensors" / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}

OwnedTensor tensor(const std::string &name, DType dt, std::vector<std::int64_t> shape, int seed)
{
    OwnedTensor t{name, dt, std::move(shape), {}};
    std::uint64_t n = dtype_size(dt);
    for (auto d : t.shape)
        n *= std::uint64_t(d);
    t.bytes.resize(n);
    for (std::uint64_t i = 0; i < n; ++i)
        t.bytes[i] = std::uint8_t(i * 31 + std::uint64_t(seed) * 7);
    return t;
}

std::vector<OwnedTensor> sample_tensors()
{
    return {tensor("b.weight", DType::BF16, {4, 8}, 1),
            tensor("a.scale", DType::F8_E8M0, {1, 1}, 2),
            tensor("a.weight", DType::F8_E4M3, {8, 16}, 3),
            tensor("tid2eid", DType::I64, {5, 2}, 4),
            tensor("packed", DType::I8, {3, 2}, 5),
            tensor("sink", DType::F32, {3}, 6),
            tensor("empty", DType::F32, {0, 4}, 7),
            tensor("scalar", DType::F32, {}, 8)};
}

std::string read_file(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_file(const std::string &path, const std::string &bytes)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
}

// A raw safetensors image from a header text and a data area of `data_bytes` bytes.
std::string image(const std::string &header, std::size_t data_bytes)
{
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i)
        s[size_t(i)] = char((header.size() >> (8 * i)) & 0xff);
    return s + header + std::string(data_bytes, '\x11');
}

Status parse_text(const std::string &img)
{
    Result<std::vector<TensorView>> r = parse_safetensors(reinterpret_cast<const std::uint8_t *>(
                                                              img.data()),
                                                          img.size(), "t.safetensors");
    return r ? Status::ok() : r.status();
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

// Every tensor of a successful parse lies inside the image: the property that makes the reader
// safe whatever the header says.
bool inside(const std::vector<TensorView> &ts, const std::uint8_t *base, std::uint64_t size)
{
    for (const TensorView &t : ts) {
        if (t.nbytes == 0)
            continue;
        if (t.data < base || t.data + t.nbytes > base + size || t.data + t.nbytes < t.data)
            return false;
        if (std::uint64_t(t.numel()) * dtype_size(t.dtype) != t.nbytes)
            return false;
    }
    return true;
}

} // namespace

FOLIO_TEST(safetensors_dtype_table)
{
    CHECK_EQ(dtype_size(DType::BF16), 2u);
    CHECK_EQ(dtype_size(DType::F8_E4M3), 1u);
    CHECK_EQ(dtype_size(DType::F8_E8M0), 1u);
    CHECK_EQ(dtype_size(DType::I64), 8u);
    CHECK_EQ(std::string(dtype_name(DType::F8_E8M0)), "F8_E8M0");
    for (DType t : {DType::BF16, DType::F16, DType::F32, DType::F64, DType::I64, DType::I32,
                    DType::I16, DType::I8, DType::U8, DType::BOOL, DType::F8_E4M3, DType::F8_E8M0})
        CHECK(dtype_from_name(dtype_name(t)) == t);
    CHECK(!dtype_from_name("F8_E5M2").has_value());
}

FOLIO_TEST(safetensors_opens_golden_single_file)
{
    auto a = Checkpoint::open(golden_dir("bf16_s1"));
    REQUIRE(a.is_ok());
    const Checkpoint &c = **a;
    const TensorView *embed = c.find("embed.weight");
    REQUIRE(embed != nullptr);
    CHECK(embed->dtype == DType::BF16);
    CHECK(embed->shape == (std::vector<std::int64_t>{512, 256}));
    CHECK_EQ(embed->nbytes, 512u * 256u * 2u);
    const TensorView *tid = c.find("layers.0.ffn.gate.tid2eid");
    REQUIRE(tid != nullptr);
    CHECK(tid->dtype == DType::I64);
    CHECK(c.find("nope") == nullptr);
    CHECK(!c.config_text().empty());
    for (size_t i = 1; i < c.tensors().size(); ++i)
        CHECK(c.tensors()[i - 1].name < c.tensors()[i].name);

    auto q = Checkpoint::open(golden_dir("fp8fp4_s1"));
    REQUIRE(q.is_ok());
    const TensorView *e = (*q)->find("layers.0.ffn.experts.0.w1.weight");
    REQUIRE(e != nullptr);
    CHECK(e->dtype == DType::I8);
    CHECK(e->shape == (std::vector<std::int64_t>{128, 128})); // [out, in/2] packed FP4

    // The fingerprint is stable and tells models apart.
    auto a2 = Checkpoint::open(golden_dir("bf16_s1"));
    REQUIRE(a2.is_ok());
    CHECK_EQ((*a2)->fingerprint(), c.fingerprint());
    CHECK_EQ(c.fingerprint().size(), 32u);
    CHECK((*q)->fingerprint() != c.fingerprint());
}

FOLIO_TEST(safetensors_writer_round_trip_in_release_order)
{
    const std::string dir = tmp_dir("roundtrip");
    const std::vector<OwnedTensor> ts = sample_tensors();
    REQUIRE(write_safetensors(dir + "/x.safetensors", ts).is_ok());
    const std::string bytes = read_file(dir + "/x.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    CHECK_EQ(n % 8, 0u);
    const std::string header = bytes.substr(8, n);
    // dtype order I64, F32, BF16, F8_E8M0, F8_E4M3, I8, then names
    const char *order[] = {"\"tid2eid\"",  "\"empty\"",   "\"scalar\"",   "\"sink\"",
                           "\"b.weight\"", "\"a.scale\"", "\"a.weight\"", "\"packed\""};
    size_t pos = 0;
    for (const char *name : order) {
        const size_t p = header.find(name);
        CHECK(p != std::string::npos && p >= pos);
        pos = p;
    }
    CHECK(header.find("\"data_offsets\":[0,80]") != std::string::npos); // tid2eid first

    auto ck = Checkpoint::open_file(dir + "/x.safetensors");
    REQUIRE(ck.is_ok());
    CHECK_EQ((*ck)->tensors().size(), ts.size());
    for (const OwnedTensor &t : ts) {
        const TensorView *v = (*ck)->find(t.name);
        REQUIRE(v != nullptr);
        CHECK(v->dtype == t.dtype);
        CHECK(v->shape == t.shape);
        CHECK_EQ(v->nbytes, t.bytes.size());
        CHECK(t.bytes.empty() || std::memcmp(v->data, t.bytes.data(), t.bytes.size()) == 0);
    }
    CHECK_EQ((*ck)->find("scalar")->numel(), 1);
    CHECK_EQ((*ck)->find("empty")->numel(), 0);
}

FOLIO_TEST(safetensors_sharded_directory)
{
    const std::string dir = tmp_dir("sharded");
    std::vector<OwnedTensor> ts = sample_tensors();
    std::vector<OwnedTensor> s1(ts.begin(), ts.begin() + 4), s2(ts.begin() + 4, ts.end());
    REQUIRE(write_safetensors(dir + "/model-00001-of-00002.safetensors", s1).is_ok());
    REQUIRE(write_safetensors(dir + "/model-00002-of-00002.safetensors", s2).is_ok());
    std::vector<std::pair<std::string, std::string>> map;
    std::uint64_t total = 0;
    for (const auto &t : s1)
        map.push_back({t.name, "model-00001-of-00002.safetensors"}), total += t.bytes.size();
    for (const auto &t : s2)
        map.push_back({t.name, "model-00002-of-00002.safetensors"}), total += t.bytes.size();
    write_file(dir + "/model.safetensors.index.json", index_json(map, total));
    write_file(dir + "/config.json", "{}");

    auto ck = Checkpoint::open(dir);
    REQUIRE(ck.is_ok());
    CHECK_EQ((*ck)->tensors().size(), ts.size());
    REQUIRE((*ck)->find("packed") != nullptr);
    CHECK(std::memcmp((*ck)->find("packed")->data, ts[4].bytes.data(), 6) == 0);
    const std::string fp = (*ck)->fingerprint();

    // A different config text changes the fingerprint.
    write_file(dir + "/config.json", "{ }");
    auto ck2 = Checkpoint::open(dir);
    REQUIRE(ck2.is_ok());
    CHECK((*ck2)->fingerprint() != fp);

    // The index must agree with the shards.
    map.push_back({"ghost", "model-00002-of-00002.safetensors"});
    write_file(dir + "/model.safetensors.index.json", index_json(map, total));
    CHECK(mentions(Checkpoint::open(dir).status(),
                   "tensor ghost listed in model.safetensors.index.json is not in "
                   "model-00002-of-00002.safetensors"));
    map.pop_back();
    map.back().second = "model-00001-of-00002.safetensors";
    write_file(dir + "/model.safetensors.index.json", index_json(map, total));
    CHECK(mentions(Checkpoint::open(dir).status(), "model.safetensors.index.json puts"));
    map.pop_back();
    write_file(dir + "/model.safetensors.index.json", index_json(map, total));
    CHECK(
        mentions(Checkpoint::open(dir).status(), "is not listed in model.safetensors.index.json"));

    // Missing shard, named.
    map.push_back({"scalar", "model-00003-of-00003.safetensors"});
    write_file(dir + "/model.safetensors.index.json", index_json(map, total));
    CHECK(mentions(Checkpoint::open(dir).status(),
                   "shard model-00003-of-00003.safetensors named by "
                   "model.safetensors.index.json is missing"));
    // A weight_map entry may not leave the directory.
    write_file(dir + "/model.safetensors.index.json",
               "{\"weight_map\": {\"a\": \"../model.safetensors\"}}");
    CHECK(mentions(Checkpoint::open(dir).status(), "is not a file name in the model directory"));
    CHECK(mentions(Checkpoint::open(dir + "/nowhere").status(),
                   "no model.safetensors.index.json and no model.safetensors"));
}

FOLIO_TEST(safetensors_malformed_headers)
{
    const std::string ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    CHECK(parse_text(image(ok, 8)).is_ok());
    CHECK(parse_text(image("{\"__metadata__\":{\"format\":\"pt\"}," + ok.substr(1), 8)).is_ok());
    CHECK(mentions(parse_text("abc"), "too short"));
    CHECK(mentions(parse_text(image(ok, 8).substr(0, 20)), "exceeds the file size"));
    CHECK(mentions(parse_text(image(ok, 4)), "end beyond the data area")); // truncated
    CHECK(mentions(parse_text(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                    "\"data_offsets\":[0,8000000000000]}}",
                                    8)),
                   "end beyond the data area")); // lying
    CHECK(mentions(parse_text(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                                    "\"data_offsets\":[8,0]}}",
                                    8)),
                   "not an increasing pair"));
    CHECK(mentions(parse_text(
                       image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                             12)),
                   "overlap"));
    CHECK(
        mentions(parse_text(
                     image("{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)),
                 "unknown dtype \"Q4_K\""));
    CHECK(
        mentions(parse_text(
                     image("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8)),
                 "non-negative"));
    CHECK(mentions(parse_text(
                       image("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)),
                   "F32 [3] needs 12 bytes but data_offsets span 8"));
    CHECK(
        mentions(parse_text(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
                                  "\"data_offsets\":[0,8]}}",
                                  8)),
                 "needs more than the file"));
    CHECK(mentions(parse_text(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8)),
                   "data_offsets"));
    CHECK(mentions(parse_text(image("{\"a\":", 8)), "not valid JSON"));
    CHECK(mentions(parse_text(image("[1]", 8)), "not a JSON object"));
    CHECK(mentions(parse_text(image("{\"__metadata__\":3}", 0)), "__metadata__"));
    CHECK(
        mentions(parse_text(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                                  8)),
                 "appears twice"));
    std::string huge(8, '\0');
    huge[7] = 0x7f; // header length 2^62
    CHECK(mentions(parse_text(huge + "{}"), "exceeds the file size"));
}

FOLIO_TEST(safetensors_truncated_shard_on_disk)
{
    const std::string dir = tmp_dir("truncated");
    REQUIRE(write_safetensors(dir + "/model.safetensors", sample_tensors()).is_ok());
    const std::string bytes = read_file(dir + "/model.safetensors");
    write_file(dir + "/model.safetensors", bytes.substr(0, bytes.size() - 3));
    CHECK(mentions(Checkpoint::open(dir).status(), "truncated file?"));
    write_file(dir + "/model.safetensors", "");
    CHECK(mentions(Checkpoint::open(dir).status(), "too short"));
}

// Random byte mutations, insertions, deletions and truncations of (1) a real release-format header
// (the golden fp8fp4 checkpoint) and (2) generated files; each result must parse or fail cleanly,
// and a successful parse must only return tensors inside the image.
FOLIO_TEST(safetensors_fuzz_headers)
{
    std::mt19937_64 rng(12345);
    const std::string dir = tmp_dir("fuzz");
    REQUIRE(write_safetensors(dir + "/g.safetensors", sample_tensors()).is_ok());
    const std::string generated = read_file(dir + "/g.safetensors");
    const std::string golden = read_file(golden_dir("fp8fp4_s1") + "/model.safetensors");
    REQUIRE(golden.size() > 8);
    std::uint64_t golden_header = 0;
    std::memcpy(&golden_header, golden.data(), 8);

    const char *tokens[] = {"-",           "9",    "99999999999999999999",
                            "\"",          "}",    "]",
                            "{",           "[",    ",",
                            ":",           "null", "1e400",
                            "\"F8_E4M3\"", "0",    "\\u0000",
                            "\xff"};
    int parsed = 0, rejected = 0;
    std::string work;
    // The real file's 8 MB data area is copied once per iteration into a buffer allocated once;
    // only its header (8 + 42 KB) is mutated.
    const std::string golden_data = golden.substr(8 + golden_header);
    std::vector<std::uint8_t> big(golden.size() + 4096);
    for (int iter = 0; iter < 6000; ++iter) {
        const bool real = iter % 4 == 0;
        work = real ? golden.substr(0, 8 + golden_header) : generated;
        const int n_mut = 1 + int(rng() % 4);
        for (int m = 0; m < n_mut && !work.empty(); ++m) {
            const std::uint64_t pos = rng() % work.size();
            switch (rng() % 5) {
            case 0:
                work[pos] = char(rng());
                break;
            case 1:
                work[pos] ^= char(1 << (rng() % 8));
                break;
            case 2:
                work.insert(pos, tokens[rng() % (sizeof tokens / sizeof *tokens)]);
                break;
            case 3:
                work.erase(pos, 1 + rng() % 8);
                break;
            case 4:
                work[pos] = "0123456789"[rng() % 10];
                break;
            }
        }
        const std::uint8_t *data = nullptr;
        std::uint64_t size = 0;
        std::vector<std::uint8_t> small;
        if (real && work.size() <= 8 + golden_header + 4096) {
            std::memcpy(big.data(), work.data(), work.size());
            std::memcpy(big.data() + work.size(), golden_data.data(), golden_data.size());
            data = big.data();
            size = work.size() + golden_data.size();
        } else {
            // An exact-size heap copy, so that a read past the end would be a real overrun
            // (caught by sanitizers) rather than a read of spare capacity.
            small.assign(work.begin(), work.end());
            data = small.data();
            size = small.size();
        }
        if (rng() % 4 == 0)
            size = rng() % (size + 1); // truncation
        Result<std::vector<TensorView>> r = parse_safetensors(data, size, "fuzz");
        if (r) {
            ++parsed;
            CHECK(inside(*r, data, size));
        } else {
            ++rejected;
            CHECK(!r.status().message().empty());
        }
    }
    // Both outcomes must occur, or the fuzzer is not exercising anything.
    CHECK(parsed > 50);
    CHECK(rejected > 1000);
}
