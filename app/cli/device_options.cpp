// --device / --gpus / --expert-cache-gb (see device_options.h); the engine validates the device
// text (folio/device.h), so the CLI, the settings and LoadOptions accept the same forms.
#include "app/cli/device_options.h"

#include "app/cli/command.h"
#include "folio/device.h"

#include <QTextStream>

#include <cmath>

namespace folio::cli {

void addDeviceOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("device"),
                      QStringLiteral("Compute device: cpu, cuda, cuda:N, cuda:N,M (layers split "
                                     "over those GPUs) or auto (a GPU when the model fits on the "
                                     "GPUs present, else the CPU). Default cpu."),
                      QStringLiteral("DEV"), QStringLiteral("cpu")});
    parser.addOption({QStringLiteral("gpus"),
                      QStringLiteral("GPUs to split the layers over, in order (e.g. 0,1); implies "
                                     "--device cuda unless --device is given."),
                      QStringLiteral("LIST")});
    parser.addOption({QStringLiteral("expert-cache-gb"),
                      QStringLiteral("Keep the routed experts in host memory with a device cache "
                                     "of N GiB per GPU (for a GPU smaller than the model)."),
                      QStringLiteral("N")});
}

bool deviceOptionsFrom(const QCommandLineParser &parser, folio::LoadOptions &lo, QString *error)
{
    std::string device = parser.value(QStringLiteral("device")).toStdString();
    std::vector<int> gpus;
    if (parser.isSet(QStringLiteral("gpus"))) {
        auto list = folio::parse_gpu_list(parser.value(QStringLiteral("gpus")).toStdString());
        if (!list || list->empty()) {
            *error = list ? QStringLiteral("--gpus: empty list")
                          : QString::fromStdString(list.status().message());
            return false;
        }
        gpus = *list;
        if (!parser.isSet(QStringLiteral("device")))
            device = "cuda";
    }
    auto request = folio::parse_device_request(device, gpus);
    if (!request) {
        *error = QStringLiteral("--device: ") + QString::fromStdString(request.status().message());
        return false;
    }
    std::uint64_t cache = 0;
    if (parser.isSet(QStringLiteral("expert-cache-gb"))) {
        bool ok = false;
        const double gib = parser.value(QStringLiteral("expert-cache-gb")).toDouble(&ok);
        if (!ok || !std::isfinite(gib) || gib <= 0 || gib > 1e6) {
            *error = QStringLiteral("--expert-cache-gb: expected a positive number of GiB");
            return false;
        }
        if (request->kind == folio::DeviceRequest::Kind::Cpu) {
            *error = QStringLiteral("--expert-cache-gb needs --device cuda or auto");
            return false;
        }
        cache = std::uint64_t(gib * double(1ull << 30));
    }
    lo.device = device;
    lo.gpus = gpus;
    lo.expert_cache_bytes = cache;
    return true;
}

int readDeviceOptions(const QCommandLineParser &parser, const char *commandName,
                      folio::LoadOptions &lo)
{
    QString error;
    if (deviceOptionsFrom(parser, lo, &error))
        return -1;
    printError(commandName, error);
    return ExitUsage;
}

void reportDevice(const char *commandName, const folio::LoadOptions &lo,
                  const folio::ModelInfo &info)
{
    if (lo.device == "cpu")
        return;
    QTextStream err(stderr);
    for (const QString &line : QString::fromStdString(info.device_note).split(QLatin1Char('\n')))
        err << "folio-cli " << commandName << ": " << line << Qt::endl;
}

std::shared_ptr<const folio::Model> loadModelWithDeviceOptions(const QCommandLineParser &parser,
                                                               const char *commandName,
                                                               const QString &modelDir, int threads,
                                                               int *exitCode)
{
    folio::LoadOptions lo;
    lo.threads = threads;
    if (const int rc = readDeviceOptions(parser, commandName, lo); rc >= 0) {
        *exitCode = rc;
        return nullptr;
    }
    auto model = folio::Model::load(modelDir.toStdString(), lo);
    if (!model) {
        printError(commandName, QString::fromStdString(model.status().message()));
        *exitCode = ExitFailure;
        return nullptr;
    }
    reportDevice(commandName, lo, (*model)->info());
    return *model;
}

} // namespace folio::cli
