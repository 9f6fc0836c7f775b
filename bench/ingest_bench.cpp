// folio-bench ingest: the ingest layer's speed targets (issue 7), side by side with the reference
// tools on the same input, N runs each, alternating with the reference (best wall time reported,
// with the worst as the spread, and the CPU time of the best run: on a shared machine CPU time is
// the steadier number):
//   --repo DIR [--ref REF]   GitSource reading every blob at REF vs `git archive REF` (bytes/s),
//                            and the peak RSS of this process after the reads
//   --worktree DIR           GitSource in working-tree mode (status, attributes, files from disk)
//                            vs `git ls-files -z -co --exclude-standard | xargs -0 cat` (bytes/s)
//   --pdf FILE (repeatable)  PdfSource text extraction vs `pdftotext FILE -` (pages/s)
//   --tokenizer JSON         with --repo: read + count + pack with the real tokenizer (tokens/s),
//                            first (cold) run and best run, then a re-pack from the blob-id cache
// Usage: folio-bench ingest --repo /path/to/repo --worktree /path/to/checkout --pdf a.pdf
//        --pdf b.pdf --tokenizer tokenizer.json [--runs 5]
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
#include <utility>

#include <sys/resource.h>

using namespace folio::ingest;

namespace {

double cpuSeconds(int who)
{
    rusage u{};
    getrusage(who, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
           + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Timing
{
    double first = 0; // wall seconds of the first run
    double best = 1e30;
    double worst = 0;
    double cpuAtBest = 0; // CPU seconds (all threads, or the child process) of the best run
};

// One run of `f` added to `t`. `who`: RUSAGE_SELF for work done in this process,
// RUSAGE_CHILDREN for a tool run by runTool.
void timeOnce(Timing *t, bool first, int who, const std::function<void()> &f)
{
    const double cpu0 = cpuSeconds(who);
    QElapsedTimer timer;
    timer.start();
    f();
    const double wall = double(timer.nsecsElapsed()) / 1e9;
    const double cpu = cpuSeconds(who) - cpu0;
    if (first)
        t->first = wall;
    if (wall < t->best) {
        t->best = wall;
        t->cpuAtBest = cpu;
    }
    t->worst = std::max(t->worst, wall);
}

Timing measure(int runs, int who, const std::function<void()> &f)
{
    Timing t;
    for (int i = 0; i < runs; ++i)
        timeOnce(&t, i == 0, who, f);
    return t;
}

// Folio and the reference tool alternately (ours, tool, ours, tool, ...): on a shared machine the
// load changes from second to second, and alternating puts both sides under the same conditions.
std::pair<Timing, Timing> measurePair(int runs, const std::function<void()> &ours,
                                      const std::function<void()> &tool)
{
    Timing a, b;
    for (int i = 0; i < runs; ++i) {
        timeOnce(&a, i == 0, RUSAGE_SELF, ours);
        timeOnce(&b, i == 0, RUSAGE_CHILDREN, tool);
    }
    return {a, b};
}

qint64 runTool(const QString &program, const QStringList &args, const QString &dir = {})
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

QString seconds(const Timing &t)
{
    return QStringLiteral("%1 s (worst %2, cpu %3)")
        .arg(t.best, 0, 'f', 3)
        .arg(t.worst, 0, 'f', 3)
        .arg(t.cpuAtBest, 0, 'f', 3);
}

double peakRssMb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0; // Linux: KiB
}

} // namespace

int run_ingest_bench(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addOptions({{"repo", "Repository to read.", "DIR"},
                       {"ref", "Ref to read (default HEAD).", "REF"},
                       {"worktree", "Work tree to read with --worktree.", "DIR"},
                       {"pdf", "PDF to extract (repeatable).", "FILE"},
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
        const double rssBefore = peakRssMb();
        qint64 bytes = 0;
        qsizetype files = 0;
        qint64 archiveBytes = 0;
        const auto [ours, git] = measurePair(
            runs,
            [&] {
                GitSource src(opt);
                SourceContents c;
                if (!src.open().ok() || !src.read(FileFilter(all), &c).ok())
                    qFatal("cannot read %s", qPrintable(opt.location));
                files = c.items.size();
                bytes = 0;
                for (const SourceItem &i : c.items)
                    bytes += i.bytes;
            },
            [&] {
                archiveBytes = runTool(QStringLiteral("git"), {"archive", ref}, opt.location);
            });
        const double rssAfter = peakRssMb();
        out << QStringLiteral("repo   %1 files, %2 MB text: %3 = %4 MB/s\n"
                              "       git archive %5 MB: %6 = %7 MB/s\n"
                              "       throughput ratio (folio/git archive): wall %8, cpu %9\n")
                   .arg(files)
                   .arg(bytes / 1e6, 0, 'f', 2)
                   .arg(seconds(ours))
                   .arg(bytes / 1e6 / ours.best, 0, 'f', 1)
                   .arg(archiveBytes / 1e6, 0, 'f', 2)
                   .arg(seconds(git))
                   .arg(archiveBytes / 1e6 / git.best, 0, 'f', 1)
                   .arg(git.best / ours.best, 0, 'f', 2)
                   .arg(git.cpuAtBest / ours.cpuAtBest, 0, 'f', 2);
        out << QStringLiteral(
                   "       peak RSS %1 MB after the reads (%2 MB before; the result holds "
                   "%3 MB of text)\n")
                   .arg(rssAfter, 0, 'f', 0)
                   .arg(rssBefore, 0, 'f', 0)
                   .arg(bytes / 1e6, 0, 'f', 0);
        if (parser.isSet("tokenizer")) {
            QString error;
            auto counter = loadTokenizerCounter(parser.value("tokenizer"), &error);
            if (!counter)
                qFatal("%s", qPrintable(error));
            TokenCountCache cache;
            PackResult r;
            auto readAndPack = [&](TokenCountCache *c) {
                GitSource src(opt);
                SourceContents s;
                if (!src.open().ok() || !src.read(FileFilter(all), &s).ok())
                    qFatal("cannot read");
                r = Packer(*counter, c).pack({s}, {});
            };
            const Timing t = measure(runs, RUSAGE_SELF, [&] { readAndPack(nullptr); });
            readAndPack(&cache); // fills the blob-id cache
            const Timing cached = measure(runs, RUSAGE_SELF, [&] { readAndPack(&cache); });
            const double mt = r.totalTokens() / 1e6;
            out << QStringLiteral("tokens %1 tokens read + counted + packed: first run %2 s = %3 M "
                                  "tokens/s; best %4 = %5 M tokens/s\n"
                                  "       re-pack, every blob in the count cache: %6\n")
                       .arg(r.totalTokens())
                       .arg(t.first, 0, 'f', 3)
                       .arg(mt / t.first, 0, 'f', 2)
                       .arg(seconds(t))
                       .arg(mt / t.best, 0, 'f', 2)
                       .arg(seconds(cached));
        }
    }
    if (parser.isSet("worktree")) {
        GitOptions opt;
        opt.location = parser.value("worktree");
        opt.worktree = true;
        qint64 bytes = 0;
        qsizetype files = 0;
        qsizetype skipped = 0;
        qint64 toolBytes = 0;
        const auto [ours, git] = measurePair(
            runs,
            [&] {
                GitSource src(opt);
                SourceContents c;
                if (!src.open().ok() || !src.read(FileFilter(all), &c).ok())
                    qFatal("cannot read the work tree %s", qPrintable(opt.location));
                files = c.items.size();
                skipped = c.skipped.size();
                bytes = 0;
                for (const SourceItem &i : c.items)
                    bytes += i.bytes;
            },
            [&] {
                toolBytes = runTool(QStringLiteral("sh"),
                                    // Exit status 123: cat refused a gitlink's (empty) directory.
                                    {"-c", "git ls-files -z -co --exclude-standard | xargs -0 cat "
                                           "2>/dev/null || test $? = 123"},
                                    opt.location);
            });
        out << QStringLiteral(
                   "worktree %1 files (%2 skipped), %3 MB text: %4 = %5 MB/s\n"
                   "       git ls-files | xargs cat %6 MB: %7 = %8 MB/s\n"
                   "       throughput ratio (folio/git ls-files+cat): wall %9, cpu %10\n")
                   .arg(files)
                   .arg(skipped)
                   .arg(bytes / 1e6, 0, 'f', 2)
                   .arg(seconds(ours))
                   .arg(bytes / 1e6 / ours.best, 0, 'f', 1)
                   .arg(toolBytes / 1e6, 0, 'f', 2)
                   .arg(seconds(git))
                   .arg(toolBytes / 1e6 / git.best, 0, 'f', 1)
                   .arg(git.best / ours.best, 0, 'f', 2)
                   .arg(git.cpuAtBest / ours.cpuAtBest, 0, 'f', 2);
    }
    for (const QString &file : parser.values("pdf")) {
        int pages = 0;
        const auto [ours, theirs] = measurePair(
            runs,
            [&] {
                PdfSource src(file);
                SourceContents c;
                if (!src.open().ok() || !src.read(FileFilter(), &c).ok())
                    qFatal("cannot read %s", qPrintable(file));
                pages = c.pageCount;
            },
            [&] {
                if (runTool(QStringLiteral("pdftotext"), {"-q", file, "-"}) < 0)
                    qFatal("pdftotext failed");
            });
        out << QStringLiteral("pdf    %1: %2 pages in %3 = %4 pages/s\n"
                              "       pdftotext %5 = %6 pages/s\n"
                              "       throughput ratio (folio/pdftotext): wall %7, cpu %8\n")
                   .arg(file.section(u'/', -1))
                   .arg(pages)
                   .arg(seconds(ours))
                   .arg(pages / ours.best, 0, 'f', 1)
                   .arg(seconds(theirs))
                   .arg(pages / theirs.best, 0, 'f', 1)
                   .arg(theirs.best / ours.best, 0, 'f', 2)
                   .arg(theirs.cpuAtBest / ours.cpuAtBest, 0, 'f', 2);
    }
    return 0;
}
