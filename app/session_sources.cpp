// Session sources (see session_sources.h): storage::Source records <-> ingest requests/contents.
#include "app/session_sources.h"

#include "ingest/source.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>

namespace folio::app {

using folio::ingest::IngestRequest;
using folio::ingest::OpenResult;
using folio::ingest::OpenStatus;
using folio::ingest::SourceContents;
using folio::ingest::SourceItem;

namespace {

// Form feed: the page separator of the stored PDF text (what pdftotext writes between pages;
// Poppler's extracted text never contains one after ingest's normalisation of control characters).
constexpr QChar kPageBreak(u'\f');

QJsonArray toArray(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QStringList fromArray(const QJsonValue &value)
{
    QStringList out;
    for (const QJsonValue &v : value.toArray())
        out << v.toString();
    return out;
}

bool isPdfContents(const SourceContents &sc)
{
    if (!sc.items.isEmpty())
        return sc.items.front().kind == folio::ingest::ItemKind::PdfPage;
    return QFileInfo(sc.root).isFile()
           && sc.root.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive);
}

// The git blob id of a file's bytes; empty when it cannot be read.
QString fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLatin1(folio::ingest::blobIdOf(f.readAll()));
}

// A PDF's contents rebuilt from the text stored with the session.
SourceContents contentsFromStoredText(const storage::Source &record, const QJsonObject &options)
{
    SourceContents sc;
    sc.root = record.uri;
    sc.name = QFileInfo(record.uri).fileName();
    sc.title = options.value(QLatin1String("title")).toString();
    sc.author = options.value(QLatin1String("author")).toString();
    const QStringList texts = record.extractedText.split(kPageBreak);
    const int pages = options.contains(QLatin1String("pages"))
                          ? options.value(QLatin1String("pages")).toInt()
                          : int(texts.size());
    const QStringList labels = fromArray(options.value(QLatin1String("page_labels")));
    sc.pageCount = pages;
    for (int i = 0; i < pages; ++i) {
        SourceItem item;
        item.kind = folio::ingest::ItemKind::PdfPage;
        item.path = sc.name;
        item.page = i + 1;
        item.encoding = QStringLiteral("utf-8");
        item.label = i < labels.size() ? labels.at(i) : QString();
        item.text = i < texts.size() ? texts.at(i).toUtf8() : QByteArray();
        item.noText = item.text.trimmed().isEmpty();
        if (item.noText)
            item.text.clear();
        item.bytes = item.text.size();
        item.contentId = folio::ingest::blobIdOf(item.text);
        sc.items.push_back(std::move(item));
    }
    return sc;
}

} // namespace

QString excludedItemKey(const SourceItem &item)
{
    return item.kind == folio::ingest::ItemKind::PdfPage
               ? QStringLiteral("%1#%2").arg(item.path).arg(item.page)
               : item.path;
}

storage::Source sourceRecord(const IngestRequest &request, const SourceContents &contents,
                             qint64 tokens, const QStringList &excluded)
{
    storage::Source rec;
    rec.tokenCount = tokens;
    rec.addedMs = QDateTime::currentMSecsSinceEpoch();
    QJsonObject options;
    const folio::ingest::FilterOptions &f = request.filter;
    if (!f.include.isEmpty())
        options[QLatin1String("include")] = toArray(f.include);
    if (!f.exclude.isEmpty())
        options[QLatin1String("exclude")] = toArray(f.exclude);
    if (f.maxFileBytes != folio::ingest::FilterOptions().maxFileBytes)
        options[QLatin1String("max_file_bytes")] = double(f.maxFileBytes);
    if (f.keepVendored)
        options[QLatin1String("keep_vendored")] = true;
    if (!excluded.isEmpty())
        options[QLatin1String("excluded")] = toArray(excluded);

    if (request.kind == IngestRequest::Kind::Repository) {
        rec.kind = QStringLiteral("git");
        // A clone is found again through its URL; a local repository through its root.
        rec.uri = folio::ingest::looksLikeUrl(request.git.location) ? request.git.location
                                                                    : contents.root;
        rec.revision = request.git.worktree ? QString() : contents.revision;
        if (!request.git.ref.isEmpty())
            options[QLatin1String("ref")] = request.git.ref;
        if (request.git.worktree)
            options[QLatin1String("worktree")] = true;
        if (request.git.submodules)
            options[QLatin1String("submodules")] = true;
    } else if (isPdfContents(contents)) {
        rec.kind = QStringLiteral("pdf");
        rec.uri = contents.root;
        rec.revision = fileHash(contents.root);
        QStringList texts, labels;
        bool anyLabel = false;
        for (const SourceItem &item : contents.items) {
            texts << QString::fromUtf8(item.text);
            labels << item.label;
            anyLabel = anyLabel || !item.label.isEmpty();
        }
        rec.extractedText = texts.join(kPageBreak);
        options[QLatin1String("pages")] = int(contents.items.size());
        if (anyLabel)
            options[QLatin1String("page_labels")] = toArray(labels);
        if (!contents.title.isEmpty())
            options[QLatin1String("title")] = contents.title;
        if (!contents.author.isEmpty())
            options[QLatin1String("author")] = contents.author;
    } else if (QFileInfo(contents.root).isFile()) {
        rec.kind = QStringLiteral("text");
        rec.uri = contents.root;
        rec.revision = fileHash(contents.root);
    } else {
        rec.kind = QStringLiteral("dir");
        rec.uri = contents.root;
    }
    rec.filtersJson = QString::fromUtf8(QJsonDocument(options).toJson(QJsonDocument::Compact));
    return rec;
}

