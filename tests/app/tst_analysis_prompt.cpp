// The analysis prompt of a small session, byte for byte (instructions, packed sources, an earlier
// turn, the question, thinking and chat mode), and the property snapshots rely on: the system
// prefix's token ids are a prefix of the whole prompt's ids with the real V4 tokenizer.
#include "app/analysis/analysis_prompt.h"

#include "folio/tokenizer.h"

#include <QTest>

using namespace folio;

namespace {

const QByteArray kSources = "<source 0: demo (git 0123abcd)>\n"
                            "--- src/main.cpp ---\n"
                            "int main() { return 0; }\n";

const std::string kInstructions
    = "You are Folio, an assistant that answers questions about the sources below: source code "
      "repositories and documents. Answer from the sources only. Cite every claim with its "
      "location, written exactly as `path:12-30` for lines of a file or `file.pdf p.7` for a "
      "page. When the sources do not contain the answer, say so plainly instead of guessing.";

} // namespace

class TestAnalysisPrompt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void smallSessionByteForByte_data()
    {
        QTest::addColumn<bool>("thinking");
        QTest::addColumn<QByteArray>("tail");
        // Earlier reasoning is dropped by the V4 format; the last turn opens <think> or </think>.
        QTest::newRow("chat") << false
                              << QByteArray(
                                     "<｜User｜>What does main return?<｜Assistant｜></think>");
        QTest::newRow("thinking") << true
                                  << QByteArray(
                                         "<｜User｜>What does main return?<｜Assistant｜><think>");
    }

    void smallSessionByteForByte()
    {
        QFETCH(bool, thinking);
        QFETCH(QByteArray, tail);
        const QVector<analysis::Turn> history = {
            {true, QStringLiteral("Which file has main?"), QString()},
            {false, QStringLiteral("`src/main.cpp:1-1` defines it."), QStringLiteral("Look.")},
        };
        auto p = analysis::buildAnalysisPrompt(kSources, history,
                                               QStringLiteral("What does main return?"), thinking);
        QVERIFY2(p, p ? "" : p.status().message().c_str());
        const std::string prefix = "<｜begin▁of▁sentence｜>" + kInstructions + "\n\n"
                                   + kSources.toStdString();
        const std::string expected = prefix
                                     + "<｜User｜>Which file has main?<｜Assistant｜></think>"
                                       "`src/main.cpp:1-1` defines it.<｜end▁of▁sentence｜>"
                                     + tail.toStdString();
        QCOMPARE(QByteArray::fromStdString(p->text), QByteArray::fromStdString(expected));
        QCOMPARE(QByteArray::fromStdString(p->prefixText), QByteArray::fromStdString(prefix));
        QCOMPARE(p->messages.size(), size_t(4));
        QCOMPARE(p->messages.front().role, std::string("system"));
    }

    void emptyQuestionIsRefused()
    {
        auto p = analysis::buildAnalysisPrompt(kSources, {}, QStringLiteral("  "), false);
        QVERIFY(!p);
        QVERIFY(QString::fromStdString(p.status().message()).contains("empty"));
    }

    void prefixTokensArePrefixOfPromptTokens()
    {
        auto tok = Tokenizer::load(FOLIO_TOKENIZER_JSON);
        QVERIFY2(tok, tok ? "" : tok.status().message().c_str());
        // Sources that end without a newline and with text that could merge across the boundary.
        for (const QByteArray &sources :
             {kSources, QByteArray("--- a.txt ---\nabc"), QByteArray("")}) {
            auto p = analysis::buildAnalysisPrompt(sources, {}, QStringLiteral("Why?"), false);
            QVERIFY(p);
            const std::vector<int32_t> all = (*tok)->encode(p->text);
            const std::vector<int32_t> prefix = (*tok)->encode(p->prefixText);
            QVERIFY(prefix.size() < all.size());
            QVERIFY(std::equal(prefix.begin(), prefix.end(), all.begin()));
            QCOMPARE(prefix.front(), *(*tok)->special_id(chat::kBos));
        }
    }
};

QTEST_GUILESS_MAIN(TestAnalysisPrompt)
#include "tst_analysis_prompt.moc"
