// folio-cli ask: one question about a repository or PDFs, without the GUI — or one more question
// on a saved session (`--session ID|NAME`: its sources rebuilt from storage, the question appended
// on the branch it was last continued on). Ingests and packs the sources, builds the analysis
// prompt (app/analysis), answers with a running `folio-cli serve` of the same model, a remote
// OpenAI-compatible endpoint, or the engine in process (cli_answer.h), streams the answer to
// stdout, resolves its citations against the sources, and saves the turn in the session
// (app/analysis/conversation.h; `folio-cli session show` lists it, the GUI opens it).
#include "app/cli/cli_answer.h"
#include "app/cli/command.h"
#include "ingest/citations.h"
#include "ingest/token_counter.h"

#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace folio::cli {

int runAsk(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Ask one question about a repository or PDFs, or one more on a saved session. The answer "
        "streams to stdout; progress and errors go to stderr. The question, answer, citations and "
        "sources are saved in the session."));
    parser.addPositionalArgument(QStringLiteral("question"), QStringLiteral("The question."));
    addSourceOptions(parser);
    addBackendOptions(parser);
    parser.addOption(
        {QStringLiteral("json"),
         QStringLiteral("Print one JSON object: answer, reasoning, citations, stats.")});
    if (int rc = parseOrExit(parser, args, "ask"); rc >= 0)
        return rc;

    const QString question = parser.positionalArguments().join(QLatin1Char(' ')).trimmed();
    const int sourceOptions = int(parser.isSet(QStringLiteral("repo")))
                              + int(parser.isSet(QStringLiteral("pdf")))
                              + int(parser.isSet(QStringLiteral("session")));
    Answerer::Options ao;
    QString usage;
    if (question.isEmpty() || sourceOptions != 1 || !Answerer::optionsFrom(parser, &ao, &usage)) {
        printError("ask", QStringLiteral("usage: ask (--repo PATH [--ref REF] | --pdf FILE... | "
                                         "--session ID|NAME) (--model DIR | --endpoint URL "
                                         "--api-model NAME) [--thinking] [-n N] [--json] "
                                         "\"question\"%1")
                              .arg(usage.isEmpty() ? QString() : QStringLiteral("\n") + usage));
        return ExitUsage;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    const bool thinking = parser.isSet(QStringLiteral("thinking"));
    ao.progress = isatty(fileno(stderr)) && !json;
    ao.databasePath = databasePath(parser);
    QTextStream err(stderr);

    QString error;
    std::unique_ptr<ingest::TokenCounter> counter = loadCounter(parser, &error);
    if (!counter) {
        printError("ask", error);
        return ExitFailure;
    }
    std::unique_ptr<analysis::Conversation> conv = analysis::Conversation::open(databasePath(parser),
                                                                                &error);
    if (!conv) {
        printError("ask", error);
        return ExitFailure;
    }
    // 1. The sources: ingested and packed, or rebuilt from the saved session.
    if (parser.isSet(QStringLiteral("session"))) {
        QStringList notes;
        const bool resumed = conv->resume(parser.value(QStringLiteral("session")), &error)
                             && conv->restoreSources(*counter, 0, ao.maxTokens, &notes, &error);
        for (const QString &note : notes)
            err << "folio-cli ask: " << note << Qt::endl;
        if (!resumed) {
            printError("ask", error);
            return ExitFailure;
        }
    } else {
        std::optional<analysis::SessionSources> sources = analysis::SessionSources();
        if (const auto request = sourceRequest(parser))
            sources = analysis::ingestSources(*request, *counter, 0, ao.maxTokens, &error);
        if (!sources) {
            printError("ask", error);
            return ExitFailure;
        }
        conv->startNew(std::move(*sources));
    }

    // 2. The prompt: the sources, the branch's earlier turns, the question.
    QVector<analysis::Turn> history;
    if (!conv->history(&history, &error)) {
        printError("ask", error);
        return ExitFailure;
    }
    auto prompt = analysis::buildAnalysisPrompt(conv->sources().packed, history, question, thinking);
    if (!prompt) {
        printError("ask", QString::fromStdString(prompt.status().message()));
        return ExitFailure;
    }

    // 3. The answer, streamed (the thinking part to stderr).
    Answerer answerer(ao);
    if (!answerer.prepare(&error)) {
        printError("ask", error);
        return ExitFailure;
    }
    const AnswerOutcome out = answerer.answer(
        *prompt, ao.maxTokens,
        [&](bool reasoning, const QString &text) {
            if (json)
                return;
            QTextStream o(reasoning ? stderr : stdout);
            o << text;
            o.flush();
        },
        nullptr, conv->sessionId(), conv->anchor());
    if (!json) {
        QTextStream o(stdout);
        o << Qt::endl;
    }
    if (out.failed()) {
        printError("ask", out.error);
        return ExitFailure;
    }

    // 4. Citations, and 5. the saved turn.
    const ingest::CitationResolver resolver(conv->sources().contents);
    const std::vector<ingest::Citation> citations = resolver.resolve(out.content);
    const auto saved = conv->saveTurn(question, thinking, out, answerer.backendName(), citations,
                                      &error);
    if (!saved) {
        printError("ask", error);
        return ExitFailure;
    }

    if (json) {
        QTextStream(stdout) << QJsonDocument(
                                   QJsonObject{{"session", conv->sessionId()},
                                               {"message", saved->answer},
                                               {"answer", out.content},
                                               {"reasoning", out.reasoning},
                                               {"citations",
                                                analysis::citationsOutputJson(citations)},
                                               {"stats",
                                                analysis::answerStatsJson(out,
                                                                          answerer.backendName(),
                                                                          thinking)}})
                                   .toJson(QJsonDocument::Indented);
    } else {
        err << QStringLiteral("session %1 · %2 prompt tokens (%3 reused) · %4 tok/s · %5 of %6 "
                              "citations verified")
                   .arg(conv->sessionId())
                   .arg(out.promptTokens)
                   .arg(out.cachedTokens)
                   .arg(out.decodeRate(), 0, 'f', 1)
                   .arg(std::count_if(citations.begin(), citations.end(),
                                      [](const ingest::Citation &c) { return c.verified; }))
                   .arg(citations.size())
            << Qt::endl;
    }
    return ExitOk;
}

} // namespace folio::cli
