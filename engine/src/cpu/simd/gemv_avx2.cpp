// Streaming GEMV of cpu/simd (decode: m <= 4 activation rows). Memory-bound by design: each
// weight row is read once, straight from the mapped release bytes, decoded in registers and FMA'd
// into all m activation rows at once, with several accumulators per row to cover the FMA latency.
// Threads split the output columns (weight rows), so each thread streams one contiguous stretch of
// the weight.
//
// Why the decoders here are not the k-order ones of decode_avx2.h: at one weight row per output
// the decode is the whole cost on one core (the F16C conversion alone held FP8 at ~10 GB/s and FP4
// at ~6 GB/s). The lane-order decoders (e4m3x32_lanes, e2m1x64_lanes, and for the double path
// e4m3x32_pd_lanes, bf16x16_pd_lanes) build the FP32/double bit patterns with shifts and one mask
// per vector, in an order that is a fixed
// permutation of k within each load, and scaled by a fixed power of two. The activations are
// permuted the same way once per call (permute_rows) and carry the inverse power of two, so the
// inner loop is load, shifts, mask, FMA. The products are the same exact values as with k-order
// decoding (power-of-two scalings, no overflow by construction, see below); only the order of the
// FP32 additions differs, as between any two summation orders.
//
// Scales: FP8 weights have one E8M0 scale per 128x128 tile, constant along a 128-row stretch of one
// K block, so the activations are pre-scaled once per 128 weight rows (a' = a x tile scale x 2^120,
// exact: powers of two) and the inner loop has no scale at all. FP4 weights have a scale per 32
// weights of a row: each 64-weight step's partial sums (lanes 0..3: one 32-block, lanes 4..7: the
// next) are multiplied by a vector of the two scales, decoded from the scale bytes with integer
// ops (one FMA per 64 weights and row).
//
// One row kernel (stream_row) runs every format over a decoder policy (Fp8Policy, Fp4Policy in
// FP32; Fp8PdPolicy, Bf16PdPolicy in double for linear_f32 and the unquantised linears).
#include "cpu/simd/decode_avx2.h"
#include "cpu/simd/kernels_avx2.h"
#include "quant.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace folio::simd::avx2 {

namespace {

constexpr int kFp8Block = 128;
constexpr int kFp4Block = 32;
// Bytes ahead in the weight stream for the software prefetch. Why so far: with the decode this
// cheap one core is bound by the misses in flight (bandwidth = bytes in flight / DRAM latency);
// 2 KiB measured ~10% above 1 KiB on this machine (4 and 8 KiB no better).
constexpr int kPrefetch = 2048;

// Sum of 4 double lanes in a fixed tree order, (0+1)+(2+3).
inline double hsum_pd(__m256d v)
{
    const __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    const __m128d p = _mm_hadd_pd(lo, hi); // 0+1, 2+3
    return _mm_cvtsd_f64(_mm_add_sd(p, _mm_unpackhi_pd(p, p)));
}

// FP32 / double accumulator vectors for the streaming row kernel.
inline void set_zero(__m256 &v)
{
    v = _mm256_setzero_ps();
}
inline void set_zero(__m256d &v)
{
    v = _mm256_setzero_pd();
}
inline __m256 add(__m256 a, __m256 b)
{
    return _mm256_add_ps(a, b);
}
inline __m256d add(__m256d a, __m256d b)
{
    return _mm256_add_pd(a, b);
}
inline float reduce(__m256 v)
{
    return hsum(v);
}
inline double reduce(__m256d v)
{
    return hsum_pd(v);
}

// Sums a row's accumulators in a fixed order and reduces the lanes.
template<int A, class V>
auto finish(const V (&acc)[A])
{
    V s = acc[0];
#pragma GCC unroll 8
    for (int j = 1; j < A; ++j)
        s = add(s, acc[j]);
    return reduce(s);
}

// The smallest L with |x| < 2^L for every finite x of a[0, n); -150 when there is none (all zero or
// non-finite: any scaling is then safe).
int exponent_bound(const float *a, std::size_t n)
{
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    __m256 mx = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_and_ps(_mm256_loadu_ps(a + i), abs_mask);
        // NaN and inf compare false and are masked to zero.
        mx = _mm256_max_ps(mx, _mm256_and_ps(v, _mm256_cmp_ps(v, inf, _CMP_LT_OQ)));
    }
    float buf[8], amax = 0.0f;
    _mm256_storeu_ps(buf, mx);
    for (float v : buf)
        amax = std::max(amax, v);
    for (; i < n; ++i)
        if (std::isfinite(a[i]))
            amax = std::max(amax, std::fabs(a[i]));
    if (amax == 0.0f)
        return -150;
    int e = 0;
    std::frexp(amax, &e); // amax = f x 2^e with f in [0.5, 1): amax < 2^e
    return e;
}

