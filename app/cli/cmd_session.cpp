// folio-cli session: the saved sessions in folio.db.
//   session list                       sessions, most recently updated first
//   session show ID                    sources and the current branch of the conversation
//   session delete ID                  the session, its messages and its snapshots
//   session export ID --format md|html|json|bundle [--out FILE] [--with-snapshots]
//   session import FILE                a bundle written by `export --format bundle`
//   session search QUERY               full-text search over messages and source text
//   session snapshots [--gc] [--verify]  KV snapshots; --gc applies the eviction policy and
//                                      removes unreferenced payload files
//   session check                      integrity_check of the database + every snapshot verified
// All take --db PATH (default: the data directory's folio.db; FOLIO_DATA_DIR overrides the data
// directory) and --json for machine output.
#include "app/app_info.h"
#include "app/cli/command.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/search_index.h"
#include "storage/session_export.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

using namespace folio::storage;

namespace folio::cli {

namespace {

constexpr const char *kName = "session";

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

QString humanBytes(qint64 n)
{
    if (n >= (qint64(1) << 30))
        return QStringLiteral("%1 GiB").arg(double(n) / double(qint64(1) << 30), 0, 'f', 2);
    if (n >= (qint64(1) << 20))
        return QStringLiteral("%1 MiB").arg(double(n) / double(qint64(1) << 20), 0, 'f', 1);
    return QStringLiteral("%1 KiB").arg(double(n) / 1024.0, 0, 'f', 1);
}

void printJson(const QJsonValue &v)
{
    QTextStream out(stdout);
    out << (v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject()))
               .toJson(QJsonDocument::Indented);
}

int fail(const Status &s)
{
    printError(kName, s.message());
    return ExitFailure;
}

bool parseId(const QStringList &pos, qint64 *id)
{
    bool ok = false;
    *id = pos.value(1).toLongLong(&ok);
    return ok && *id > 0;
}

int runList(Database &db, bool json)
{
    Result<std::vector<Session>> list = SessionStore(db).list();
    if (!list.ok())
        return fail(list.status());
    if (json) {
        QJsonArray arr;
        for (const Session &s : *list) {
            const qint64 count = *db.queryInt(
                QStringLiteral("SELECT count(*) FROM messages WHERE session_id = %1").arg(s.id));
            arr.append(QJsonObject{{"id", s.id},
                                   {"title", s.title},
                                   {"created", isoTime(s.createdMs)},
                                   {"updated", isoTime(s.updatedMs)},
                                   {"messages", count},
                                   {"model_fingerprint", s.modelFingerprint}});
        }
        printJson(arr);
        return ExitOk;
    }
    QTextStream out(stdout);
    if (list->empty()) {
        QTextStream(stderr) << "no sessions in " << db.path() << "\n";
        return ExitOk;
    }
    out << QStringLiteral("%1  %2  %3\n")
               .arg(QStringLiteral("ID"), 6)
               .arg(QStringLiteral("UPDATED"), -20)
               .arg(QStringLiteral("TITLE"));
    for (const Session &s : *list)
        out << QStringLiteral("%1  %2  %3\n")
                   .arg(s.id, 6)
                   .arg(isoTime(s.updatedMs), -20)
                   .arg(s.title);
    return ExitOk;
}

int runShow(Database &db, qint64 id, bool json)
{
    if (json) {
        Result<QJsonObject> obj = sessionToJson(db, id);
        if (!obj.ok())
            return fail(obj.status());
        printJson(*obj);
        return ExitOk;
    }
    Result<QByteArray> md = exportSession(db, id, ExportFormat::Markdown);
    if (!md.ok())
        return fail(md.status());
    QTextStream(stdout) << QString::fromUtf8(*md);
    return ExitOk;
}

int runExport(Database &db, qint64 id, const QString &format, const QString &outPath,
              bool withSnapshots)
{
    if (format == QLatin1String("bundle")) {
        if (outPath.isEmpty()) {
            printError(kName, QStringLiteral("--format bundle needs --out FILE"));
            return ExitUsage;
        }
        if (Status s = exportBundle(db, id, outPath, withSnapshots); !s.ok())
            return fail(s);
        QTextStream(stderr) << "wrote " << outPath << "\n";
        return ExitOk;
    }
    ExportFormat f;
    if (!parseExportFormat(format, &f)) {
        printError(kName,
                   QStringLiteral("unknown format '%1' (md, html, json or bundle)").arg(format));
        return ExitUsage;
    }
    Result<QByteArray> data = exportSession(db, id, f);
    if (!data.ok())
        return fail(data.status());
    if (outPath.isEmpty() || outPath == QLatin1String("-")) {
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly) || out.write(*data) != data->size())
            return fail(Status::error(Status::Io, QStringLiteral("cannot write to stdout")));
        return ExitOk;
    }
    QFile out(outPath);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(*data) != data->size()
        || !out.flush())
        return fail(
            Status::error(Status::Io,
                          QStringLiteral("cannot write %1: %2").arg(outPath, out.errorString())));
    QTextStream(stderr) << "wrote " << outPath << "\n";
    return ExitOk;
}

