// Answers for ask and chat (see cli_answer.h).
#include "app/cli/cli_answer.h"

#include "app/app_info.h"
#include "app/cli/command.h"
#include "app/cli/device_options.h"
#include "app/remote/api_key_store.h"
#include "app/server/discovery.h"
#include "app/server/engine_backend.h"
#include "ingest/tokenizer_counter.h"

#include <QDir>
#include <QJsonObject>
#include <QTextStream>

#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <string>

namespace folio::cli {

namespace {

sigset_t interruptSet()
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    return s;
}

// "prefill [#########.......]  12288/32768 tok  1530 tok/s  ETA 13 s" on stderr, redrawn in place.
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

InterruptWatcher::InterruptWatcher()
{
    const sigset_t s = interruptSet();
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
    m_thread = std::thread([this] { run(); });
}

InterruptWatcher::~InterruptWatcher()
{
    m_quit = true;
    // The watcher sits in sigwait(): a SIGINT aimed at its thread wakes it to see m_quit.
    pthread_kill(m_thread.native_handle(), SIGINT);
    m_thread.join();
    const sigset_t s = interruptSet();
    pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

void InterruptWatcher::run()
{
    const sigset_t s = interruptSet();
    for (;;) {
        int sig = 0;
        if (sigwait(&s, &sig) != 0 || m_quit)
            return;
        std::lock_guard lock(m_mutex);
        if (m_armed) {
            m_fired = true;
            if (m_token)
                m_token->cancel();
        } else {
            std::fputs("\n(Ctrl+C stops an answer; /quit or Ctrl+D leaves)\n", stderr);
            std::fflush(stderr);
        }
    }
}

void InterruptWatcher::arm(server::CancelToken *token)
{
    std::lock_guard lock(m_mutex);
    m_token = token;
    m_armed = true;
    m_fired = false;
}

void InterruptWatcher::disarm()
{
    std::lock_guard lock(m_mutex);
    m_token = nullptr;
    m_armed = false;
}

void addSourceOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("repo"), QStringLiteral("A git repository (path or URL)."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("ref"), QStringLiteral("Branch, tag or commit (default HEAD)."),
                      QStringLiteral("REF")});
    parser.addOption({QStringLiteral("pdf"), QStringLiteral("A PDF (repeat for several)."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("session"),
                      QStringLiteral("Continue a saved session (id or exact title) on the branch "
                                     "it was last continued on."),
                      QStringLiteral("ID|NAME")});
}

std::optional<ingest::IngestRequest> sourceRequest(const QCommandLineParser &parser)
{
    ingest::IngestRequest ir;
    if (parser.isSet(QStringLiteral("repo"))) {
        ir.kind = ingest::IngestRequest::Kind::Repository;
        ir.git.location = parser.value(QStringLiteral("repo"));
        ir.git.ref = parser.value(QStringLiteral("ref"));
    } else if (parser.isSet(QStringLiteral("pdf"))) {
        ir.kind = ingest::IngestRequest::Kind::Pdf;
        ir.pdfs = parser.values(QStringLiteral("pdf"));
    } else {
        return std::nullopt;
    }
    return ir;
}

void addBackendOptions(QCommandLineParser &parser)
{
    parser.addOption(
        {QStringLiteral("model"), QStringLiteral("Local model directory."), QStringLiteral("DIR")});
    addDeviceOptions(parser);
    parser.addOption({QStringLiteral("endpoint"),
                      QStringLiteral("An OpenAI-compatible endpoint's base URL instead of a local "
                                     "model (DeepSeek's API, vLLM, SGLang, folio-cli serve)."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("api-model"),
                      QStringLiteral("Model name at the endpoint (deepseek-v4-flash, ...)."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("no-server"),
                      QStringLiteral("Load the model even if a local server already has it.")});
    parser.addOption({QStringLiteral("tokenizer"),
                      QStringLiteral("tokenizer.json for token counts with --endpoint (default: "
                                     "the --model directory's)."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("thinking"), QStringLiteral("Think before answering.")});
    parser.addOption({{QStringLiteral("n"), QStringLiteral("max-tokens")},
                      QStringLiteral("Longest answer in tokens (default 2048)."),
                      QStringLiteral("N"),
                      QStringLiteral("2048")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("Session database (default: the data "
                                     "directory's folio.db)."),
                      QStringLiteral("PATH")});
}

QString databasePath(const QCommandLineParser &parser)
{
    return parser.isSet(QStringLiteral("db"))
               ? parser.value(QStringLiteral("db"))
               : QDir(app::dataDirectory()).filePath(QStringLiteral("folio.db"));
}

std::unique_ptr<ingest::TokenCounter> loadCounter(const QCommandLineParser &parser, QString *error)
{
    QString path = parser.value(QStringLiteral("tokenizer"));
    if (path.isEmpty() && parser.isSet(QStringLiteral("model")))
        path = QDir(parser.value(QStringLiteral("model"))).filePath(QStringLiteral("tokenizer.json"));
    if (path.isEmpty()) {
        *error = QStringLiteral("--endpoint needs --tokenizer FILE for token counts");
        return nullptr;
    }
    return ingest::loadTokenizerCounter(path, error);
}

bool Answerer::optionsFrom(const QCommandLineParser &parser, Options *out, QString *usage)
{
    out->modelDir = parser.value(QStringLiteral("model"));
    out->endpoint = parser.value(QStringLiteral("endpoint"));
    out->apiModel = parser.value(QStringLiteral("api-model"));
    out->noServer = parser.isSet(QStringLiteral("no-server"));
    if (!deviceOptionsFrom(parser, out->engine, usage))
        return false;
    bool ok = false;
    out->maxTokens = parser.value(QStringLiteral("max-tokens")).toInt(&ok);
    if (!ok || out->maxTokens <= 0) {
        *usage = QStringLiteral("-n takes a positive number of tokens");
        return false;
    }
    if (out->modelDir.isEmpty() == out->endpoint.isEmpty()) {
        *usage = QStringLiteral("give either --model DIR or --endpoint URL --api-model NAME");
        return false;
    }
    if (!out->endpoint.isEmpty() && out->apiModel.isEmpty()) {
        *usage = QStringLiteral("--endpoint needs --api-model NAME");
        return false;
    }
    return true;
}

Answerer::Answerer(Options options)
    : m_options(std::move(options))
{}

Answerer::~Answerer() = default;

bool Answerer::prepare(QString *error)
{
    QTextStream err(stderr);
    std::optional<server::ServerInfo> local;
    if (!m_options.modelDir.isEmpty() && !m_options.noServer)
        local = server::findLocalServer(m_options.modelDir);
    if (!m_options.endpoint.isEmpty() || local) {
        remote::RemoteEndpoint ep;
        ep.baseUrl = local ? local->baseUrl : QUrl(m_options.endpoint);
        ep.model = local ? local->modelId : m_options.apiModel;
        ep.apiKey = qEnvironmentVariable("FOLIO_API_KEY");
        if (!local && ep.apiKey.isEmpty())
            ep.apiKey = remote::ApiKeyStore().key(ep.baseUrl);
        if (const remote::EndpointPreset *p = remote::presetForUrl(ep.baseUrl); p && !local)
            ep.thinking = p->thinking;
        m_backendName = local ? QStringLiteral("local server ") + ep.baseUrl.toString()
                              : ep.baseUrl.toString();
        m_localServer = local.has_value();
        if (local)
            err << "folio-cli: using the running server at " << ep.baseUrl.toString() << Qt::endl;
        m_remote = ep;
        return true;
    }
    server::EngineBackend::Options bo;
    bo.prefillProgress = [this](std::size_t done, std::size_t total) {
        if (m_options.progress)
            drawProgress(done, total, m_prefillClock.elapsed() / 1000.0);
    };
    bo.snapshots.databasePath = m_options.databasePath;
    bo.engine = m_options.engine;
    err << "folio-cli: loading " << m_options.modelDir << " ..." << Qt::endl;
    auto backend = server::EngineBackend::load(m_options.modelDir.toStdString(), bo);
    if (!backend) {
        *error = QString::fromStdString(backend.status().message());
        return false;
    }
    m_local = std::move(*backend);
    m_backendName = QStringLiteral("local engine");
    return true;
}

AnswerOutcome Answerer::answer(const analysis::AnalysisPrompt &prompt, int maxTokens,
                               const DeltaFn &onDelta, InterruptWatcher *interrupts, qint64 session,
                               qint64 branchTip)
{
    if (m_local)
        return answerLocal(prompt, maxTokens, onDelta, interrupts, session, branchTip);
    if (m_remote)
        return answerRemote(prompt, maxTokens, onDelta, interrupts);
    AnswerOutcome out;
    out.error = QStringLiteral("internal: no backend prepared");
    return out;
}

AnswerOutcome Answerer::answerRemote(const analysis::AnalysisPrompt &prompt, int maxTokens,
                                     const DeltaFn &onDelta, InterruptWatcher *interrupts)
{
    AnswerOutcome out;
    remote::RemoteRequest rr;
    // Earlier answers go back without their reasoning: DeepSeek's API refuses reasoning_content
    // in the input, and the V4 format drops it from earlier turns anyway.
    for (const chat::Message &m : prompt.messages)
        rr.messages.append(QJsonObject{{"role", QString::fromStdString(m.role)},
                                       {"content", QString::fromStdString(m.content)}});
    rr.thinking = prompt.options.mode == chat::ThinkingMode::Thinking;
    rr.maxTokens = maxTokens;
    QElapsedTimer clock;
    clock.start();
    auto delta = [&](bool reasoning, const QString &text) {
        if (out.firstTokenSeconds == 0)
            out.firstTokenSeconds = clock.elapsed() / 1000.0;
        (reasoning ? out.reasoning : out.content) += text;
        if (onDelta)
            onDelta(reasoning, text);
    };
    if (interrupts)
        interrupts->arm(nullptr);
    auto r = remote::OpenAiClient::runBlocking(*m_remote, rr, delta,
                                               interrupts ? &interrupts->firedFlag() : nullptr);
    if (interrupts)
        interrupts->disarm();
    if (auto *e = std::get_if<remote::RemoteError>(&r)) {
        if (e->kind == remote::RemoteError::Cancelled)
            out.stopped = true;
        else
            out.error = e->message;
        return out;
    }
    const remote::RemoteResult &res = std::get<remote::RemoteResult>(r);
    // The streamed pieces and the result agree; the result is what the endpoint settled on.
    out.content = res.content;
    out.reasoning = res.reasoning;
    out.promptTokens = res.promptTokens;
    out.cachedTokens = res.cachedPromptTokens;
    out.completionTokens = res.completionTokens;
    const double total = clock.elapsed() / 1000.0;
    out.prefillSeconds = out.firstTokenSeconds;
    out.decodeSeconds = total - out.firstTokenSeconds;
    // The endpoint says how much of the prompt it had cached, not whether from memory or a
    // stored snapshot.
    if (out.cachedTokens > 0)
        out.reuse = QStringLiteral("endpoint");
    return out;
}

AnswerOutcome Answerer::answerLocal(const analysis::AnalysisPrompt &prompt, int maxTokens,
                                    const DeltaFn &onDelta, InterruptWatcher *interrupts,
                                    qint64 session, qint64 branchTip)
{
    AnswerOutcome out;
    server::GenerationRequest gr;
    gr.messages = prompt.messages;
    gr.mode = prompt.options.mode;
    gr.maxTokens = maxTokens;
    gr.snapshotSession = session;
    gr.snapshotBranchTip = branchTip;
    server::CancelToken cancel;
    QElapsedTimer decodeClock;
    m_prefillClock.start();
    if (interrupts)
        interrupts->arm(&cancel);
    auto r = m_local->generate(
        gr,
        [&](server::DeltaKind kind, std::string_view text) {
            if (out.firstTokenSeconds == 0) {
                out.firstTokenSeconds = m_prefillClock.elapsed() / 1000.0;
                decodeClock.start();
            }
            const QString t = QString::fromUtf8(text.data(), qsizetype(text.size()));
            const bool reasoning = kind == server::DeltaKind::Reasoning;
            (reasoning ? out.reasoning : out.content) += t;
            if (onDelta)
                onDelta(reasoning, t);
            return true;
        },
        cancel);
    if (interrupts)
        interrupts->disarm();
    if (auto *f = std::get_if<server::ChatBackend::Failure>(&r)) {
        out.error = QString::fromStdString(f->status.message());
        return out;
    }
    const server::GenerationResult &g = std::get<server::GenerationResult>(r);
    out.stopped = g.finish == server::FinishReason::Cancelled;
    out.prefillSeconds = out.firstTokenSeconds > 0 ? out.firstTokenSeconds
                                                   : m_prefillClock.elapsed() / 1000.0;
    out.decodeSeconds = out.firstTokenSeconds > 0 ? decodeClock.elapsed() / 1000.0 : 0;
    out.promptTokens = g.promptTokens;
    out.cachedTokens = g.cachedPromptTokens;
    out.completionTokens = g.completionTokens;
    const server::PrefixStats &prefix = m_local->lastPrefix();
    out.reuse = server::PrefixStats::reuseName(prefix.reuse);
    out.snapshotId = prefix.snapshotId;
    out.restoreSeconds = prefix.restoreSeconds;
    out.snapshotsWritten = prefix.snapshotsWritten;
    out.snapshotIds = prefix.snapshotIds;
    // Not failures of the answer: said on stderr and kept in the stats.
    for (const QString &note : {prefix.snapshotProblem, prefix.snapshotWriteError})
        if (!note.isEmpty()) {
            out.snapshotNotes << note;
            QTextStream(stderr) << "folio-cli: " << note << Qt::endl;
        }
    return out;
}

} // namespace folio::cli