// The same for double inputs (the double path's activations, FP32 values widened; -1100 when
// there is none).
int exponent_bound(const double *a, std::size_t n)
{
    double amax = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(a[i]))
            amax = std::max(amax, std::fabs(a[i]));
    int e = -1100;
    if (amax > 0)
        std::frexp(amax, &e);
    return e;
}

// Rows of a [R, K] permuted into a lane-order decoder's order and multiplied by 2^exp (exact while
// the result stays in the normal range; the callers choose exp so that it does). Group = weights
// per decoder load, decoded into Vecs vectors: vector v lane l holds weight Vecs * l + v of the
// group. Output rows are ld apart (ld = K rounded up to whole groups; a partial last group, and
// any K tail, are zero-filled).
template<int Group, int Vecs, class T>
void permute_rows(const T *a, int R, int K, int ld, int exp, T *ap)
{
    const T f = T(std::ldexp(1.0, exp));
    constexpr int kLanes = Group / Vecs;
    for (int r = 0; r < R; ++r) {
        const T *src = a + std::size_t(r) * K;
        T *dst = ap + std::size_t(r) * ld;
        for (int k0 = 0; k0 < ld; k0 += Group)
            for (int v = 0; v < Vecs; ++v)
                for (int l = 0; l < kLanes; ++l) {
                    const int k = k0 + Vecs * l + v;
                    dst[k0 + kLanes * v + l] = k < K ? src[k] * f : T(0);
                }
    }
}

// ---- Streaming row kernel over a decoder policy ----
// A policy decodes one load of the weight row (Policy::kWeights codes from Policy::kBytes bytes)
// into vectors of Policy::Vec (FP32 or double) and accumulates them into acc[R][A] against R
// activation rows of type Policy::Act in lane order; poisoned() reports a NaN weight code seen
// on the row (the outputs are then NaN, as in the reference). With kHalfTail a last half load
// (16 bytes, upper lanes zero) covers a K tail of kWeights / 2; otherwise the caller handles any
// tail from K rounded down to whole loads. out[r] = the row's sum (float or double).
template<int R, int A, class Policy, class Out>
void stream_row(const typename Policy::Act *ap, int lda, int K, const std::uint8_t *p, Policy &pol,
                Out (&out)[R])
{
    typename Policy::Vec acc[R][A];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int j = 0; j < A; ++j)
            set_zero(acc[r][j]);
    int k = 0, step = 0;
    for (; k + Policy::kWeights <= K; k += Policy::kWeights, ++step) {
        const std::uint8_t *pk = p + std::size_t(k) * Policy::kBytes / Policy::kWeights;
        _mm_prefetch(reinterpret_cast<const char *>(pk) + kPrefetch, _MM_HINT_T0);
        pol.template step<R, A>(ap + k, lda, k, step, load32(pk), acc);
    }
    if (Policy::kHalfTail && k < K)
        pol.template step<R, A>(ap + k, lda, k, step,
                                _mm256_zextsi128_si256(
                                    _mm_loadu_si128(reinterpret_cast<const __m128i *>(
                                        p + std::size_t(k) * Policy::kBytes / Policy::kWeights))),
                                acc);
    const bool nan = pol.poisoned();
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        out[r] = nan ? Out(std::nan("")) : Out(finish(acc[r]));
}

