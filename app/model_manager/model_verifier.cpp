// Model directory verification (see model_verifier.h).
#include "app/model_manager/model_verifier.h"

#include "app/model_manager/content_hash.h"
#include "app/model_manager/model_manifest.h"

#include "config.h"
#include "folio/tokenizer.h"
#include "safetensors.h"
#include "tensor_directory.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace folio::app {

bool ModelVerification::ok() const
{
    for (const VerifyCheck &c : checks) {
        if (c.state == VerifyCheck::Failed)
            return false;
    }
    return !checks.isEmpty();
}

const VerifyCheck *ModelVerification::check(const QString &name) const
{
    for (const VerifyCheck &c : checks) {
        if (c.name == name)
            return &c;
    }
    return nullptr;
}

namespace {

VerifyCheck checkFiles(const QString &dir, const VerifyOptions &opts,
                       const std::function<void(const QString &)> &progress)
{
    VerifyCheck c{QStringLiteral("files"), VerifyCheck::Ok, {}};
    QStringList problems;
    QDirIterator parts(dir, {QStringLiteral("*.part")}, QDir::Files, QDirIterator::Subdirectories);
    while (parts.hasNext())
        problems.append(QStringLiteral("%1: unfinished download (rerun `folio-cli model download`)")
                            .arg(QDir(dir).relativeFilePath(parts.next())));

    ModelManifest manifest;
    const QString err = manifest.read(dir);
    if (err == QLatin1String("absent")) {
        if (!problems.isEmpty()) {
            c.state = VerifyCheck::Failed;
            c.detail = problems.join(QStringLiteral("; "));
        } else {
            c.state = VerifyCheck::Skipped;
            c.detail = QStringLiteral("no %1 (not downloaded by Folio): file sizes and hashes "
                                      "unknown")
                           .arg(ModelManifest::fileName());
        }
        return c;
    }
    if (!err.isEmpty())
        return {c.name, VerifyCheck::Failed, err};

    // Sizes first (instant), then hashes on `threads` workers: hashing 160 GB is disk-bound and
    // one stream rarely saturates an NVMe drive.
    std::vector<const ManifestFile *> toHash;
    int hashable = 0;
    for (const ManifestFile &m : manifest.files) {
        const QFileInfo info(QDir(dir).filePath(m.file.path));
        if (!info.isFile())
            problems.append(QStringLiteral("%1: missing").arg(m.file.path));
        else if (info.size() != m.file.size)
            problems.append(QStringLiteral("%1: size %2, expected %3")
                                .arg(m.file.path)
                                .arg(info.size())
                                .arg(m.file.size));
        else if (!m.file.sha256.isEmpty() || !m.file.gitOid.isEmpty()) {
            ++hashable;
            if (opts.hashes)
                toHash.push_back(&m);
        }
    }
    if (!toHash.empty()) {
        if (progress)
            progress(QStringLiteral("Hashing %1 files").arg(toHash.size()));
        std::atomic<size_t> next{0};
        std::mutex mutex;
        auto worker = [&] {
            for (size_t i = next++; i < toHash.size(); i = next++) {
                const ManifestFile *m = toHash[i];
                const QString bad = checkFileContent(QDir(dir).filePath(m->file.path), m->file);
                std::lock_guard lock(mutex);
                if (!bad.isEmpty())
                    problems.append(QStringLiteral("%1: %2").arg(m->file.path, bad));
                else if (progress)
                    progress(QStringLiteral("  %1: ok").arg(m->file.path));
            }
        };
        std::vector<std::thread> pool;
        const size_t n = std::min<size_t>(std::max(1, opts.threads), toHash.size());
        for (size_t i = 1; i < n; ++i)
            pool.emplace_back(worker);
        worker();
        for (auto &t : pool)
            t.join();
    }
    if (!problems.isEmpty()) {
        problems.sort();
        c.state = VerifyCheck::Failed;
        c.detail = problems.join(QStringLiteral("; "));
        return c;
    }
    c.detail = QStringLiteral("%1 files, %2 bytes as listed by %3 at %4; %5")
                   .arg(manifest.files.size())
                   .arg(manifest.totalBytes())
                   .arg(manifest.repo, manifest.revision,
                        opts.hashes ? QStringLiteral("%1 hashes match").arg(hashable)
                                    : QStringLiteral("hashes not checked"));
    return c;
}

} // namespace

