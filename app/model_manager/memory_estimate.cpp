// Memory needs per hardware layout (see memory_estimate.h).
#include "app/model_manager/memory_estimate.h"

namespace folio::app {

MemoryEstimate estimateMemory(const WeightBytes &w, quint64 kvBytesPerToken, qint64 contextTokens,
                              const QList<int> &gpuCounts)
{
    MemoryEstimate e;
    e.contextTokens = contextTokens;
    e.kvBytesPerToken = kvBytesPerToken;
    e.kvBytes = kvBytesPerToken * quint64(std::max<qint64>(0, contextTokens));

    e.layouts.append(
        {QStringLiteral("cpu"),
         QStringLiteral("CPU only: weights mapped from disk, RAM holds them and the KV state"), 0,
         0, w.total + e.kvBytes + kHostWorkingBytes});
    e.layouts.append({QStringLiteral("1 gpu"),
                      QStringLiteral("one GPU holds every weight and the KV state"), 1,
                      w.total + e.kvBytes + kGpuWorkingBytes, kHostWorkingBytes});
    for (int n : gpuCounts) {
        if (n < 2)
            continue;
        // Layers split evenly: each card gets 1/n of the weights and of the per-layer KV state,
        // plus its own working buffers. Rounded up so the busiest card is covered.
        const quint64 share = (w.total + e.kvBytes + quint64(n) - 1) / quint64(n);
        e.layouts.append({QStringLiteral("%1 gpus").arg(n),
                          QStringLiteral("%1 GPUs, layers split evenly").arg(n), n,
                          share + kGpuWorkingBytes, kHostWorkingBytes});
    }
    const quint64 resident = w.total - w.routedExperts;
    e.layouts.append({QStringLiteral("expert offload"),
                      QStringLiteral("one GPU holds all but the routed experts (minimum; spare "
                                     "memory caches experts), host RAM holds the experts"),
                      1, resident + e.kvBytes + kGpuWorkingBytes,
                      w.routedExperts + kHostWorkingBytes});
    return e;
}

QString formatGiB(quint64 bytes)
{
    if (bytes < (1ull << 30))
        return QStringLiteral("%1 MiB").arg(double(bytes) / double(1ull << 20), 0, 'f', 1);
    return QStringLiteral("%1 GiB").arg(double(bytes) / double(1ull << 30), 0, 'f', 1);
}

} // namespace folio::app
