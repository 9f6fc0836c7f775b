// One snapshot chunk on its way to and from disk: the checksum (XXH3-64 of the stored bytes, so a
// damaged chunk is caught before a decompressor sees it) and the optional compression (zstd or
// lz4). A chunk whose compressed form saves less than 1/32 of its size is stored raw: FP8/BF16 KV
// state is close to incompressible, and decompressing for nothing would only cost read speed
// (docs/storage.md has the measurements).
#pragma once

#include "storage/status.h"
#include "storage/types.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace folio::storage {

QString codecName(Codec codec);
// "none", "zstd", "lz4" -> Codec; false when unknown.
bool parseCodec(const QString &name, Codec *codec);

uint64_t chunkChecksum(const void *data, size_t size);

// Compresses `raw` into `out` with `codec` (level: zstd 1..19, ignored by lz4). Returns the codec
// actually used: None when compression did not pay (then `out` is untouched and the caller stores
// `raw`).
Result<Codec> compressChunk(Codec codec, int level, const void *raw, size_t size,
                            std::vector<char> &out);
// Decompresses exactly `rawSize` bytes into `out`; Corrupt when the data does not decode to that.
Status decompressChunk(Codec codec, const void *stored, size_t storedSize, void *out,
                       size_t rawSize);

} // namespace folio::storage
