// Streaming KV-snapshot payloads. The engine serializes its state into a SnapshotWriter as it goes
// (Session::save(sink)); the writer cuts the bytes into chunks (32 MiB by default), optionally
// compresses each one, checksums it (XXH3-64) and appends it to the snapshot's payload file, so a
// multi-GB state never sits in memory twice: at most one chunk is buffered. commit() makes the
// snapshot visible atomically: fsync the file, rename it into place, then one transaction inserts
// the snapshot row and its chunk rows. Until that commit nothing lists it; a crash at any point
// leaves at most an unreferenced file that the next open removes.
//
// A SnapshotReader yields the bytes back for Session::load(source): every chunk's checksum and
// size are verified before any of its bytes are handed out; readers made by SnapshotStore::open()
// (export, verify) also check the XXH3-64 of the whole payload when the last byte is read. Any mismatch is a Status (Corrupt), never bad bytes
// passed on silently; the app then falls back to re-prefill.
//
//   auto w = snapshots.beginWrite(meta);            // SnapshotStore::beginWrite
//   session.save([&](const void *p, size_t n) { return (*w)->write(p, n).ok(); });
//   Result<SnapshotInfo> saved = (*w)->commit();
#pragma once

#include "storage/status.h"
#include "storage/types.h"

#include <QString>

#include <cstddef>
#include <memory>
#include <vector>

namespace folio::storage {

class Database;

struct SnapshotWriteOptions
{
    static constexpr qint64 kDefaultChunkSize = qint64(32) << 20;
    qint64 chunkSize = kDefaultChunkSize; // bytes of raw state per chunk (4 KiB .. 1 GiB)
    Codec codec = Codec::None; // see docs/storage.md: compression does not pay on KV state
    int level = 1;             // zstd level
};

// Which snapshots to keep (SnapshotStore::evict, applied after every commit).
struct EvictionPolicy
{
    // Per session: keep the `keepPerBranch` newest snapshots on every branch of the message tree
    // (a branch = the path from the sources' prefix to a leaf message; the sources' prefix itself,
    // shared by all branches, counts as one branch). 0 disables this rule.
    int keepPerBranch = 1;
    // All snapshots together stay under this many stored bytes; the least recently used go first
    // (never the one just written). 0 = no cap.
    qint64 maxTotalBytes = 0;
};

class SnapshotWriter
{
public:
    ~SnapshotWriter(); // abort() unless committed
    SnapshotWriter(const SnapshotWriter &) = delete;
    SnapshotWriter &operator=(const SnapshotWriter &) = delete;

    // Appends bytes of engine state. Errors (disk full) abort the snapshot; later calls fail too.
    Status write(const void *data, size_t size);
    qint64 bytesWritten() const;
    // Writes the last chunk, syncs, and commits the snapshot row (then applies the eviction policy).
    Result<SnapshotInfo> commit();
    // Drops everything written; nothing becomes visible.
    void abort();

    struct State;

private:
    friend class SnapshotStore;
    explicit SnapshotWriter(std::unique_ptr<State> state);
    Status flushChunk(const char *data, size_t size);
    Status fail(Status status);
    std::unique_ptr<State> d;
};

class SnapshotReader
{
public:
    ~SnapshotReader();
    SnapshotReader(const SnapshotReader &) = delete;
    SnapshotReader &operator=(const SnapshotReader &) = delete;

    const SnapshotInfo &info() const;
    // Copies up to `size` bytes into `data` and returns how many; 0 once everything was read (and
    // the payload checksum matched). A verification failure is returned as Corrupt.
    Result<size_t> read(void *data, size_t size);
    qint64 bytesRead() const;

    struct State;

private:
    friend class SnapshotStore;
    explicit SnapshotReader(std::unique_ptr<State> state);
    Status loadChunk(char *direct);
    std::unique_ptr<State> d;
};

} // namespace folio::storage
