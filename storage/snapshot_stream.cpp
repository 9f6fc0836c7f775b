// SnapshotWriter and SnapshotReader: chunking, checksums, compression, the commit protocol and
// verified reading (see snapshot_stream.h).
#include "storage/snapshot_stream.h"

#include "storage/chunk_codec.h"
#include "storage/database.h"
#include "storage/logging.h"
#include "storage/snapshot_state.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace folio::storage {

namespace {

QString hex64(uint64_t v)
{
    return QStringLiteral("%1").arg(v, 16, 16, QLatin1Char('0'));
}

} // namespace

// --- SnapshotWriter -----------------------------------------------------------------------------

SnapshotWriter::SnapshotWriter(std::unique_ptr<State> state)
    : d(std::move(state))
{}

SnapshotWriter::~SnapshotWriter()
{
    abort();
}

qint64 SnapshotWriter::bytesWritten() const
{
    return d->info.rawSize;
}

Status SnapshotWriter::fail(Status status)
{
    if (d->failed.ok())
        d->failed = status;
    abort();
    return d->failed;
}

void SnapshotWriter::abort()
{
    if (d->finished)
        return;
    d->finished = true;
    // Remove before unlocking: another process's collector may otherwise race us to it.
    ::unlink(QFile::encodeName(d->partialPath).constData());
    ::unlink(QFile::encodeName(d->finalPath).constData());
    d->fd.reset();
    d->buffer = {};
    d->compressed = {};
    if (d->failed.ok())
        d->failed = Status::error(QStringLiteral("the snapshot was aborted"));
}

Status SnapshotWriter::write(const void *data, size_t size)
{
    if (!d->failed.ok() || d->finished)
        return d->failed.ok() ? Status::error(QStringLiteral("the snapshot is already committed"))
                              : d->failed;
    const char *p = static_cast<const char *>(data);
    const size_t chunk = size_t(d->options.chunkSize);
    while (size > 0) {
        // Whole chunks straight from the caller's memory: no copy when nothing is buffered.
        if (d->buffer.empty() && size >= chunk) {
            if (Status s = flushChunk(p, chunk); !s.ok())
                return fail(s);
            p += chunk;
            size -= chunk;
            continue;
        }
        const size_t take = std::min(size, chunk - d->buffer.size());
        d->buffer.insert(d->buffer.end(), p, p + take);
        p += take;
        size -= take;
        if (d->buffer.size() == chunk) {
            if (Status s = flushChunk(d->buffer.data(), chunk); !s.ok())
                return fail(s);
            d->buffer.clear();
        }
    }
    return {};
}

Status SnapshotWriter::flushChunk(const char *data, size_t size)
{
    ChunkRecord c;
    c.index = int(d->chunks.size());
    c.offset = d->offset;
    c.rawSize = qint64(size);
    XXH3_64bits_update(d->payloadHash.get(), data, size);
    Result<Codec> used = compressChunk(d->options.codec, d->options.level, data, size,
                                       d->compressed);
    if (!used.ok())
        return used.status();
    c.codec = *used;
    const char *stored = c.codec == Codec::None ? data : d->compressed.data();
    c.storedSize = c.codec == Codec::None ? qint64(size) : qint64(d->compressed.size());
    c.checksum = chunkChecksum(stored, size_t(c.storedSize));
    if (Status s = writeFully(d->fd.get(), stored, size_t(c.storedSize), d->partialPath); !s.ok())
        return s;
    d->offset += c.storedSize;
    d->info.rawSize += c.rawSize;
    d->info.storedSize += c.storedSize;
    d->chunks.push_back(c);
    return {};
}

