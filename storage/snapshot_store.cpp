// SnapshotStore: setting up writers and readers, lookup, listing, eviction (see snapshot_store.h).
#include "storage/snapshot_store.h"

#include "storage/chunk_codec.h"
#include "storage/database.h"
#include "storage/logging.h"
#include "storage/settings_store.h"
#include "storage/snapshot_state.h"
#include "storage/sqlite.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QSet>
#include <QUuid>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace folio::storage {

static_assert(std::endian::native == std::endian::little,
              "prefixHash() hashes the in-memory int32 token ids as little-endian bytes");

QString prefixHash(std::span<const int32_t> tokens)
{
    const XXH128_hash_t h = XXH3_128bits(tokens.data(), tokens.size_bytes());
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(c.digest), 16).toHex());
}

namespace {

constexpr const char *kColumns
    = "SELECT s.id, s.session_id, s.message_id, s.kind, s.model_fingerprint, s.state_format,"
      " s.prefix_hash, s.token_count, s.raw_size, s.stored_size, s.chunk_size, s.payload_checksum,"
      " s.file_name, s.created_ms, s.last_used_ms,"
      " (SELECT count(*) FROM snapshot_chunks c WHERE c.snapshot_id = s.id) FROM snapshots s ";

SnapshotInfo readInfo(const Statement &st)
{
    SnapshotInfo i;
    i.id = st.int64(0);
    i.sessionId = st.int64(1);
    i.messageId = st.int64(2);
    i.kind = st.text(3);
    i.key.modelFingerprint = st.text(4);
    i.key.stateFormat = quint32(st.int64(5));
    i.key.prefixHash = st.text(6);
    i.key.tokenCount = st.int64(7);
    i.rawSize = st.int64(8);
    i.storedSize = st.int64(9);
    i.chunkSize = st.int64(10);
    i.payloadChecksum = st.text(11);
    i.fileName = st.text(12);
    i.createdMs = st.int64(13);
    i.lastUsedMs = st.int64(14);
    i.chunkCount = int(st.int64(15));
    return i;
}

} // namespace

Result<std::vector<SnapshotInfo>> SnapshotStore::query(const char *where, qint64 arg)
{
    const QByteArray sql = QByteArray(kColumns) + where;
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    if (arg)
        st->bind(1, arg);
    std::vector<SnapshotInfo> out;
    for (;;) {
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            return out;
        out.push_back(readInfo(*st));
    }
}

Result<SnapshotInfo> SnapshotStore::get(qint64 id)
{
    Result<std::vector<SnapshotInfo>> r = query("WHERE s.id = ?", id);
    if (!r.ok())
        return r.status();
    if (r->empty())
        return Status::error(Status::NotFound, QStringLiteral("no snapshot %1").arg(id));
    return r->front();
}

Result<std::vector<SnapshotInfo>> SnapshotStore::list(qint64 sessionId)
{
    if (sessionId)
        return query("WHERE s.session_id = ? ORDER BY s.created_ms DESC, s.id DESC", sessionId);
    return query("ORDER BY s.created_ms DESC, s.id DESC", 0);
}

Result<qint64> SnapshotStore::totalStoredBytes()
{
    return m_db.queryInt(QStringLiteral("SELECT coalesce(sum(stored_size), 0) FROM snapshots"));
}

