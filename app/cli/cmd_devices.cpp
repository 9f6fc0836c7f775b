// folio-cli devices [--json]: the CPU and the CUDA devices (name, memory, compute capability), or
// why there are none.
#include "app/cli/command.h"
#include "folio/device.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace folio::cli {

int runDevices(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the compute devices the engine can use."));
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object.")});
    if (int rc = parseOrExit(parser, args, "devices"); rc >= 0)
        return rc;

    const folio::DeviceList list = folio::list_devices();
    const QString cpu = QString::fromStdString(folio::cpu_description());
    QTextStream out(stdout);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray cuda;
        for (const auto &d : list.cuda) {
            cuda.append(
                QJsonObject{{"device", QStringLiteral("cuda:%1").arg(d.index)},
                            {"name", QString::fromStdString(d.name)},
                            {"total_memory", double(d.total_memory)},
                            {"free_memory", double(d.free_memory)},
                            {"compute_capability",
                             QStringLiteral("%1.%2").arg(d.compute_major).arg(d.compute_minor)},
                            {"multiprocessors", d.multiprocessors}});
        }
        QJsonObject root{{"cpu", cpu},
                         {"cuda_compiled", list.cuda_compiled},
                         {"cuda", cuda},
                         {"cuda_error", QString::fromStdString(list.cuda_error)}};
        out << QJsonDocument(root).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    out << "cpu      " << cpu << "\n";
    for (const auto &d : list.cuda) {
        out << QStringLiteral("cuda:%1   %2, %3 GiB (%4 GiB free), compute %5.%6, %7 SMs\n")
                   .arg(d.index)
                   .arg(QString::fromStdString(d.name))
                   .arg(d.total_memory / double(1ull << 30), 0, 'f', 1)
                   .arg(d.free_memory / double(1ull << 30), 0, 'f', 1)
                   .arg(d.compute_major)
                   .arg(d.compute_minor)
                   .arg(d.multiprocessors);
    }
    if (list.cuda.empty())
        out << "cuda     none: " << QString::fromStdString(list.cuda_error) << "\n";
    return ExitOk;
}

} // namespace folio::cli
