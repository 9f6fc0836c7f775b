// Manifold-constrained hyper-connections (mHC, model.py Block.hc_pre / hc_post and
// ParallelHead.hc_head; kernel.py hc_split_sinkhorn). The residual is hc_mult streams per token;
// each sub-layer reads a sigmoid-weighted mix of them and writes back post-weighted output plus a
// doubly-stochastic (Sinkhorn) mix of the old streams.
#pragma once

#include "config.h"
#include "model/weights.h"

namespace folio {

class ThreadPool;

// hc_pre: x [n, hc, dim] BF16 -> y [n, dim] BF16, post [n, hc] fp32, comb [n, hc, hc] fp32
// (comb[j][k]: weight of old stream j in new stream k).
void hc_pre(const HcWeights &w, const ModelConfig &cfg, const float *x, int n, float *y,
            float *post, float *comb, ThreadPool *pool);

// hc_split_sinkhorn for one token: mixes [(2+hc)*hc] -> pre [hc], post [hc], comb [hc, hc].
void hc_split_sinkhorn(const float *mixes, const float *hc_scale, const float *hc_base, int hc,
                       int sinkhorn_iters, float eps, float *pre, float *post, float *comb);

// hc_post: out[k] = post[k] * x + sum_j comb[j][k] * residual[j], rounded to BF16.
// x: [n, dim], residual/out: [n, hc, dim] (out may not alias residual). Tokens split on the pool.
void hc_post(const float *x, const float *residual, const float *post, const float *comb, int n,
             int hc, int dim, float *out, ThreadPool *pool = nullptr);

// hc_head: x [n, hc, dim] -> y [n, dim] BF16 with sigmoid weights only (no Sinkhorn, no post).
void hc_head(const HcWeights &w, const ModelConfig &cfg, const float *x, int n, float *y,
             ThreadPool *pool);

} // namespace folio
