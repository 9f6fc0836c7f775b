// SnapshotStore: the KV snapshots of folio.db — writing (through SnapshotWriter), restoring with
// verification (through SnapshotReader), prefix lookup for branching, listing, eviction and
// clean-up. A snapshot is keyed by (model fingerprint, engine state-format version, hash of the
// exact prefix token ids); see docs/storage.md for when the app takes them.
//
// Prefix reuse: the app asks for "the longest stored snapshot whose prefix is a prefix of these
// tokens, for this model", either with the token ids (the store hashes the prefixes of the stored
// lengths itself) or with precomputed (length, hash) candidates.
#pragma once

#include "storage/snapshot_stream.h"
#include "storage/status.h"
#include "storage/types.h"

#include <QSet>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace folio::storage {

class Database;

// XXH3-128 of the token ids (int32, little-endian), 32 hex digits: SnapshotKey::prefixHash.
QString prefixHash(std::span<const int32_t> tokens);

struct PrefixCandidate
{
    qint64 tokenCount = 0;
    QString prefixHash;
};

class SnapshotStore
{
public:
    explicit SnapshotStore(Database &db)
        : m_db(db)
    {}

    void setEvictionPolicy(const EvictionPolicy &policy) { m_policy = policy; }
    const EvictionPolicy &evictionPolicy() const { return m_policy; }

    // Starts a snapshot. `meta` gives the session, message, kind and key (key.tokenCount > 0);
    // ids and sizes are filled in by commit().
    Result<std::unique_ptr<SnapshotWriter>> beginWrite(const SnapshotInfo &meta,
                                                       const SnapshotWriteOptions &options = {});
    // Opens snapshot `id` for restoring into a session whose state must have key `expected`:
    // Mismatch when fingerprint, state format, prefix hash or token count differ. Marks it used.
    // Every chunk's checksum and size are verified as it is read.
    Result<std::unique_ptr<SnapshotReader>> openForRestore(qint64 id, const SnapshotKey &expected);
    // Opens without a key check (export, verify); also checks the whole-payload XXH3 at the end.
    Result<std::unique_ptr<SnapshotReader>> open(qint64 id);
    // Reads the whole payload and checks every chunk and the total checksum.
    Status verify(qint64 id);

    Result<SnapshotInfo> get(qint64 id);
    // All snapshots (sessionId 0) or those of one session, newest first.
    Result<std::vector<SnapshotInfo>> list(qint64 sessionId = 0);
    Result<qint64> totalStoredBytes();

    // The longest snapshot for this model and state format among `candidates`.
    Result<std::optional<SnapshotInfo>> findLongestPrefix(const QString &modelFingerprint,
                                                          quint32 stateFormat,
                                                          std::vector<PrefixCandidate> candidates);
    // The same, given the token ids of the context the caller is about to run.
    Result<std::optional<SnapshotInfo>> findLongestPrefix(const QString &modelFingerprint,
                                                          quint32 stateFormat,
                                                          std::span<const int32_t> tokens);

    Status remove(qint64 id);
    // Newest-per-branch by tokens rather than by the message tree (the engine backend runs it
    // after every write, for snapshots of a session or of none): after `written` was committed for `tokens`
    // (its exact prefix), the snapshots of the same model, state format and session whose prefix
    // is a proper prefix of `tokens` are its ancestors on one branch. Every ancestor of kind
    // "checkpoint" goes (a resumption point of a prefill that has now finished), and of the
    // ancestors of kind "answer" only the newest `keepPerBranch - 1` stay (`written` counts as
    // one; 0 keeps them all). "prefix" snapshots — the sources' state every branch starts from —
    // stay. Returns how many went.
    Result<int> removeSuperseded(const SnapshotInfo &written, std::span<const int32_t> tokens,
                                 int keepPerBranch);
    // Ties snapshots a request wrote (EngineBackend's PrefixStats::snapshotIds) to the turn it
    // answered, once that turn is stored: "prefix" snapshots to the session with no message (the
    // sources' prefix), "answer" ones to `answerId` (the state after it; `questionId` when 0),
    // the rest (checkpoints of the prefill) to `questionId`. Ids no longer stored (evicted
    // meanwhile) are skipped. One transaction; then the database's stored eviction policy runs,
    // so the per-branch rule sees them on their branch.
    Status tieToTurn(std::span<const qint64> ids, qint64 sessionId, qint64 questionId,
                     qint64 answerId);
    // Applies `policy` (by default the store's), never removing `keepId`. Returns how many went.
    // Per session (keepPerBranch > 0): the sources' branch (the newest `keepPerBranch` snapshots
    // after no message that are not answers) and every branch root -> leaf of the message tree
    // (its `keepPerBranch` snapshots taken farthest along it, the newest first at the same
    // message) keep theirs; the session's other snapshots go. Snapshots of no session only count
    // against the size cap (maxTotalBytes, LRU).
    Result<int> evict(const EvictionPolicy &policy, qint64 keepId = 0);
    Result<int> evict() { return evict(m_policy); }
    // Removes payload files no committed row refers to (crashed writers, deleted sessions).
    Result<int> collectGarbage();

private:
    Result<std::unique_ptr<SnapshotReader>> openReader(qint64 id, bool wholePayload);
    Result<std::vector<SnapshotInfo>> query(const char *where, qint64 arg);
    // The snapshots of `sessionId` that no branch keeps under the per-branch rule (evict()).
    Result<QSet<qint64>> beyondBranchQuota(qint64 sessionId, int keepPerBranch);

    Database &m_db;
    EvictionPolicy m_policy;
};

// The eviction policy stored in the database's settings, shared by every process using the file
// (`snapshots.keep_per_branch`, `snapshots.max_total_bytes`); defaults where unset.
Result<EvictionPolicy> storedEvictionPolicy(Database &db);
Status storeEvictionPolicy(Database &db, const EvictionPolicy &policy);

} // namespace folio::storage
