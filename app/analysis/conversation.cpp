// Sessions as ask, chat and the server continue them (see conversation.h).
#include "app/analysis/conversation.h"

#include "app/logging.h"
#include "app/session_sources.h"
#include "ingest/packer.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"

#include <QJsonDocument>

#include <algorithm>
#include <map>

namespace folio::analysis {

namespace {

QString compact(const QJsonValue &v)
{
    return QString::fromUtf8((v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject()))
                                 .toJson(QJsonDocument::Compact));
}

// Citations as the GUI stores them (StorageService::citationsToJson reads the same keys).
QString citationsStorageJson(const std::vector<ingest::Citation> &citations)
{
    QJsonArray array;
    for (const ingest::Citation &c : citations) {
        QJsonObject o{{"label", c.text},
                      {"offset", int(c.offset)},
                      {"length", int(c.text.size())},
                      {"path", c.path},
                      {"source", std::max(0, c.source)},
                      {"verified", c.verified}};
        if (c.page > 0) {
            o.insert("page", c.page);
        } else {
            o.insert("line_begin", c.lineBegin);
            o.insert("line_end", c.lineEnd);
        }
        if (!c.verified && !c.detail.isEmpty())
            o.insert("reason", c.detail);
        array.append(o);
    }
    return compact(array);
}

bool isFailed(const storage::Message &m)
{
    return m.role == QLatin1String("assistant")
           && QJsonDocument::fromJson(m.statsJson.toUtf8()).object().value("state").toString()
                  == QLatin1String("failed");
}

// Packs `contents` with line numbers (so the model can cite lines) into `out`; over budget, the
// error lists ranked --exclude suggestions.
bool packInto(SessionSources &out, const ingest::TokenCounter &counter, qint64 contextTokens,
              qint64 answerReserve, QString *error)
{
    ingest::PackOptions po;
    po.lineNumbers = true;
    if (contextTokens > 0)
        po.contextTokens = contextTokens;
    po.answerReserve = answerReserve;
    const ingest::PackResult pack = ingest::Packer(counter).pack(out.contents, po);
    if (pack.overBudget) {
        *error = QStringLiteral("the sources are %1 tokens; the budget is %2.")
                     .arg(pack.totalTokens())
                     .arg(pack.budget);
        for (const ingest::Suggestion &s : pack.suggestions)
            *error += QStringLiteral("\n  --exclude '%1'  (%2, saves %3 tokens)")
                          .arg(s.exclude, s.reason)
                          .arg(s.tokens);
        return false;
    }
    out.packed = pack.text;
    out.tokens = pack.sourceTokens;
    out.totalTokens = pack.totalTokens();
    out.budget = pack.budget;
    return true;
}

} // namespace

double AnswerOutcome::prefillRate() const
{
    return prefillSeconds > 0 ? (promptTokens - cachedTokens) / prefillSeconds : 0;
}

double AnswerOutcome::decodeRate() const
{
    return decodeSeconds > 0 ? completionTokens / decodeSeconds : 0;
}

std::optional<SessionSources> ingestSources(const ingest::IngestRequest &ir,
                                            const ingest::TokenCounter &counter,
                                            qint64 contextTokens, qint64 answerReserve,
                                            QString *error)
{
    SessionSources out;
    ingest::IngestOutcome in = ingest::runIngest(ir);
    if (!in.status.ok()) {
        *error = QStringLiteral("%1: %2").arg(in.failedSource, in.status.message);
        return std::nullopt;
    }
    out.contents = std::move(in.sources);
    out.request = ir;
    if (!packInto(out, counter, contextTokens, answerReserve, error))
        return std::nullopt;
    return out;
}

QJsonArray citationsOutputJson(const std::vector<ingest::Citation> &citations)
{
    QJsonArray out;
    for (const ingest::Citation &c : citations) {
        QJsonObject o{{"text", c.text}, {"verified", c.verified}};
        if (c.verified) {
            o.insert("location", c.location);
            o.insert("source", c.source);
            o.insert("path", c.path);
            if (c.page > 0) {
                o.insert("page", c.page);
            } else {
                o.insert("line_begin", c.lineBegin);
                o.insert("line_end", c.lineEnd);
            }
        } else {
            o.insert("detail", c.detail);
        }
        out.append(o);
    }
    return out;
}

