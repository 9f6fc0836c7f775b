// Packer (see packer.h). Two passes: (1) per item, in parallel: cut into pieces, render, count (or
// take the counts from the cache); (2) sequentially: concatenate in order, assign token ranges,
// build the span map, the per-directory totals and, when over budget, the exclusion suggestions.
#include "ingest/packer.h"

#include "ingest/filters.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>
#include <set>

namespace folio::ingest {

namespace {

struct Chunk
{
    qsizetype begin = 0; // byte range in the item's text
    qsizetype end = 0;
    int lineBegin = 0;
    int lineEnd = 0;
    bool continued = false;        // starts inside line lineBegin (a long line was cut)
    std::uint32_t tokens = 0;      // as rendered
    std::uint32_t plainTokens = 0; // without line numbers
    QByteArray numbered;           // rendered text in numbered mode
};

struct Prepared
{
    QByteArray header;
    std::uint32_t headerTokens = 0;
    std::vector<Chunk> chunks;
    bool addNewline = false; // the text lacks a final newline; the renderer adds one
};

int digits(int n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        ++d;
    }
    return d;
}

std::uint32_t countOf(const TokenCounter &c, QByteArrayView v)
{
    return std::uint32_t(c.count(std::string_view(v.data(), size_t(v.size()))));
}

// The plain text of a chunk as rendered (with the final newline the renderer adds, if any).
QByteArray plainChunk(const SourceItem &item, const Chunk &c, bool lastWithNewline)
{
    QByteArray b = item.text.mid(c.begin, c.end - c.begin);
    if (lastWithNewline)
        b.append('\n');
    return b;
}

QByteArray numberChunk(const SourceItem &item, const Chunk &c, int width, bool lastWithNewline)
{
    QByteArray out;
    out.reserve((c.end - c.begin) + (c.lineEnd - c.lineBegin + 1) * (width + 2) + 1);
    int line = c.lineBegin;
    qsizetype pos = c.begin;
    bool numbered = !c.continued; // a piece that continues a cut line has no number before it
    while (pos < c.end) {
        qsizetype nl = item.text.indexOf('\n', pos);
        if (nl < 0 || nl >= c.end)
            nl = c.end - 1; // the file's last line without a newline, or a line cut here
        if (numbered) {
            out += QByteArray::number(line).rightJustified(width, ' ');
            out += "| ";
        }
        out += QByteArrayView(item.text).sliced(pos, nl - pos + 1);
        pos = nl + 1;
        ++line;
        numbered = true;
    }
    if (lastWithNewline)
        out.append('\n');
    return out;
}

void prepare(const SourceItem &item, const PackOptions &opt, const TokenCounter &counter,
             TokenCountCache *cache, Prepared *p)
{
    p->header = itemHeader(item);
    p->headerTokens = countOf(counter, p->header);
    if (item.kind == ItemKind::Symlink || item.text.isEmpty())
        return;
    const QByteArray &t = item.text;
    p->addNewline = !t.endsWith('\n');
    // Pieces: a PDF page is one piece; a file is cut every linesPerSpan lines, and inside a line
    // longer than maxPieceLineBytes.
    const int perChunk = item.kind == ItemKind::PdfPage ? std::numeric_limits<int>::max()
                                                        : std::max(1, opt.linesPerSpan);
    const qsizetype maxLine = std::max<qsizetype>(4, opt.maxPieceLineBytes);
    int line = 1;
    qsizetype pos = 0;
    bool midLine = false; // the previous piece ended inside a line
    while (pos < t.size()) {
        Chunk c;
        c.begin = pos;
        c.lineBegin = line;
        c.continued = midLine;
        int n = 0; // lines that end in this piece
        while (pos < t.size() && n < perChunk) {
            const qsizetype nl = t.indexOf('\n', pos);
            const qsizetype next = nl < 0 ? t.size() : nl + 1;
            if (item.kind != ItemKind::PdfPage && next - pos > maxLine) {
                if (n == 0) {
                    // The line alone is too long: cut it, never inside a UTF-8 sequence.
                    qsizetype cut = pos + maxLine;
                    while (cut > pos + 1 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80)
                        --cut;
                    pos = cut;
                    midLine = true;
                }
                break; // otherwise the long line starts the next piece
            }
            pos = next;
            midLine = false;
            ++n;
        }
        c.end = pos;
        c.lineEnd = n > 0 ? line + n - 1 : line;
        line += n;
        p->chunks.push_back(std::move(c));
    }
    const int totalLines = p->chunks.back().lineEnd;
    const int width = std::max(4, digits(totalLines));
    QByteArray suffix = '|' + QByteArray::number(std::max(1, opt.linesPerSpan));
    // Cut lines make the pieces depend on the byte limit too (keys of other items stay as they were).
    if (std::any_of(p->chunks.begin(), p->chunks.end(), [](const Chunk &c) { return c.continued; }))
        suffix += "|b" + QByteArray::number(maxLine);
    const QByteArray plainKey = item.contentId.isEmpty() ? QByteArray()
                                                         : item.contentId + "|p" + suffix;
    const QByteArray numKey = item.contentId.isEmpty() ? QByteArray()
                                                       : item.contentId + "|n" + suffix;

    std::vector<std::uint32_t> plain;
    if (!(cache && !plainKey.isEmpty() && cache->lookup(plainKey, &plain)
          && plain.size() == p->chunks.size())) {
        plain.clear();
        for (size_t i = 0; i < p->chunks.size(); ++i) {
            const bool last = i + 1 == p->chunks.size();
            plain.push_back(countOf(counter, plainChunk(item, p->chunks[i], last && p->addNewline)));
        }
        if (cache && !plainKey.isEmpty())
            cache->insert(plainKey, plain);
    }
    for (size_t i = 0; i < p->chunks.size(); ++i)
        p->chunks[i].plainTokens = p->chunks[i].tokens = plain[i];
    if (!opt.lineNumbers || item.kind == ItemKind::PdfPage)
        return;
    for (size_t i = 0; i < p->chunks.size(); ++i) {
        const bool last = i + 1 == p->chunks.size();
        p->chunks[i].numbered = numberChunk(item, p->chunks[i], width, last && p->addNewline);
    }
    std::vector<std::uint32_t> numbered;
    if (!(cache && !numKey.isEmpty() && cache->lookup(numKey, &numbered)
          && numbered.size() == p->chunks.size())) {
        numbered.clear();
        for (const Chunk &c : p->chunks)
            numbered.push_back(countOf(counter, c.numbered));
        if (cache && !numKey.isEmpty())
            cache->insert(numKey, numbered);
    }
    for (size_t i = 0; i < p->chunks.size(); ++i)
        p->chunks[i].tokens = numbered[i];
}

bool isTestPath(const QString &path)
{
    static const QStringList dirs = {QStringLiteral("test"),      QStringLiteral("tests"),
                                     QStringLiteral("__tests__"), QStringLiteral("testing"),
                                     QStringLiteral("spec"),      QStringLiteral("testdata")};
    const QStringList segs = path.split(u'/');
    for (qsizetype i = 0; i + 1 < segs.size(); ++i) {
        if (dirs.contains(segs[i]))
            return true;
    }
    return false;
}

} // namespace

