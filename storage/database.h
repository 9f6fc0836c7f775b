// Database: one connection to folio.db. Opening it applies the pragmas (WAL, foreign keys, busy
// timeout, synchronous=FULL), checks the application_id, migrates the schema with
// `PRAGMA user_version` (all steps in one transaction; a file from a newer Folio is refused and
// left untouched), detects an unclean shutdown of a previous process (a per-connection marker file
// held with flock) and then runs integrity_check, and removes snapshot payload files no committed
// row refers to. One connection belongs to one thread at a time; the app's storage worker has its
// own (WAL lets readers and one writer work side by side, also across processes).
//
//   auto db = Database::open(dataDir + "/folio.db");
//   if (!db.ok()) { show(db.status().message()); return; }
//   SessionStore sessions(**db);
#pragma once

#include "storage/status.h"

#include <QString>
#include <QStringList>

#include <memory>

struct sqlite3;

namespace folio::storage {

struct OpenOptions
{
    int busyTimeoutMs = 15000;   // how long a write waits for another process's transaction
    bool checkIntegrity = false; // run integrity_check even after a clean shutdown
};

// What open() found and did.
struct OpenReport
{
    bool created = false;          // the file was new (or empty)
    int schemaBefore = 0;          // user_version found
    int schemaAfter = 0;           // user_version now (Database::kSchemaVersion)
    bool uncleanShutdown = false;  // a previous connection ended without close (crash, kill)
    bool integrityChecked = false; // integrity_check ran (unclean shutdown or asked for)
    int orphanPayloadsRemoved = 0; // payload files of unfinished or deleted snapshots removed
};

class Database
{
public:
    // The schema this build writes. Each past version's CREATE script is frozen in storage/schema/.
    static constexpr int kSchemaVersion = 3;
    // PRAGMA application_id: "Foli" in ASCII, so `file folio.db` and Folio recognise the file.
    static constexpr int kApplicationId = 0x466f6c69;

    // Opens (creating if needed) the database at `path`. Errors: NewerSchema, NotFolio, Corrupt
    // (integrity_check failed; the file is left as it is), Io, Busy.
    static Result<std::unique_ptr<Database>> open(const QString &path,
                                                  const OpenOptions &options = {});
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    sqlite3 *handle() const { return m_db; }
    QString path() const { return m_path; }
    // Where snapshot payload files live: "<path>-snapshots/" (see docs/storage.md).
    QString payloadDirectory() const { return m_path + QStringLiteral("-snapshots"); }
    const OpenReport &openReport() const { return m_report; }

    // Runs one or more SQL statements that return no rows (also PRAGMAs, e.g. max_page_count).
    Status exec(const QString &sql);
    // The first column of the first row as an integer (0 when there is no row).
    Result<qint64> queryInt(const QString &sql);
    // PRAGMA integrity_check + foreign_key_check: an empty list means the file is sound.
    Result<QStringList> integrityCheck();

    // The frozen CREATE script of schema `version` (1..kSchemaVersion), and the script migrating
    // version-1 to `version`. Empty when there is none.
    static QString schemaScript(int version);
    static QString migrationScript(int toVersion);

private:
    Database() = default;
    Status configure(const OpenOptions &options);
    Status migrate();
    Status claimMarker();
    void releaseMarker();

    sqlite3 *m_db = nullptr;
    QString m_path;
    OpenReport m_report;
    int m_markerFd = -1;
    QString m_markerPath;
};

// A write transaction (BEGIN IMMEDIATE: takes the write lock up front, so a second process waits
// for the busy timeout instead of failing when it later upgrades a read). Rolls back in the
// destructor unless commit() succeeded.
class Transaction
{
public:
    explicit Transaction(Database &db)
        : m_db(db)
    {}
    ~Transaction();
    Status begin();
    Status commit();

private:
    Database &m_db;
    bool m_open = false;
};

} // namespace folio::storage
