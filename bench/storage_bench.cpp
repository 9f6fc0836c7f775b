// folio-bench storage: KV-snapshot throughput against the disk's raw sequential speed, and what
// compression buys on KV-state-like bytes. Not a test; results go to BENCHMARKS.md ("Storage").
//
//   folio-bench storage [--dir DIR] [--gib 3.5] [--chunk-mib 32] [--codec none|zstd|lz4]
//                       [--piece-mib 64] [--sample-mib 256] [--repeat 3] [--skip-compression]
//
// Throughput: the same synthetic state (--gib) is written and read back (1) as a plain file,
// sequentially, fsync before the clock stops, and (2) as a snapshot through SnapshotWriter /
// SnapshotReader (chunking, XXH3 per chunk, fdatasync, rename, the row commit; reading verifies
// every chunk and the payload checksum). Before each read the file's pages are dropped from the
// page cache (posix_fadvise DONTNEED) so both reads come from the device.
//
// Compression: zstd (levels 1, 3) and lz4 on chunks of three synthetic kinds of bytes — uniform
// random, FP8 E4M3 codes of Gaussian values (the compact KV layout's main content), and BF16 of
// Gaussian values (its rope part) — reporting ratio and single-thread MB/s.
#include "bench_sections.h"
#include "storage/chunk_codec.h"
#include "storage/database.h"
#include "storage/snapshot_store.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <unistd.h>
#include <vector>

using namespace folio::storage;

namespace {

QTextStream out(stdout);

struct Options
{
    QString dir;
    double gib = 3.5;
    qint64 chunk = qint64(32) << 20;
    Codec codec = Codec::None;
    qint64 piece = qint64(64) << 20;
    qint64 sample = qint64(256) << 20;
    bool compression = true;
    int repeat = 3;
};

[[noreturn]] void die(const QString &why)
{
    QTextStream(stderr) << "folio-bench storage: " << why << "\n";
    std::exit(1);
}

// The state: one random piece, with its first 8 bytes changed per piece so no two are equal.
void stamp(std::vector<char> &piece, qint64 index)
{
    std::memcpy(piece.data(), &index, sizeof index);
}

void dropCache(const QString &path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    if (fd >= 0) {
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

double gbps(qint64 bytes, qint64 ns)
{
    return double(bytes) / double(ns); // bytes per ns = GB/s
}

void rawWrite(const QString &path, std::vector<char> &piece, qint64 total, qint64 *ns)
{
    QElapsedTimer t;
    t.start();
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die(QStringLiteral("cannot create %1").arg(path));
    for (qint64 off = 0, i = 0; off < total; off += qint64(piece.size()), ++i) {
        stamp(piece, i);
        const size_t n = size_t(std::min<qint64>(qint64(piece.size()), total - off));
        for (size_t done = 0; done < n;) {
            const ssize_t w = ::write(fd, piece.data() + done, n - done);
            if (w <= 0)
                die(QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno))));
            done += size_t(w);
        }
    }
    if (::fsync(fd) != 0)
        die(QStringLiteral("fsync failed"));
    ::close(fd);
    *ns = t.nsecsElapsed();
}

void rawRead(const QString &path, std::vector<char> &piece, qint64 total, qint64 *ns)
{
    QElapsedTimer t;
    t.start();
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    if (fd < 0)
        die(QStringLiteral("cannot open %1").arg(path));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    qint64 got = 0;
    for (;;) {
        const ssize_t r = ::read(fd, piece.data(), piece.size());
        if (r < 0)
            die(QStringLiteral("read failed"));
        if (r == 0)
            break;
        got += r;
    }
    ::close(fd);
    if (got != total)
        die(QStringLiteral("raw read %1 bytes, expected %2").arg(got).arg(total));
    *ns = t.nsecsElapsed();
}

