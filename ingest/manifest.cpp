// Manifest rendering (see manifest.h).
#include "ingest/manifest.h"

#include "ingest/filters.h"

#include <QJsonArray>
#include <QTextStream>

namespace folio::ingest {

QJsonObject manifestJson(const std::vector<SourceContents> &sources, const PackResult &pack,
                         const TokenCounter &counter, double seconds)
{
    QJsonArray included, skipped, srcs, dirs, suggestions;
    for (size_t s = 0; s < sources.size(); ++s) {
        const SourceContents &src = sources[s];
        for (qsizetype i = 0; i < src.items.size(); ++i) {
            const SourceItem &item = src.items[i];
            const ItemTokens &t = pack.items[s][size_t(i)];
            QJsonObject o{{"path", item.path}, {"tokens", double(t.tokens)}, {"source", int(s)}};
            if (item.kind == ItemKind::PdfPage) {
                o.insert(QStringLiteral("page"), item.page);
                o.insert(QStringLiteral("label"), item.label);
                if (item.noText)
                    o.insert(QStringLiteral("no_text"), true);
            } else {
                o.insert(QStringLiteral("kind"), itemKindName(item.kind));
                o.insert(QStringLiteral("bytes"), double(item.bytes));
                if (item.kind == ItemKind::Symlink)
                    o.insert(QStringLiteral("target"), QString::fromUtf8(item.text));
                else if (item.encoding != QStringLiteral("utf-8"))
                    o.insert(QStringLiteral("encoding"), item.encoding);
            }
            if (t.lineNumberTokens != 0)
                o.insert(QStringLiteral("line_number_tokens"), double(t.lineNumberTokens));
            included.append(o);
        }
        for (const SkippedItem &k : src.skipped)
            skipped.append(QJsonObject{{"path", k.path}, {"reason", k.reason}, {"source", int(s)}});
        QJsonObject so{{"id", int(s)},
                       {"name", src.name},
                       {"root", src.root},
                       {"tokens", double(pack.sourceTokens[s])},
                       {"included", int(src.items.size())},
                       {"skipped", int(src.skipped.size())}};
        if (!src.revision.isEmpty())
            so.insert(QStringLiteral("revision"), src.revision);
        if (src.pageCount > 0) {
            so.insert(QStringLiteral("pages"), src.pageCount);
            so.insert(QStringLiteral("title"), src.title);
            so.insert(QStringLiteral("author"), src.author);
        }
        if (!src.notes.isEmpty())
            so.insert(QStringLiteral("notes"), QJsonArray::fromStringList(src.notes));
        srcs.append(so);
    }
    for (const DirectoryTokens &d : pack.directories)
        dirs.append(
            QJsonObject{{"source", d.source}, {"path", d.path}, {"tokens", double(d.tokens)}});
    for (const Suggestion &g : pack.suggestions)
        suggestions.append(QJsonObject{{"exclude", g.exclude},
                                       {"reason", g.reason},
                                       {"tokens", double(g.tokens)},
                                       {"total_after", double(g.totalAfter)}});
    QJsonObject root{{"included", included},
                     {"skipped", skipped},
                     {"total_tokens", double(pack.contentTokens)},
                     {"overhead_tokens", double(pack.overheadTokens)},
                     {"line_number_tokens", double(pack.lineNumberTokens)},
                     {"budget", double(pack.budget)},
                     {"over_budget", pack.overBudget},
                     {"seconds", seconds},
                     {"tokenizer",
                      QJsonObject{{"name", counter.name()}, {"exact", counter.exact()}}},
                     {"sources", srcs},
                     {"directories", dirs}};
    if (pack.overBudget)
        root.insert(QStringLiteral("suggestions"), suggestions);
    return root;
}

QString manifestText(const std::vector<SourceContents> &sources, const PackResult &pack,
                     const TokenCounter &counter, double seconds)
{
    QString out;
    QTextStream ts(&out);
    for (size_t s = 0; s < sources.size(); ++s) {
        const SourceContents &src = sources[s];
        ts << "source " << s << ": " << src.name;
        if (!src.revision.isEmpty())
            ts << " @ " << src.revision;
        if (src.pageCount > 0)
            ts << " (" << src.pageCount << " pages"
               << (src.title.isEmpty() ? QString() : QStringLiteral(", \"%1\"").arg(src.title))
               << ")";
        ts << "\n";
        for (const QString &n : src.notes)
            ts << "  note: " << n << "\n";
        for (qsizetype i = 0; i < src.items.size(); ++i) {
            const SourceItem &item = src.items[i];
            const ItemTokens &t = pack.items[s][size_t(i)];
            ts << "  + " << qSetFieldWidth(9) << t.tokens << qSetFieldWidth(0) << "  ";
            if (item.kind == ItemKind::PdfPage) {
                ts << item.path << " p." << item.page;
                if (!item.label.isEmpty())
                    ts << " [" << item.label << "]";
                if (item.noText)
                    ts << "  no text (scanned?)";
            } else if (item.kind == ItemKind::Symlink) {
                ts << item.path << " -> " << QString::fromUtf8(item.text) << " (symlink)";
            } else {
                ts << item.path << "  (" << formatBytes(item.bytes) << ")";
            }
            ts << "\n";
        }
        for (const SkippedItem &k : src.skipped)
            ts << "  - skipped  " << k.path << ": " << k.reason << "\n";
    }
    ts << "included " <<
        [&] {
            qsizetype n = 0;
            for (const auto &s : sources)
                n += s.items.size();
            return n;
        }()
       << ", skipped " <<
        [&] {
            qsizetype n = 0;
            for (const auto &s : sources)
                n += s.skipped.size();
            return n;
        }()
       << "\n";
    ts << "tokens: " << pack.contentTokens << " content + " << pack.overheadTokens << " overhead";
    if (pack.lineNumberTokens)
        ts << " (of which " << pack.lineNumberTokens << " line numbers)";
    ts << " = " << pack.totalTokens() << " of a budget of " << pack.budget
       << (pack.overBudget ? "  OVER BUDGET" : "") << "\n";
    ts << "tokenizer: " << counter.name() << "\n";
    for (const Suggestion &g : pack.suggestions)
        ts << "  suggestion: --exclude '" << g.exclude << "' (" << g.reason << ", " << g.tokens
           << " tokens; total after: " << g.totalAfter << ")\n";
    ts << QStringLiteral("time: %1 s\n").arg(seconds, 0, 'f', 3);
    return out;
}

} // namespace folio::ingest