Result<std::unique_ptr<SnapshotWriter>> SnapshotStore::beginWrite(
    const SnapshotInfo &meta, const SnapshotWriteOptions &options)
{
    if (meta.key.modelFingerprint.isEmpty() || meta.key.prefixHash.isEmpty()
        || meta.key.tokenCount <= 0)
        return Status::error(QStringLiteral("a snapshot needs a model fingerprint, a prefix hash "
                                            "and a positive token count"));
    if (options.chunkSize < 4096 || options.chunkSize > (qint64(1) << 30))
        return Status::error(QStringLiteral("snapshot chunk size %1 is outside 4 KiB .. 1 GiB")
                                 .arg(options.chunkSize));
    const QString dir = m_db.payloadDirectory();
    if (!QDir().mkpath(dir))
        return Status::error(Status::Io, QStringLiteral("cannot create %1").arg(dir));

    auto state = std::make_unique<SnapshotWriter::State>();
    state->db = &m_db;
    state->policy = m_policy;
    state->options = options;
    state->info = meta;
    state->info.id = 0;
    state->info.rawSize = state->info.storedSize = 0;
    if (state->info.kind.isEmpty())
        state->info.kind = QStringLiteral("prefix");
    state->payloadHash.reset(XXH3_createState());
    if (!state->payloadHash || XXH3_64bits_reset(state->payloadHash.get()) != XXH_OK)
        return Status::error(QStringLiteral("out of memory for the snapshot checksum"));

    // Create and lock the payload file. The collector may unlink a just-created file in the instant
    // before our flock; a file with no links left is retried under a new name.
    for (int attempt = 0; attempt < 5 && !state->fd.valid(); ++attempt) {
        const QString base = QUuid::createUuid().toString(QUuid::WithoutBraces);
        state->partialPath = QDir(dir).filePath(base + QStringLiteral(".partial"));
        state->finalPath = QDir(dir).filePath(base + QStringLiteral(".fsnap"));
        const QByteArray native = QFile::encodeName(state->partialPath);
        FileDescriptor fd(::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd.valid())
            return errnoStatus(errno, QStringLiteral("creating"), state->partialPath);
        if (::flock(fd.get(), LOCK_EX) != 0)
            return errnoStatus(errno, QStringLiteral("locking"), state->partialPath);
        struct stat st;
        if (::fstat(fd.get(), &st) == 0 && st.st_nlink > 0)
            state->fd = std::move(fd);
    }
    if (!state->fd.valid())
        return Status::error(Status::Io,
                             QStringLiteral("cannot create a payload file in %1").arg(dir));
    state->buffer.reserve(size_t(options.chunkSize));
    return std::unique_ptr<SnapshotWriter>(new SnapshotWriter(std::move(state)));
}