// FP8 E4M3 code of x (round to nearest, saturating at 448; subnormals below 2^-6).
uint8_t toE4m3(float x)
{
    const uint8_t sign = std::signbit(x) ? 0x80 : 0;
    float a = std::fabs(x);
    if (a >= 448.f)
        return sign | 0x7e;
    if (a < std::ldexp(1.f, -6)) {
        const int m = int(std::lround(a / std::ldexp(1.f, -9)));
        return sign | uint8_t(std::min(m, 7));
    }
    int e = 0;
    const float f = std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
    int m = int(std::lround((f * 2.f - 1.f) * 8.f));
    int exp = e - 1 + 7;
    if (m == 8) {
        m = 0;
        ++exp;
    }
    if (exp > 15)
        return sign | 0x7e;
    return sign | uint8_t(exp << 3) | uint8_t(m);
}

void compressionTable(qint64 sampleBytes, qint64 chunk)
{
    std::mt19937_64 rng(42);
    std::normal_distribution<float> normal(0.f, 1.f);
    const size_t n = size_t(sampleBytes);
    struct Kind
    {
        const char *name;
        std::vector<char> bytes;
    };
    std::vector<Kind> kinds;
    kinds.push_back({"uniform random", std::vector<char>(n)});
    kinds.push_back({"FP8 E4M3 of N(0,1)", std::vector<char>(n)});
    kinds.push_back({"BF16 of N(0,1)", std::vector<char>(n)});
    for (size_t i = 0; i < n; i += 8) {
        const uint64_t r = rng();
        std::memcpy(kinds[0].bytes.data() + i, &r, std::min<size_t>(8, n - i));
    }
    for (size_t i = 0; i < n; ++i)
        kinds[1].bytes[i] = char(toE4m3(normal(rng)));
    for (size_t i = 0; i + 1 < n; i += 2) {
        const float f = normal(rng);
        uint32_t u;
        std::memcpy(&u, &f, 4);
        const uint16_t bf = uint16_t((u + 0x7fff + ((u >> 16) & 1)) >> 16);
        std::memcpy(kinds[2].bytes.data() + i, &bf, 2);
    }
    struct Method
    {
        const char *name;
        Codec codec;
        int level;
    };
    const Method methods[] = {{"zstd -1", Codec::Zstd, 1},
                              {"zstd -3", Codec::Zstd, 3},
                              {"lz4", Codec::Lz4, 0}};
    out << "\nCompression of " << (sampleBytes >> 20) << " MiB samples in " << (chunk >> 20)
        << " MiB chunks (single thread; ratio = raw/compressed):\n";
    out << QStringLiteral("%1 %2 %3 %4 %5\n")
               .arg(QStringLiteral("data"), -22)
               .arg(QStringLiteral("codec"), -8)
               .arg(QStringLiteral("ratio"), 7)
               .arg(QStringLiteral("comp MB/s"), 10)
               .arg(QStringLiteral("decomp MB/s"), 12);
    std::vector<char> scratch, back(static_cast<size_t>(chunk));
    for (const Kind &k : kinds) {
        for (const Method &m : methods) {
            qint64 stored = 0, compNs = 0, decompNs = 0;
            for (size_t off = 0; off < n; off += size_t(chunk)) {
                const size_t len = std::min(size_t(chunk), n - off);
                QElapsedTimer t;
                t.start();
                // A chunk that does not shrink by 1/32 is stored raw (as the writer does).
                Result<Codec> used = compressChunk(m.codec, m.level, k.bytes.data() + off, len,
                                                   scratch);
                compNs += t.nsecsElapsed();
                if (!used.ok())
                    die(used.status().message());
                if (*used == Codec::None) {
                    stored += qint64(len);
                    continue;
                }
                stored += qint64(scratch.size());
                t.restart();
                const Status s = decompressChunk(*used, scratch.data(), scratch.size(), back.data(),
                                                 len);
                decompNs += t.nsecsElapsed();
                if (!s.ok() || std::memcmp(back.data(), k.bytes.data() + off, len) != 0)
                    die(QStringLiteral("round trip failed"));
            }
            out << QStringLiteral("%1 %2 %3 %4 %5\n")
                       .arg(QString::fromLatin1(k.name), -22)
                       .arg(QString::fromLatin1(m.name), -8)
                       .arg(double(sampleBytes) / double(stored), 7, 'f', 3)
                       .arg(double(sampleBytes) / 1e6 / (double(compNs) / 1e9), 10, 'f', 0)
                       .arg(decompNs ? QString::number(double(sampleBytes) / 1e6
                                                           / (double(decompNs) / 1e9),
                                                       'f', 0)
                                     : QStringLiteral("(stored raw)"),
                            12);
        }
    }
}

} // namespace

