// Chunk checksums and compression (see chunk_codec.h).
#include "storage/chunk_codec.h"

#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include <climits>
#include <cstring>

namespace folio::storage {

QString codecName(Codec codec)
{
    switch (codec) {
    case Codec::Zstd:
        return QStringLiteral("zstd");
    case Codec::Lz4:
        return QStringLiteral("lz4");
    case Codec::None:
        break;
    }
    return QStringLiteral("none");
}

bool parseCodec(const QString &name, Codec *codec)
{
    for (Codec c : {Codec::None, Codec::Zstd, Codec::Lz4}) {
        if (name == codecName(c)) {
            *codec = c;
            return true;
        }
    }
    return false;
}

uint64_t chunkChecksum(const void *data, size_t size)
{
    return XXH3_64bits(data, size);
}

Result<Codec> compressChunk(Codec codec, int level, const void *raw, size_t size,
                            std::vector<char> &out)
{
    // Worth keeping only if it saves at least 1/32 of the chunk.
    const size_t worthIt = size - size / 32;
    switch (codec) {
    case Codec::None:
        return Codec::None;
    case Codec::Zstd: {
        out.resize(ZSTD_compressBound(size));
        const size_t n = ZSTD_compress(out.data(), out.size(), raw, size, level);
        if (ZSTD_isError(n))
            return Status::error(QStringLiteral("zstd compression failed: %1")
                                     .arg(QString::fromUtf8(ZSTD_getErrorName(n))));
        if (n >= worthIt)
            return Codec::None;
        out.resize(n);
        return Codec::Zstd;
    }
    case Codec::Lz4: {
        if (size > size_t(LZ4_MAX_INPUT_SIZE))
            return Status::error(
                QStringLiteral("lz4 cannot compress a chunk of %1 bytes").arg(size));
        out.resize(size_t(LZ4_compressBound(int(size))));
        const int n = LZ4_compress_default(static_cast<const char *>(raw), out.data(), int(size),
                                           int(out.size()));
        if (n <= 0)
            return Status::error(QStringLiteral("lz4 compression failed"));
        if (size_t(n) >= worthIt)
            return Codec::None;
        out.resize(size_t(n));
        return Codec::Lz4;
    }
    }
    return Codec::None;
}

Status decompressChunk(Codec codec, const void *stored, size_t storedSize, void *out, size_t rawSize)
{
    switch (codec) {
    case Codec::None:
        if (storedSize != rawSize)
            return Status::error(Status::Corrupt,
                                 QStringLiteral("raw chunk has %1 bytes, expected %2")
                                     .arg(storedSize)
                                     .arg(rawSize));
        std::memcpy(out, stored, rawSize);
        return {};
    case Codec::Zstd: {
        const size_t n = ZSTD_decompress(out, rawSize, stored, storedSize);
        if (ZSTD_isError(n) || n != rawSize)
            return Status::error(Status::Corrupt,
                                 QStringLiteral("zstd chunk does not decode to %1 bytes")
                                     .arg(rawSize));
        return {};
    }
    case Codec::Lz4: {
        if (rawSize > size_t(INT_MAX) || storedSize > size_t(INT_MAX))
            return Status::error(Status::Corrupt, QStringLiteral("lz4 chunk too large"));
        const int n = LZ4_decompress_safe(static_cast<const char *>(stored),
                                          static_cast<char *>(out), int(storedSize), int(rawSize));
        if (n < 0 || size_t(n) != rawSize)
            return Status::error(Status::Corrupt,
                                 QStringLiteral("lz4 chunk does not decode to %1 bytes")
                                     .arg(rawSize));
        return {};
    }
    }
    return Status::error(QStringLiteral("unknown codec"));
}

} // namespace folio::storage
