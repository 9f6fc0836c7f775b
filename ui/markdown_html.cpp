// markdownToHtml(): a line-oriented block parser and a small inline pass. Citations are replaced by
// private-use placeholder characters before parsing (one per citation, U+E000 + n) so that they
// survive HTML escaping and inline markup, and become links at the very end.
#include "ui/markdown_html.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace folio::ui {

namespace {

constexpr char16_t kPlaceholderBase = 0xE000;
constexpr int kMaxPlaceholders = 0x1800; // the private-use area U+E000..U+F7FF

struct Context
{
    const QVector<folio::app::CitationLink> &citations;
    const QString &prefix;
    const MarkdownColors &colors;
    MarkdownResult result;
};

bool isPlaceholder(QChar c)
{
    return c.unicode() >= kPlaceholderBase && c.unicode() < kPlaceholderBase + kMaxPlaceholders;
}

// Puts the citation text back (inside code, where nothing is a link).
QString restorePlain(const QString &s, const Context &ctx)
{
    QString out;
    for (QChar c : s) {
        if (isPlaceholder(c)) {
            const int n = c.unicode() - kPlaceholderBase;
            out += n < ctx.citations.size() ? ctx.citations.at(n).text : QString();
        } else {
            out += c;
        }
    }
    return out;
}

QString citationAnchor(int n, const Context &ctx)
{
    const folio::app::CitationLink &c = ctx.citations.at(n);
    const QString href = QStringLiteral("folio-cite:%1/%2").arg(ctx.prefix).arg(n);
    if (c.verified) {
        return QStringLiteral("<a href=\"%1\" title=\"%2\" style=\"color:%3\">%4</a>")
            .arg(href, c.path.toHtmlEscaped(), ctx.colors.link, c.text.toHtmlEscaped());
    }
    // Unverified: a different colour, struck through, and a visible marker; the tooltip says why.
    return QStringLiteral(
               "<a href=\"%1\" title=\"%2\" style=\"color:%3;text-decoration:line-through\">"
               "%4</a><sup style=\"color:%3\">?</sup>")
        .arg(href, c.reason.toHtmlEscaped(), ctx.colors.unverified, c.text.toHtmlEscaped());
}

// Inline markup of one already-escaped run of text without code spans.
QString inlineMarkup(QString s)
{
    static const QRegularExpression link(QStringLiteral(R"(\[([^\]]+)\]\(([^)\s]+)\))"));
    static const QRegularExpression bold(QStringLiteral(R"(\*\*(.+?)\*\*|__(.+?)__)"));
    static const QRegularExpression italic(QStringLiteral(
        R"((?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\*)|(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w))"));
    s.replace(link, QStringLiteral("<a href=\"\\2\">\\1</a>"));
    s.replace(bold, QStringLiteral("<b>\\1\\2</b>"));
    s.replace(italic, QStringLiteral("<i>\\1\\2</i>"));
    return s;
}

QString inlineHtml(const QString &raw, const Context &ctx)
{
    // Split on backticks: odd segments are code spans (an unmatched trailing backtick stays text).
    QString out;
    const QStringList parts = raw.split(QLatin1Char('`'));
    const bool balanced = parts.size() % 2 == 1;
    for (int i = 0; i < parts.size(); ++i) {
        const bool code = i % 2 == 1 && (balanced || i < parts.size() - 1);
        if (code) {
            out += QStringLiteral("<code style=\"background:%1\">%2</code>")
                       .arg(ctx.colors.codeBackground,
                            restorePlain(parts.at(i), ctx).toHtmlEscaped());
        } else {
            if (i % 2 == 1)
                out += QLatin1Char('`');
            out += inlineMarkup(parts.at(i).toHtmlEscaped());
        }
    }
    // Placeholders left outside code become citation links.
    QString linked;
    for (QChar c : out) {
        if (isPlaceholder(c)) {
            const int n = c.unicode() - kPlaceholderBase;
            if (n < ctx.citations.size())
                linked += citationAnchor(n, ctx);
        } else {
            linked += c;
        }
    }
    return linked;
}

void emitCodeBlock(const QString &language, const QStringList &lines, Context &ctx)
{
    const QString code = restorePlain(lines.join(QLatin1Char('\n')), ctx);
    const int n = int(ctx.result.codeBlocks.size());
    ctx.result.codeBlocks.append(code);
    // A one-cell table gives the block a background and border that QTextDocument can draw.
    ctx.result.html
        += QStringLiteral(
               "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" "
               "style=\"background:%1;border:1px solid %2;margin:4px 0\"><tr><td>"
               "<div style=\"font-size:small\">%3 &nbsp; "
               "<a href=\"folio-copy:%4/%5\" style=\"color:%6\">%7</a></div>"
               "<pre style=\"font-family:monospace;margin:0\">%8</pre></td></tr></table>")
               .arg(ctx.colors.codeBackground, ctx.colors.codeBorder, language.toHtmlEscaped(),
                    ctx.prefix, QString::number(n), ctx.colors.link,
                    QCoreApplication::translate("folio::ui::ChatView", "Copy"),
                    code.toHtmlEscaped());
}

} // namespace

