// Forward pass (see forward.h).
#include "model/forward.h"

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/workspace.h"
#include "model/attention.h"
#include "model/hyper_connections.h"
#include "model/moe.h"
#include "quant.h"

#include <algorithm>
#include <cstring>

namespace folio {

void block_forward(const BlockWeights &bw, const ModelConfig &cfg, LayerState &state, float *x,
                   const std::int32_t *tokens, int n, std::int64_t start, ThreadPool *pool,
                   std::vector<std::vector<int>> *indexer_picks)
{
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const float eps = float(cfg.norm_eps);
    Scratch::Frame f;
    const std::size_t row = std::size_t(hc) * dim;
    float *residual = f.alloc<float>(std::size_t(n) * row); // [n, hc, dim]
    // residual = x, split by tokens: a prefill's copy is tens of MB (and the first touch of the
    // scratch pages), serial work otherwise.
    auto copy_residual = [&](std::int64_t i0, std::int64_t i1) {
        std::memcpy(residual + std::size_t(i0) * row, x + std::size_t(i0) * row,
                    sizeof(float) * row * std::size_t(i1 - i0));
    };
    auto save_residual = [&] {
        if (pool)
            pool->parallel_for(n, copy_residual, 64);
        else
            copy_residual(0, n);
    };
    save_residual();
    float *y = f.alloc<float>(std::size_t(n) * dim), *sub = f.alloc<float>(std::size_t(n) * dim);
    float *post = f.alloc<float>(std::size_t(n) * hc),
          *comb = f.alloc<float>(std::size_t(n) * hc * hc);

    hc_pre(bw.hc_attn, cfg, residual, n, y, post, comb, pool);
    rms_norm_bf16(y, n, dim, bw.attn_norm.data(), eps, y);
    attention_forward(bw, cfg, y, n, start, state, sub, pool, indexer_picks);
    hc_post(sub, residual, post, comb, n, hc, dim, x, pool);

    save_residual();
    hc_pre(bw.hc_ffn, cfg, residual, n, y, post, comb, pool);
    rms_norm_bf16(y, n, dim, bw.ffn_norm.data(), eps, y);
    moe_forward(bw, cfg, y, tokens, n, sub, pool);
    hc_post(sub, residual, post, comb, n, hc, dim, x, pool);
}

void forward_blocks(const ModelWeights &w, KvState &state, const std::int32_t *tokens, int n,
                    std::vector<float> &h, ThreadPool *pool, ForwardTrace *trace)
{
    const ModelConfig &cfg = w.cfg;
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const std::int64_t start = state.n_tokens;
    // h: [n, hc, dim], the embedding copied into every stream.
    h.assign(std::size_t(n) * hc * dim, 0.0f);
    for (int i = 0; i < n; ++i) {
        float *hi = h.data() + std::size_t(i) * hc * dim;
        embed_token(w, tokens[i], hi);
        for (int j = 1; j < hc; ++j)
            std::memcpy(hi + std::size_t(j) * dim, hi, sizeof(float) * dim);
    }
    if (trace) {
        trace->layer_out.clear();
        trace->indexer_picks.assign(std::size_t(cfg.n_layers), {});
    }
    for (int l = 0; l < cfg.n_layers; ++l) {
        block_forward(w.layers[std::size_t(l)], cfg, state.layers[std::size_t(l)], h.data(), tokens,
                      n, start, pool, trace ? &trace->indexer_picks[std::size_t(l)] : nullptr);
        if (trace && trace->keep_layers)
            trace->layer_out.push_back(h);
    }
    state.n_tokens = start + n;
}

void head_logits(const ModelWeights &w, const HcWeights &hc_head_w, const std::vector<float> &norm,
                 const float *h, int rows, float *logits, ThreadPool *pool)
{
    const ModelConfig &cfg = w.cfg;
    Scratch::Frame f;
    float *x = f.alloc<float>(std::size_t(rows) * cfg.dim); // [rows, dim]
    hc_head(hc_head_w, cfg, h, rows, x, pool);
    rms_norm_bf16(x, rows, cfg.dim, norm.data(), float(cfg.norm_eps), x);
    linear_f32(x, rows, w.head, logits, pool);
}

void mtp_forward(const ModelWeights &w, int i, KvState &state, const float *h,
                 const std::int32_t *next_tokens, int n, std::vector<float> &out, ThreadPool *pool)
{
    const ModelConfig &cfg = w.cfg;
    const MtpWeights &m = w.mtp[std::size_t(i)];
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const float eps = float(cfg.norm_eps);
    // e = e_proj(enorm(embed(next))): [n, dim]; hp = h_proj(hnorm(h)): [n, hc, dim].
    Scratch::Frame f;
    float *e = f.alloc<float>(std::size_t(n) * dim), *ep = f.alloc<float>(std::size_t(n) * dim);
    for (int t = 0; t < n; ++t)
        embed_token(w, next_tokens[t], e + std::size_t(t) * dim);
    rms_norm_bf16(e, n, dim, m.enorm.data(), eps, e);
    linear_bf16_out(e, n, m.e_proj, ep, pool);
    float *hn = f.alloc<float>(std::size_t(n) * hc * dim);
    float *hp = f.alloc<float>(std::size_t(n) * hc * dim);
    rms_norm_bf16(h, n * hc, dim, m.hnorm.data(), eps, hn);
    linear_bf16_out(hn, n * hc, m.h_proj, hp, pool);
    out.resize(std::size_t(n) * hc * dim);
    for (int t = 0; t < n; ++t)
        for (int j = 0; j < hc; ++j)
            for (int d = 0; d < dim; ++d) {
                const std::size_t k = (std::size_t(t) * hc + j) * dim + d;
                out[k] = round_bf16(ep[std::size_t(t) * dim + d] + hp[k]); // BF16 add
            }
    const std::int64_t start = state.mtp_tokens;
    block_forward(m.block, cfg, state.mtp[std::size_t(i)], out.data(), next_tokens, n, start, pool,
                  nullptr);
    state.mtp_tokens = start + n;
}

void forward_call(const ModelWeights &w, KvState &state, const std::int32_t *tokens, int n,
                  ForwardBuffers &buf, std::vector<float> &last_logits,
                  std::vector<float> &last_hidden, std::vector<float> *all, ThreadPool *pool,
                  ForwardTrace *trace)
{
    const ModelConfig &cfg = w.cfg;
    const std::size_t row = std::size_t(cfg.hc_mult) * cfg.dim;
    const std::int64_t start = state.n_tokens;
    std::vector<float> &h = buf.h;
    forward_blocks(w, state, tokens, n, h, pool, trace);
    last_logits.resize(std::size_t(cfg.vocab_size));
    if (all) {
        all->resize(std::size_t(n) * cfg.vocab_size);
        head_logits(w, w.hc_head, w.norm, h.data(), n, all->data(), pool);
        std::copy(all->end() - cfg.vocab_size, all->end(), last_logits.begin());
    } else {
        head_logits(w, w.hc_head, w.norm, h.data() + std::size_t(n - 1) * row, 1,
                    last_logits.data(), pool);
    }
    if (cfg.n_mtp_layers > 0) {
        // MTP inputs for positions start-1 .. start+n-2: (h_q, token q+1).
        buf.mh.clear();
        int first = 0;
        if (start > 0 && state.mtp_tokens == start - 1 && last_hidden.size() == row)
            buf.mh.insert(buf.mh.end(), last_hidden.begin(), last_hidden.end());
        else
            first = 1; // position 0 has no predecessor
        buf.mh.insert(buf.mh.end(), h.begin(), h.end() - std::ptrdiff_t(row));
        if (n - first > 0)
            mtp_forward(w, 0, state, buf.mh.data(), tokens + first, n - first, buf.mout, pool);
    }
    last_hidden.assign(h.end() - std::ptrdiff_t(row), h.end());
}

} // namespace folio
