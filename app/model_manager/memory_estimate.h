// What a model needs in memory on the hardware layouts Folio supports, computed from the
// checkpoint's own tensor bytes and the engine's KV arithmetic — shown by `folio-cli model
// verify` and the user guide's hardware table.
//
// The layouts (docs/architecture.md, "Engine execution model"):
//   cpu            weights memory-mapped from disk; RAM must hold them to run at memory speed
//   one GPU        every weight, the KV state and the working buffers on one card
//   N GPUs         layers split evenly over N cards; each holds 1/N of the weights and KV
//   expert offload routed experts stay in host RAM (read per token); the card holds everything
//                  else plus a cache of hot experts in whatever memory is left
// Working buffers (activations of a prefill chunk, GEMM workspaces, the CUDA context) are a fixed
// allowance, stated as such: an estimate, not a measurement.
#pragma once

#include <QList>
#include <QString>

namespace folio::app {

struct WeightBytes
{
    quint64 total = 0;         // every tensor of the checkpoint
    quint64 routedExperts = 0; // "*.ffn.experts.*" tensors (FP4 weights + their scales)
    quint64 mtp = 0;           // "mtp.*" tensors (the optional draft block)
};

struct MemoryLayout
{
    QString name;        // "cpu", "1 gpu", "2 gpus", "8 gpus", "expert offload"
    QString description; // one line
    int gpus = 0;
    quint64 gpuBytesPerDevice = 0; // on each card (0 for cpu)
    quint64 hostBytes = 0;         // RAM
};

struct MemoryEstimate
{
    qint64 contextTokens = 0;
    quint64 kvBytesPerToken = 0;
    quint64 kvBytes = 0; // at contextTokens
    QList<MemoryLayout> layouts;
};

// Working-buffer allowances (see the file comment).
inline constexpr quint64 kGpuWorkingBytes = 4ull << 30;
inline constexpr quint64 kHostWorkingBytes = 2ull << 30;

// The layouts for `weights` at `contextTokens` tokens of context, `kvBytesPerToken` each.
// `gpuCounts` lists the multi-GPU layouts to show (e.g. {2, 8}).
MemoryEstimate estimateMemory(const WeightBytes &weights, quint64 kvBytesPerToken,
                              qint64 contextTokens, const QList<int> &gpuCounts = {2, 8});

// "148.7 GiB", "137.6 MiB" below 1 GiB (binary units: what memory sizes and nvidia-smi show).
QString formatGiB(quint64 bytes);

} // namespace folio::app