QJsonObject answerStatsJson(const AnswerOutcome &o, const QString &backend, bool thinking)
{
    QJsonObject s{{"prompt_tokens", o.promptTokens},
                  {"cached_prompt_tokens", o.cachedTokens},
                  {"completion_tokens", o.completionTokens},
                  {"prefill_tokens_per_s", o.prefillRate()},
                  {"decode_tokens_per_s", o.decodeRate()},
                  {"tokens_per_s", o.decodeRate()},
                  {"ttft_ms", o.firstTokenSeconds * 1000.0},
                  // True only when the prefix state was restored from a stored KV snapshot; a
                  // state the engine still held is "prefix_reuse": "memory".
                  {"snapshot_reused", o.reuse == QLatin1String("snapshot")},
                  {"prefix_reuse", o.reuse.isEmpty() ? QStringLiteral("none") : o.reuse},
                  {"backend", backend},
                  {"thinking", thinking}};
    if (o.reuse == QLatin1String("snapshot")) {
        s.insert("snapshot_id", o.snapshotId);
        s.insert("snapshot_restore_ms", o.restoreSeconds * 1000.0);
    }
    if (o.snapshotsWritten > 0)
        s.insert("snapshots_written", o.snapshotsWritten);
    if (!o.snapshotNotes.isEmpty())
        s.insert("snapshot_notes", QJsonArray::fromStringList(o.snapshotNotes));
    if (o.failed()) {
        s.insert("state", "failed");
        s.insert("error", o.error);
    } else if (o.stopped) {
        s.insert("state", "stopped");
    }
    return s;
}

std::unique_ptr<Conversation> Conversation::open(const QString &dbPath, QString *error)
{
    auto db = storage::Database::open(dbPath);
    if (!db.ok()) {
        *error = QStringLiteral("cannot open %1: %2").arg(dbPath, db.status().message());
        return nullptr;
    }
    auto c = std::unique_ptr<Conversation>(new Conversation);
    c->m_db = std::move(*db);
    return c;
}

void Conversation::startNew(SessionSources sources)
{
    m_session = storage::Session();
    m_sources = std::move(sources);
    m_anchor = 0;
}

bool Conversation::resume(const QString &idOrTitle, QString *error)
{
    storage::SessionStore sessions(*m_db);
    bool numeric = false;
    const qint64 id = idOrTitle.toLongLong(&numeric);
    if (numeric) {
        auto s = sessions.get(id);
        if (!s.ok()) {
            *error = QStringLiteral("no session %1: %2").arg(id).arg(s.status().message());
            return false;
        }
        m_session = *s;
    } else {
        auto all = sessions.list();
        if (!all.ok()) {
            *error = all.status().message();
            return false;
        }
        std::vector<storage::Session> named;
        for (const storage::Session &s : *all)
            if (s.title == idOrTitle)
                named.push_back(s);
        if (named.empty()) {
            *error = QStringLiteral("no session is titled \"%1\" (folio-cli session list)")
                         .arg(idOrTitle);
            return false;
        }
        if (named.size() > 1) {
            QStringList ids;
            for (const storage::Session &s : named)
                ids << QString::number(s.id);
            *error = QStringLiteral("%1 sessions are titled \"%2\" (ids %3); give the id")
                         .arg(named.size())
                         .arg(idOrTitle, ids.join(QStringLiteral(", ")));
            return false;
        }
        m_session = named.front();
    }
    auto leaf = storage::MessageStore(*m_db).latestLeaf(m_session.id);
    if (!leaf.ok()) {
        *error = leaf.status().message();
        return false;
    }
    m_anchor = *leaf;
    return true;
}

bool Conversation::restoreSources(const ingest::TokenCounter &counter, qint64 contextTokens,
                                  qint64 answerReserve, QStringList *notes, QString *error)
{
    auto records = storage::SessionStore(*m_db).sources(m_session.id);
    if (!records.ok()) {
        *error = records.status().message();
        return false;
    }
    const app::RestoreOutcome restored = app::restoreSources(*records);
    *notes = restored.notes;
    if (!restored.status.ok()) {
        // Answering without a source the session had would answer another question.
        *error = QStringLiteral("cannot restore the session's sources: %1")
                     .arg(restored.failures.join(QStringLiteral("; ")));
        return false;
    }
    m_sources = SessionSources();
    m_sources.contents = app::includedContents(restored.sources);
    return packInto(m_sources, counter, contextTokens, answerReserve, error);
}

bool Conversation::currentPath(std::vector<storage::Message> *path, QString *error)
{
    path->clear();
    if (m_anchor == 0)
        return true;
    auto p = storage::MessageStore(*m_db).path(m_anchor);
    if (!p.ok()) {
        *error = p.status().message();
        return false;
    }
    *path = std::move(*p);
    return true;
}

bool Conversation::history(QVector<analysis::Turn> *turns, QString *error)
{
    std::vector<storage::Message> path;
    if (!currentPath(&path, error))
        return false;
    turns->clear();
    for (const storage::Message &m : path) {
        if (isFailed(m))
            continue;
        turns->append({m.role != QLatin1String("assistant"), m.content, m.reasoning});
    }
    return true;
}

