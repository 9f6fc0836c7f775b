// StorageService: requests posted to the storage thread, results posted back as signals.
#include "app/storage_service.h"

#include "app/logging.h"
#include "app/session_sources.h"
#include "app/thread_guard.h"
#include "app/worker_thread.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <map>

namespace folio::app {

struct StorageService::State
{
    std::unique_ptr<folio::storage::Database> db;
};

namespace {

SessionInfo toInfo(const folio::storage::Session &s)
{
    return {s.id, s.title, s.createdMs, s.updatedMs};
}

ChatMessage toChat(const folio::storage::Message &m)
{
    ChatMessage c;
    c.id = m.id;
    c.role = m.role == QLatin1String("assistant") ? ChatMessage::Role::Assistant
                                                  : ChatMessage::Role::User;
    c.text = m.content;
    c.thinking = m.reasoning;
    c.citations = StorageService::citationsFromJson(m.citationsJson);
    c.stats = StorageService::statsFromJson(m.statsJson);
    const QJsonObject stats = QJsonDocument::fromJson(m.statsJson.toUtf8()).object();
    const QString state = stats.value(QStringLiteral("state")).toString();
    c.state = state == QLatin1String("stopped")  ? ChatMessage::State::Stopped
              : state == QLatin1String("failed") ? ChatMessage::State::Failed
                                                 : ChatMessage::State::Done;
    c.error = stats.value(QStringLiteral("error")).toString();
    c.thinkingEnabled = stats.value(QStringLiteral("thinking")).toBool(!m.reasoning.isEmpty());
    return c;
}

QString statsJsonFor(const ChatMessage &m)
{
    QJsonObject o = QJsonDocument::fromJson(StorageService::statsToJson(m.stats).toUtf8()).object();
    if (m.state == ChatMessage::State::Stopped)
        o.insert(QStringLiteral("state"), QStringLiteral("stopped"));
    else if (m.state == ChatMessage::State::Failed)
        o.insert(QStringLiteral("state"), QStringLiteral("failed"));
    if (!m.error.isEmpty())
        o.insert(QStringLiteral("error"), m.error);
    o.insert(QStringLiteral("thinking"), m.thinkingEnabled);
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

// The messages of the branch ending at `leaf`, each with its position among its siblings.
bool loadBranch(folio::storage::Database &db, qint64 sessionId, qint64 leaf,
                QVector<ChatMessage> *out, QVector<qint64> *parents, QString *error)
{
    folio::storage::MessageStore store(db);
    if (leaf == 0)
        return true;
    auto path = store.path(leaf);
    auto all = store.all(sessionId);
    if (!path.ok() || !all.ok()) {
        *error = (!path.ok() ? path.status() : all.status()).message();
        return false;
    }
    std::map<qint64, QVector<qint64>> children; // parent → children in creation order
    for (const auto &m : *all)
        children[m.parentId].append(m.id);
    for (const auto &m : *path) {
        ChatMessage c = toChat(m);
        const QVector<qint64> &siblings = children[m.parentId];
        c.branchCount = int(siblings.size());
        c.branchIndex = int(siblings.indexOf(m.id));
        out->append(c);
        parents->append(m.parentId);
    }
    return true;
}

// The most recently created leaf below `id` (a branch continues where it was last continued).
qint64 latestLeafUnder(const std::vector<folio::storage::Message> &all, qint64 id)
{
    for (;;) {
        qint64 newest = 0;
        for (const auto &m : all) {
            if (m.parentId == id && m.id > newest)
                newest = m.id;
        }
        if (newest == 0)
            return id;
        id = newest;
    }
}

} // namespace

StorageService::StorageService(QObject *parent)
    : QObject(parent)
    , m_state(std::make_shared<State>())
    , m_thread(std::make_unique<WorkerThread>(QStringLiteral("folio-storage")))
{
    qRegisterMetaType<SessionInfo>();
    qRegisterMetaType<ChatMessage>();
}

StorageService::~StorageService()
{
    // Close the database on its own thread, then stop the thread.
    auto state = m_state;
    m_thread->post([state] { state->db.reset(); });
    m_thread.reset();
}

void StorageService::waitForIdle()
{
    m_thread->drain();
}

void StorageService::open(const QString &databasePath)
{
    auto state = m_state;
    m_thread->post([this, state, databasePath] {
        noteLayerWork("storage: open");
        auto db = folio::storage::Database::open(databasePath);
        if (!db.ok()) {
            const QString message = db.status().message();
            postBack(this, [this, message] { Q_EMIT opened(false, message); });
            return;
        }
        state->db = std::move(*db);
        postBack(this, [this] { Q_EMIT opened(true, QString()); });
    });
}

// Runs `job` on the storage thread when the database is open; reports a failure otherwise.
#define FOLIO_STORAGE_JOB(what, body) \
    auto state = m_state; \
    m_thread->post([=, this] { \
        noteLayerWork("storage: " what); \
        if (!state->db) { \
            postBack(this, [this] { \
                Q_EMIT failed(QCoreApplication::translate("folio::app::StorageService", \
                                                          "The database is not open.")); \
            }); \
            return; \
        } \
        folio::storage::Database &db = *state->db; \
        body \
    });

void StorageService::listSessions()
{
    FOLIO_STORAGE_JOB("list sessions", {
        auto list = folio::storage::SessionStore(db).list();
        if (!list.ok()) {
            const QString m = list.status().message();
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        QVector<SessionInfo> sessions;
        for (const auto &s : *list)
            sessions.append(toInfo(s));
        postBack(this, [this, sessions] { Q_EMIT sessionsListed(sessions); });
    })
}

void StorageService::createSession(const QString &title)
{
    FOLIO_STORAGE_JOB("create session", {
        folio::storage::Session s;
        s.title = title;
        auto created = folio::storage::SessionStore(db).create(s);
        if (!created.ok()) {
            const QString m = created.status().message();
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        const SessionInfo info = toInfo(*created);
        postBack(this, [this, info] { Q_EMIT sessionCreated(info); });
    })
}

void StorageService::renameSession(qint64 id, const QString &title)
{
    FOLIO_STORAGE_JOB("rename session", {
        folio::storage::SessionStore store(db);
        auto s = store.get(id);
        folio::storage::Status st = s.ok() ? folio::storage::Status() : s.status();
        if (st.ok()) {
            s->title = title;
            st = store.update(*s);
        }
        auto after = st.ok() ? store.get(id) : folio::storage::Result<folio::storage::Session>(st);
        if (!after.ok()) {
            const QString m = after.status().message();
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        const SessionInfo info = toInfo(*after);
        postBack(this, [this, info] { Q_EMIT sessionChanged(info); });
    })
}

void StorageService::touchSession(qint64 id)
{
    FOLIO_STORAGE_JOB("touch session", {
        folio::storage::SessionStore store(db);
        const auto st = store.touch(id);
        auto after = store.get(id);
        if (!st.ok() || !after.ok())
            return;
        const SessionInfo info = toInfo(*after);
        postBack(this, [this, info] { Q_EMIT sessionChanged(info); });
    })
}

void StorageService::loadSources(qint64 sessionId)
{
    FOLIO_STORAGE_JOB("load sources", {
        auto list = folio::storage::SessionStore(db).sources(sessionId);
        if (!list.ok()) {
            const QString m = list.status().message();
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        auto records = std::make_shared<SourceRecords>();
        records->records = std::move(list.value());
        postBack(this, [this, sessionId, records] { Q_EMIT sourcesLoaded(sessionId, records); });
    })
}

void StorageService::saveSources(qint64 sessionId, std::shared_ptr<const SourceRecords> records)
{
    FOLIO_STORAGE_JOB("save sources", {
        folio::storage::SessionStore store(db);
        folio::storage::Transaction tx(db);
        folio::storage::Status st = tx.begin();
        auto old = st.ok() ? store.sources(sessionId)
                           : folio::storage::Result<std::vector<folio::storage::Source>>(st);
        if (!old.ok())
            st = old.status();
        for (size_t i = 0; st.ok() && i < old->size(); ++i)
            st = store.removeSource((*old)[i].id);
        for (size_t i = 0; st.ok() && records && i < records->records.size(); ++i) {
            folio::storage::Source r = records->records[i];
            r.id = 0;
            r.sessionId = sessionId;
            r.position = int(i);
            auto added = store.addSource(r);
            if (!added.ok())
                st = added.status();
        }
        if (st.ok())
            st = tx.commit();
        if (!st.ok()) {
            const QString m = st.message();
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        postBack(this, [this, sessionId] { Q_EMIT sourcesSaved(sessionId); });
    })
}

void StorageService::deleteSession(qint64 id)
{
    FOLIO_STORAGE_JOB("delete session", {
        const auto st = folio::storage::SessionStore(db).remove(id);
        if (!st.ok()) {
            const QString m = st.message();
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        postBack(this, [this, id] { Q_EMIT sessionDeleted(id); });
    })
}

void StorageService::loadConversation(qint64 sessionId, qint64 leafId)
{
    FOLIO_STORAGE_JOB("load conversation", {
        qint64 leaf = leafId;
        if (leaf == 0) {
            auto latest = folio::storage::MessageStore(db).latestLeaf(sessionId);
            leaf = latest.ok() ? *latest : 0;
        }
        QVector<ChatMessage> messages;
        QVector<qint64> parents;
        QString error;
        if (!loadBranch(db, sessionId, leaf, &messages, &parents, &error)) {
            postBack(this, [this, error] { Q_EMIT failed(error); });
            return;
        }
        postBack(this, [this, sessionId, messages, parents] {
            Q_EMIT conversationLoaded(sessionId, messages, parents);
        });
    })
}

void StorageService::switchBranch(qint64 sessionId, qint64 messageId, int delta)
{
    FOLIO_STORAGE_JOB("switch branch", {
        auto all = folio::storage::MessageStore(db).all(sessionId);
        if (!all.ok())
            return;
        qint64 parent = -1;
        for (const auto &m : *all) {
            if (m.id == messageId)
                parent = m.parentId;
        }
        QVector<qint64> siblings;
        for (const auto &m : *all) {
            if (m.parentId == parent)
                siblings.append(m.id);
        }
        const int at = int(siblings.indexOf(messageId));
        if (at < 0)
            return;
        const qint64 target = siblings.at(std::clamp(at + delta, 0, int(siblings.size()) - 1));
        const qint64 leaf = latestLeafUnder(*all, target);
        QVector<ChatMessage> messages;
        QVector<qint64> parents;
        QString error;
        if (!loadBranch(db, sessionId, leaf, &messages, &parents, &error)) {
            postBack(this, [this, error] { Q_EMIT failed(error); });
            return;
        }
        postBack(this, [this, sessionId, messages, parents] {
            Q_EMIT conversationLoaded(sessionId, messages, parents);
        });
    })
}

void StorageService::addMessage(const NewMessage &message, int tag)
{
    FOLIO_STORAGE_JOB("add message", {
        folio::storage::Message m;
        m.sessionId = message.sessionId;
        m.parentId = message.parentId;
        m.role = message.message.role == ChatMessage::Role::Assistant ? QStringLiteral("assistant")
                                                                      : QStringLiteral("user");
        m.content = message.message.text;
        m.reasoning = message.message.thinking;
        m.citationsJson = citationsToJson(message.message.citations);
        m.statsJson = statsJsonFor(message.message);
        m.promptTokens = message.message.stats.promptTokens;
        m.completionTokens = message.message.stats.generatedTokens;
        auto added = folio::storage::MessageStore(db).add(m);
        if (!added.ok()) {
            const QString e = added.status().message();
            postBack(this, [this, e] { Q_EMIT failed(e); });
            return;
        }
        const qint64 id = added->id;
        // The KV snapshots the answer's request wrote belong to this turn now (deleting the
        // session or the branch deletes them; eviction keeps the newest per branch).
        const QVector<qint64> &snapshots = message.message.stats.snapshotIds;
        if (m.role == QLatin1String("assistant") && !snapshots.isEmpty())
            if (const auto st = folio::storage::SnapshotStore(db)
                                    .tieToTurn(std::span<const qint64>(snapshots.constData(),
                                                                       size_t(snapshots.size())),
                                               m.sessionId, m.parentId, id);
                !st.ok())
                qCWarning(lcApp) << "tying the answer's KV snapshots to it:" << st.message();
        postBack(this, [this, tag, id] { Q_EMIT messageAdded(tag, id); });
    })
}

void StorageService::updateMessage(qint64 sessionId, const ChatMessage &message)
{
    Q_UNUSED(sessionId)
    FOLIO_STORAGE_JOB("update message", {
        folio::storage::MessageStore store(db);
        auto m = store.get(message.id);
        if (!m.ok()) {
            const QString e = m.status().message();
            postBack(this, [this, e] { Q_EMIT failed(e); });
            return;
        }
        m->content = message.text;
        m->reasoning = message.thinking;
        m->citationsJson = citationsToJson(message.citations);
        m->statsJson = statsJsonFor(message);
        m->promptTokens = message.stats.promptTokens;
        m->completionTokens = message.stats.generatedTokens;
        const auto st = store.update(*m);
        if (!st.ok()) {
            const QString e = st.message();
            postBack(this, [this, e] { Q_EMIT failed(e); });
        }
    })
}

#undef FOLIO_STORAGE_JOB

QString StorageService::citationsToJson(const QVector<CitationLink> &citations)
{
    QJsonArray array;
    for (const CitationLink &c : citations) {
        QJsonObject o;
        o.insert(QStringLiteral("label"), c.text);
        o.insert(QStringLiteral("offset"), c.offset);
        o.insert(QStringLiteral("length"), c.length);
        o.insert(QStringLiteral("path"), c.path);
        o.insert(QStringLiteral("source"), c.source);
        if (c.page > 0) {
            o.insert(QStringLiteral("page"), c.page);
        } else {
            o.insert(QStringLiteral("line_begin"), c.lineBegin);
            o.insert(QStringLiteral("line_end"), c.lineEnd);
        }
        o.insert(QStringLiteral("verified"), c.verified);
        if (!c.reason.isEmpty())
            o.insert(QStringLiteral("reason"), c.reason);
        if (!c.quote.isEmpty())
            o.insert(QStringLiteral("quote"), c.quote);
        array.append(o);
    }
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

QVector<CitationLink> StorageService::citationsFromJson(const QString &json)
{
    QVector<CitationLink> out;
    for (const QJsonValue &v : QJsonDocument::fromJson(json.toUtf8()).array()) {
        const QJsonObject o = v.toObject();
        CitationLink c;
        c.text = o.value(QStringLiteral("label")).toString();
        c.offset = o.value(QStringLiteral("offset")).toInt();
        c.length = o.value(QStringLiteral("length")).toInt(int(c.text.size()));
        c.path = o.value(QStringLiteral("path")).toString();
        c.page = o.value(QStringLiteral("page")).toInt();
        c.source = o.value(QStringLiteral("source")).toInt();
        c.lineBegin = o.value(QStringLiteral("line_begin")).toInt();
        c.lineEnd = o.value(QStringLiteral("line_end")).toInt();
        c.verified = o.value(QStringLiteral("verified")).toBool();
        c.reason = o.value(QStringLiteral("reason")).toString();
        c.quote = o.value(QStringLiteral("quote")).toString();
        out.append(c);
    }
    return out;
}

QString StorageService::statsToJson(const AnswerStats &s)
{
    QJsonObject o;
    o.insert(QStringLiteral("prompt_tokens"), s.promptTokens);
    o.insert(QStringLiteral("completion_tokens"), s.generatedTokens);
    o.insert(QStringLiteral("ttft_ms"), s.timeToFirstTokenMs);
    o.insert(QStringLiteral("tokens_per_s"), s.tokensPerSecond);
    o.insert(QStringLiteral("snapshot_reused"), s.snapshotReused);
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

AnswerStats StorageService::statsFromJson(const QString &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json.toUtf8()).object();
    AnswerStats s;
    s.promptTokens = o.value(QStringLiteral("prompt_tokens")).toInt();
    s.generatedTokens = o.value(QStringLiteral("completion_tokens")).toInt();
    s.timeToFirstTokenMs = o.value(QStringLiteral("ttft_ms")).toDouble();
    s.tokensPerSecond = o.value(QStringLiteral("tokens_per_s")).toDouble();
    s.snapshotReused = o.value(QStringLiteral("snapshot_reused")).toBool();
    return s;
}

} // namespace folio::app