int run_storage_bench(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    Options o;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString a = args[i];
        auto next = [&]() {
            if (i + 1 >= args.size())
                die(QStringLiteral("%1 needs a value").arg(a));
            return args[++i];
        };
        if (a == QLatin1String("--dir"))
            o.dir = next();
        else if (a == QLatin1String("--gib"))
            o.gib = next().toDouble();
        else if (a == QLatin1String("--chunk-mib"))
            o.chunk = next().toLongLong() << 20;
        else if (a == QLatin1String("--piece-mib"))
            o.piece = next().toLongLong() << 20;
        else if (a == QLatin1String("--sample-mib"))
            o.sample = next().toLongLong() << 20;
        else if (a == QLatin1String("--codec")) {
            if (!parseCodec(next(), &o.codec))
                die(QStringLiteral("unknown codec"));
        } else if (a == QLatin1String("--repeat"))
            o.repeat = next().toInt();
        else if (a == QLatin1String("--skip-compression"))
            o.compression = false;
        else {
            QTextStream(stderr)
                << "usage: folio-bench storage [--dir DIR] [--gib 3.5] [--chunk-mib 32] "
                   "[--codec none|zstd|lz4] [--piece-mib 64] [--sample-mib 256] "
                   "[--repeat 3] [--skip-compression]\n";
            return a == QLatin1String("--help") ? 0 : 2;
        }
    }
    if (o.gib <= 0 || o.piece <= 0 || o.chunk <= 0 || o.repeat <= 0)
        die(QStringLiteral("sizes must be positive"));
    QTemporaryDir tmp(o.dir.isEmpty()
                          ? QDir::tempPath() + QStringLiteral("/folio_storage_bench-XXXXXX")
                          : o.dir + QStringLiteral("/folio_storage_bench-XXXXXX"));
    if (!tmp.isValid())
        die(QStringLiteral("cannot create a directory for the benchmark"));
    const qint64 total = qint64(o.gib * double(qint64(1) << 30));

    std::vector<char> piece(size_t(o.piece));
    std::mt19937_64 rng(7);
    for (size_t i = 0; i + 8 <= piece.size(); i += 8) {
        const uint64_t r = rng();
        std::memcpy(piece.data() + i, &r, 8);
    }

    out << "State: " << QString::number(double(total) / double(qint64(1) << 30), 'f', 2)
        << " GiB synthetic, written in " << (o.piece >> 20) << " MiB pieces; snapshot chunks "
        << (o.chunk >> 20) << " MiB, codec " << codecName(o.codec) << "; directory " << tmp.path()
        << "\n";
    out.flush();

    const QString rawPath = tmp.filePath(QStringLiteral("raw.bin"));
    auto db = Database::open(tmp.filePath(QStringLiteral("folio.db")));
    if (!db.ok())
        die(db.status().message());
    SnapshotStore store(**db);
    store.setEvictionPolicy({0, 0});
    SnapshotInfo meta;
    meta.key = {QStringLiteral("bench-model"), 1,
                QStringLiteral("0123456789abcdef0123456789abcdef"), 1 << 20};
    SnapshotWriteOptions wo;
    wo.chunkSize = o.chunk;
    wo.codec = o.codec;

    auto runRaw = [&](qint64 *w, qint64 *r) {
        rawWrite(rawPath, piece, total, w);
        dropCache(rawPath);
        rawRead(rawPath, piece, total, r);
        QFile::remove(rawPath);
    };
    qint64 stored = 0;
    int chunks = 0;
    auto runSnapshot = [&](qint64 *wNs, qint64 *rNs) {
        QElapsedTimer t;
        t.start();
        auto w = store.beginWrite(meta, wo);
        if (!w.ok())
            die(w.status().message());
        for (qint64 off = 0, i = 0; off < total; off += qint64(piece.size()), ++i) {
            stamp(piece, i);
            const size_t n = size_t(std::min<qint64>(qint64(piece.size()), total - off));
            if (Status s = (*w)->write(piece.data(), n); !s.ok())
                die(s.message());
        }
        Result<SnapshotInfo> info = (*w)->commit();
        if (!info.ok())
            die(info.status().message());
        *wNs = t.nsecsElapsed();
        stored = info->storedSize;
        chunks = info->chunkCount;
        dropCache(QDir((*db)->payloadDirectory()).filePath(info->fileName));
        t.restart();
        auto r = store.openForRestore(info->id, meta.key);
        if (!r.ok())
            die(r.status().message());
        qint64 got = 0;
        for (;;) {
            Result<size_t> n = (*r)->read(piece.data(), piece.size());
            if (!n.ok())
                die(n.status().message());
            if (*n == 0)
                break;
            got += qint64(*n);
        }
        *rNs = t.nsecsElapsed();
        if (got != total)
            die(QStringLiteral("snapshot read %1 bytes, expected %2").arg(got).arg(total));
        r->reset();
        if (Status s = store.remove(info->id); !s.ok())
            die(s.message());
    };

    // Alternate the order (raw first, then snapshot first, ...) so drift in a shared disk's speed
    // does not favour one side; report every run and the median of the per-run ratios.
    std::vector<double> wRatio, rRatio;
    out << QStringLiteral("\n%1 %2 %3 %4 %5 %6 %7\n")
               .arg(QStringLiteral("run"), -4)
               .arg(QStringLiteral("raw W GB/s"), 11)
               .arg(QStringLiteral("snap W GB/s"), 12)
               .arg(QStringLiteral("W ratio"), 8)
               .arg(QStringLiteral("raw R GB/s"), 11)
               .arg(QStringLiteral("snap R GB/s"), 12)
               .arg(QStringLiteral("R ratio"), 8);
    for (int rep = 0; rep < o.repeat; ++rep) {
        qint64 rawW = 0, rawR = 0, snapW = 0, snapR = 0;
        if (rep % 2 == 0) {
            runRaw(&rawW, &rawR);
            runSnapshot(&snapW, &snapR);
        } else {
            runSnapshot(&snapW, &snapR);
            runRaw(&rawW, &rawR);
        }
        wRatio.push_back(double(rawW) / double(snapW));
        rRatio.push_back(double(rawR) / double(snapR));
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                   .arg(rep + 1, -4)
                   .arg(gbps(total, rawW), 11, 'f', 3)
                   .arg(gbps(total, snapW), 12, 'f', 3)
                   .arg(wRatio.back(), 8, 'f', 2)
                   .arg(gbps(total, rawR), 11, 'f', 3)
                   .arg(gbps(total, snapR), 12, 'f', 3)
                   .arg(rRatio.back(), 8, 'f', 2);
        out.flush();
    }
    std::sort(wRatio.begin(), wRatio.end());
    std::sort(rRatio.begin(), rRatio.end());
    out << "median snapshot/raw: write " << QString::number(wRatio[wRatio.size() / 2], 'f', 2)
        << "x, read " << QString::number(rRatio[rRatio.size() / 2], 'f', 2) << "x; stored "
        << stored << " bytes in " << chunks << " chunks\n";
    out.flush();
    if (o.compression)
        compressionTable(o.sample, o.chunk);
    return 0;
}
