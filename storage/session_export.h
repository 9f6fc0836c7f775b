// Export and import of sessions. A session renders to Markdown or HTML (the current branch, as a
// reader would want it: sources, then questions and answers, citations as links) or to JSON (the
// whole message tree with parent ids, every field). A bundle is the JSON plus, optionally, the
// session's KV snapshots, in one file that moves a session to another machine:
//
//   "FOLIOBUNDLE1\n"  (13 bytes)
//   JSON length       (8 bytes, little-endian)
//   JSON              (UTF-8; "snapshots" lists each payload's key, size and XXH3-64)
//   payloads          (the raw state bytes of each listed snapshot, in order)
//
// Import streams the payloads back through SnapshotWriter (so they are re-chunked and verified)
// and either completes or removes everything it added.
#pragma once

#include "storage/status.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace folio::storage {

class Database;

enum class ExportFormat { Markdown, Html, Json };

// "md"/"markdown", "html", "json" -> format; false when unknown.
bool parseExportFormat(const QString &name, ExportFormat *format);

// Renders session `sessionId`. Markdown and HTML show the branch ending at `leafId` (0: the most
// recently continued branch); JSON holds the whole tree.
Result<QByteArray> exportSession(Database &db, qint64 sessionId, ExportFormat format,
                                 qint64 leafId = 0);
// The JSON document of a session (what ExportFormat::Json writes).
Result<QJsonObject> sessionToJson(Database &db, qint64 sessionId);

// Writes a bundle of the session to `path`, with its snapshots when `withSnapshots`.
Status exportBundle(Database &db, qint64 sessionId, const QString &path, bool withSnapshots);
// Reads a bundle into a new session and returns its id.
Result<qint64> importBundle(Database &db, const QString &path);

} // namespace folio::storage
