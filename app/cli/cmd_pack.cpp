// folio-cli pack <the options of ingest> --out FILE [--spans FILE]: renders the sources into the
// packed context (the system prompt's sources part, docs/ingest.md) and writes it to FILE, its span
// map (JSON, docs/architecture.md) to FILE.spans.json or --spans, and the manifest to stdout.
// Refuses (exit 1) when the total is over the budget, listing the ranked exclusions that would
// bring it under; nothing is ever silently truncated.
#include "app/cli/cmd_ingest.h"

#include "app/cli/command.h"

#include <QFile>
#include <QSaveFile>
#include <QTextStream>

namespace folio::cli {

using namespace folio::ingest;

static bool writeFile(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

int runPack(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Render the sources into the packed context (FILE) with its span map (FILE.spans.json)."));
    addIngestOptions(parser);
    parser.addOptions({
        {"out", "Where to write the packed context (required).", "FILE"},
        {"spans", "Where to write the span map (default FILE.spans.json).", "FILE"},
    });
    if (int rc = parseOrExit(parser, args, "pack"); rc >= 0)
        return rc;
    if (!parser.isSet(QStringLiteral("out"))) {
        printError("pack", QStringLiteral("--out FILE is required"));
        return ExitUsage;
    }
    IngestRun run;
    if (int rc = ingestFromOptions(parser, "pack", &run); rc >= 0)
        return rc;
    if (run.pack.overBudget) {
        QTextStream err(stderr);
        err << "folio-cli pack: " << run.pack.totalTokens() << " tokens do not fit the budget of "
            << run.pack.budget << " (context minus the answer reserve); nothing written.\n";
        if (!run.pack.suggestions.empty()) {
            err << "Exclusions that would bring it under, in order:\n";
            for (const Suggestion &s : run.pack.suggestions)
                err << "  --exclude '" << s.exclude << "'  (" << s.reason << ", saves " << s.tokens
                    << " tokens; total after " << s.totalAfter << ")\n";
        }
        err.flush();
        printManifest(run);
        return ExitFailure;
    }
    const QString out = parser.value(QStringLiteral("out"));
    const QString spans = parser.isSet(QStringLiteral("spans"))
                              ? parser.value(QStringLiteral("spans"))
                              : out + QStringLiteral(".spans.json");
    QString error;
    if (!writeFile(out, run.pack.text, &error) || !writeFile(spans, spanMapJson(run.pack), &error)) {
        printError("pack", error);
        return ExitFailure;
    }
    printManifest(run);
    return ExitOk;
}

} // namespace folio::cli
