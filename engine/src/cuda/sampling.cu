// The GPU sampler (sampling.h): engine/src/sampler.cpp's Sampler::sample in one thread block of
// 1024 threads over the vocabulary. The selections never sort: top-k is a radix select of the
// k-th element in the total order (a 64-bit key: the logit's order key, then the inverted id, so
// ties go to the lower id; eight 8-bit histogram passes), top-p the same radix walk weighted by
// probability mass (fixed point, so the sums are exact integers and the result does not depend on
// the order atomics land in). Sums of probabilities run over contiguous per-thread segments in id
// order, then a fixed-order block reduction / scan: the same inputs give the same token on every
// run (CUDA graphs on and off compare bit for bit).
#include <cub/block/block_scan.cuh>

#include <climits>

#include "check.cuh"
#include "numerics.cuh"
#include "sampling.h"

namespace folio::cuda {
namespace {

constexpr int kThreads = 1024;
constexpr double kBoundarySlack = 1e-6; // sampler.cpp's slack on the top-p / min-p boundaries
constexpr double kMassScale = 4611686018427387904.0; // 2^62: probability mass in fixed point

// Larger key = earlier in the total order (logit descending, then id ascending).
__device__ __forceinline__ unsigned long long order64(float logit, int id)
{
    return (static_cast<unsigned long long>(float_order_key(logit)) << 32)
           | static_cast<unsigned long long>(0xffffffffu - unsigned(id));
}

__device__ float block_max(float v, float *red)
{
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();
    if (threadIdx.x % 32 == 0)
        red[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        float m = red[0];
        for (int w = 1; w < int(blockDim.x / 32); ++w)
            m = fmaxf(m, red[w]);
        red[32] = m;
    }
    __syncthreads();
    return red[32];
}

// The 64-bit key of the element that `select` picks, over the elements `member(i)` admits: eight
// passes of 8 bits from the top. weight(i) == 0 for every element: the `need`-th largest key
// (radix select); else the first key, in descending order, at which the running weight reaches
// `need` (the top-p cut; when the whole weight stays below it, the smallest key).
template<class Member, class Weight>
__device__ unsigned long long radix_walk(const float *logits, int n, Member member, Weight weight,
                                         bool weighted, unsigned long long need, unsigned *hist,
                                         unsigned long long *mass, unsigned long long *sh)
{
    // sh: [0] prefix, [1] mask, [2] running count / weight before the prefix's range
    if (threadIdx.x == 0)
        sh[0] = sh[1] = sh[2] = 0;
    __syncthreads();
    for (int shift = 56; shift >= 0; shift -= 8) {
        for (int d = threadIdx.x; d < 256; d += blockDim.x) {
            hist[d] = 0;
            mass[d] = 0;
        }
        __syncthreads();
        const unsigned long long prefix = sh[0], mask = sh[1];
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            if (!member(i))
                continue;
            const unsigned long long key = order64(logits[i], i);
            if ((key & mask) != prefix)
                continue;
            const int d = int((key >> shift) & 255u);
            atomicAdd(&hist[d], 1u);
            if (weighted)
                atomicAdd(&mass[d], weight(i));
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            unsigned long long cum = sh[2];
            int chosen = -1, last = -1;
            for (int d = 255; d >= 0; --d) {
                if (hist[d] == 0)
                    continue;
                last = d;
                const unsigned long long w = weighted ? mass[d] : hist[d];
                if (cum + w >= need) {
                    chosen = d;
                    break;
                }
                cum += w;
            }
            if (chosen < 0 && last >= 0) { // never reached: descend into the last (smallest) digit
                chosen = last;
                cum -= weighted ? mass[last] : hist[last];
            }
            sh[2] = cum;
            sh[0] = prefix | (static_cast<unsigned long long>(chosen < 0 ? 0 : chosen) << shift);
            sh[1] = mask | (255ull << shift);
        }
        __syncthreads();
    }
    return sh[0];
}

// (1024 threads: the launch bound keeps the registers within what a block of that size may use.)
__global__ void __launch_bounds__(kThreads)
    sample_kernel(const float *logits, int n, DeviceSamplingParams p, double u_unit, double *prob,
                  int *out)
{
    using Scan = cub::BlockScan<double, kThreads>;
    __shared__ typename Scan::TempStorage scan_tmp;
    __shared__ double red[33];
    __shared__ float fred[33];
    __shared__ unsigned hist[256];
    __shared__ unsigned long long mass[256];
    __shared__ unsigned long long sh[3];
    __shared__ int bad_at, count_sh, pick_sh, last_sh;
    const float kInf = __int_as_float(0x7f800000);
    const int tid = threadIdx.x;
    if (tid == 0) {
        bad_at = INT_MAX;
        count_sh = 0;
        pick_sh = INT_MAX;
        last_sh = -1;
    }
    __syncthreads();
    // Non-finite logits (the first one in id order is reported), the maximum, the candidates.
    float mx = -kInf;
    int cnt = 0;
    for (int i = tid; i < n; i += blockDim.x) {
        const float l = logits[i];
        if (isnan(l) || l == kInf) {
            atomicMin(&bad_at, i);
        } else {
            mx = fmaxf(mx, l);
            cnt += l != -kInf;
        }
    }
    atomicAdd(&count_sh, cnt);
    const float max_logit = block_max(mx, fred); // (its barriers publish bad_at and count_sh)
    if (bad_at != INT_MAX) {
        if (tid == 0) {
            out[0] = -1;
            out[1] = isnan(logits[bad_at]) ? kSampleNan : kSampleInf;
            out[2] = bad_at;
        }
        return;
    }
    if (max_logit == -kInf) {
        if (tid == 0) {
            out[0] = -1;
            out[1] = kSampleAllNegInf;
            out[2] = 0;
        }
        return;
    }
    const int count = count_sh;
    if (p.temperature == 0.0f || p.top_k == 1) { // greedy: the first maximum
        for (int i = tid; i < n; i += blockDim.x)
            if (logits[i] == max_logit)
                atomicMin(&pick_sh, i);
        __syncthreads();
        if (tid == 0) {
            out[0] = pick_sh;
            out[1] = kSampleOk;
            out[2] = 0;
        }
        return;
    }
    // Top-k: the k-th key of the total order among the candidates.
    const bool use_k = p.top_k > 0 && p.top_k < count;
    auto candidate = [&](int i) { return logits[i] != -kInf; };
    const unsigned long long kth = use_k ? radix_walk(
                                       logits, n, candidate, [](int) { return 0ull; }, false,
                                       static_cast<unsigned long long>(p.top_k), hist, mass, sh)
                                         : 0ull;
    auto kept = [&](int i) { return candidate(i) && (!use_k || order64(logits[i], i) >= kth); };
    // Softmax of logit / temperature over the kept tokens, in double, relative to the maximum.
    const int per = (n + blockDim.x - 1) / blockDim.x;
    const int lo = min(n, tid * per), hi = min(n, lo + per);
    const double inv_t = 1.0 / double(p.temperature);
    double local = 0;
    for (int i = lo; i < hi; ++i) {
        const double e = kept(i) ? exp((double(logits[i]) - double(max_logit)) * inv_t) : 0.0;
        prob[i] = e;
        local += e;
    }
    const double sum = block_sum_double(local, red);
    for (int i = lo; i < hi; ++i)
        prob[i] /= sum;
    const double p_max = 1.0 / sum;
    __syncthreads(); // every prob[i] is written before the top-p passes read them
    // Top-p: the first token of the total order at which the cumulative mass reaches top_p.
    const int n_kept = use_k ? p.top_k : count;
    if (p.top_p < 1.0f && n_kept > 1) {
        const double target = double(p.top_p) * (1.0 - kBoundarySlack);
        const auto need = static_cast<unsigned long long>(target * kMassScale);
        auto weight = [&](int i) { return static_cast<unsigned long long>(prob[i] * kMassScale); };
        const unsigned long long cut = radix_walk(logits, n, kept, weight, true, need, hist, mass,
                                                  sh);
        for (int i = lo; i < hi; ++i)
            if (kept(i) && order64(logits[i], i) < cut)
                prob[i] = 0.0;
    }
    // Min-p: below min_p * p(most likely) is dropped (the most likely token always stays).
    if (p.min_p > 0.0f) {
        const double floor_p = double(p.min_p) * p_max * (1.0 - kBoundarySlack);
        for (int i = lo; i < hi; ++i)
            if (prob[i] < floor_p)
                prob[i] = 0.0;
    }
    // The draw: u in [0, kept mass), walked in id order (segments in order, each sequentially).
    double seg = 0;
    for (int i = lo; i < hi; ++i)
        seg += prob[i];
    const double kept_sum = block_sum_double(seg, red);
    double base = 0;
    Scan(scan_tmp).ExclusiveSum(seg, base);
    const double u = u_unit * kept_sum;
    double cum = base;
    int last = -1;
    for (int i = lo; i < hi; ++i) {
        if (prob[i] == 0.0)
            continue;
        cum += prob[i];
        last = i;
        if (u < cum) {
            atomicMin(&pick_sh, i);
            break;
        }
    }
    if (last >= 0)
        atomicMax(&last_sh, last);
    __syncthreads();
    if (tid == 0) {
        out[0] = pick_sh != INT_MAX ? pick_sh : last_sh; // the rounding remainder: the last kept
        out[1] = kSampleOk;
        out[2] = 0;
    }
}

} // namespace

Status sample_token(const float *logits, int n, const DeviceSamplingParams &p, double u,
                    double *work, int *result, cudaStream_t stream)
{
    if (n <= 0)
        return Status::error("sampler: empty logits");
    sample_kernel<<<1, kThreads, 0, stream>>>(logits, n, p, u, work, result);
    CUDA_CHECK(cudaGetLastError());
    return Status::ok();
}

} // namespace folio::cuda
