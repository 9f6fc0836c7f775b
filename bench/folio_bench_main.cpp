// folio-bench: every benchmark of Folio in one program, one section per layer or question.
//
//   folio-bench <section> [options]     run one section (`folio-bench <section> --help`)
//   folio-bench --list                  the sections built into this binary
//
// Each section prints a table with its same-run baseline (OpenBLAS, STREAM copy, git archive,
// pdftotext, raw disk I/O, re-prefill ...) and the ratio to it; results go to BENCHMARKS.md.
// The Qt-based sections (ingest, storage, restore) exist only in builds with FOLIO_BUILD_APP,
// so the engine-only build of a GPU machine still has the kernel sections.
#include "bench_sections.h"

#include <cstdio>
#include <cstring>

namespace {

struct Section
{
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
};

const Section kSections[] = {
    {"kernels", run_kernels_bench,
     "CPU GEMM/GEMV on the release formats vs OpenBLAS sgemm and copy"},
    {"model", run_model_bench,
     "CPU end to end: prefill and decode tokens/s by context vs dense attention, 1 -> 2 threads"},
#ifdef FOLIO_BENCH_WITH_QT
    {"ingest", run_ingest_bench, "repository and PDF reading vs git archive and pdftotext"},
    {"storage", run_storage_bench, "KV-snapshot write/read vs raw sequential I/O with fsync"},
    {"restore", run_restore_bench, "restoring a real engine state vs prefilling it again"},
    {"server", run_server_bench,
     "local server: streamed decode vs in process, first token with a reused prefix vs cold"},
#endif
};

void print_sections(std::FILE *to)
{
    std::fprintf(to, "usage: folio-bench <section> [options]   (folio-bench <section> --help)\n"
                     "sections:\n");
    for (const Section &s : kSections)
        std::fprintf(to, "  %-10s %s\n", s.name, s.what);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2 || std::strcmp(argv[1], "--list") == 0 || std::strcmp(argv[1], "--help") == 0
        || std::strcmp(argv[1], "-h") == 0) {
        print_sections(stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const Section &s : kSections)
        if (std::strcmp(argv[1], s.name) == 0)
            return s.run(argc - 1, argv + 1);
    std::fprintf(stderr, "folio-bench: unknown section '%s'\n", argv[1]);
    print_sections(stderr);
    return 2;
}
