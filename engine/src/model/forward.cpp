// Forward pass (see forward.h).
#include "model/forward.h"

#include "cpu/linear.h"
#include "cpu/ops.h"
#include "model/attention.h"
#include "model/hyper_connections.h"
#include "model/moe.h"
#include "quant.h"

#include <cstring>

namespace folio {

void block_forward(const BlockWeights &bw, const ModelConfig &cfg, LayerState &state, float *x,
                   const std::int32_t *tokens, int n, std::int64_t start, ThreadPool *pool,
                   std::vector<std::vector<int>> *indexer_picks)
{
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const float eps = float(cfg.norm_eps);
    std::vector<float> residual(x, x + std::size_t(n) * hc * dim);         // [n, hc, dim]
    std::vector<float> y(std::size_t(n) * dim), sub(std::size_t(n) * dim); // [n, dim]
    std::vector<float> post(std::size_t(n) * hc), comb(std::size_t(n) * hc * hc);

    hc_pre(bw.hc_attn, cfg, residual.data(), n, y.data(), post.data(), comb.data(), pool);
    rms_norm_bf16(y.data(), n, dim, bw.attn_norm.data(), eps, y.data());
    attention_forward(bw, cfg, y.data(), n, start, state, sub.data(), pool, indexer_picks);
    hc_post(sub.data(), residual.data(), post.data(), comb.data(), n, hc, dim, x, pool);

    std::memcpy(residual.data(), x, sizeof(float) * residual.size());
    hc_pre(bw.hc_ffn, cfg, residual.data(), n, y.data(), post.data(), comb.data(), pool);
    rms_norm_bf16(y.data(), n, dim, bw.ffn_norm.data(), eps, y.data());
    moe_forward(bw, cfg, y.data(), tokens, n, sub.data(), pool);
    hc_post(sub.data(), residual.data(), post.data(), comb.data(), n, hc, dim, x, pool);
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
    std::vector<float> x(std::size_t(rows) * cfg.dim); // [rows, dim]
    hc_head(hc_head_w, cfg, h, rows, x.data(), pool);
    rms_norm_bf16(x.data(), rows, cfg.dim, norm.data(), float(cfg.norm_eps), x.data());
    linear_f32(x.data(), rows, w.head, logits, pool);
}

void mtp_forward(const ModelWeights &w, int i, KvState &state, const float *h,
                 const std::int32_t *next_tokens, int n, std::vector<float> &out, ThreadPool *pool)
{
    const ModelConfig &cfg = w.cfg;
    const MtpWeights &m = w.mtp[std::size_t(i)];
    const int hc = cfg.hc_mult, dim = cfg.dim;
    const float eps = float(cfg.norm_eps);
    // e = e_proj(enorm(embed(next))): [n, dim]; hp = h_proj(hnorm(h)): [n, hc, dim].
    std::vector<float> e(std::size_t(n) * dim), ep(std::size_t(n) * dim);
    for (int t = 0; t < n; ++t)
        embed_token(w, next_tokens[t], e.data() + std::size_t(t) * dim);
    rms_norm_bf16(e.data(), n, dim, m.enorm.data(), eps, e.data());
    linear_bf16_out(e.data(), n, m.e_proj, ep.data(), pool);
    std::vector<float> hn(std::size_t(n) * hc * dim), hp(std::size_t(n) * hc * dim);
    rms_norm_bf16(h, n * hc, dim, m.hnorm.data(), eps, hn.data());
    linear_bf16_out(hn.data(), n * hc, m.h_proj, hp.data(), pool);
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

} // namespace folio
