// folio-bench kernels: the CPU linear kernels of engine/src/cpu/simd against the machine's limits,
// in one run, through the engine's own entry point (linear_bf16_out: activation quantisation, the
// kernel, the BF16 rounding, the column split over the thread pool):
//   * GEMM GFLOP/s on V4-Flash shapes (FP8 and FP4 weights, prefill batches m = 64 and 512 by
//     default) vs OpenBLAS sgemm on the same shapes in F32;
//   * decode GEMV (m = 1) effective bandwidth (weight + scale bytes read per second; FP8, FP4,
//     BF16, and FP8 used dequantised in double as wo_a is) vs a STREAM-style copy (bytes read
//     + written per second) and a STREAM-style read (bytes read per second), both measured in
//     the same run;
//   * thread scaling 1 -> 2 threads for all of the above.
// Wall time and process CPU time are both reported (the machine may be shared: a CPU time well
// below threads x wall means the cores were busy with something else). Prints a table and writes
// JSON (--json PATH, default folio_bench.json). OpenBLAS is linked into this program only, never
// into the engine. --exact runs the engine's exact reference kernels instead (slow; use --m 64).
//
//   folio-bench kernels [--m 64,512] [--reps 3] [--threads-max 2] [--only gemm|gemv] [--exact]
//                       [--json PATH]
#include "bench_sections.h"
#include "cpu/linear.h"
#include "cpu/simd/kernels.h"
#include "cpu/thread_pool.h"
#include "quant.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace folio;

namespace {

struct Timing
{
    double wall = 0, cpu = 0; // seconds, best of reps (by wall)
};

double cpu_now()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

Timing best_of(int reps, const std::function<void()> &fn)
{
    fn(); // warm-up: page in the weights, grow per-thread buffers
    Timing best{1e30, 0};
    for (int r = 0; r < reps; ++r) {
        const double c0 = cpu_now();
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                                .count();
        if (wall < best.wall)
            best = {wall, cpu_now() - c0};
    }
    return best;
}

struct Row
{
    std::string kind, name;
    int m, n, k, threads;
    double value; // GFLOP/s or GB/s
    const char *unit;
    Timing t;
};

struct Weight
{
    std::vector<std::uint8_t> data, scale;
    LinearWeight view;
};

Weight make_weight(WeightKind kind, int out, int in, std::mt19937 &gen)
{
    Weight w;
    std::uniform_int_distribution<int> byte(0, 255), sc(118, 128);
    std::size_t bytes = kind == WeightKind::FP8   ? std::size_t(out) * in
                        : kind == WeightKind::FP4 ? std::size_t(out) * in / 2
                                                  : std::size_t(out) * in * 2;
    w.data.resize(bytes);
    for (auto &b : w.data) {
        b = std::uint8_t(byte(gen));
        if (kind == WeightKind::FP8 && (b & 0x7f) == 0x7f)
            b = 0x7e;
        if (kind == WeightKind::BF16)
            b &= 0xbf; // keep BF16 exponents moderate (no inf/NaN)
    }
    if (kind == WeightKind::FP8)
        w.scale.resize(std::size_t((out + 127) / 128) * ((in + 127) / 128));
    else if (kind == WeightKind::FP4)
        w.scale.resize(std::size_t(out) * in / 32);
    for (auto &s : w.scale)
        s = std::uint8_t(sc(gen));
    w.view = {kind, out, in, w.data.data(), w.scale.empty() ? nullptr : w.scale.data(), false};
    return w;
}

// Parses "64,512" into {64, 512}; false on anything else.
bool parse_list(const char *text, std::vector<int> &out)
{
    out.clear();
    std::string cur;
    for (const char *p = text;; ++p) {
        if (*p == ',' || *p == '\0') {
            char *end = nullptr;
            const long v = std::strtol(cur.c_str(), &end, 10);
            if (cur.empty() || *end != '\0' || v < 1 || v > 65536)
                return false;
            out.push_back(int(v));
            cur.clear();
            if (*p == '\0')
                return true;
        } else {
            cur += *p;
        }
    }
}

std::vector<float> random_bf16(std::size_t n, std::mt19937 &gen)
{
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(n);
    for (float &v : x)
        v = round_bf16(nd(gen));
    return x;
}

} // namespace

