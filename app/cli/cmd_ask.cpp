// folio-cli ask: one question about a repository or PDFs, without the GUI. Ingests the sources,
// packs them (ingest's packer), builds the analysis prompt (app/analysis), answers with the local
// engine — or with a running `folio-cli serve` of the same model (discovery file), or a remote
// OpenAI-compatible endpoint — streams the answer to stdout, resolves its citations against the
// sources, and saves question, answer and sources as a session in folio.db (`folio-cli session
// show` lists it; the GUI opens it).
#include "app/analysis/analysis_prompt.h"
#include "app/app_info.h"
#include "app/cli/command.h"
#include "app/remote/api_key_store.h"
#include "app/remote/openai_client.h"
#include "app/server/discovery.h"
#include "app/server/engine_backend.h"
#include "ingest/citations.h"
#include "ingest/ingest_run.h"
#include "ingest/packer.h"
#include "ingest/tokenizer_counter.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace folio::cli {

namespace {

struct AnswerOutcome
{
    QString content, reasoning, backend, error;
    int promptTokens = 0, cachedTokens = 0, completionTokens = 0;
    double prefillSeconds = 0, decodeSeconds = 0;
};

// "[#########.......]  12,288/32,768 tok  1,530 tok/s  ETA 13 s" on stderr, redrawn in place.
void drawProgress(std::size_t done, std::size_t total, double seconds)
{
    const double rate = seconds > 0 ? double(done) / seconds : 0;
    const double eta = rate > 0 ? double(total - done) / rate : 0;
    const int width = 30;
    const int filled = total ? int(double(width) * double(done) / double(total)) : width;
    std::fprintf(stderr, "\rprefill [%s%s] %zu/%zu tok  %.0f tok/s  ETA %.0f s   ",
                 std::string(size_t(filled), '#').c_str(),
                 std::string(size_t(width - filled), '.').c_str(), done, total, rate, eta);
    if (done >= total)
        std::fputc('\n', stderr);
    std::fflush(stderr);
}

} // namespace

