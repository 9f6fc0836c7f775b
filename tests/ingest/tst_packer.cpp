// The packer: deterministic rendering (order, headers, final newlines, line numbers), the span map
// (ranges add up, every content piece is covered, the JSON form of docs/architecture.md and its
// parser), budget and ranked suggestions, parallel counting giving the same result as serial, and
// the token-count cache (an unchanged blob is not counted again).
#include "word_counter.h"

#include "ingest/packer.h"
#include "ingest/source.h"
#include "ingest/text_decode.h"
#include "ingest/tokenizer_counter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace folio::ingest;

class TestPacker : public QObject
{
    Q_OBJECT

    static SourceItem file(const QString &path, const QByteArray &text)
    {
        SourceItem i;
        i.path = path;
        i.text = text;
        i.bytes = text.size();
        i.contentId = blobIdOf(text);
        return i;
    }
    static SourceItem page(int n, const QString &label, const QByteArray &text)
    {
        SourceItem i;
        i.kind = ItemKind::PdfPage;
        i.path = QStringLiteral("book.pdf");
        i.page = n;
        i.label = label;
        i.text = text;
        i.noText = text.isEmpty();
        i.contentId = blobIdOf(text);
        return i;
    }
    static std::vector<SourceContents> corpus()
    {
        SourceContents repo;
        repo.name = QStringLiteral("repo");
        repo.revision = QStringLiteral("0123abcd");
        QByteArray longFile;
        for (int i = 1; i <= 150; ++i)
            longFile += "line " + QByteArray::number(i) + " of the long file\n";
        repo.items = {file("README.md", "# Title\n\nSome words here.\n"),
                      file("src/long.cpp", longFile), file("src/no_newline.h", "int x;"),
                      file("src/empty.txt", "")};
        SourceItem link;
        link.kind = ItemKind::Symlink;
        link.path = QStringLiteral("latest");
        link.text = "src/long.cpp";
        repo.items.push_back(link);
        SourceContents pdf;
        pdf.name = QStringLiteral("book.pdf");
        pdf.pageCount = 3;
        pdf.title = QStringLiteral("Book");
        pdf.items = {page(1, "i", "Preface text.\n"), page(2, "1", ""),
                     page(3, "2", "Chapter one\nends here")};
        return {repo, pdf};
    }

private Q_SLOTS:
    void rendering()
    {
        fixture::WordCounter counter;
        const PackResult r = Packer(counter).pack(corpus(), {});
        const QByteArray expectedStart
            = "<source 0: repo (git 0123abcd)>\n--- README.md ---\n# Title\n\nSome words "
              "here.\n--- src/long.cpp ---\nline 1 of";
        QVERIFY2(r.text.startsWith(expectedStart), r.text.left(200).constData());
        QVERIFY(
            r.text.contains("--- src/no_newline.h ---\nint x;\n--- src/empty.txt (empty) ---\n"));
        QVERIFY(r.text.contains("--- latest -> src/long.cpp (symlink) ---\n"));
        QVERIFY(r.text.contains("<source 1: book.pdf (PDF, 3 pages, title \"Book\")>\n--- book.pdf "
                                "p.1 [i] ---\nPreface text.\n"));
        QVERIFY(r.text.contains("--- book.pdf p.2 [1] (no text (scanned?)) ---\n--- book.pdf p.3 "
                                "[2] ---\nChapter one\nends here\n"));
        QVERIFY(r.text.endsWith("ends here\n"));
    }

    void spanMapAddsUp_data()
    {
        QTest::addColumn<bool>("lineNumbers");
        QTest::addColumn<int>("linesPerSpan");
        QTest::newRow("plain, 64 lines per span") << false << 64;
        QTest::newRow("plain, 1 line per span") << false << 1;
        QTest::newRow("line-numbered, 64 lines per span") << true << 64;
        QTest::newRow("line-numbered, 7 lines per span") << true << 7;
    }

