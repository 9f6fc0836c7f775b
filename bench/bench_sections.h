// The sections of folio-bench. Each section is one file bench/<name>_bench.cpp with an entry
// point that takes the arguments after the section name (argv[0] is the section's name) and
// returns the process exit code (0 ok, 1 failure, 2 bad usage). The table that maps names to
// entry points is in folio_bench_main.cpp.
#pragma once

int run_kernels_bench(int argc, char **argv); // CPU GEMM/GEMV vs OpenBLAS sgemm and STREAM copy
int run_model_bench(int argc, char **argv);   // CPU end to end: prefill/decode vs dense attention

#ifdef FOLIO_BENCH_WITH_QT
int run_ingest_bench(int argc, char **argv);  // git/PDF reading vs git archive and pdftotext
int run_storage_bench(int argc, char **argv); // snapshot I/O vs raw sequential write/read
int run_restore_bench(int argc, char **argv); // a real engine state: restore vs re-prefill
int run_server_bench(int argc, char **argv);  // serve's SSE vs in process; prefix reuse
#endif
