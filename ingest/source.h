// The source interface (style rule 9, after Okular's generators): a git repository, a PDF, a text
// file or a plain folder is a Source subclass; opening returns a typed OpenStatus and reading fills
// a SourceContents with every included item and every skip with its reason. A new format is a new
// subclass; nothing else changes.
#pragma once

#include "ingest/filters.h"
#include "ingest/types.h"

#include <memory>

namespace folio::ingest {

class Source
{
public:
    virtual ~Source() = default;

    // A short name for messages ("repo", "book.pdf").
    virtual QString displayName() const = 0;

    // Checks that the source exists and can be read (opens the repository, loads and unlocks the
    // PDF). NeedsPassword, Damaged, NotFound... are results, not errors of the program.
    virtual OpenStatus open() = 0;

    // Reads everything, applying `filter`. Only after a successful open(). `cancel` may be null.
    virtual OpenStatus read(const FileFilter &filter, SourceContents *out,
                            const CancelFlag *cancel = nullptr)
        = 0;
};

// git's blob id of `bytes` (SHA-1 of "blob <n>\0" + bytes), hex: the token-count cache key for
// content that does not come from a git object database.
QByteArray blobIdOf(QByteArrayView bytes);

// A path given as bytes (git trees and POSIX file names are bytes) as a display string: valid UTF-8
// is decoded; otherwise every byte that is not part of valid UTF-8 is written as \xNN.
QString displayPath(QByteArrayView rawPath);

} // namespace folio::ingest