    void spanMapAddsUp()
    {
        QFETCH(bool, lineNumbers);
        QFETCH(int, linesPerSpan);
        fixture::WordCounter counter;
        PackOptions opt;
        opt.lineNumbers = lineNumbers;
        opt.linesPerSpan = linesPerSpan;
        const std::vector<SourceContents> src = corpus();
        const PackResult r = Packer(counter).pack(src, opt);
        // Pieces tile the text and the token line.
        qint64 byte = 0, tok = 0;
        for (const Piece &p : r.pieces) {
            QCOMPARE(p.byteBegin, byte);
            QCOMPARE(p.tokBegin, tok);
            QCOMPARE(qint64(counter.count(std::string_view(r.text.constData() + p.byteBegin,
                                                           size_t(p.byteEnd - p.byteBegin)))),
                     p.tokEnd - p.tokBegin);
            byte = p.byteEnd;
            tok = p.tokEnd;
        }
        QCOMPARE(byte, qint64(r.text.size()));
        QCOMPARE(tok, r.totalTokens());
        // Because this counter is additive over newline-terminated pieces, the whole text agrees.
        QCOMPARE(qint64(counter.count(std::string_view(r.text.constData(), size_t(r.text.size())))),
                 r.totalTokens());
        // Each content piece has exactly one span with the same range.
        std::vector<Piece> content;
        for (const Piece &p : r.pieces)
            if (p.content)
                content.push_back(p);
        QCOMPARE(r.spans.size(), content.size());
        for (size_t i = 0; i < content.size(); ++i) {
            QCOMPARE(r.spans[i].tokBegin, content[i].tokBegin);
            QCOMPARE(r.spans[i].tokEnd, content[i].tokEnd);
        }
        // The long file's spans cover lines 1..150 contiguously, linesPerSpan at a time.
        int next = 1;
        for (const Span &s : r.spans) {
            if (s.path != QStringLiteral("src/long.cpp"))
                continue;
            QCOMPARE(s.lineBegin, next);
            QCOMPARE(s.lineEnd, qMin(150, next + linesPerSpan - 1));
            next = s.lineEnd + 1;
        }
        QCOMPARE(next, 151);
        // Line numbers: the same content tokens as plain mode, the prefixes counted as overhead.
        const PackResult plain = Packer(counter).pack(src, {});
        QCOMPARE(r.contentTokens, plain.contentTokens);
        if (lineNumbers) {
            QVERIFY(r.lineNumberTokens > 0);
            QCOMPARE(r.totalTokens(), plain.totalTokens() + r.lineNumberTokens);
            QVERIFY(r.text.contains(
                "--- src/long.cpp ---\n   1| line 1 of the long file\n   2| line 2"));
            QVERIFY(r.text.contains(" 150| line 150 of the long file\n"));
        } else {
            QCOMPARE(r.lineNumberTokens, qint64(0));
        }
    }

    // A line longer than maxPieceLineBytes is cut into pieces (never inside a UTF-8 character),
    // each span naming that line; the pieces still tile the file, and with line numbers only the
    // first piece of the line has its number.
    void longLinesAreCut_data()
    {
        QTest::addColumn<bool>("lineNumbers");
        QTest::newRow("plain") << false;
        QTest::newRow("line-numbered") << true;
    }

    void longLinesAreCut()
    {
        QFETCH(bool, lineNumbers);
        // 249 bytes of line 2: 'a's with two-byte characters where a 100-byte cut would fall.
        QByteArray longLine = QByteArray(99, 'a') + "\xc3\xa9" + QByteArray(98, 'b') + "\xc3\xa9"
                              + QByteArray(48, 'c');
        const QByteArray text = "short\n" + longLine + "\ntail\n";
        SourceContents src;
        src.name = QStringLiteral("repo");
        src.items = {file("wide.txt", text)};
        fixture::WordCounter counter;
        TokenCountCache cache;
        PackOptions opt;
        opt.lineNumbers = lineNumbers;
        opt.maxPieceLineBytes = 100;
        const PackResult r = Packer(counter, &cache).pack({src}, opt);
        QByteArray content;
        QList<QPair<int, int>> lines;
        size_t span = 0;
        for (const Piece &p : r.pieces) {
            if (!p.content)
                continue;
            const QByteArray bytes = r.text.mid(p.byteBegin, p.byteEnd - p.byteBegin);
            QVERIFY2(isValidUtf8(bytes), bytes.constData());
            if (r.spans[span].lineBegin == 2 && r.spans[span].lineEnd == 2)
                QVERIFY(bytes.size() <= 100 + (lineNumbers ? 6 : 0)); // (and its "   2| ")
            lines << qMakePair(r.spans[span].lineBegin, r.spans[span].lineEnd);
            content += bytes;
            ++span;
        }
        QCOMPARE(lines, (QList<QPair<int, int>>{{1, 1}, {2, 2}, {2, 2}, {2, 3}}));
        QCOMPARE(content, lineNumbers ? "   1| short\n   2| " + longLine + "\n   3| tail\n" : text);
        // Same content tokens with or without numbers (each piece is counted on its own, so a cut
        // word counts once per piece); the cut pieces come from the cache next time.
        const std::size_t misses = cache.misses();
        const PackResult again = Packer(counter, &cache).pack({src}, opt);
        QCOMPARE(again.text, r.text);
        QCOMPARE(cache.misses(), misses);
        PackOptions plain;
        plain.maxPieceLineBytes = 100;
        QCOMPARE(r.contentTokens, Packer(counter).pack({src}, plain).contentTokens);
    }