int runAsk(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Ask one question about a repository or PDFs. The answer streams to stdout; progress and "
        "errors go to stderr. The question, answer, citations and sources are saved as a "
        "session."));
    parser.addPositionalArgument(QStringLiteral("question"), QStringLiteral("The question."));
    parser.addOption({QStringLiteral("repo"), QStringLiteral("A git repository (path or URL)."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("ref"), QStringLiteral("Branch, tag or commit (default HEAD)."),
                      QStringLiteral("REF")});
    parser.addOption({QStringLiteral("pdf"), QStringLiteral("A PDF (repeat for several)."),
                      QStringLiteral("FILE")});
    parser.addOption(
        {QStringLiteral("model"), QStringLiteral("Local model directory."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("endpoint"),
                      QStringLiteral("An OpenAI-compatible endpoint's base URL instead of a local "
                                     "model (DeepSeek's API, vLLM, SGLang, folio-cli serve)."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("api-model"),
                      QStringLiteral("Model name at the endpoint (deepseek-v4-flash, ...)."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("tokenizer"),
                      QStringLiteral("tokenizer.json for token counts with --endpoint (default: "
                                     "the --model directory's)."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("thinking"), QStringLiteral("Think before answering.")});
    parser.addOption({{QStringLiteral("n"), QStringLiteral("max-tokens")},
                      QStringLiteral("Longest answer in tokens (default 2048)."),
                      QStringLiteral("N"),
                      QStringLiteral("2048")});
    parser.addOption(
        {QStringLiteral("json"),
         QStringLiteral("Print one JSON object: answer, reasoning, citations, stats.")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("Session database (default: the data "
                                     "directory's folio.db)."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("no-server"),
                      QStringLiteral("Load the model even if a local server already has it.")});
    if (int rc = parseOrExit(parser, args, "ask"); rc >= 0)
        return rc;

    const QString question = parser.positionalArguments().join(QLatin1Char(' ')).trimmed();
    const bool haveRepo = parser.isSet(QStringLiteral("repo"));
    const bool havePdf = parser.isSet(QStringLiteral("pdf"));
    const QString modelDir = parser.value(QStringLiteral("model"));
    const QString endpoint = parser.value(QStringLiteral("endpoint"));
    bool ok = false;
    const int maxTokens = parser.value(QStringLiteral("max-tokens")).toInt(&ok);
    if (question.isEmpty() || haveRepo == havePdf || modelDir.isEmpty() == endpoint.isEmpty() || !ok
        || maxTokens <= 0 || (!endpoint.isEmpty() && !parser.isSet(QStringLiteral("api-model")))) {
        printError("ask", QStringLiteral("usage: ask (--repo PATH [--ref REF] | --pdf FILE...) "
                                         "(--model DIR | --endpoint URL --api-model NAME) "
                                         "[--thinking] [-n N] [--json] \"question\""));
        return ExitUsage;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    const bool thinking = parser.isSet(QStringLiteral("thinking"));
    const bool tty = isatty(fileno(stderr));
    QTextStream err(stderr);

    // 1. Ingest.
    ingest::IngestRequest ir;
    if (haveRepo) {
        ir.kind = ingest::IngestRequest::Kind::Repository;
        ir.git.location = parser.value(QStringLiteral("repo"));
        ir.git.ref = parser.value(QStringLiteral("ref"));
    } else {
        ir.kind = ingest::IngestRequest::Kind::Pdf;
        ir.pdfs = parser.values(QStringLiteral("pdf"));
    }
    const ingest::IngestOutcome in = ingest::runIngest(ir);
    if (!in.status.ok()) {
        printError("ask", QStringLiteral("%1: %2").arg(in.failedSource, in.status.message));
        return ExitFailure;
    }

    // 2. Pack, with Folio's tokenizer (the budget is counted here even for remote endpoints).
    QString tokPath = parser.value(QStringLiteral("tokenizer"));
    if (tokPath.isEmpty() && !modelDir.isEmpty())
        tokPath = QDir(modelDir).filePath(QStringLiteral("tokenizer.json"));
    if (tokPath.isEmpty()) {
        printError("ask", QStringLiteral("--endpoint needs --tokenizer FILE for token counts"));
        return ExitUsage;
    }
    QString error;
    std::unique_ptr<ingest::TokenCounter> counter = ingest::loadTokenizerCounter(tokPath, &error);
    if (!counter) {
        printError("ask", error);
        return ExitFailure;
    }
    ingest::PackOptions po;
    po.lineNumbers = true; // so the model can cite lines
    po.answerReserve = maxTokens;
    const ingest::PackResult pack = ingest::Packer(*counter).pack(in.sources, po);
    if (pack.overBudget) {
        QString msg = QStringLiteral("the sources are %1 tokens; the budget is %2.")
                          .arg(pack.totalTokens())
                          .arg(pack.budget);
        for (const ingest::Suggestion &s : pack.suggestions)
            msg += QStringLiteral("\n  --exclude '%1'  (%2, saves %3 tokens)")
                       .arg(s.exclude, s.reason)
                       .arg(s.tokens);
        printError("ask", msg);
        return ExitFailure;
    }

    // 3. The prompt, and 4. the answer.
    auto prompt = analysis::buildAnalysisPrompt(pack.text, {}, question, thinking);
    if (!prompt) {
        printError("ask", QString::fromStdString(prompt.status().message()));
        return ExitFailure;
    }
    AnswerOutcome out;
    auto printDelta = [&](bool reasoning, const QString &text) {
        if (json)
            return;
        QTextStream o(reasoning ? stderr : stdout);
        o << text;
        o.flush();
    };

    // A running local server with this model, or the endpoint given: over HTTP.
    std::optional<server::ServerInfo> local;
    if (!modelDir.isEmpty() && !parser.isSet(QStringLiteral("no-server")))
        local = server::findLocalServer(modelDir);
    if (!endpoint.isEmpty() || local) {
        remote::RemoteEndpoint ep;
        ep.baseUrl = local ? local->baseUrl : QUrl(endpoint);
        ep.model = local ? local->modelId : parser.value(QStringLiteral("api-model"));
        ep.apiKey = qEnvironmentVariable("FOLIO_API_KEY");
        if (!local && ep.apiKey.isEmpty())
            ep.apiKey = remote::ApiKeyStore().key(ep.baseUrl);
        if (const remote::EndpointPreset *p = remote::presetForUrl(ep.baseUrl); p && !local)
            ep.thinking = p->thinking;
        out.backend = local ? QStringLiteral("local server ") + ep.baseUrl.toString()
                            : ep.baseUrl.toString();
        if (local)
            err << "folio-cli ask: using the running server at " << ep.baseUrl.toString()
                << Qt::endl;
        remote::RemoteRequest rr;
        rr.messages = QJsonArray{QJsonObject{{"role", "system"},
                                             {"content",
                                              QString::fromStdString(prompt->messages[0].content)}},
                                 QJsonObject{{"role", "user"}, {"content", question}}};
        rr.thinking = thinking;
        rr.maxTokens = maxTokens;
        QElapsedTimer t;
        t.start();
        auto r = remote::OpenAiClient::runBlocking(ep, rr, printDelta);
        if (auto *e = std::get_if<remote::RemoteError>(&r)) {
            printError("ask", e->message);
            return ExitFailure;
        }
        const remote::RemoteResult &res = std::get<remote::RemoteResult>(r);
        out.content = res.content;
        out.reasoning = res.reasoning;
        out.promptTokens = res.promptTokens;
        out.cachedTokens = res.cachedPromptTokens;
        out.completionTokens = res.completionTokens;
        out.decodeSeconds = t.elapsed() / 1000.0;
    } else {
        server::EngineBackend::Options bo;
        QElapsedTimer prefillClock;
        bo.prefillProgress = [&](std::size_t done, std::size_t total) {
            if (tty && !json)
                drawProgress(done, total, prefillClock.elapsed() / 1000.0);
        };
        err << "folio-cli ask: loading " << modelDir << " ..." << Qt::endl;
        auto backend = server::EngineBackend::load(modelDir.toStdString(), bo);
        if (!backend) {
            printError("ask", QString::fromStdString(backend.status().message()));
            return ExitFailure;
        }
        out.backend = QStringLiteral("local engine");
        server::GenerationRequest gr;
        gr.messages = prompt->messages;
        gr.mode = prompt->options.mode;
        gr.maxTokens = maxTokens;
        server::CancelToken cancel;
        QElapsedTimer decodeClock;
        bool first = true;
        prefillClock.start();
        auto r = (*backend)->generate(
            gr,
            [&](server::DeltaKind kind, std::string_view text) {
                if (first) {
                    out.prefillSeconds = prefillClock.elapsed() / 1000.0;
                    decodeClock.start();
                    first = false;
                }
                const QString t = QString::fromUtf8(text.data(), qsizetype(text.size()));
                (kind == server::DeltaKind::Reasoning ? out.reasoning : out.content) += t;
                printDelta(kind == server::DeltaKind::Reasoning, t);
                return true;
            },
            cancel);
        if (auto *f = std::get_if<server::ChatBackend::Failure>(&r)) {
            printError("ask", QString::fromStdString(f->status.message()));
            return ExitFailure;
        }
        const server::GenerationResult &g = std::get<server::GenerationResult>(r);
        if (first)
            out.prefillSeconds = prefillClock.elapsed() / 1000.0;
        out.decodeSeconds = first ? 0 : decodeClock.elapsed() / 1000.0;
        out.promptTokens = g.promptTokens;
        out.cachedTokens = g.cachedPromptTokens;
        out.completionTokens = g.completionTokens;
    }
    if (!json) {
        QTextStream o(stdout);
        o << Qt::endl;
    }

    // 5. Citations.
    const ingest::CitationResolver resolver(in.sources);
    const std::vector<ingest::Citation> citations = resolver.resolve(out.content);
    QJsonArray citationsJson;
    for (const ingest::Citation &c : citations) {
        QJsonObject o{{"text", c.text}, {"verified", c.verified}};
        if (c.verified) {
            o.insert("location", c.location);
            o.insert("source", c.source);
            o.insert("path", c.path);
            if (c.page > 0)
                o.insert("page", c.page);
            else {
                o.insert("line_begin", c.lineBegin);
                o.insert("line_end", c.lineEnd);
            }
        } else {
            o.insert("detail", c.detail);
        }
        citationsJson.append(o);
    }

    // 6. Save the session.
    const QString dbPath = parser.isSet(QStringLiteral("db"))
                               ? parser.value(QStringLiteral("db"))
                               : QDir(app::dataDirectory()).filePath(QStringLiteral("folio.db"));
    auto db = storage::Database::open(dbPath);
    if (!db.ok()) {
        printError("ask", QStringLiteral("cannot open %1: %2").arg(dbPath, db.status().message()));
        return ExitFailure;
    }
    storage::SessionStore sessions(**db);
    storage::MessageStore messages(**db);
    storage::Session session;
    session.title = question.left(80);
    auto created = sessions.create(session);
    if (!created.ok()) {
        printError("ask", created.status().message());
        return ExitFailure;
    }
    for (size_t i = 0; i < in.sources.size(); ++i) {
        const ingest::SourceContents &sc = in.sources[i];
        storage::Source src;
        src.sessionId = created.value().id;
        src.position = int(i);
        src.kind = haveRepo ? QStringLiteral("git") : QStringLiteral("pdf");
        src.uri = sc.root;
        src.revision = sc.revision;
        src.tokenCount = i < pack.sourceTokens.size() ? pack.sourceTokens[i] : 0;
        sessions.addSource(src);
    }
    const double decodeRate = out.decodeSeconds > 0 ? out.completionTokens / out.decodeSeconds : 0;
    const double prefillRate = out.prefillSeconds > 0
                                   ? (out.promptTokens - out.cachedTokens) / out.prefillSeconds
                                   : 0;
    const QJsonObject stats{{"prompt_tokens", out.promptTokens},
                            {"cached_prompt_tokens", out.cachedTokens},
                            {"completion_tokens", out.completionTokens},
                            {"prefill_tokens_per_s", prefillRate},
                            {"decode_tokens_per_s", decodeRate},
                            {"snapshot_reused", out.cachedTokens > 0},
                            {"backend", out.backend}};
    storage::Message q;
    q.sessionId = created.value().id;
    q.role = QStringLiteral("user");
    q.content = question;
    auto qm = messages.add(q);
    storage::Message a;
    a.sessionId = created.value().id;
    a.parentId = qm.ok() ? qm.value().id : 0;
    a.role = QStringLiteral("assistant");
    a.content = out.content;
    a.reasoning = out.reasoning;
    a.citationsJson = QString::fromUtf8(QJsonDocument(citationsJson).toJson(QJsonDocument::Compact));
    a.promptTokens = out.promptTokens;
    a.completionTokens = out.completionTokens;
    a.statsJson = QString::fromUtf8(QJsonDocument(stats).toJson(QJsonDocument::Compact));
    auto am = messages.add(a);
    if (!qm.ok() || !am.ok()) {
        printError("ask", (!qm.ok() ? qm.status() : am.status()).message());
        return ExitFailure;
    }

    if (json) {
        QTextStream(stdout) << QJsonDocument(QJsonObject{{"session", created.value().id},
                                                         {"answer", out.content},
                                                         {"reasoning", out.reasoning},
                                                         {"citations", citationsJson},
                                                         {"stats", stats}})
                                   .toJson(QJsonDocument::Indented);
    } else {
        err << QStringLiteral("session %1 · %2 prompt tokens (%3 reused) · %4 tok/s · %5 of %6 "
                              "citations verified")
                   .arg(created.value().id)
                   .arg(out.promptTokens)
                   .arg(out.cachedTokens)
                   .arg(decodeRate, 0, 'f', 1)
                   .arg(std::count_if(citations.begin(), citations.end(),
                                      [](const ingest::Citation &c) { return c.verified; }))
                   .arg(citations.size())
            << Qt::endl;
    }
    return ExitOk;
}

} // namespace folio::cli
