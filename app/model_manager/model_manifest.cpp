// The download manifest (see model_manifest.h).
#include "app/model_manager/model_manifest.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace folio::app {

QString ModelManifest::read(const QString &dir)
{
    QFile f(QDir(dir).filePath(fileName()));
    if (!f.exists())
        return QStringLiteral("absent");
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("%1: %2").arg(f.fileName(), f.errorString());
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return QStringLiteral("%1: not a JSON object (%2)").arg(f.fileName(), err.errorString());
    const QJsonObject root = doc.object();
    const int format = root.value(QLatin1String("format")).toInt();
    if (format != kFormat)
        return QStringLiteral("%1: format %2, this Folio reads format %3")
            .arg(f.fileName())
            .arg(format)
            .arg(kFormat);
    repo = root.value(QLatin1String("repo")).toString();
    revision = root.value(QLatin1String("revision")).toString();
    hub = root.value(QLatin1String("hub")).toString();
    files.clear();
    const QJsonArray arr = root.value(QLatin1String("files")).toArray();
    for (const QJsonValue &v : arr) {
        const QJsonObject o = v.toObject();
        ManifestFile m;
        m.file.path = o.value(QLatin1String("path")).toString();
        m.file.size = qint64(o.value(QLatin1String("size")).toDouble(-1));
        m.file.sha256 = o.value(QLatin1String("sha256")).toString();
        m.file.gitOid = o.value(QLatin1String("git_oid")).toString();
        m.complete = o.value(QLatin1String("complete")).toBool();
        if (!isSafeRelativePath(m.file.path) || m.file.size < 0)
            return QStringLiteral("%1: bad entry '%2'").arg(f.fileName(), m.file.path);
        files.append(m);
    }
    return {};
}

QString ModelManifest::write(const QString &dir) const
{
    QJsonArray arr;
    for (const ManifestFile &m : files) {
        QJsonObject o{{"path", m.file.path}, {"size", double(m.file.size)}};
        if (!m.file.sha256.isEmpty())
            o.insert(QLatin1String("sha256"), m.file.sha256);
        if (!m.file.gitOid.isEmpty())
            o.insert(QLatin1String("git_oid"), m.file.gitOid);
        o.insert(QLatin1String("complete"), m.complete);
        arr.append(o);
    }
    const QJsonObject root{{"format", kFormat},
                           {"repo", repo},
                           {"revision", revision},
                           {"hub", hub},
                           {"files", arr}};
    QSaveFile f(QDir(dir).filePath(fileName()));
    if (!f.open(QIODevice::WriteOnly))
        return QStringLiteral("%1: %2").arg(f.fileName(), f.errorString());
    f.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!f.commit())
        return QStringLiteral("%1: %2").arg(f.fileName(), f.errorString());
    return {};
}

ManifestFile *ModelManifest::find(const QString &path)
{
    for (ManifestFile &m : files) {
        if (m.file.path == path)
            return &m;
    }
    return nullptr;
}

qint64 ModelManifest::totalBytes() const
{
    qint64 total = 0;
    for (const ManifestFile &m : files)
        total += m.file.size;
    return total;
}

} // namespace folio::app
