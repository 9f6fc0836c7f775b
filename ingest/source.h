// The source interface (style rule 9, after Okular's generators): a git repository, a PDF, a text
// file or a plain folder is a Source subclass; opening returns a typed OpenStatus and reading fills
// a SourceContents with every included item and every skip with its reason. A new format is a new
// subclass; nothing else changes.
#pragma once

#include "ingest/filters.h"
#include "ingest/types.h"

#include <functional>
#include <memory>
#include <mutex>

namespace folio::ingest {

// Progress of one Source::read(): `done` of `total` paths or pages handled so far (included or
// skipped). `total` can grow while a read runs (a submodule adds its files; a folder's total is
// known once it has been listed). Called from the reading threads, but never two calls at once,
// and `done` never decreases; keep it cheap (store two atomics, post an event).
using ProgressCallback = std::function<void(qint64 done, qint64 total)>;

// The counter behind ProgressCallback, shared by the reading threads of one read.
class ReadProgress
{
public:
    void setCallback(ProgressCallback callback);
    void reset();               // a new read starts: done = total = 0 (no report)
    void addTotal(qint64 n);    // more paths or pages became known
    void advance(qint64 n = 1); // n more handled

private:
    void report(); // with m_mutex held
    std::mutex m_mutex;
    ProgressCallback m_callback;
    qint64 m_done = 0;
    qint64 m_total = 0;
};

class Source
{
public:
    virtual ~Source() = default;

    // Reports progress while read() runs (see ProgressCallback). Set before read(); empty = none.
    void setProgressCallback(ProgressCallback callback)
    {
        m_progress.setCallback(std::move(callback));
    }

    // A short name for messages ("repo", "book.pdf").
    virtual QString displayName() const = 0;

    // Checks that the source exists and can be read (opens the repository, loads and unlocks the
    // PDF). NeedsPassword, Damaged, NotFound... are results, not errors of the program.
    virtual OpenStatus open() = 0;

    // Reads everything, applying `filter`. Only after a successful open(). `cancel` may be null.
    virtual OpenStatus read(const FileFilter &filter, SourceContents *out,
                            const CancelFlag *cancel = nullptr)
        = 0;

protected:
    ReadProgress &progress() { return m_progress; }

private:
    ReadProgress m_progress;
};

// git's blob id of `bytes` (SHA-1 of "blob <n>\0" + bytes), hex: the token-count cache key for
// content that does not come from a git object database.
QByteArray blobIdOf(QByteArrayView bytes);

// A path given as bytes (git trees and POSIX file names are bytes) as a display string: valid UTF-8
// is decoded; otherwise every byte that is not part of valid UTF-8 is written as \xNN.
QString displayPath(QByteArrayView rawPath);

} // namespace folio::ingest
