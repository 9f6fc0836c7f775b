// The conversation view renders a known answer text: Markdown, code blocks with Copy, the
// collapsible thinking part, verified and unverified citations, stats, and streaming updates.
#include "app/messages_model.h"
#include "ui/chat_view.h"
#include "ui/markdown_html.h"

#include <QApplication>
#include <QClipboard>
#include <QSignalSpy>
#include <QTest>

using folio::app::ChatMessage;
using folio::app::CitationLink;

namespace {
// A known answer as the model writes it, with two citations located by offset.
const QString kAnswer = QStringLiteral(
    "The parser lives in src/parse.cpp:10-12 and **never** allocates.\n"
    "\n"
    "```cpp\n"
    "int parse(const char *s);\n"
    "```\n"
    "\n"
    "- first point\n"
    "- see missing.cpp:1-2 too\n");

QVector<CitationLink> citationsFor(const QString &text)
{
    CitationLink ok;
    ok.text = QStringLiteral("src/parse.cpp:10-12");
    ok.offset = int(text.indexOf(ok.text));
    ok.length = int(ok.text.size());
    ok.verified = true;
    ok.path = QStringLiteral("src/parse.cpp");
    ok.lineBegin = 10;
    ok.lineEnd = 12;
    CitationLink bad;
    bad.text = QStringLiteral("missing.cpp:1-2");
    bad.offset = int(text.indexOf(bad.text));
    bad.length = int(bad.text.size());
    bad.verified = false;
    bad.reason = QStringLiteral("no file missing.cpp in the sources");
    return {ok, bad};
}

ChatMessage answer(const QString &text)
{
    ChatMessage m;
    m.id = 2;
    m.role = ChatMessage::Role::Assistant;
    m.text = text;
    m.thinking = QStringLiteral("Let me look at the parser first.");
    m.thinkingEnabled = true;
    m.citations = citationsFor(text);
    m.stats.promptTokens = 1234;
    m.stats.tokensPerSecond = 12.5;
    m.stats.timeToFirstTokenMs = 800;
    m.stats.snapshotReused = true;
    return m;
}
} // namespace

