// The plain structs the ingest layer hands to its callers (appcore, storage, the CLI): what a source
// contained (included items with their UTF-8 text), what was skipped and why, and the typed result of
// opening a source (style rule 9). No libgit2 or Poppler type appears here.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>

namespace folio::ingest {

// How opening or reading a source ended. Expected failures are values, never exceptions.
enum class OpenResult {
    Ok,
    NotFound,      // the path or URL does not exist
    NeedsPassword, // an encrypted PDF opened without (the right) password
    Damaged,       // corrupt or truncated file, broken repository objects
    Unsupported,   // not a format this source reads
    BadReference,  // a branch, tag or commit that does not resolve
    Failed,        // anything else (I/O, network, libgit2 internal error)
    Cancelled,
};

struct OpenStatus
{
    OpenResult result = OpenResult::Ok;
    QString message; // readable; empty when Ok

    bool ok() const { return result == OpenResult::Ok; }
    static OpenStatus success() { return {}; }
    static OpenStatus failure(OpenResult r, QString m) { return {r, std::move(m)}; }
};

// Stable name of an OpenResult for JSON and messages ("needs_password").
QString openResultName(OpenResult r);

enum class ItemKind {
    File,    // a text or code file (from git, a folder or dropped directly)
    Symlink, // recorded as a link (its target), never followed
    PdfPage, // one physical page of a PDF
};

QString itemKindName(ItemKind k);

// One included piece of text: a file or a PDF page.
struct SourceItem
{
    ItemKind kind = ItemKind::File;
    QString path;         // relative to the source root ("src/a.cpp", "book.pdf")
    QByteArray text;      // UTF-8, decoded (see text_decode.h); for a symlink: its target
    QByteArray contentId; // cache key for token counts: the git blob id, or a content hash
    qint64 bytes = 0;     // size of the original bytes (before decoding)
    QString encoding;     // "utf-8", "utf-8-bom", "utf-16le", "utf-16be", "latin-1"
    int page = 0;         // PdfPage: physical page number, 1-based
    QString label;        // PdfPage: the printed page label ("vii"), may be empty
    bool noText = false;  // PdfPage: no text layer ("no text (scanned?)")
};

// One path that was not included, with the reason a user can act on.
struct SkippedItem
{
    QString path;
    QString reason;
};

// Everything one source produced.
struct SourceContents
{
    QString name;      // display name: repository directory, PDF file name, folder
    QString root;      // absolute path of the repository/folder, or the PDF file
    QString revision;  // git: the commit id read (empty for worktree-only/unborn); else empty
    QString title;     // PDF metadata
    QString author;    // PDF metadata
    int pageCount = 0; // PDF
    QStringList notes; // non-fatal remarks ("HEAD is unborn", "shallow clone")
    QVector<SourceItem> items;
    QVector<SkippedItem> skipped;
};

// Cooperative cancellation, polled between files.
using CancelFlag = std::atomic_bool;

} // namespace folio::ingest
