// The folio-cli subcommand framework. A subcommand is one function in its own file
// (cli/cmd_<name>.cpp) plus one row in cli/commands.cpp. Conventions (docs/architecture.md):
// results on stdout, progress and errors on stderr, `--json` for machine output, `--help` on every
// subcommand, exit 0 success, 1 failure, 2 bad usage.
#pragma once

#include <QCommandLineParser>
#include <QStringList>

#include <vector>

namespace folio::cli {

enum ExitCode { ExitOk = 0, ExitFailure = 1, ExitUsage = 2 };

struct Command
{
    const char *name;    // "tokenize"
    const char *summary; // one line for `folio-cli --help`
    // Runs the subcommand. `args` starts with the program name followed by the subcommand's own
    // arguments (the subcommand name removed), ready for QCommandLineParser::process-style parsing.
    int (*run)(const QStringList &args);
};

// Every subcommand, in the order `folio-cli --help` lists them.
const std::vector<Command> &commands();

// Parses `args` with `parser` (adding --help), printing errors to stderr. Returns -1 to continue,
// or the exit code to return now (ExitOk after --help, ExitUsage after a bad option).
int parseOrExit(QCommandLineParser &parser, const QStringList &args, const char *commandName);

// Prints a one-line error to stderr as "folio-cli NAME: message".
void printError(const char *commandName, const QString &message);

} // namespace folio::cli