int runSearch(Database &db, const QString &query, int limit, bool json)
{
    Result<std::vector<SearchHit>> hits = SearchIndex(db).search(query, limit);
    if (!hits.ok())
        return fail(hits.status());
    if (json) {
        QJsonArray arr;
        for (const SearchHit &h : *hits)
            arr.append(QJsonObject{{"session", h.sessionId},
                                   {"title", h.title},
                                   {"kind", h.kind == SearchHit::MessageHit ? "message" : "source"},
                                   {"id", h.id},
                                   {"snippet", h.snippet},
                                   {"rank", h.rank}});
        printJson(arr);
        return ExitOk;
    }
    QTextStream out(stdout);
    for (const SearchHit &h : *hits)
        out << QStringLiteral("session %1 (%2), %3 %4: %5\n")
                   .arg(h.sessionId)
                   .arg(h.title, h.kind == SearchHit::MessageHit ? QStringLiteral("message")
                                                                 : QStringLiteral("source"))
                   .arg(h.id)
                   .arg(h.snippet.simplified());
    if (hits->empty())
        QTextStream(stderr) << "no matches\n";
    return ExitOk;
}

int runSnapshots(Database &db, bool gc, bool verify, bool json)
{
    SnapshotStore store(db);
    int evicted = 0, orphans = 0;
    if (gc) {
        // The policy stored in the database's settings (shared by the GUI, the CLI and serve).
        Result<EvictionPolicy> policy = storedEvictionPolicy(db);
        if (!policy.ok())
            return fail(policy.status());
        Result<int> e = store.evict(*policy);
        if (!e.ok())
            return fail(e.status());
        Result<int> o = store.collectGarbage();
        if (!o.ok())
            return fail(o.status());
        evicted = *e;
        orphans = *o;
    }
    Result<std::vector<SnapshotInfo>> list = store.list();
    if (!list.ok())
        return fail(list.status());
    bool allOk = true;
    QJsonArray arr;
    QTextStream out(stdout);
    if (!json)
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7  %8\n")
                   .arg(QStringLiteral("ID"), 6)
                   .arg(QStringLiteral("SESSION"), 8)
                   .arg(QStringLiteral("AFTER MSG"), 9)
                   .arg(QStringLiteral("KIND"), -10)
                   .arg(QStringLiteral("TOKENS"), 9)
                   .arg(QStringLiteral("SIZE"), 11)
                   .arg(QStringLiteral("LAST USED"), -20)
                   .arg(verify ? QStringLiteral("CHECK") : QString());
    for (const SnapshotInfo &s : *list) {
        QString check;
        if (verify) {
            const Status v = store.verify(s.id);
            allOk = allOk && v.ok();
            check = v.ok() ? QStringLiteral("ok") : v.message();
        }
        if (json) {
            QJsonObject o{{"id", s.id},
                          {"session", s.sessionId ? QJsonValue(s.sessionId) : QJsonValue()},
                          {"message", s.messageId ? QJsonValue(s.messageId) : QJsonValue()},
                          {"kind", s.kind},
                          {"model_fingerprint", s.key.modelFingerprint},
                          {"state_format", qint64(s.key.stateFormat)},
                          {"prefix_hash", s.key.prefixHash},
                          {"tokens", s.key.tokenCount},
                          {"raw_size", s.rawSize},
                          {"stored_size", s.storedSize},
                          {"chunks", s.chunkCount},
                          {"created", isoTime(s.createdMs)},
                          {"last_used", isoTime(s.lastUsedMs)}};
            if (verify)
                o.insert(QStringLiteral("check"), check);
            arr.append(o);
        } else {
            // "-": no session (a session-less request: only the size cap evicts it) / no
            // message (the sources' prefix of its session).
            auto idOrDash = [](qint64 id) { return id ? QString::number(id) : QStringLiteral("-"); };
            out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7  %8\n")
                       .arg(s.id, 6)
                       .arg(idOrDash(s.sessionId), 8)
                       .arg(idOrDash(s.messageId), 9)
                       .arg(s.kind, -10)
                       .arg(s.key.tokenCount, 9)
                       .arg(humanBytes(s.storedSize), 11)
                       .arg(isoTime(s.lastUsedMs), -20)
                       .arg(check);
        }
    }
    Result<qint64> total = store.totalStoredBytes();
    if (json) {
        QJsonObject root{{"snapshots", arr}, {"total_stored_bytes", total.ok() ? *total : 0}};
        if (gc) {
            root.insert(QStringLiteral("evicted"), evicted);
            root.insert(QStringLiteral("orphan_files_removed"), orphans);
        }
        printJson(root);
    } else {
        out << QStringLiteral("%1 snapshots, %2\n")
                   .arg(list->size())
                   .arg(humanBytes(total.ok() ? *total : 0));
        if (gc)
            QTextStream(stderr) << "evicted " << evicted << " snapshots, removed " << orphans
                                << " unreferenced payload files\n";
    }
    if (!allOk) {
        printError(kName, QStringLiteral("some snapshots failed verification"));
        return ExitFailure;
    }
    return ExitOk;
}

