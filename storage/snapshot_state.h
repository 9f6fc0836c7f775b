// The private state of SnapshotWriter and SnapshotReader, shared by snapshot_stream.cpp (which
// runs them) and snapshot_store.cpp (which sets them up). Internal to storage/.
#pragma once

#include "storage/payload_files.h"
#include "storage/snapshot_stream.h"

#include <xxhash.h>

#include <memory>
#include <vector>

namespace folio::storage {

struct XxhStateDeleter
{
    void operator()(XXH3_state_t *s) const { XXH3_freeState(s); }
};
using XxhStatePtr = std::unique_ptr<XXH3_state_t, XxhStateDeleter>;

struct ChunkRecord
{
    int index = 0;
    qint64 offset = 0; // in the payload file
    qint64 rawSize = 0;
    qint64 storedSize = 0;
    Codec codec = Codec::None;
    uint64_t checksum = 0; // XXH3-64 of the stored bytes
};

struct SnapshotWriter::State
{
    Database *db = nullptr;
    EvictionPolicy policy;
    SnapshotInfo info; // meta from the caller; sizes filled as chunks are written
    SnapshotWriteOptions options;
    QString partialPath;          // "<dir>/<name>.partial" while writing
    QString finalPath;            // "<dir>/<name>.fsnap"
    FileDescriptor fd;            // holds flock(LOCK_EX) until the row is committed
    std::vector<char> buffer;     // the chunk being filled (capacity chunkSize)
    std::vector<char> compressed; // scratch for the compressor
    std::vector<ChunkRecord> chunks;
    XxhStatePtr payloadHash; // XXH3-64 over all raw bytes
    qint64 offset = 0;
    Status failed;         // sticky: the first error
    bool finished = false; // committed or aborted
};

struct SnapshotReader::State
{
    SnapshotInfo info;
    QString path;
    FileDescriptor fd;
    std::vector<ChunkRecord> chunks;
    int nextChunk = 0;
    std::vector<char> stored;      // stored bytes of the current chunk
    std::vector<char> raw;         // decoded bytes of the current chunk
    size_t rawPos = 0, rawEnd = 0; // unread range of `raw`
    XxhStatePtr payloadHash;       // null: only the chunk checksums are checked (restore)
    qint64 bytesRead = 0;
    Status failed;
    bool done = false;
};

} // namespace folio::storage
