// Checked SQLite calls and the Statement wrapper (see sqlite.h).
#include "storage/sqlite.h"

namespace folio::storage {

QString shortLocation(const std::source_location &where)
{
    // Keep the path from the layer directory on ("storage/x.cpp"), not the build machine's prefix.
    QString file = QString::fromUtf8(where.file_name());
    for (const char *layer : {"/storage/", "/tests/", "/app/", "/bench/"}) {
        const int at = file.lastIndexOf(QLatin1String(layer));
        if (at >= 0) {
            file = file.mid(at + 1);
            break;
        }
    }
    return QStringLiteral("%1:%2").arg(file).arg(where.line());
}

Status sqliteStatus(sqlite3 *db, int rc, const char *call, const std::source_location &where)
{
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
        return {};
    Status::Code code = Status::Error;
    switch (rc & 0xff) {
    case SQLITE_FULL:
        code = Status::Full;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = Status::Busy;
        break;
    case SQLITE_CORRUPT:
        code = Status::Corrupt;
        break;
    case SQLITE_NOTADB:
        code = Status::NotFolio;
        break;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        code = Status::Io;
        break;
    default:
        break;
    }
    // sqlite3_errmsg describes the most recent failure on this connection; with no connection
    // (open failed before one existed) the generic text of the code is all there is.
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return Status::error(code, QStringLiteral("%1 failed at %2: %3 (SQLite code %4)")
                                   .arg(QString::fromUtf8(call), shortLocation(where),
                                        QString::fromUtf8(msg))
                                   .arg(rc));
}

Result<Statement> Statement::prepare(sqlite3 *db, const char *sql, const std::source_location &where)
{
    sqlite3_stmt *raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    SqliteStmtPtr stmt(raw);
    if (rc != SQLITE_OK) {
        const QByteArray call = "sqlite3_prepare_v2(" + QByteArray(sql).simplified().left(80) + ")";
        return sqliteStatus(db, rc, call.constData(), where);
    }
    return Statement(db, std::move(stmt));
}

void Statement::noteBind(int rc, int index)
{
    if (rc != SQLITE_OK && m_bindError.ok()) {
        const QByteArray call = "sqlite3_bind(" + QByteArray::number(index) + ") of "
                                + QByteArray(sqlite3_sql(m_stmt.get())).simplified().left(80);
        m_bindError = sqliteStatus(m_db, rc, call.constData());
    }
}

Statement &Statement::bind(int index, qint64 value)
{
    noteBind(sqlite3_bind_int64(m_stmt.get(), index, value), index);
    return *this;
}

Statement &Statement::bind(int index, double value)
{
    noteBind(sqlite3_bind_double(m_stmt.get(), index, value), index);
    return *this;
}

Statement &Statement::bind(int index, const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    noteBind(sqlite3_bind_text(m_stmt.get(), index, utf8.constData(), int(utf8.size()),
                               SQLITE_TRANSIENT),
             index);
    return *this;
}

Statement &Statement::bindBlob(int index, const QByteArray &blob)
{
    noteBind(sqlite3_bind_blob(m_stmt.get(), index, blob.constData(), int(blob.size()),
                               SQLITE_TRANSIENT),
             index);
    return *this;
}

Statement &Statement::bindNull(int index)
{
    noteBind(sqlite3_bind_null(m_stmt.get(), index), index);
    return *this;
}

Statement &Statement::bindIdOrNull(int index, qint64 value)
{
    return value ? bind(index, value) : bindNull(index);
}

Result<bool> Statement::step(const std::source_location &where)
{
    if (!m_bindError.ok())
        return m_bindError;
    const int rc = sqlite3_step(m_stmt.get());
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const QByteArray call = "sqlite3_step("
                            + QByteArray(sqlite3_sql(m_stmt.get())).simplified().left(80) + ")";
    Status s = sqliteStatus(m_db, rc, call.constData(), where);
    sqlite3_reset(m_stmt.get());
    return s;
}

Status Statement::run(const std::source_location &where)
{
    for (;;) {
        Result<bool> r = step(where);
        if (!r.ok())
            return r.status();
        if (!*r)
            return {};
    }
}

void Statement::reset()
{
    sqlite3_reset(m_stmt.get());
    sqlite3_clear_bindings(m_stmt.get());
    m_bindError = {};
}

QString Statement::text(int column) const
{
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt.get(), column));
    return p ? QString::fromUtf8(p, sqlite3_column_bytes(m_stmt.get(), column)) : QString();
}

QByteArray Statement::blob(int column) const
{
    const void *p = sqlite3_column_blob(m_stmt.get(), column);
    return p ? QByteArray(static_cast<const char *>(p), sqlite3_column_bytes(m_stmt.get(), column))
             : QByteArray();
}

} // namespace folio::storage
