// Safetensors reader: validates a file image's header completely (see safetensors.h for the list of
// checks) and maps model directories, single-file or sharded with model.safetensors.index.json.
// Nothing here reads a tensor's bytes; only headers are parsed, so opening the 148 GiB release costs
// 46 mmaps and ~8 MB of JSON.
#include "safetensors.h"

#include "base/json.h"
#include "base/mapped_file.h"

#include <algorithm>
#include <cstring>
#include <sys/stat.h>
#include <unordered_set>

namespace folio {
namespace {

struct DTypeInfo
{
    DType dtype;
    const char *name;
    std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::BF16, "BF16", 2}, {DType::F16, "F16", 2},         {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8},         {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},           {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1}, {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E8M0, "F8_E8M0", 1},
};

// Headers of the release are ~170 KB; the safetensors format itself caps them at 100 MB. Anything
// larger is refused before it is parsed.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

bool file_exists(const std::string &path)
{
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

std::string shape_text(const std::vector<std::int64_t> &shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Parses one header entry; `data_bytes` = size of the data area.
Status parse_entry(const std::string &name, const json::Value &v, std::uint64_t data_bytes,
                   TensorView &out, std::uint64_t &begin)
{
    if (!v.is_object())
        return Status::error("tensor " + name + ": expected an object");
    const json::Value *dtype = v.find("dtype");
    const json::Value *shape = v.find("shape");
    const json::Value *offsets = v.find("data_offsets");
    if (!dtype || !dtype->is_string())
        return Status::error("tensor " + name + ": \"dtype\" missing or not a string");
    std::optional<DType> dt = dtype_from_name(dtype->as_string());
    if (!dt)
        return Status::error("tensor " + name + ": unknown dtype \"" + dtype->as_string() + "\"");
    if (!shape || !shape->is_array())
        return Status::error("tensor " + name + ": \"shape\" missing or not an array");
    if (!offsets || !offsets->is_array() || offsets->as_array().size() != 2
        || !offsets->as_array()[0].is_int() || !offsets->as_array()[1].is_int())
        return Status::error("tensor " + name + ": \"data_offsets\" must be two integers");
    out.name = name;
    out.dtype = *dt;
    // numel is bounded by the data area (every element takes >= 1 byte), which also keeps the
    // product from overflowing: a dimension is only multiplied in while the running product fits.
    std::uint64_t numel = 1;
    bool too_big = false;
    for (const json::Value &d : shape->as_array()) {
        if (!d.is_int() || d.as_int() < 0)
            return Status::error("tensor " + name + ": shape entries must be non-negative integers");
        out.shape.push_back(d.as_int());
        const auto dim = static_cast<std::uint64_t>(d.as_int());
        if (dim != 0 && numel > data_bytes / dim)
            too_big = true;
        numel = too_big ? numel : numel * dim;
    }
    const std::int64_t b = offsets->as_array()[0].as_int();
    const std::int64_t e = offsets->as_array()[1].as_int();
    if (b < 0 || e < 0 || b > e)
        return Status::error("tensor " + name + ": data_offsets [" + std::to_string(b) + ", "
                             + std::to_string(e) + "] are not an increasing pair");
    if (static_cast<std::uint64_t>(e) > data_bytes)
        return Status::error("tensor " + name + ": data_offsets [" + std::to_string(b) + ", "
                             + std::to_string(e) + "] end beyond the data area ("
                             + std::to_string(data_bytes) + " bytes; truncated file?)");
    // Zero-sized shapes make numel 0 whatever the other dims (too_big may be a false alarm then).
    const bool has_zero = std::find(out.shape.begin(), out.shape.end(), 0) != out.shape.end();
    if (has_zero)
        numel = 0;
    const std::uint64_t nbytes = static_cast<std::uint64_t>(e - b);
    if ((too_big && !has_zero) || numel * dtype_size(*dt) != nbytes)
        return Status::error("tensor " + name + ": " + dtype_name(*dt) + " " + shape_text(out.shape)
                             + " needs "
                             + (too_big && !has_zero ? std::string("more than the file")
                                                     : std::to_string(numel * dtype_size(*dt)))
                             + " bytes but data_offsets span " + std::to_string(nbytes));
    out.nbytes = nbytes;
    begin = static_cast<std::uint64_t>(b);
    return Status::ok();
}

// FNV-1a, 128-bit: a small dependency-free hash for the fingerprint (a cache key, not a security
// boundary).
__extension__ typedef unsigned __int128 U128; // GCC/Clang extension; __extension__ quiets -Wpedantic

class Fnv128
{
public:
    void add(const void *p, size_t n)
    {
        const auto *b = static_cast<const unsigned char *>(p);
        for (size_t i = 0; i < n; ++i) {
            m_h ^= b[i];
            m_h *= kPrime;
        }
    }
    void add(std::string_view s)
    {
        const std::uint64_t n = s.size(); // length prefix: "ab"+"c" != "a"+"bc"
        add(&n, sizeof n);
        add(s.data(), s.size());
    }
    void add_u64(std::uint64_t v) { add(&v, sizeof v); }
    std::string hex() const
    {
        static const char *digits = "0123456789abcdef";
        std::string s(32, '0');
        U128 h = m_h;
        for (int i = 31; i >= 0; --i, h >>= 4)
            s[size_t(i)] = digits[unsigned(h & 0xf)];
        return s;
    }

private:
    static constexpr U128 kPrime = U128(1) << 88 | 0x13B;
    U128 m_h = U128(0x6c62272e07bb0142ull) << 64 | 0x62b821756295c58dull;
};

} // namespace

std::size_t dtype_size(DType t)
{
    for (const DTypeInfo &i : kDTypes)
        if (i.dtype == t)
            return i.size;
    return 0;
}

const char *dtype_name(DType t)
{
    for (const DTypeInfo &i : kDTypes)
        if (i.dtype == t)
            return i.name;
    return "?";
}

std::optional<DType> dtype_from_name(std::string_view name)
{
    for (const DTypeInfo &i : kDTypes)
        if (name == i.name)
            return i.dtype;
    return std::nullopt;
}

std::int64_t TensorView::numel() const
{
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return n;
}

Result<std::vector<TensorView>> parse_safetensors(const std::uint8_t *data, std::uint64_t size,
                                                  const std::string &what)
{
    auto err = [&](const std::string &m) { return Status::error(what + ": " + m); };
    if (size < 8)
        return err("file is " + std::to_string(size) + " bytes, too short for a safetensors header");
    std::uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) // little-endian u64
        header_len = header_len << 8 | data[i];
    if (header_len > size - 8)
        return err("header length " + std::to_string(header_len) + " exceeds the file size "
                   + std::to_string(size) + " (truncated or not a safetensors file)");
    if (header_len > kMaxHeaderBytes)
        return err("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
    const std::string_view text(reinterpret_cast<const char *>(data + 8), header_len);
    Result<json::Value> doc = json::parse(text);
    if (!doc)
        return err("header is not valid JSON: " + doc.status().message());
    if (!doc->is_object())
        return err("header is not a JSON object");
    const std::uint64_t data_start = 8 + header_len;
    const std::uint64_t data_bytes = size - data_start;

    std::vector<TensorView> tensors;
    std::vector<std::uint64_t> begins;
    std::unordered_set<std::string> seen;
    for (const auto &[name, v] : doc->as_object()) {
        if (name == "__metadata__") {
            if (!v.is_object())
                return err("__metadata__ is not an object");
            continue;
        }
        if (!seen.insert(name).second)
            return err("tensor " + name + " appears twice in the header");
        TensorView t;
        std::uint64_t begin = 0;
        if (Status s = parse_entry(name, v, data_bytes, t, begin); !s)
            return err(s.message());
        t.data = data + data_start + begin;
        tensors.push_back(std::move(t));
        begins.push_back(begin);
    }

    // No two tensors may share bytes: sort by begin and compare neighbours. (Empty tensors own no
    // bytes and cannot overlap.)
    std::vector<size_t> order(tensors.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return begins[a] != begins[b] ? begins[a] < begins[b]
                                      : tensors[a].nbytes < tensors[b].nbytes;
    });
    std::uint64_t prev_end = 0;
    size_t prev = SIZE_MAX;
    for (size_t i : order) {
        if (tensors[i].nbytes == 0)
            continue;
        if (prev != SIZE_MAX && begins[i] < prev_end)
            return err("tensors " + tensors[prev].name + " and " + tensors[i].name
                       + " overlap in the data area");
        prev_end = begins[i] + tensors[i].nbytes;
        prev = i;
    }
    std::vector<TensorView> sorted;
    sorted.reserve(tensors.size());
    for (size_t i : order)
        sorted.push_back(std::move(tensors[i]));
    return sorted;
}

Checkpoint::~Checkpoint() = default;

std::uint64_t Checkpoint::total_file_bytes() const
{
    std::uint64_t n = 0;
    for (const auto &f : m_files)
        n += f->size();
    return n;
}

const TensorView *Checkpoint::find(std::string_view name) const
{
    auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

Result<std::shared_ptr<const Checkpoint>> Checkpoint::open_file(const std::string &path)
{
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    const std::string file = slash == std::string::npos ? path : path.substr(slash + 1);
    return open_shards(dir, {file}, std::string(), nullptr);
}

Result<std::shared_ptr<const Checkpoint>> Checkpoint::open(const std::string &model_dir)
{
    std::string config_text;
    const std::string config_path = model_dir + "/config.json";
    if (file_exists(config_path)) {
        Result<std::string> t = read_text_file(config_path);
        if (!t)
            return t.status();
        config_text = std::move(*t);
    }
    const std::string index_path = model_dir + "/model.safetensors.index.json";
    if (!file_exists(index_path)) {
        if (!file_exists(model_dir + "/model.safetensors"))
            return Status::error(model_dir
                                 + ": no model.safetensors.index.json and no model.safetensors");
        return open_shards(model_dir, {"model.safetensors"}, std::move(config_text), nullptr);
    }

    Result<std::string> index_text = read_text_file(index_path);
    if (!index_text)
        return index_text.status();
    Result<json::Value> index = json::parse(*index_text);
    if (!index)
        return Status::error(index_path + ": " + index.status().message());
    const json::Value *map = index->is_object() ? index->find("weight_map") : nullptr;
    if (!map || !map->is_object())
        return Status::error(index_path + ": \"weight_map\" missing or not an object");
    std::vector<std::string> shards;
    for (const auto &[name, file] : map->as_object()) {
        if (!file.is_string())
            return Status::error(index_path + ": weight_map[" + name + "] is not a string");
        const std::string &f = file.as_string();
        // Shards are plain file names next to the index; a path could point outside the model.
        if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
            return Status::error(index_path + ": weight_map[" + name + "] = \"" + f
                                 + "\" is not a file name in the model directory");
        if (std::find(shards.begin(), shards.end(), f) == shards.end())
            shards.push_back(f);
    }
    std::sort(shards.begin(), shards.end());
    return open_shards(model_dir, std::move(shards), std::move(config_text), &*map);
}

Result<std::shared_ptr<const Checkpoint>> Checkpoint::open_shards(const std::string &dir,
                                                                  std::vector<std::string> shards,
                                                                  std::string config_text,
                                                                  const void *weight_map)
{
    const auto *map = static_cast<const json::Value *>(weight_map);
    std::shared_ptr<Checkpoint> ck(new Checkpoint());
    ck->m_dir = dir;
    ck->m_config_text = std::move(config_text);
    std::vector<std::string> shard_of; // per tensor, for the index cross-check
    for (const std::string &shard : shards) {
        const std::string path = dir + "/" + shard;
        if (!file_exists(path)) {
            std::string example;
            if (map) {
                for (const auto &[name, f] : map->as_object())
                    if (f.as_string() == shard) {
                        example = " (it holds " + name + ", ...)";
                        break;
                    }
            }
            return Status::error(dir + ": shard " + shard
                                 + " named by model.safetensors.index.json is missing" + example);
        }
        Result<std::shared_ptr<const MappedFile>> mf = MappedFile::open(path);
        if (!mf)
            return mf.status();
        Result<std::vector<TensorView>> ts = parse_safetensors((*mf)->data(), (*mf)->size(), path);
        if (!ts)
            return ts.status();
        ck->m_files.push_back(*mf);
        for (TensorView &t : *ts) {
            ck->m_tensors.push_back(std::move(t));
            shard_of.push_back(shard);
        }
    }

    // Sort by name (stable directory order whatever the shard layout), then index and cross-check.
    std::vector<size_t> order(ck->m_tensors.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return ck->m_tensors[a].name < ck->m_tensors[b].name; });
    std::vector<TensorView> sorted;
    std::vector<std::string> sorted_shard;
    for (size_t i : order) {
        sorted.push_back(std::move(ck->m_tensors[i]));
        sorted_shard.push_back(shard_of[i]);
    }
    ck->m_tensors = std::move(sorted);
    // weight_map as a hash table: json::Value::find is linear and the release lists 69k names.
    std::unordered_map<std::string_view, std::string_view> index_map;
    if (map) {
        for (const auto &[name, f] : map->as_object())
            index_map.emplace(name, f.as_string());
    }
    for (size_t i = 0; i < ck->m_tensors.size(); ++i) {
        const TensorView &t = ck->m_tensors[i];
        if (i > 0 && ck->m_tensors[i - 1].name == t.name)
            return Status::error(dir + ": tensor " + t.name + " is stored twice (in "
                                 + sorted_shard[i - 1] + " and " + sorted_shard[i] + ")");
        ck->m_index.emplace(std::string_view(t.name), i);
        if (map) {
            auto f = index_map.find(t.name);
            if (f == index_map.end())
                return Status::error(dir + ": tensor " + t.name + " in " + sorted_shard[i]
                                     + " is not listed in model.safetensors.index.json");
            if (f->second != sorted_shard[i])
                return Status::error(dir + ": model.safetensors.index.json puts " + t.name + " in "
                                     + std::string(f->second) + " but it is in " + sorted_shard[i]);
        }
    }
    if (map) {
        for (const auto &[name, f] : map->as_object())
            if (!ck->find(name))
                return Status::error(dir + ": tensor " + name
                                     + " listed in model.safetensors.index.json is not in "
                                     + f.as_string());
    }

    Fnv128 h;
    h.add(ck->m_config_text);
    h.add_u64(ck->m_tensors.size());
    for (const TensorView &t : ck->m_tensors) {
        h.add(t.name);
        h.add(dtype_name(t.dtype));
        h.add_u64(t.shape.size());
        for (std::int64_t d : t.shape)
            h.add_u64(static_cast<std::uint64_t>(d));
    }
    for (size_t i = 0; i < shards.size(); ++i) {
        h.add(shards[i]);
        h.add_u64(ck->m_files[i]->size());
    }
    ck->m_fingerprint = h.hex();
    return std::shared_ptr<const Checkpoint>(std::move(ck));
}

} // namespace folio
