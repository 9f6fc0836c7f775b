// The plain structs the storage repositories take and return. Times are milliseconds since the
// Unix epoch (UTC); JSON-valued fields are kept as compact JSON text, parsed by whoever needs them
// (the app layer owns their meaning: settings, filters, citations, timing stats).
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace folio::storage {

struct Session
{
    qint64 id = 0;
    QString title;
    qint64 createdMs = 0;
    qint64 updatedMs = 0;
    QString modelFingerprint; // the model the session was last run with (hex)
    QString settingsJson = QStringLiteral("{}");
};

// One source of a session's context: a git repository at a pinned commit, a directory, a PDF, a
// text file. The extracted text of a PDF is kept so the session still opens if the file moved.
struct Source
{
    qint64 id = 0;
    qint64 sessionId = 0;
    int position = 0; // order in the packed context
    QString kind;     // "git", "dir", "pdf", "text"
    QString uri;      // path or URL
    QString revision; // pinned commit (git) or content hash (files)
    QString filtersJson = QStringLiteral("{}");
    qint64 tokenCount = 0;
    QString extractedText; // PDFs: the text ingest extracted; empty otherwise
    qint64 addedMs = 0;
};

// A node of a session's message tree. Editing a question or regenerating an answer adds a sibling
// under the same parent, so every path root -> leaf is one branch of the conversation.
struct Message
{
    qint64 id = 0;
    qint64 sessionId = 0;
    qint64 parentId = 0; // 0: a root (the first question of a branch)
    QString role;        // "system", "user", "assistant"
    QString content;
    QString reasoning; // the model's thinking, shown collapsed
    // [{"label":"src/a.cpp:12-30","source":ID,"path":"src/a.cpp","line_begin":12,"line_end":30},
    //  {"label":"book.pdf p.7","source":ID,"path":"book.pdf","page":7}]
    QString citationsJson = QStringLiteral("[]");
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    QString statsJson = QStringLiteral("{}"); // {"prefill_ms":..,"decode_ms":..,"tokens_per_s":..}
    qint64 createdMs = 0;
};

// The key a KV snapshot is stored and found under (docs/architecture.md): the model fingerprint,
// the engine's state-format version, and the hash of the exact prefix token ids it holds the state
// of (prefixHash() in snapshot_store.h).
struct SnapshotKey
{
    QString modelFingerprint;
    quint32 stateFormat = 0;
    QString prefixHash;
    qint64 tokenCount = 0;

    bool operator==(const SnapshotKey &) const = default;
};

enum class Codec { None, Zstd, Lz4 };

// A committed snapshot (payload chunks are described in the database, stored in a file).
struct SnapshotInfo
{
    qint64 id = 0;
    qint64 sessionId = 0; // 0: not tied to a session
    qint64 messageId = 0; // the message after which it was taken; 0: the sources' prefix
    QString kind;         // "prefix" (after the sources), "answer", "checkpoint" (mid-prefill)
    SnapshotKey key;
    qint64 rawSize = 0;    // bytes of engine state
    qint64 storedSize = 0; // bytes on disk after compression
    qint64 chunkSize = 0;
    int chunkCount = 0;
    QString payloadChecksum; // XXH3-64 of all raw bytes, hex
    QString fileName;
    qint64 createdMs = 0;
    qint64 lastUsedMs = 0;
};

struct SearchHit
{
    enum Kind { MessageHit, SourceHit };
    Kind kind = MessageHit;
    qint64 sessionId = 0;
    qint64 id = 0;   // message id or source id
    QString title;   // the session's title
    QString snippet; // with the matches in [brackets]
    double rank = 0; // bm25; lower is better
};

} // namespace folio::storage
