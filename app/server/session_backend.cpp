// Folio sessions over the API (see session_backend.h).
#include "app/server/session_backend.h"

#include "app/logging.h"
#include "app/server/engine_backend.h"
#include "ingest/citations.h"
#include "storage/session_store.h"

#include <QElapsedTimer>

#include <algorithm>

namespace folio::server {

namespace {

// What the sources of a session are made of: a restored copy is reused only while this is the
// same (the GUI may add or remove a source of a session the server has cached).
QString sourcesSignature(storage::Database &db, qint64 sessionId)
{
    auto records = storage::SessionStore(db).sources(sessionId);
    if (!records.ok())
        return {};
    QString sig;
    for (const storage::Source &s : *records)
        sig += QStringLiteral("%1|%2|%3|%4|%5\n")
                   .arg(s.id)
                   .arg(s.kind, s.uri, s.revision, s.filtersJson);
    return sig;
}

} // namespace

SessionBackend::SessionBackend(std::shared_ptr<ChatBackend> inner, Options options)
    : m_inner(std::move(inner))
    , m_options(std::move(options))
{}

SessionBackend::~SessionBackend() = default;

std::optional<ChatBackend::Failure> SessionBackend::openSession(
    const GenerationRequest &request, analysis::Conversation **conversation)
{
    QString error;
    if (!m_conversation) {
        m_conversation = analysis::Conversation::open(m_options.databasePath, &error);
        if (!m_conversation)
            return Failure{Status::error(error.toStdString()), false};
    }
    analysis::Conversation &conv = *m_conversation;
    if (!conv.resume(QString::fromStdString(request.session), &error))
        return Failure{Status::error("folio_session: " + error.toStdString()), true};

    const QString signature = sourcesSignature(conv.database(), conv.sessionId());
    for (auto it = m_cache.begin(); it != m_cache.end(); ++it) {
        if (it->sessionId != conv.sessionId())
            continue;
        if (it->signature == signature) {
            conv.setSources(it->sources);
            m_cache.splice(m_cache.begin(), m_cache, it);
            *conversation = &conv;
            return std::nullopt;
        }
        m_cache.erase(it);
        break;
    }
    if (!m_options.counter)
        return Failure{Status::error("this server has no tokenizer to pack session sources"), false};
    QStringList notes;
    // Room for the answer when packing: what the request asks for (the server's default when it
    // asks nothing), but at most a quarter of the context — the engine caps the answer to what
    // the prompt leaves anyway.
    const int asked = request.maxTokens > 0 ? request.maxTokens : 4096;
    const int reserve = std::max(1, std::min(asked, contextTokens() / 4));
    if (!conv.restoreSources(*m_options.counter, contextTokens(), reserve, &notes, &error))
        return Failure{Status::error("folio_session: " + error.toStdString()), true};
    for (const QString &note : notes)
        qCInfo(lcApp) << "session" << conv.sessionId() << note;
    m_cache.push_front({conv.sessionId(), signature, conv.sources()});
    while (int(m_cache.size()) > std::max(1, m_options.keepSources))
        m_cache.pop_back();
    *conversation = &conv;
    return std::nullopt;
}

std::variant<GenerationResult, ChatBackend::Failure> SessionBackend::generate(
    const GenerationRequest &request, const DeltaSink &onDelta, const CancelToken &cancel)
{
    if (request.session.empty())
        return m_inner->generate(request, onDelta, cancel);
    if (request.messages.empty() || request.messages.back().role != "user")
        return Failure{Status::error("folio_session: the last message must be the user's question "
                                     "(it is stored in the session with the answer)"),
                       true};
    analysis::Conversation *conv = nullptr;
    if (std::optional<Failure> f = openSession(request, &conv))
        return *f;

    // The session's analysis system prompt goes first, so its state is the shared prefix that
    // the engine (and a KV snapshot) reuses across requests on the same session.
    GenerationRequest inner = request;
    inner.session.clear();
    // The engine's KV snapshots belong to this session and branch (saveTurn ties them to the turn).
    inner.snapshotSession = conv->sessionId();
    inner.snapshotBranchTip = conv->anchor();
    chat::Message system;
    system.role = "system";
    system.content = analysis::systemPromptText(conv->sources().packed);
    inner.messages.insert(inner.messages.begin(), std::move(system));

    analysis::AnswerOutcome out;
    QElapsedTimer clock, decodeClock;
    clock.start();
    auto r = m_inner->generate(
        inner,
        [&](DeltaKind kind, std::string_view text) {
            if (out.firstTokenSeconds == 0) {
                out.firstTokenSeconds = std::max(1e-6, clock.elapsed() / 1000.0);
                decodeClock.start();
            }
            (kind == DeltaKind::Reasoning ? out.reasoning : out.content)
                += QString::fromUtf8(text.data(), qsizetype(text.size()));
            return onDelta(kind, text);
        },
        cancel);
    if (std::holds_alternative<Failure>(r))
        return r;
    const GenerationResult &g = std::get<GenerationResult>(r);
    out.stopped = g.finish == FinishReason::Cancelled;
    if (out.stopped && out.content.isEmpty() && out.reasoning.isEmpty())
        return r; // nothing was answered (the client left while waiting): nothing to store
    out.promptTokens = g.promptTokens;
    out.cachedTokens = g.cachedPromptTokens;
    out.completionTokens = g.completionTokens;
    out.prefillSeconds = out.firstTokenSeconds;
    out.decodeSeconds = out.firstTokenSeconds > 0 ? decodeClock.elapsed() / 1000.0 : 0;
    if (const auto *engine = dynamic_cast<const EngineBackend *>(m_inner.get())) {
        const PrefixStats &prefix = engine->lastPrefix();
        out.reuse = PrefixStats::reuseName(prefix.reuse);
        out.snapshotId = prefix.snapshotId;
        out.restoreSeconds = prefix.restoreSeconds;
        out.snapshotsWritten = prefix.snapshotsWritten;
        out.snapshotIds = prefix.snapshotIds;
    } else if (out.cachedTokens > 0) {
        out.reuse = QStringLiteral("memory");
    }

    const ingest::CitationResolver resolver(conv->sources().contents);
    const std::vector<ingest::Citation> citations = resolver.resolve(out.content);
    QString error;
    const QString question = QString::fromStdString(request.messages.back().content);
    if (!conv->saveTurn(question, request.mode == chat::ThinkingMode::Thinking, out,
                        QStringLiteral("folio-cli serve (%1)").arg(QString::fromStdString(modelId())),
                        citations, &error))
        // The client has its answer already (perhaps streamed); only the stored copy is missing.
        qCWarning(lcApp) << "could not store the answer in session" << conv->sessionId() << ":"
                         << error;
    return r;
}

} // namespace folio::server
