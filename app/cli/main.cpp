// folio-cli: Folio without the GUI. `folio-cli --help` lists the subcommands; each has --help.
#include "app/app_info.h"
#include "app/cli/command.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstring>

using namespace folio::cli;

namespace {

void printUsage(QTextStream &out)
{
    out << "Usage: folio-cli [--help] [--version] <command> [options]\n\n"
        << "Folio: ask questions about whole repositories and long documents with\n"
        << "DeepSeek-V4-Flash running locally.\n\nCommands:\n";
    for (const Command &c : commands())
        out << "  " << QString::fromUtf8(c.name).leftJustified(14) << c.summary << "\n";
    out << "\nRun 'folio-cli <command> --help' for the options of a command.\n";
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    folio::app::initApplicationIdentity();
    QStringList args = QCoreApplication::arguments();
    QTextStream out(stdout), err(stderr);

    if (args.size() < 2) {
        printUsage(err);
        return ExitUsage;
    }
    const QString first = args.at(1);
    if (first == QLatin1String("--help") || first == QLatin1String("-h")
        || first == QLatin1String("help")) {
        if (first == QLatin1String("help") && args.size() > 2) {
            args = {args.at(0), args.at(2), QStringLiteral("--help")};
        } else {
            printUsage(out);
            return ExitOk;
        }
    }
    if (first == QLatin1String("--version") || first == QLatin1String("-v")) {
        out << "folio-cli " << folio::app::version() << "\n"
            << folio::app::buildDescription() << "\n";
        return ExitOk;
    }
    const QString name = args.at(1);
    for (const Command &c : commands()) {
        if (name == QLatin1String(c.name)) {
            QStringList rest = args;
            rest.removeAt(1); // program name stays first, as QCommandLineParser expects
            return c.run(rest);
        }
    }
    err << "folio-cli: unknown command '" << name << "'\n\n";
    printUsage(err);
    return ExitUsage;
}
