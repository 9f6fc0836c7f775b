// folio-cli chat-render --messages FILE.json [--thinking] [--tokenizer PATH]: the V4 prompt for a
// conversation, exactly as the model sees it (no trailing newline), or its token ids when a
// tokenizer is given. FILE is an array of messages or {"messages", "tools"} (the tools belong to the
// first message); chat mode unless --thinking.
#include "app/cli/command.h"
#include "folio/chat_format.h"
#include "folio/tokenizer.h"

#include <QFile>

#include <cstdio>
#include <string>

namespace folio::cli {

std::shared_ptr<const folio::Tokenizer> loadTokenizerOption(const QCommandLineParser &parser,
                                                            const char *commandName);

int runChatRender(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Render a conversation in the DeepSeek-V4 chat format (text, or ids with --tokenizer)."));
    parser.addOption(
        {QStringLiteral("messages"),
         QStringLiteral("JSON file: an array of messages or {\"messages\", \"tools\"}."),
         QStringLiteral("FILE")});
    parser.addOption(
        {QStringLiteral("thinking"), QStringLiteral("Thinking mode (default: chat).")});
    parser.addOption(
        {QStringLiteral("keep-thinking"),
         QStringLiteral("Keep the reasoning of earlier turns (drop_thinking=False).")});
    parser.addOption({QStringLiteral("reasoning-effort"),
                      QStringLiteral("\"high\" or \"max\" (max adds the official prefix)."),
                      QStringLiteral("EFFORT")});
    parser.addOption({QStringLiteral("tokenizer"),
                      QStringLiteral("Print the prompt's token ids with this tokenizer.json."),
                      QStringLiteral("PATH")});
    if (int rc = parseOrExit(parser, args, "chat-render"); rc >= 0)
        return rc;
    if (!parser.isSet(QStringLiteral("messages"))) {
        printError("chat-render", QStringLiteral("--messages FILE is required"));
        return ExitUsage;
    }
    const QString path = parser.value(QStringLiteral("messages"));
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        printError("chat-render", QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
        return ExitFailure;
    }
    const QByteArray json = f.readAll();
    auto messages = folio::chat::parse_messages_json(
        std::string_view(json.constData(), size_t(json.size())));
    if (!messages) {
        printError("chat-render", path + QStringLiteral(": ")
                                      + QString::fromStdString(messages.status().message()));
        return ExitFailure;
    }
    folio::chat::RenderOptions options;
    options.mode = parser.isSet(QStringLiteral("thinking")) ? folio::chat::ThinkingMode::Thinking
                                                            : folio::chat::ThinkingMode::Chat;
    options.drop_thinking = !parser.isSet(QStringLiteral("keep-thinking"));
    options.reasoning_effort = parser.value(QStringLiteral("reasoning-effort")).toStdString();
    auto prompt = folio::chat::render(messages.value(), options);
    if (!prompt) {
        printError("chat-render", QString::fromStdString(prompt.status().message()));
        return ExitFailure;
    }
    std::string out = prompt.value();
    if (parser.isSet(QStringLiteral("tokenizer"))) {
        auto tok = loadTokenizerOption(parser, "chat-render");
        if (!tok)
            return ExitFailure;
        const std::vector<int32_t> ids = tok->encode(out);
        out.clear();
        for (size_t i = 0; i < ids.size(); ++i) {
            if (i)
                out.push_back(' ');
            out += std::to_string(ids[i]);
        }
        out.push_back('\n');
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return ExitOk;
}

} // namespace folio::cli
