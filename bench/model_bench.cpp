// folio-bench model: the whole CPU engine end to end on a folio-mkmodel model (issue 5).
//   * prefill tokens/s at each --prefill length (default 4096, 32768), in chunks of --chunk;
//   * decode tokens/s at each --contexts length (default 4096, 32768, 131072): a real prefill of
//     --seed-tokens, then the state grown synthetically to the context (bench_support.h: the
//     compressed entries and indexer keys of the real prefill repeated), then --steps decode steps;
//   * the same decode with dense attention over all previous tokens (a benchmark-only baseline:
//     bench_support's hook), showing how decode cost grows with context with and without the
//     compressed sparse attention;
//   * thread scaling 1 -> --threads for prefill (the first --prefill length).
// A decode step is what Session::decode runs on the CPU: the main blocks, the head for one row
// and the MTP block one position behind. Wall and process CPU time are reported. Prints a table
// and writes JSON (--json PATH, default folio_bench_model.json). Not a test.
//
//   folio-mkmodel --out /tmp/small --tokenizer tokenizer.json --preset small --shards 1
//   folio-bench model --model /tmp/small [--threads 2] [--prefill 4096,32768]
//                     [--contexts 4096,32768,131072] [--steps 8] [--seed-tokens 512]
//                     [--chunk 2048] [--no-dense] [--no-scaling] [--json PATH]
#include "bench_sections.h"
#include "config.h"
#include "cpu/simd/kernels.h"
#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "kv_state.h"
#include "model/bench_support.h"
#include "model/forward.h"
#include "model/weights.h"
#include "safetensors.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace folio;

namespace {

double cpu_now()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double thread_cpu_now()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double wall_now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<std::int64_t> parse_list(const char *s)
{
    std::vector<std::int64_t> v;
    for (const char *p = s; *p;) {
        char *end = nullptr;
        const long long x = std::strtoll(p, &end, 10);
        if (end == p || x <= 0)
            return {};
        v.push_back(x);
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return {};
    }
    return v;
}

struct Row
{
    std::string what; // prefill | decode | decode-dense
    std::int64_t context = 0;
    int threads = 0, tokens = 0;
    double wall = 0, cpu = 0;
    double parallel_fraction = -1; // 1-thread prefill: CPU share of work a 2-thread pool splits
    double tokens_per_s() const { return wall > 0 ? tokens / wall : 0; }
};

class Runner
{
public:
    Runner(const ModelWeights &w, int threads)
        : m_w(w)
        , m_pool(threads)
    {}

    // One forward call as Session runs it on the CPU (forward_call: main blocks, head of the
    // last row, the MTP block one position behind).
    void forward(KvState &st, const std::int32_t *tokens, int n)
    {
        forward_call(m_w, st, tokens, n, m_buf, m_logits, m_last, nullptr, &m_pool, nullptr);
    }

    ThreadPool &pool() { return m_pool; }

