// The SQLite C API, owned and checked: unique_ptr handles with deleter structs (style: ggml-cpp.h),
// sqliteStatus() that turns a return code into a Status naming the call, the caller's file:line and
// sqlite3_errmsg (style: libgit2 check_lg2), and Statement, a prepared statement whose bind errors
// are kept and reported by the next step. Internal to storage/: the public headers only forward-
// declare sqlite3.
#pragma once

#include "storage/status.h"

#include <QByteArray>
#include <QString>

#include <sqlite3.h>

#include <memory>
#include <source_location>
#include <string>

namespace folio::storage {

struct SqliteDbDeleter
{
    void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
struct SqliteStmtDeleter
{
    void operator()(sqlite3_stmt *stmt) const { sqlite3_finalize(stmt); }
};
using SqliteDbPtr = std::unique_ptr<sqlite3, SqliteDbDeleter>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter>;

// Ok for SQLITE_OK/ROW/DONE; otherwise an error "CALL failed at FILE:LINE: errmsg (code N)" with a
// Status code derived from the primary result code (FULL -> Full, BUSY/LOCKED -> Busy, ...).
Status sqliteStatus(sqlite3 *db, int rc, const char *call,
                    const std::source_location &where = std::source_location::current());
// "storage/database.cpp:42" from a source_location (the path from the layer directory on).
QString shortLocation(const std::source_location &where);

#define FOLIO_SQLITE_CHECK(db, call) ::folio::storage::sqliteStatus((db), (call), #call)

class Statement
{
public:
    static Result<Statement> prepare(
        sqlite3 *db, const char *sql,
        const std::source_location &where = std::source_location::current());

    // Bind by 1-based index. A failed bind is remembered and returned by the next step()/run().
    Statement &bind(int index, qint64 value);
    Statement &bind(int index, int value) { return bind(index, qint64(value)); }
    Statement &bind(int index, double value);
    Statement &bind(int index, const QString &text);
    Statement &bindBlob(int index, const QByteArray &blob);
    Statement &bindNull(int index);
    // NULL when value is 0 (optional foreign keys).
    Statement &bindIdOrNull(int index, qint64 value);

    // One step: true when a row is available, false when done.
    Result<bool> step(const std::source_location &where = std::source_location::current());
    // Steps to the end, ignoring rows (INSERT/UPDATE/DELETE).
    Status run(const std::source_location &where = std::source_location::current());
    // Ready to bind and run again.
    void reset();

    qint64 int64(int column) const { return sqlite3_column_int64(m_stmt.get(), column); }
    double real(int column) const { return sqlite3_column_double(m_stmt.get(), column); }
    QString text(int column) const;
    QByteArray blob(int column) const;
    bool isNull(int column) const
    {
        return sqlite3_column_type(m_stmt.get(), column) == SQLITE_NULL;
    }

private:
    Statement(sqlite3 *db, SqliteStmtPtr stmt)
        : m_db(db)
        , m_stmt(std::move(stmt))
    {}
    void noteBind(int rc, int index);

    sqlite3 *m_db = nullptr;
    SqliteStmtPtr m_stmt;
    Status m_bindError;
};

} // namespace folio::storage
