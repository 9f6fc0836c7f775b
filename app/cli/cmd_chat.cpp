// folio-cli chat: an interactive conversation on a session — a new one on a repository or PDFs
// (the same source options as ask), a new one without sources, or a saved one (`--session
// ID|NAME`, continued on the branch it was last continued on). Reads stdin line by line, so it is
// as scriptable as it is interactive: a line is a question, or a command:
//
//   /think, /nothink          thinking mode on or off for the next questions
//   /sources                  the session's sources and their tokens
//   /history                  the current branch, with message ids
//   /branch                   every branch of the message tree (* marks the current one)
//   /branch N                 continue on branch N
//   /branch at ID             the next question follows answer ID (or replaces question ID;
//                             0: a new branch from the top)
//   /export [md|html|json] [FILE]   the session (md/html: the current branch) to FILE or stdout
//   /help, /quit (or end of input)
//
// Answers stream to stdout (the thinking part to stderr), each followed by a summary line on
// stderr; with --json each answer and each command's result is one JSON object per line instead.
// Ctrl+C stops the current answer, not the program (cli_answer.h, InterruptWatcher); the stopped
// answer is kept. Every turn is saved in the session as it ends (app/analysis/conversation.h).
#include "app/cli/cli_answer.h"
#include "app/cli/command.h"
#include "ingest/citations.h"
#include "ingest/token_counter.h"
#include "storage/session_export.h"

#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

namespace folio::cli {

namespace {

constexpr const char *kName = "chat";

const char *const kHelp = "Type a question, or a command:\n"
                          "  /think, /nothink                  thinking mode on or off\n"
                          "  /sources                          the session's sources\n"
                          "  /history                          the current branch, with ids\n"
                          "  /branch                           the branches of the session\n"
                          "  /branch N                         continue on branch N\n"
                          "  /branch at ID                     ask after answer ID (or instead of "
                          "question ID; 0: from the top)\n"
                          "  /export [md|html|json] [FILE]     the session to FILE or stdout\n"
                          "  /quit                             leave (so does end of input)\n"
                          "Ctrl+C stops an answer.\n";

QString oneLine(const QString &text, int width)
{
    QString s = text.simplified();
    return s.size() > width ? s.left(width - 1) + QChar(0x2026) : s;
}

class ChatLoop
{
public:
    ChatLoop(analysis::Conversation &conv, Answerer &answerer, InterruptWatcher &interrupts,
             bool json, bool thinking, int maxTokens)
        : m_conv(conv)
        , m_answerer(answerer)
        , m_interrupts(interrupts)
        , m_json(json)
        , m_thinking(thinking)
        , m_maxTokens(maxTokens)
    {}

    // Runs until /quit or the end of stdin. Returns the exit code: 1 when any question or command
    // failed (so a script notices), else 0.
    int run();

private:
    void ask(const QString &question);
    bool command(const QString &line); // false: /quit
    void sources();
    void history();
    void branch(const QStringList &args);
    void exportSession(const QStringList &args);

    void result(const QJsonObject &json, const QString &text);
    void note(const QString &text) { m_err << text << Qt::endl; }
    void fail(const QString &text)
    {
        printError(kName, text);
        m_failed = true;
    }

