// The download manifest: `folio-manifest.json` in a downloaded model directory records where the
// model came from and, for every file, its size and content hash as the hub published them. The
// downloader writes it (after each verified file, so an interrupted download knows what is done);
// `folio-cli model verify` and `model list` read it to check sizes and hashes later.
//
//   {"format":1,"repo":"deepseek-ai/DeepSeek-V4-Flash","revision":"main","hub":"...",
//    "files":[{"path":"config.json","size":1234,"git_oid":"..."},
//             {"path":"model-00001-of-00046.safetensors","size":N,"sha256":"...","complete":true}]}
#pragma once

#include "app/model_manager/hub_listing.h"

#include <QList>
#include <QString>

namespace folio::app {

struct ManifestFile
{
    HubFile file;
    bool complete = false; // downloaded and its hash checked
};

struct ModelManifest
{
    static constexpr int kFormat = 1;
    static QString fileName() { return QStringLiteral("folio-manifest.json"); }

    QString repo, revision, hub;
    QList<ManifestFile> files;

    // Reads DIR/folio-manifest.json. Returns an empty string on success, "absent" when the
    // directory has no manifest (a model copied by hand), else what is wrong with it.
    QString read(const QString &dir);
    // Writes DIR/folio-manifest.json atomically (QSaveFile). Returns an empty string on success.
    QString write(const QString &dir) const;

    ManifestFile *find(const QString &path);
    qint64 totalBytes() const;
};

} // namespace folio::app
