// The citation resolver: every reference form, verified and unverified, with exact locations;
// quotes found whitespace-insensitively across line breaks and PDF pages.
#include "ingest/citations.h"
#include "ingest/source.h"

#include <QTest>

using namespace folio::ingest;

class TestCitations : public QObject
{
    Q_OBJECT

    std::vector<SourceContents> m_sources;

    static SourceItem file(const QString &path, const QByteArray &text)
    {
        SourceItem i;
        i.path = path;
        i.text = text;
        return i;
    }
    static SourceItem page(int n, const QString &label, const QByteArray &text)
    {
        SourceItem i;
        i.kind = ItemKind::PdfPage;
        i.path = QStringLiteral("contract.pdf");
        i.page = n;
        i.label = label;
        i.text = text;
        return i;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QByteArray thirty;
        for (int i = 1; i <= 30; ++i)
            thirty += "int line" + QByteArray::number(i) + " = " + QByteArray::number(i) + ";\n";
        SourceContents repo;
        repo.items = {file("src/a.cpp", thirty),
                      file("src/core/main.cpp",
                           "int main()\n{\n    return run(argc,\n               argv);\n}\n"),
                      file("tools/main.cpp", "int main() { return 1; }\n"),
                      file("README.md", "# Folio\nno final newline")};
        SourceContents pdf;
        pdf.items = {
            page(1, "i", "Title page\n"), page(2, "ii", "Table of contents\n"),
            page(3, "1",
                 "The Supplier shall deliver the goods\nwithin thirty (30) days of the order.\n"),
            page(4, "2", "Termination requires written notice.\n")};
        m_sources = {repo, pdf};
    }

    void resolve_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<int>("kind");
        QTest::addColumn<bool>("verified");
        QTest::addColumn<QString>("locationOrDetail");
        QTest::newRow("path:line")
            << "See src/a.cpp:12." << int(Citation::Lines) << true << "src/a.cpp:12";
        QTest::newRow("path:range")
            << "in `src/a.cpp:12-30`" << int(Citation::Lines) << true << "src/a.cpp:12-30";
        QTest::newRow("range with en dash")
            << "src/a.cpp:3\u20135" << int(Citation::Lines) << true << "src/a.cpp:3-5";
        QTest::newRow("range past the end") << "src/a.cpp:25-31" << int(Citation::Lines) << false
                                            << "src/a.cpp has 30 lines; 31 is past the end";
        QTest::newRow("line zero")
            << "src/a.cpp:0" << int(Citation::Lines) << false << "invalid line range 0-0";
        QTest::newRow("reversed range")
            << "src/a.cpp:9-3" << int(Citation::Lines) << false << "invalid line range 9-3";
        QTest::newRow("unique suffix")
            << "a.cpp:7" << int(Citation::Lines) << true << "src/a.cpp:7";
        QTest::newRow("directory suffix")
            << "core/main.cpp:3" << int(Citation::Lines) << true << "src/core/main.cpp:3";
        QTest::newRow("ambiguous name")
            << "main.cpp:1" << int(Citation::Lines) << false
            << "ambiguous: 2 files match (src/core/main.cpp, tools/main.cpp)";
        QTest::newRow("unknown file") << "src/nope.cpp:1" << int(Citation::Lines) << false
                                      << "no file src/nope.cpp in the sources";
        QTest::newRow("last line without newline")
            << "README.md:2" << int(Citation::Lines) << true << "README.md:2";
        QTest::newRow("after the last line") << "README.md:3" << int(Citation::Lines) << false
                                             << "README.md has 2 lines; 3 is past the end";
        QTest::newRow("pdf physical page")
            << "contract.pdf p.3" << int(Citation::Page) << true << "contract.pdf p.3 [1]";
        QTest::newRow("pdf page word")
            << "(contract.pdf, page 4)" << int(Citation::Page) << true << "contract.pdf p.4 [2]";
        QTest::newRow("pdf roman label")
            << "contract.pdf p. ii" << int(Citation::Page) << true << "contract.pdf p.2 [ii]";
        QTest::newRow("pdf page range")
            << "contract.pdf pp.3-4" << int(Citation::Page) << true << "contract.pdf p.3 [1]-4";
        QTest::newRow("pdf page missing") << "contract.pdf p.9" << int(Citation::Page) << false
                                          << "contract.pdf has 4 pages and no page labelled 9";
        QTest::newRow("pdf unknown")
            << "other.pdf p.1" << int(Citation::Page) << false << "no PDF other.pdf in the sources";
        QTest::newRow("pdf case-insensitive")
            << "Contract.PDF P.3" << int(Citation::Page) << true << "contract.pdf p.3 [1]";
        QTest::newRow("quote in a file across lines")
            << "it calls \"return run(argc, argv);\" there" << int(Citation::Quote) << true
            << "src/core/main.cpp:3-4";
        QTest::newRow("quote in a PDF across a line break")
            << "\u201cdeliver the goods within thirty (30) days\u201d" << int(Citation::Quote)
            << true << "contract.pdf p.3 [1]";
        QTest::newRow("quote with extra spaces")
            << "\"Termination   requires\n written notice.\"" << int(Citation::Quote) << true
            << "contract.pdf p.4 [2]";
        QTest::newRow("quote not in the sources")
            << "\"the goods shall be free of charge\"" << int(Citation::Quote) << false
            << "quote not found in the sources";
    }

    void resolve()
    {
        QFETCH(QString, answer);
        QFETCH(int, kind);
        QFETCH(bool, verified);
        QFETCH(QString, locationOrDetail);
        const CitationResolver resolver(m_sources);
        const std::vector<Citation> cs = resolver.resolve(answer);
        QCOMPARE(cs.size(), size_t(1));
        const Citation &c = cs.front();
        QCOMPARE(int(c.kind), kind);
        QCOMPARE(c.verified, verified);
        QCOMPARE(verified ? c.location : c.detail, locationOrDetail);
        QVERIFY(answer.mid(c.offset).startsWith(c.text));
    }

    void severalInOrder()
    {
        const CitationResolver resolver(m_sources);
        const QString answer = QStringLiteral(
            "The loop is in src/a.cpp:3-4 and the contract says \"written notice\" is needed "
            "(contract.pdf p.4); see also tools/main.cpp:1 and http://example.org:8080/x.");
        const std::vector<Citation> cs = resolver.resolve(answer);
        QCOMPARE(cs.size(), size_t(3)); // the quote is under 15 characters; URLs are not citations
        QCOMPARE(cs[0].location, QStringLiteral("src/a.cpp:3-4"));
        QCOMPARE(cs[1].location, QStringLiteral("contract.pdf p.4 [2]"));
        QCOMPARE(cs[1].source, 1);
        QCOMPARE(cs[2].location, QStringLiteral("tools/main.cpp:1"));
        QCOMPARE(cs[2].lineBegin, 1);
    }

    void noCitations()
    {
        const CitationResolver resolver(m_sources);
        QVERIFY(resolver.resolve(QStringLiteral("The sources do not contain the answer.")).empty());
        QVERIFY(resolver.resolve(QString()).empty());
        const CitationResolver empty({});
        const auto cs = empty.resolve(QStringLiteral("src/a.cpp:1"));
        QCOMPARE(cs.size(), size_t(1));
        QVERIFY(!cs[0].verified);
    }
};

QTEST_GUILESS_MAIN(TestCitations)
#include "tst_citations.moc"
