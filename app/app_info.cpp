#include "app/app_info.h"

#include "folio/device.h"

#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>

namespace folio::app {

QString version()
{
    return QStringLiteral(FOLIO_VERSION_STRING);
}

void initApplicationIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Folio"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("folio.local"));
    QCoreApplication::setApplicationName(QStringLiteral("folio"));
    QCoreApplication::setApplicationVersion(version());
}

QString dataDirectory()
{
    QString dir = qEnvironmentVariable("FOLIO_DATA_DIR");
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    return dir;
}

QString buildDescription()
{
    const folio::DeviceList devices = folio::list_devices();
    return QStringLiteral("Folio %1 (engine %2, CUDA backend %3; %4)")
        .arg(version(), QString::fromUtf8(folio::engine_version()),
             devices.cuda_compiled ? QStringLiteral("compiled") : QStringLiteral("not compiled"),
             QString::fromStdString(folio::cpu_description()));
}

} // namespace folio::app
