// The message tree in SQL (see message_store.h).
#include "storage/message_store.h"

#include "storage/database.h"
#include "storage/sqlite.h"

#include <QDateTime>

#include <algorithm>

namespace folio::storage {

namespace {

constexpr const char *kColumns
    = "SELECT id, session_id, coalesce(parent_id, 0), role, content, reasoning, citations_json,"
      " prompt_tokens, completion_tokens, stats_json, created_ms FROM messages ";

Message readMessage(const Statement &st)
{
    Message m;
    m.id = st.int64(0);
    m.sessionId = st.int64(1);
    m.parentId = st.int64(2);
    m.role = st.text(3);
    m.content = st.text(4);
    m.reasoning = st.text(5);
    m.citationsJson = st.text(6);
    m.promptTokens = st.int64(7);
    m.completionTokens = st.int64(8);
    m.statsJson = st.text(9);
    m.createdMs = st.int64(10);
    return m;
}

Result<std::vector<Message>> collect(Statement &st)
{
    std::vector<Message> out;
    for (;;) {
        Result<bool> row = st.step();
        if (!row.ok())
            return row.status();
        if (!*row)
            return out;
        out.push_back(readMessage(st));
    }
}

QString orDefault(const QString &json, const char *fallback)
{
    return json.isEmpty() ? QString::fromLatin1(fallback) : json;
}

} // namespace

Result<Message> MessageStore::add(Message message)
{
    if (!message.createdMs)
        message.createdMs = QDateTime::currentMSecsSinceEpoch();
    Transaction tx(m_db);
    if (Status s = tx.begin(); !s.ok())
        return s;
    if (message.parentId) {
        Result<Statement> parent
            = Statement::prepare(m_db.handle(), "SELECT session_id FROM messages WHERE id = ?");
        if (!parent.ok())
            return parent.status();
        parent->bind(1, message.parentId);
        Result<bool> row = parent->step();
        if (!row.ok())
            return row.status();
        if (!*row || parent->int64(0) != message.sessionId)
            return Status::error(Status::NotFound,
                                 QStringLiteral("parent message %1 is not in session %2")
                                     .arg(message.parentId)
                                     .arg(message.sessionId));
    }
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "INSERT INTO messages (session_id, parent_id, role, content, reasoning,"
                       " citations_json, prompt_tokens, completion_tokens, stats_json, created_ms)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!st.ok())
        return st.status();
    st->bind(1, message.sessionId)
        .bindIdOrNull(2, message.parentId)
        .bind(3, message.role)
        .bind(4, message.content)
        .bind(5, message.reasoning)
        .bind(6, orDefault(message.citationsJson, "[]"))
        .bind(7, message.promptTokens)
        .bind(8, message.completionTokens)
        .bind(9, orDefault(message.statsJson, "{}"))
        .bind(10, message.createdMs);
    if (Status s = st->run(); !s.ok())
        return s.context(QStringLiteral("adding a message to session %1").arg(message.sessionId));
    message.id = sqlite3_last_insert_rowid(m_db.handle());
    Result<Statement> touch
        = Statement::prepare(m_db.handle(),
                             "UPDATE sessions SET updated_ms = max(updated_ms, ?) WHERE id = ?");
    if (!touch.ok())
        return touch.status();
    touch->bind(1, message.createdMs).bind(2, message.sessionId);
    if (Status s = touch->run(); !s.ok())
        return s;
    if (Status s = tx.commit(); !s.ok())
        return s.context(QStringLiteral("adding a message to session %1").arg(message.sessionId));
    return message;
}

Result<Message> MessageStore::get(qint64 id)
{
    const QByteArray sql = QByteArray(kColumns) + "WHERE id = ?";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    st->bind(1, id);
    Result<bool> row = st->step();
    if (!row.ok())
        return row.status();
    if (!*row)
        return Status::error(Status::NotFound, QStringLiteral("no message %1").arg(id));
    return readMessage(*st);
}

Status MessageStore::update(const Message &message)
{
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "UPDATE messages SET content = ?, reasoning = ?, citations_json = ?,"
                       " prompt_tokens = ?, completion_tokens = ?, stats_json = ? WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, message.content)
        .bind(2, message.reasoning)
        .bind(3, orDefault(message.citationsJson, "[]"))
        .bind(4, message.promptTokens)
        .bind(5, message.completionTokens)
        .bind(6, orDefault(message.statsJson, "{}"))
        .bind(7, message.id);
    if (Status s = st->run(); !s.ok())
        return s;
    if (sqlite3_changes(m_db.handle()) == 0)
        return Status::error(Status::NotFound, QStringLiteral("no message %1").arg(message.id));
    return {};
}

Status MessageStore::remove(qint64 id)
{
    Result<Statement> st = Statement::prepare(m_db.handle(), "DELETE FROM messages WHERE id = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, id);
    if (Status s = st->run(); !s.ok())
        return s;
    if (sqlite3_changes(m_db.handle()) == 0)
        return Status::error(Status::NotFound, QStringLiteral("no message %1").arg(id));
    return {};
}

Result<std::vector<Message>> MessageStore::all(qint64 sessionId)
{
    const QByteArray sql = QByteArray(kColumns) + "WHERE session_id = ? ORDER BY id";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    st->bind(1, sessionId);
    return collect(*st);
}

Result<std::vector<Message>> MessageStore::children(qint64 sessionId, qint64 parentId)
{
    const QByteArray sql = QByteArray(kColumns)
                           + (parentId ? "WHERE session_id = ? AND parent_id = ? ORDER BY id"
                                       : "WHERE session_id = ? AND parent_id IS NULL ORDER BY id");
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    st->bind(1, sessionId);
    if (parentId)
        st->bind(2, parentId);
    return collect(*st);
}

Result<std::vector<Message>> MessageStore::path(qint64 leafId)
{
    // One recursive query walks the parent links up; reversed, it reads root first.
    const QByteArray sql
        = "WITH RECURSIVE up(id, depth) AS (SELECT ?, 0 UNION ALL"
          " SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id"
          " WHERE m.parent_id IS NOT NULL)"
          " SELECT m.id, m.session_id, coalesce(m.parent_id, 0), m.role, m.content, m.reasoning,"
          " m.citations_json, m.prompt_tokens, m.completion_tokens, m.stats_json, m.created_ms"
          " FROM up JOIN messages m ON m.id = up.id ORDER BY up.depth DESC";
    Result<Statement> st = Statement::prepare(m_db.handle(), sql.constData());
    if (!st.ok())
        return st.status();
    st->bind(1, leafId);
    Result<std::vector<Message>> out = collect(*st);
    if (out.ok() && out->empty())
        return Status::error(Status::NotFound, QStringLiteral("no message %1").arg(leafId));
    return out;
}

Result<qint64> MessageStore::latestLeaf(qint64 sessionId)
{
    Result<Statement> st
        = Statement::prepare(m_db.handle(),
                             "SELECT id FROM messages m WHERE session_id = ? AND NOT EXISTS"
                             " (SELECT 1 FROM messages c WHERE c.parent_id = m.id)"
                             " ORDER BY created_ms DESC, id DESC LIMIT 1");
    if (!st.ok())
        return st.status();
    st->bind(1, sessionId);
    Result<bool> row = st->step();
    if (!row.ok())
        return row.status();
    return *row ? st->int64(0) : qint64(0);
}

} // namespace folio::storage
