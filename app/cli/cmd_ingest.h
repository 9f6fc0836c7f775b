// The options `folio-cli ingest` and `folio-cli pack` share (the source, the filters, the
// tokenizer, the budget) and the run both start with: read the sources, count, pack.
#pragma once

#include "ingest/manifest.h"
#include "ingest/packer.h"
#include "ingest/token_counter.h"
#include "ingest/types.h"

#include <QCommandLineParser>

#include <memory>
#include <vector>

namespace folio::cli {

struct IngestRun
{
    std::vector<folio::ingest::SourceContents> sources;
    folio::ingest::PackResult pack;
    std::unique_ptr<folio::ingest::TokenCounter> counter;
    double seconds = 0; // reading + counting + packing
    bool json = false;
};

// Adds --repo/--ref/--worktree/--submodules/--pdf/--password/--path/--include/--exclude/
// --max-file-kb/--keep-vendored/--tokenizer/--line-numbers/--context/--reserve/--json.
void addIngestOptions(QCommandLineParser &parser);

// Validates the options, reads, counts and packs. Returns -1 on success (fills `run`), or the exit
// code after printing the error (ExitUsage for bad options, ExitFailure for sources that fail).
int ingestFromOptions(const QCommandLineParser &parser, const char *commandName, IngestRun *run);

// Prints the manifest (JSON or text) to stdout.
void printManifest(const IngestRun &run);

} // namespace folio::cli
