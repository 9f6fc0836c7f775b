// The server's ChatBackend on Folio's own engine: renders the request in the V4 chat format,
// tokenizes it, reuses the longest cached prefix of its tokens, prefills the rest in chunks
// (polling cancellation between chunks), samples, and streams decoded text split into reasoning
// and answer at </think>.
//
// Prompt-prefix reuse: the engine has no rollback, so states are kept where a later request is
// likely to continue — the live session (prompt + answer: a client that resends the conversation
// with one more turn continues from it), a fork at the end of the last prompt (the same
// conversation asked again with other sampling), and a fork at the end of the leading system
// messages (Folio's sources prefix: a new question on the same sources). A request continues
// from the longest of these whose tokens are a prefix of its own; only the rest is prefilled.
// Memory: each fork holds a copy of the state (3.5 KB per token for V4-Flash).
//
// Persistent snapshots (Options::snapshots, docs/storage.md "When the app takes snapshots"): with
// a database, the backend also restores the longest KV snapshot in folio.db whose prefix the
// prompt continues when it is longer than any state in memory (key: model fingerprint, engine
// state-format version, hash of the exact token prefix; a failed checksum or load is reported in
// lastPrefix().snapshotProblem, the snapshot removed, and the prompt prefilled instead), and it
// stores snapshots — streamed from the engine into the chunked writer, never copied whole —
// after the sources' prefill ("prefix"), every `checkpointEvery` tokens of a long prefill
// ("checkpoint": a cancelled or crashed prefill resumes from the last one), and after an answer
// while the state is small ("answer"). Older checkpoints and answers on the same branch go once a
// newer state supersedes them; the database's size cap (LRU) applies after every write. A request
// that names its stored session and branch tip (GenerationRequest::snapshotSession) gets its
// snapshots tied to them: deleting the session deletes them, and the per-branch rule of the
// message tree applies once the caller ties them to the stored turn (lastPrefix().snapshotIds,
// SnapshotStore::tieToTurn). This is
// the one implementation of "the local engine with a prefix/KV cache": the server, `folio-cli
// ask`/`chat` and the GUI (InferenceService) all run on it.
#pragma once

#include "app/server/server_backend.h"

#include "folio/engine.h"
#include "folio/tokenizer.h"
#include "storage/snapshot_stream.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

namespace folio::storage {
class Database;
class SnapshotStore;
} // namespace folio::storage

namespace folio::server {

// Where a request's prompt state came from.
enum class PrefixReuse {
    Prefilled, // nothing reusable: the whole prompt was prefilled
    Memory,    // a state the backend still held (the last answer, prompt or sources prefix)
    Snapshot,  // restored from a KV snapshot in folio.db
};

// What the backend did with the prompt of the last request (EngineBackend::lastPrefix()).
struct PrefixStats
{
    PrefixReuse reuse = PrefixReuse::Prefilled;
    qint64 reusedTokens = 0;    // prompt tokens whose state was reused (memory or snapshot)
    qint64 prefilledTokens = 0; // prompt tokens this request ran through the model
    qint64 snapshotId = 0;      // the snapshot restored (reuse == Snapshot)
    double restoreSeconds = 0;  // reading, verifying and loading it
    // A stored snapshot that matched but could not be used (a chunk checksum, a truncated file, a
    // state the engine refused), and what happened: it was removed and the prompt prefilled.
    QString snapshotProblem;
    int snapshotsWritten = 0; // checkpoints, prefix and answer snapshots this request stored
    // Their ids, in the order written (some may be gone again: a later one superseded them).
    // Once the caller has stored the turn, SnapshotStore::tieToTurn() ties them to it.
    std::vector<qint64> snapshotIds;
    QString snapshotWriteError; // a snapshot that could not be stored (the answer went on)