Result<std::unique_ptr<SnapshotReader>> SnapshotStore::openReader(qint64 id, bool wholePayload)
{
    Result<SnapshotInfo> info = get(id);
    if (!info.ok())
        return info.status();
    auto state = std::make_unique<SnapshotReader::State>();
    state->info = *info;
    state->path = QDir(m_db.payloadDirectory()).filePath(info->fileName);
    Result<Statement> st = Statement::prepare(m_db.handle(),
                                              "SELECT idx, offset, raw_size, stored_size, codec,"
                                              " checksum FROM snapshot_chunks WHERE snapshot_id = ?"
                                              " ORDER BY idx");
    if (!st.ok())
        return st.status();
    st->bind(1, id);
    qint64 expectedOffset = 0, rawTotal = 0;
    for (;;) {
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            break;
        ChunkRecord c;
        c.index = int(st->int64(0));
        c.offset = st->int64(1);
        c.rawSize = st->int64(2);
        c.storedSize = st->int64(3);
        c.checksum = uint64_t(st->int64(5));
        const bool codecOk = parseCodec(st->text(4), &c.codec);
        // An uncompressed chunk's stored bytes are its raw bytes; the reader relies on it (it
        // reads them straight into the caller's buffer, or hands its buffer over).
        if (!codecOk || c.index != int(state->chunks.size()) || c.offset != expectedOffset
            || c.rawSize <= 0 || c.storedSize <= 0
            || (c.codec == Codec::None && c.storedSize != c.rawSize))
            return Status::error(Status::Corrupt,
                                 QStringLiteral(
                                     "snapshot %1: chunk table is inconsistent at chunk %2")
                                     .arg(id)
                                     .arg(c.index));
        expectedOffset += c.storedSize;
        rawTotal += c.rawSize;
        state->chunks.push_back(c);
    }
    if (state->chunks.empty() || rawTotal != info->rawSize || expectedOffset != info->storedSize)
        return Status::error(Status::Corrupt,
                             QStringLiteral("snapshot %1: chunk table does not add up to its size")
                                 .arg(id));
    state->fd = FileDescriptor(
        ::open(QFile::encodeName(state->path).constData(), O_RDONLY | O_CLOEXEC));
    if (!state->fd.valid())
        return Status::error(errno == ENOENT ? Status::Corrupt : Status::Io,
                             QStringLiteral("snapshot %1: payload file %2: %3")
                                 .arg(id)
                                 .arg(state->path, QString::fromLocal8Bit(strerror(errno))));
    struct stat fst;
    if (::fstat(state->fd.get(), &fst) != 0 || fst.st_size != info->storedSize)
        return Status::error(Status::Corrupt,
                             QStringLiteral("snapshot %1: payload file has %2 bytes, expected %3")
                                 .arg(id)
                                 .arg(qint64(fst.st_size))
                                 .arg(info->storedSize));
    // Sequential reads of GB-sized files: tell the kernel to read ahead aggressively.
    ::posix_fadvise(state->fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    if (wholePayload) {
        state->payloadHash.reset(XXH3_createState());
        if (!state->payloadHash || XXH3_64bits_reset(state->payloadHash.get()) != XXH_OK)
            return Status::error(QStringLiteral("out of memory for the snapshot checksum"));
    }
    return std::unique_ptr<SnapshotReader>(new SnapshotReader(std::move(state)));
}

Result<std::unique_ptr<SnapshotReader>> SnapshotStore::open(qint64 id)
{
    return openReader(id, true);
}

Result<std::unique_ptr<SnapshotReader>> SnapshotStore::openForRestore(qint64 id,
                                                                      const SnapshotKey &expected)
{
    // Restore checks every chunk (checksum and size) but not the whole-payload hash: with the chunk
    // table checked for contiguity and totals, that second pass over multi-GB data adds nothing
    // but CPU time on the path the user waits for.
    Result<std::unique_ptr<SnapshotReader>> reader = openReader(id, false);
    if (!reader.ok())
        return reader.status();
    const SnapshotKey &k = (*reader)->info().key;
    QStringList diffs;
    if (k.modelFingerprint != expected.modelFingerprint)
        diffs << QStringLiteral("model fingerprint %1 vs %2")
                     .arg(k.modelFingerprint, expected.modelFingerprint);
    if (k.stateFormat != expected.stateFormat)
        diffs << QStringLiteral("state format %1 vs %2").arg(k.stateFormat).arg(expected.stateFormat);
    if (k.tokenCount != expected.tokenCount)
        diffs << QStringLiteral("token count %1 vs %2").arg(k.tokenCount).arg(expected.tokenCount);
    if (k.prefixHash != expected.prefixHash)
        diffs << QStringLiteral("prefix hash %1 vs %2").arg(k.prefixHash, expected.prefixHash);
    if (!diffs.isEmpty())
        return Status::error(Status::Mismatch,
                             QStringLiteral("snapshot %1 does not match (stored vs wanted): %2")
                                 .arg(id)
                                 .arg(diffs.join(QStringLiteral(", "))));
    // LRU bookkeeping; failing to record a use must not fail the restore.
    Result<Statement> touch
        = Statement::prepare(m_db.handle(), "UPDATE snapshots SET last_used_ms = ? WHERE id = ?");
    if (touch.ok()) {
        touch->bind(1, QDateTime::currentMSecsSinceEpoch()).bind(2, id);
        if (Status s = touch->run(); !s.ok())
            qCWarning(lcStorage) << "recording snapshot use:" << s.message();
    }
    return reader;
}

Status SnapshotStore::verify(qint64 id)
{
    Result<std::unique_ptr<SnapshotReader>> reader = openReader(id, true);
    if (!reader.ok())
        return reader.status();
    std::vector<char> buf(size_t(std::min<qint64>((*reader)->info().chunkSize, qint64(64) << 20)));
    for (;;) {
        Result<size_t> n = (*reader)->read(buf.data(), buf.size());
        if (!n.ok())
            return n.status();
        if (*n == 0)
            return {};
    }
}

Result<std::optional<SnapshotInfo>> SnapshotStore::findLongestPrefix(
    const QString &modelFingerprint, quint32 stateFormat, std::vector<PrefixCandidate> candidates)
{
    std::sort(candidates.begin(), candidates.end(),
              [](const PrefixCandidate &a, const PrefixCandidate &b) {
                  return a.tokenCount > b.tokenCount;
              });
    const QByteArray sql = QByteArray(kColumns)
                           + "WHERE s.model_fingerprint = ? AND s.state_format = ? AND"
                             " s.token_count = ? AND s.prefix_hash = ?"
                             " ORDER BY s.created_ms DESC, s.id DESC LIMIT 1";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    for (const PrefixCandidate &c : candidates) {
        st->reset();
        st->bind(1, modelFingerprint)
            .bind(2, qint64(stateFormat))
            .bind(3, c.tokenCount)
            .bind(4, c.prefixHash);
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (*row)
            return std::optional<SnapshotInfo>(readInfo(*st));
    }
    return std::optional<SnapshotInfo>();
}

Result<std::optional<SnapshotInfo>> SnapshotStore::findLongestPrefix(
    const QString &modelFingerprint, quint32 stateFormat, std::span<const int32_t> tokens)
{
    // Only the lengths some snapshot of this model has are worth hashing.
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "SELECT DISTINCT token_count FROM snapshots WHERE model_fingerprint = ?"
                       " AND state_format = ? AND token_count <= ? ORDER BY token_count");
    if (!st.ok())
        return st.status();
    st->bind(1, modelFingerprint).bind(2, qint64(stateFormat)).bind(3, qint64(tokens.size()));
    std::vector<PrefixCandidate> candidates;
    for (;;) {
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            break;
        const qint64 n = st->int64(0);
        if (n > 0)
            candidates.push_back({n, prefixHash(tokens.first(size_t(n)))});
    }
    return findLongestPrefix(modelFingerprint, stateFormat, std::move(candidates));
}

