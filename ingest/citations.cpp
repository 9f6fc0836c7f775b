// CitationResolver (see citations.h). The sources are indexed once: per item its line count and a
// whitespace-collapsed copy of its text with a map back to the original offsets, so a found quote
// is reported at its real lines.
#include "ingest/citations.h"

#include <QRegularExpression>

#include <algorithm>

namespace folio::ingest {

namespace {

struct Indexed
{
    int source = 0;
    const SourceItem *item = nullptr;
    int lines = 0;
    QString collapsed;          // whitespace runs → one space, trimmed
    std::vector<qsizetype> map; // collapsed index → index in `original`
    QString original;
};

QString collapse(const QString &s, std::vector<qsizetype> *map)
{
    QString out;
    out.reserve(s.size());
    bool space = false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i].isSpace()) {
            space = !out.isEmpty();
            continue;
        }
        if (space) {
            out += u' ';
            if (map)
                map->push_back(i);
            space = false;
        }
        out += s[i];
        if (map)
            map->push_back(i);
    }
    return out;
}

int lineCount(const QByteArray &t)
{
    if (t.isEmpty())
        return 0;
    return int(t.count('\n')) + (t.endsWith('\n') ? 0 : 1);
}

int romanValue(const QString &s)
{
    static const QString digits = QStringLiteral("ivxlcdm");
    static const int values[] = {1, 5, 10, 50, 100, 500, 1000};
    int total = 0, prev = 0;
    for (qsizetype i = s.size() - 1; i >= 0; --i) {
        const qsizetype k = digits.indexOf(s[i].toLower());
        if (k < 0)
            return 0;
        const int v = values[k];
        total += v < prev ? -v : v;
        prev = std::max(prev, v);
    }
    return total;
}

} // namespace

struct CitationResolver::Impl
{
    std::vector<Indexed> items;

    // Items whose path is `cited` or ends with "/cited"; files or PDF pages.
    std::vector<const Indexed *> byPath(const QString &cited, bool pdf) const
    {
        std::vector<const Indexed *> exact, suffix;
        for (const Indexed &x : items) {
            if ((x.item->kind == ItemKind::PdfPage) != pdf)
                continue;
            const QString &p = x.item->path;
            if (p.compare(cited, pdf ? Qt::CaseInsensitive : Qt::CaseSensitive) == 0)
                exact.push_back(&x);
            else if (p.endsWith(u'/' + cited, pdf ? Qt::CaseInsensitive : Qt::CaseSensitive))
                suffix.push_back(&x);
        }
        return exact.empty() ? suffix : exact;
    }

    void resolveLines(Citation &c, const QString &path, int a, int b) const
    {
        std::vector<const Indexed *> found = byPath(path, false);
        // Distinct paths (the same path in two sources counts as ambiguous too).
        if (found.empty()) {
            c.detail = QStringLiteral("no file %1 in the sources").arg(path);
            return;
        }
        if (found.size() > 1) {
            QStringList names;
            for (const Indexed *x : found)
                names << x->item->path;
            c.detail = QStringLiteral("ambiguous: %1 files match (%2)")
                           .arg(found.size())
                           .arg(names.join(QStringLiteral(", ")));
            return;
        }
        const Indexed &x = *found.front();
        if (a < 1 || b < a) {
            c.detail = QStringLiteral("invalid line range %1-%2").arg(a).arg(b);
            return;
        }
        if (b > x.lines) {
            c.detail = QStringLiteral("%1 has %2 lines; %3 is past the end")
                           .arg(x.item->path)
                           .arg(x.lines)
                           .arg(b);
            return;
        }
        c.verified = true;
        c.source = x.source;
        c.path = x.item->path;
        c.lineBegin = a;
        c.lineEnd = b;
        c.location = a == b ? QStringLiteral("%1:%2").arg(c.path).arg(a)
                            : QStringLiteral("%1:%2-%3").arg(c.path).arg(a).arg(b);
    }

    void resolvePage(Citation &c, const QString &path, const QString &pageText) const
    {
        std::vector<const Indexed *> pages = byPath(path, true);
        if (pages.empty()) {
            c.detail = QStringLiteral("no PDF %1 in the sources").arg(path);
            return;
        }
        // Several PDFs can share a name across sources: take the first source's (stable).
        const int src = pages.front()->source;
        std::erase_if(pages, [&](const Indexed *x) { return x->source != src; });
        bool number = false;
        const int n = pageText.toInt(&number);
        const Indexed *hit = nullptr;
        if (number && n >= 1 && n <= int(pages.size())) {
            for (const Indexed *x : pages)
                if (x->item->page == n)
                    hit = x;
        }
        if (!hit) {
            for (const Indexed *x : pages)
                if (x->item->label.compare(pageText, Qt::CaseInsensitive) == 0) {
                    hit = x;
                    break;
                }
        }
        if (!hit) {
            c.detail = QStringLiteral("%1 has %2 pages and no page labelled %3")
                           .arg(path)
                           .arg(pages.size())
                           .arg(pageText);
            if (!number && romanValue(pageText) == 0)
                c.detail = QStringLiteral("%1: '%2' is not a page number").arg(path, pageText);
            return;
        }
        c.verified = true;
        c.source = hit->source;
        c.path = hit->item->path;
        c.page = hit->item->page;
        c.label = hit->item->label;
        c.location = QStringLiteral("%1 p.%2").arg(c.path).arg(c.page);
        if (!c.label.isEmpty() && c.label != QString::number(c.page))
            c.location += QStringLiteral(" [%1]").arg(c.label);
    }

