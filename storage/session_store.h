// SessionStore: sessions and their sources. Deleting a session deletes its sources, messages and
// snapshots (foreign keys ON DELETE CASCADE) and then the snapshots' payload files.
#pragma once

#include "storage/status.h"
#include "storage/types.h"

#include <vector>

namespace folio::storage {

class Database;

class SessionStore
{
public:
    explicit SessionStore(Database &db)
        : m_db(db)
    {}

    // Inserts `session` (id, created/updated filled in when 0) and returns it as stored.
    Result<Session> create(Session session);
    Result<Session> get(qint64 id);
    // Most recently updated first.
    Result<std::vector<Session>> list();
    // Writes title, model fingerprint and settings; bumps updated.
    Status update(const Session &session);
    Status touch(qint64 id);
    Status remove(qint64 id);

    Result<Source> addSource(Source source);
    Result<std::vector<Source>> sources(qint64 sessionId);
    Status updateSource(const Source &source);
    Status removeSource(qint64 sourceId);

private:
    Database &m_db;
};

} // namespace folio::storage
