// inspectModelDirectory(): the cheap part of model verification plus the handful of config.json
// fields a person wants to see. Validation is not repeated here: config.json goes through the
// engine's load_model_config() and the shards through the model manager's checkShards(), the same
// code `folio-cli model verify` runs.
#include "app/model_directory.h"

#include "app/model_manager/model_verifier.h"

#include "config.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace folio::app {

ModelDirectoryInfo inspectModelDirectory(const QString &dirPath)
{
    ModelDirectoryInfo info;
    auto fail = [&info](const QString &why) {
        info.ok = false;
        info.error = why;
        return info;
    };
    if (dirPath.isEmpty())
        return fail(QCoreApplication::translate("folio::app", "No model directory chosen."));
    const QDir dir(dirPath);
    if (!dir.exists())
        return fail(QCoreApplication::translate("folio::app", "%1 does not exist.").arg(dirPath));

    // The engine's own reader: its message names the file and the bad field ("config.json:
    // hidden_size: missing"), and a config it accepts here is one it accepts when loading.
    const auto cfg = load_model_config(dir.filePath(QStringLiteral("config.json")).toStdString());
    if (!cfg)
        return fail(QString::fromStdString(cfg.status().message()));
    info.layers = cfg->n_layers;
    info.hiddenSize = cfg->dim;
    info.routedExperts = cfg->n_routed_experts;
    info.contextTokens = qint64(cfg->max_position_embeddings);
    info.weightFormat = cfg->weight_format == WeightFormat::FP8 ? QStringLiteral("FP8")
                                                                : QStringLiteral("BF16");
    switch (cfg->expert_format) {
    case ExpertFormat::FP4:
        info.expertFormat = QStringLiteral("FP4");
        break;
    case ExpertFormat::FP8:
        info.expertFormat = QStringLiteral("FP8");
        break;
    case ExpertFormat::BF16:
        info.expertFormat = QStringLiteral("BF16");
        break;
    }

    const VerifyCheck shardsCheck = checkShards(dirPath);
    if (shardsCheck.state == VerifyCheck::Failed)
        return fail(QStringLiteral("%1: %2").arg(dirPath, shardsCheck.detail));
    // For display only: every .safetensors file is mapped, so their sizes are the weights' memory.
    const QFileInfoList shards = dir.entryInfoList({QStringLiteral("*.safetensors")}, QDir::Files);
    info.shards = int(shards.size());
    for (const QFileInfo &shard : shards)
        info.weightBytes += shard.size();
    // Presence only: parsing the tokenizer takes too long to run on every keystroke; verifyModel()
    // and the engine's load parse it.
    if (!QFileInfo::exists(dir.filePath(QStringLiteral("tokenizer.json"))))
        return fail(
            QCoreApplication::translate("folio::app", "%1 has no tokenizer.json.").arg(dirPath));
    info.looksLikeDemo = QFileInfo::exists(dir.filePath(QStringLiteral("FOLIO_DEMO_MODEL")))
                         || dir.dirName() == QLatin1String("demo-model");
    info.ok = true;
    return info;
}

} // namespace folio::app
