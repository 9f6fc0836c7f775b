// folio-cli tokenize --tokenizer PATH [--json] [FILE...]: the token ids of each input (a file, or
// stdin when none), encoded as is: no BOS or other special token is added (HF's
// add_special_tokens=False). One line of space-separated ids per input, or with --json an array of
// {"file", "ids", "count"}.
#include "app/cli/command.h"
#include "folio/tokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>
#include <string>

namespace folio::cli {

// Loads the tokenizer named by --tokenizer, printing the error; nullptr on failure.
std::shared_ptr<const folio::Tokenizer> loadTokenizerOption(const QCommandLineParser &parser,
                                                            const char *commandName)
{
    const QString path = parser.value(QStringLiteral("tokenizer"));
    auto tok = folio::Tokenizer::load(path.toStdString());
    if (!tok) {
        printError(commandName, QString::fromStdString(tok.status().message()));
        return nullptr;
    }
    return tok.value();
}

namespace {

bool readInput(const QString &name, std::string *bytes, QString *error)
{
    const bool isStdin = name == QLatin1String("-");
    QFile f(isStdin ? QString() : name);
    const bool ok = isStdin ? f.open(stdin, QIODevice::ReadOnly) : f.open(QIODevice::ReadOnly);
    if (!ok) {
        *error = QStringLiteral("cannot read %1: %2").arg(name, f.errorString());
        return false;
    }
    const QByteArray data = f.readAll();
    bytes->assign(data.constData(), size_t(data.size()));
    return true;
}

} // namespace

int runTokenize(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Print the token ids of each FILE (stdin when none), without special tokens."));
    parser.addOption({QStringLiteral("tokenizer"), QStringLiteral("The tokenizer.json to use."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("json"),
                      QStringLiteral("Print a JSON array of {\"file\", \"ids\", \"count\"}.")});
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("Inputs (default: stdin)."),
                                 QStringLiteral("[FILE...]"));
    if (int rc = parseOrExit(parser, args, "tokenize"); rc >= 0)
        return rc;
    if (!parser.isSet(QStringLiteral("tokenizer"))) {
        printError("tokenize", QStringLiteral("--tokenizer PATH is required"));
        return ExitUsage;
    }
    auto tok = loadTokenizerOption(parser, "tokenize");
    if (!tok)
        return ExitFailure;

    QStringList files = parser.positionalArguments();
    if (files.isEmpty())
        files << QStringLiteral("-");
    const bool json = parser.isSet(QStringLiteral("json"));
    QJsonArray results;
    std::string out;
    std::vector<int32_t> ids;
    for (const QString &file : files) {
        std::string bytes;
        QString error;
        if (!readInput(file, &bytes, &error)) {
            printError("tokenize", error);
            return ExitFailure;
        }
        ids.clear();
        tok->encode_into(bytes, ids);
        if (json) {
            QJsonArray arr;
            for (int32_t id : ids)
                arr.append(id);
            results.append(QJsonObject{{"file", file}, {"ids", arr}, {"count", qint64(ids.size())}});
        } else {
            for (size_t i = 0; i < ids.size(); ++i) {
                if (i)
                    out.push_back(' ');
                out += std::to_string(ids[i]);
            }
            out.push_back('\n');
        }
    }
    if (json)
        out = QJsonDocument(results).toJson(QJsonDocument::Compact).toStdString() + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return ExitOk;
}

} // namespace folio::cli
