// CUDA sparse attention with the attention sink, the lightning indexer's scores, and the top-k
// selection used by the indexer. Attention follows sparse_attn_token (engine/src/cpu/ops.cpp):
// keys in blocks of 64 with an online softmax, probabilities rounded to BF16 relative to the
// running maximum, the sink joining the denominator at the end. Prefill: one thread block per
// (token, head) over the whole key list (tiled in blocks of 64). Decode (few tokens, long lists):
// split over keys (flash-decoding, kv_plan.h plan_attention_split): each block of a (token, head)
// runs the same online softmax over its key range and leaves (max, sum, acc[d]); the combine
// kernel merges the ranges in order with the same rescaling step and adds the sink — with one
// range it is exactly the one-pass result. The kernels read keys through a row reader
// (kv_codec.cuh): plain FP32 rows (the op tests) or the device's compact KV / indexer-key bytes.
// Top-k is a radix select over the order-preserving integer image of the FP32 scores (four 8-bit
// histogram passes find the k-th largest key), then the winners are gathered (ties at the
// threshold in index order, as the reference's stable sort keeps them) and only those k are
// sorted: no full sort of up to 262,144 entries.
#include <cub/block/block_scan.cuh>

#include <climits>

#include "check.cuh"
#include "kv_codec.cuh"
#include "kv_ops.h"
#include "numerics.cuh"
#include "ops.h"