class TestChatView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void markdown_data()
    {
        QTest::addColumn<QString>("markdown");
        QTest::addColumn<QString>("expected");
        QTest::newRow("bold") << "a **b** c"
                              << "<b>b</b>";
        QTest::newRow("italic") << "a *b* c"
                                << "<i>b</i>";
        QTest::newRow("inline code escapes") << "use `a<b>`"
                                             << "a&lt;b&gt;</code>";
        QTest::newRow("heading") << "## Title"
                                 << "<h3>Title</h3>";
        QTest::newRow("bullet list") << "- one\n- two"
                                     << "<ul><li>one</li><li>two</li></ul>";
        QTest::newRow("ordered list") << "1. one\n2. two"
                                      << "<ol><li>one</li><li>two</li></ol>";
        QTest::newRow("html is escaped") << "<script>x</script>"
                                         << "&lt;script&gt;";
        QTest::newRow("open fence while streaming") << "```py\nprint(1)"
                                                    << "print(1)</pre>";
        QTest::newRow("link") << "[doc](https://example.org/x)"
                              << "<a href=\"https://example.org/x\">doc</a>";
    }

    void markdown()
    {
        QFETCH(QString, markdown);
        QFETCH(QString, expected);
        const auto result = folio::ui::markdownToHtml(markdown, {}, QStringLiteral("0"), {});
        QVERIFY2(result.html.contains(expected), qPrintable(result.html));
    }

    void citationsBecomeLinks()
    {
        const auto result = folio::ui::markdownToHtml(kAnswer, citationsFor(kAnswer),
                                                      QStringLiteral("1"), {});
        QVERIFY(result.html.contains(QStringLiteral("href=\"folio-cite:1/0\"")));
        QVERIFY(result.html.contains(QStringLiteral("href=\"folio-cite:1/1\"")));
        // The unverified one looks different and its tooltip says why.
        QVERIFY(result.html.contains(QStringLiteral("line-through")));
        QVERIFY(result.html.contains(QStringLiteral("no file missing.cpp in the sources")));
        QCOMPARE(result.codeBlocks.size(), 1);
        QCOMPARE(result.codeBlocks.first(), QStringLiteral("int parse(const char *s);"));
    }

    void citationInsideCodeStaysText()
    {
        const QString text = QStringLiteral("`a.cpp:1-2`");
        CitationLink c;
        c.text = QStringLiteral("a.cpp:1-2");
        c.offset = 1;
        c.length = int(c.text.size());
        c.verified = true;
        const auto result = folio::ui::markdownToHtml(text, {c}, QStringLiteral("0"), {});
        QVERIFY(!result.html.contains(QStringLiteral("folio-cite")));
        QVERIFY(result.html.contains(QStringLiteral("a.cpp:1-2")));
    }

    void rendersAnswerAndDispatchesCitation()
    {
        folio::app::MessagesModel model;
        ChatMessage question;
        question.id = 1;
        question.text = QStringLiteral("Where is the parser?");
        model.append(question);
        model.append(answer(kAnswer));

        folio::ui::ChatView view;
        view.setModel(&model);
        view.resize(600, 500);
        view.show();
        view.renderNow();
        const QString plain = view.toPlainText();
        QVERIFY(plain.contains(QStringLiteral("Where is the parser?")));
        QVERIFY(plain.contains(QStringLiteral("never allocates")));
        QVERIFY(plain.contains(QStringLiteral("int parse(const char *s);")));
        QVERIFY(plain.contains(QStringLiteral("1,234 prompt tokens")));
        QVERIFY(plain.contains(QStringLiteral("snapshot reused")));
        // Thinking starts collapsed.
        QVERIFY(!plain.contains(QStringLiteral("Let me look at the parser first.")));

        QSignalSpy cited(&view, &folio::ui::ChatView::citationActivated);
        QSignalSpy status(&view, &folio::ui::ChatView::statusMessage);
        view.activateLink(QUrl(QStringLiteral("folio-cite:1/0")));
        QCOMPARE(cited.size(), 1);
        const auto c = cited.first().first().value<CitationLink>();
        QCOMPARE(c.path, QStringLiteral("src/parse.cpp"));
        QCOMPARE(c.lineBegin, 10);
        QVERIFY(c.verified);
        view.activateLink(QUrl(QStringLiteral("folio-cite:1/1")));
        QCOMPARE(cited.size(), 2);
        QVERIFY(!cited.last().first().value<CitationLink>().verified);
        QVERIFY(status.last().first().toString().contains(QStringLiteral("missing.cpp")));
    }

    void thinkingToggles()
    {
        folio::app::MessagesModel model;
        model.append(answer(kAnswer));
        folio::ui::ChatView view;
        view.setModel(&model);
        view.activateLink(QUrl(QStringLiteral("folio-think:0")));
        QVERIFY(view.isThinkingExpanded(2));
        QVERIFY(view.toPlainText().contains(QStringLiteral("Let me look at the parser first.")));
        view.activateLink(QUrl(QStringLiteral("folio-think:0")));
        QVERIFY(!view.toPlainText().contains(QStringLiteral("Let me look at the parser first.")));
    }

    void copyCodeBlock()
    {
        folio::app::MessagesModel model;
        model.append(answer(kAnswer));
        folio::ui::ChatView view;
        view.setModel(&model);
        view.activateLink(QUrl(QStringLiteral("folio-copy:0/0")));
        QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("int parse(const char *s);"));
    }

    void actionsAreSignals()
    {
        folio::app::MessagesModel model;
        ChatMessage q;
        q.id = 1;
        q.text = QStringLiteral("q");
        q.branchCount = 2;
        q.branchIndex = 1;
        model.append(q);
        model.append(answer(kAnswer));
        folio::ui::ChatView view;
        view.setModel(&model);
        QSignalSpy regen(&view, &folio::ui::ChatView::regenerateRequested);
        QSignalSpy edit(&view, &folio::ui::ChatView::editRequested);
        QSignalSpy branch(&view, &folio::ui::ChatView::branchRequested);
        view.activateLink(QUrl(QStringLiteral("folio-act:regenerate/1")));
        view.activateLink(QUrl(QStringLiteral("folio-act:edit/0")));
        view.activateLink(QUrl(QStringLiteral("folio-act:prev/0")));
        QCOMPARE(regen.size(), 1);
        QCOMPARE(regen.first().first().toInt(), 1);
        QCOMPARE(edit.size(), 1);
        QCOMPARE(branch.size(), 1);
        QCOMPARE(branch.first().at(1).toInt(), -1);
        QVERIFY(view.toPlainText().contains(QStringLiteral("2/2")));
        // Links pointing at rows that do not exist are ignored, not crashes.
        view.activateLink(QUrl(QStringLiteral("folio-act:edit/99")));
        view.activateLink(QUrl(QStringLiteral("folio-cite:7/3")));
        QCOMPARE(edit.size(), 1);
    }

    void streamingCoalesces()
    {
        folio::app::MessagesModel model;
        ChatMessage m;
        m.id = 5;
        m.role = ChatMessage::Role::Assistant;
        m.state = ChatMessage::State::Streaming;
        const int row = model.append(m);
        folio::ui::ChatView view;
        view.setModel(&model);
        for (int i = 0; i < 200; ++i)
            model.appendText(row, QStringLiteral("tok%1 ").arg(i));
        // Not rendered per token: the coalescing timer renders once the event loop runs.
        QTRY_VERIFY(view.toPlainText().contains(QStringLiteral("tok199")));
        QVERIFY(view.toPlainText().contains(QStringLiteral("Writing")));
        model.setState(row, ChatMessage::State::Stopped);
        QTRY_VERIFY(view.toPlainText().contains(QStringLiteral("Stopped.")));
    }
};

QTEST_MAIN(TestChatView)
#include "tst_chat_view.moc"