    // "snapshot", "memory" or "" (prefilled): AnswerOutcome::reuse, the stats' prefix_reuse.
    static QString reuseName(PrefixReuse reuse);
};

// KV snapshots in folio.db (see above). The backend opens its own connection on the
// generating thread at the first request; a database that cannot be opened is reported
// in lastPrefix().snapshotWriteError and the backend goes on without snapshots.
struct SnapshotOptions
{
    QString databasePath;           // folio.db; empty: states are reused from memory only
    qint64 checkpointEvery = 65536; // prefill tokens between checkpoints; 0: none
    qint64 minTokens = 2048;        // shorter states are not worth a file: prefilled again
    // The state after an answer is stored while it holds at most this many bytes (the
    // write costs about as much as reading it back; 256 MiB is ~75K V4-Flash tokens);
    // 0: never. Not in thinking mode: the next prompt drops the answer's reasoning, so
    // that state is never a prefix of it.
    qint64 answerMaxBytes = qint64(256) << 20;
    // Replaces the database's policy (settings snapshots.keep_per_branch and
    // snapshots.max_total_bytes, storedEvictionPolicy()) when set.
    std::optional<storage::EvictionPolicy> eviction;
    storage::SnapshotWriteOptions write; // chunk size, codec
};

class EngineBackend : public ChatBackend
{
public:
    struct Options
    {
        std::string modelId;    // listed by /v1/models; default: the model directory's name
        int prefillChunk = 512; // tokens per prefill call: the cancellation granularity
        // Where the engine runs (LoadOptions device, gpus, expert cache); load()'s `threads`.
        LoadOptions engine;
        SamplingParams defaults = defaultSampling();
        // Called on the generating thread after each prefill chunk: tokens done of those to
        // prefill in this request (the CLI's progress bar).
        std::function<void(std::size_t done, std::size_t total)> prefillProgress;
        // Called on the generating thread while a KV snapshot is read back (restoring == true:
        // bytes read of the snapshot's total) or written (bytes written; total 0, since the
        // stream's length is known only at its end): once with done 0 when it starts, every few
        // MiB, and once at the end.
        std::function<void(bool restoring, std::uint64_t done, std::uint64_t total)> snapshotProgress;
        SnapshotOptions snapshots; // KV snapshots in folio.db (see above)
        static SamplingParams defaultSampling();
    };

    // Loads the model and its tokenizer.json from `modelDir`.
    static Result<std::shared_ptr<EngineBackend>> load(const std::string &modelDir, Options options,
                                                       int threads = 0);
    EngineBackend(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
                  Options options);
    ~EngineBackend() override;

    std::string modelId() const override { return m_options.modelId; }
    int contextTokens() const override;
    std::variant<GenerationResult, Failure> generate(const GenerationRequest &request,
                                                     const DeltaSink &onDelta,
                                                     const CancelToken &cancel) override;

    const std::shared_ptr<const Model> &model() const { return m_model; }
    const std::shared_ptr<const Tokenizer> &tokenizer() const { return m_tokenizer; }
    // How the last generate() got its prompt state, and the snapshots it stored.
    const PrefixStats &lastPrefix() const { return m_lastPrefix; }
    // Tokens the live state holds after the last request (its prompt and fed-back answer).
    std::int64_t liveTokens() const;

private:
    struct Cached
    {
        std::unique_ptr<Session> session;
        std::vector<int> tokens; // what the state holds, in order
    };
    // Makes m_live the longest reusable state for `ids` (in memory or from a snapshot) and
    // returns how many of its tokens it holds.
    size_t resume(const std::vector<int> &ids);
    // Prefills tokens[from, to) in chunks; Last logits after the final chunk when `wantLogits`.
    // Stores a checkpoint snapshot each time the position passes a multiple of checkpointEvery.
    Status prefillRange(Session &s, const std::vector<int> &tokens, size_t from, size_t to,
                        bool wantLogits, const CancelToken &cancel);
    // Streams the state of `s` (holding tokens[0, count)) into a snapshot of `kind`, tied to the
    // request's session and branch tip (m_owner), and removes what it supersedes; failures go to
    // m_lastPrefix.snapshotWriteError.
    void storeSnapshot(const Session &s, const std::vector<int> &tokens, size_t count,
                       const QString &kind);
    // The snapshot store, opened at the first use; null without a database or when it failed.
    storage::SnapshotStore *snapshotStore();

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    Options m_options;
    Cached m_live;   // the state after the last answer
    Cached m_prompt; // fork at the end of the last prompt
    Cached m_system; // fork at the end of the leading system messages
    int m_eos = -1;
    int m_thinkEnd = -1;
    PrefixStats m_lastPrefix;
    size_t m_prefillTotal = 0; // tokens the running request prefills (progress)
    // The running request's session and branch tip (GenerationRequest::snapshotSession/
    // snapshotBranchTip), and where its leading system messages end: snapshots up to there are
    // the sources' prefix (no message).
    std::int64_t m_ownerSession = 0, m_ownerTip = 0;
    size_t m_systemEnd = 0;
    std::unique_ptr<storage::Database> m_db;
    std::unique_ptr<storage::SnapshotStore> m_store;
    bool m_dbTried = false;
};

} // namespace folio::server
