// ChatView: the conversation, rendered from appcore's MessagesModel. Answers are Markdown (code
// blocks monospace with a Copy link, the thinking part collapsible), citations are links (verified
// ones open the viewer, unverified ones are struck through and their tooltip says why), and each
// message carries its actions (copy, regenerate, edit and resend, branch switcher) and the answer's
// statistics. Streaming updates are coalesced so a fast model never floods the event loop.
#pragma once

#include "app/chat_message.h"

#include <QHash>
#include <QSet>
#include <QTextBrowser>

class QTimer;

namespace folio::app {
class MessagesModel;
}

namespace folio::ui {

class ChatView : public QTextBrowser
{
    Q_OBJECT

public:
    explicit ChatView(QWidget *parent = nullptr);

    void setModel(folio::app::MessagesModel *model);
    folio::app::MessagesModel *model() const { return m_model; }

    // Renders now instead of at the next coalescing tick (tests, screenshots).
    void renderNow();
    // Activates a link as if clicked ("folio-cite:1/0").
    void activateLink(const QUrl &url);
    bool isThinkingExpanded(qint64 messageId) const { return m_expanded.contains(messageId); }

Q_SIGNALS:
    // A citation was clicked. Verified or not: the receiver opens the location or explains.
    void citationActivated(const folio::app::CitationLink &citation);
    void regenerateRequested(int row);
    void editRequested(int row);
    void branchRequested(int row, int delta); // -1 previous, +1 next sibling
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    void scheduleRender();
    void invalidate(int first, int last);
    QString renderMessage(int row);
    void copyText(const QString &text, const QString &confirmation);

    folio::app::MessagesModel *m_model = nullptr;
    QTimer *m_renderTimer = nullptr;
    QHash<int, QString> m_htmlCache;      // row → rendered HTML
    QHash<int, QStringList> m_codeBlocks; // row → code blocks (for Copy)
    QSet<qint64> m_expanded;              // message ids whose thinking part is shown
};

} // namespace folio::ui
