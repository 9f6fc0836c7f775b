// TokenCounter over folio::Tokenizer. A loaded Tokenizer is immutable and thread-safe (see
// folio/tokenizer.h), so one instance serves all of the packer's counting threads.
#include "ingest/tokenizer_counter.h"

#include <QFile>

#ifdef FOLIO_INGEST_HAVE_TOKENIZER
#include "folio/tokenizer.h"
#endif

namespace folio::ingest {

#ifdef FOLIO_INGEST_HAVE_TOKENIZER

namespace {

class EngineTokenCounter final : public TokenCounter
{
public:
    EngineTokenCounter(std::shared_ptr<const folio::Tokenizer> tok, QString path)
        : m_tok(std::move(tok))
        , m_path(std::move(path))
    {}
    std::size_t count(std::string_view utf8) const override { return m_tok->count(utf8); }
    QString name() const override { return QStringLiteral("tokenizer %1").arg(m_path); }
    bool exact() const override { return true; }

private:
    std::shared_ptr<const folio::Tokenizer> m_tok;
    QString m_path;
};

} // namespace

bool haveEngineTokenizer()
{
    return true;
}

std::unique_ptr<TokenCounter> loadTokenizerCounter(const QString &path, QString *error)
{
    auto tok = folio::Tokenizer::load(QFile::encodeName(path).toStdString());
    if (!tok) {
        if (error)
            *error = QString::fromStdString(tok.status().message());
        return nullptr;
    }
    return std::make_unique<EngineTokenCounter>(std::move(tok).value(), path);
}

#else

bool haveEngineTokenizer()
{
    return false;
}

std::unique_ptr<TokenCounter> loadTokenizerCounter(const QString &path, QString *error)
{
    if (error)
        *error = QStringLiteral(
                     "cannot load %1: this build has no tokenizer library (folio_tokenizer)")
                     .arg(path);
    return nullptr;
}

#endif

} // namespace folio::ingest