int runCheck(Database &db, bool json)
{
    Result<QStringList> problems = db.integrityCheck();
    if (!problems.ok())
        return fail(problems.status());
    SnapshotStore store(db);
    Result<std::vector<SnapshotInfo>> list = store.list();
    if (!list.ok())
        return fail(list.status());
    QStringList bad = *problems;
    for (const SnapshotInfo &s : *list)
        if (Status v = store.verify(s.id); !v.ok())
            bad << v.message();
    if (json) {
        printJson(QJsonObject{{"ok", bad.isEmpty()},
                              {"snapshots_checked", qint64(list->size())},
                              {"problems", QJsonArray::fromStringList(bad)}});
    } else {
        QTextStream out(stdout);
        for (const QString &p : bad)
            out << p << "\n";
        if (bad.isEmpty())
            out << "ok: " << db.path() << " passed integrity_check; " << list->size()
                << " snapshots verified\n";
    }
    if (!bad.isEmpty()) {
        printError(kName, QStringLiteral("%1 problems found").arg(bad.size()));
        return ExitFailure;
    }
    return ExitOk;
}

} // namespace

int runSession(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Saved sessions in folio.db.\n\n"
        "  list                 sessions, most recently updated first\n"
        "  show ID              sources and the current branch of the conversation\n"
        "  delete ID            a session with its messages and snapshots\n"
        "  export ID            --format md|html|json|bundle [--out FILE] [--with-snapshots]\n"
        "  import FILE          a session bundle (export --format bundle)\n"
        "  search QUERY         full-text search over messages and source text\n"
        "  snapshots            KV snapshots [--gc] [--verify]\n"
        "  check                the database's integrity check and every snapshot's checksums"));
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral(
                                     "list, show, delete, export, import, search or snapshots"));
    parser.addPositionalArgument(QStringLiteral("argument"), QStringLiteral("ID, FILE or QUERY"));
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("The database (default: <data directory>/folio.db)."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    parser.addOption({QStringLiteral("format"), QStringLiteral("export: md, html, json or bundle."),
                      QStringLiteral("FORMAT"), QStringLiteral("md")});
    parser.addOption({QStringLiteral("out"),
                      QStringLiteral("export: write to FILE instead of stdout."),
                      QStringLiteral("FILE")});
    parser.addOption(
        {QStringLiteral("with-snapshots"),
         QStringLiteral("export --format bundle: include the session's KV snapshots.")});
    parser.addOption({QStringLiteral("limit"),
                      QStringLiteral("search: at most N hits (default 50)."), QStringLiteral("N"),
                      QStringLiteral("50")});
    parser.addOption(
        {QStringLiteral("gc"),
         QStringLiteral("snapshots: apply the eviction policy, remove unreferenced files.")});
    parser.addOption(
        {QStringLiteral("verify"),
         QStringLiteral("snapshots: read every snapshot back and check its checksums.")});
    if (int rc = parseOrExit(parser, args, kName); rc >= 0)
        return rc;

    const QStringList pos = parser.positionalArguments();
    const QString action = pos.value(0);
    static const QStringList actions{QStringLiteral("list"),      QStringLiteral("show"),
                                     QStringLiteral("delete"),    QStringLiteral("export"),
                                     QStringLiteral("import"),    QStringLiteral("search"),
                                     QStringLiteral("snapshots"), QStringLiteral("check")};
    if (!actions.contains(action)) {
        printError(kName, action.isEmpty()
                              ? QStringLiteral("missing action (list, show, delete, "
                                               "export, import, search, snapshots, check)")
                              : QStringLiteral("unknown action '%1'").arg(action));
        return ExitUsage;
    }
    const bool needsId = action == QLatin1String("show") || action == QLatin1String("delete")
                         || action == QLatin1String("export");
    qint64 id = 0;
    if (needsId && !parseId(pos, &id)) {
        printError(kName, QStringLiteral("%1 needs a session ID (a positive number)").arg(action));
        return ExitUsage;
    }
    if ((action == QLatin1String("search") || action == QLatin1String("import")) && pos.size() < 2) {
        printError(kName,
                   QStringLiteral("%1 needs %2")
                       .arg(action, action == QLatin1String("search") ? QStringLiteral("a QUERY")
                                                                      : QStringLiteral("a FILE")));
        return ExitUsage;
    }
    bool limitOk = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&limitOk);
    if (!limitOk || limit <= 0) {
        printError(kName, QStringLiteral("--limit needs a positive number"));
        return ExitUsage;
    }

    const QString dbPath = parser.isSet(QStringLiteral("db"))
                               ? parser.value(QStringLiteral("db"))
                               : folio::app::dataDirectory() + QStringLiteral("/folio.db");
    Result<std::unique_ptr<Database>> db = Database::open(dbPath);
    if (!db.ok())
        return fail(db.status());
    Database &d = **db;
    const bool json = parser.isSet(QStringLiteral("json"));

    if (action == QLatin1String("list"))
        return runList(d, json);
    if (action == QLatin1String("show"))
        return runShow(d, id, json);
    if (action == QLatin1String("delete")) {
        if (Status s = SessionStore(d).remove(id); !s.ok())
            return fail(s);
        if (json)
            printJson(QJsonObject{{"deleted", id}});
        else
            QTextStream(stdout) << "deleted session " << id << "\n";
        return ExitOk;
    }
    if (action == QLatin1String("export"))
        return runExport(d, id, parser.value(QStringLiteral("format")),
                         parser.value(QStringLiteral("out")),
                         parser.isSet(QStringLiteral("with-snapshots")));
    if (action == QLatin1String("import")) {
        Result<qint64> sid = importBundle(d, pos.value(1));
        if (!sid.ok())
            return fail(sid.status());
        if (json)
            printJson(QJsonObject{{"imported", *sid}});
        else
            QTextStream(stdout) << "imported as session " << *sid << "\n";
        return ExitOk;
    }
    if (action == QLatin1String("check"))
        return runCheck(d, json);
    if (action == QLatin1String("search"))
        return runSearch(d, pos.mid(1).join(QLatin1Char(' ')), limit, json);
    return runSnapshots(d, parser.isSet(QStringLiteral("gc")),
                        parser.isSet(QStringLiteral("verify")), json);
}

} // namespace folio::cli