Result<SnapshotInfo> SnapshotWriter::commit()
{
    if (!d->failed.ok() || d->finished)
        return d->failed.ok() ? Status::error(QStringLiteral("the snapshot is already committed"))
                              : d->failed;
    if (!d->buffer.empty()) {
        if (Status s = flushChunk(d->buffer.data(), d->buffer.size()); !s.ok())
            return fail(s);
        d->buffer = {};
    }
    if (d->info.rawSize == 0)
        return fail(Status::error(QStringLiteral("an empty snapshot cannot be saved")));

    // Ordering that makes a crash harmless: the payload is durable (fdatasync) and has its final
    // name (rename + directory fsync) before the row that points at it commits. A crash before the
    // commit leaves an unreferenced file, removed at the next open; after it, a complete snapshot.
    if (::fdatasync(d->fd.get()) != 0)
        return fail(errnoStatus(errno, QStringLiteral("syncing"), d->partialPath));
    if (::rename(QFile::encodeName(d->partialPath).constData(),
                 QFile::encodeName(d->finalPath).constData())
        != 0)
        return fail(errnoStatus(errno, QStringLiteral("renaming"), d->partialPath));
    if (Status s = syncDirectory(QFileInfo(d->finalPath).absolutePath()); !s.ok())
        return fail(s);

    d->info.payloadChecksum = hex64(XXH3_64bits_digest(d->payloadHash.get()));
    d->info.chunkCount = int(d->chunks.size());
    d->info.fileName = QFileInfo(d->finalPath).fileName();
    d->info.createdMs = QDateTime::currentMSecsSinceEpoch();
    d->info.lastUsedMs = d->info.createdMs;

    Database &db = *d->db;
    {
        Transaction tx(db);
        if (Status s = tx.begin(); !s.ok())
            return fail(s.context(QStringLiteral("saving snapshot")));
        Result<Statement> ins = Statement::prepare(
            db.handle(),
            "INSERT INTO snapshots (session_id, message_id, kind, model_fingerprint, state_format,"
            " prefix_hash, token_count, raw_size, stored_size, chunk_size, payload_checksum,"
            " file_name, created_ms, last_used_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        if (!ins.ok())
            return fail(ins.status());
        const SnapshotInfo &i = d->info;
        ins->bindIdOrNull(1, i.sessionId)
            .bindIdOrNull(2, i.messageId)
            .bind(3, i.kind)
            .bind(4, i.key.modelFingerprint)
            .bind(5, qint64(i.key.stateFormat))
            .bind(6, i.key.prefixHash)
            .bind(7, i.key.tokenCount)
            .bind(8, i.rawSize)
            .bind(9, i.storedSize)
            .bind(10, d->options.chunkSize)
            .bind(11, i.payloadChecksum)
            .bind(12, i.fileName)
            .bind(13, i.createdMs)
            .bind(14, i.lastUsedMs);
        if (Status s = ins->run(); !s.ok())
            return fail(s.context(QStringLiteral("saving snapshot")));
        d->info.id = sqlite3_last_insert_rowid(db.handle());
        Result<Statement> chunk
            = Statement::prepare(db.handle(),
                                 "INSERT INTO snapshot_chunks (snapshot_id, idx, offset, raw_size,"
                                 " stored_size, codec, checksum) VALUES (?,?,?,?,?,?,?)");
        if (!chunk.ok())
            return fail(chunk.status());
        for (const ChunkRecord &c : d->chunks) {
            chunk->reset();
            chunk->bind(1, d->info.id)
                .bind(2, c.index)
                .bind(3, c.offset)
                .bind(4, c.rawSize)
                .bind(5, c.storedSize)
                .bind(6, codecName(c.codec))
                .bind(7, qint64(c.checksum));
            if (Status s = chunk->run(); !s.ok())
                return fail(s.context(QStringLiteral("saving snapshot")));
        }
        if (Status s = tx.commit(); !s.ok())
            return fail(s.context(QStringLiteral("saving snapshot")));
    }
    // Committed: the file now belongs to the row; unlock it for readers and the collector.
    d->finished = true;
    d->fd.reset();
    d->buffer = {};
    d->compressed = {};
    d->info.chunkSize = d->options.chunkSize;

    Result<int> evicted = SnapshotStore(db).evict(d->policy, d->info.id);
    if (!evicted.ok())
        qCWarning(lcStorage) << "snapshot eviction failed:" << evicted.status().message();
    return d->info;
}

// --- SnapshotReader -----------------------------------------------------------------------------

SnapshotReader::SnapshotReader(std::unique_ptr<State> state)
    : d(std::move(state))
{}
SnapshotReader::~SnapshotReader() = default;

const SnapshotInfo &SnapshotReader::info() const
{
    return d->info;
}

qint64 SnapshotReader::bytesRead() const
{
    return d->bytesRead;
}

Status SnapshotReader::loadChunk(char *direct)
{
    const ChunkRecord &c = d->chunks[size_t(d->nextChunk)];
    // Uncompressed chunks may go straight into the caller's buffer; they are verified before
    // read() returns, so unverified bytes are never reported as read.
    char *target = direct;
    if (!target) {
        // The previous chunk's raw bytes are all handed out: its buffer takes the stored bytes,
        // so an uncompressed restore holds one chunk buffer, not two (see below).
        d->stored.swap(d->raw);
        d->stored.resize(size_t(c.storedSize));
        target = d->stored.data();
    }
    if (Status s = readFully(d->fd.get(), target, size_t(c.storedSize), off_t(c.offset), d->path);
        !s.ok())
        return s;
    if (chunkChecksum(target, size_t(c.storedSize)) != c.checksum)
        return Status::error(Status::Corrupt,
                             QStringLiteral("snapshot %1: chunk %2 of %3 does not match its "
                                            "checksum (the payload file is damaged)")
                                 .arg(d->info.id)
                                 .arg(c.index)
                                 .arg(d->chunks.size()));
    if (direct) {
        if (d->payloadHash)
            XXH3_64bits_update(d->payloadHash.get(), direct, size_t(c.rawSize));
    } else if (c.codec == Codec::None) {
        // The stored bytes are the raw bytes: hand the buffer over rather than copy a chunk.
        d->raw.swap(d->stored);
        if (d->payloadHash)
            XXH3_64bits_update(d->payloadHash.get(), d->raw.data(), d->raw.size());
        d->rawPos = 0;
        d->rawEnd = d->raw.size();
    } else {
        d->raw.resize(size_t(c.rawSize));
        if (Status s = decompressChunk(c.codec, d->stored.data(), d->stored.size(), d->raw.data(),
                                       d->raw.size());
            !s.ok())
            return s.context(QStringLiteral("snapshot %1 chunk %2").arg(d->info.id).arg(c.index));
        if (d->payloadHash)
            XXH3_64bits_update(d->payloadHash.get(), d->raw.data(), d->raw.size());
        d->rawPos = 0;
        d->rawEnd = d->raw.size();
    }
    ++d->nextChunk;
    if (d->nextChunk == int(d->chunks.size()) && d->payloadHash) {
        const QString sum = hex64(XXH3_64bits_digest(d->payloadHash.get()));
        if (sum != d->info.payloadChecksum)
            return Status::error(Status::Corrupt,
                                 QStringLiteral("snapshot %1: payload checksum %2, expected %3")
                                     .arg(d->info.id)
                                     .arg(sum, d->info.payloadChecksum));
    }
    return {};
}

Result<size_t> SnapshotReader::read(void *data, size_t size)
{
    if (!d->failed.ok())
        return d->failed;
    char *out = static_cast<char *>(data);
    size_t done = 0;
    while (done < size) {
        if (d->rawPos < d->rawEnd) {
            const size_t n = std::min(size - done, d->rawEnd - d->rawPos);
            std::memcpy(out + done, d->raw.data() + d->rawPos, n);
            d->rawPos += n;
            done += n;
            continue;
        }
        if (d->nextChunk >= int(d->chunks.size()))
            break;
        const ChunkRecord &c = d->chunks[size_t(d->nextChunk)];
        const bool direct = c.codec == Codec::None && size - done >= size_t(c.rawSize);
        if (Status s = loadChunk(direct ? out + done : nullptr); !s.ok()) {
            d->failed = s;
            return s;
        }
        if (direct)
            done += size_t(c.rawSize);
    }
    d->bytesRead += qint64(done);
    return done;
}

} // namespace folio::storage
