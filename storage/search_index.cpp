// FTS5 queries over messages and sources (see search_index.h).
#include "storage/search_index.h"

#include "storage/database.h"
#include "storage/sqlite.h"

#include <QRegularExpression>

namespace folio::storage {

QString SearchIndex::toFtsQuery(const QString &text)
{
    QStringList terms;
    const QStringList words = text.split(QRegularExpression(QStringLiteral("\\s+")),
                                         Qt::SkipEmptyParts);
    for (QString w : words) {
        const bool prefix = w.endsWith(QLatin1Char('*')) && w.size() > 1;
        if (prefix)
            w.chop(1);
        w.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        terms << QLatin1Char('"') + w + QLatin1Char('"')
                     + (prefix ? QStringLiteral("*") : QString());
    }
    return terms.join(QLatin1Char(' '));
}

Result<std::vector<SearchHit>> SearchIndex::search(const QString &text, int limit, qint64 sessionId)
{
    const QString fts = toFtsQuery(text);
    if (fts.isEmpty())
        return Status::error(QStringLiteral("the search text is empty"));
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "SELECT 0, m.session_id, m.id, s.title,"
                       " snippet(messages_fts, -1, '[', ']', '...', 12), bm25(messages_fts) AS r"
                       " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                       " JOIN sessions s ON s.id = m.session_id"
                       " WHERE messages_fts MATCH ?1 AND (?2 = 0 OR m.session_id = ?2)"
                       " UNION ALL"
                       " SELECT 1, src.session_id, src.id, s.title,"
                       " snippet(sources_fts, -1, '[', ']', '...', 12), bm25(sources_fts) AS r"
                       " FROM sources_fts JOIN sources src ON src.id = sources_fts.rowid"
                       " JOIN sessions s ON s.id = src.session_id"
                       " WHERE sources_fts MATCH ?1 AND (?2 = 0 OR src.session_id = ?2)"
                       " ORDER BY r LIMIT ?3");
    if (!st.ok())
        return st.status();
    st->bind(1, fts).bind(2, sessionId).bind(3, limit > 0 ? limit : 50);
    std::vector<SearchHit> hits;
    for (;;) {
        Result<bool> row = st->step();
        if (!row.ok())
            return Status(row.status()).context(QStringLiteral("searching for %1").arg(text));
        if (!*row)
            return hits;
        SearchHit h;
        h.kind = st->int64(0) ? SearchHit::SourceHit : SearchHit::MessageHit;
        h.sessionId = st->int64(1);
        h.id = st->int64(2);
        h.title = st->text(3);
        h.snippet = st->text(4);
        h.rank = st->real(5);
        hits.push_back(h);
    }
}

Status SearchIndex::rebuild()
{
    return m_db.exec(QStringLiteral("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');"
                                    "INSERT INTO sources_fts(sources_fts) VALUES ('rebuild');"));
}

} // namespace folio::storage
