// Session sources: the one conversion between a session's stored sources (storage::Source rows)
// and ingest's requests and contents, used by the desktop app (IngestService) and by
// `folio-cli ask --session`.
//
// Saving: every SourceContents an ingest request produced becomes one record —
//   kind "git":  uri = the repository root (or the URL it was cloned from), revision = the commit
//                that was read (empty for a working-tree read), filters_json holds the ref it was
//                asked for, worktree/submodules and the filters;
//   kind "pdf":  uri = the absolute file path, revision = the git blob id of the file's bytes,
//                extracted_text = the page texts separated by form feeds (so the session still
//                opens when the file moved), filters_json holds page labels, title and author;
//   kind "text" (a file) or "dir" (a folder): uri = the absolute path, revision = the blob id of a
//                file's bytes (empty for a folder).
// Every record's filters_json also lists the items the user excluded ("excluded").
//
// Restoring: a repository is read again at its pinned commit (a URL is fetched again into the
// clone cache), a PDF from its file when the file still has the stored bytes, otherwise from the
// stored text (with a note saying so), files and folders from disk. A source that cannot be
// restored is reported and the others are still restored.
#pragma once

#include "ingest/ingest_run.h"
#include "storage/types.h"

#include <QStringList>

#include <vector>

namespace folio::app {

// A session's sources as stored, in order (what appcore passes between the ingest and storage
// threads).
struct SourceRecords
{
    std::vector<storage::Source> records;
};

// The record for `contents`, one of the sources `request` produced. `tokens` is its token count
// (PackResult::sourceTokens), `excluded` the item keys the user unchecked (excludedItemKey()). The caller
// fills in sessionId and position.
storage::Source sourceRecord(const folio::ingest::IngestRequest &request,
                             const folio::ingest::SourceContents &contents, qint64 tokens = 0,
                             const QStringList &excluded = {});

// Records for every source of one ingest outcome, positions firstPosition, firstPosition + 1, ...
// `tokens` may be shorter than `contents` (missing counts are 0).
std::vector<storage::Source> sourceRecords(
    const folio::ingest::IngestRequest &request,
    const std::vector<folio::ingest::SourceContents> &contents,
    const std::vector<qint64> &tokens = {}, qint64 sessionId = 0, int firstPosition = 0);

// The request that reads `record` again: a repository at its pinned commit, a PDF, a file or a
// folder, with the stored filters. Empty `error` when the record is usable; otherwise why not
// (an unknown kind, malformed filters_json).
folio::ingest::IngestRequest requestForRecord(const storage::Source &record,
                                              QString *error = nullptr);

// Sets the items the user excluded in `record`'s filters_json.
void setExcludedItems(storage::Source *record, const QStringList &excluded);

// The key of one item in `excluded` lists: its path, and "#<page>" for a PDF page.
QString excludedItemKey(const folio::ingest::SourceItem &item);

struct RestoredSource
{
    qint64 recordId = 0;                  // the storage::Source it came from
    folio::ingest::IngestRequest request; // how to read it again (for saving it again)
    folio::ingest::SourceContents contents;
    QStringList excluded;        // item keys the user had excluded
    bool fromStoredText = false; // a PDF read from the text stored with the session
};

struct RestoreOutcome
{
    std::vector<RestoredSource> sources; // in the records' order, the ones that were restored
    QStringList notes;                   // readable remarks ("book.pdf moved: ...")
    // The first source that could not be restored (the others were still tried), or Ok.
    folio::ingest::OpenStatus status;
    QString failedSource;
    QStringList failures; // every source that could not be restored, with the reason
};

// Reads the stored sources again (see the top of this file). Runs ingest: call it off the UI
// thread. `cancel` may be null.
RestoreOutcome restoreSources(const std::vector<storage::Source> &records,
                              const folio::ingest::CancelFlag *cancel = nullptr);

// The contents of restored sources with their excluded items removed (what to pack).
std::vector<folio::ingest::SourceContents> includedContents(
    const std::vector<RestoredSource> &sources);

} // namespace folio::app
