// SessionController: the conversation's logic between the UI and the services. Owns which session
// is open; creates, opens, renames and deletes sessions (deletion waits for an undo window);
// asks questions (the question and answer are stored as a branch of the session's message tree),
// stops, regenerates, edits and resends (a new sibling branch), and switches branches. Streams the
// answer backend's text into the MessagesModel. Every storage and engine call goes through the
// services' own threads.
#pragma once

#include "app/chat_message.h"

#include <QHash>
#include <QObject>
#include <QPointer>

class QTimer;

namespace folio::app {

class IngestService;
class AnswerBackend;
class MessagesModel;
class SessionsModel;
class Settings;
class StorageService;
struct SessionInfo;

class SessionController : public QObject
{
    Q_OBJECT

public:
    // How long a deleted session can be brought back.
    static constexpr int kUndoMs = 8000;

    SessionController(Settings *settings, StorageService *storage, SessionsModel *sessions,
                      MessagesModel *messages, QObject *parent = nullptr);
    ~SessionController() override;

    void setBackend(AnswerBackend *backend);
    void setIngest(IngestService *ingest);

    qint64 currentSession() const { return m_current; }
    bool isAnswering() const { return m_answerRow >= 0; }

public Q_SLOTS:
    void newSession();
    void openSession(qint64 id);
    void renameSession(qint64 id, const QString &title);
    // Hides the session now; deletes it after kUndoMs unless undoDelete() comes first.
    void deleteSession(qint64 id);
    void undoDelete(qint64 id);
    // Deletes every session still waiting for its undo window (at shutdown).
    void commitPendingDeletes();

    // Asks `question` on the current branch (creating a session first when none is open).
    void ask(const QString &question, bool thinking);
    void stop();
    // Answers the question before `answerRow` again, as a new sibling answer.
    void regenerate(int answerRow);
    // Replaces the question at `questionRow` by `text` as a new sibling branch and answers it.
    void editAndResend(int questionRow, const QString &text);
    void switchBranch(int row, int delta);

Q_SIGNALS:
    void currentSessionChanged(qint64 id);
    void answeringChanged(bool answering);
    void message(const QString &text); // for the status bar
    void sessionDeletePending(qint64 id, const QString &title);

private:
    void startAnswer(int questionRow, bool thinking);
    void onMessageAdded(int tag, qint64 id);
    void onAnswerFinished(ChatMessage::State state, const AnswerStats &stats, const QString &error);
    void onCitationsResolved(int row, const QVector<CitationLink> &citations);
    // Stores the message at `row`, or waits until the row before it has its database id.
    void persistRow(int row);

    Settings *m_settings;
    StorageService *m_storage;
    SessionsModel *m_sessions;
    MessagesModel *m_messages;
    QPointer<AnswerBackend> m_inference;
    QPointer<IngestService> m_ingest;
    qint64 m_current = 0;
    int m_answerRow = -1;
    // Parent row → child row waiting to be stored until the parent has its database id.
    QHash<int, int> m_childWaiting;
    bool m_creatingSession = false;
    QString m_pendingQuestion; // asked before a session existed
    bool m_pendingThinking = false;
    QHash<qint64, QTimer *> m_deleteTimers;
};

} // namespace folio::app