// FP8 policy: 32 codes per load, activations pre-scaled by the tile scale (no scale in the loop).
struct Fp8Policy
{
    using Vec = __m256;
    using Act = float;
    static constexpr int kWeights = 32, kBytes = 32;
    static constexpr bool kHalfTail = false;
    __m256i nan = _mm256_setzero_si256();

    template<int R, int A>
    void step(const float *a, int lda, int, int, __m256i b, __m256 (&acc)[R][A])
    {
        nan = e4m3_nan_bytes(nan, b);
        __m256 v[4];
        e4m3x32_lanes(b, v);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int j = 0; j < 4; ++j)
                acc[r][j % A] = _mm256_fmadd_ps(_mm256_loadu_ps(a + std::size_t(r) * lda + 8 * j),
                                                v[j], acc[r][j % A]);
    }
    bool poisoned() const
    {
        return has_e4m3_nan(nan);
    }
};

// FP4 policy: 64 codes per load; per load, the R partial sums (lanes 0..3 = one 32-block, 4..7 =
// the next) times the vector of the two block scales go into the accumulator (one per row: the
// decode, not the FMA latency, bounds a step).
struct Fp4Policy
{
    using Vec = __m256;
    using Act = float;
    static constexpr int kWeights = 64, kBytes = 32;
    static constexpr bool kHalfTail = true; // K % 64 == 32: one 32-block
    const float *scales = nullptr; // the row's effective block scales (fp4_row_scales), + 1 pad

    template<int R, int A>
    void step(const float *a, int lda, int k, int, __m256i b, __m256 (&acc)[R][A])
    {
        __m256 v[8];
        e2m1x64_lanes(b, v);
        const float *sp = scales + k / kFp4Block;
        const __m256 s = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_broadcast_ss(sp)),
                                              _mm_broadcast_ss(sp + 1), 1);
        // Why FMAs onto zero rather than multiplies to start the chains: E2M1 +-0.5 decodes to an
        // FP32 subnormal, and this CPU multiplies subnormal operands slowly but FMAs them at full
        // speed.
        const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const float *ar = a + std::size_t(r) * lda;
            __m256 p0 = _mm256_fmadd_ps(_mm256_loadu_ps(ar), v[0], zero);
            __m256 p1 = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 8), v[1], zero);
#pragma GCC unroll 4
            for (int j = 2; j < 8; j += 2) {
                p0 = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 8 * j), v[j], p0);
                p1 = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 8 * j + 8), v[j + 1], p1);
            }
            acc[r][0] = _mm256_fmadd_ps(_mm256_add_ps(p0, p1), s, acc[r][0]);
        }
    }
    bool poisoned() const
    {
        return false;
    }
};

// Double policies (linear_f32 and the unquantised linear_bf16_out): every product x * w is exact
// in double, so only the order of the double additions differs from the exact path.
// FP8 used dequantised: 32 codes per load into 8 double vectors, activations pre-scaled by the
// tile scale as in Fp8Policy.
struct Fp8PdPolicy
{
    using Vec = __m256d;
    using Act = double;
    static constexpr int kWeights = 32, kBytes = 32;
    static constexpr bool kHalfTail = false;
    __m256i nan = _mm256_setzero_si256();

    template<int R, int A>
    void step(const double *a, int lda, int, int, __m256i b, __m256d (&acc)[R][A])
    {
        nan = e4m3_nan_bytes(nan, b);
        __m256d d[8];
        e4m3x32_pd_lanes(b, d);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
            for (int j = 0; j < 8; ++j)
                acc[r][j % A] = _mm256_fmadd_pd(_mm256_loadu_pd(a + std::size_t(r) * lda + 4 * j),
                                                d[j], acc[r][j % A]);
    }
    bool poisoned() const
    {
        return has_e4m3_nan(nan);
    }
};