    void spanMapJson()
    {
        fixture::WordCounter counter;
        const PackResult r = Packer(counter).pack(corpus(), {});
        const QByteArray json = folio::ingest::spanMapJson(r);
        const QJsonObject root = QJsonDocument::fromJson(json).object();
        QCOMPARE(root.value("version").toInt(), 1);
        const QJsonArray spans = root.value("spans").toArray();
        QCOMPARE(spans.size(), qsizetype(r.spans.size()));
        const QJsonObject first = spans.first().toObject();
        QCOMPARE(first.keys(),
                 (QStringList{"line_begin", "line_end", "path", "source", "tok_begin", "tok_end"}));
        QCOMPARE(first.value("path").toString(), QStringLiteral("README.md"));
        QCOMPARE(first.value("line_begin").toInt(), 1);
        QCOMPARE(first.value("line_end").toInt(), 3);
        const QJsonObject last = spans.last().toObject();
        QCOMPARE(last.keys(),
                 (QStringList{"label", "page", "path", "source", "tok_begin", "tok_end"}));
        QCOMPARE(last.value("page").toInt(), 3);
        QCOMPARE(last.value("label").toString(), QStringLiteral("2"));
        QCOMPARE(last.value("source").toInt(), 1);
        QString error;
        const std::vector<Span> back = parseSpanMap(json, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(back.size(), r.spans.size());
        for (size_t i = 0; i < back.size(); ++i) {
            QCOMPARE(back[i].tokBegin, r.spans[i].tokBegin);
            QCOMPARE(back[i].path, r.spans[i].path);
            QCOMPARE(back[i].lineEnd, r.spans[i].lineEnd);
            QCOMPARE(back[i].page, r.spans[i].page);
        }
    }

    void spanMapParserRejectsBadInput_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("not JSON") << QByteArray("{");
        QTest::newRow("wrong version") << QByteArray(R"({"version":2,"spans":[]})");
        QTest::newRow("end before begin") << QByteArray(
            R"({"version":1,"spans":[{"tok_begin":5,"tok_end":2,"source":0,"path":"a","line_begin":1,"line_end":1}]})");
        QTest::newRow("no lines and no page") << QByteArray(
            R"({"version":1,"spans":[{"tok_begin":0,"tok_end":2,"source":0,"path":"a"}]})");
    }

    void spanMapParserRejectsBadInput()
    {
        QFETCH(QByteArray, json);
        QString error;
        QVERIFY(parseSpanMap(json, &error).empty());
        QVERIFY(!error.isEmpty());
    }

    void deterministicAcrossThreads()
    {
        fixture::WordCounter counter;
        std::vector<SourceContents> src = corpus();
        for (int i = 0; i < 300; ++i)
            src[0].items.push_back(file(QStringLiteral("gen/f%1.c").arg(i, 3, 10, QLatin1Char('0')),
                                        QByteArray("int f") + QByteArray::number(i) + "(void);\n"));
        PackOptions one;
        one.threads = 1;
        PackOptions many;
        many.threads = 8;
        const PackResult a = Packer(counter).pack(src, one);
        const PackResult b = Packer(counter).pack(src, many);
        QCOMPARE(a.text, b.text);
        QCOMPARE(folio::ingest::spanMapJson(a), folio::ingest::spanMapJson(b));
        QCOMPARE(a.totalTokens(), b.totalTokens());
    }

    void cacheCountsOnlyChangedBlobs()
    {
        fixture::WordCounter counter;
        TokenCountCache cache;
        std::vector<SourceContents> src = corpus();
        const PackResult first = Packer(counter, &cache).pack(src, {});
        const int callsFirst = counter.calls.load();
        counter.calls = 0;
        // The next commit changes one file.
        src[0].items[0] = file("README.md", "# Title\n\nOther words.\n");
        const PackResult second = Packer(counter, &cache).pack(src, {});
        const int callsSecond = counter.calls.load();
        // Headers are always counted; content is counted again only for README.md (1 piece).
        int headers = 2; // two sources
        for (const SourceContents &s : src)
            headers += int(s.items.size());
        QCOMPARE(callsSecond, headers + 1);
        QVERIFY(callsFirst > callsSecond);
        QCOMPARE(cache.hits(), size_t(4)); // long.cpp, no_newline.h and the two PDF pages with text
        QCOMPARE(second.contentTokens,
                 first.contentTokens - 1); // "Some words here." → "Other words."
    }

