// One ingest request as the CLI and appcore express it (a repository, PDFs, or plain files and
// folders, plus the filters), turned into Sources, opened and read. Stops at the first source that
// fails to open, with its typed result (NeedsPassword, NotFound, ...).
#pragma once

#include "ingest/git_source.h"
#include "ingest/source.h"

#include <functional>
#include <vector>

namespace folio::ingest {

struct IngestRequest
{
    enum class Kind { Repository, Pdf, Path };
    Kind kind = Kind::Path;
    GitOptions git;      // Repository
    QStringList pdfs;    // Pdf
    QByteArray password; // Pdf (the same password is tried on every file)
    QStringList paths;   // Path: folders, text/Markdown files (PDFs among them are read as PDFs)
    FilterOptions filter;
    // Progress of the source being read (`source` indexes the sources in the order they are read:
    // the repository, each PDF, each path); see ProgressCallback for when and where it is called.
    std::function<void(int source, qint64 done, qint64 total)> progress;
};

struct IngestOutcome
{
    OpenStatus status;    // the first failure, or Ok
    QString failedSource; // which source failed
    std::vector<SourceContents> sources;
    double seconds = 0; // wall time of opening and reading
};

IngestOutcome runIngest(const IngestRequest &request, const CancelFlag *cancel = nullptr);

} // namespace folio::ingest