// BF16: 16 values per load into 4 double vectors; poisoned() = an infinity or NaN was seen, which
// the decoder turns into a finite number (the caller redoes the row).
struct Bf16PdPolicy
{
    using Vec = __m256d;
    using Act = double;
    static constexpr int kWeights = 16, kBytes = 32;
    static constexpr bool kHalfTail = false;
    __m256i special = _mm256_setzero_si256();

    template<int R, int A>
    void step(const double *a, int lda, int, int, __m256i h, __m256d (&acc)[R][A])
    {
        special = bf16_special(special, h);
        __m256d d[4];
        bf16x16_pd_lanes(h, d);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int j = 0; j < 4; ++j)
                acc[r][j % A] = _mm256_fmadd_pd(_mm256_loadu_pd(a + std::size_t(r) * lda + 4 * j),
                                                d[j], acc[r][j % A]);
    }
    bool poisoned() const
    {
        return has_bf16_special(special);
    }
};

// The effective FP4 block scales of one row: out[b] = 2^(e_b + bias - 127) (scale byte e_b), built
// as FP32 bits (exponent field e_b + bias). False when some e_b is 255 (NaN) or some field leaves
// the normal range [1, 254]; out is then incomplete.
bool fp4_row_scales(const std::uint8_t *sc, int blocks, int bias, float *out)
{
    const __m256i vb = _mm256_set1_epi32(bias), one = _mm256_set1_epi32(1);
    const __m256i top = _mm256_set1_epi32(254), nan = _mm256_set1_epi32(255);
    __m256i bad = _mm256_setzero_si256();
    int b = 0;
    for (; b + 8 <= blocks; b += 8) {
        const __m256i e = _mm256_cvtepu8_epi32(
            _mm_loadl_epi64(reinterpret_cast<const __m128i *>(sc + b)));
        const __m256i f = _mm256_add_epi32(e, vb);
        bad = _mm256_or_si256(bad, _mm256_or_si256(_mm256_cmpgt_epi32(one, f),
                                                   _mm256_or_si256(_mm256_cmpgt_epi32(f, top),
                                                                   _mm256_cmpeq_epi32(e, nan))));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(out + b), _mm256_slli_epi32(f, 23));
    }
    bool ok = _mm256_testz_si256(bad, bad) != 0;
    for (; b < blocks; ++b) {
        const int f = int(sc[b]) + bias;
        ok &= f >= 1 && f <= 254 && sc[b] != 0xff;
        out[b] = bits_to_f32(std::uint32_t(std::clamp(f, 0, 255)) << 23);
    }
    return ok;
}

// Per-thread buffers of the quantised GEMV: permuted activations and their pre-scaled copy.
struct GemvBuffers
{
    Workspace<float> ap, as, seg; // as: FP8 pre-scaled activations, FP4 the row's block scales
    Workspace<double> apd, asd;
};

GemvBuffers &gemv_buffers()
{
    thread_local GemvBuffers b;
    return b;
}

// A row through the k-order decoder (decode_row_segment) and plain FMAs on the unpermuted
// activations a [R, K]: the FP4 GEMV's path for rows whose scales leave the lane kernel's exact
// range (scale NaN, or scale x activation range beyond FP32's normal exponents; never in a real
// checkpoint).
template<int R>
void row_generic(const float *a, const LinearWeight &w, int n, float *seg, float (&out)[R])
{
    const int K = w.in;
    decode_row_segment(w, n, 0, K, K, seg);
    __m256 acc[R][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < K; k += 16) // K % 32 == 0 for the quantised kinds
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const float *ar = a + std::size_t(r) * K + k;
            acc[r][0] = _mm256_fmadd_ps(_mm256_loadu_ps(ar), _mm256_loadu_ps(seg + k), acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(_mm256_loadu_ps(ar + 8), _mm256_loadu_ps(seg + k + 8),
                                        acc[r][1]);
        }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        out[r] = finish(acc[r]);
}

