// SessionController: session lifecycle, the ask/stop/regenerate/edit flow, and ordered
// persistence (a message is stored once its parent has a database id).
#include "app/session_controller.h"

#include "app/answer_backend.h"
#include "app/ingest_service.h"
#include "app/messages_model.h"
#include "app/session_sources.h"
#include "app/sessions_model.h"
#include "app/settings.h"
#include "app/storage_service.h"

#include <QTimer>

namespace folio::app {

namespace {
// The first question names a new session, cut to this many characters.
constexpr int kTitleChars = 60;
} // namespace

SessionController::SessionController(Settings *settings, StorageService *storage,
                                     SessionsModel *sessions, MessagesModel *messages,
                                     QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_storage(storage)
    , m_sessions(sessions)
    , m_messages(messages)
{
    connect(m_storage, &StorageService::sessionsListed, m_sessions, &SessionsModel::setSessions);
    connect(m_storage, &StorageService::sessionChanged, m_sessions, &SessionsModel::upsert);
    connect(m_storage, &StorageService::sessionDeleted, m_sessions, &SessionsModel::remove);
    connect(m_storage, &StorageService::sessionCreated, this, [this](const SessionInfo &s) {
        m_sessions->upsert(s);
        if (!m_creatingSession)
            return;
        m_creatingSession = false;
        m_current = s.id;
        m_messages->clear();
        // A new session starts with the sources on screen: they are its sources now.
        if (m_ingest && m_ingest->sourceRecords() && !m_ingest->sourceRecords()->records.empty())
            m_storage->saveSources(m_current, m_ingest->sourceRecords());
        Q_EMIT currentSessionChanged(m_current);
        if (!m_pendingQuestion.isEmpty()) {
            const QString q = std::exchange(m_pendingQuestion, QString());
            ask(q, m_pendingThinking);
        }
    });
    connect(m_storage, &StorageService::conversationLoaded, this,
            [this](qint64 sessionId, const QVector<ChatMessage> &loaded) {
                if (sessionId != m_current || isAnswering())
                    return;
                m_childWaiting.clear();
                m_messages->setMessages(loaded);
            });
    connect(m_storage, &StorageService::messageAdded, this, &SessionController::onMessageAdded);
    connect(m_storage, &StorageService::sourcesLoaded, this,
            [this](qint64 sessionId, std::shared_ptr<const SourceRecords> records) {
                if (sessionId == m_current && m_ingest)
                    m_ingest->restoreSources(std::move(records));
            });
    connect(m_storage, &StorageService::failed, this,
            [this](const QString &m) { Q_EMIT message(tr("Storage: %1").arg(m)); });
    connect(m_sessions, &SessionsModel::renameRequested, this, &SessionController::renameSession);
}

SessionController::~SessionController()
{
    commitPendingDeletes();
}

void SessionController::setBackend(AnswerBackend *inference)
{
    if (m_inference)
        m_inference->disconnect(this);
    m_inference = inference;
    if (!m_inference)
        return;
    connect(m_inference, &AnswerBackend::textChunk, this,
            [this](const QString &text, bool thinking) {
                if (m_answerRow < 0)
                    return;
                if (thinking)
                    m_messages->appendThinking(m_answerRow, text);
                else
                    m_messages->appendText(m_answerRow, text);
            });
    connect(m_inference, &AnswerBackend::answerFinished, this, &SessionController::onAnswerFinished);
}

void SessionController::setIngest(IngestService *ingest)
{
    if (m_ingest)
        m_ingest->disconnect(this);
    m_ingest = ingest;
    if (!m_ingest)
        return;
    connect(m_ingest, &IngestService::citationsResolved, this,
            &SessionController::onCitationsResolved);
    // Every change of the person's to the sources is stored with the open session.
    connect(m_ingest, &IngestService::sourcesChanged, this, [this] {
        if (m_current > 0)
            m_storage->saveSources(m_current, m_ingest->sourceRecords());
    });
    connect(m_ingest, &IngestService::restored, this,
            [this](const QStringList &notes, const QStringList &failures) {
                if (!failures.isEmpty())
                    Q_EMIT message(tr("Some sources of this session could not be read again: %1")
                                       .arg(failures.join(QStringLiteral("; "))));
                else if (!notes.isEmpty())
                    Q_EMIT message(notes.join(QStringLiteral("; ")));
            });
}

void SessionController::newSession()
{
    if (isAnswering())
        return;
    m_creatingSession = true;
    m_storage->createSession(tr("New session"));
}

void SessionController::openSession(qint64 id)
{
    if (isAnswering() || id == m_current)
        return;
    m_current = id;
    m_childWaiting.clear();
    m_messages->clear();
    Q_EMIT currentSessionChanged(id);
    if (id > 0) {
        m_storage->loadConversation(id);
        m_storage->loadSources(id); // then read again on the ingest thread
    }
}

void SessionController::renameSession(qint64 id, const QString &title)
{
    if (!title.trimmed().isEmpty())
        m_storage->renameSession(id, title.trimmed());
}

void SessionController::deleteSession(qint64 id)
{
    const int row = m_sessions->rowOf(id);
    if (row < 0 || (id == m_current && isAnswering()))
        return;
    const QString title = m_sessions->session(row).title;
    m_sessions->markDeleted(id);
    if (id == m_current) {
        m_current = 0;
        m_messages->clear();
        Q_EMIT currentSessionChanged(0);
    }
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setInterval(kUndoMs);
    connect(timer, &QTimer::timeout, this, [this, id, timer] {
        m_deleteTimers.remove(id);
        timer->deleteLater();
        m_storage->deleteSession(id);
    });
    m_deleteTimers.insert(id, timer);
    timer->start();
    Q_EMIT sessionDeletePending(id, title);
}

void SessionController::undoDelete(qint64 id)
{
    if (QTimer *timer = m_deleteTimers.take(id)) {
        timer->stop();
        timer->deleteLater();
        m_sessions->undoDelete(id);
    }
}

void SessionController::commitPendingDeletes()
{
    for (auto it = m_deleteTimers.begin(); it != m_deleteTimers.end(); ++it) {
        it.value()->stop();
        it.value()->deleteLater();
        m_storage->deleteSession(it.key());
    }
    m_deleteTimers.clear();
}

void SessionController::ask(const QString &rawQuestion, bool thinking)
{
    const QString question = rawQuestion.trimmed();
    if (question.isEmpty() || isAnswering())
        return;
    if (m_current == 0) {
        m_pendingQuestion = question;
        m_pendingThinking = thinking;
        newSession();
        return;
    }
    // The first question names a session that still has the default title.
    const int sessionRow = m_sessions->rowOf(m_current);
    if (sessionRow >= 0 && m_messages->rowCount() == 0
        && m_sessions->session(sessionRow).title == tr("New session")) {
        QString title = question.simplified();
        if (title.size() > kTitleChars)
            title = title.left(kTitleChars - 1) + QChar(0x2026);
        renameSession(m_current, title);
    }
    ChatMessage q;
    q.role = ChatMessage::Role::User;
    q.text = question;
    const int row = m_messages->append(q);
    persistRow(row);
    startAnswer(row, thinking);
}

void SessionController::startAnswer(int questionRow, bool thinking)
{
    ChatMessage a;
    a.role = ChatMessage::Role::Assistant;
    a.state = ChatMessage::State::Streaming;
    a.thinkingEnabled = thinking;
    m_answerRow = m_messages->append(a);
    Q_EMIT answeringChanged(true);
    if (!m_inference || !m_inference->isLoaded()) {
        onAnswerFinished(ChatMessage::State::Failed, {},
                         tr("No model is loaded. Choose one in Settings."));
        return;
    }
    AnswerRequest request;
    if (m_ingest)
        request.sources = m_ingest->packed().text;
    for (int r = 0; r < questionRow; ++r) {
        const ChatMessage &m = m_messages->message(r);
        if (m.state != ChatMessage::State::Failed)
            request.history.append(m);
    }
    request.question = m_messages->message(questionRow).text;
    request.thinking = thinking;
    request.sampling = m_settings->sampling();
    request.maxTokens = m_settings->answerReserve();
    request.sessionId = m_current;
    request.branchTip = questionRow > 0 ? m_messages->message(questionRow - 1).id : 0;
    m_inference->answer(request);
}

void SessionController::onAnswerFinished(ChatMessage::State state, const AnswerStats &stats,
                                         const QString &error)
{
    const int row = m_answerRow;
    if (row < 0 || row >= m_messages->rowCount())
        return;
    ChatMessage &m = m_messages->messageRef(row);
    m.stats = stats;
    m.state = state;
    m.error = error;
    m_messages->touch(row);
    m_answerRow = -1;
    Q_EMIT answeringChanged(false);
    if (m_ingest && !m.text.isEmpty()) {
        // The answer is stored once its citations are checked against the sources.
        m_ingest->resolveCitations(row, m.text);
        return;
    }
    persistRow(row);
    if (m_current > 0)
        m_storage->touchSession(m_current);
}

void SessionController::onCitationsResolved(int row, const QVector<CitationLink> &citations)
{
    if (row < 0 || row >= m_messages->rowCount()
        || m_messages->message(row).role != ChatMessage::Role::Assistant)
        return;
    m_messages->messageRef(row).citations = citations;
    m_messages->touch(row);
    persistRow(row);
    if (m_current > 0)
        m_storage->touchSession(m_current);
}

void SessionController::stop()
{
    if (m_inference && isAnswering())
        m_inference->stop();
}

void SessionController::regenerate(int answerRow)
{
    if (isAnswering() || answerRow < 1 || answerRow >= m_messages->rowCount())
        return;
    const ChatMessage old = m_messages->message(answerRow);
    if (old.role != ChatMessage::Role::Assistant)
        return;
    m_messages->truncate(answerRow);
    startAnswer(answerRow - 1, old.thinkingEnabled);
    // The new answer is the last sibling under the same question.
    ChatMessage &fresh = m_messages->messageRef(m_messages->rowCount() - 1);
    fresh.branchCount = old.branchCount + 1;
    fresh.branchIndex = old.branchCount;
    m_messages->touch(m_messages->rowCount() - 1);
}

void SessionController::editAndResend(int questionRow, const QString &text)
{
    if (isAnswering() || questionRow < 0 || questionRow >= m_messages->rowCount()
        || text.trimmed().isEmpty())
        return;
    const ChatMessage old = m_messages->message(questionRow);
    if (old.role != ChatMessage::Role::User)
        return;
    const bool thinking = questionRow + 1 < m_messages->rowCount()
                              ? m_messages->message(questionRow + 1).thinkingEnabled
                              : m_settings->thinkingByDefault();
    m_messages->truncate(questionRow);
    ChatMessage q;
    q.role = ChatMessage::Role::User;
    q.text = text.trimmed();
    q.branchCount = old.branchCount + 1;
    q.branchIndex = old.branchCount;
    const int row = m_messages->append(q);
    persistRow(row);
    startAnswer(row, thinking);
}

void SessionController::switchBranch(int row, int delta)
{
    if (isAnswering() || row < 0 || row >= m_messages->rowCount() || m_current == 0)
        return;
    const qint64 id = m_messages->message(row).id;
    if (id > 0)
        m_storage->switchBranch(m_current, id, delta);
}

void SessionController::persistRow(int row)
{
    if (m_current == 0 || row < 0 || row >= m_messages->rowCount())
        return;
    const qint64 parent = row > 0 ? m_messages->message(row - 1).id : 0;
    if (row > 0 && parent == 0) {
        m_childWaiting.insert(row - 1, row);
        return;
    }
    NewMessage nm;
    nm.sessionId = m_current;
    nm.parentId = parent;
    nm.message = m_messages->message(row);
    m_storage->addMessage(nm, row);
}

void SessionController::onMessageAdded(int row, qint64 id)
{
    if (row < 0 || row >= m_messages->rowCount())
        return;
    m_messages->messageRef(row).id = id;
    const auto waiting = m_childWaiting.find(row);
    if (waiting != m_childWaiting.end()) {
        const int child = waiting.value();
        m_childWaiting.erase(waiting);
        // The child was an answer still streaming when its question was stored: store it when it
        // is finished (onAnswerFinished persists it).
        if (child != m_answerRow)
            persistRow(child);
    }
}

} // namespace folio::app
