// Session export (Markdown, HTML, JSON) and bundles (see session_export.h).
#include "storage/session_export.h"

#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"

#include <QDateTime>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QtEndian>

#include <vector>

namespace folio::storage {

namespace {

constexpr char kBundleMagic[] = "FOLIOBUNDLE1\n"; // 13 bytes + NUL
constexpr qint64 kMagicSize = sizeof(kBundleMagic) - 1;

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

qint64 fromIso(const QJsonValue &v)
{
    const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toMSecsSinceEpoch() : QDateTime::currentMSecsSinceEpoch();
}

QJsonValue parseJson(const QString &text, bool array)
{
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
    if (array)
        return doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(QJsonArray());
    return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(QJsonObject());
}

QString compact(const QJsonValue &v)
{
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return {};
}

// Where a citation points: the cited file (with #L12-L30) or PDF page (#page=7), as a URL built
// from the source's location. A citation that already carries an href keeps it.
QString citationHref(const QJsonObject &c, const QHash<qint64, Source> &sources)
{
    if (c.contains(QLatin1String("href")))
        return c.value(QLatin1String("href")).toString();
    const QString path = c.value(QLatin1String("path")).toString();
    const Source src = sources.value(qint64(c.value(QLatin1String("source")).toDouble()));
    QString target;
    if (src.kind == QLatin1String("pdf") || src.kind == QLatin1String("text") || path.isEmpty()) {
        target = src.uri.isEmpty() ? path : src.uri;
    } else {
        target = src.uri.isEmpty() ? path : src.uri + QLatin1Char('/') + path;
    }
    QUrl url = QUrl(target).scheme().size() > 1      ? QUrl(target)
               : target.startsWith(QLatin1Char('/')) ? QUrl::fromLocalFile(target)
                                                     : QUrl(target);
    const int page = c.value(QLatin1String("page")).toInt();
    const int lb = c.value(QLatin1String("line_begin")).toInt();
    const int le = c.value(QLatin1String("line_end")).toInt();
    if (page > 0)
        url.setFragment(QStringLiteral("page=%1").arg(page));
    else if (lb > 0)
        url.setFragment(le > lb ? QStringLiteral("L%1-L%2").arg(lb).arg(le)
                                : QStringLiteral("L%1").arg(lb));
    return url.toString(QUrl::FullyEncoded);
}

QString citationLabel(const QJsonObject &c)
{
    QString label = c.value(QLatin1String("label")).toString();
    if (label.isEmpty())
        label = c.value(QLatin1String("path")).toString();
    return label;
}

struct Loaded
{
    Session session;
    std::vector<Source> sources;
    QHash<qint64, Source> sourceById;
    std::vector<Message> messages; // whole tree
};

Result<Loaded> load(Database &db, qint64 sessionId)
{
    Loaded l;
    Result<Session> s = SessionStore(db).get(sessionId);
    if (!s.ok())
        return s.status();
    l.session = *s;
    Result<std::vector<Source>> src = SessionStore(db).sources(sessionId);
    if (!src.ok())
        return src.status();
    l.sources = *src;
    for (const Source &x : l.sources)
        l.sourceById.insert(x.id, x);
    Result<std::vector<Message>> m = MessageStore(db).all(sessionId);
    if (!m.ok())
        return m.status();
    l.messages = *m;
    return l;
}

QJsonArray citationsWithLinks(const Message &m, const QHash<qint64, Source> &sources)
{
    QJsonArray out;
    for (const QJsonValue &v : parseJson(m.citationsJson, true).toArray()) {
        QJsonObject c = v.toObject();
        c.insert(QStringLiteral("href"), citationHref(c, sources));
        out.append(c);
    }
    return out;
}

QString roleTitle(const QString &role)
{
    if (role == QLatin1String("user"))
        return QStringLiteral("Question");
    if (role == QLatin1String("assistant"))
        return QStringLiteral("Answer");
    return QStringLiteral("System");
}

QByteArray renderMarkdown(const Loaded &l, const std::vector<Message> &branch)
{
    QString out;
    out += QStringLiteral("# %1\n\n")
               .arg(l.session.title.isEmpty() ? QStringLiteral("Untitled session")
                                              : l.session.title);
    out += QStringLiteral("*Folio session %1, created %2, updated %3.*\n\n")
               .arg(l.session.id)
               .arg(isoTime(l.session.createdMs), isoTime(l.session.updatedMs));
    if (!l.sources.empty()) {
        out += QStringLiteral("## Sources\n\n");
        for (const Source &s : l.sources)
            out += QStringLiteral("- %1 `%2`%3 (%4 tokens)\n")
                       .arg(s.kind, s.uri,
                            s.revision.isEmpty() ? QString()
                                                 : QStringLiteral(" @ `%1`").arg(s.revision))
                       .arg(s.tokenCount);
        out += QLatin1Char('\n');
    }
    out += QStringLiteral("## Conversation\n\n");
    for (const Message &m : branch) {
        out += QStringLiteral("### %1\n\n").arg(roleTitle(m.role));
        if (!m.reasoning.isEmpty()) {
            out += QStringLiteral("<details><summary>Reasoning</summary>\n\n%1\n\n</details>\n\n")
                       .arg(m.reasoning.trimmed());
        }
        out += m.content.trimmed() + QStringLiteral("\n\n");
        const QJsonArray cites = citationsWithLinks(m, l.sourceById);
        if (!cites.isEmpty()) {
            QStringList links;
            for (const QJsonValue &v : cites) {
                const QJsonObject c = v.toObject();
                links << QStringLiteral("[%1](%2)")
                             .arg(citationLabel(c), c.value(QLatin1String("href")).toString());
            }
            out += QStringLiteral("Cited: %1\n\n").arg(links.join(QStringLiteral(", ")));
        }
    }
    return out.toUtf8();
}

QByteArray renderHtml(const Loaded &l, const std::vector<Message> &branch)
{
    const QString title = (l.session.title.isEmpty() ? QStringLiteral("Untitled session")
                                                     : l.session.title)
                              .toHtmlEscaped();
    QString out = QStringLiteral(
                      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<title>%1</title>\n<style>body{font-family:sans-serif;max-width:50em;"
                      "margin:2em auto;line-height:1.5}.content{white-space:pre-wrap}"
                      ".question{background:#f3f3f7;padding:.5em 1em;border-radius:6px}"
                      "details{color:#555}</style>\n</head>\n<body>\n<h1>%1</h1>\n"
                      "<p><em>Folio session %2, created %3, updated %4.</em></p>\n")
                      .arg(title)
                      .arg(l.session.id)
                      .arg(isoTime(l.session.createdMs), isoTime(l.session.updatedMs));
    if (!l.sources.empty()) {
        out += QStringLiteral("<h2>Sources</h2>\n<ul>\n");
        for (const Source &s : l.sources)
            out += QStringLiteral("<li>%1 <code>%2</code>%3 (%4 tokens)</li>\n")
                       .arg(s.kind.toHtmlEscaped(), s.uri.toHtmlEscaped(),
                            s.revision.isEmpty() ? QString()
                                                 : QStringLiteral(" @ <code>%1</code>")
                                                       .arg(s.revision.toHtmlEscaped()))
                       .arg(s.tokenCount);
        out += QStringLiteral("</ul>\n");
    }
    out += QStringLiteral("<h2>Conversation</h2>\n");
    for (const Message &m : branch) {
        out += QStringLiteral("<section class=\"%1\">\n<h3>%2</h3>\n")
                   .arg(m.role == QLatin1String("user") ? QStringLiteral("question")
                                                        : QStringLiteral("answer"),
                        roleTitle(m.role));
        if (!m.reasoning.isEmpty())
            out += QStringLiteral("<details><summary>Reasoning</summary><div class=\"content\">%1"
                                  "</div></details>\n")
                       .arg(m.reasoning.trimmed().toHtmlEscaped());
        out += QStringLiteral("<div class=\"content\">%1</div>\n")
                   .arg(m.content.trimmed().toHtmlEscaped());
        const QJsonArray cites = citationsWithLinks(m, l.sourceById);
        if (!cites.isEmpty()) {
            QStringList links;
            for (const QJsonValue &v : cites) {
                const QJsonObject c = v.toObject();
                links << QStringLiteral("<a href=\"%1\">%2</a>")
                             .arg(c.value(QLatin1String("href")).toString().toHtmlEscaped(),
                                  citationLabel(c).toHtmlEscaped());
            }
            out += QStringLiteral("<p>Cited: %1</p>\n").arg(links.join(QStringLiteral(", ")));
        }
        out += QStringLiteral("</section>\n");
    }
    out += QStringLiteral("</body>\n</html>\n");
    return out.toUtf8();
}

} // namespace

bool parseExportFormat(const QString &name, ExportFormat *format)
{
    const QString n = name.toLower();
    if (n == QLatin1String("md") || n == QLatin1String("markdown"))
        *format = ExportFormat::Markdown;
    else if (n == QLatin1String("html"))
        *format = ExportFormat::Html;
    else if (n == QLatin1String("json"))
        *format = ExportFormat::Json;
    else
        return false;
    return true;
}

Result<QJsonObject> sessionToJson(Database &db, qint64 sessionId)
{
    Result<Loaded> l = load(db, sessionId);
    if (!l.ok())
        return l.status();
    Result<qint64> leaf = MessageStore(db).latestLeaf(sessionId);
    if (!leaf.ok())
        return leaf.status();
    QJsonObject session{{"id", l->session.id},
                        {"title", l->session.title},
                        {"created", isoTime(l->session.createdMs)},
                        {"updated", isoTime(l->session.updatedMs)},
                        {"model_fingerprint", l->session.modelFingerprint},
                        {"settings", parseJson(l->session.settingsJson, false)}};
    QJsonArray sources;
    for (const Source &s : l->sources)
        sources.append(QJsonObject{{"id", s.id},
                                   {"position", s.position},
                                   {"kind", s.kind},
                                   {"uri", s.uri},
                                   {"revision", s.revision},
                                   {"filters", parseJson(s.filtersJson, false)},
                                   {"token_count", s.tokenCount},
                                   {"extracted_text", s.extractedText},
                                   {"added", isoTime(s.addedMs)}});
    QJsonArray messages;
    for (const Message &m : l->messages)
        messages.append(
            QJsonObject{{"id", m.id},
                        {"parent_id", m.parentId ? QJsonValue(m.parentId) : QJsonValue()},
                        {"role", m.role},
                        {"content", m.content},
                        {"reasoning", m.reasoning},
                        {"citations", citationsWithLinks(m, l->sourceById)},
                        {"prompt_tokens", m.promptTokens},
                        {"completion_tokens", m.completionTokens},
                        {"stats", parseJson(m.statsJson, false)},
                        {"created", isoTime(m.createdMs)}});
    return QJsonObject{{"format", "folio-session"},
                       {"version", 1},
                       {"session", session},
                       {"sources", sources},
                       {"messages", messages},
                       {"current_leaf", *leaf ? QJsonValue(*leaf) : QJsonValue()}};
}

Result<QByteArray> exportSession(Database &db, qint64 sessionId, ExportFormat format, qint64 leafId)
{
    if (format == ExportFormat::Json) {
        Result<QJsonObject> json = sessionToJson(db, sessionId);
        if (!json.ok())
            return json.status();
        return QJsonDocument(*json).toJson(QJsonDocument::Indented);
    }
    Result<Loaded> l = load(db, sessionId);
    if (!l.ok())
        return l.status();
    if (!leafId) {
        Result<qint64> leaf = MessageStore(db).latestLeaf(sessionId);
        if (!leaf.ok())
            return leaf.status();
        leafId = *leaf;
    }
    std::vector<Message> branch;
    if (leafId) {
        Result<std::vector<Message>> path = MessageStore(db).path(leafId);
        if (!path.ok())
            return path.status();
        if (!path->empty() && path->front().sessionId != sessionId)
            return Status::error(Status::NotFound, QStringLiteral("message %1 is not in session %2")
                                                       .arg(leafId)
                                                       .arg(sessionId));
        branch = *path;
    }
    return format == ExportFormat::Markdown ? renderMarkdown(*l, branch) : renderHtml(*l, branch);
}

Status exportBundle(Database &db, qint64 sessionId, const QString &path, bool withSnapshots)
{
    Result<QJsonObject> json = sessionToJson(db, sessionId);
    if (!json.ok())
        return json.status();
    SnapshotStore store(db);
    std::vector<SnapshotInfo> snaps;
    if (withSnapshots) {
        Result<std::vector<SnapshotInfo>> list = store.list(sessionId);
        if (!list.ok())
            return list.status();
        snaps = *list;
    }
    QJsonArray snapArray;
    for (const SnapshotInfo &s : snaps)
        snapArray.append(
            QJsonObject{{"kind", s.kind},
                        {"message_id", s.messageId ? QJsonValue(s.messageId) : QJsonValue()},
                        {"model_fingerprint", s.key.modelFingerprint},
                        {"state_format", qint64(s.key.stateFormat)},
                        {"prefix_hash", s.key.prefixHash},
                        {"token_count", s.key.tokenCount},
                        {"raw_size", s.rawSize},
                        {"payload_xxh3_64", s.payloadChecksum}});
    json->insert(QStringLiteral("snapshots"), snapArray);
    const QByteArray doc = QJsonDocument(*json).toJson(QJsonDocument::Compact);

    // Written beside the target and renamed at the end: a failed export never leaves a
    // truncated bundle under the real name.
    QFile out(path + QStringLiteral(".part"));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return Status::error(Status::Io, QStringLiteral("cannot write %1: %2")
                                             .arg(out.fileName(), out.errorString()));
    const quint64 len = qToLittleEndian(quint64(doc.size()));
    bool ok = out.write(kBundleMagic, kMagicSize) == kMagicSize
              && out.write(reinterpret_cast<const char *>(&len), 8) == 8
              && out.write(doc) == doc.size();
    std::vector<char> buf(size_t(8) << 20);
    for (size_t i = 0; ok && i < snaps.size(); ++i) {
        Result<std::unique_ptr<SnapshotReader>> r = store.open(snaps[i].id);
        if (!r.ok()) {
            out.remove();
            return Status(r.status())
                .context(QStringLiteral("exporting snapshot %1").arg(snaps[i].id));
        }
        for (;;) {
            Result<size_t> n = (*r)->read(buf.data(), buf.size());
            if (!n.ok()) {
                out.remove();
                return Status(n.status())
                    .context(QStringLiteral("exporting snapshot %1").arg(snaps[i].id));
            }
            if (*n == 0)
                break;
            if (out.write(buf.data(), qint64(*n)) != qint64(*n)) {
                ok = false;
                break;
            }
        }
    }
    if (!ok || !out.flush()) {
        const QString why = out.errorString();
        out.remove();
        return Status::error(Status::Io, QStringLiteral("writing %1: %2").arg(path, why));
    }
    out.close();
    QFile::remove(path);
    if (!out.rename(path))
        return Status::error(Status::Io, QStringLiteral("cannot rename the bundle to %1").arg(path));
    return {};
}

Result<qint64> importBundle(Database &db, const QString &path)
{
    QFile in(path);
    if (!in.open(QIODevice::ReadOnly))
        return Status::error(Status::Io,
                             QStringLiteral("cannot read %1: %2").arg(path, in.errorString()));
    const QByteArray magic = in.read(kMagicSize);
    quint64 len = 0;
    if (magic != QByteArray(kBundleMagic, kMagicSize)
        || in.read(reinterpret_cast<char *>(&len), 8) != 8)
        return Status::error(QStringLiteral("%1 is not a Folio session bundle").arg(path));
    len = qFromLittleEndian(len);
    if (len > quint64(in.size()))
        return Status::error(Status::Corrupt, QStringLiteral("%1 is truncated").arg(path));
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(in.read(qint64(len)), &perr);
    const QJsonObject root = doc.object();
    if (perr.error != QJsonParseError::NoError
        || root.value(QLatin1String("format")) != QLatin1String("folio-session"))
        return Status::error(Status::Corrupt, QStringLiteral("%1: the bundle's JSON is invalid: %2")
                                                  .arg(path, perr.errorString()));
    if (root.value(QLatin1String("version")).toInt() != 1)
        return Status::error(Status::NewerSchema,
                             QStringLiteral("%1: bundle version %2 is not supported")
                                 .arg(path)
                                 .arg(root.value(QLatin1String("version")).toInt()));

    const QJsonObject js = root.value(QLatin1String("session")).toObject();
    Session session;
    session.title = js.value(QLatin1String("title")).toString();
    session.createdMs = fromIso(js.value(QLatin1String("created")));
    session.updatedMs = fromIso(js.value(QLatin1String("updated")));
    session.modelFingerprint = js.value(QLatin1String("model_fingerprint")).toString();
    session.settingsJson = compact(js.value(QLatin1String("settings")));
    SessionStore sessions(db);
    Result<Session> created = sessions.create(session);
    if (!created.ok())
        return created.status();
    const qint64 sid = created->id;
    // From here on, any failure removes the half-imported session (cascade) and its payloads.
    auto undo = [&](Status s) -> Result<qint64> {
        sessions.remove(sid);
        return s.context(QStringLiteral("importing %1").arg(path));
    };

    for (const QJsonValue &v : root.value(QLatin1String("sources")).toArray()) {
        const QJsonObject o = v.toObject();
        Source s;
        s.sessionId = sid;
        s.position = o.value(QLatin1String("position")).toInt();
        s.kind = o.value(QLatin1String("kind")).toString();
        s.uri = o.value(QLatin1String("uri")).toString();
        s.revision = o.value(QLatin1String("revision")).toString();
        s.filtersJson = compact(o.value(QLatin1String("filters")));
        s.tokenCount = qint64(o.value(QLatin1String("token_count")).toDouble());
        s.extractedText = o.value(QLatin1String("extracted_text")).toString();
        s.addedMs = fromIso(o.value(QLatin1String("added")));
        if (Result<Source> r = sessions.addSource(s); !r.ok())
            return undo(r.status());
    }
    // Messages are listed parents first (ascending ids); old ids map to the new ones.
    QHash<qint64, qint64> newId;
    MessageStore messages(db);
    for (const QJsonValue &v : root.value(QLatin1String("messages")).toArray()) {
        const QJsonObject o = v.toObject();
        Message m;
        m.sessionId = sid;
        const qint64 oldParent = qint64(o.value(QLatin1String("parent_id")).toDouble());
        if (oldParent && !newId.contains(oldParent))
            return undo(Status::error(Status::Corrupt,
                                      QStringLiteral("message %1 has an unknown parent")
                                          .arg(qint64(o.value(QLatin1String("id")).toDouble()))));
        m.parentId = oldParent ? newId.value(oldParent) : 0;
        m.role = o.value(QLatin1String("role")).toString();
        m.content = o.value(QLatin1String("content")).toString();
        m.reasoning = o.value(QLatin1String("reasoning")).toString();
        m.citationsJson = compact(o.value(QLatin1String("citations")));
        m.promptTokens = qint64(o.value(QLatin1String("prompt_tokens")).toDouble());
        m.completionTokens = qint64(o.value(QLatin1String("completion_tokens")).toDouble());
        m.statsJson = compact(o.value(QLatin1String("stats")));
        m.createdMs = fromIso(o.value(QLatin1String("created")));
        Result<Message> r = messages.add(m);
        if (!r.ok())
            return undo(r.status());
        newId.insert(qint64(o.value(QLatin1String("id")).toDouble()), r->id);
    }

    SnapshotStore store(db);
    store.setEvictionPolicy({0, 0}); // an import brings exactly what it was given
    std::vector<char> buf(size_t(8) << 20);
    for (const QJsonValue &v : root.value(QLatin1String("snapshots")).toArray()) {
        const QJsonObject o = v.toObject();
        SnapshotInfo meta;
        meta.sessionId = sid;
        meta.messageId = newId.value(qint64(o.value(QLatin1String("message_id")).toDouble()));
        meta.kind = o.value(QLatin1String("kind")).toString();
        meta.key.modelFingerprint = o.value(QLatin1String("model_fingerprint")).toString();
        meta.key.stateFormat = quint32(o.value(QLatin1String("state_format")).toDouble());
        meta.key.prefixHash = o.value(QLatin1String("prefix_hash")).toString();
        meta.key.tokenCount = qint64(o.value(QLatin1String("token_count")).toDouble());
        qint64 left = qint64(o.value(QLatin1String("raw_size")).toDouble());
        Result<std::unique_ptr<SnapshotWriter>> w = store.beginWrite(meta);
        if (!w.ok())
            return undo(w.status());
        while (left > 0) {
            const qint64 n = in.read(buf.data(), std::min<qint64>(left, qint64(buf.size())));
            if (n <= 0)
                return undo(
                    Status::error(Status::Corrupt, QStringLiteral("the bundle is truncated")));
            if (Status s = (*w)->write(buf.data(), size_t(n)); !s.ok())
                return undo(s);
            left -= n;
        }
        Result<SnapshotInfo> info = (*w)->commit();
        if (!info.ok())
            return undo(info.status());
        if (info->payloadChecksum != o.value(QLatin1String("payload_xxh3_64")).toString())
            return undo(Status::error(Status::Corrupt,
                                      QStringLiteral(
                                          "a snapshot in the bundle does not match its checksum")));
    }
    return sid;
}

} // namespace folio::storage
