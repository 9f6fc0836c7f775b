// Key-value tables of folio.db: SettingsStore (database-level settings such as the snapshot
// eviction policy, shared by every process using the file — user preferences live in QSettings)
// and TokenCountCache (blob id -> token count per tokenizer, filled by appcore so an unchanged file
// is never tokenized twice; ingest only computes).
#pragma once

#include "storage/status.h"

#include <QString>

#include <optional>
#include <vector>

namespace folio::storage {

class Database;

class SettingsStore
{
public:
    explicit SettingsStore(Database &db)
        : m_db(db)
    {}
    Result<std::optional<QString>> value(const QString &key);
    Status setValue(const QString &key, const QString &value);
    Status remove(const QString &key);

private:
    Database &m_db;
};

class TokenCountCache
{
public:
    struct Entry
    {
        QString blobId;
        qint64 tokenCount = 0;
    };

    explicit TokenCountCache(Database &db)
        : m_db(db)
    {}
    Result<std::optional<qint64>> lookup(const QString &blobId, const QString &tokenizer);
    // Inserts or replaces many entries in one transaction.
    Status store(const QString &tokenizer, const std::vector<Entry> &entries);

private:
    Database &m_db;
};

} // namespace folio::storage