// FP8: per 128-row stretch t, a' [R, K] = permuted a x tile scale x 2^(120 - G), with G >= 0 the
// smallest shift that keeps every a' finite (0 unless activation x weight scale reaches 2^8), and
// the row sums multiplied back by 2^G.
template<int R>
void gemv_fp8(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out, tiles_in = K / kFp8Block;
    GemvBuffers &buf = gemv_buffers();
    float *ap = buf.ap.get(std::size_t(R) * K);
    float *as = buf.as.get(std::size_t(R) * K);
    permute_rows<32, 4>(a, R, K, K, 0, ap);
    const int L = exponent_bound(a, std::size_t(R) * K); // |a| < 2^L
    for (int t = n0 / kFp8Block; t * kFp8Block < n1; ++t) {
        const std::uint8_t *sc = w.scale + std::size_t(t) * tiles_in;
        int emax = 0;
        for (int b = 0; b < tiles_in; ++b)
            if (sc[b] != 0xff)
                emax = std::max(emax, int(sc[b]));
        // |a x 2^(e - 127 - kE4m3LaneExp - G)| < 2^(L + e - 7 - G) <= 2^128 needs G >= L + e - 135.
        const int G = std::clamp(L + emax - 135, 0, 127);
        for (int b = 0; b < tiles_in; ++b) {
            const float f = sc[b] == 0xff ? std::nanf("")
                                          : std::ldexp(1.0f, int(sc[b]) - 127 - kE4m3LaneExp - G);
            const __m256 s = _mm256_set1_ps(f);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                for (int k = b * kFp8Block; k < (b + 1) * kFp8Block; k += 8) {
                    const std::size_t i = std::size_t(r) * K + k;
                    _mm256_storeu_ps(as + i, _mm256_mul_ps(_mm256_loadu_ps(ap + i), s));
                }
        }
        const float unscale = std::ldexp(1.0f, G);
        const int r0 = std::max(t * kFp8Block, n0), r1 = std::min((t + 1) * kFp8Block, n1);
        for (int n = r0; n < r1; ++n) {
            Fp8Policy pol;
            float out[R];
            stream_row<R, R <= 2 ? 4 : 2>(as, K, K, w.data + std::size_t(n) * K, pol, out);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                y[std::size_t(r) * N + n] = G ? out[r] * unscale : out[r];
        }
    }
}

// FP4: a' [R, K] = permuted a x 2^c with c = 125 - L (|a| < 2^L, so |a'| < 2^125 and the lane
// products a' x code x 2^-126 stay far from overflow); block b's partial is then multiplied by
// scale_b x 2^(126 - c) (kE2m1LaneExp = -126), an exact power of two built from the scale byte as
// the exponent field e_b + L + 1, which must lie in the normal range [1, 254] (else the row takes
// row_generic).
template<int R>
void gemv_fp4(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out, blocks = K / kFp4Block, ld = (K + 63) / 64 * 64;
    GemvBuffers &buf = gemv_buffers();
    float *ap = buf.ap.get(std::size_t(R) * ld);
    float *scales = buf.as.get(std::size_t(blocks) + 1);
    // L >= -2 keeps 2^c <= 2^127 representable (smaller activations just get a smaller c).
    const int L = std::max(exponent_bound(a, std::size_t(R) * K), -2);
    permute_rows<64, 8>(a, R, K, ld, 125 - L, ap);
    scales[blocks] = 1.0f; // read by the last load of a K % 64 == 32 row, whose upper lanes are 0
    Fp4Policy pol;
    pol.scales = scales;
    for (int n = n0; n < n1; ++n) {
        float out[R];
        if (fp4_row_scales(w.scale + std::size_t(n) * blocks, blocks, L + 1, scales))
            stream_row<R, 1>(ap, ld, K, w.data + std::size_t(n) * (K / 2), pol, out);
        else
            row_generic<R>(a, w, n, buf.seg.get(std::size_t(K)), out);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            y[std::size_t(r) * N + n] = out[r];
    }
}

