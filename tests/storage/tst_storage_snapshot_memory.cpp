// Regression (issue 8): "a multi-GB state never sits in memory twice". A 512 MiB synthetic state
// is saved through the streaming writer in the pieces an engine hands over, and restored through
// the streaming reader into a caller's buffer of 1 MiB, as Session::load_from reads it; the peak
// extra memory of the process during each must stay far below the state size (asserted: under a
// quarter; the design's bound is one chunk, 32 MiB by default, plus the caller's piece).
//
// Two independent measures: a counting global operator new/delete (the live C++ heap bytes, peak
// over the operation) and the kernel's VmHWM (peak resident set of the whole process, reset through
// /proc/self/clear_refs before each operation where the kernel allows it; otherwise the peak so
// far, which at the start of this small test process is its baseline).
#include "storage/database.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cstdlib>
#include <malloc.h>
#include <new>

namespace {

std::atomic<long long> g_live{0}; // bytes allocated through operator new, not yet deleted
std::atomic<long long> g_peak{0};

void *countedAlloc(std::size_t size)
{
    void *p = std::malloc(size ? size : 1);
    if (!p)
        throw std::bad_alloc();
    const long long now = g_live.fetch_add(static_cast<long long>(malloc_usable_size(p)))
                          + static_cast<long long>(malloc_usable_size(p));
    long long peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
    }
    return p;
}

void countedFree(void *p) noexcept
{
    if (!p)
        return;
    g_live.fetch_sub(static_cast<long long>(malloc_usable_size(p)));
    std::free(p);
}

// Resident-set figures of /proc/self/status, in bytes ("VmHWM", "VmRSS").
qint64 procStatus(const char *field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong() * 1024;
    return -1;
}

// Makes VmHWM start again from the current resident set (Linux >= 4.0); false where not allowed.
bool resetPeakRss()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    return f.open(QIODevice::WriteOnly) && f.write("5") == 1;
}

} // namespace

void *operator new(std::size_t size)
{
    return countedAlloc(size);
}
void *operator new[](std::size_t size)
{
    return countedAlloc(size);
}
void operator delete(void *p) noexcept
{
    countedFree(p);
}
void operator delete[](void *p) noexcept
{
    countedFree(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    countedFree(p);
}
void operator delete[](void *p, std::size_t) noexcept
{
    countedFree(p);
}

using namespace folio::storage;

class TestStorageSnapshotMemory : public QObject
{
    Q_OBJECT

    static constexpr qint64 kStateBytes = qint64(512) << 20;

    struct Peak
    {
        qint64 heap = 0; // counting operator new: peak live bytes above the start
        qint64 rss = 0;  // VmHWM above the resident set at the start
    };

    template<typename Fn>
    static Peak measure(Fn &&operation)
    {
        ::malloc_trim(0); // freed memory from earlier steps must not hide in the baseline
        resetPeakRss();
        const qint64 rssBefore = procStatus("VmRSS");
        const long long heapBefore = g_live.load();
        g_peak.store(heapBefore);
        operation();
        Peak p;
        p.heap = qint64(g_peak.load() - heapBefore);
        p.rss = procStatus("VmHWM") - rssBefore;
        return p;
    }

private Q_SLOTS:
    void issue8_largeStateNeverInMemoryTwice()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto db = Database::open(dir.filePath(QStringLiteral("folio.db")));
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        SnapshotStore store(**db);
        store.setEvictionPolicy({0, 0});
        SnapshotInfo meta;
        meta.kind = QStringLiteral("prefix");
        meta.key = storage_test::keyFor(1);

        Result<SnapshotInfo> saved = Status::error(QStringLiteral("not written"));
        // 256 KiB pieces: the size of a layer's buffer of a small engine state, well under a chunk.
        const Peak save = measure([&] {
            saved = storage_test::writeSnapshot(store, meta, kStateBytes, 1, {}, size_t(256) << 10);
        });
        QVERIFY2(saved.ok(), qPrintable(saved.status().message()));
        QCOMPARE(saved->rawSize, kStateBytes);

        QString restoreError = QStringLiteral("not read");
        const Peak restore = measure([&] {
            restoreError = storage_test::checkSnapshot(store, saved->id, meta.key, kStateBytes, 1,
                                                       size_t(1) << 20);
        });
        QCOMPARE(restoreError, QString());

        qInfo("state %lld MiB: save peak heap %.1f MiB, rss %.1f MiB; restore peak heap %.1f MiB, "
              "rss %.1f MiB",
              kStateBytes >> 20, save.heap / 1048576.0, save.rss / 1048576.0,
              restore.heap / 1048576.0, restore.rss / 1048576.0);
        // A copy of the state anywhere (a buffered payload, a whole-file read) would be 512 MiB.
        const qint64 bound = kStateBytes / 4;
        QVERIFY2(save.heap < bound, qPrintable(QString::number(save.heap)));
        QVERIFY2(restore.heap < bound, qPrintable(QString::number(restore.heap)));
        QVERIFY2(procStatus("VmHWM") > 0, "no VmHWM in /proc/self/status");
        QVERIFY2(save.rss < bound, qPrintable(QString::number(save.rss)));
        QVERIFY2(restore.rss < bound, qPrintable(QString::number(restore.rss)));
    }
};

QTEST_GUILESS_MAIN(TestStorageSnapshotMemory)
#include "tst_storage_snapshot_memory.moc"
