// Safetensors writer (see safetensors_writer.h): plans a shard's header in the release's order and
// streams tensor data to disk one tensor at a time.
#include "safetensors_writer.h"

#include "base/json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace folio {
namespace {

// Rank of a dtype in the release writer's order: larger elements first, which also keeps every
// tensor aligned to its element size once the header is padded to 8.
int dtype_rank(DType t)
{
    switch (t) {
    case DType::I64:
        return 0;
    case DType::F64:
        return 1;
    case DType::F32:
        return 2;
    case DType::I32:
        return 3;
    case DType::BF16:
        return 4;
    case DType::F16:
        return 5;
    case DType::I16:
        return 6;
    case DType::F8_E8M0:
        return 7;
    case DType::F8_E4M3:
        return 8;
    case DType::I8:
        return 9;
    case DType::U8:
        return 10;
    case DType::BOOL:
        return 11;
    }
    return 12;
}

Status write_all(int fd, const std::uint8_t *p, std::uint64_t n, const std::string &path)
{
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n > (1u << 30) ? (1u << 30) : size_t(n));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return Status::error("cannot write " + path + ": " + std::strerror(errno));
        }
        p += w;
        n -= std::uint64_t(w);
    }
    return Status::ok();
}

} // namespace

std::uint64_t ShardEntry::nbytes() const
{
    std::uint64_t n = dtype_size(dtype);
    for (std::int64_t d : shape)
        n *= static_cast<std::uint64_t>(d);
    return n;
}

ShardLayout plan_shard(std::vector<ShardEntry> entries,
                       const std::vector<std::pair<std::string, std::string>> &metadata)
{
    std::sort(entries.begin(), entries.end(), [](const ShardEntry &a, const ShardEntry &b) {
        const int ra = dtype_rank(a.dtype), rb = dtype_rank(b.dtype);
        return ra != rb ? ra < rb : a.name < b.name;
    });
    ShardLayout l;
    std::string json = "{";
    if (!metadata.empty()) {
        json += "\"__metadata__\":{";
        for (size_t i = 0; i < metadata.size(); ++i) {
            json += i ? "," : "";
            json::append_quoted(json, metadata[i].first);
            json += ":";
            json::append_quoted(json, metadata[i].second);
        }
        json += "}";
    }
    std::uint64_t off = 0;
    for (const ShardEntry &e : entries) {
        if (json.size() > 1)
            json += ",";
        json::append_quoted(json, e.name);
        json += ":{\"dtype\":\"";
        json += dtype_name(e.dtype);
        json += "\",\"shape\":[";
        for (size_t i = 0; i < e.shape.size(); ++i) {
            // Appended piecewise: `(i ? "," : "") + std::to_string(...)` trips GCC 12's -Wrestrict
            // false positive at -O3 (Release builds with FOLIO_WERROR).
            if (i)
                json += ',';
            json += std::to_string(e.shape[i]);
        }
        const std::uint64_t end = off + e.nbytes();
        json += "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(end) + "]}";
        l.offsets.push_back(off);
        off = end;
    }
    json += "}";
    // Pad with spaces so the data area starts 8-aligned (valid JSON whitespace).
    json.append((8 - json.size() % 8) % 8, ' ');
    const std::uint64_t n = json.size();
    l.header.resize(8);
    for (int i = 0; i < 8; ++i)
        l.header[size_t(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    l.header += json;
    l.file_size = l.header.size() + off;
    l.entries = std::move(entries);
    return l;
}

Status write_shard(const std::string &path, const ShardLayout &layout, const TensorFill &fill)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return Status::error("cannot create " + path + ": " + std::strerror(errno));
    Status s = write_all(fd, reinterpret_cast<const std::uint8_t *>(layout.header.data()),
                         layout.header.size(), path);
    std::vector<std::uint8_t> buf;
    for (size_t i = 0; s && fill && i < layout.entries.size(); ++i) {
        const ShardEntry &e = layout.entries[i];
        buf.assign(e.nbytes(), 0);
        s = fill(e, buf.data());
        if (s)
            s = write_all(fd, buf.data(), buf.size(), path);
    }
    // Without data the file is extended to its full size as a hole.
    if (s && ::ftruncate(fd, static_cast<off_t>(layout.file_size)) != 0)
        s = Status::error("cannot size " + path + ": " + std::strerror(errno));
    if (::close(fd) != 0 && s)
        s = Status::error("cannot close " + path + ": " + std::strerror(errno));
    return s;
}

Status write_safetensors(const std::string &path, const std::vector<OwnedTensor> &tensors)
{
    std::vector<ShardEntry> entries;
    for (const OwnedTensor &t : tensors) {
        ShardEntry e{t.name, t.dtype, t.shape};
        if (e.nbytes() != t.bytes.size())
            return Status::error("write " + path + ": tensor " + t.name + " has "
                                 + std::to_string(t.bytes.size()) + " bytes, its shape needs "
                                 + std::to_string(e.nbytes()));
        entries.push_back(std::move(e));
    }
    const ShardLayout layout = plan_shard(std::move(entries));
    return write_shard(path, layout, [&](const ShardEntry &e, std::uint8_t *out) {
        for (const OwnedTensor &t : tensors)
            if (t.name == e.name) {
                std::memcpy(out, t.bytes.data(), t.bytes.size());
                return Status::ok();
            }
        return Status::error("tensor " + e.name + " vanished");
    });
}

std::string index_json(const std::vector<std::pair<std::string, std::string>> &weight_map,
                       std::uint64_t total_size)
{
    std::vector<std::pair<std::string, std::string>> sorted = weight_map;
    std::sort(sorted.begin(), sorted.end());
    std::string o = "{\n  \"metadata\": {\n    \"total_size\": " + std::to_string(total_size)
                    + "\n  },\n  \"weight_map\": {\n";
    for (size_t i = 0; i < sorted.size(); ++i) {
        o += "    ";
        json::append_quoted(o, sorted[i].first);
        o += ": ";
        json::append_quoted(o, sorted[i].second);
        o += i + 1 < sorted.size() ? ",\n" : "\n";
    }
    return o + "  }\n}\n";
}

} // namespace folio
