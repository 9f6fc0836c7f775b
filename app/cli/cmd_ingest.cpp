// folio-cli ingest (--repo PATH|URL [--ref REF] [--worktree] [--submodules] | --pdf FILE...
//   [--password P] | --path DIR...) [--include GLOB]... [--exclude GLOB]... [--max-file-kb N]
//   [--tokenizer PATH] [--json]: reads the sources and prints the manifest — every included file or
// page with its token count, every skip with its reason, totals against the budget, time taken.
// Exit 0 even when over budget (the manifest says so); 1 when a source cannot be read (an
// encrypted PDF without its password, a missing repository, a bad ref); 2 for bad usage.
#include "app/cli/cmd_ingest.h"

#include "app/cli/command.h"
#include "ingest/ingest_run.h"
#include "ingest/tokenizer_counter.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QTextStream>

namespace folio::cli {

using namespace folio::ingest;

void addIngestOptions(QCommandLineParser &parser)
{
    parser.addOptions({
        {"repo", "A git repository (a path inside it) or a URL to clone into the cache.",
         "PATH|URL"},
        {"ref", "Branch, tag or commit to read (default HEAD).", "REF"},
        {"worktree",
         "Read the working tree: uncommitted changes and untracked, not ignored files."},
        {"submodules", "Also read submodules, at their recorded commits."},
        {"cache-dir", "Where URLs are cloned (default: the user cache directory).", "DIR"},
        {"pdf", "A PDF file (repeatable; further files may follow as arguments).", "FILE"},
        {"password", "The password of encrypted PDFs.", "P"},
        {"path", "A folder or a text/Markdown file (repeatable).", "DIR"},
        {"include", "Read only paths matching GLOB (repeatable; overrides the vendored rules).",
         "GLOB"},
        {"exclude", "Skip paths matching GLOB (repeatable).", "GLOB"},
        {"max-file-kb", "Skip files larger than N KiB (default 1024; 0 = no cap).", "N"},
        {"keep-vendored", "Do not skip vendored, lock, minified files by their path."},
        {"tokenizer", "The model's tokenizer.json, for exact token counts (default: an estimate).",
         "PATH"},
        {"line-numbers", "Number the lines of files in the packed context (costs tokens)."},
        {"context", "The context size in tokens (default 1048576).", "N"},
        {"reserve", "Tokens kept free for the answer (default 32768).", "N"},
        {"json", "Print the manifest as one JSON object."},
    });
    parser.addPositionalArgument(QStringLiteral("files"),
                                 QStringLiteral("More PDFs (after --pdf) or paths (after --path)."),
                                 QStringLiteral("[FILE...]"));
}

static bool parseCount(const QCommandLineParser &p, const char *name, qint64 *out, const char *cmd)
{
    if (!p.isSet(QString::fromLatin1(name)))
        return true;
    bool ok = false;
    const qint64 v = p.value(QString::fromLatin1(name)).toLongLong(&ok);
    if (!ok || v < 0) {
        printError(cmd, QStringLiteral("--%1 needs a non-negative integer, got '%2'")
                            .arg(QString::fromLatin1(name), p.value(QString::fromLatin1(name))));
        return false;
    }
    *out = v;
    return true;
}

int ingestFromOptions(const QCommandLineParser &p, const char *cmd, IngestRun *run)
{
    IngestRequest req;
    const int kinds = int(p.isSet(QStringLiteral("repo"))) + int(p.isSet(QStringLiteral("pdf")))
                      + int(p.isSet(QStringLiteral("path")));
    if (kinds != 1) {
        printError(cmd, QStringLiteral("give exactly one of --repo, --pdf or --path"));
        return ExitUsage;
    }
    const QStringList extra = p.positionalArguments();
    if (p.isSet(QStringLiteral("repo"))) {
        if (!extra.isEmpty()) {
            printError(cmd, QStringLiteral("unexpected argument '%1'").arg(extra.first()));
            return ExitUsage;
        }
        req.kind = IngestRequest::Kind::Repository;
        req.git.location = p.value(QStringLiteral("repo"));
        req.git.ref = p.value(QStringLiteral("ref"));
        req.git.worktree = p.isSet(QStringLiteral("worktree"));
        req.git.submodules = p.isSet(QStringLiteral("submodules"));
        req.git.cacheDir = p.value(QStringLiteral("cache-dir"));
        if (req.git.worktree && !req.git.ref.isEmpty()) {
            printError(
                cmd,
                QStringLiteral(
                    "--worktree reads the working directory; it cannot be combined with --ref"));
            return ExitUsage;
        }
    } else if (p.isSet(QStringLiteral("pdf"))) {
        req.kind = IngestRequest::Kind::Pdf;
        req.pdfs = p.values(QStringLiteral("pdf")) + extra;
    } else {
        req.kind = IngestRequest::Kind::Path;
        req.paths = p.values(QStringLiteral("path")) + extra;
    }
    if (!p.isSet(QStringLiteral("repo"))) {
        for (const char *gitOnly : {"ref", "worktree", "submodules"}) {
            if (p.isSet(QString::fromLatin1(gitOnly))) {
                printError(cmd, QStringLiteral("--%1 applies to --repo only")
                                    .arg(QString::fromLatin1(gitOnly)));
                return ExitUsage;
            }
        }
    }
    req.password = p.value(QStringLiteral("password")).toUtf8();
    req.filter.include = p.values(QStringLiteral("include"));
    req.filter.exclude = p.values(QStringLiteral("exclude"));
    req.filter.keepVendored = p.isSet(QStringLiteral("keep-vendored"));
    qint64 maxKb = 1024;
    PackOptions pack;
    if (!parseCount(p, "max-file-kb", &maxKb, cmd)
        || !parseCount(p, "context", &pack.contextTokens, cmd)
        || !parseCount(p, "reserve", &pack.answerReserve, cmd))
        return ExitUsage;
    req.filter.maxFileBytes = maxKb * 1024;
    pack.lineNumbers = p.isSet(QStringLiteral("line-numbers"));

    if (p.isSet(QStringLiteral("tokenizer"))) {
        QString error;
        run->counter = loadTokenizerCounter(p.value(QStringLiteral("tokenizer")), &error);
        if (!run->counter) {
            printError(cmd, error);
            return ExitFailure;
        }
    } else {
        run->counter = std::make_unique<ByteEstimateCounter>();
        QTextStream(stderr) << "folio-cli " << cmd
                            << ": note: token counts are estimates (pass --tokenizer "
                               "tokenizer.json for exact counts)"
                            << Qt::endl;
    }

    // Timed from here: reading, counting and packing (not the tokenizer's loading).
    QElapsedTimer timer;
    timer.start();
    IngestOutcome outcome = runIngest(req);
    if (!outcome.status.ok()) {
        printError(cmd, outcome.status.message);
        return ExitFailure;
    }
    run->sources = std::move(outcome.sources);
    run->pack = Packer(*run->counter).pack(run->sources, pack);
    run->json = p.isSet(QStringLiteral("json"));
    run->seconds = double(timer.nsecsElapsed()) / 1e9;
    return -1;
}

void printManifest(const IngestRun &run)
{
    QTextStream out(stdout);
    if (run.json) {
        out << QJsonDocument(manifestJson(run.sources, run.pack, *run.counter, run.seconds))
                   .toJson(QJsonDocument::Indented);
    } else {
        out << manifestText(run.sources, run.pack, *run.counter, run.seconds);
    }
}

int runIngest(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Read a repository, PDFs or files and print what would go into the context: every included "
        "file or page with its token count, every skipped one with its reason, totals and "
        "budget."));
    addIngestOptions(parser);
    if (int rc = parseOrExit(parser, args, "ingest"); rc >= 0)
        return rc;
    IngestRun run;
    if (int rc = ingestFromOptions(parser, "ingest", &run); rc >= 0)
        return rc;
    printManifest(run);
    return ExitOk;
}

} // namespace folio::cli
