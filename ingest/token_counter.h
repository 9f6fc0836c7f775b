// Token counting for the packer: a small interface (the engine's tokenizer behind it when
// folio_tokenizer is built, see tokenizer_counter.h), a byte-based estimator for when no tokenizer is
// available, a cache of counts keyed by content id (a blob id: re-ingesting a later commit
// re-tokenizes only changed blobs), and a parallel "count all these pieces" helper.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

namespace folio::ingest {

class TokenCounter
{
public:
    virtual ~TokenCounter() = default;
    // Number of tokens of `utf8`. Must be safe to call from many threads at once.
    virtual std::size_t count(std::string_view utf8) const = 0;
    // What counts ("DeepSeek-V4 tokenizer (tokenizer.json)", "estimate: ...").
    virtual QString name() const = 0;
    // True when counts are the model's real token counts.
    virtual bool exact() const = 0;
};

// Used when no tokenizer is loaded: ceil(UTF-8 bytes / 4), a common rule of thumb for BPE
// vocabularies on code and English. Reported as an estimate everywhere it is used.
class ByteEstimateCounter final : public TokenCounter
{
public:
    std::size_t count(std::string_view utf8) const override { return (utf8.size() + 3) / 4; }
    QString name() const override { return QStringLiteral("estimate: ceil(UTF-8 bytes / 4)"); }
    bool exact() const override { return false; }
};

// content key → token counts of that content's pieces. Thread-safe. The key includes how the
// content was cut and rendered (see Packer), so one blob can have several entries.
class TokenCountCache
{
public:
    bool lookup(const QByteArray &key, std::vector<std::uint32_t> *counts) const;
    void insert(const QByteArray &key, std::vector<std::uint32_t> counts);
    std::size_t size() const;
    // Hits and misses since construction (tests check that an unchanged blob is not recounted).
    std::size_t hits() const;
    std::size_t misses() const;
    // Whole contents, for persisting (appcore stores it in the database; ingest only computes).
    QHash<QByteArray, std::vector<std::uint32_t>> entries() const;

private:
    mutable std::mutex m_mutex;
    QHash<QByteArray, std::vector<std::uint32_t>> m_map;
    mutable std::size_t m_hits = 0;
    mutable std::size_t m_misses = 0;
};

// Runs job(i) for i in [0, n) on up to `threads` threads (0 = hardware concurrency). Jobs are
// taken in order from a shared counter, so a few huge jobs do not starve the others.
void parallelFor(std::size_t n, unsigned threads, const std::function<void(std::size_t)> &job);

} // namespace folio::ingest
