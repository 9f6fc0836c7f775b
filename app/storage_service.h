// StorageService: appcore's access to the database (storage/) for the GUI. One connection, owned
// by a dedicated storage thread; every request is posted there and its result comes back as a
// signal on the caller's thread, so the UI never waits for SQLite. Converts storage's rows into
// the appcore values the UI uses (SessionInfo, ChatMessage), including branch positions for the
// branch switcher and the citation/stat JSON whose meaning appcore owns.
#pragma once

#include "app/chat_message.h"

#include <QObject>
#include <QVector>

#include <memory>

namespace folio::app {

class WorkerThread;
struct SourceRecords; // app/session_sources.h

struct SessionInfo
{
    qint64 id = 0;
    QString title;
    qint64 createdMs = 0;
    qint64 updatedMs = 0; // last use: the sessions list sorts by it
};

// What the controller stores for a new message.
struct NewMessage
{
    qint64 sessionId = 0;
    qint64 parentId = 0; // 0: first question of a branch
    ChatMessage message;
};

class StorageService : public QObject
{
    Q_OBJECT

public:
    explicit StorageService(QObject *parent = nullptr);
    ~StorageService() override;

    // All asynchronous; results arrive as the signals below.
    void open(const QString &databasePath);
    void listSessions();
    void createSession(const QString &title);
    void renameSession(qint64 id, const QString &title);
    void deleteSession(qint64 id);
    void touchSession(qint64 id);
    // The branch last continued on (or the one through `leafId` when given).
    void loadConversation(qint64 sessionId, qint64 leafId = 0);
    // Moves the branch at `messageId` to its previous/next sibling and loads that branch.
    void switchBranch(qint64 sessionId, qint64 messageId, int delta);
    // Adds a message; `tag` comes back with messageAdded so the caller knows which row it was.
    void addMessage(const NewMessage &message, int tag);
    void updateMessage(qint64 sessionId, const ChatMessage &message);
    // A session's stored sources (answered by sourcesLoaded), and replacing them all at once.
    void loadSources(qint64 sessionId);
    void saveSources(qint64 sessionId, std::shared_ptr<const SourceRecords> records);

    // Blocks until every request posted so far has been handled (tests, shutdown).
    void waitForIdle();

    // appcore owns the JSON of citations and stats in the messages table.
    static QString citationsToJson(const QVector<CitationLink> &citations);
    static QVector<CitationLink> citationsFromJson(const QString &json);
    static QString statsToJson(const AnswerStats &stats);
    static AnswerStats statsFromJson(const QString &json);

Q_SIGNALS:
    void opened(bool ok, const QString &message);
    void failed(const QString &message);
    void sessionsListed(const QVector<folio::app::SessionInfo> &sessions);
    void sessionCreated(const folio::app::SessionInfo &session);
    void sessionChanged(const folio::app::SessionInfo &session);
    void sessionDeleted(qint64 id);
    // The messages of one branch, root first, with ids, branch positions and parents.
    void conversationLoaded(qint64 sessionId, const QVector<folio::app::ChatMessage> &messages,
                            const QVector<qint64> &parentIds);
    void messageAdded(int tag, qint64 messageId);
    void sourcesLoaded(qint64 sessionId, std::shared_ptr<const folio::app::SourceRecords> records);
    void sourcesSaved(qint64 sessionId);

private:
    struct State;
    std::shared_ptr<State> m_state; // lives on the storage thread once opened
    std::unique_ptr<WorkerThread> m_thread;
};

} // namespace folio::app

Q_DECLARE_METATYPE(folio::app::SessionInfo)
