// The plain values appcore hands the conversation view: one message of the visible conversation
// path (a question or an answer), the citations found in an answer and whether they were verified
// against the span map, and the per-answer statistics. No engine, ingest or storage type leaks out.
#pragma once

#include <QMetaType>
#include <QString>
#include <QVector>

namespace folio::app {

// One citation in an answer's text, as the citation resolver judged it.
struct CitationLink
{
    int offset = 0; // in ChatMessage::text, UTF-16 code units
    int length = 0;
    QString text; // the cited text as written ("src/a.cpp:12-30", "book.pdf p.7")
    bool verified = false;
    QString reason; // when not verified: why ("no such file in the sources", "line 900 > 120")
    // The location it resolves to (verified, or the nearest guess).
    QString path;
    int lineBegin = 0; // code: 1-based, inclusive; 0 when a page citation
    int lineEnd = 0;
    int page = 0;   // PDF: physical page, 1-based; 0 when a line citation
    QString quote;  // a passage to highlight on the page, when the answer quoted one
    int source = 0; // index of the source in the session (the span map's "source")
};

struct AnswerStats
{
    int promptTokens = 0;
    int generatedTokens = 0;
    double timeToFirstTokenMs = 0;
    double tokensPerSecond = 0;
    bool snapshotReused = false;
    // KV snapshots the answer's request wrote: tied to the stored answer (StorageService).
    QVector<qint64> snapshotIds;
};

struct ChatMessage
{
    enum class Role { User, Assistant };
    enum class State { Done, Streaming, Stopped, Failed };

    qint64 id = 0;
    Role role = Role::User;
    State state = State::Done;
    QString text;     // the question, or the answer without its thinking part
    QString thinking; // the answer's thinking part (empty when thinking was off)
    bool thinkingEnabled = false;
    QString error; // State::Failed: what went wrong
    QVector<CitationLink> citations;
    AnswerStats stats;
    // Branches: edit-and-resend makes a sibling; branchIndex is 0-based among branchCount siblings.
    int branchIndex = 0;
    int branchCount = 1;
};

} // namespace folio::app

Q_DECLARE_METATYPE(folio::app::ChatMessage)
Q_DECLARE_METATYPE(folio::app::CitationLink)
