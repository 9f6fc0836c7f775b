// A PDF as a source, read through Poppler's core API (private to pdf_source.cpp): the text of every
// page in reading order with its printed page label, and the document's title, author and page
// count.
// Ligatures (ﬁ, ﬂ, ...) are expanded, soft hyphens removed, and words hyphenated across a line end
// joined. A page without a text layer is kept as an item with noText ("no text (scanned?)").
// Encrypted files open to NeedsPassword until given the right password; damaged ones to Damaged.
#pragma once

#include "ingest/source.h"

#include <memory>

namespace folio::ingest {

class PdfSource final : public Source
{
public:
    // `displayPath` is the path reported in the manifest (default: the file name).
    explicit PdfSource(QString filePath, QByteArray password = {}, QString displayPath = {});
    ~PdfSource() override;

    QString displayName() const override;
    OpenStatus open() override;
    OpenStatus read(const FileFilter &filter, SourceContents *out,
                    const CancelFlag *cancel = nullptr) override;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// The page-text normalisation described above, exposed for tests: expands ligatures, drops soft
// hyphens, joins "exam-\nple" into "example\n" (the rest of the line moves up with the word).
QString normalizePdfText(const QString &pageText);

} // namespace folio::ingest