bool Conversation::branches(std::vector<Branch> *out, QString *error)
{
    out->clear();
    if (m_session.id == 0)
        return true;
    auto all = storage::MessageStore(*m_db).all(m_session.id);
    if (!all.ok()) {
        *error = all.status().message();
        return false;
    }
    std::map<qint64, const storage::Message *> byId;
    std::map<qint64, int> childCount;
    for (const storage::Message &m : *all) {
        byId[m.id] = &m;
        ++childCount[m.parentId];
    }
    for (const storage::Message &m : *all) {
        if (childCount.count(m.id))
            continue; // not a leaf
        Branch b;
        b.leaf = m.id;
        b.current = m.id == m_anchor;
        for (const storage::Message *at = &m; at;) {
            ++b.messages;
            if (b.lastQuestion.isEmpty() && at->role == QLatin1String("user"))
                b.lastQuestion = at->content;
            auto parent = byId.find(at->parentId);
            at = parent == byId.end() ? nullptr : parent->second;
        }
        out->push_back(b);
    }
    std::sort(out->begin(), out->end(),
              [](const Branch &a, const Branch &b) { return a.leaf < b.leaf; });
    return true;
}

bool Conversation::switchToBranch(int index, QString *error)
{
    std::vector<Branch> list;
    if (!branches(&list, error))
        return false;
    if (index < 1 || index > int(list.size())) {
        *error = list.empty()
                     ? QStringLiteral("the session has no messages yet")
                     : QStringLiteral("no branch %1 (1 to %2)").arg(index).arg(list.size());
        return false;
    }
    m_anchor = list[size_t(index - 1)].leaf;
    return true;
}

bool Conversation::branchAt(qint64 messageId, QString *error)
{
    if (messageId == 0) {
        m_anchor = 0;
        return true;
    }
    auto m = storage::MessageStore(*m_db).get(messageId);
    if (!m.ok() || m->sessionId != m_session.id || m_session.id == 0) {
        *error = QStringLiteral("no message %1 in this session").arg(messageId);
        return false;
    }
    // After an answer the next question continues it; a question is replaced (its parent).
    m_anchor = m->role == QLatin1String("assistant") ? m->id : m->parentId;
    return true;
}

bool Conversation::createSession(const QString &title, QString *error)
{
    storage::SessionStore sessions(*m_db);
    storage::Session s;
    s.title = title.left(80);
    auto created = sessions.create(s);
    if (!created.ok()) {
        *error = created.status().message();
        return false;
    }
    m_session = *created;
    if (!m_sources.request)
        return true;
    // Stored as the GUI stores them, so either front end can read them again.
    for (const storage::Source &record : app::sourceRecords(*m_sources.request, m_sources.contents,
                                                            m_sources.tokens, m_session.id)) {
        if (auto added = sessions.addSource(record); !added.ok()) {
            *error = added.status().message();
            return false;
        }
    }
    return true;
}

std::optional<Conversation::SavedTurn> Conversation::saveTurn(
    const QString &question, bool thinking, const AnswerOutcome &outcome, const QString &backend,
    const std::vector<ingest::Citation> &citations, QString *error)
{
    if (m_session.id == 0 && !createSession(question, error))
        return std::nullopt;
    storage::MessageStore messages(*m_db);
    storage::Message q;
    q.sessionId = m_session.id;
    q.parentId = m_anchor;
    q.role = QStringLiteral("user");
    q.content = question;
    auto qm = messages.add(q);
    if (!qm.ok()) {
        *error = qm.status().message();
        return std::nullopt;
    }
    storage::Message a;
    a.sessionId = m_session.id;
    a.parentId = qm->id;
    a.role = QStringLiteral("assistant");
    a.content = outcome.content;
    a.reasoning = outcome.reasoning;
    a.citationsJson = citationsStorageJson(citations);
    a.promptTokens = outcome.promptTokens;
    a.completionTokens = outcome.completionTokens;
    a.statsJson = compact(answerStatsJson(outcome, backend, thinking));
    auto am = messages.add(a);
    if (!am.ok()) {
        *error = am.status().message();
        return std::nullopt;
    }
    m_anchor = am->id;
    // The snapshots belong to this session and branch now (deleting either deletes them). A
    // failure here costs only eviction precision: the turn itself is stored.
    if (!outcome.snapshotIds.empty()) {
        storage::SnapshotStore snapshots(*m_db);
        const storage::Status st = snapshots.tieToTurn(outcome.snapshotIds, m_session.id, qm->id,
                                                       am->id);
        if (!st.ok())
            qCWarning(lcApp) << "tying the answer's KV snapshots to session" << m_session.id << ":"
                             << st.message();
    }
    return SavedTurn{qm->id, am->id};
}

} // namespace folio::analysis
