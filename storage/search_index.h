// SearchIndex: full-text search (SQLite FTS5) over message text (content and reasoning) and source
// text (URI and the extracted text of PDFs). The FTS tables are kept in sync by triggers in the
// schema, so writers need not know about them.
#pragma once

#include "storage/status.h"
#include "storage/types.h"

#include <vector>

namespace folio::storage {

class Database;

class SearchIndex
{
public:
    explicit SearchIndex(Database &db)
        : m_db(db)
    {}

    // Hits for `text` (every word must occur; "word*" matches a prefix), best first; optionally
    // within one session.
    Result<std::vector<SearchHit>> search(const QString &text, int limit = 50, qint64 sessionId = 0);
    // Rebuilds both indexes from the tables (after a bulk import, or to repair).
    Status rebuild();

    // The user's words as an FTS5 query: each word quoted (so punctuation like "a.cpp" or "-x" is
    // literal, never FTS syntax), a trailing * kept as prefix search. Empty when there is no word.
    static QString toFtsQuery(const QString &text);

private:
    Database &m_db;
};

} // namespace folio::storage
