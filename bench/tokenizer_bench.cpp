// tokenizer_bench: encode throughput of the engine's tokenizer on a corpus directory, per content
// type, single-threaded and with 1 vs 2 threads over all files, plus load time and resident memory.
// The corpus is what `scripts/tokenizer_reference.py corpus DIR` builds: files named KIND_*.txt
// (code, english, cjk, other_scripts). `scripts/tokenizer_reference.py compare` runs this and HF
// `tokenizers` side by side and prints the table recorded in BENCHMARKS.md.
//
//   tokenizer_bench --tokenizer tokenizer.json --corpus DIR [--repeat 3]
//
// Output: one JSON object per line ({"kind", "bytes", "tokens", "seconds", "mb_per_s", ...}).
#include "folio/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// VmRSS / VmHWM of this process in MB (Linux), -1 elsewhere.
double proc_status_mb(const char *field)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(field, 0) == 0)
            return std::stod(line.substr(std::strlen(field) + 1)) / 1024.0;
    return -1;
}

std::string read_file(const std::filesystem::path &p)
{
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// CPU time of this process: on a shared machine the wall clock mostly measures the other
// processes, so single-thread throughput is reported per CPU second as well.
double process_cpu_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Measure
{
    size_t bytes = 0, tokens = 0;
    double seconds = 0;     // best wall-clock time
    double cpu_seconds = 0; // best CPU time
};

// Best of `repeat` runs encoding `texts` split round-robin over `threads` threads.
Measure encode_all(const folio::Tokenizer &tok, const std::vector<const std::string *> &texts,
                   int threads, int repeat)
{
    Measure m;
    for (const std::string *t : texts)
        m.bytes += t->size();
    double best = 1e30, best_cpu = 1e30;
    for (int r = 0; r < repeat; ++r) {
        std::vector<size_t> counts(size_t(threads), 0);
        const auto t0 = Clock::now();
        const double c0 = process_cpu_seconds();
        std::vector<std::thread> pool;
        for (int k = 0; k < threads; ++k) {
            pool.emplace_back([&, k] {
                std::vector<int32_t> ids;
                for (size_t i = size_t(k); i < texts.size(); i += size_t(threads)) {
                    ids.clear();
                    tok.encode_into(*texts[i], ids);
                    counts[size_t(k)] += ids.size();
                }
            });
        }
        for (auto &th : pool)
            th.join();
        best = std::min(best, seconds_since(t0));
        best_cpu = std::min(best_cpu, process_cpu_seconds() - c0);
        m.tokens = 0;
        for (size_t c : counts)
            m.tokens += c;
    }
    m.seconds = best;
    m.cpu_seconds = best_cpu;
    return m;
}

void print(const char *kind, int threads, const Measure &m)
{
    std::printf("{\"kind\": \"%s\", \"threads\": %d, \"bytes\": %zu, \"tokens\": %zu, "
                "\"seconds\": %.4f, \"mb_per_s\": %.2f, \"tokens_per_s\": %.0f, "
                "\"cpu_seconds\": %.4f, \"mb_per_cpu_s\": %.2f, \"tokens_per_cpu_s\": %.0f}\n",
                kind, threads, m.bytes, m.tokens, m.seconds, m.bytes / m.seconds / 1e6,
                m.tokens / m.seconds, m.cpu_seconds, m.bytes / m.cpu_seconds / 1e6,
                m.tokens / m.cpu_seconds);
}

} // namespace

int main(int argc, char **argv)
{
    std::string tokenizer_path, corpus;
    int repeat = 3;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--tokenizer" && i + 1 < argc)
            tokenizer_path = argv[++i];
        else if (a == "--corpus" && i + 1 < argc)
            corpus = argv[++i];
        else if (a == "--repeat" && i + 1 < argc)
            repeat = std::max(1, std::atoi(argv[++i]));
        else {
            std::fprintf(stderr,
                         "usage: tokenizer_bench --tokenizer PATH --corpus DIR [--repeat N]\n");
            return 2;
        }
    }
    if (tokenizer_path.empty() || corpus.empty()) {
        std::fprintf(stderr, "usage: tokenizer_bench --tokenizer PATH --corpus DIR [--repeat N]\n");
        return 2;
    }

    // Load time: best of 3 (the first includes the page cache warm-up of the file).
    const double rss_before = proc_status_mb("VmRSS:");
    std::shared_ptr<const folio::Tokenizer> tok;
    double load_best = 1e30, rss_loaded = 0;
    for (int r = 0; r < 3; ++r) {
        tok.reset();
        const auto t0 = Clock::now();
        auto loaded = folio::Tokenizer::load(tokenizer_path);
        const double dt = seconds_since(t0);
        if (!loaded) {
            std::fprintf(stderr, "tokenizer_bench: %s\n", loaded.status().message().c_str());
            return 1;
        }
        tok = loaded.value();
        load_best = std::min(load_best, dt);
        if (r == 0)
            rss_loaded = proc_status_mb("VmRSS:"); // one tokenizer, plus what the JSON parse left
    }

    std::map<std::string, std::vector<std::string>> by_kind;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(corpus, ec)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".txt" || name.rfind("edge_", 0) == 0)
            continue;
        const std::string kind = name.substr(0, name.rfind('_'));
        by_kind[kind].push_back(read_file(e.path()));
    }
    if (ec || by_kind.empty()) {
        std::fprintf(stderr, "tokenizer_bench: no KIND_*.txt files in %s\n", corpus.c_str());
        return 1;
    }
    std::vector<const std::string *> all;
    for (auto &[kind, texts] : by_kind) {
        std::vector<const std::string *> ptrs;
        for (const std::string &t : texts)
            ptrs.push_back(&t);
        all.insert(all.end(), ptrs.begin(), ptrs.end());
        print(kind.c_str(), 1, encode_all(*tok, ptrs, 1, repeat));
    }
    print("all", 1, encode_all(*tok, all, 1, repeat));
    print("all", 2, encode_all(*tok, all, 2, repeat));
    std::printf("{\"load_s\": %.4f, \"rss_loaded_mb\": %.1f, \"rss_before_mb\": %.1f, "
                "\"max_rss_mb\": %.1f}\n",
                load_best, rss_loaded, rss_before, proc_status_mb("VmHWM:"));
    return 0;
}
