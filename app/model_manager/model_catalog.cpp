// The models directory listing (see model_catalog.h).
#include "app/model_manager/model_catalog.h"

#include "app/app_info.h"
#include "app/model_manager/model_manifest.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

namespace folio::app {

QString modelsDirectory()
{
    const QString env = qEnvironmentVariable("FOLIO_MODELS_DIR");
    if (!env.isEmpty())
        return env;
    return QDir(dataDirectory()).filePath(QStringLiteral("models"));
}

QString defaultModelDirectory(const QString &repoId)
{
    return QDir(modelsDirectory()).filePath(repoId.section(QLatin1Char('/'), -1));
}

QList<ModelEntry> listModels(const QString &dir)
{
    QList<ModelEntry> out;
    const QDir root(dir);
    const QFileInfoList subdirs = root.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo &sub : subdirs) {
        const QDir d(sub.absoluteFilePath());
        ModelEntry e;
        e.name = sub.fileName();
        e.path = sub.absoluteFilePath();
        e.hasConfig = QFileInfo(d.filePath(QStringLiteral("config.json"))).isFile();
        const bool hasManifest = QFileInfo(d.filePath(ModelManifest::fileName())).isFile();
        if (!e.hasConfig && !hasManifest)
            continue; // not a model
        QDirIterator it(e.path, QDir::Files, QDirIterator::Subdirectories);
        bool partial = false;
        while (it.hasNext()) {
            const QFileInfo f(it.next());
            e.bytesOnDisk += f.size();
            partial |= f.fileName().endsWith(QLatin1String(".part"));
        }
        ModelManifest m;
        const QString err = m.read(e.path);
        if (err == QLatin1String("absent")) {
            e.state = QStringLiteral("unverified (no manifest)");
        } else if (!err.isEmpty()) {
            e.state = QStringLiteral("bad manifest: %1").arg(err);
        } else {
            e.repo = m.repo;
            e.revision = m.revision;
            e.bytesListed = m.totalBytes();
            e.filesListed = int(m.files.size());
            for (const ManifestFile &f : m.files) {
                if (f.complete && QFileInfo(d.filePath(f.file.path)).size() == f.file.size)
                    ++e.filesComplete;
            }
            e.state = (e.filesComplete == e.filesListed && !partial)
                          ? QStringLiteral("complete")
                          : QStringLiteral("incomplete download");
        }
        out.append(e);
    }
    return out;
}

} // namespace folio::app