QByteArray sourceHeader(int index, const SourceContents &s)
{
    QByteArray h = "<source " + QByteArray::number(index) + ": " + s.name.toUtf8();
    if (!s.revision.isEmpty())
        h += " (git " + s.revision.toUtf8() + ")";
    if (s.pageCount > 0) {
        h += " (PDF, " + QByteArray::number(s.pageCount) + " pages";
        if (!s.title.isEmpty())
            h += ", title \"" + s.title.toUtf8() + "\"";
        if (!s.author.isEmpty())
            h += ", author \"" + s.author.toUtf8() + "\"";
        h += ")";
    }
    return h + ">\n";
}

QByteArray itemHeader(const SourceItem &item)
{
    QByteArray h = "--- " + item.path.toUtf8();
    switch (item.kind) {
    case ItemKind::Symlink:
        h += " -> " + item.text + " (symlink)";
        break;
    case ItemKind::PdfPage:
        h += " p." + QByteArray::number(item.page);
        if (!item.label.isEmpty() && item.label != QString::number(item.page))
            h += " [" + item.label.toUtf8() + "]";
        if (item.noText)
            h += " (no text (scanned?))";
        break;
    case ItemKind::File:
        if (item.text.isEmpty())
            h += " (empty)";
        break;
    }
    return h + " ---\n";
}

