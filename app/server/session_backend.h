// Folio sessions over the OpenAI-compatible API. A request that names a saved session — the
// extension field `"folio_session": "<id or title>"`, or the model name `folio:session/<id>` for
// clients that cannot add fields — is answered on that session: its sources (read again from
// storage and packed, as `folio-cli ask --session` does) become the analysis system prompt in
// front of the request's messages, and the request's last question and the answer are appended to
// the session's current branch with their citations resolved, so the GUI and `folio-cli chat` see
// the turn. The client still owns the conversation: its messages are the prompt (the session's
// stored turns are not added), as with any OpenAI endpoint.
//
// A decorator: it wraps any ChatBackend (the engine, or the tests' scripted one) and passes other
// requests through untouched. It runs on the server's single worker thread like the backend it
// wraps, so it owns its database connection and its cache without locks. Restored sources are
// kept per session (the last few), so a client asking again does not re-read a repository.
#pragma once

#include "app/analysis/conversation.h"
#include "app/server/server_backend.h"

#include <QString>

#include <list>
#include <memory>

namespace folio::ingest {
class TokenCounter;
}

namespace folio::server {

class SessionBackend : public ChatBackend
{
public:
    struct Options
    {
        QString databasePath;                                // folio.db
        std::shared_ptr<const ingest::TokenCounter> counter; // the model's tokenizer
        int keepSources = 4; // sessions whose restored sources are kept
    };

    SessionBackend(std::shared_ptr<ChatBackend> inner, Options options);
    ~SessionBackend() override;

    std::string modelId() const override { return m_inner->modelId(); }
    int contextTokens() const override { return m_inner->contextTokens(); }
    std::variant<GenerationResult, Failure> generate(const GenerationRequest &request,
                                                     const DeltaSink &onDelta,
                                                     const CancelToken &cancel) override;

private:
    struct CachedSources
    {
        qint64 sessionId = 0;
        QString signature; // the source records it was restored from
        analysis::SessionSources sources;
    };
    // The session `request.session` names, with its sources; a Failure when it cannot be used.
    std::optional<Failure> openSession(const GenerationRequest &request,
                                       analysis::Conversation **conversation);

    std::shared_ptr<ChatBackend> m_inner;
    Options m_options;
    std::unique_ptr<analysis::Conversation> m_conversation; // the database connection
    std::list<CachedSources> m_cache;                       // most recently used first
};

} // namespace folio::server
