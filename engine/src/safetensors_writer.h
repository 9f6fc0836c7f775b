// Safetensors writer, in the layout of the release's shards (spec §3.1): 8-byte little-endian header
// length, compact JSON header with entries ordered by dtype (I64, F64, F32, I32, BF16, F16, I16,
// F8_E8M0, F8_E4M3, I8, U8, BOOL — the order of the reference `safetensors` writer) and then by
// name, data offsets in that order with no gaps, JSON padded with spaces to a multiple of 8.
//
// Writing is streamed: plan_shard() fixes the header and every offset from names, dtypes and shapes
// alone; write_shard() then asks a callback for one tensor's bytes at a time, so a 3.6 GB layer
// shard never sits in memory. Without a callback the data area is left as a hole (a sparse file):
// a header-complete checkpoint of any size that costs no disk (tests of the real V4-Flash sizes).
#pragma once

#include "safetensors.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace folio {

struct ShardEntry
{
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t nbytes() const;
};

struct ShardLayout
{
    std::vector<ShardEntry> entries;    // in file order
    std::vector<std::uint64_t> offsets; // data offset of each entry, relative to the data area
    std::string header;                 // the 8-byte length + padded JSON
    std::uint64_t file_size = 0;        // header.size() + data bytes
};

// Orders `entries` as the release writer does and computes the header. `metadata` (string pairs)
// becomes "__metadata__" when non-empty.
ShardLayout plan_shard(std::vector<ShardEntry> entries,
                       const std::vector<std::pair<std::string, std::string>> &metadata = {});

// Fills `out` (entry.nbytes() bytes) with one tensor's data.
using TensorFill = std::function<Status(const ShardEntry &entry, std::uint8_t *out)>;

// Writes `layout` to `path`. With `fill` empty the data area is not written (sparse file of the
// right size). Errors name the path.
Status write_shard(const std::string &path, const ShardLayout &layout, const TensorFill &fill);

// Convenience for small files whose tensors are in memory (test fixtures, `folio-cli logits`).
struct OwnedTensor
{
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> bytes; // little-endian, row-major; size must equal numel * dtype size
};
Status write_safetensors(const std::string &path, const std::vector<OwnedTensor> &tensors);

// model.safetensors.index.json of the release: {"metadata": {"total_size": N}, "weight_map":
// {name: shard file}} with names sorted; total_size = sum of tensor bytes.
std::string index_json(const std::vector<std::pair<std::string, std::string>> &weight_map,
                       std::uint64_t total_size);

} // namespace folio