// One BF16 or F32 weight row against R activation rows; any K (scalar tail after the vectors).
template<int R, bool Bf16>
void row_dense(const float *a, int K, const std::uint8_t *p, float *y, int N)
{
    constexpr int A = R <= 2 ? 4 : 2;
    __m256 acc[R][A];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int j = 0; j < A; ++j)
            acc[r][j] = _mm256_setzero_ps();
    auto load_w = [&](int k) {
        return Bf16 ? bf16x8(p + 2 * std::size_t(k))
                    : _mm256_loadu_ps(reinterpret_cast<const float *>(p + 4 * std::size_t(k)));
    };
    int k = 0;
    for (; k + 32 <= K; k += 32) {
        _mm_prefetch(reinterpret_cast<const char *>(p + std::size_t(k) * (Bf16 ? 2 : 4)) + kPrefetch,
                     _MM_HINT_T0);
#pragma GCC unroll 8
        for (int j = 0; j < 4; ++j) {
            const __m256 v = load_w(k + 8 * j);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                acc[r][j % A] = _mm256_fmadd_ps(_mm256_loadu_ps(a + std::size_t(r) * K + k + 8 * j),
                                                v, acc[r][j % A]);
        }
    }
    for (; k + 8 <= K; k += 8) {
        const __m256 v = load_w(k);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
            acc[r][0] = _mm256_fmadd_ps(_mm256_loadu_ps(a + std::size_t(r) * K + k), v, acc[r][0]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        float s = finish(acc[r]);
        for (int kk = k; kk < K; ++kk) {
            float v;
            if (Bf16) {
                std::uint16_t b;
                std::memcpy(&b, p + 2 * std::size_t(kk), 2);
                v = bf16_to_f32(b);
            } else {
                std::memcpy(&v, p + 4 * std::size_t(kk), 4);
            }
            s += a[std::size_t(r) * K + kk] * v;
        }
        y[std::size_t(r) * N] = s;
    }
}

template<int R, bool Bf16>
void gemv_dense(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out;
    const std::size_t row_bytes = std::size_t(K) * (Bf16 ? 2 : 4);
    for (int n = n0; n < n1; ++n)
        row_dense<R, Bf16>(a, K, w.data + std::size_t(n) * row_bytes, y + n, N);
}

template<int R>
void gemv_rows(const float *a, const LinearWeight &w, int n0, int n1, float *y)
{
    switch (w.kind) {
    case WeightKind::FP8:
        gemv_fp8<R>(a, w, n0, n1, y);
        break;
    case WeightKind::FP4:
        gemv_fp4<R>(a, w, n0, n1, y);
        break;
    case WeightKind::BF16:
        gemv_dense<R, true>(a, w, n0, n1, y);
        break;
    case WeightKind::F32:
        gemv_dense<R, false>(a, w, n0, n1, y);
        break;
    }
}

// Double-accumulating rows (linear_f32): the weight row is decoded in L1-sized segments into a
// float buffer (exact, any format), each float widened to double and FMA'd into R rows of double
// activations. Decoding through a small buffer keeps one code path for every format; the row is
// still streamed once.
constexpr int kSegment = 512;

