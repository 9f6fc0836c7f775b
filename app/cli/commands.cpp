// The table of folio-cli subcommands. Add a row here when adding cli/cmd_<name>.cpp.
#include "app/cli/command.h"

#include <QTextStream>

namespace folio::cli {

int runDevices(const QStringList &args);
int runSession(const QStringList &args);
int runTokenize(const QStringList &args);
int runDetokenize(const QStringList &args);
int runChatRender(const QStringList &args);
int runIngest(const QStringList &args);
int runPack(const QStringList &args);
int runServe(const QStringList &args);
int runAsk(const QStringList &args);
int runChat(const QStringList &args);
int runGenerate(const QStringList &args);
int runLogits(const QStringList &args);
int runModel(const QStringList &args);

const std::vector<Command> &commands()
{
    static const std::vector<Command> table = {
        {"devices", "List the compute devices the engine can use (CPU, CUDA GPUs)", runDevices},
        {"session", "Sessions: list, show, delete, export, import, search, snapshots", runSession},
        {"tokenize", "Print the token ids of files or stdin (no special tokens added)", runTokenize},
        {"detokenize", "Turn token ids from stdin back into text", runDetokenize},
        {"chat-render", "Render messages in the V4 chat format (text, or ids with --tokenizer)",
         runChatRender},
        {"ingest", "Read a repository, PDFs or files; list included/skipped, tokens", runIngest},
        {"pack", "Render sources into the packed context with its span map (--out FILE)", runPack},
        {"ask", "Ask one question about a repository or PDFs; saves it as a session", runAsk},
        {"chat", "Talk about a repository, PDFs or a saved session (/think, /branch, /export...)",
         runChat},
        {"serve", "Serve the model over an OpenAI-compatible HTTP API (--port, --api-key)",
         runServe},
        {"generate", "Generate text (or ids) from a prompt with a local model, streamed",
         runGenerate},
        {"logits", "Write the logits of token ids (prefill, stepwise, chunked) to safetensors",
         runLogits},
        {"model", "Models: download from a hub (resumable, verified), verify a directory, list",
         runModel},
    };
    return table;
}

int parseOrExit(QCommandLineParser &parser, const QStringList &args, const char *commandName)
{
    parser.addHelpOption();
    if (!parser.parse(args)) {
        printError(commandName, parser.errorText());
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return ExitOk;
    }
    return -1;
}

void printError(const char *commandName, const QString &message)
{
    QTextStream(stderr) << "folio-cli " << commandName << ": " << message << Qt::endl;
}

} // namespace folio::cli
