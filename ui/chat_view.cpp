// ChatView: HTML rendering of MessagesModel rows, link dispatch (folio-cite:, folio-copy:,
// folio-think:, folio-act:), and coalesced re-rendering while an answer streams.
#include "ui/chat_view.h"

#include "app/messages_model.h"
#include "ui/log_category.h"
#include "ui/markdown_html.h"

#include <QApplication>
#include <QClipboard>
#include <QEvent>
#include <QRegularExpression>
#include <QScrollBar>
#include <QTimer>
#include <QUrl>

namespace folio::ui {

using folio::app::ChatMessage;

namespace {
// Re-render at most this often while tokens stream in: fast enough to look live, slow enough that
// a long answer's HTML is not rebuilt for every token.
constexpr int kRenderIntervalMs = 40;

QString colorName(const QColor &c)
{
    return c.name(QColor::HexRgb);
}

// Parses "scheme:row/index" into row and index.
bool parseRowIndex(const QUrl &url, int *row, int *index)
{
    const QStringList parts = url.path().split(QLatin1Char('/'));
    bool ok1 = false, ok2 = true;
    *row = parts.value(0).toInt(&ok1);
    *index = parts.size() > 1 ? parts.at(1).toInt(&ok2) : 0;
    return ok1 && ok2;
}
} // namespace

ChatView::ChatView(QWidget *parent)
    : QTextBrowser(parent)
{
    setObjectName(QStringLiteral("conversationView"));
    setAccessibleName(tr("Conversation"));
    setOpenLinks(false);
    setOpenExternalLinks(false);
    setPlaceholderText(tr("Add a repository or documents, then ask a question about them."));
    m_renderTimer = new QTimer(this);
    m_renderTimer->setSingleShot(true);
    m_renderTimer->setInterval(kRenderIntervalMs);
    connect(m_renderTimer, &QTimer::timeout, this, &ChatView::renderNow);
    connect(this, &QTextBrowser::anchorClicked, this, &ChatView::activateLink);
}

void ChatView::setModel(folio::app::MessagesModel *model)
{
    if (m_model)
        m_model->disconnect(this);
    m_model = model;
    m_htmlCache.clear();
    m_codeBlocks.clear();
    if (m_model) {
        connect(m_model, &QAbstractItemModel::dataChanged, this,
                [this](const QModelIndex &a, const QModelIndex &b) {
                    invalidate(a.row(), b.row());
                });
        connect(m_model, &QAbstractItemModel::rowsInserted, this,
                [this](const QModelIndex &, int first, int) { invalidate(first, INT_MAX); });
        connect(m_model, &QAbstractItemModel::rowsRemoved, this,
                [this](const QModelIndex &, int first, int) { invalidate(first, INT_MAX); });
        connect(m_model, &QAbstractItemModel::modelReset, this, [this] { invalidate(0, INT_MAX); });
    }
    renderNow();
}

void ChatView::invalidate(int first, int last)
{
    for (auto it = m_htmlCache.begin(); it != m_htmlCache.end();) {
        if (it.key() >= first && it.key() <= last)
            it = m_htmlCache.erase(it);
        else
            ++it;
    }
    scheduleRender();
}

void ChatView::scheduleRender()
{
    if (!m_renderTimer->isActive())
        m_renderTimer->start();
}

void ChatView::renderNow()
{
    m_renderTimer->stop();
    QScrollBar *bar = verticalScrollBar();
    // Follow the stream only when the reader is already at the bottom.
    const bool atBottom = bar->value() >= bar->maximum() - 4;
    const int oldValue = bar->value();
    QString html;
    const int rows = m_model ? m_model->rowCount() : 0;
    for (int row = 0; row < rows; ++row) {
        auto it = m_htmlCache.find(row);
        if (it == m_htmlCache.end())
            it = m_htmlCache.insert(row, renderMessage(row));
        html += it.value();
    }
    setHtml(html);
    bar->setValue(atBottom ? bar->maximum() : oldValue);
}

QString ChatView::renderMessage(int row)
{
    const ChatMessage &m = m_model->message(row);
    const QPalette pal = palette();
    MarkdownColors colors;
    colors.link = colorName(pal.color(QPalette::Link));
    colors.unverified = colorName(pal.color(QPalette::Disabled, QPalette::Text));
    colors.codeBackground = colorName(pal.color(QPalette::AlternateBase));
    colors.codeBorder = colorName(pal.color(QPalette::Mid));
    const QString dim = colorName(pal.color(QPalette::PlaceholderText));
    const QString link = colors.link;
    auto action = [&](const QString &href, const QString &label) {
        return QStringLiteral("<a href=\"%1\" style=\"color:%2\">%3</a>").arg(href, link, label);
    };

    QString html;
    const bool answer = m.role == ChatMessage::Role::Assistant;
    html += QStringLiteral("<p style=\"margin-top:12px\"><b>%1</b>")
                .arg(answer ? tr("Folio") : tr("You"));
    if (m.branchCount > 1) {
        // The branch switcher: ‹ 2/3 ›
        html += QStringLiteral(" &nbsp; <span style=\"color:%1\">").arg(dim);
        if (m.branchIndex > 0)
            html += action(QStringLiteral("folio-act:prev/%1").arg(row), QStringLiteral("&#8249;"));
        html += QStringLiteral(" %1/%2 ").arg(m.branchIndex + 1).arg(m.branchCount);
        if (m.branchIndex + 1 < m.branchCount)
            html += action(QStringLiteral("folio-act:next/%1").arg(row), QStringLiteral("&#8250;"));
        html += QStringLiteral("</span>");
    }
    html += QStringLiteral("</p>");

    if (!answer) {
        html += QStringLiteral("<p>%1</p>")
                    .arg(
                        m.text.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br/>")));
        html += QStringLiteral("<p style=\"font-size:small\">%1 &nbsp; %2</p>")
                    .arg(action(QStringLiteral("folio-act:edit/%1").arg(row),
                                tr("Edit and resend")),
                         action(QStringLiteral("folio-act:copy/%1").arg(row), tr("Copy")));
        return html;
    }

    if (!m.thinking.isEmpty()) {
        const bool open = m_expanded.contains(m.id);
        html += QStringLiteral("<p style=\"font-size:small\">%1</p>")
                    .arg(action(QStringLiteral("folio-think:%1").arg(row),
                                (open ? QStringLiteral("&#9662; ") : QStringLiteral("&#9656; "))
                                    + tr("Thinking (%n words)", nullptr,
                                         int(m.thinking
                                                 .split(QRegularExpression(QStringLiteral("\\s+")),
                                                        Qt::SkipEmptyParts)
                                                 .size()))));
        if (open) {
            html += QStringLiteral("<blockquote style=\"color:%1\"><i>%2</i></blockquote>")
                        .arg(dim, m.thinking.toHtmlEscaped().replace(QLatin1Char('\n'),
                                                                     QStringLiteral("<br/>")));
        }
    }

    const MarkdownResult md = markdownToHtml(m.text, m.citations, QString::number(row), colors);
    m_codeBlocks.insert(row, md.codeBlocks);
    html += md.html;

    switch (m.state) {
    case ChatMessage::State::Streaming:
        html += QStringLiteral("<p style=\"color:%1\">%2</p>")
                    .arg(dim, m.text.isEmpty() && !m.thinking.isEmpty() ? tr("Thinking…")
                                                                        : tr("Writing…"));
        break;
    case ChatMessage::State::Stopped:
        html += QStringLiteral("<p style=\"color:%1\"><i>%2</i></p>").arg(dim, tr("Stopped."));
        break;
    case ChatMessage::State::Failed:
        html += QStringLiteral("<p><b>%1</b> %2</p>")
                    .arg(tr("The answer failed:"), m.error.toHtmlEscaped());
        break;
    case ChatMessage::State::Done:
        break;
    }

    if (m.state != ChatMessage::State::Streaming) {
        QStringList stats;
        if (m.stats.promptTokens > 0)
            stats << tr("%L1 prompt tokens").arg(m.stats.promptTokens);
        if (m.stats.timeToFirstTokenMs > 0)
            stats << tr("first token after %L1 s")
                         .arg(m.stats.timeToFirstTokenMs / 1000.0, 0, 'f', 2);
        if (m.stats.tokensPerSecond > 0)
            stats << tr("%L1 tokens/s").arg(m.stats.tokensPerSecond, 0, 'f', 1);
        if (m.stats.promptTokens > 0)
            stats << (m.stats.snapshotReused ? tr("snapshot reused") : tr("no snapshot reused"));
        const int unverified = int(std::count_if(m.citations.cbegin(), m.citations.cend(),
                                                 [](const auto &c) { return !c.verified; }));
        if (unverified > 0)
            stats << tr("%n unverified citation(s)", nullptr, unverified);
        html += QStringLiteral("<p style=\"font-size:small;color:%1\">%2</p>")
                    .arg(dim, stats.join(QStringLiteral(" · ")).toHtmlEscaped());
        html += QStringLiteral("<p style=\"font-size:small\">%1 &nbsp; %2</p>")
                    .arg(action(QStringLiteral("folio-act:copy/%1").arg(row), tr("Copy")),
                         action(QStringLiteral("folio-act:regenerate/%1").arg(row),
                                tr("Regenerate")));
    }
    return html;
}

void ChatView::activateLink(const QUrl &url)
{
    if (!m_model)
        return;
    const QString scheme = url.scheme();
    int row = 0, index = 0;
    if (scheme == QLatin1String("folio-cite") && parseRowIndex(url, &row, &index)) {
        if (row < m_model->rowCount() && index < m_model->message(row).citations.size()) {
            const folio::app::CitationLink c = m_model->message(row).citations.at(index);
            if (!c.verified)
                Q_EMIT statusMessage(tr("Unverified citation %1: %2").arg(c.text, c.reason));
            Q_EMIT citationActivated(c);
        }
    } else if (scheme == QLatin1String("folio-copy") && parseRowIndex(url, &row, &index)) {
        const QStringList blocks = m_codeBlocks.value(row);
        if (index < blocks.size())
            copyText(blocks.at(index), tr("Copied the code block."));
    } else if (scheme == QLatin1String("folio-think") && parseRowIndex(url, &row, &index)) {
        if (row < m_model->rowCount()) {
            const qint64 id = m_model->message(row).id;
            if (!m_expanded.remove(id))
                m_expanded.insert(id);
            invalidate(row, row);
            renderNow();
        }
    } else if (scheme == QLatin1String("folio-act")) {
        const QStringList parts = url.path().split(QLatin1Char('/'));
        const QString what = parts.value(0);
        row = parts.value(1).toInt();
        if (row < 0 || row >= m_model->rowCount())
            return;
        if (what == QLatin1String("copy"))
            copyText(m_model->message(row).text, tr("Copied the message."));
        else if (what == QLatin1String("regenerate"))
            Q_EMIT regenerateRequested(row);
        else if (what == QLatin1String("edit"))
            Q_EMIT editRequested(row);
        else if (what == QLatin1String("prev"))
            Q_EMIT branchRequested(row, -1);
        else if (what == QLatin1String("next"))
            Q_EMIT branchRequested(row, +1);
    } else {
        qCDebug(lcUi) << "ignoring link" << url;
    }
}

void ChatView::copyText(const QString &text, const QString &confirmation)
{
    QApplication::clipboard()->setText(text);
    Q_EMIT statusMessage(confirmation);
}

void ChatView::changeEvent(QEvent *event)
{
    QTextBrowser::changeEvent(event);
    // Colours come from the palette and strings from the translator: render again when either changes.
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::LanguageChange) {
        if (event->type() == QEvent::LanguageChange) {
            setAccessibleName(tr("Conversation"));
            setPlaceholderText(
                tr("Add a repository or documents, then ask a question about them."));
        }
        m_htmlCache.clear();
        scheduleRender();
    }
}

} // namespace folio::ui