int run_kernels_bench(int argc, char **argv)
{
    int reps = 3, threads_max = 2;
    std::vector<int> ms = {64, 512};
    bool exact = false;
    std::string only; // "", "gemm" or "gemv": run one half of the cases (the copy always runs)
    std::string json_path = "folio_bench.json";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char * {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "folio-bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--m") {
            if (!parse_list(next(), ms)) {
                std::fprintf(stderr, "folio-bench: --m takes a list like 64,512\n");
                return 2;
            }
        } else if (a == "--reps") {
            reps = std::atoi(next());
        } else if (a == "--threads-max") {
            threads_max = std::atoi(next());
        } else if (a == "--json") {
            json_path = next();
        } else if (a == "--only") {
            only = next();
            if (only != "gemm" && only != "gemv") {
                std::fprintf(stderr, "folio-bench: --only takes gemm or gemv\n");
                return 2;
            }
        } else if (a == "--exact") {
            exact = true;
        } else if (a == "--help" || a == "-h") {
            std::printf("usage: folio-bench kernels [--m 64,512] [--reps 3] [--threads-max 2] "
                        "[--only gemm|gemv] [--exact] [--json PATH]\n");
            return 0;
        } else {
            std::fprintf(stderr, "folio-bench: unknown argument %s (see --help)\n", a.c_str());
            return 2;
        }
    }
    if (reps < 1 || threads_max < 1) {
        std::fprintf(stderr, "folio-bench: --reps and --threads-max must be >= 1\n");
        return 2;
    }
    if (exact)
        simd::set_isa(simd::Isa::Scalar);
    const char *path_name = simd::exact_linear() ? "exact reference (scalar)"
                                                 : "fast (avx2+fma+f16c)";
    std::fprintf(stderr, "folio-bench: kernels, linear path %s, reps=%d\n", path_name, reps);

    std::mt19937 gen(42);
    std::vector<Row> rows;
    // V4-Flash shapes (spec: dim 4096, moe_inter_dim 2048, q_lora_rank 1024).
    struct Shape
    {
        const char *name;
        WeightKind kind;
        int n, k;
    };
    const Shape gemm_shapes[] = {{"wq_a fp8 1024x4096", WeightKind::FP8, 1024, 4096},
                                 {"wq_b fp8 4096x1024", WeightKind::FP8, 4096, 1024},
                                 {"expert w1 fp4 2048x4096", WeightKind::FP4, 2048, 4096},
                                 {"expert w2 fp4 4096x2048", WeightKind::FP4, 4096, 2048}};
    // Decode GEMV over weights far larger than the caches (64 MiB of codes each).
    const Shape gemv_shapes[] = {{"gemv fp8 8192x8192", WeightKind::FP8, 8192, 8192},
                                 {"gemv fp4 8192x16384", WeightKind::FP4, 8192, 16384},
                                 {"gemv bf16 4096x8192", WeightKind::BF16, 4096, 8192},
                                 // wo_a's case: FP8 storage used dequantised, in double.
                                 {"gemv fp8 deq 8192x8192", WeightKind::FP8, 8192, 8192}};
    std::vector<Weight> gemm_w, gemv_w;
    std::vector<std::vector<float>> gemm_wf; // the same weights decoded to F32 for sgemm
    for (const Shape &s : gemm_shapes) {
        if (only == "gemv")
            break;
        gemm_w.push_back(make_weight(s.kind, s.n, s.k, gen));
        gemm_wf.emplace_back(std::size_t(s.n) * s.k);
        for (int n = 0; n < s.n; ++n)
            decode_weight_row(gemm_w.back().view, n, gemm_wf.back().data() + std::size_t(n) * s.k);
    }
    for (const Shape &s : gemv_shapes) {
        gemv_w.push_back(make_weight(s.kind, s.n, s.k, gen));
        gemv_w.back().view.dequantize = std::strstr(s.name, " deq ") != nullptr;
    }

    for (int t = 1; t <= threads_max; ++t) {
        ThreadPool pool(t);
        openblas_set_num_threads(t);
        for (int m : ms) {
            if (only == "gemv")
                break;
            for (std::size_t si = 0; si < std::size(gemm_shapes); ++si) {
                const Shape &s = gemm_shapes[si];
                const std::vector<float> x = random_bf16(std::size_t(m) * s.k, gen);
                std::vector<float> y(std::size_t(m) * s.n);
                const double flops = 2.0 * m * s.n * s.k;
                const Timing tq = best_of(reps, [&] {
                    linear_bf16_out(x.data(), m, gemm_w[si].view, y.data(), &pool);
                });
                rows.push_back(
                    {"gemm", s.name, m, s.n, s.k, t, flops / tq.wall * 1e-9, "GFLOP/s", tq});
                const Timing tb = best_of(reps, [&] {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, s.n, s.k, 1.0f,
                                x.data(), s.k, gemm_wf[si].data(), s.k, 0.0f, y.data(), s.n);
                });
                rows.push_back({"sgemm", std::string("openblas ") + s.name, m, s.n, s.k, t,
                                flops / tb.wall * 1e-9, "GFLOP/s", tb});
            }
        }
        for (std::size_t si = 0; si < std::size(gemv_shapes) && only != "gemm"; ++si) {
            const Shape &s = gemv_shapes[si];
            const Weight &w = gemv_w[si];
            const std::vector<float> x = random_bf16(std::size_t(s.k), gen);
            std::vector<float> y(std::size_t(s.n));
            const Timing tg = best_of(reps, [&] {
                linear_bf16_out(x.data(), 1, w.view, y.data(), &pool);
            });
            const double bytes = double(w.data.size() + w.scale.size());
            rows.push_back({"gemv", s.name, 1, s.n, s.k, t, bytes / tg.wall * 1e-9, "GB/s", tg});
        }
        // STREAM-style copy: 2 x 256 MiB, counted as bytes read + bytes written.
        {
            const std::size_t count = std::size_t(64) << 20; // floats
            std::vector<float> a(count, 1.0f), b(count, 0.0f);
            const Timing tc = best_of(reps, [&] {
                pool.parallel_for(
                    std::int64_t(count),
                    [&](std::int64_t i0, std::int64_t i1) {
                        std::memcpy(b.data() + i0, a.data() + i0, std::size_t(i1 - i0) * 4);
                    },
                    1 << 16);
            });
            rows.push_back({"copy", "stream copy 256 MiB", 0, 0, 0, t,
                            2.0 * double(count) * 4 / tc.wall * 1e-9, "GB/s", tc});
            // STREAM-style read of the same 256 MiB (a sum, bytes read): the ceiling of a
            // weight stream, which only reads. Why next to the copy: on this VM one core copies
            // (non-temporal stores, read + write counted) faster than it reads alone, so the copy
            // ratio can sit below 1 for a GEMV at the read ceiling.
            const std::size_t words = count / 2;
            const auto *u = reinterpret_cast<const std::uint64_t *>(a.data());
            std::vector<std::uint64_t> sums(std::size_t(t) * 8, 0);
            std::int64_t chunk_id = 0;
            const Timing tr = best_of(reps, [&] {
                chunk_id = 0;
                pool.parallel_for(
                    std::int64_t(words),
                    [&](std::int64_t i0, std::int64_t i1) {
                        std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        std::int64_t i = i0;
                        for (; i + 4 <= i1; i += 4) {
                            s0 += u[i];
                            s1 += u[i + 1];
                            s2 += u[i + 2];
                            s3 += u[i + 3];
                        }
                        for (; i < i1; ++i)
                            s0 += u[i];
                        sums[std::size_t(i0 % std::int64_t(sums.size()))] += s0 + s1 + s2 + s3;
                    },
                    1 << 16);
            });
            std::uint64_t total = 0;
            for (std::uint64_t s : sums)
                total += s;
            if (total == 1) // keeps the sums observable
                std::fprintf(stderr, " ");
            rows.push_back({"read", "stream read 256 MiB", 0, 0, 0, t,
                            double(count) * 4 / tr.wall * 1e-9, "GB/s", tr});
        }
    }

    std::printf("%-6s %-36s %4s %3s %10s %8s %10s %10s\n", "kind", "case", "m", "thr", "value",
                "unit", "wall_ms", "cpu_ms");
    for (const Row &r : rows)
        std::printf("%-6s %-36s %4d %3d %10.2f %8s %10.2f %10.2f\n", r.kind.c_str(), r.name.c_str(),
                    r.m, r.threads, r.value, r.unit, r.t.wall * 1e3, r.t.cpu * 1e3);
    // Ratios: ours / baseline per thread count (each gemm row is followed by its sgemm row).
    std::printf("\nratios (same run):\n");
    for (int t = 1; t <= threads_max; ++t) {
        double copy = 0, read = 0;
        for (const Row &r : rows) {
            if (r.kind == "copy" && r.threads == t)
                copy = r.value;
            if (r.kind == "read" && r.threads == t)
                read = r.value;
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row &r = rows[i];
            if (r.threads != t)
                continue;
            if (r.kind == "gemm" && i + 1 < rows.size())
                std::printf("  t=%d m=%-4d %-30s gemm / sgemm = %.3f\n", t, r.m, r.name.c_str(),
                            r.value / rows[i + 1].value);
            if (r.kind == "gemv")
                std::printf("  t=%d m=1    %-30s gemv / copy  = %.3f   gemv / read = %.3f\n", t,
                            r.name.c_str(), r.value / copy, r.value / read);
        }
    }
    if (threads_max >= 2) {
        std::printf("\nthread scaling (2 threads / 1 thread, wall):\n");
        const std::size_t per = rows.size() / std::size_t(threads_max);
        for (std::size_t i = 0; i < per; ++i)
            std::printf("  %-6s m=%-4d %-36s %.2fx\n", rows[i].kind.c_str(), rows[i].m,
                        rows[i].name.c_str(), rows[per + i].value / rows[i].value);
    }

    FILE *f = std::fopen(json_path.c_str(), "w");
    if (!f) {
        std::fprintf(stderr, "folio-bench: cannot write %s\n", json_path.c_str());
        return 1;
    }
    std::fprintf(f, "{\"linear_path\": \"%s\", \"reps\": %d, \"rows\": [\n", path_name, reps);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row &r = rows[i];
        std::fprintf(f,
                     "  {\"kind\": \"%s\", \"case\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, "
                     "\"threads\": %d, \"value\": %.4f, \"unit\": \"%s\", \"wall_s\": %.6f, "
                     "\"cpu_s\": %.6f}%s\n",
                     r.kind.c_str(), r.name.c_str(), r.m, r.n, r.k, r.threads, r.value, r.unit,
                     r.t.wall, r.t.cpu, i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
    std::fprintf(stderr, "folio-bench: wrote %s\n", json_path.c_str());
    return 0;
}
