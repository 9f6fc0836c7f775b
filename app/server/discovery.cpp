// The server discovery file (see discovery.h).
#include "app/server/discovery.h"

#include "app/app_info.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <csignal>

namespace folio::server {

namespace {

bool processAlive(qint64 pid)
{
    // kill(pid, 0) checks existence without sending anything; EPERM means it exists (another
    // user's process that reused the pid — the URL probe by the caller settles that case).
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

QString canonical(const QString &dir)
{
    const QString c = QFileInfo(dir).canonicalFilePath();
    return c.isEmpty() ? QDir::cleanPath(QFileInfo(dir).absoluteFilePath()) : c;
}

} // namespace

QString discoveryFilePath()
{
    return QDir(app::dataDirectory()).filePath(QStringLiteral("server.json"));
}

bool writeDiscoveryFile(const ServerInfo &info, QString *error)
{
    const QJsonObject o{{QStringLiteral("url"), info.baseUrl.toString()},
                        {QStringLiteral("pid"), info.pid},
                        {QStringLiteral("model_dir"), canonical(info.modelDir)},
                        {QStringLiteral("model_id"), info.modelId},
                        {QStringLiteral("needs_key"), info.needsKey}};
    const QString path = discoveryFilePath();
    const QString tmp = path + QStringLiteral(".tmp");
    QFile::remove(tmp);
    QFile f(tmp);
    const QByteArray bytes = QJsonDocument(o).toJson(QJsonDocument::Indented);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly,
                QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        || f.write(bytes) != bytes.size()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(tmp, f.errorString());
        return false;
    }
    f.close();
    QFile::remove(path);
    if (!QFile::rename(tmp, path)) {
        if (error)
            *error = QStringLiteral("cannot rename %1 to %2").arg(tmp, path);
        return false;
    }
    return true;
}

void removeDiscoveryFile()
{
    const QString path = discoveryFilePath();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return;
    const qint64 pid
        = QJsonDocument::fromJson(f.readAll()).object().value(QLatin1String("pid")).toInteger();
    f.close();
    if (pid == QCoreApplication::applicationPid())
        QFile::remove(path);
}

std::optional<ServerInfo> findLocalServer(const QString &modelDir)
{
    QFile f(discoveryFilePath());
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    ServerInfo info;
    info.baseUrl = QUrl(o.value(QLatin1String("url")).toString());
    info.pid = o.value(QLatin1String("pid")).toInteger();
    info.modelDir = o.value(QLatin1String("model_dir")).toString();
    info.modelId = o.value(QLatin1String("model_id")).toString();
    info.needsKey = o.value(QLatin1String("needs_key")).toBool();
    if (!info.baseUrl.isValid() || !processAlive(info.pid))
        return std::nullopt;
    if (!modelDir.isEmpty() && canonical(modelDir) != info.modelDir)
        return std::nullopt;
    return info;
}

} // namespace folio::server