    void resolveQuote(Citation &c, const QString &quote) const
    {
        const QString needle = collapse(quote, nullptr);
        if (needle.isEmpty()) {
            c.detail = QStringLiteral("empty quote");
            return;
        }
        for (const Indexed &x : items) {
            const qsizetype at = x.collapsed.indexOf(needle);
            if (at < 0)
                continue;
            c.verified = true;
            c.source = x.source;
            c.path = x.item->path;
            if (x.item->kind == ItemKind::PdfPage) {
                c.page = x.item->page;
                c.label = x.item->label;
                c.location = QStringLiteral("%1 p.%2").arg(c.path).arg(c.page);
                if (!c.label.isEmpty() && c.label != QString::number(c.page))
                    c.location += QStringLiteral(" [%1]").arg(c.label);
            } else {
                const qsizetype begin = x.map[size_t(at)];
                const qsizetype end = x.map[size_t(at + needle.size() - 1)];
                c.lineBegin = int(QStringView(x.original).first(begin).count(u'\n')) + 1;
                c.lineEnd = int(QStringView(x.original).first(end).count(u'\n')) + 1;
                c.location
                    = c.lineBegin == c.lineEnd
                          ? QStringLiteral("%1:%2").arg(c.path).arg(c.lineBegin)
                          : QStringLiteral("%1:%2-%3").arg(c.path).arg(c.lineBegin).arg(c.lineEnd);
            }
            return;
        }
        c.detail = QStringLiteral("quote not found in the sources");
    }
};

CitationResolver::CitationResolver(const std::vector<SourceContents> &sources)
    : d(std::make_unique<Impl>())
{
    for (size_t s = 0; s < sources.size(); ++s) {
        for (const SourceItem &item : sources[s].items) {
            if (item.kind == ItemKind::Symlink)
                continue;
            Indexed x;
            x.source = int(s);
            x.item = &item;
            x.lines = lineCount(item.text);
            x.original = QString::fromUtf8(item.text);
            x.collapsed = collapse(x.original, &x.map);
            d->items.push_back(std::move(x));
        }
    }
}

CitationResolver::~CitationResolver() = default;

std::vector<Citation> CitationResolver::resolve(const QString &answer) const
{
    // path:12 or path:12-30 — a path with an extension, not preceded by a path character or "://".
    static const QRegularExpression lineRef(QStringLiteral(
        "(?<![\\w./\\-:])((?:[\\w.\\-]+/"
        ")*[\\w.\\-]*\\w\\.[A-Za-z0-9_+\\-]+):(\\d+)(?:\\s*[-\u2013]\\s*(\\d+))?(?!\\d)"));
    // file.pdf p.7 / pp.7-9 / page 7 / p. vii
    static const QRegularExpression
        pageRef(QStringLiteral("((?:[\\w.\\-]+/"
                               ")*[\\w.\\-]+\\.pdf)[,:]?\\s+(?:pp?\\.|pages?)\\s*([0-9]+|[ivxlcdm]+"
                               ")(?:\\s*[-\u2013]\\s*([0-9]+|[ivxlcdm]+))?\\b"),
                QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression quoteRef(
        QStringLiteral("\"([^\"]{15,}?)\"|\u201c([^\u201d]{15,}?)\u201d"));

    std::vector<Citation> out;
    for (auto it = pageRef.globalMatch(answer); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        Citation c;
        c.kind = Citation::Page;
        c.text = m.captured(0);
        c.offset = m.capturedStart(0);
        d->resolvePage(c, m.captured(1), m.captured(2));
        if (c.verified && !m.captured(3).isEmpty()) {
            // A page range: the end page must exist too.
            Citation end;
            d->resolvePage(end, m.captured(1), m.captured(3));
            if (!end.verified) {
                c.verified = false;
                c.detail = end.detail;
                c.location.clear();
            } else {
                c.location += QStringLiteral("-%1").arg(end.page);
            }
        }
        out.push_back(std::move(c));
    }
    for (auto it = lineRef.globalMatch(answer); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        Citation c;
        c.kind = Citation::Lines;
        c.text = m.captured(0);
        c.offset = m.capturedStart(0);
        const int a = m.captured(2).toInt();
        const int b = m.captured(3).isEmpty() ? a : m.captured(3).toInt();
        d->resolveLines(c, m.captured(1), a, b);
        out.push_back(std::move(c));
    }
    for (auto it = quoteRef.globalMatch(answer); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        Citation c;
        c.kind = Citation::Quote;
        c.text = m.captured(0);
        c.offset = m.capturedStart(0);
        d->resolveQuote(c, m.captured(1).isEmpty() ? m.captured(2) : m.captured(1));
        out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Citation &a, const Citation &b) { return a.offset < b.offset; });
    return out;
}

} // namespace folio::ingest