template<int R>
void row_f64(const double *a, const LinearWeight &w, int n, float *seg, float *y)
{
    const int K = w.in, N = w.out;
    __m256d acc[R][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        acc[r][0] = acc[r][1] = _mm256_setzero_pd();
    double tail[R] = {};
    for (int k0 = 0; k0 < K; k0 += kSegment) {
        const int count = K - k0 < kSegment ? K - k0 : kSegment;
        decode_row_segment(w, n, k0, count, count, seg);
        // Segment partials in fresh registers (the accumulators above live across the decoder
        // call, which clobbers every vector register), added to them once per segment.
        constexpr int A = R <= 2 ? 4 : 2; // chains per row: cover the 4-cycle FMA latency
        __m256d sp[R][A];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int j = 0; j < A; ++j)
                sp[r][j] = _mm256_setzero_pd();
        int k = 0;
        for (; k + 16 <= count; k += 16) {
            const __m256 v0 = _mm256_loadu_ps(seg + k), v1 = _mm256_loadu_ps(seg + k + 8);
            const __m256d wv[4] = {_mm256_cvtps_pd(_mm256_castps256_ps128(v0)),
                                   _mm256_cvtps_pd(_mm256_extractf128_ps(v0, 1)),
                                   _mm256_cvtps_pd(_mm256_castps256_ps128(v1)),
                                   _mm256_cvtps_pd(_mm256_extractf128_ps(v1, 1))};
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const double *ar = a + std::size_t(r) * K + k0 + k;
#pragma GCC unroll 4
                for (int j = 0; j < 4; ++j)
                    sp[r][j % A] = _mm256_fmadd_pd(_mm256_loadu_pd(ar + 4 * j), wv[j], sp[r][j % A]);
            }
        }
        for (; k + 8 <= count; k += 8) {
            const __m256 v = _mm256_loadu_ps(seg + k);
            const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
            const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const double *ar = a + std::size_t(r) * K + k0 + k;
                sp[r][0] = _mm256_fmadd_pd(_mm256_loadu_pd(ar), lo, sp[r][0]);
                sp[r][1] = _mm256_fmadd_pd(_mm256_loadu_pd(ar + 4), hi, sp[r][1]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            __m256d t = sp[r][0];
#pragma GCC unroll 4
            for (int j = 1; j < A; ++j)
                t = _mm256_add_pd(t, sp[r][j]);
            acc[r][0] = _mm256_add_pd(acc[r][0], t);
        }
        for (; k < count; ++k) // only BF16/F32 rows with K % 8 != 0 reach this
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                tail[r] += a[std::size_t(r) * K + k0 + k] * double(seg[k]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
        y[std::size_t(r) * N + n] = float(hsum_pd(_mm256_add_pd(acc[r][0], acc[r][1])) + tail[r]);
}

// BF16 rows in double (linear_f32 and the unquantised linear_bf16_out on BF16 weights): streamed
// through bf16x16_pd_lanes (BF16 -> double bit patterns x 2^-896 with integer ops, no conversion
// instruction) against ap [R, ld] = the permuted activations x 2^896 (finite: |x| < 2^128). Every
// product is the exact x * w in double, as in row_f64; only the order of the double additions
// differs. A row holding an infinity or NaN (exponent field 255, which the decoder turns into a
// finite number) is redone by row_f64.
template<int R>
void row_bf16_f64(const double *ap, int ld, const double *a, const LinearWeight &w, int n,
                  float *seg, float *y)
{
    const int K = w.in, N = w.out;
    const std::uint8_t *p = w.data + std::size_t(n) * K * 2;
    Bf16PdPolicy pol;
    double out[R];
    stream_row<R, R <= 2 ? 4 : 2>(ap, ld, K, p, pol, out);
    if (pol.poisoned()) {
        row_f64<R>(a, w, n, seg, y);
        return;
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        double s = out[r];
        for (int k = K / 16 * 16; k < K; ++k) { // K % 16 tail, in k order
            std::uint16_t b;
            std::memcpy(&b, p + 2 * std::size_t(k), 2);
            s += a[std::size_t(r) * K + k] * double(bf16_to_f32(b));
        }
        y[std::size_t(r) * N + n] = float(s);
    }
}

// FP8 rows in double (the dequantised wo_a of linear_bf16_out, FP8 weights in linear_f32):
// streamed through e4m3x32_pd_lanes (value x 2^-1016) against the permuted activations pre-scaled
// per 128-row stretch by tile scale x 2^(1016 - G), G >= 0 the smallest shift that keeps them
// finite, as in gemv_fp8. Products are (x * w) x 2^-G exactly, the sum is multiplied back by 2^G
// in double and rounded once (the exact path's FP32 weight, code x scale, is exact too: E4M3
// values are multiples of 2^-9, so even at scale 2^-127 they are multiples of 2^-136).
template<int R>
void gemv_fp8_f64(const double *a, const LinearWeight &w, int n0, int n1, float *y)
{
    const int K = w.in, N = w.out, tiles_in = K / kFp8Block;
    GemvBuffers &buf = gemv_buffers();
    double *ap = buf.apd.get(std::size_t(R) * K);
    double *as = buf.asd.get(std::size_t(R) * K);
    permute_rows<32, 8>(a, R, K, K, 0, ap);
    const int L = exponent_bound(a, std::size_t(R) * K); // |a| < 2^L
    for (int t = n0 / kFp8Block; t * kFp8Block < n1; ++t) {
        const std::uint8_t *sc = w.scale + std::size_t(t) * tiles_in;
        int emax = 0;
        for (int b = 0; b < tiles_in; ++b)
            if (sc[b] != 0xff)
                emax = std::max(emax, int(sc[b]));
        const int r0 = std::max(t * kFp8Block, n0), r1 = std::min((t + 1) * kFp8Block, n1);
        // |a x 2^(e - 127 - kE4m3PdLaneExp - G)| < 2^(L + e + 889 - G) <= 2^1024 needs
        // G >= L + e - 135.
        const int G = std::max(L + emax - 135, 0);
        for (int b = 0; b < tiles_in; ++b) {
            const double f = sc[b] == 0xff ? std::nan("")
                                           : std::ldexp(1.0, int(sc[b]) - 127 - kE4m3PdLaneExp - G);
            const __m256d s = _mm256_set1_pd(f);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                for (int k = b * kFp8Block; k < (b + 1) * kFp8Block; k += 4) {
                    const std::size_t i = std::size_t(r) * K + k;
                    _mm256_storeu_pd(as + i, _mm256_mul_pd(_mm256_loadu_pd(ap + i), s));
                }
        }
        const double unscale = std::ldexp(1.0, G);
        for (int n = r0; n < r1; ++n) {
            Fp8PdPolicy pol;
            double out[R];
            stream_row<R, R <= 2 ? 4 : 2>(as, K, K, w.data + std::size_t(n) * K, pol, out);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                y[std::size_t(r) * N + n] = float(out[r] * unscale);
        }
    }
}

template<int R>
void gemv_rows_f64(const double *a, const LinearWeight &w, int n0, int n1, float *y)
{
    GemvBuffers &buf = gemv_buffers();
    float *seg = buf.seg.get(std::size_t(std::max(w.in, kSegment)));
    if (w.kind == WeightKind::FP8 && w.in % kFp8Block == 0) {
        gemv_fp8_f64<R>(a, w, n0, n1, y);
        return;
    }
    if (w.kind == WeightKind::BF16) {
        const int ld = w.in / 16 * 16;
        double *ap = buf.apd.get(std::size_t(R) * std::max(ld, 1));
        // Only whole 16-groups are permuted; the K tail is read from a directly.
        permute_rows<16, 4>(a, R, w.in, ld, -kBf16PdLaneExp, ap);
        for (int n = n0; n < n1; ++n)
            row_bf16_f64<R>(ap, ld, a, w, n, seg, y);
        return;
    }
    for (int n = n0; n < n1; ++n)
        row_f64<R>(a, w, n, seg, y);
}

} // namespace

void gemv_cols_f64(const double *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    switch (m) {
    case 1:
        gemv_rows_f64<1>(a, w, n0, n1, y);
        break;
    case 2:
        gemv_rows_f64<2>(a, w, n0, n1, y);
        break;
    case 3:
        gemv_rows_f64<3>(a, w, n0, n1, y);
        break;
    default:
        gemv_rows_f64<4>(a, w, n0, n1, y);
        break;
    }
}

void gemv_cols(const float *a, int m, const LinearWeight &w, int n0, int n1, float *y)
{
    switch (m) {
    case 1:
        gemv_rows<1>(a, w, n0, n1, y);
        break;
    case 2:
        gemv_rows<2>(a, w, n0, n1, y);
        break;
    case 3:
        gemv_rows<3>(a, w, n0, n1, y);
        break;
    default:
        gemv_rows<4>(a, w, n0, n1, y);
        break;
    }
}

} // namespace folio::simd::avx2
