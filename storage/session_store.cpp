// Sessions and sources in SQL (see session_store.h).
#include "storage/session_store.h"

#include "storage/database.h"
#include "storage/logging.h"
#include "storage/snapshot_store.h"
#include "storage/sqlite.h"

#include <QDateTime>

namespace folio::storage {

namespace {

Session readSession(const Statement &st)
{
    Session s;
    s.id = st.int64(0);
    s.title = st.text(1);
    s.createdMs = st.int64(2);
    s.updatedMs = st.int64(3);
    s.modelFingerprint = st.text(4);
    s.settingsJson = st.text(5);
    return s;
}

Source readSource(const Statement &st)
{
    Source s;
    s.id = st.int64(0);
    s.sessionId = st.int64(1);
    s.position = int(st.int64(2));
    s.kind = st.text(3);
    s.uri = st.text(4);
    s.revision = st.text(5);
    s.filtersJson = st.text(6);
    s.tokenCount = st.int64(7);
    s.extractedText = st.text(8);
    s.addedMs = st.int64(9);
    return s;
}

constexpr const char *kSessionColumns
    = "SELECT id, title, created_ms, updated_ms, model_fingerprint, settings_json FROM sessions ";
constexpr const char *kSourceColumns
    = "SELECT id, session_id, position, kind, uri, revision, filters_json, token_count,"
      " extracted_text, added_ms FROM sources ";

Status rowChanged(sqlite3 *db, const QString &what, qint64 id)
{
    if (sqlite3_changes(db) == 0)
        return Status::error(Status::NotFound, QStringLiteral("no %1 %2").arg(what).arg(id));
    return {};
}

} // namespace

Result<Session> SessionStore::create(Session session)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (!session.createdMs)
        session.createdMs = now;
    if (!session.updatedMs)
        session.updatedMs = session.createdMs;
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "INSERT INTO sessions (title, created_ms, updated_ms, model_fingerprint,"
                       " settings_json) VALUES (?,?,?,?,?)");
    if (!st.ok())
        return st.status();
    st->bind(1, session.title)
        .bind(2, session.createdMs)
        .bind(3, session.updatedMs)
        .bind(4, session.modelFingerprint)
        .bind(5, session.settingsJson.isEmpty() ? QStringLiteral("{}") : session.settingsJson);
    if (Status s = st->run(); !s.ok())
        return s.context(QStringLiteral("creating a session"));
    session.id = sqlite3_last_insert_rowid(m_db.handle());
    return session;
}

Result<Session> SessionStore::get(qint64 id)
{
    const QByteArray sql = QByteArray(kSessionColumns) + "WHERE id = ?";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    st->bind(1, id);
    Result<bool> row = st->step();
    if (!row.ok())
        return row.status();
    if (!*row)
        return Status::error(Status::NotFound, QStringLiteral("no session %1").arg(id));
    return readSession(*st);
}

Result<std::vector<Session>> SessionStore::list()
{
    const QByteArray sql = QByteArray(kSessionColumns) + "ORDER BY updated_ms DESC, id DESC";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    std::vector<Session> out;
    for (;;) {
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            return out;
        out.push_back(readSession(*st));
    }
}

Status SessionStore::update(const Session &session)
{
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "UPDATE sessions SET title = ?, model_fingerprint = ?, settings_json = ?,"
                       " updated_ms = ? WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, session.title)
        .bind(2, session.modelFingerprint)
        .bind(3, session.settingsJson.isEmpty() ? QStringLiteral("{}") : session.settingsJson)
        .bind(4, QDateTime::currentMSecsSinceEpoch())
        .bind(5, session.id);
    if (Status s = st->run(); !s.ok())
        return s;
    return rowChanged(m_db.handle(), QStringLiteral("session"), session.id);
}

Status SessionStore::touch(qint64 id)
{
    Result<Statement> st = Statement::prepare(m_db.handle(),
                                              "UPDATE sessions SET updated_ms = ? WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, QDateTime::currentMSecsSinceEpoch()).bind(2, id);
    if (Status s = st->run(); !s.ok())
        return s;
    return rowChanged(m_db.handle(), QStringLiteral("session"), id);
}

Status SessionStore::remove(qint64 id)
{
    Result<Statement> st = Statement::prepare(m_db.handle(), "DELETE FROM sessions WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, id);
    if (Status s = st->run(); !s.ok())
        return s.context(QStringLiteral("deleting session %1").arg(id));
    if (Status s = rowChanged(m_db.handle(), QStringLiteral("session"), id); !s.ok())
        return s;
    // Its snapshot rows went with it (cascade); their payload files are orphans now.
    Result<int> gc = SnapshotStore(m_db).collectGarbage();
    if (!gc.ok())
        qCWarning(lcStorage) << "removing payloads of session" << id << ":"
                             << gc.status().message();
    return {};
}

Result<Source> SessionStore::addSource(Source source)
{
    if (!source.addedMs)
        source.addedMs = QDateTime::currentMSecsSinceEpoch();
    Result<Statement> st = Statement::prepare(
        m_db.handle(),
        "INSERT INTO sources (session_id, position, kind, uri, revision, filters_json,"
        " token_count, extracted_text, added_ms) VALUES (?,?,?,?,?,?,?,?,?)");
    if (!st.ok())
        return st.status();
    st->bind(1, source.sessionId)
        .bind(2, source.position)
        .bind(3, source.kind)
        .bind(4, source.uri)
        .bind(5, source.revision)
        .bind(6, source.filtersJson.isEmpty() ? QStringLiteral("{}") : source.filtersJson)
        .bind(7, source.tokenCount)
        .bind(9, source.addedMs);
    if (source.extractedText.isEmpty())
        st->bindNull(8);
    else
        st->bind(8, source.extractedText);
    if (Status s = st->run(); !s.ok())
        return s.context(QStringLiteral("adding source %1").arg(source.uri));
    source.id = sqlite3_last_insert_rowid(m_db.handle());
    return source;
}

Result<std::vector<Source>> SessionStore::sources(qint64 sessionId)
{
    const QByteArray sql = QByteArray(kSourceColumns)
                           + "WHERE session_id = ? ORDER BY position, id";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    st->bind(1, sessionId);
    std::vector<Source> out;
    for (;;) {
        Result<bool> row = st->step();
        if (!row.ok())
            return row.status();
        if (!*row)
            return out;
        out.push_back(readSource(*st));
    }
}

Status SessionStore::updateSource(const Source &source)
{
    Result<Statement> st
        = Statement::prepare(m_db.handle(),
                             "UPDATE sources SET position = ?, kind = ?, uri = ?, revision = ?,"
                             " filters_json = ?, token_count = ?, extracted_text = ? WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, source.position)
        .bind(2, source.kind)
        .bind(3, source.uri)
        .bind(4, source.revision)
        .bind(5, source.filtersJson.isEmpty() ? QStringLiteral("{}") : source.filtersJson)
        .bind(6, source.tokenCount)
        .bind(8, source.id);
    if (source.extractedText.isEmpty())
        st->bindNull(7);
    else
        st->bind(7, source.extractedText);
    if (Status s = st->run(); !s.ok())
        return s;
    return rowChanged(m_db.handle(), QStringLiteral("source"), source.id);
}

Status SessionStore::removeSource(qint64 sourceId)
{
    Result<Statement> st = Statement::prepare(m_db.handle(), "DELETE FROM sources WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, sourceId);
    if (Status s = st->run(); !s.ok())
        return s;
    return rowChanged(m_db.handle(), QStringLiteral("source"), sourceId);
}

} // namespace folio::storage