    analysis::Conversation &m_conv;
    Answerer &m_answerer;
    InterruptWatcher &m_interrupts;
    bool m_json;
    bool m_thinking;
    int m_maxTokens;
    bool m_failed = false;
    QTextStream m_out{stdout};
    QTextStream m_err{stderr};
};

int ChatLoop::run()
{
    const bool interactive = isatty(fileno(stdin));
    std::string line;
    for (;;) {
        if (interactive) {
            m_err << (m_thinking ? "think> " : "> ");
            m_err.flush();
        }
        if (!std::getline(std::cin, line))
            break;
        const QString text = QString::fromStdString(line).trimmed();
        if (text.isEmpty())
            continue;
        if (text.startsWith(QLatin1Char('/'))) {
            if (!command(text))
                break;
        } else {
            ask(text);
        }
    }
    if (interactive)
        m_err << Qt::endl;
    return m_failed ? ExitFailure : ExitOk;
}

void ChatLoop::result(const QJsonObject &json, const QString &text)
{
    if (m_json)
        m_out << QJsonDocument(json).toJson(QJsonDocument::Compact) << '\n';
    else
        m_out << text;
    m_out.flush();
}

void ChatLoop::ask(const QString &question)
{
    QString error;
    QVector<analysis::Turn> turns;
    if (!m_conv.history(&turns, &error)) {
        fail(error);
        return;
    }
    auto prompt = analysis::buildAnalysisPrompt(m_conv.sources().packed, turns, question,
                                                m_thinking);
    if (!prompt) {
        fail(QString::fromStdString(prompt.status().message()));
        return;
    }
    const AnswerOutcome out = m_answerer.answer(
        *prompt, m_maxTokens,
        [&](bool reasoning, const QString &text) {
            if (m_json)
                return;
            QTextStream &s = reasoning ? m_err : m_out;
            s << text;
            s.flush();
        },
        &m_interrupts, m_conv.sessionId(), m_conv.anchor());
    if (!m_json)
        m_out << Qt::endl;
    if (out.failed()) {
        // Not saved: the next question continues from where this one was asked.
        fail(out.error);
        return;
    }
    const ingest::CitationResolver resolver(m_conv.sources().contents);
    const std::vector<ingest::Citation> citations = resolver.resolve(out.content);
    const auto saved = m_conv.saveTurn(question, m_thinking, out, m_answerer.backendName(),
                                       citations, &error);
    if (!saved) {
        fail(error);
        return;
    }
    const qsizetype verified = std::count_if(citations.begin(), citations.end(),
                                             [](const ingest::Citation &c) { return c.verified; });
    if (m_json) {
        result(QJsonObject{{"session", m_conv.sessionId()},
                           {"question_id", saved->question},
                           {"message", saved->answer},
                           {"answer", out.content},
                           {"reasoning", out.reasoning},
                           {"stopped", out.stopped},
                           {"citations", analysis::citationsOutputJson(citations)},
                           {"stats",
                            analysis::answerStatsJson(out, m_answerer.backendName(), m_thinking)}},
               {});
    } else {
        note(QStringLiteral("[%1#%2 · %3 prompt tokens (%4 reused) · %5 tok/s · %6 of %7 "
                            "citations verified]")
                 .arg(out.stopped ? QStringLiteral("stopped · ") : QString())
                 .arg(saved->answer)
                 .arg(out.promptTokens)
                 .arg(out.cachedTokens)
                 .arg(out.decodeRate(), 0, 'f', 1)
                 .arg(verified)
                 .arg(citations.size()));
    }
}

bool ChatLoop::command(const QString &line)
{
    QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    const QString name = words.takeFirst();
    if (name == QLatin1String("/quit") || name == QLatin1String("/exit")) {
        return false;
    } else if (name == QLatin1String("/help")) {
        m_err << kHelp;
        m_err.flush();
    } else if (name == QLatin1String("/think") || name == QLatin1String("/nothink")) {
        m_thinking = name == QLatin1String("/think");
        result(QJsonObject{{"thinking", m_thinking}},
               m_thinking ? QStringLiteral("thinking on\n") : QStringLiteral("thinking off\n"));
    } else if (name == QLatin1String("/sources")) {
        sources();
    } else if (name == QLatin1String("/history")) {
        history();
    } else if (name == QLatin1String("/branch")) {
        branch(words);
    } else if (name == QLatin1String("/export")) {
        exportSession(words);
    } else {
        fail(QStringLiteral("unknown command %1 (/help lists them)").arg(name));
    }
    return true;
}

void ChatLoop::sources()
{
    const analysis::SessionSources &s = m_conv.sources();
    QJsonArray list;
    QString text;
    for (size_t i = 0; i < s.contents.size(); ++i) {
        const ingest::SourceContents &c = s.contents[i];
        const qint64 tokens = i < s.tokens.size() ? s.tokens[i] : 0;
        list.append(QJsonObject{{"name", c.name},
                                {"location", c.root},
                                {"revision", c.revision},
                                {"items", int(c.items.size())},
                                {"tokens", tokens}});
        text += QStringLiteral("%1. %2  %3%4  %5 items  %6 tokens\n")
                    .arg(i + 1)
                    .arg(c.name, c.root,
                         c.revision.isEmpty() ? QString()
                                              : QStringLiteral(" @ ") + c.revision.left(12))
                    .arg(c.items.size())
                    .arg(tokens);
    }
    if (s.contents.empty())
        text = QStringLiteral("no sources\n");
    else
        text += QStringLiteral("%1 tokens in all; the budget is %2\n")
                    .arg(s.totalTokens)
                    .arg(s.budget);
    result(QJsonObject{{"sources", list}, {"total_tokens", s.totalTokens}, {"budget", s.budget}},
           text);
}

void ChatLoop::history()
{
    std::vector<storage::Message> path;
    QString error;
    if (!m_conv.currentPath(&path, &error)) {
        fail(error);
        return;
    }
    QJsonArray list;
    QString text;
    for (const storage::Message &m : path) {
        list.append(QJsonObject{{"id", m.id}, {"role", m.role}, {"content", m.content}});
        text += QStringLiteral("#%1 %2: %3\n")
                    .arg(m.id)
                    .arg(m.role == QLatin1String("user") ? QStringLiteral("you")
                                                         : QStringLiteral("folio"),
                         oneLine(m.content, 100));
    }
    if (path.empty())
        text = QStringLiteral("no messages on this branch yet\n");
    result(QJsonObject{{"history", list}}, text);
}

void ChatLoop::branch(const QStringList &args)
{
    QString error;
    bool ok = false;
    if (args.size() == 2 && args[0] == QLatin1String("at")) {
        const qint64 id = args[1].toLongLong(&ok);
        if (!ok || id < 0) {
            fail(QStringLiteral("/branch at takes a message id (see /history)"));
            return;
        }
        if (!m_conv.branchAt(id, &error)) {
            fail(error);
            return;
        }
        result(QJsonObject{{"anchor", m_conv.anchor()}},
               m_conv.anchor() == 0
                   ? QStringLiteral("the next question starts a new branch from the top\n")
                   : QStringLiteral("the next question follows message #%1\n").arg(m_conv.anchor()));
        return;
    }
    if (args.size() == 1) {
        const int index = args[0].toInt(&ok);
        if (!ok || !m_conv.switchToBranch(index, &error)) {
            fail(ok ? error : QStringLiteral("/branch takes a branch number (see /branch)"));
            return;
        }
        result(QJsonObject{{"branch", index}, {"anchor", m_conv.anchor()}},
               QStringLiteral("on branch %1 (message #%2)\n").arg(index).arg(m_conv.anchor()));
        return;
    }
    if (!args.isEmpty()) {
        fail(QStringLiteral("usage: /branch [N | at ID]"));
        return;
    }
    std::vector<analysis::Conversation::Branch> list;
    if (!m_conv.branches(&list, &error)) {
        fail(error);
        return;
    }
    QJsonArray array;
    QString text;
    int index = 0;
    for (const analysis::Conversation::Branch &b : list) {
        ++index;
        array.append(QJsonObject{{"index", index},
                                 {"leaf", b.leaf},
                                 {"messages", b.messages},
                                 {"last_question", b.lastQuestion},
                                 {"current", b.current}});
        text += QStringLiteral("%1 %2. #%3  %4 messages  %5\n")
                    .arg(b.current ? QLatin1Char('*') : QLatin1Char(' '))
                    .arg(index)
                    .arg(b.leaf)
                    .arg(b.messages)
                    .arg(oneLine(b.lastQuestion, 80));
    }
    if (list.empty())
        text = QStringLiteral("no branches yet\n");
    else if (std::none_of(list.begin(), list.end(),
                          [](const analysis::Conversation::Branch &b) { return b.current; }))
        text += m_conv.anchor() == 0
                    ? QStringLiteral("the next question starts a new branch from the top\n")
                    : QStringLiteral("the next question follows message #%1 (a new branch)\n")
                          .arg(m_conv.anchor());
    result(QJsonObject{{"branches", array}, {"anchor", m_conv.anchor()}}, text);
}

void ChatLoop::exportSession(const QStringList &args)
{
    QStringList rest = args;
    storage::ExportFormat format = storage::ExportFormat::Markdown;
    if (!rest.isEmpty() && storage::parseExportFormat(rest.front(), &format))
        rest.removeFirst();
    else if (!rest.isEmpty()) {
        // "/export notes.html": the format from the file's extension.
        const QString suffix = rest.front().section(QLatin1Char('.'), -1);
        if (!storage::parseExportFormat(suffix, &format))
            format = storage::ExportFormat::Markdown;
    }
    if (rest.size() > 1) {
        fail(QStringLiteral("usage: /export [md|html|json] [FILE]"));
        return;
    }
    if (m_conv.sessionId() == 0) {
        fail(QStringLiteral("nothing to export yet: ask a question first"));
        return;
    }
    auto bytes = storage::exportSession(m_conv.database(), m_conv.sessionId(), format,
                                        m_conv.anchor());
    if (!bytes.ok()) {
        fail(bytes.status().message());
        return;
    }
    if (rest.isEmpty()) {
        if (m_json) {
            result(QJsonObject{{"export", QString::fromUtf8(*bytes)}}, {});
        } else {
            m_out << QString::fromUtf8(*bytes);
            m_out.flush();
        }
        return;
    }
    QFile f(rest.front());
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(*bytes) != bytes->size()) {
        fail(QStringLiteral("cannot write %1: %2").arg(rest.front(), f.errorString()));
        return;
    }
    result(QJsonObject{{"exported", rest.front()}, {"bytes", qint64(bytes->size())}},
           QStringLiteral("exported to %1\n").arg(rest.front()));
}

} // namespace