Status SnapshotStore::remove(qint64 id)
{
    Result<SnapshotInfo> info = get(id);
    if (!info.ok())
        return info.status();
    Result<Statement> del = Statement::prepare(m_db.handle(), "DELETE FROM snapshots WHERE id = ?");
    if (!del.ok())
        return del.status();
    del->bind(1, id);
    if (Status s = del->run(); !s.ok())
        return s.context(QStringLiteral("deleting snapshot %1").arg(id));
    // The row is gone (committed): the file is an orphan now. A reader that has it open keeps
    // reading (POSIX unlink semantics); a failed unlink is retried by the collector.
    ::unlink(QFile::encodeName(QDir(m_db.payloadDirectory()).filePath(info->fileName)).constData());
    return {};
}

Result<int> SnapshotStore::removeSuperseded(const SnapshotInfo &written,
                                            std::span<const int32_t> tokens, int keepPerBranch)
{
    if (written.key.tokenCount != qint64(tokens.size()))
        return Status::error(Status::Mismatch,
                             QStringLiteral("removeSuperseded: %1 tokens for a snapshot of %2")
                                 .arg(tokens.size())
                                 .arg(written.key.tokenCount));
    Result<std::vector<SnapshotInfo>> all = written.sessionId
                                                ? list(written.sessionId)
                                                : query("WHERE s.session_id IS NULL"
                                                        " ORDER BY s.created_ms DESC, s.id DESC",
                                                        0);
    if (!all.ok())
        return all.status();
    int answersKept = 1; // `written`
    int removed = 0;
    for (const SnapshotInfo &s : *all) { // newest first
        if (s.id == written.id || s.key.modelFingerprint != written.key.modelFingerprint
            || s.key.stateFormat != written.key.stateFormat || s.key.tokenCount <= 0
            || s.key.tokenCount >= written.key.tokenCount
            || s.key.prefixHash != prefixHash(tokens.first(size_t(s.key.tokenCount))))
            continue;
        bool drop = false;
        if (s.kind == QLatin1String("checkpoint"))
            drop = true;
        else if (s.kind == QLatin1String("answer") && keepPerBranch > 0)
            drop = answersKept++ >= keepPerBranch;
        if (!drop)
            continue;
        if (Status st = remove(s.id); !st.ok())
            return st;
        ++removed;
    }
    return removed;
}