namespace folio::cuda {
namespace {

constexpr int kKeyBlock = kAttnKeyBlock;
constexpr int kAttnThreads = 128;

// Keys [key0, key1) of the list of one (token, head); blockIdx = (token, head, split). With
// `part` null the block owns the whole list and writes o; else it writes its partial state
// part[((tok * heads + h) * splits + split)] = [acc (d) | running max | running sum].
template<class Rows>
__global__ void sparse_attn_kernel(const float *q, int heads, int d, Rows kv, const int *idx,
                                   int n_keys, int keys_per_split, const float *sink, float scale,
                                   float *o, float *part)
{
    extern __shared__ float smem[];
    float *qs = smem;    // [d]
    float *acc = qs + d; // [d]
    float *s = acc + d;  // [64] scores, then probabilities
    __shared__ float rescale_sh, m_sh, sum_sh;
    __shared__ bool skip_sh;
    const int tok = blockIdx.x, h = blockIdx.y, split = blockIdx.z;
    const int key0 = split * keys_per_split;
    const int key1 = min(n_keys, key0 + keys_per_split);
    const float kNegInf = -__int_as_float(0x7f800000);
    const float *qh = q + (std::size_t(tok) * heads + h) * d;
    const int *ids = idx + std::size_t(tok) * n_keys;
    for (int c = threadIdx.x; c < d; c += blockDim.x) {
        qs[c] = qh[c];
        acc[c] = 0.0f;
    }
    if (threadIdx.x == 0) {
        m_sh = kNegInf;
        sum_sh = 0.0f;
    }
    __syncthreads();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
    for (int t0 = key0; t0 < key1; t0 += kKeyBlock) {
        const int nb = min(kKeyBlock, key1 - t0);
        for (int j = warp; j < nb; j += warps) {
            const int id = ids[t0 + j];
            double dot = 0;
            if (id >= 0)
                for (int c = lane; c < d; c += 32)
                    dot += double(qs[c]) * double(kv.at(id, c));
            for (int off = 16; off > 0; off >>= 1)
                dot += __shfl_xor_sync(0xffffffffu, dot, off);
            if (lane == 0)
                s[j] = id < 0 ? kNegInf : __fmul_rn(float(dot), scale);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            float block_max = kNegInf;
            for (int j = 0; j < nb; ++j)
                block_max = fmaxf(block_max, s[j]);
            const float m_new = fmaxf(m_sh, block_max);
            skip_sh = m_new == kNegInf;
            if (!skip_sh) {
                const float r = exp_f32(m_sh - m_new);
                double block_sum = 0;
                for (int j = 0; j < nb; ++j) {
                    s[j] = s[j] == kNegInf ? 0.0f : exp_f32(s[j] - m_new);
                    block_sum += s[j];
                }
                sum_sh = __fadd_rn(__fmul_rn(sum_sh, r), float(block_sum));
                for (int j = 0; j < nb; ++j)
                    s[j] = bf16_round(s[j]);
                rescale_sh = r;
                m_sh = m_new;
            }
        }
        __syncthreads();
        if (!skip_sh) {
            const float r = rescale_sh;
            for (int c = threadIdx.x; c < d; c += blockDim.x) {
                double pv = 0;
                for (int j = 0; j < nb; ++j)
                    if (s[j] != 0.0f)
                        pv += double(s[j]) * double(kv.at(ids[t0 + j], c));
                acc[c] = __fadd_rn(__fmul_rn(acc[c], r), float(pv));
            }
        }
        __syncthreads();
    }
    if (part) {
        float *pp = part + ((std::size_t(tok) * heads + h) * gridDim.z + split) * (d + 2);
        for (int c = threadIdx.x; c < d; c += blockDim.x)
            pp[c] = acc[c];
        if (threadIdx.x == 0) {
            pp[d] = m_sh;
            pp[d + 1] = sum_sh;
        }
        return;
    }
    const float total = __fadd_rn(sum_sh, exp_f32(sink[h] - m_sh));
    float *oh = o + (std::size_t(tok) * heads + h) * d;
    for (int c = threadIdx.x; c < d; c += blockDim.x)
        oh[c] = bf16_round(__fdiv_rn(acc[c], total));
}

// Merges the splits of one (token, head) in key order with the kernel's own rescaling step
// (running max m, sum = sum * exp(m - m') + ..., acc likewise), then the sink. A split that saw
// no key (max -inf) changes nothing.
__global__ void attn_combine_kernel(const float *part, int heads, int d, int splits,
                                    const float *sink, float *o)
{
    const int tok = blockIdx.x, h = blockIdx.y;
    const float kNegInf = -__int_as_float(0x7f800000);
    const float *pp = part + (std::size_t(tok) * heads + h) * splits * (d + 2);
    float *oh = o + (std::size_t(tok) * heads + h) * d;
    for (int c = threadIdx.x; c < d; c += blockDim.x) {
        float m = kNegInf, sum = 0.0f, acc = 0.0f;
        for (int z = 0; z < splits; ++z) {
            const float *ps = pp + std::size_t(z) * (d + 2);
            const float mz = ps[d];
            if (mz == kNegInf)
                continue;
            const float m_new = fmaxf(m, mz);
            const float r_old = exp_f32(m - m_new), r_new = exp_f32(mz - m_new);
            sum = __fadd_rn(__fmul_rn(sum, r_old), __fmul_rn(ps[d + 1], r_new));
            acc = __fadd_rn(__fmul_rn(acc, r_old), __fmul_rn(ps[c], r_new));
            m = m_new;
        }
        const float total = __fadd_rn(sum, exp_f32(sink[h] - m));
        oh[c] = bf16_round(__fdiv_rn(acc, total));
    }
}

template<class Rows>
Status launch_attention(const float *q, int m, int heads, int d, Rows kv, const int *idx,
                        int n_keys, const float *sink, float scale, AttentionSplit split,
                        float *partials, float *o, cudaStream_t stream)
{
    if (d <= 0 || d > 1024)
        return Status::error("sparse attention: head dim " + std::to_string(d) + " outside 1..1024");
    if (m == 0 || heads == 0)
        return Status::ok();
    if (split.splits < 1 || (split.splits > 1 && !partials)
        || std::int64_t(split.splits) * std::max(split.keys_per_split, 0) < n_keys)
        return Status::error("sparse attention: " + std::to_string(split.splits) + " splits of "
                             + std::to_string(split.keys_per_split) + " keys do not cover "
                             + std::to_string(n_keys));
    const int per = split.splits == 1 ? std::max(n_keys, 1) : split.keys_per_split;
    const std::size_t shared = (2 * std::size_t(d) + kKeyBlock) * sizeof(float);
    const dim3 grid(unsigned(m), unsigned(heads), unsigned(split.splits));
    float *part = split.splits == 1 ? nullptr : partials;
    sparse_attn_kernel<Rows><<<grid, kAttnThreads, shared, stream>>>(q, heads, d, kv, idx, n_keys,
                                                                     per, sink, scale, o, part);
    CUDA_CHECK(cudaGetLastError());
    if (part) {
        attn_combine_kernel<<<dim3(unsigned(m), unsigned(heads)), kAttnThreads, 0, stream>>>(
            part, heads, d, split.splits, sink, o);
        CUDA_CHECK(cudaGetLastError());
    }
    return Status::ok();
}

constexpr int kTopkThreads = 1024;
constexpr int kTopkMax = 2048;

// a goes before b: larger key first, ties to the lower index.
__device__ __forceinline__ bool before(unsigned ka, int ia, unsigned kb, int ib)
{
    return ka > kb || (ka == kb && ia < ib);
}

__global__ void __launch_bounds__(kTopkThreads)
    topk_kernel(const float *scores, int n, int k, int *out)
{
    using Scan = cub::BlockScan<int, kTopkThreads>;
    __shared__ typename Scan::TempStorage scan_tmp;
    __shared__ unsigned hist[256];
    __shared__ unsigned prefix_sh, mask_sh;
    __shared__ int remaining_sh, count_gt;
    __shared__ unsigned keys[kTopkMax];
    __shared__ int ids[kTopkMax];
    const float *row = scores + std::size_t(blockIdx.x) * n;
    if (threadIdx.x == 0) {
        prefix_sh = 0;
        mask_sh = 0;
        remaining_sh = k;
        count_gt = 0;
    }
    __syncthreads();
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int i = threadIdx.x; i < 256; i += blockDim.x)
            hist[i] = 0;
        __syncthreads();
        const unsigned prefix = prefix_sh, mask = mask_sh;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            const unsigned key = float_order_key(row[i]);
            if ((key & mask) == prefix)
                atomicAdd(&hist[(key >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int need = remaining_sh;
            int digit = 255;
            for (; digit > 0; --digit) {
                if (int(hist[digit]) >= need)
                    break;
                need -= int(hist[digit]);
            }
            remaining_sh = need;
            prefix_sh = prefix | (unsigned(digit) << shift);
            mask_sh = mask | (255u << shift);
        }
        __syncthreads();
    }
    const unsigned threshold = prefix_sh;
    const int ties = remaining_sh; // how many entries equal to the threshold are taken
    const int greater = k - ties;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const unsigned key = float_order_key(row[i]);
        if (key > threshold) {
            const int slot = atomicAdd(&count_gt, 1);
            keys[slot] = key;
            ids[slot] = i;
        }
    }
    // Ties in index order: the lowest indices win, as in the reference's stable sort.
    int base = 0;
    for (int c0 = 0; c0 < n && base < ties; c0 += blockDim.x) {
        const int i = c0 + threadIdx.x;
        const int flag = (i < n && float_order_key(row[i]) == threshold) ? 1 : 0;
        int excl = 0, total = 0;
        Scan(scan_tmp).ExclusiveSum(flag, excl, total);
        if (flag && base + excl < ties) {
            keys[greater + base + excl] = threshold;
            ids[greater + base + excl] = i;
        }
        base += total;
        __syncthreads();
    }
    int p = 1;
    while (p < k)
        p <<= 1;
    for (int i = k + threadIdx.x; i < p; i += blockDim.x) {
        keys[i] = 0;
        ids[i] = INT_MAX;
    }
    __syncthreads();
    for (int size = 2; size <= p; size <<= 1) {
        for (int stride = size / 2; stride > 0; stride >>= 1) {
            for (int t = threadIdx.x; t < p; t += blockDim.x) {
                const int u = t ^ stride;
                if (u > t) {
                    const bool up = (t & size) == 0;
                    const bool swap = up ? before(keys[u], ids[u], keys[t], ids[t])
                                         : before(keys[t], ids[t], keys[u], ids[u]);
                    if (swap) {
                        const unsigned kt = keys[t];
                        keys[t] = keys[u];
                        keys[u] = kt;
                        const int it = ids[t];
                        ids[t] = ids[u];
                        ids[u] = it;
                    }
                }
            }
            __syncthreads();
        }
    }
    for (int i = threadIdx.x; i < k; i += blockDim.x)
        out[std::size_t(blockIdx.x) * k + i] = ids[i];
}

// Lightning indexer scores (model/indexer.cpp): for query i and entry t < visible[i],
// score = bf16(sum_h bf16(relu(bf16(q_h . k_t)) * w_h)) with the head sum in FP32 in head order;
// entries not visible score -inf. One warp per entry: the warp decodes the key into shared memory
// once, then each lane takes two heads' dot products.
constexpr int kIndexWarps = 8;
constexpr int kIndexMaxDim = 256;

template<class Keys>
__global__ void indexer_score_kernel(const float *q, const float *hw, int ih, int id, Keys keys,
                                     int n_entries, const int *visible, float *scores)
{
    extern __shared__ float qs[]; // [ih * id] queries of this token, then [ih] head weights
    __shared__ float kbuf[kIndexWarps][kIndexMaxDim];
    const int tok = blockIdx.y;
    for (int i = threadIdx.x; i < ih * id; i += blockDim.x)
        qs[i] = q[std::size_t(tok) * ih * id + i];
    for (int i = threadIdx.x; i < ih; i += blockDim.x)
        qs[ih * id + i] = hw[std::size_t(tok) * ih + i];
    __syncthreads();
    const int wl = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int t = blockIdx.x * kIndexWarps + wl;
    if (t >= n_entries)
        return;
    float *out = scores + std::size_t(tok) * n_entries;
    if (t >= visible[tok]) {
        if (lane == 0)
            out[t] = -__int_as_float(0x7f800000);
        return;
    }
    float *k = kbuf[wl];
    for (int c = lane; c < id; c += 32)
        k[c] = keys.at(t, c);
    __syncwarp();
    const float *w = qs + ih * id;
    float term[2] = {0.0f, 0.0f};
    for (int r = 0; r < 2; ++r) {
        const int h = lane + 32 * r;
        if (h >= ih)
            continue;
        const float *qh = qs + h * id;
        double dot = 0;
        for (int c = 0; c < id; ++c)
            dot += double(qh[c]) * double(k[c]);
        const float sv = fmaxf(bf16_round(float(dot)), 0.0f);
        term[r] = bf16_round(__fmul_rn(sv, w[h]));
    }
    float acc = 0.0f;
    for (int h = 0; h < ih; ++h)
        acc = __fadd_rn(acc, __shfl_sync(0xffffffffu, term[h / 32], h % 32));
    if (lane == 0)
        out[t] = bf16_round(acc);
}

template<class Keys>
Status launch_indexer(const float *q, const float *hw, int m, int ih, int id, Keys keys,
                      int n_entries, const int *visible, float *scores, cudaStream_t stream)
{
    if (ih <= 0 || ih > 64 || id <= 0 || id > kIndexMaxDim)
        return Status::error("indexer scores: " + std::to_string(ih) + " heads of "
                             + std::to_string(id) + " (at most 64 heads of "
                             + std::to_string(kIndexMaxDim) + ")");
    if (m == 0 || n_entries == 0)
        return Status::ok();
    const std::size_t shared = (std::size_t(ih) * id + ih) * sizeof(float);
    if (shared > 40 * 1024)
        CUDA_CHECK(cudaFuncSetAttribute(indexer_score_kernel<Keys>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize, int(shared)));
    const dim3 grid(unsigned((n_entries + kIndexWarps - 1) / kIndexWarps), unsigned(m));
    indexer_score_kernel<Keys><<<grid, kIndexWarps * 32, shared, stream>>>(q, hw, ih, id, keys,
                                                                           n_entries, visible,
                                                                           scores);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace

Status sparse_attention(const float *q, int m, int heads, int d, const float *kv, const int *idx,
                        int n_keys, const float *sink, float scale, float *o, cudaStream_t stream)
{
    return launch_attention(q, m, heads, d, F32Rows{kv, d}, idx, n_keys, sink, scale,
                            AttentionSplit{1, n_keys}, nullptr, o, stream);
}

Status sparse_attention_kv(const float *q, int m, int heads, int d, int rope_dim,
                           const std::uint8_t *kv, const int *idx, int n_keys, const float *sink,
                           float scale, AttentionSplit split, float *partials, float *o,
                           cudaStream_t stream)
{
    const int nope = d - rope_dim;
    if (nope < 0 || nope % 64 != 0)
        return Status::error("sparse attention: " + std::to_string(nope)
                             + " non-rope dims are not a multiple of 64");
    const KvRows rows{kv, nope, std::size_t(nope + nope / 64 + 2 * rope_dim)};
    return launch_attention(q, m, heads, d, rows, idx, n_keys, sink, scale, split, partials, o,
                            stream);
}

Status topk(const float *scores, int rows, int n, int k, int *out, cudaStream_t stream)
{
    if (k > n)
        k = n;
    if (k <= 0 || rows == 0)
        return Status::ok();
    if (k > kTopkMax)
        return Status::error("topk: k = " + std::to_string(k) + " exceeds "
                             + std::to_string(kTopkMax));
    topk_kernel<<<unsigned(rows), kTopkThreads, 0, stream>>>(scores, n, k, out);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

Status indexer_scores(const float *q, const float *hw, int m, int ih, int id, const float *keys,
                      int n_entries, const int *visible, float *scores, cudaStream_t stream)
{
    return launch_indexer(q, hw, m, ih, id, F32Rows{keys, id}, n_entries, visible, scores, stream);
}

Status indexer_scores_kv(const float *q, const float *hw, int m, int ih, int id,
                         const std::uint8_t *keys, int n_entries, const int *visible, float *scores,
                         cudaStream_t stream)
{
    if (id % 32 != 0)
        return Status::error("indexer scores: key dim " + std::to_string(id)
                             + " is not a multiple of 32");
    return launch_indexer(q, hw, m, ih, id, IndexKeyRows{keys, id}, n_entries, visible, scores,
                          stream);
}

} // namespace folio::cuda
