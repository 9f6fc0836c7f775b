// The citation resolver: finds the references in an answer — `path:12`, `path:12-30`,
// `file.pdf p.7` (or `pp.7-9`, a printed label such as `p.vii`) and quoted passages ("..." or “...”,
// at least 15 characters) — and checks each against the sources: the file exists and has those
// lines, the PDF has that page, the quote occurs (whitespace-insensitive: runs of spaces and line
// breaks compare equal). Each comes back verified with its exact location, or unverified with why.
//
// Path matching: the cited path equals an included path, or is a unique suffix of one at a '/'
// ("main.cpp:3" finds "src/main.cpp" when no other main.cpp exists). Page numbers: a number is the
// physical page when the PDF has that many pages, else a printed label; anything else is a label.
#pragma once

#include "ingest/types.h"

#include <memory>
#include <vector>

namespace folio::ingest {

struct Citation
{
    enum Kind { Lines, Page, Quote };
    Kind kind = Lines;
    QString text;         // as written in the answer
    qsizetype offset = 0; // position in the answer (QString index)
    bool verified = false;
    QString location;  // verified: "src/a.cpp:12-30", "book.pdf p.7 [vii]"
    QString detail;    // unverified: why ("no file named x.cpp in the sources")
    int source = -1;   // verified: index of the source
    QString path;      // verified: the full path
    int lineBegin = 0; // verified Lines and Quote-in-file
    int lineEnd = 0;
    int page = 0; // verified Page and Quote-in-PDF
    QString label;
};

class CitationResolver
{
public:
    explicit CitationResolver(const std::vector<SourceContents> &sources);
    ~CitationResolver();
    CitationResolver(const CitationResolver &) = delete;
    CitationResolver &operator=(const CitationResolver &) = delete;

    // Every citation in `answer`, in order of appearance.
    std::vector<Citation> resolve(const QString &answer) const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace folio::ingest
