// availableBackends(): the engine's device list turned into labelled choices; BackendQuery runs it
// on a "folio-devices" thread.
#include "app/backend_choices.h"

#include "app/thread_guard.h"
#include "app/worker_thread.h"
#include "folio/device.h"

#include <QCoreApplication>

namespace folio::app {

BackendChoices basicBackends()
{
    BackendChoices out;
    out.choices.append(
        {QStringLiteral("auto"),
         QCoreApplication::translate("folio::app", "Automatic (GPU when available)")});
    out.choices.append({QStringLiteral("cpu"), QCoreApplication::translate("folio::app", "CPU")});
    out.choices.append(
        {QStringLiteral("remote"), QCoreApplication::translate("folio::app", "Remote endpoint")});
    return out;
}

BackendChoices availableBackends()
{
    BackendChoices out = basicBackends();
    const BackendChoice remote = out.choices.takeLast(); // listed after the devices
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
    out.choices.append(remote);
    return out;
}

QString describeBackend(const QString &id)
{
    if (id == QLatin1String("cpu"))
        return QCoreApplication::translate("folio::app", "CPU");
    if (id == QLatin1String("remote"))
        return QCoreApplication::translate("folio::app", "Remote");
    if (id.startsWith(QLatin1String("cuda:")))
        return id;
    return QCoreApplication::translate("folio::app", "Auto");
}

BackendQuery::BackendQuery(QObject *parent)
    : QObject(parent)
    , m_thread(std::make_unique<WorkerThread>(QStringLiteral("folio-devices")))
{}

BackendQuery::~BackendQuery() = default;

void BackendQuery::start()
{
    m_thread->post([this] {
        noteLayerWork("engine: list devices");
        const BackendChoices choices = availableBackends();
        postBack(this, [this, choices] { Q_EMIT listed(choices); });
    });
}

} // namespace folio::app
