// folio-bench ingest: the ingest layer's speed targets (issue 7), side by side with the reference
// tools on the same input, best of N runs each:
//   --repo DIR [--ref REF]   GitSource reading every blob at REF vs `git archive REF` (bytes/s)
//   --pdf FILE               PdfSource text extraction vs `pdftotext FILE -` (pages/s)
//   --tokenizer JSON         with --repo: read + count + pack with the real tokenizer (tokens/s)
// Usage: folio-bench ingest --repo /path/to/repo --pdf big.pdf --tokenizer tokenizer.json [--runs 5]
#include "bench_sections.h"
#include "ingest/git_source.h"
#include "ingest/packer.h"
#include "ingest/pdf_source.h"
#include "ingest/tokenizer_counter.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTextStream>

#include <algorithm>
#include <functional>

using namespace folio::ingest;

static double bestOf(int runs, const std::function<void()> &f)
{
    double best = 1e30;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer t;
        t.start();
        f();
        best = std::min(best, double(t.nsecsElapsed()) / 1e9);
    }
    return best;
}

static qint64 runTool(const QString &program, const QStringList &args, const QString &dir = {})
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(program, args);
    qint64 bytes = 0;
    while (p.waitForReadyRead(-1))
        bytes += p.readAllStandardOutput().size();
    p.waitForFinished(-1);
    bytes += p.readAllStandardOutput().size();
    return p.exitCode() == 0 ? bytes : -1;
}

int run_ingest_bench(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOptions({{"repo", "Repository to read.", "DIR"},
                       {"ref", "Ref to read (default HEAD).", "REF"},
                       {"pdf", "PDF to extract.", "FILE"},
                       {"tokenizer", "tokenizer.json for the tokenize run.", "JSON"},
                       {"runs", "Runs per measurement (best is reported).", "N", "5"}});
    parser.process(app);
    const int runs = std::max(1, parser.value("runs").toInt());
    QTextStream out(stdout);
    // No size cap, vendored files kept: read everything `git archive` writes.
    FilterOptions all;
    all.maxFileBytes = 0;
    all.keepVendored = true;

    if (parser.isSet("repo")) {
        GitOptions opt;
        opt.location = parser.value("repo");
        opt.ref = parser.value("ref");
        const QString ref = opt.ref.isEmpty() ? QStringLiteral("HEAD") : opt.ref;
        SourceContents c;
        const double ours = bestOf(runs, [&] {
            GitSource src(opt);
            c = SourceContents();
            if (!src.open().ok() || !src.read(FileFilter(all), &c).ok())
                qFatal("cannot read %s", qPrintable(opt.location));
        });
        qint64 bytes = 0;
        for (const SourceItem &i : c.items)
            bytes += i.bytes;
        qint64 archiveBytes = 0;
        const double git = bestOf(runs, [&] {
            archiveBytes = runTool(QStringLiteral("git"), {"archive", ref}, opt.location);
        });
        out << QStringLiteral("repo   %1 files (%2 MB text) in %3 s = %4 MB/s; git archive %5 MB "
                              "in %6 s = %7 MB/s; throughput ratio (folio/git archive) %8\n")
                   .arg(c.items.size())
                   .arg(bytes / 1e6, 0, 'f', 2)
                   .arg(ours, 0, 'f', 3)
                   .arg(bytes / 1e6 / ours, 0, 'f', 1)
                   .arg(archiveBytes / 1e6, 0, 'f', 2)
                   .arg(git, 0, 'f', 3)
                   .arg(archiveBytes / 1e6 / git, 0, 'f', 1)
                   .arg(git / ours, 0, 'f', 2);
        if (parser.isSet("tokenizer")) {
            QString error;
            auto counter = loadTokenizerCounter(parser.value("tokenizer"), &error);
            if (!counter)
                qFatal("%s", qPrintable(error));
            PackResult r;
            const double t = bestOf(runs, [&] {
                GitSource src(opt);
                SourceContents s;
                if (!src.open().ok() || !src.read(FileFilter(all), &s).ok())
                    qFatal("cannot read");
                r = Packer(*counter).pack({s}, {});
            });
            out << QStringLiteral(
                       "tokens %1 tokens read + counted + packed in %2 s = %3 M tokens/s\n")
                       .arg(r.totalTokens())
                       .arg(t, 0, 'f', 3)
                       .arg(r.totalTokens() / 1e6 / t, 0, 'f', 2);
        }
    }
    if (parser.isSet("pdf")) {
        const QString file = parser.value("pdf");
        int pages = 0;
        const double ours = bestOf(runs, [&] {
            PdfSource src(file);
            SourceContents c;
            if (!src.open().ok() || !src.read(FileFilter(), &c).ok())
                qFatal("cannot read %s", qPrintable(file));
            pages = c.pageCount;
        });
        const double theirs = bestOf(runs, [&] {
            if (runTool(QStringLiteral("pdftotext"), {"-q", file, "-"}) < 0)
                qFatal("pdftotext failed");
        });
        out << QStringLiteral("pdf    %1 pages in %2 s = %3 pages/s; pdftotext %4 s = %5 pages/s; "
                              "throughput ratio (folio/pdftotext) %6\n")
                   .arg(pages)
                   .arg(ours, 0, 'f', 3)
                   .arg(pages / ours, 0, 'f', 1)
                   .arg(theirs, 0, 'f', 3)
                   .arg(pages / theirs, 0, 'f', 1)
                   .arg(theirs / ours, 0, 'f', 2);
    }
    return 0;
}