Status SnapshotStore::tieToTurn(std::span<const qint64> ids, qint64 sessionId, qint64 questionId,
                                qint64 answerId)
{
    if (sessionId <= 0)
        return Status::error(QStringLiteral("tying snapshots to a turn needs its session"));
    {
        Transaction tx(m_db);
        if (Status s = tx.begin(); !s.ok())
            return s;
        Result<Statement> st = Statement::prepare(
            m_db.handle(),
            "UPDATE snapshots SET session_id = ?1, message_id = CASE kind"
            " WHEN 'prefix' THEN NULL WHEN 'answer' THEN coalesce(?3, ?2) ELSE ?2 END"
            " WHERE id = ?4");
        if (!st.ok())
            return st.status();
        for (qint64 id : ids) {
            st->reset();
            st->bind(1, sessionId).bindIdOrNull(2, questionId).bindIdOrNull(3, answerId).bind(4, id);
            // A snapshot evicted meanwhile matches no row: nothing to tie.
            if (Status s = st->run(); !s.ok())
                return s.context(
                    QStringLiteral("tying snapshot %1 to session %2").arg(id).arg(sessionId));
        }
        if (Status s = tx.commit(); !s.ok())
            return s;
    }
    // Now on their branch: the per-branch rule applies to them (the database's stored policy).
    Result<EvictionPolicy> policy = storedEvictionPolicy(m_db);
    if (!policy.ok())
        return policy.status();
    Result<int> evicted = evict(*policy);
    return evicted.ok() ? Status() : evicted.status();
}

Result<QSet<qint64>> SnapshotStore::beyondBranchQuota(qint64 sessionId, int keepPerBranch)
{
    // The message tree as parent links, and each message's depth (a root question is 1; the
    // sources' prefix, "no message", is 0).
    QHash<qint64, qint64> parentOf;
    QSet<qint64> hasChild;
    Result<Statement> msgs = Statement::prepare(
        m_db.handle(), "SELECT id, coalesce(parent_id, 0) FROM messages WHERE session_id = ?");
    if (!msgs.ok())
        return msgs.status();
    msgs->bind(1, sessionId);
    for (;;) {
        Result<bool> row = msgs->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            break;
        parentOf.insert(msgs->int64(0), msgs->int64(1));
        hasChild.insert(msgs->int64(1));
    }
    auto depthOf = [&](qint64 message) {
        int depth = 0;
        for (qint64 m = message; m != 0 && depth <= parentOf.size(); m = parentOf.value(m))
            ++depth;
        return depth;
    };
    Result<std::vector<SnapshotInfo>> snaps = list(sessionId); // newest first
    if (!snaps.ok())
        return snaps.status();
    QHash<qint64, int> depth; // snapshot id -> depth of its message
    for (const SnapshotInfo &s : *snaps)
        depth.insert(s.id, depthOf(s.messageId));

    QSet<qint64> keep;
    auto keepFirst = [&](std::vector<const SnapshotInfo *> &candidates, auto before) {
        // `candidates` is newest first; the stable sort keeps that order among equals.
        std::stable_sort(candidates.begin(), candidates.end(), before);
        for (size_t i = 0; i < candidates.size() && i < size_t(keepPerBranch); ++i)
            keep.insert(candidates[i]->id);
    };
    // The sources' branch: the newest states of the sources' prefix (a "prefix" snapshot, or the
    // checkpoint of a sources' prefill still under way: the newest is the current sources). An
    // "answer" after no message is one whose turn is not stored yet (a new session's first
    // answer): it holds a branch, not the prefix, and must not displace the prefix.
    std::vector<const SnapshotInfo *> root;
    for (const SnapshotInfo &s : *snaps)
        if (s.messageId == 0 && s.kind != QLatin1String("answer"))
            root.push_back(&s);
    keepFirst(root, [](const SnapshotInfo *, const SnapshotInfo *) { return false; });
    // Every branch root -> leaf: the snapshots taken on its path, the one farthest along it first
    // (it holds the most of this branch), the newest first at the same message. Why not simply the
    // newest: a snapshot not yet tied to its answer (written with the branch tip it continued,
    // EngineBackend) sits at a shared message, and must not displace a deeper branch's own.
    for (auto it = parentOf.cbegin(); it != parentOf.cend(); ++it) {
        if (hasChild.contains(it.key()))
            continue; // not a leaf
        QSet<qint64> path;
        for (qint64 m = it.key(); m != 0 && !path.contains(m); m = parentOf.value(m))
            path.insert(m);
        std::vector<const SnapshotInfo *> onPath;
        for (const SnapshotInfo &s : *snaps)
            if (s.messageId == 0 || path.contains(s.messageId))
                onPath.push_back(&s);
        keepFirst(onPath, [&](const SnapshotInfo *a, const SnapshotInfo *b) {
            return depth.value(a->id) > depth.value(b->id);
        });
    }
    QSet<qint64> doomed;
    for (const SnapshotInfo &s : *snaps)
        if (!keep.contains(s.id))
            doomed.insert(s.id);
    return doomed;
}