MarkdownResult markdownToHtml(const QString &text,
                              const QVector<folio::app::CitationLink> &citations,
                              const QString &linkPrefix, const MarkdownColors &colors)
{
    Context ctx{citations, linkPrefix, colors, {}};

    // Replace citations by placeholders, from the end so earlier offsets stay valid. Citations that
    // overlap or fall outside the text (a resolver bug or a stale list while streaming) are ignored.
    QString src = text;
    int lastStart = int(src.size()) + 1;
    for (int n = int(citations.size()) - 1; n >= 0; --n) {
        const auto &c = citations.at(n);
        if (n >= kMaxPlaceholders || c.offset < 0 || c.length <= 0
            || c.offset + c.length > src.size() || c.offset + c.length > lastStart)
            continue;
        src.replace(c.offset, c.length, QChar(char16_t(kPlaceholderBase + n)));
        lastStart = c.offset;
    }

    static const QRegularExpression fence(QStringLiteral(R"(^\s*(```|~~~)\s*([\w+#.-]*)\s*$)"));
    static const QRegularExpression heading(QStringLiteral(R"(^(#{1,6})\s+(.*)$)"));
    static const QRegularExpression bullet(QStringLiteral(R"(^\s*[-*+]\s+(.*)$)"));
    static const QRegularExpression ordered(QStringLiteral(R"(^\s*(\d+)[.)]\s+(.*)$)"));
    static const QRegularExpression rule(QStringLiteral(R"(^\s*([-*_])(\s*\1){2,}\s*$)"));

    const QStringList lines = src.split(QLatin1Char('\n'));
    QStringList paragraph;
    QString listTag; // "ul", "ol" or empty
    QStringList quote;

    auto flushParagraph = [&] {
        if (!paragraph.isEmpty())
            ctx.result.html += QStringLiteral("<p>%1</p>")
                                   .arg(inlineHtml(paragraph.join(QLatin1Char(' ')), ctx));
        paragraph.clear();
    };
    auto closeList = [&] {
        if (!listTag.isEmpty())
            ctx.result.html += QStringLiteral("</%1>").arg(listTag);
        listTag.clear();
    };
    auto flushQuote = [&] {
        if (!quote.isEmpty())
            ctx.result.html += QStringLiteral("<blockquote>%1</blockquote>")
                                   .arg(inlineHtml(quote.join(QLatin1Char(' ')), ctx));
        quote.clear();
    };
    auto flushAll = [&] {
        flushParagraph();
        closeList();
        flushQuote();
    };

    for (int i = 0; i < lines.size(); ++i) {
        const QString &line = lines.at(i);
        if (const auto m = fence.match(line); m.hasMatch()) {
            flushAll();
            const QString marker = m.captured(1);
            QStringList code;
            int j = i + 1;
            // Until the closing fence, or the end of the text while the answer is still streaming.
            while (j < lines.size() && !lines.at(j).trimmed().startsWith(marker))
                code.append(lines.at(j++));
            emitCodeBlock(m.captured(2), code, ctx);
            i = j;
            continue;
        }
        if (line.trimmed().isEmpty()) {
            flushAll();
            continue;
        }
        if (const auto m = heading.match(line); m.hasMatch()) {
            flushAll();
            const int level = std::min(6, int(m.captured(1).size()) + 1); // h1 is too loud in a chat
            ctx.result.html
                += QStringLiteral("<h%1>%2</h%1>").arg(level).arg(inlineHtml(m.captured(2), ctx));
            continue;
        }
        if (rule.match(line).hasMatch()) {
            flushAll();
            ctx.result.html += QStringLiteral("<hr/>");
            continue;
        }
        if (line.startsWith(QLatin1Char('>'))) {
            flushParagraph();
            closeList();
            quote.append(line.mid(1).trimmed());
            continue;
        }
        const auto b = bullet.match(line);
        const auto o = ordered.match(line);
        if (b.hasMatch() || o.hasMatch()) {
            flushParagraph();
            flushQuote();
            const QString tag = b.hasMatch() ? QStringLiteral("ul") : QStringLiteral("ol");
            if (listTag != tag) {
                closeList();
                listTag = tag;
                ctx.result.html += QStringLiteral("<%1>").arg(tag);
            }
            ctx.result.html += QStringLiteral("<li>%1</li>")
                                   .arg(inlineHtml(b.hasMatch() ? b.captured(1) : o.captured(2),
                                                   ctx));
            continue;
        }
        if (!listTag.isEmpty() && line.startsWith(QLatin1String("  "))) {
            // A continuation line of the last list item: append it inside the item.
            ctx.result.html.chop(5); // "</li>"
            ctx.result.html += QLatin1Char(' ') + inlineHtml(line.trimmed(), ctx)
                               + QStringLiteral("</li>");
            continue;
        }
        closeList();
        flushQuote();
        paragraph.append(line.trimmed());
    }
    flushAll();
    return ctx.result;
}

} // namespace folio::ui
