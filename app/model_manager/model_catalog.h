// The models directory: where `folio-cli model download` puts models by default and what
// `folio-cli model list` shows. A model is a sub-directory holding a config.json or a
// folio-manifest.json; its state comes from the manifest and the files, never from the network.
#pragma once

#include <QList>
#include <QString>

namespace folio::app {

// FOLIO_MODELS_DIR when set, else <data directory>/models (app_info.h). Not created here.
QString modelsDirectory();
// The default download directory of `repoId` ("owner/name"): <models directory>/<name>.
QString defaultModelDirectory(const QString &repoId);

struct ModelEntry
{
    QString name;     // the directory's name
    QString path;     // absolute
    QString repo;     // from the manifest; empty for a model copied by hand
    QString revision; // from the manifest
    qint64 bytesOnDisk = 0;
    qint64 bytesListed = 0; // the manifest's total; 0 without a manifest
    int filesComplete = 0, filesListed = 0;
    bool hasConfig = false;
    QString state; // "complete", "incomplete download", "unverified (no manifest)", "bad manifest: ..."
};

// The models under `dir`, sorted by name.
QList<ModelEntry> listModels(const QString &dir);

} // namespace folio::app
