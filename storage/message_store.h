// MessageStore: the message tree of a session. Each message points at its parent; editing a
// question or regenerating an answer adds a sibling, so branches share their common prefix.
// Deleting a message deletes its subtree (and snapshots taken after those messages).
#pragma once

#include "storage/status.h"
#include "storage/types.h"

#include <vector>

namespace folio::storage {

class Database;

class MessageStore
{
public:
    explicit MessageStore(Database &db)
        : m_db(db)
    {}

    // Inserts `message` (created filled in when 0) and bumps the session's updated time, in one
    // transaction. The parent, when given, must belong to the same session.
    Result<Message> add(Message message);
    Result<Message> get(qint64 id);
    // Updates content, reasoning, citations, token counts and stats (an answer being finished).
    Status update(const Message &message);
    Status remove(qint64 id);

    // Every message of the session in creation order (the whole tree).
    Result<std::vector<Message>> all(qint64 sessionId);
    Result<std::vector<Message>> children(qint64 sessionId, qint64 parentId);
    // Root -> `leafId`: the conversation as one branch shows it.
    Result<std::vector<Message>> path(qint64 leafId);
    // The leaf most recently added to (the branch the session was last continued on), 0 if none.
    Result<qint64> latestLeaf(qint64 sessionId);

private:
    Database &m_db;
};

} // namespace folio::storage