Packer::Packer(const TokenCounter &counter, TokenCountCache *cache)
    : m_counter(counter)
    , m_cache(cache)
{}

PackResult Packer::pack(const std::vector<SourceContents> &sources, const PackOptions &opt) const
{
    PackResult r;
    r.budget = std::max<qint64>(0, opt.contextTokens - opt.answerReserve);

    // Pass 1 (parallel): every item of every source.
    std::vector<std::pair<int, int>> order; // (source, item)
    for (size_t s = 0; s < sources.size(); ++s)
        for (qsizetype i = 0; i < sources[s].items.size(); ++i)
            order.emplace_back(int(s), int(i));
    std::vector<Prepared> prepared(order.size());
    parallelFor(order.size(), opt.threads, [&](size_t k) {
        prepare(sources[size_t(order[k].first)].items[order[k].second], opt, m_counter, m_cache,
                &prepared[k]);
    });

    // Pass 2 (sequential): concatenate, assign ranges.
    qint64 tok = 0;
    auto addPiece = [&](const QByteArray &bytes, std::uint32_t tokens, bool content) {
        Piece p;
        p.byteBegin = r.text.size();
        r.text += bytes;
        p.byteEnd = r.text.size();
        p.tokBegin = tok;
        tok += tokens;
        p.tokEnd = tok;
        p.content = content;
        r.pieces.push_back(p);
        if (!content)
            r.overheadTokens += tokens;
    };
    r.items.resize(sources.size());
    r.sourceTokens.assign(sources.size(), 0);
    std::map<std::pair<int, QString>, qint64> dirTokens;
    size_t k = 0;
    for (size_t s = 0; s < sources.size(); ++s) {
        const SourceContents &src = sources[s];
        const QByteArray sh = sourceHeader(int(s), src);
        addPiece(sh, countOf(m_counter, sh), false);
        r.items[s].resize(size_t(src.items.size()));
        for (qsizetype i = 0; i < src.items.size(); ++i, ++k) {
            const SourceItem &item = src.items[i];
            Prepared &p = prepared[k];
            ItemTokens &it = r.items[s][size_t(i)];
            it.headerTokens = p.headerTokens;
            addPiece(p.header, p.headerTokens, false);
            for (size_t c = 0; c < p.chunks.size(); ++c) {
                const Chunk &ch = p.chunks[c];
                const bool last = c + 1 == p.chunks.size();
                const QByteArray bytes = !ch.numbered.isEmpty()
                                             ? ch.numbered
                                             : plainChunk(item, ch, last && p.addNewline);
                const qint64 begin = tok;
                addPiece(bytes, ch.tokens, true);
                // The line-number prefixes are overhead, not content: move their cost over.
                const qint64 extra = qint64(ch.tokens) - qint64(ch.plainTokens);
                it.tokens += ch.plainTokens;
                it.lineNumberTokens += extra;
                Span span;
                span.tokBegin = begin;
                span.tokEnd = tok;
                span.source = int(s);
                span.path = item.path;
                if (item.kind == ItemKind::PdfPage) {
                    span.page = item.page;
                    span.label = item.label;
                } else {
                    span.lineBegin = ch.lineBegin;
                    span.lineEnd = ch.lineEnd;
                }
                r.spans.push_back(std::move(span));
            }
            r.lineNumberTokens += it.lineNumberTokens;
            r.contentTokens += it.tokens;
            r.sourceTokens[s] += it.tokens;
            if (item.kind == ItemKind::File) {
                // Every ancestor directory gets the file's tokens (and header).
                QString dir = item.path;
                while (true) {
                    const qsizetype slash = dir.lastIndexOf(u'/');
                    dir = slash < 0 ? QString() : dir.left(slash);
                    dirTokens[{int(s), dir}] += it.tokens + it.headerTokens;
                    if (dir.isEmpty())
                        break;
                }
            }
        }
    }
    // Content pieces' tokens went into `tok` as rendered (numbered); keep the accounting exact:
    // total = content (plain) + overhead (headers + line numbers).
    r.overheadTokens += r.lineNumberTokens;
    for (const auto &[key, t] : dirTokens)
        r.directories.push_back({key.first, key.second, t});
    std::stable_sort(r.directories.begin(), r.directories.end(),
                     [](const DirectoryTokens &a, const DirectoryTokens &b) {
                         return a.tokens > b.tokens;
                     });
    r.overBudget = r.totalTokens() > r.budget;
    if (!r.overBudget)
        return r;

    // Over budget: ranked suggestions. Each candidate is a glob and the set of items it removes;
    // `totalAfter` is cumulative in rank order.
    struct Candidate
    {
        QString glob;
        QString reason;
        std::set<std::pair<int, int>> items;
    };
    std::vector<Candidate> candidates;
    auto addCandidate = [&](const QString &glob, const QString &reason) {
        const Glob g(glob);
        Candidate c{glob, reason, {}};
        for (size_t s = 0; s < sources.size(); ++s)
            for (qsizetype i = 0; i < sources[s].items.size(); ++i)
                if (g.matches(sources[s].items[i].path))
                    c.items.insert({int(s), int(i)});
        if (!c.items.empty())
            candidates.push_back(std::move(c));
    };
    for (const char *g : {"*generated*", "*.pb.go", "*.pb.cc", "*.pb.h", "*_pb2.py", "*.g.dart",
                          "*.Designer.cs", "*.snap"})
        addCandidate(QString::fromLatin1(g), QStringLiteral("generated"));
    std::set<QString> testDirs;
    for (const SourceContents &src : sources)
        for (const SourceItem &item : src.items)
            if (isTestPath(item.path)) {
                const QStringList segs = item.path.split(u'/');
                for (qsizetype i = 0; i + 1 < segs.size(); ++i)
                    if (isTestPath(segs.mid(0, i + 1).join(u'/') + QStringLiteral("/x"))) {
                        testDirs.insert(QStringLiteral("**/") + segs[i] + QStringLiteral("/"));
                        break;
                    }
            }
    for (const QString &g : testDirs)
        addCandidate(g, QStringLiteral("tests"));
    for (const char *g :
         {"*_test.*", "test_*.py", "*.test.*", "*.spec.*", "*Test.java", "*Tests.cs"})
        addCandidate(QString::fromLatin1(g), QStringLiteral("tests"));
    int dirs = 0;
    for (const DirectoryTokens &d : r.directories) {
        if (d.path.isEmpty() || dirs >= 12)
            continue;
        addCandidate(d.path + u'/', QStringLiteral("largest directory"));
        ++dirs;
    }
    // Documents (PDFs) and the largest single files.
    std::vector<std::pair<qint64, QString>> docs;
    for (size_t s = 0; s < sources.size(); ++s)
        if (sources[s].pageCount > 0)
            docs.emplace_back(r.sourceTokens[s], sources[s].name);
    std::sort(docs.begin(), docs.end(), std::greater<>());
    for (const auto &d : docs)
        addCandidate(d.second, QStringLiteral("largest document"));
    std::vector<std::pair<qint64, QString>> files;
    for (size_t s = 0; s < sources.size(); ++s)
        for (qsizetype i = 0; i < sources[s].items.size(); ++i)
            if (sources[s].items[i].kind == ItemKind::File)
                files.emplace_back(r.items[s][size_t(i)].tokens, sources[s].items[i].path);
    std::sort(files.begin(), files.end(), std::greater<>());
    for (size_t i = 0; i < files.size() && i < 5; ++i)
        addCandidate(QStringLiteral("/") + files[i].second, QStringLiteral("largest file"));

    auto cost = [&](const std::pair<int, int> &key) {
        const ItemTokens &t = r.items[size_t(key.first)][size_t(key.second)];
        return t.tokens + t.headerTokens + t.lineNumberTokens;
    };
    std::set<std::pair<int, int>> removed;
    qint64 total = r.totalTokens();
    for (const Candidate &c : candidates) {
        qint64 own = 0, fresh = 0;
        for (const auto &key : c.items) {
            own += cost(key);
            if (removed.insert(key).second)
                fresh += cost(key);
        }
        if (fresh == 0)
            continue; // everything it removes is already removed by a higher-ranked suggestion
        total -= fresh;
        r.suggestions.push_back({c.glob, c.reason, own, total});
        if (total <= r.budget)
            break;
    }
    return r;
}

