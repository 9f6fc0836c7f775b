// A session as `folio-cli ask`, `folio-cli chat` and the server's session requests continue it:
// the session database, the session's row, its packed sources (the system prompt; citations are
// resolved against them), and
// the point of the message tree the next question follows (the "anchor": the end of the current
// branch, or any message after `/branch at`). Turns are stored as the GUI stores them — a user
// message, then the answer as its child, with the GUI's citation and stats fields — so either
// front end continues a session the other started.
#pragma once

#include "app/analysis/analysis_prompt.h"
#include "ingest/citations.h"
#include "ingest/ingest_run.h"
#include "ingest/types.h"
#include "storage/database.h"
#include "storage/types.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace folio::ingest {
class TokenCounter;
}

namespace folio::analysis {

// The sources of a conversation, ingested and packed.
struct SessionSources
{
    std::vector<ingest::SourceContents> contents;
    // How a new session's sources were read (stored with it through app/session_sources.h);
    // unset for sources rebuilt from a saved session (already stored) and for no sources.
    std::optional<ingest::IngestRequest> request;
    QByteArray packed;          // the packed text: the system prompt's sources part
    std::vector<qint64> tokens; // per source
    qint64 totalTokens = 0;
    qint64 budget = 0;
};

// Ingests `request` and packs the sources with `counter` (line numbers on, so the model can cite
// lines), keeping `answerReserve` tokens of `contextTokens` (0: the packer's default) free. Over
// budget, the error lists ranked --exclude suggestions.
std::optional<SessionSources> ingestSources(const ingest::IngestRequest &request,
                                            const ingest::TokenCounter &counter,
                                            qint64 contextTokens, qint64 answerReserve,
                                            QString *error);

// How the answer of one question went (whichever backend gave it).
struct AnswerOutcome
{
    QString content, reasoning;
    QString error;        // failed: why (the answer is then incomplete or empty)
    bool stopped = false; // stopped by the user (Ctrl+C, a client that left)
    int promptTokens = 0, cachedTokens = 0, completionTokens = 0;
    double firstTokenSeconds = 0; // from the request to the first streamed piece (0: none came)
    double prefillSeconds = 0, decodeSeconds = 0;
    // Where the prompt's shared prefix came from: "snapshot" (restored from a stored KV snapshot),
    // "memory" (a state the engine still held), "endpoint" (a server or remote endpoint reported
    // cached tokens; whether from memory or a snapshot is its business), "" (prefilled).
    QString reuse;
    qint64 snapshotId = 0;     // the snapshot restored (reuse "snapshot")
    double restoreSeconds = 0; // reading, verifying and loading it
    int snapshotsWritten = 0;  // KV snapshots this answer stored (prefix, checkpoints, answer)
    std::vector<qint64> snapshotIds; // their ids: saveTurn() ties them to the stored turn
    QStringList snapshotNotes;       // a snapshot that could not be used or stored, and why

    bool failed() const { return !error.isEmpty(); }
    double prefillRate() const;
    double decodeRate() const;
};

// Citations as --json prints them ("text", "verified", "location"/"detail", ...).
QJsonArray citationsOutputJson(const std::vector<ingest::Citation> &citations);
// The stats object of an answer: what --json prints and what the answer message stores (the
// GUI's keys — prompt_tokens, completion_tokens, ttft_ms, tokens_per_s, snapshot_reused, state,
// error, thinking — plus cached_prompt_tokens, prefill/decode rates, prefix_reuse, backend).
QJsonObject answerStatsJson(const AnswerOutcome &outcome, const QString &backend, bool thinking);

class Conversation
{
public:
    // Opens (or creates) the session database.
    static std::unique_ptr<Conversation> open(const QString &dbPath, QString *error);

    // A new session on `sources`; it is stored with its first turn.
    void startNew(SessionSources sources);
    // An existing session by id or exact title (an ambiguous title is an error listing the ids).
    // The anchor is the end of the branch the session was last continued on.
    bool resume(const QString &idOrTitle, QString *error);
    // Reads the session's sources again from storage (app/session_sources.h: repositories at
    // their pinned commit, PDFs from the file or the stored text) and packs them with `counter`
    // as ingestSources() does. Remarks ("book.pdf moved: ...") go to `notes`; a source that cannot
    // be restored is an error (an answer without it would answer another question).
    bool restoreSources(const ingest::TokenCounter &counter, qint64 contextTokens,
                        qint64 answerReserve, QStringList *notes, QString *error);
    // Sources restored earlier (a server keeps them per session instead of reading them again).
    void setSources(SessionSources sources) { m_sources = std::move(sources); }

    storage::Database &database() { return *m_db; }
    qint64 sessionId() const { return m_session.id; }
    const storage::Session &session() const { return m_session; }
    const SessionSources &sources() const { return m_sources; }

    // The earlier turns on the current branch (failed answers left out, as the GUI does).
    bool history(QVector<analysis::Turn> *turns, QString *error);
    // Root → anchor, the messages of the current branch.
    bool currentPath(std::vector<storage::Message> *path, QString *error);

    struct Branch
    {
        qint64 leaf = 0;
        int messages = 0;     // on the path root → leaf
        QString lastQuestion; // the last user message on it
        bool current = false; // the anchor is this leaf
    };
    // Every leaf of the message tree, oldest first.
    bool branches(std::vector<Branch> *out, QString *error);
    qint64 anchor() const { return m_anchor; }
    // `/branch N`: continue at the end of branch `index` (1-based, as branches() lists them).
    bool switchToBranch(int index, QString *error);
    // `/branch at ID`: the next question follows answer ID, or replaces question ID (becomes its
    // sibling); 0 starts a new branch from the top.
    bool branchAt(qint64 messageId, QString *error);

    struct SavedTurn
    {
        qint64 question = 0;
        qint64 answer = 0;
    };
    // Stores `question` after the anchor and the answer as its child (creating the session and its
    // sources first when new); the answer becomes the anchor. The KV snapshots the answer wrote
    // (outcome.snapshotIds) are tied to the stored turn (SnapshotStore::tieToTurn).
    std::optional<SavedTurn> saveTurn(const QString &question, bool thinking,
                                      const AnswerOutcome &outcome, const QString &backend,
                                      const std::vector<ingest::Citation> &citations,
                                      QString *error);

private:
    bool createSession(const QString &title, QString *error);

    std::unique_ptr<storage::Database> m_db;
    storage::Session m_session;
    SessionSources m_sources;
    qint64 m_anchor = 0;
};

} // namespace folio::analysis
