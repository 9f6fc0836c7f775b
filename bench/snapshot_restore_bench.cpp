// folio-bench restore: a real engine state through the snapshot store. Prefills N tokens
// of a folio-mkmodel model, streams the session's state into a snapshot (Session::save_to ->
// SnapshotWriter), restores it into a fresh session (SnapshotReader -> Session::load_from, every
// chunk verified) and compares the restore time with the prefill it replaces; then reports what
// zstd and lz4 do to the real state bytes. Not a test; results go to BENCHMARKS.md ("Storage").
//
//   folio-mkmodel --out /tmp/small --tokenizer tokenizer.json --preset small
//   folio-bench restore --model /tmp/small [--tokens 4096] [--threads 0]
#include "bench_sections.h"
#include "folio/engine.h"
#include "storage/chunk_codec.h"
#include "storage/database.h"
#include "storage/snapshot_store.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTextStream>

#include <random>
#include <vector>

using namespace folio::storage;

namespace {

[[noreturn]] void die(const QString &why)
{
    QTextStream(stderr) << "folio-bench restore: " << why << "\n";
    std::exit(1);
}

} // namespace

int run_restore_bench(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString modelDir;
    int tokens = 4096, threads = 0;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--model"))
            modelDir = args[i + 1];
        else if (args[i] == QLatin1String("--tokens"))
            tokens = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--threads"))
            threads = args[i + 1].toInt();
        else
            die(QStringLiteral("unknown option %1").arg(args[i]));
    }
    if (modelDir.isEmpty() || tokens <= 0)
        die(QStringLiteral("usage: folio-bench restore --model DIR [--tokens N] [--threads N]"));
    QTextStream out(stdout);

    folio::LoadOptions lo;
    lo.threads = threads;
    auto model = folio::Model::load(modelDir.toStdString(), lo);
    if (!model)
        die(QString::fromStdString(model.status().message()));
    const folio::ModelInfo &info = (*model)->info();
    std::mt19937 rng(1);
    std::vector<int> ids(static_cast<size_t>(tokens));
    for (int &t : ids)
        t = int(rng() % uint32_t(info.vocab_size));

    auto session = (*model)->create_session();
    QElapsedTimer t;
    t.start();
    if (auto st = session->prefill(ids, folio::LogitsMode::Last, nullptr, 512); !st)
        die(QString::fromStdString(st.message()));
    const qint64 prefillNs = t.nsecsElapsed();
    const std::string state = session->save(); // for the comparison and compression below

    QTemporaryDir dir;
    auto db = Database::open(dir.filePath(QStringLiteral("folio.db")));
    if (!db.ok())
        die(db.status().message());
    SnapshotStore store(**db);
    SnapshotInfo meta;
    meta.key.modelFingerprint = QString::fromStdString(info.fingerprint);
    meta.key.stateFormat = folio::kStateFormatVersion;
    meta.key.prefixHash = prefixHash(std::span<const int32_t>(ids.data(), ids.size()));
    meta.key.tokenCount = tokens;
    t.restart();
    auto w = store.beginWrite(meta);
    if (!w.ok())
        die(w.status().message());
    folio::FunctionSink sink([&](const void *p, std::size_t n) {
        const Status st = (*w)->write(p, n);
        return st.ok() ? folio::Status::ok() : folio::Status::error(st.message().toStdString());
    });
    if (auto st = session->save_to(sink); !st)
        die(QString::fromStdString(st.message()));
    auto saved = (*w)->commit();
    if (!saved.ok())
        die(saved.status().message());
    const qint64 writeNs = t.nsecsElapsed();

    // Restore: stream the verified chunks straight into a fresh session's state.
    t.restart();
    auto r = store.openForRestore(saved->id, meta.key);
    if (!r.ok())
        die(r.status().message());
    folio::FunctionSource source([&](void *p, std::size_t n) -> folio::Result<std::size_t> {
        Result<size_t> got = (*r)->read(p, n);
        if (!got.ok())
            return folio::Status::error(got.status().message().toStdString());
        return *got;
    });
    auto restored = (*model)->create_session();
    if (auto st = restored->load_from(source); !st)
        die(QString::fromStdString(st.message()));
    const qint64 restoreNs = t.nsecsElapsed();
    if (restored->save() != state || restored->position() != tokens)
        die(QStringLiteral("the restored state differs"));

    out << "model " << modelDir << " (" << info.n_layers << " layers, dim " << info.dim << "), "
        << tokens << " tokens, state " << state.size() << " bytes\n";
    out << "prefill          " << QString::number(double(prefillNs) / 1e6, 'f', 1) << " ms\n";
    out << "snapshot write   " << QString::number(double(writeNs) / 1e6, 'f', 1) << " ms\n";
    out << "restore          " << QString::number(double(restoreNs) / 1e6, 'f', 1)
        << " ms (read + verify + Session::load_from)\n";
    out << "restore speed-up " << QString::number(double(prefillNs) / double(restoreNs), 'f', 1)
        << "x over re-prefill\n";

    for (auto [codec, level, name] :
         {std::tuple{Codec::Zstd, 1, "zstd -1"}, std::tuple{Codec::Zstd, 3, "zstd -3"},
          std::tuple{Codec::Lz4, 0, "lz4"}}) {
        std::vector<char> packed;
        t.restart();
        Result<Codec> used = compressChunk(codec, level, state.data(), state.size(), packed);
        const qint64 ns = t.nsecsElapsed();
        if (!used.ok())
            die(used.status().message());
        const double stored = *used == Codec::None ? double(state.size()) : double(packed.size());
        out << "compression " << name << ": ratio "
            << QString::number(double(state.size()) / stored, 'f', 3) << ", "
            << QString::number(double(state.size()) / 1e6 / (double(ns) / 1e9), 'f', 0) << " MB/s"
            << (*used == Codec::None ? " (does not pay: stored raw)" : "") << "\n";
    }
    return 0;
}