void setExcludedItems(storage::Source *record, const QStringList &excluded)
{
    QJsonObject o = QJsonDocument::fromJson(record->filtersJson.toUtf8()).object();
    if (excluded.isEmpty())
        o.remove(QLatin1String("excluded"));
    else
        o[QLatin1String("excluded")] = toArray(excluded);
    record->filtersJson = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

std::vector<storage::Source> sourceRecords(const IngestRequest &request,
                                           const std::vector<SourceContents> &contents,
                                           const std::vector<qint64> &tokens, qint64 sessionId,
                                           int firstPosition)
{
    std::vector<storage::Source> out;
    out.reserve(contents.size());
    for (size_t i = 0; i < contents.size(); ++i) {
        storage::Source rec = sourceRecord(request, contents[i], i < tokens.size() ? tokens[i] : 0);
        rec.sessionId = sessionId;
        rec.position = firstPosition + int(i);
        out.push_back(std::move(rec));
    }
    return out;
}

IngestRequest requestForRecord(const storage::Source &record, QString *error)
{
    IngestRequest r;
    if (error)
        error->clear();
    QJsonParseError perr{};
    const QJsonDocument doc = QJsonDocument::fromJson(record.filtersJson.isEmpty()
                                                          ? QByteArrayLiteral("{}")
                                                          : record.filtersJson.toUtf8(),
                                                      &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QCoreApplication::translate("folio::app::SessionSources",
                                                 "the stored options of %1 are not valid JSON")
                         .arg(record.uri);
        return r;
    }
    const QJsonObject o = doc.object();
    r.filter.include = fromArray(o.value(QLatin1String("include")));
    r.filter.exclude = fromArray(o.value(QLatin1String("exclude")));
    if (o.contains(QLatin1String("max_file_bytes")))
        r.filter.maxFileBytes = qint64(o.value(QLatin1String("max_file_bytes")).toDouble());
    r.filter.keepVendored = o.value(QLatin1String("keep_vendored")).toBool();

    if (record.kind == QLatin1String("git")) {
        r.kind = IngestRequest::Kind::Repository;
        r.git.location = record.uri;
        r.git.worktree = o.value(QLatin1String("worktree")).toBool();
        r.git.submodules = o.value(QLatin1String("submodules")).toBool();
        // Pinned: the commit that was read, not whatever the branch points at now.
        if (!r.git.worktree)
            r.git.ref = record.revision.isEmpty() ? o.value(QLatin1String("ref")).toString()
                                                  : record.revision;
    } else if (record.kind == QLatin1String("pdf")) {
        r.kind = IngestRequest::Kind::Pdf;
        r.pdfs = QStringList{record.uri};
    } else if (record.kind == QLatin1String("text") || record.kind == QLatin1String("dir")) {
        r.kind = IngestRequest::Kind::Path;
        r.paths = QStringList{record.uri};
    } else if (error) {
        *error = QCoreApplication::translate("folio::app::SessionSources",
                                             "unknown kind of source \"%1\" (%2)")
                     .arg(record.kind, record.uri);
    }
    return r;
}

RestoreOutcome restoreSources(const std::vector<storage::Source> &records,
                              const folio::ingest::CancelFlag *cancel)
{
    RestoreOutcome out;
    auto fail = [&out](const QString &source, OpenResult result, const QString &message) {
        if (out.status.ok()) {
            out.status = OpenStatus::failure(result, message);
            out.failedSource = source;
        }
        out.failures << QStringLiteral("%1: %2").arg(source, message);
    };
    for (const storage::Source &record : records) {
        if (cancel && cancel->load()) {
            fail(record.uri, OpenResult::Cancelled,
                 QCoreApplication::translate("folio::app::SessionSources", "cancelled"));
            break;
        }
        QString error;
        RestoredSource restored;
        restored.recordId = record.id;
        restored.request = requestForRecord(record, &error);
        if (!error.isEmpty()) {
            fail(record.uri, OpenResult::Unsupported, error);
            continue;
        }
        const QJsonObject options = QJsonDocument::fromJson(record.filtersJson.toUtf8()).object();
        restored.excluded = fromArray(options.value(QLatin1String("excluded")));

        if (record.kind == QLatin1String("pdf")) {
            const QString name = QFileInfo(record.uri).fileName();
            const bool exists = QFileInfo(record.uri).isFile();
            const bool same = exists
                              && (record.revision.isEmpty()
                                  || fileHash(record.uri) == record.revision);
            QString why;
            if (same) {
                folio::ingest::IngestOutcome in = folio::ingest::runIngest(restored.request, cancel);
                if (in.status.ok() && !in.sources.empty()) {
                    restored.contents = std::move(in.sources.front());
                    out.sources.push_back(std::move(restored));
                    continue;
                }
                if (in.status.result == OpenResult::Cancelled) {
                    fail(name, OpenResult::Cancelled, in.status.message);
                    break;
                }
                why = in.status.result == OpenResult::NeedsPassword
                          ? QCoreApplication::translate(
                                "folio::app::SessionSources",
                                "%1 needs its password; using the text stored with the session")
                                .arg(name)
                          : QCoreApplication::translate(
                                "folio::app::SessionSources",
                                "%1 could not be read (%2); using the text stored with the session")
                                .arg(name, in.status.message);
            } else {
                why = exists
                          ? QCoreApplication::translate(
                                "folio::app::SessionSources",
                                "%1 changed since it was added; using the text stored with the "
                                "session")
                                .arg(name)
                          : QCoreApplication::translate(
                                "folio::app::SessionSources",
                                "%1 moved or was deleted; using the text stored with the session")
                                .arg(name);
            }
            // Records written before the text was stored (or by hand) may have none.
            if (!options.contains(QLatin1String("pages")) && record.extractedText.isEmpty()) {
                fail(name, exists ? OpenResult::Failed : OpenResult::NotFound,
                     QCoreApplication::translate("folio::app::SessionSources",
                                                 "%1: no text was stored with the session (%2)")
                         .arg(record.uri, why));
                continue;
            }
            restored.contents = contentsFromStoredText(record, options);
            restored.contents.notes << why;
            restored.fromStoredText = true;
            out.notes << why;
            out.sources.push_back(std::move(restored));
            continue;
        }

        folio::ingest::IngestOutcome in = folio::ingest::runIngest(restored.request, cancel);
        const QString display = record.kind == QLatin1String("git") && !record.revision.isEmpty()
                                    ? QStringLiteral("%1 @ %2").arg(record.uri,
                                                                    record.revision.left(10))
                                    : record.uri;
        if (!in.status.ok() || in.sources.empty()) {
            fail(display, in.status.ok() ? OpenResult::Failed : in.status.result,
                 in.status.ok()
                     ? QCoreApplication::translate("folio::app::SessionSources", "nothing was read")
                     : in.status.message);
            if (in.status.result == OpenResult::Cancelled)
                break;
            continue;
        }
        if (record.kind == QLatin1String("text") && !record.revision.isEmpty()
            && fileHash(record.uri) != record.revision) {
            const QString note = QCoreApplication::translate("folio::app::SessionSources",
                                                             "%1 changed since it was added")
                                     .arg(record.uri);
            in.sources.front().notes << note;
            out.notes << note;
        }
        restored.contents = std::move(in.sources.front());
        out.sources.push_back(std::move(restored));
    }
    return out;
}

std::vector<SourceContents> includedContents(const std::vector<RestoredSource> &sources)
{
    std::vector<SourceContents> out;
    out.reserve(sources.size());
    for (const RestoredSource &r : sources) {
        SourceContents sc = r.contents;
        if (!r.excluded.isEmpty()) {
            const QSet<QString> ex(r.excluded.begin(), r.excluded.end());
            sc.items.erase(std::remove_if(sc.items.begin(), sc.items.end(),
                                          [&](const SourceItem &item) {
                                              return ex.contains(excludedItemKey(item));
                                          }),
                           sc.items.end());
        }
        out.push_back(std::move(sc));
    }
    return out;
}

} // namespace folio::app
