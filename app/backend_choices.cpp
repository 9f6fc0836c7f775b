// availableBackends(): the engine's device list turned into labelled choices.
#include "app/backend_choices.h"

#include "folio/device.h"

#include <QCoreApplication>

namespace folio::app {

BackendChoices availableBackends()
{
    BackendChoices out;
    out.choices.append(
        {QStringLiteral("auto"),
         QCoreApplication::translate("folio::app", "Automatic (GPU when available)")});
    out.choices.append({QStringLiteral("cpu"), QCoreApplication::translate("folio::app", "CPU")});
    const folio::DeviceList devices = folio::list_devices();
    for (const folio::DeviceInfo &d : devices.cuda) {
        out.choices.append({QStringLiteral("cuda:%1").arg(d.index),
                            QStringLiteral("%1 (cuda:%2, %3 GiB)")
                                .arg(QString::fromStdString(d.name))
                                .arg(d.index)
                                .arg(double(d.total_memory) / double(1ull << 30), 0, 'f', 1)});
    }
    if (devices.cuda.empty()) {
        out.note = devices.cuda_compiled
                       ? QCoreApplication::translate("folio::app", "No CUDA device: %1")
                             .arg(QString::fromStdString(devices.cuda_error))
                       : QCoreApplication::translate("folio::app",
                                                     "This build has no CUDA backend.");
    }
    out.choices.append(
        {QStringLiteral("remote"), QCoreApplication::translate("folio::app", "Remote endpoint")});
    return out;
}

QString describeBackend(const QString &id)
{
    if (id == QLatin1String("cpu"))
        return QCoreApplication::translate("folio::app", "CPU");
    if (id == QLatin1String("remote"))
        return QCoreApplication::translate("folio::app", "Remote");
    if (id.startsWith(QLatin1String("cuda:"))) {
        const int index = id.mid(5).toInt();
        for (const folio::DeviceInfo &d : folio::list_devices().cuda) {
            if (d.index == index)
                return QStringLiteral("%1 %2").arg(id, QString::fromStdString(d.name));
        }
        return id;
    }
    return QCoreApplication::translate("folio::app", "Auto");
}

} // namespace folio::app
