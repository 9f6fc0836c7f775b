// The packer: renders the selected sources into the packed-sources part of the system prompt
// (docs/architecture.md, "Prompt layout"), deterministically, and keeps the span map from token
// ranges to source locations.
//
// Rendering (docs/ingest.md has the exact bytes):
//   <source 0: NAME (git COMMIT)>            one line per source, in the order given
//   --- src/a.cpp ---                         one header line per file, files sorted by path
//   ...content, cut into pieces of at most PackOptions::linesPerSpan lines...
//   --- book.pdf p.7 [vii] ---               one header per PDF page with its printed label
// Content always ends with a newline (one is added when the file lacks it). In line-numbered mode
// every content line is prefixed with its number ("  12| "), so the model can cite lines; the cost of
// the prefixes is reported (lineNumberTokens).
//
// Token ranges: every piece (a header or a content piece, each ending in "\n") is counted on its
// own and the ranges are the running sums. A consumer that wants ranges to match its token ids
// exactly tokenizes the pieces one by one (PackResult::pieces) and concatenates the ids.
// Counts are cached by content id (git blob id) + rendering mode: re-packing a later commit counts
// only the blobs that changed.
#pragma once

#include "ingest/token_counter.h"
#include "ingest/types.h"

#include <vector>

namespace folio::ingest {

struct PackOptions
{
    bool lineNumbers = false;
    qint64 contextTokens = 1048576; // the model's context (1M for V4-Flash) or the user's limit
    qint64 answerReserve = 32768;   // kept free for the answer
    int linesPerSpan = 64;          // granularity of the span map for files
    // A line longer than this is cut into pieces of at most this many bytes (at UTF-8 character
    // boundaries; the spans of its pieces all name that line). A tokenizer's time and memory grow
    // with the longest word it is given: `folio-cli ingest` of a 100 MB line without spaces peaked
    // at 3.2 GB with the line in one piece, 0.49 GB in 1 MiB pieces.
    qsizetype maxPieceLineBytes = qsizetype(1) << 20;
    unsigned threads = 0; // counting threads; 0 = hardware concurrency
};

// One entry of the span map (see spanMapJson for the JSON).
struct Span
{
    qint64 tokBegin = 0;
    qint64 tokEnd = 0;
    int source = 0;
    QString path;
    int lineBegin = 0; // files: 1-based, inclusive
    int lineEnd = 0;
    int page = 0; // PDF pages: physical, 1-based
    QString label;
};

// One rendered piece of the context.
struct Piece
{
    qint64 byteBegin = 0;
    qint64 byteEnd = 0;
    qint64 tokBegin = 0;
    qint64 tokEnd = 0;
    bool content = false; // false: a header the packer added
};

struct ItemTokens
{
    qint64 tokens = 0; // content tokens (without line numbers)
    qint64 headerTokens = 0;
    qint64 lineNumberTokens = 0; // extra cost of the line-number prefixes (numbered mode)
};

struct DirectoryTokens
{
    int source = 0;
    QString path; // "src/core" (no trailing slash); "" is the source's root
    qint64 tokens = 0;
};

// A ranked exclusion offered when over budget.
struct Suggestion
{
    QString exclude;       // a glob for --exclude
    QString reason;        // "generated", "tests", "largest directory", "largest document"
    qint64 tokens = 0;     // tokens it would save on its own (content + headers)
    qint64 totalAfter = 0; // total after applying this and every suggestion ranked above it
};

struct PackResult
{
    QByteArray text; // the rendered packed sources, UTF-8
    std::vector<Piece> pieces;
    std::vector<Span> spans;
    std::vector<std::vector<ItemTokens>> items; // [source][item], parallel to SourceContents::items
    std::vector<qint64> sourceTokens;           // content tokens per source (document totals)
    std::vector<DirectoryTokens> directories;   // sorted by tokens, descending
    qint64 contentTokens = 0;                   // sum of the items' tokens
    qint64 overheadTokens = 0;                  // headers + line numbers
    qint64 lineNumberTokens = 0;
    qint64 budget = 0; // context − answer reserve
    bool overBudget = false;
    std::vector<Suggestion> suggestions; // only when over budget

    qint64 totalTokens() const { return contentTokens + overheadTokens; }
};

class Packer
{
public:
    // `cache` may be null (no caching). Both must outlive the packer.
    explicit Packer(const TokenCounter &counter, TokenCountCache *cache = nullptr);

    PackResult pack(const std::vector<SourceContents> &sources, const PackOptions &options) const;

private:
    const TokenCounter &m_counter;
    TokenCountCache *m_cache;
};

// The span map in the JSON form of docs/architecture.md:
// {"version":1,"spans":[{"tok_begin":N,"tok_end":N,"source":ID,"path":"src/a.cpp","line_begin":N,
//  "line_end":N} | {...,"path":"book.pdf","page":7,"label":"vii"}]}
QByteArray spanMapJson(const PackResult &result);

// Parses spanMapJson's output back (the citation resolver and storage read it). Empty + `*error`
// on malformed input.
std::vector<Span> parseSpanMap(const QByteArray &json, QString *error);

// Header lines exactly as rendered (exposed for the tests and the docs).
QByteArray sourceHeader(int index, const SourceContents &source);
QByteArray itemHeader(const SourceItem &item);

} // namespace folio::ingest
