// folio-cli detokenize --tokenizer PATH: token ids on stdin (separated by spaces, newlines or
// commas; surrounding [ ] allowed, so `tokenize --json` ids paste in) → the text on stdout, exactly
// as decoded (special tokens included, no newline added).
#include "app/cli/command.h"
#include "folio/tokenizer.h"

#include <QFile>

#include <cstdio>
#include <string>

namespace folio::cli {

std::shared_ptr<const folio::Tokenizer> loadTokenizerOption(const QCommandLineParser &parser,
                                                            const char *commandName);

int runDetokenize(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Turn token ids read from stdin into text."));
    parser.addOption({QStringLiteral("tokenizer"), QStringLiteral("The tokenizer.json to use."),
                      QStringLiteral("PATH")});
    if (int rc = parseOrExit(parser, args, "detokenize"); rc >= 0)
        return rc;
    if (!parser.isSet(QStringLiteral("tokenizer"))) {
        printError("detokenize", QStringLiteral("--tokenizer PATH is required"));
        return ExitUsage;
    }
    auto tok = loadTokenizerOption(parser, "detokenize");
    if (!tok)
        return ExitFailure;

    QFile in;
    if (!in.open(stdin, QIODevice::ReadOnly)) {
        printError("detokenize", QStringLiteral("cannot read stdin"));
        return ExitFailure;
    }
    const QByteArray data = in.readAll();
    std::vector<int32_t> ids;
    qsizetype i = 0;
    while (i < data.size()) {
        const char c = data[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',' || c == '[' || c == ']') {
            ++i;
            continue;
        }
        qsizetype j = i;
        while (j < data.size() && data[j] >= '0' && data[j] <= '9')
            ++j;
        if (j == i || j - i > 9) {
            printError("detokenize",
                       QStringLiteral("not a token id: '%1'")
                           .arg(QString::fromUtf8(data.mid(i, 20)).section(' ', 0, 0)));
            return ExitFailure;
        }
        const long id = std::stol(data.mid(i, j - i).toStdString());
        if (size_t(id) >= tok->vocab_size() || tok->token_bytes(int32_t(id)).empty()) {
            printError("detokenize", QStringLiteral("token id %1 is not in the vocabulary (%2 ids)")
                                         .arg(id)
                                         .arg(tok->vocab_size()));
            return ExitFailure;
        }
        ids.push_back(int32_t(id));
        i = j;
    }
    const std::string text = tok->decode(ids);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return ExitOk;
}

} // namespace folio::cli
