// Helpers shared by the golden tests: loading a golden case (model + golden.safetensors from
// tests/data/golden/<case>), typed reads of golden tensors, and the comparison statistics the
// golden README recommends (per-position rms(delta)/std, argmax agreement, exact rows).
#pragma once

#include "config.h"
#include "cpu/thread_pool.h"
#include "model/weights.h"
#include "quant.h"
#include "safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace golden {

struct Case
{
    std::string name;
    folio::ModelConfig cfg;
    std::shared_ptr<const folio::ModelWeights> weights;
    std::shared_ptr<const folio::Checkpoint> golden;
};

inline std::string case_dir(const std::string &name)
{
    return std::string(FOLIO_TEST_DATA_DIR) + "/golden/" + name;
}

// Loads a case; on failure prints why and returns false.
inline bool load_case(const std::string &name, Case &c)
{
    c.name = name;
    const std::string dir = case_dir(name);
    auto cfg = folio::load_model_config(dir + "/config.json");
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
        return false;
    }
    c.cfg = *cfg;
    auto ckpt = folio::Checkpoint::open(dir);
    if (!ckpt) {
        std::fprintf(stderr, "%s\n", ckpt.status().message().c_str());
        return false;
    }
    auto w = folio::bind_weights(*ckpt, c.cfg);
    if (!w) {
        std::fprintf(stderr, "%s\n", w.status().message().c_str());
        return false;
    }
    c.weights = *w;
    auto g = folio::Checkpoint::open_file(dir + "/golden.safetensors");
    if (!g) {
        std::fprintf(stderr, "%s\n", g.status().message().c_str());
        return false;
    }
    c.golden = *g;
    return true;
}

inline const folio::TensorView &tensor(const Case &c, const std::string &name)
{
    const folio::TensorView *t = c.golden->find(name);
    if (!t) {
        std::fprintf(stderr, "golden tensor %s missing\n", name.c_str());
        std::abort();
    }
    return *t;
}

inline std::vector<float> floats(const Case &c, const std::string &name)
{
    const folio::TensorView &t = tensor(c, name);
    std::vector<float> out(std::size_t(t.numel()));
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (t.dtype == folio::DType::F32) {
            std::memcpy(&out[i], t.data + 4 * i, 4);
        } else {
            std::uint16_t b;
            std::memcpy(&b, t.data + 2 * i, 2);
            out[i] = folio::bf16_to_f32(b);
        }
    }
    return out;
}

inline std::vector<std::int64_t> ints(const Case &c, const std::string &name)
{
    const folio::TensorView &t = tensor(c, name);
    std::vector<std::int64_t> out(std::size_t(t.numel()));
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (t.dtype == folio::DType::I64) {
            std::memcpy(&out[i], t.data + 8 * i, 8);
        } else {
            std::int32_t v;
            std::memcpy(&v, t.data + 4 * i, 4);
            out[i] = v;
        }
    }
    return out;
}

inline std::vector<std::int32_t> to_i32(const std::vector<std::int64_t> &v)
{
    return std::vector<std::int32_t>(v.begin(), v.end());
}

inline int argmax(const float *x, int n)
{
    return int(std::max_element(x, x + n) - x);
}

// Comparison of `rows` rows of `cols` logits against the golden ones.
struct Stats
{
    double median_rel = 0, p90_rel = 0, max_abs = 0;
    double argmax_agree = 0, exact_rows = 0;
    int worst_row = -1;
};

inline Stats compare_rows(const float *mine, const float *gold, int rows, int cols)
{
    std::vector<double> rel(rows);
    Stats s;
    int agree = 0, exact = 0;
    double worst = -1;
    for (int r = 0; r < rows; ++r) {
        const float *a = mine + std::size_t(r) * cols, *g = gold + std::size_t(r) * cols;
        double mean = 0;
        for (int j = 0; j < cols; ++j)
            mean += g[j];
        mean /= cols;
        double var = 0, d2 = 0, mx = 0;
        bool same = true;
        for (int j = 0; j < cols; ++j) {
            var += (g[j] - mean) * (g[j] - mean);
            const double d = double(a[j]) - double(g[j]);
            d2 += d * d;
            mx = std::max(mx, std::fabs(d));
            same = same && a[j] == g[j];
        }
        rel[r] = std::sqrt(d2 / cols) / std::max(1e-12, std::sqrt(var / cols));
        if (rel[r] > worst) {
            worst = rel[r];
            s.worst_row = r;
        }
        s.max_abs = std::max(s.max_abs, mx);
        agree += argmax(a, cols) == argmax(g, cols);
        exact += same;
    }
    std::vector<double> sorted = rel;
    std::sort(sorted.begin(), sorted.end());
    s.median_rel = sorted[std::size_t(rows / 2)];
    s.p90_rel = sorted[std::min<std::size_t>(rows - 1, std::size_t(rows * 0.9))];
    s.argmax_agree = double(agree) / rows;
    s.exact_rows = double(exact) / rows;
    return s;
}

inline void print_stats(const char *what, const Stats &s)
{
    std::printf("  %-28s median rms(d)/std %.4g  p90 %.4g  max|d| %.4g  argmax %.3f  exact rows "
                "%.3f  worst row %d\n",
                what, s.median_rel, s.p90_rel, s.max_abs, s.argmax_agree, s.exact_rows,
                s.worst_row);
}

// The README's tolerance for a correct engine.
inline bool within_tolerance(const Stats &s)
{
    return s.median_rel <= 0.1 && s.p90_rel <= 0.25 && s.argmax_agree >= 0.9;
}

// Prints the first few differing elements of two buffers.
inline void print_first_mismatches(const float *mine, const float *gold, std::size_t n, int cols,
                                   int max_print = 5)
{
    int printed = 0;
    for (std::size_t i = 0; i < n && printed < max_print; ++i)
        if (mine[i] != gold[i]) {
            std::printf("    [%zu, %zu] mine %.8g golden %.8g\n", i / cols, i % cols, mine[i],
                        gold[i]);
            ++printed;
        }
}

} // namespace golden