    void prefill(KvState &st, const std::vector<std::int32_t> &tokens, int chunk)
    {
        const Scratch::Frame keep_scratch; // the chunks share one arena, as in Session::prefill
        for (std::size_t i = 0; i < tokens.size(); i += std::size_t(chunk))
            forward(st, tokens.data() + i, int(std::min(tokens.size() - i, std::size_t(chunk))));
    }

private:
    const ModelWeights &m_w;
    ThreadPool m_pool;
    ForwardBuffers m_buf;
    std::vector<float> m_logits, m_last;
};

std::vector<std::int32_t> random_tokens(int n, int vocab, std::uint32_t seed)
{
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> d(2, vocab - 1);
    std::vector<std::int32_t> t(static_cast<std::size_t>(n));
    for (auto &x : t)
        x = d(gen);
    return t;
}

// A string as a JSON string literal's contents (quotes, backslashes and control bytes escaped).
std::string json_escape(const std::string &in)
{
    std::string out;
    for (char c : in) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", unsigned(static_cast<unsigned char>(c)));
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

void usage(std::FILE *to)
{
    std::fprintf(to, "usage: folio-bench model --model DIR [--threads N] [--prefill 4096,32768]\n"
                     "       [--contexts 4096,32768,131072] [--steps 8] [--seed-tokens 512]\n"
                     "       [--chunk 2048] [--no-dense] [--no-scaling] [--json PATH]\n");
}

} // namespace

int run_model_bench(int argc, char **argv)
{
    std::string model_dir, json_path = "folio_bench_model.json";
    int threads = 2, steps = 8, seed_tokens = 512, chunk = 2048;
    std::vector<std::int64_t> prefill = {4096, 32768}, contexts = {4096, 32768, 131072};
    bool dense = true, scaling = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char * {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "folio-bench model: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--model")
            model_dir = next();
        else if (a == "--threads")
            threads = std::atoi(next());
        else if (a == "--steps")
            steps = std::atoi(next());
        else if (a == "--seed-tokens")
            seed_tokens = std::atoi(next());
        else if (a == "--chunk")
            chunk = std::atoi(next());
        else if (a == "--prefill" || a == "--contexts") {
            // A comma-separated list of positive lengths; --prefill "" skips the prefill rows.
            const char *v = next();
            std::vector<std::int64_t> list = parse_list(v);
            if (list.empty() && (*v || a == "--contexts")) {
                std::fprintf(stderr, "folio-bench model: %s: expected lengths like 4096,32768\n",
                             a.c_str());
                return 2;
            }
            (a == "--prefill" ? prefill : contexts) = list;
        } else if (a == "--no-dense")
            dense = false;
        else if (a == "--no-scaling")
            scaling = false;
        else if (a == "--json")
            json_path = next();
        else if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "folio-bench model: unknown option %s\n", a.c_str());
            usage(stderr);
            return 2;
        }
    }
    if (model_dir.empty() || threads < 1 || steps < 1 || seed_tokens < 1 || chunk < 1
        || contexts.empty()) {
        usage(stderr);
        return 2;
    }
    auto cfg = load_model_config(model_dir + "/config.json");
    if (!cfg) {
        std::fprintf(stderr, "folio-bench model: %s\n", cfg.status().message().c_str());
        return 1;
    }
    auto ckpt = Checkpoint::open(model_dir);
    if (!ckpt) {
        std::fprintf(stderr, "folio-bench model: %s\n", ckpt.status().message().c_str());
        return 1;
    }
    auto bound = bind_weights(*ckpt, *cfg);
    if (!bound) {
        std::fprintf(stderr, "folio-bench model: %s\n", bound.status().message().c_str());
        return 1;
    }
    const ModelWeights &w = **bound;
    std::printf("model %s: dim %d, %d layers, %d experts (%d active), vocab %d; isa %s\n",
                model_dir.c_str(), cfg->dim, cfg->n_layers, cfg->n_routed_experts,
                cfg->n_activated_experts, cfg->vocab_size, simd::isa_name(simd::active_isa()));
    std::vector<Row> rows;
    auto report = [&](const Row &r) {
        rows.push_back(r);
        std::printf("%-13s context %7lld  threads %d  %6d tokens  %9.3f s wall  %9.3f s cpu  "
                    "%9.2f tokens/s\n",
                    r.what.c_str(), (long long) r.context, r.threads, r.tokens, r.wall, r.cpu,
                    r.tokens_per_s());
        if (r.parallel_fraction >= 0)
            std::printf("              parallel fraction %.3f: 2-thread bound (Amdahl) %.2fx\n",
                        r.parallel_fraction,
                        1.0 / ((1.0 - r.parallel_fraction) + r.parallel_fraction / 2));
        std::fflush(stdout);
    };

    // Prefill, and its thread scaling 1 -> threads on the first length.
    for (std::size_t pi = 0; pi < prefill.size(); ++pi) {
        std::vector<int> tcounts = {threads};
        if (scaling && pi == 0 && threads > 1)
            tcounts = {1, threads};
        for (int t : tcounts) {
            Runner run(w, t);
            KvState st = KvState::create(*cfg);
            const auto tokens = random_tokens(int(prefill[pi]), cfg->vocab_size, 7);
            run.pool().set_accounting(t == 1);
            const double c0 = cpu_now(), t0 = wall_now(), tc0 = thread_cpu_now();
            run.prefill(st, tokens, chunk);
            Row r{"prefill", prefill[pi], t, int(prefill[pi]), wall_now() - t0, cpu_now() - c0};
            if (t == 1)
                r.parallel_fraction = run.pool().split_cpu_seconds() / (thread_cpu_now() - tc0);
            report(r);
        }
    }

    // Decode at each context: real seed prefill, synthetic growth, then timed steps.
    Runner run(w, threads);
    KvState seed = KvState::create(*cfg);
    run.prefill(seed, random_tokens(seed_tokens, cfg->vocab_size, 11), chunk);
    const auto decode_tokens = random_tokens(steps + 1, cfg->vocab_size, 13);
    std::vector<float> dense_keys;
    for (std::int64_t ctx : contexts) {
        std::int64_t add = ctx - seed_tokens;
        add -= add % 128;
        if (add < 0) {
            std::fprintf(stderr, "folio-bench model: context %lld below --seed-tokens\n",
                         (long long) ctx);
            return 2;
        }
        for (int pass = 0; pass < (dense ? 2 : 1); ++pass) {
            KvState st = seed;
            if (Status s = bench_support::extend_state_synthetic(*cfg, st, add); !s) {
                std::fprintf(stderr, "folio-bench model: %s\n", s.message().c_str());
                return 1;
            }
            bench_support::DenseBaseline db;
            if (pass == 1) {
                // Dense keys: [context, head_dim] BF16-valued floats, shared by all layers.
                dense_keys.resize(std::size_t(st.n_tokens + steps + 1) * cfg->head_dim);
                std::mt19937 gen(5);
                std::normal_distribution<float> nd(0.0f, 1.0f);
                for (float &x : dense_keys)
                    x = nd(gen);
                db.keys = dense_keys.data();
                db.n_keys = st.n_tokens;
                bench_support::set_dense_baseline(&db);
            }
            run.forward(st, decode_tokens.data(), 1); // warm-up step (not timed)
            const double c0 = cpu_now(), t0 = wall_now();
            for (int s = 0; s < steps; ++s) {
                db.n_keys = st.n_tokens + 1;
                run.forward(st, decode_tokens.data() + 1 + s, 1);
            }
            report({pass ? "decode-dense" : "decode", ctx, threads, steps, wall_now() - t0,
                    cpu_now() - c0});
            bench_support::set_dense_baseline(nullptr);
        }
    }
    std::vector<float>().swap(dense_keys);

    // Ratios.
    auto find = [&](const std::string &what, std::int64_t ctx, int t) -> const Row * {
        for (const Row &r : rows)
            if (r.what == what && r.context == ctx && r.threads == t)
                return &r;
        return nullptr;
    };
    std::printf("\nratios:\n");
    const Row *d_first = find("decode", contexts.front(), threads);
    for (std::int64_t ctx : contexts) {
        const Row *d = find("decode", ctx, threads), *dd = find("decode-dense", ctx, threads);
        if (d && d_first)
            std::printf("  decode %lld / %lld: %.3f", (long long) ctx, (long long) contexts.front(),
                        d->tokens_per_s() / d_first->tokens_per_s());
        if (d && dd)
            std::printf("   sparse / dense at %lld: %.2fx", (long long) ctx,
                        d->tokens_per_s() / dd->tokens_per_s());
        std::printf("\n");
    }
    if (!prefill.empty()) {
        const Row *p1 = find("prefill", prefill.front(), 1);
        const Row *pn = find("prefill", prefill.front(), threads);
        if (p1 && pn && threads > 1)
            std::printf("  prefill %lld: %d threads / 1 thread: %.3f\n",
                        (long long) prefill.front(), threads,
                        pn->tokens_per_s() / p1->tokens_per_s());
    }

    FILE *f = std::fopen(json_path.c_str(), "w");
    if (!f) {
        std::fprintf(stderr, "folio-bench model: cannot write %s\n", json_path.c_str());
        return 1;
    }
    std::fprintf(f, "{\n  \"section\": \"model\",\n  \"model\": \"%s\",\n  \"isa\": \"%s\",\n",
                 json_escape(model_dir).c_str(), simd::isa_name(simd::active_isa()));
    std::fprintf(f, "  \"dim\": %d, \"layers\": %d, \"experts\": %d,\n  \"rows\": [\n", cfg->dim,
                 cfg->n_layers, cfg->n_routed_experts);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row &r = rows[i];
        std::fprintf(f,
                     "    {\"what\": \"%s\", \"context\": %lld, \"threads\": %d, \"tokens\": %d, "
                     "\"wall_s\": %.6f, \"cpu_s\": %.6f, \"tokens_per_s\": %.4f, "
                     "\"parallel_fraction\": %.4f}%s\n",
                     r.what.c_str(), (long long) r.context, r.threads, r.tokens, r.wall, r.cpu,
                     r.tokens_per_s(), r.parallel_fraction, i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    std::fclose(f);
    std::fprintf(stderr, "folio-bench model: wrote %s\n", json_path.c_str());
    return 0;
}