QByteArray spanMapJson(const PackResult &result)
{
    QJsonArray spans;
    for (const Span &s : result.spans) {
        QJsonObject o{{"tok_begin", double(s.tokBegin)},
                      {"tok_end", double(s.tokEnd)},
                      {"source", s.source},
                      {"path", s.path}};
        if (s.page > 0) {
            o.insert(QStringLiteral("page"), s.page);
            o.insert(QStringLiteral("label"), s.label);
        } else {
            o.insert(QStringLiteral("line_begin"), s.lineBegin);
            o.insert(QStringLiteral("line_end"), s.lineEnd);
        }
        spans.append(o);
    }
    return QJsonDocument(QJsonObject{{"version", 1}, {"spans", spans}})
        .toJson(QJsonDocument::Compact);
}

std::vector<Span> parseSpanMap(const QByteArray &json, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    auto fail = [&](const QString &m) {
        if (error)
            *error = m;
        return std::vector<Span>();
    };
    if (pe.error != QJsonParseError::NoError)
        return fail(
            QStringLiteral("span map: %1 at offset %2").arg(pe.errorString()).arg(pe.offset));
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("version")).toInt() != 1)
        return fail(QStringLiteral("span map: unsupported version %1")
                        .arg(root.value(QStringLiteral("version")).toInt()));
    std::vector<Span> out;
    for (const QJsonValue &v : root.value(QStringLiteral("spans")).toArray()) {
        const QJsonObject o = v.toObject();
        Span s;
        s.tokBegin = qint64(o.value(QStringLiteral("tok_begin")).toDouble(-1));
        s.tokEnd = qint64(o.value(QStringLiteral("tok_end")).toDouble(-1));
        s.source = o.value(QStringLiteral("source")).toInt(-1);
        s.path = o.value(QStringLiteral("path")).toString();
        s.page = o.value(QStringLiteral("page")).toInt(0);
        s.label = o.value(QStringLiteral("label")).toString();
        s.lineBegin = o.value(QStringLiteral("line_begin")).toInt(0);
        s.lineEnd = o.value(QStringLiteral("line_end")).toInt(0);
        if (s.tokBegin < 0 || s.tokEnd < s.tokBegin || s.source < 0 || s.path.isEmpty()
            || (s.page == 0 && (s.lineBegin < 1 || s.lineEnd < s.lineBegin)))
            return fail(QStringLiteral("span map: malformed span #%1").arg(out.size()));
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace folio::ingest
