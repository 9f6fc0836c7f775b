// Linear layers in the storage formats of the release and the reference's GEMM numerics
// (inference/model.py `linear`, kernel.py `act_quant`/`fp8_gemm`/`fp4_gemm`):
//
//   * BF16 weight, BF16 activation (`F.linear` in BF16): FP32 accumulation, one rounding to BF16.
//   * FP8 weight (E4M3, 128x128 E8M0 tiles): the activation row is quantised to E4M3 in 1x128
//     blocks with power-of-two scales; each 128-wide K block is summed exactly, rounded to FP32,
//     and added to an FP32 accumulator times (activation scale x weight tile scale); output BF16.
//   * FP4 weight (E2M1 packed two per byte along K, 1x32 E8M0 scales): same activation
//     quantisation; 32-wide K blocks, accumulator += partial x act scale x weight scale.
//   * FP32 linears (compressor wkv/wgate, router, head, mHC mixes): BF16- or F32-stored weights
//     upcast, FP32 inputs, FP32 output (one rounding of a double-precision sum).
//
// Activations are float buffers holding BF16 values where the reference holds BF16 tensors.
//
// Two implementations sit behind these entry points (cpu/simd/kernels.h): the exact reference
// kernels, which reproduce the roundings above bit for bit (scalar ISA, FOLIO_CPU_ISA=scalar, or
// FOLIO_EXACT_LINEAR=1), and the fast AVX2 kernels (the default where the CPU has AVX2+FMA+F16C):
// an FP32 FMA GEMM/GEMV on exactly decoded operands for linear_bf16_out (the reference also
// accumulates in FP32) and a double-accumulating one for linear_f32.
#pragma once

#include <cstdint>

namespace folio {

class ThreadPool;

enum class WeightKind { BF16, F32, FP8, FP4 };

// A view of one Linear's weight inside the mapped checkpoint (or an owned buffer); y = x W^T.
struct LinearWeight
{
    WeightKind kind = WeightKind::BF16;
    int out = 0, in = 0;
    // BF16: [out, in] bf16; F32: [out, in] f32; FP8: [out, in] e4m3; FP4: [out, in/2] packed e2m1.
    const std::uint8_t *data = nullptr;
    // FP8: [ceil(out/128), ceil(in/128)] e8m0; FP4: [out, in/32] e8m0; otherwise null.
    const std::uint8_t *scale = nullptr;
    // Use as a BF16 weight whatever the storage: wo_a is FP8 in the release, but the reference
    // dequantises it to BF16 once (convert.py, exact) and multiplies without activation
    // quantisation.
    bool dequantize = false;
};

// Decodes row `row` of `w` to FP32 values (exact for every format), `dst` holds w.in floats.
void decode_weight_row(const LinearWeight &w, int row, float *dst);

// Linear in the model's default dtype, output BF16 values: y [m, w.out] = x [m, w.in] W^T, with
// the format-specific numerics above. x holds BF16 values.
void linear_bf16_out(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool);

// FP32 linear: y [m, w.out] = x [m, w.in] W^T with the weight upcast to FP32; each output is the
// double-precision sum rounded once to FP32.
void linear_f32(const float *x, int m, const LinearWeight &w, float *y, ThreadPool *pool);

// The reference's FP8 activation quantisation of one row of k values (k % 128 == 0): codes as
// decoded E4M3 values q[k] and per-block power-of-two scales s[k/128].
void act_quant_row(const float *x, int k, float *q, float *s);

} // namespace folio