    void overBudgetSuggestions()
    {
        fixture::WordCounter counter;
        SourceContents repo;
        repo.name = QStringLiteral("big");
        auto words = [](int n) {
            QByteArray b;
            for (int i = 0; i < n; ++i)
                b += "w ";
            return b + "\n";
        };
        repo.items = {file("src/core/a.cpp", words(400)), file("src/core/b.cpp", words(300)),
                      file("src/ui/c.cpp", words(200)),   file("tests/test_a.cpp", words(250)),
                      file("proto/api.pb.h", words(150)), file("README.md", words(20))};
        PackOptions opt;
        opt.contextTokens = 1000;
        opt.answerReserve = 200;
        const PackResult r = Packer(counter).pack({repo}, opt);
        QCOMPARE(r.budget, qint64(800));
        QVERIFY(r.overBudget);
        QVERIFY(!r.suggestions.empty());
        // Ranked: generated first, then tests, then the largest directories.
        QCOMPARE(r.suggestions[0].reason, QStringLiteral("generated"));
        QCOMPARE(r.suggestions[0].exclude, QStringLiteral("*.pb.h"));
        QCOMPARE(r.suggestions[1].reason, QStringLiteral("tests"));
        QCOMPARE(r.suggestions[2].reason, QStringLiteral("largest directory"));
        QCOMPARE(r.suggestions[2].exclude, QStringLiteral("src/"));
        for (size_t i = 1; i < r.suggestions.size(); ++i)
            QVERIFY(r.suggestions[i].totalAfter < r.suggestions[i - 1].totalAfter);
        QVERIFY(r.suggestions.back().totalAfter <= r.budget);
        // Nothing was truncated: everything is still rendered.
        QCOMPARE(r.contentTokens, qint64(400 + 300 + 200 + 250 + 150 + 20 + 6));
        // Under budget: no suggestions.
        opt.contextTokens = 100000;
        QVERIFY(Packer(counter).pack({repo}, opt).suggestions.empty());
    }

    // The counter backed by the engine's tokenizer (when this build links folio_tokenizer).
    void realTokenizerCounter()
    {
        QString error;
        QVERIFY(!loadTokenizerCounter(QStringLiteral("/nonexistent/tokenizer.json"), &error));
        QVERIFY(!error.isEmpty());
        if (!haveEngineTokenizer())
            QSKIP("this build has no tokenizer library");
        const QString path = QStringLiteral(FOLIO_TOKENIZER_JSON);
        if (path.isEmpty())
            QSKIP("no tokenizer.json (run scripts/setup.sh)");
        const auto counter = loadTokenizerCounter(path, &error);
        QVERIFY2(counter, qPrintable(error));
        QVERIFY(counter->exact());
        QCOMPARE(counter->count(""), size_t(0));
        const std::size_t hello = counter->count("Hello, world!");
        QVERIFY(hello >= 3 && hello <= 5);
        // Parallel counting with the real tokenizer gives the same pack as serial counting.
        PackOptions one;
        one.threads = 1;
        PackOptions many;
        many.threads = 4;
        const PackResult a = Packer(*counter).pack(corpus(), one);
        const PackResult b = Packer(*counter).pack(corpus(), many);
        QCOMPARE(folio::ingest::spanMapJson(a), folio::ingest::spanMapJson(b));
        QVERIFY(a.contentTokens > 100);
    }

    void directoryTotals()
    {
        fixture::WordCounter counter;
        const PackResult r = Packer(counter).pack(corpus(), {});
        qint64 root = -1, srcDir = -1;
        for (const DirectoryTokens &d : r.directories) {
            if (d.source == 0 && d.path.isEmpty())
                root = d.tokens;
            if (d.source == 0 && d.path == QStringLiteral("src"))
                srcDir = d.tokens;
        }
        QVERIFY(srcDir > 0);
        QVERIFY(root > srcDir);
        QCOMPARE(r.sourceTokens.size(), size_t(2));
        QCOMPARE(r.sourceTokens[0] + r.sourceTokens[1], r.contentTokens);
    }
};

QTEST_GUILESS_MAIN(TestPacker)
#include "tst_packer.moc"