int runChat(const QStringList &args)
{
    // First, before any thread starts: every later thread inherits the blocked SIGINT.
    InterruptWatcher interrupts;

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Talk with the model about a repository, PDFs or a saved session, one line at a time "
        "(stdin: interactive or a script). Commands: /think, /nothink, /sources, /history, "
        "/branch [N | at ID], /export [md|html|json] [FILE], /help, /quit. Ctrl+C stops the "
        "current answer. Every turn is saved in the session."));
    addSourceOptions(parser);
    addBackendOptions(parser);
    parser.addOption({QStringLiteral("json"),
                      QStringLiteral("One JSON object per line for each answer and command.")});
    if (int rc = parseOrExit(parser, args, kName); rc >= 0)
        return rc;
    const int sourceOptions = int(parser.isSet(QStringLiteral("repo")))
                              + int(parser.isSet(QStringLiteral("pdf")))
                              + int(parser.isSet(QStringLiteral("session")));
    Answerer::Options ao;
    QString usage;
    if (!parser.positionalArguments().isEmpty() || sourceOptions > 1
        || !Answerer::optionsFrom(parser, &ao, &usage)) {
        printError(kName, QStringLiteral("usage: chat [--repo PATH [--ref REF] | --pdf FILE... | "
                                         "--session ID|NAME] (--model DIR | --endpoint URL "
                                         "--api-model NAME) [--thinking] [-n N] [--json]%1")
                              .arg(usage.isEmpty() ? QString() : QStringLiteral("\n") + usage));
        return ExitUsage;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    ao.progress = isatty(fileno(stderr)) && !json;
    ao.databasePath = databasePath(parser);
    QTextStream err(stderr);

    QString error;
    std::unique_ptr<ingest::TokenCounter> counter = loadCounter(parser, &error);
    std::unique_ptr<analysis::Conversation> conv
        = counter ? analysis::Conversation::open(databasePath(parser), &error) : nullptr;
    if (!conv) {
        printError(kName, error);
        return ExitFailure;
    }
    if (parser.isSet(QStringLiteral("session"))) {
        QStringList notes;
        const bool resumed = conv->resume(parser.value(QStringLiteral("session")), &error)
                             && conv->restoreSources(*counter, 0, ao.maxTokens, &notes, &error);
        for (const QString &n : notes)
            err << "folio-cli chat: " << n << Qt::endl;
        if (!resumed) {
            printError(kName, error);
            return ExitFailure;
        }
    } else {
        std::optional<analysis::SessionSources> sources = analysis::SessionSources();
        if (const auto request = sourceRequest(parser))
            sources = analysis::ingestSources(*request, *counter, 0, ao.maxTokens, &error);
        if (!sources) {
            printError(kName, error);
            return ExitFailure;
        }
        conv->startNew(std::move(*sources));
    }
    Answerer answerer(ao);
    if (!answerer.prepare(&error)) {
        printError(kName, error);
        return ExitFailure;
    }
    const analysis::SessionSources &s = conv->sources();
    if (conv->sessionId() > 0)
        err << QStringLiteral("session %1 \"%2\", at message #%3; ")
                   .arg(conv->sessionId())
                   .arg(conv->session().title)
                   .arg(conv->anchor());
    else
        err << "new session; ";
    err << QStringLiteral("%1 sources, %2 tokens; %3; /help lists the commands")
               .arg(s.contents.size())
               .arg(s.totalTokens)
               .arg(answerer.backendName())
        << Qt::endl;
    ChatLoop loop(*conv, answerer, interrupts, json, parser.isSet(QStringLiteral("thinking")),
                  ao.maxTokens);
    return loop.run();
}

} // namespace folio::cli
