// Settings and the token-count cache in SQL (see settings_store.h).
#include "storage/settings_store.h"

#include "storage/database.h"
#include "storage/sqlite.h"

namespace folio::storage {

Result<std::optional<QString>> SettingsStore::value(const QString &key)
{
    Result<Statement> st = Statement::prepare(m_db.handle(),
                                              "SELECT value FROM settings WHERE key = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, key);
    Result<bool> row = st->step();
    if (!row.ok())
        return row.status();
    return *row ? std::optional<QString>(st->text(0)) : std::nullopt;
}

Status SettingsStore::setValue(const QString &key, const QString &value)
{
    Result<Statement> st
        = Statement::prepare(m_db.handle(),
                             "INSERT INTO settings (key, value) VALUES (?, ?)"
                             " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!st.ok())
        return st.status();
    st->bind(1, key).bind(2, value);
    return st->run();
}

Status SettingsStore::remove(const QString &key)
{
    Result<Statement> st = Statement::prepare(m_db.handle(), "DELETE FROM settings WHERE key = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, key);
    return st->run();
}

Result<std::optional<qint64>> TokenCountCache::lookup(const QString &blobId,
                                                      const QString &tokenizer)
{
    Result<Statement> st = Statement::prepare(
        m_db.handle(), "SELECT token_count FROM token_cache WHERE blob_id = ? AND tokenizer = ?");
    if (!st.ok())
        return st.status();
    st->bind(1, blobId).bind(2, tokenizer);
    Result<bool> row = st->step();
    if (!row.ok())
        return row.status();
    return *row ? std::optional<qint64>(st->int64(0)) : std::nullopt;
}

Status TokenCountCache::store(const QString &tokenizer, const std::vector<Entry> &entries)
{
    Transaction tx(m_db);
    if (Status s = tx.begin(); !s.ok())
        return s;
    Result<Statement> st
        = Statement::prepare(m_db.handle(),
                             "INSERT OR REPLACE INTO token_cache (blob_id, tokenizer, token_count)"
                             " VALUES (?, ?, ?)");
    if (!st.ok())
        return st.status();
    for (const Entry &e : entries) {
        st->reset();
        st->bind(1, e.blobId).bind(2, tokenizer).bind(3, e.tokenCount);
        if (Status s = st->run(); !s.ok())
            return s;
    }
    return tx.commit();
}

} // namespace folio::storage