Result<int> SnapshotStore::evict(const EvictionPolicy &policy, qint64 keepId)
{
    QSet<qint64> doomed;
    if (policy.keepPerBranch > 0) {
        Result<Statement> sessions = Statement::prepare(
            m_db.handle(),
            "SELECT DISTINCT session_id FROM snapshots WHERE session_id IS NOT NULL");
        if (!sessions.ok())
            return sessions.status();
        std::vector<qint64> sessionIds;
        for (;;) {
            Result<bool> row = sessions->step();
            if (!row.ok())
                return row.status();
            if (!*row)
                break;
            sessionIds.push_back(sessions->int64(0));
        }
        for (qint64 sid : sessionIds) {
            Result<QSet<qint64>> beyond = beyondBranchQuota(sid, policy.keepPerBranch);
            if (!beyond.ok())
                return beyond.status();
            doomed.unite(*beyond);
        }
        doomed.remove(keepId);
    }
    int removed = 0;
    for (qint64 id : std::as_const(doomed)) {
        if (Status s = remove(id); !s.ok())
            return s;
        ++removed;
    }
    if (policy.maxTotalBytes > 0) {
        Result<qint64> total = totalStoredBytes();
        if (!total.ok())
            return total.status();
        if (*total > policy.maxTotalBytes) {
            Result<std::vector<SnapshotInfo>> lru
                = query("WHERE s.id != ? ORDER BY s.last_used_ms ASC, s.id ASC",
                        keepId ? keepId : -1);
            if (!lru.ok())
                return lru.status();
            qint64 left = *total;
            for (const SnapshotInfo &s : *lru) {
                if (left <= policy.maxTotalBytes)
                    break;
                if (Status st = remove(s.id); !st.ok())
                    return st;
                left -= s.storedSize;
                ++removed;
            }
            if (left > policy.maxTotalBytes)
                qCWarning(lcStorage) << "snapshot" << keepId << "alone exceeds the size cap of"
                                     << policy.maxTotalBytes << "bytes";
        }
    }
    return removed;
}

Result<int> SnapshotStore::collectGarbage()
{
    return removeOrphanPayloads(m_db);
}

namespace {
const QString kKeepPerBranch = QStringLiteral("snapshots.keep_per_branch");
const QString kMaxTotalBytes = QStringLiteral("snapshots.max_total_bytes");
} // namespace

Result<EvictionPolicy> storedEvictionPolicy(Database &db)
{
    EvictionPolicy p;
    SettingsStore settings(db);
    Result<std::optional<QString>> keep = settings.value(kKeepPerBranch);
    if (!keep.ok())
        return keep.status();
    Result<std::optional<QString>> cap = settings.value(kMaxTotalBytes);
    if (!cap.ok())
        return cap.status();
    bool ok = true;
    if (keep->has_value())
        p.keepPerBranch = std::max(0, (*keep)->toInt(&ok));
    if (ok && cap->has_value())
        p.maxTotalBytes = std::max<qint64>(0, (*cap)->toLongLong(&ok));
    if (!ok)
        return Status::error(Status::Corrupt, QStringLiteral("settings %1 / %2 are not numbers")
                                                  .arg(kKeepPerBranch, kMaxTotalBytes));
    return p;
}

Status storeEvictionPolicy(Database &db, const EvictionPolicy &policy)
{
    SettingsStore settings(db);
    if (Status s = settings.setValue(kKeepPerBranch, QString::number(policy.keepPerBranch)); !s.ok())
        return s;
    return settings.setValue(kMaxTotalBytes, QString::number(policy.maxTotalBytes));
}

} // namespace folio::storage
