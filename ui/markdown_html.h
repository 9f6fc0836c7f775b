// Markdown → HTML for the conversation view (the subset answers use: headings, paragraphs, lists,
// block quotes, rules, fenced code, inline code, bold, italic, links) with two Folio additions:
// citations become folio-cite: links styled by whether they were verified, and every fenced code
// block gets a Copy link. It tolerates a half-written document (an open code fence while the answer
// streams renders as a code block so far). QTextDocument::setMarkdown cannot be used because
// citations are located by offset in the raw text and must survive the conversion.
#pragma once

#include "app/chat_message.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace folio::ui {

struct MarkdownColors
{
    QString link = QStringLiteral("#2a6fdb");
    QString unverified = QStringLiteral("#8a8a8a");
    QString codeBackground = QStringLiteral("#f2f2f2");
    QString codeBorder = QStringLiteral("#d0d0d0");
};

struct MarkdownResult
{
    QString html;
    QStringList codeBlocks; // the raw text of each fenced code block, for Copy
};

// `linkPrefix` distinguishes the message ("3" gives folio-cite:3/0 and folio-copy:3/0).
MarkdownResult markdownToHtml(const QString &text,
                              const QVector<folio::app::CitationLink> &citations,
                              const QString &linkPrefix, const MarkdownColors &colors);

} // namespace folio::ui
