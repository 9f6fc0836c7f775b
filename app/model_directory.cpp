// inspectModelDirectory(): file checks plus the handful of config.json fields a person wants to see.
#include "app/model_directory.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

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

    QFile config(dir.filePath(QStringLiteral("config.json")));
    if (!config.open(QIODevice::ReadOnly))
        return fail(QCoreApplication::translate("folio::app", "%1 has no readable config.json.")
                        .arg(dirPath));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(config.readAll(), &parseError);
    if (!doc.isObject())
        return fail(QCoreApplication::translate("folio::app", "config.json is not valid JSON: %1")
                        .arg(parseError.errorString()));
    const QJsonObject o = doc.object();
    info.layers = o.value(QStringLiteral("num_hidden_layers")).toInt();
    info.hiddenSize = o.value(QStringLiteral("hidden_size")).toInt();
    info.routedExperts = o.value(QStringLiteral("n_routed_experts")).toInt();
    info.contextTokens = o.value(QStringLiteral("max_position_embeddings")).toInteger();
    if (info.layers <= 0 || info.hiddenSize <= 0)
        return fail(QCoreApplication::translate(
            "folio::app",
            "config.json lacks num_hidden_layers or hidden_size: not a model config."));
    // Same rule as the engine: a quantization_config means FP8 weights; expert_dtype names the
    // routed experts' format and defaults to the weights' format.
    info.weightFormat = o.contains(QStringLiteral("quantization_config")) ? QStringLiteral("FP8")
                                                                          : QStringLiteral("BF16");
    const QString expert = o.value(QStringLiteral("expert_dtype")).toString().toUpper();
    info.expertFormat = expert.isEmpty() ? info.weightFormat : expert;

    const QFileInfoList shards = dir.entryInfoList({QStringLiteral("*.safetensors")}, QDir::Files);
    info.shards = int(shards.size());
    for (const QFileInfo &shard : shards)
        info.weightBytes += shard.size();
    if (info.shards == 0)
        return fail(
            QCoreApplication::translate("folio::app", "%1 has no .safetensors weight files.")
                .arg(dirPath));
    if (!QFileInfo::exists(dir.filePath(QStringLiteral("tokenizer.json"))))
        return fail(
            QCoreApplication::translate("folio::app", "%1 has no tokenizer.json.").arg(dirPath));
    info.looksLikeDemo = QFileInfo::exists(dir.filePath(QStringLiteral("FOLIO_DEMO_MODEL")))
                         || dir.dirName() == QLatin1String("demo-model");
    info.ok = true;
    return info;
}

} // namespace folio::app