VerifyCheck checkShards(const QString &dir)
{
    VerifyCheck c{QStringLiteral("shards"), VerifyCheck::Ok, {}};
    const QDir d(dir);
    QFile index(d.filePath(QStringLiteral("model.safetensors.index.json")));
    if (!index.exists()) {
        if (QFileInfo(d.filePath(QStringLiteral("model.safetensors"))).isFile()) {
            c.detail = QStringLiteral("model.safetensors");
            return c;
        }
        return {c.name, VerifyCheck::Failed,
                QStringLiteral("neither model.safetensors.index.json nor model.safetensors")};
    }
    if (!index.open(QIODevice::ReadOnly))
        return {c.name, VerifyCheck::Failed, index.errorString()};
    const QJsonObject map = QJsonDocument::fromJson(index.readAll())
                                .object()
                                .value(QLatin1String("weight_map"))
                                .toObject();
    if (map.isEmpty())
        return {c.name, VerifyCheck::Failed,
                QStringLiteral("model.safetensors.index.json has no weight_map")};
    std::set<QString> shards;
    for (auto it = map.begin(); it != map.end(); ++it)
        shards.insert(it.value().toString());
    QStringList missing;
    for (const QString &s : shards) {
        if (!isSafeRelativePath(s) || !QFileInfo(d.filePath(s)).isFile())
            missing.append(s);
    }
    if (!missing.isEmpty())
        return {c.name, VerifyCheck::Failed,
                QStringLiteral("%1 of %2 shards missing: %3")
                    .arg(missing.size())
                    .arg(shards.size())
                    .arg(missing.join(QStringLiteral(", ")))};
    c.detail = QStringLiteral("%1 shards named by the index, all present").arg(shards.size());
    return c;
}

ModelVerification verifyModel(const QString &dir, const VerifyOptions &opts,
                              const std::function<void(const QString &)> &progress)
{
    ModelVerification v;
    v.dir = dir;
    if (!QFileInfo(dir).isDir()) {
        v.checks.append({QStringLiteral("directory"), VerifyCheck::Failed,
                         QStringLiteral("%1 is not a directory").arg(dir)});
        return v;
    }
    const QDir d(dir);
    v.checks.append(checkFiles(dir, opts, progress));
    v.checks.append(checkShards(dir));

    auto cfg = load_model_config(d.filePath(QStringLiteral("config.json")).toStdString());
    if (cfg)
        v.checks.append({QStringLiteral("config"), VerifyCheck::Ok,
                         QStringLiteral("%1 layers, hidden %2, %3 routed experts (%4 active)")
                             .arg(cfg->n_layers)
                             .arg(cfg->dim)
                             .arg(cfg->n_routed_experts)
                             .arg(cfg->n_activated_experts)});
    else
        v.checks.append({QStringLiteral("config"), VerifyCheck::Failed,
                         QString::fromStdString(cfg.status().message())});

    const QString tokPath = d.filePath(QStringLiteral("tokenizer.json"));
    if (!QFileInfo(tokPath).isFile()) {
        v.checks.append({QStringLiteral("tokenizer"), VerifyCheck::Failed,
                         QStringLiteral("no tokenizer.json")});
    } else {
        auto tok = Tokenizer::load(tokPath.toStdString());
        if (tok)
            v.checks.append({QStringLiteral("tokenizer"), VerifyCheck::Ok,
                             QStringLiteral("%1 tokens").arg((*tok)->vocab_size())});
        else
            v.checks.append({QStringLiteral("tokenizer"), VerifyCheck::Failed,
                             QString::fromStdString(tok.status().message())});
    }

    if (!cfg || v.check(QStringLiteral("shards"))->state == VerifyCheck::Failed) {
        v.checks.append({QStringLiteral("tensors"), VerifyCheck::Skipped,
                         QStringLiteral("needs a valid config and every shard")});
        return v;
    }
    if (progress)
        progress(QStringLiteral("Reading the tensor directory"));
    auto ckpt = Checkpoint::open(dir.toStdString());
    if (!ckpt) {
        v.checks.append({QStringLiteral("tensors"), VerifyCheck::Failed,
                         QString::fromStdString(ckpt.status().message())});
        return v;
    }
    if (Status st = validate_checkpoint(**ckpt, *cfg); !st) {
        v.checks.append(
            {QStringLiteral("tensors"), VerifyCheck::Failed, QString::fromStdString(st.message())});
        return v;
    }
    for (const TensorView &t : (*ckpt)->tensors()) {
        v.weights.total += t.nbytes;
        if (t.name.find(".ffn.experts.") != std::string::npos)
            v.weights.routedExperts += t.nbytes;
        if (t.name.rfind("mtp.", 0) == 0)
            v.weights.mtp += t.nbytes;
    }
    v.checks.append({QStringLiteral("tensors"), VerifyCheck::Ok,
                     QStringLiteral("%1 tensors, %2 bytes, all as the config implies")
                         .arg((*ckpt)->tensors().size())
                         .arg(v.weights.total)});
    const ParameterCounts params = count_parameters(*cfg);
    v.paramsMain = params.main;
    v.paramsMtp = params.mtp;
    v.paramsActive = params.active_per_token;
    v.fingerprint = QString::fromStdString((*ckpt)->fingerprint());
    const qint64 context = opts.contextTokens > 0 ? opts.contextTokens
                                                  : qint64(cfg->max_position_embeddings);
    v.memory = estimateMemory(v.weights, kv_bytes_per_token(*cfg), context);
    v.haveSizes = true;
    return v;
}

} // namespace folio::app
