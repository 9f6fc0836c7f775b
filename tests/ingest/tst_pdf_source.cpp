// PdfSource: PDFs made here (multi-page, page labels, a page without text, metadata, hyphenation,
// encrypted with qpdf, truncated and garbage files, random corruption) and PDFs someone else made
// (documentation PDFs shipped in Debian packages, compared with pdftotext when installed).
#include "pdf_writer.h"
#include "progress_log.h"

#include "ingest/ingest_run.h"
#include "ingest/pdf_source.h"

#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace folio::ingest;

class TestPdfSource : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_book;

    QString write(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return QString();
        f.write(bytes);
        return path;
    }

    static SourceContents readPdf(const QString &path, const QByteArray &password,
                                  OpenStatus *status)
    {
        PdfSource src(path, password);
        SourceContents out;
        *status = src.open();
        if (status->ok())
            *status = src.read(FileFilter(), &out);
        return out;
    }

    static QString qpdf() { return QStandardPaths::findExecutable(QStringLiteral("qpdf")); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        fixture::PdfSpec spec;
        spec.title = QStringLiteral("The Test Book");
        spec.author = QStringLiteral("A. Author");
        spec.pages.push_back({{"Preface", "Roman numbered front matter."}});
        spec.pages.push_back({{"Contents"}});
        spec.pages.push_back(
            {{"Chapter 1", "The quick brown fox jumps over the lazy dog.",
              "A word split at the end of a line is exam-", "ple text joined again."}});
        spec.pages.push_back({}); // scanned: no text layer
        spec.pages.push_back({{"Chapter 2", "Last page."}});
        // i, ii, then 1, 2, 3
        spec.pageLabels = "0 << /S /r >> 2 << /S /D >>";
        m_book = write(QStringLiteral("book.pdf"), fixture::makePdf(spec));
        QVERIFY(!m_book.isEmpty());
    }

    void pages_data()
    {
        QTest::addColumn<int>("page");
        QTest::addColumn<QString>("label");
        QTest::addColumn<bool>("noText");
        QTest::addColumn<QString>("contains");
        QTest::newRow("page 1 labelled i") << 1 << "i" << false << "Roman numbered front matter.";
        QTest::newRow("page 2 labelled ii") << 2 << "ii" << false << "Contents";
        QTest::newRow("page 3 labelled 1, hyphenation joined") << 3 << "1" << false << "example";
        QTest::newRow("page 4 without text layer") << 4 << "2" << true << "";
        QTest::newRow("page 5 labelled 3") << 5 << "3" << false << "Last page.";
    }

    void pages()
    {
        QFETCH(int, page);
        QFETCH(QString, label);
        QFETCH(bool, noText);
        QFETCH(QString, contains);
        OpenStatus status;
        const SourceContents c = readPdf(m_book, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QCOMPARE(c.pageCount, 5);
        QCOMPARE(c.items.size(), 5); // every page is an item, even one without text
        const SourceItem &item = c.items[page - 1];
        QCOMPARE(item.kind, ItemKind::PdfPage);
        QCOMPARE(item.page, page);
        QCOMPARE(item.path, QStringLiteral("book.pdf"));
        QCOMPARE(item.label, label);
        QCOMPARE(item.noText, noText);
        QVERIFY2(QString::fromUtf8(item.text).contains(contains), item.text.constData());
        if (noText)
            QVERIFY(item.text.isEmpty());
    }

    void metadata()
    {
        OpenStatus status;
        const SourceContents c = readPdf(m_book, {}, &status);
        QCOMPARE(c.title, QStringLiteral("The Test Book"));
        QCOMPARE(c.author, QStringLiteral("A. Author"));
        QCOMPARE(c.name, QStringLiteral("book.pdf"));
        // Reading order: the lines of page 3 come out in order.
        const QString p3 = QString::fromUtf8(c.items[2].text);
        QVERIFY(p3.indexOf(QStringLiteral("Chapter 1"))
                < p3.indexOf(QStringLiteral("quick brown fox")));
        QVERIFY2(!p3.contains(QStringLiteral("exam-")), qPrintable(p3));
    }

    void normalization_data()
    {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out");
        QTest::newRow("fi ligature") << QStringLiteral("\uFB01nd") << "find";
        QTest::newRow("ffl ligature") << QStringLiteral("ba\uFB04e") << "baffle";
        QTest::newRow("soft hyphen removed") << QStringLiteral("hy\u00ADphen") << "hyphen";
        QTest::newRow("hyphen at line end joined") << "exam-\nple rest"
                                                   << "example\nrest";
        QTest::newRow("capitalised next line kept") << "Jean-\nPaul"
                                                    << "Jean-\nPaul";
        QTest::newRow("dash after a digit kept") << "1990-\nnow"
                                                 << "1990-\nnow";
        QTest::newRow("hyphen inside a line kept") << "well-known\n"
                                                   << "well-known\n";
    }

    void normalization()
    {
        QFETCH(QString, in);
        QFETCH(QString, out);
        QCOMPARE(normalizePdfText(in), out);
    }

    // Random text made of the characters the normalisation looks at (ligatures, soft hyphens,
    // hyphens, line ends, letters of both cases): no crash, no ligature or soft hyphen left, no
    // letter lost, and normalising twice changes nothing more than once for hyphen-free input.
    void normalizationFuzz()
    {
        const QString alphabet = QStringLiteral("aZ- \n\u00AD\uFB00\uFB01\uFB03\uFB06\u2010x1");
        QRandomGenerator rng{7u};
        for (int round = 0; round < 20000; ++round) {
            QString in;
            for (int i = 0, n = int(rng.bounded(40)); i < n; ++i)
                in += alphabet[int(rng.bounded(int(alphabet.size())))];
            const QString out = normalizePdfText(in);
            for (const QChar c : out)
                QVERIFY2(c.unicode() != 0x00AD && (c.unicode() < 0xFB00 || c.unicode() > 0xFB06),
                         qPrintable(in));
            auto letters = [](const QString &t) {
                int n = 0;
                for (const QChar c : t)
                    n += c.isLetter() ? 1 : 0;
                return n;
            };
            int expanded = 0; // letters the ligatures expand to
            for (const QChar c : in) {
                switch (c.unicode()) {
                case 0xFB00:
                case 0xFB01:
                case 0xFB06:
                    expanded += 2;
                    break;
                case 0xFB03:
                    expanded += 3;
                    break;
                default:
                    expanded += c.isLetter() ? 1 : 0;
                }
            }
            QCOMPARE(letters(out), expanded);
            if (!in.contains(u'-') && !in.contains(QChar(0x2010)))
                QCOMPARE(normalizePdfText(out), out);
        }
    }

    void encrypted()
    {
        if (qpdf().isEmpty())
            QSKIP("qpdf is not installed (scripts/setup.sh installs it)");
        const QString enc = m_tmp.filePath(QStringLiteral("secret.pdf"));
        QCOMPARE(QProcess::execute(qpdf(),
                                   {"--encrypt", "user-pw", "owner-pw", "256", "--", m_book, enc}),
                 0);
        OpenStatus status;
        readPdf(enc, {}, &status);
        QCOMPARE(status.result, OpenResult::NeedsPassword);
        QVERIFY2(status.message.contains(QStringLiteral("password is needed")),
                 qPrintable(status.message));
        readPdf(enc, "wrong", &status);
        QCOMPARE(status.result, OpenResult::NeedsPassword);
        QVERIFY2(status.message.contains(QStringLiteral("wrong")), qPrintable(status.message));
        const SourceContents c = readPdf(enc, "user-pw", &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QCOMPARE(c.items.size(), 5);
        QVERIFY(QString::fromUtf8(c.items[0].text).contains(QStringLiteral("Preface")));
    }

    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("result");
        QTest::newRow("empty file") << QByteArray() << int(OpenResult::Unsupported);
        QTest::newRow("not a PDF") << QByteArray("hello, world\n") << int(OpenResult::Unsupported);
        QTest::newRow("header only") << QByteArray("%PDF-1.4\n") << int(OpenResult::Damaged);
        QTest::newRow("garbage after the header")
            << QByteArray("%PDF-1.7\n") + QByteArray(5000, '\x9c') << int(OpenResult::Damaged);
    }

    void badFiles()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, result);
        const QString path = write(QStringLiteral("bad.pdf"), bytes);
        OpenStatus status;
        readPdf(path, {}, &status);
        QCOMPARE(int(status.result), result);
        QVERIFY(!status.message.isEmpty());
        readPdf(m_tmp.filePath(QStringLiteral("missing.pdf")), {}, &status);
        QCOMPARE(status.result, OpenResult::NotFound);
    }

    // Truncated at many points and randomly corrupted: a clear result, never a crash or a hang.
    void truncatedAndCorrupted()
    {
        QFile f(m_book);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray good = f.readAll();
        int damaged = 0, readable = 0;
        for (int cut = 16; cut < good.size(); cut += qMax(1, int(good.size() / 25))) {
            const QString path = write(QStringLiteral("cut.pdf"), good.left(cut));
            OpenStatus status;
            const SourceContents c = readPdf(path, {}, &status);
            if (status.ok()) {
                ++readable;
                QVERIFY(c.pageCount >= 1 && c.pageCount <= 5);
                QCOMPARE(c.items.size(), c.pageCount);
            } else {
                ++damaged;
                QCOMPARE(status.result, OpenResult::Damaged);
            }
        }
        QVERIFY(damaged > 0);
        QRandomGenerator rng{42u};
        for (int round = 0; round < 60; ++round) {
            QByteArray bad = good;
            for (int k = 0; k < 8; ++k)
                bad[rng.bounded(int(bad.size()))] = char(rng.bounded(256));
            const QString path = write(QStringLiteral("fuzz.pdf"), bad);
            OpenStatus status;
            const SourceContents c = readPdf(path, {}, &status);
            if (status.ok())
                QCOMPARE(c.items.size(), c.pageCount);
        }
        qInfo("truncations: %d readable, %d damaged", readable, damaged);
    }

    // A real PDF (compressed streams, object streams, fonts, outlines: much more of Poppler than
    // the generated one) cut short and damaged at random: a clear result, never a crash or a hang;
    // whatever opens has one item per page.
    void realPdfCorrupted()
    {
        QDirIterator it(QStringLiteral("/usr/share/doc"), {QStringLiteral("*.pdf")}, QDir::Files,
                        QDirIterator::Subdirectories);
        if (!it.hasNext())
            QSKIP("no PDF under /usr/share/doc on this machine");
        QFile f(it.next());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray good = f.readAll();
        QRandomGenerator rng{7u};
        int opened = 0, refused = 0;
        for (int round = 0; round < 24; ++round) {
            QByteArray bad = round % 4 == 0 ? good.left(rng.bounded(int(good.size()))) : good;
            for (int k = 0; k < 1 + round % 24; ++k)
                bad[rng.bounded(int(bad.size()))] = char(rng.bounded(256));
            const QString path = write(QStringLiteral("realfuzz.pdf"), bad);
            OpenStatus status;
            const SourceContents c = readPdf(path, {}, &status);
            if (status.ok()) {
                ++opened;
                QCOMPARE(c.items.size(), c.pageCount);
            } else {
                ++refused;
                QVERIFY2(status.result == OpenResult::Damaged
                             || status.result == OpenResult::Unsupported,
                         qPrintable(status.message));
                QVERIFY(!status.message.isEmpty());
            }
        }
        qInfo("%s damaged 24 times: %d opened, %d refused", qPrintable(f.fileName()), opened,
              refused);
    }

    // PDFs someone else made: documentation shipped by Debian packages.
    void realPdfs()
    {
        QStringList found;
        QDirIterator it(QStringLiteral("/usr/share/doc"), {QStringLiteral("*.pdf")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext() && found.size() < 3)
            found << it.next();
        if (found.isEmpty())
            QSKIP("no PDF under /usr/share/doc on this machine");
        const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
        for (const QString &pdf : found) {
            OpenStatus status;
            const SourceContents c = readPdf(pdf, {}, &status);
            QVERIFY2(status.ok(), qPrintable(pdf + ": " + status.message));
            QVERIFY(c.pageCount > 0);
            QCOMPARE(c.items.size(), c.pageCount);
            int withText = 0;
            for (const SourceItem &i : c.items)
                withText += i.noText ? 0 : 1;
            QVERIFY2(withText > 0, qPrintable(pdf));
            if (pdftotext.isEmpty())
                continue;
            // Same words as pdftotext on the first page with text (as sets; layout may differ).
            int page = 0;
            while (c.items[page].noText)
                ++page;
            QProcess p;
            p.start(pdftotext, {"-q", "-f", QString::number(page + 1), "-l",
                                QString::number(page + 1), pdf, "-"});
            QVERIFY(p.waitForFinished(30000));
            const QRegularExpression ws(QStringLiteral("\\s+"));
            const QStringList theirs = normalizePdfText(QString::fromUtf8(p.readAllStandardOutput()))
                                           .split(ws, Qt::SkipEmptyParts);
            const QStringList ours = QString::fromUtf8(c.items[page].text)
                                         .split(ws, Qt::SkipEmptyParts);
            const QSet<QString> a(theirs.begin(), theirs.end()), b(ours.begin(), ours.end());
            const qsizetype common = QSet<QString>(a).intersect(b).size();
            QVERIFY2(common * 10 >= a.size() * 9,
                     qPrintable(QStringLiteral("%1 p.%2: %3 of %4 pdftotext words found")
                                    .arg(pdf)
                                    .arg(page + 1)
                                    .arg(common)
                                    .arg(a.size())));
        }
    }

    // The same PDFs against pdftotext on every page: Folio reads through Poppler's TextOutputDev in
    // reading order as pdftotext does, so after the same normalisation each page has the same text
    // in the same order (pdftotext ends each page with a form feed).
    void realPdfsEveryPageAsPdftotext()
    {
        const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
        if (pdftotext.isEmpty())
            QSKIP("pdftotext is not installed (scripts/setup.sh installs poppler-utils)");
        // Debian compresses most documentation: *.pdf.gz files are unpacked here first.
        QStringList found;
        QDirIterator it(QStringLiteral("/usr/share/doc"),
                        {QStringLiteral("*.pdf"), QStringLiteral("*.pdf.gz")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext() && found.size() < 8) {
            const QString path = it.next();
            if (!path.endsWith(QStringLiteral(".gz"))) {
                found << path;
                continue;
            }
            QProcess gz;
            gz.start(QStringLiteral("gzip"), {"-dc", path});
            if (!gz.waitForFinished(60000) || gz.exitCode() != 0)
                continue;
            const QString unpacked = write(QStringLiteral("doc%1.pdf").arg(found.size()),
                                           gz.readAllStandardOutput());
            if (!unpacked.isEmpty())
                found << unpacked;
        }
        if (found.isEmpty())
            QSKIP("no PDF under /usr/share/doc on this machine");
        const QRegularExpression ws(QStringLiteral("\\s+"));
        for (const QString &pdf : found) {
            OpenStatus status;
            const SourceContents c = readPdf(pdf, {}, &status);
            QVERIFY2(status.ok(), qPrintable(pdf + ": " + status.message));
            QProcess p;
            p.start(pdftotext, {"-q", pdf, "-"});
            QVERIFY(p.waitForFinished(60000));
            const QStringList theirPages = QString::fromUtf8(p.readAllStandardOutput()).split(u'\f');
            // One form feed per page, so one more piece than pages (the empty tail).
            QCOMPARE(theirPages.size(), c.items.size() + 1);
            // pdftotext joins every line that ends in a hyphen with the next ("YYM-" / "MDD...",
            // "-----" / "* Sample"), also across blocks; Folio only when a letter comes before and
            // a lower-case letter after (docs/ingest.md). So the comparison is of the characters
            // that are not white space, in order, with a hyphen at a line end dropped on both sides.
            const QRegularExpression lineEndHyphen(QStringLiteral("[-\\x{2010}]\\n"));
            const auto ink = [&](QString text) {
                return text.replace(lineEndHyphen, QStringLiteral("\n")).remove(ws);
            };
            for (qsizetype i = 0; i < c.items.size(); ++i) {
                const QString theirs = ink(normalizePdfText(theirPages[i]));
                const QString ours = ink(QString::fromUtf8(c.items[i].text));
                qsizetype k = 0;
                while (k < ours.size() && k < theirs.size() && ours[k] == theirs[k])
                    ++k;
                QVERIFY2(ours == theirs,
                         qPrintable(QStringLiteral("%1 p.%2: %3 characters, pdftotext %4; from %5: "
                                                   "'%6' vs pdftotext '%7'")
                                        .arg(pdf)
                                        .arg(i + 1)
                                        .arg(ours.size())
                                        .arg(theirs.size())
                                        .arg(k)
                                        .arg(ours.mid(k, 40), theirs.mid(k, 40))));
                QCOMPARE(c.items[i].noText, theirs.isEmpty());
            }
        }
    }

    // Enough pages for the parallel extraction (several Poppler documents, one per thread):
    // every page in order, with its own text and label.
    void manyPagesInOrder()
    {
        fixture::PdfSpec spec;
        for (int i = 1; i <= 64; ++i)
            spec.pages.push_back({{QStringLiteral("Page %1 body").arg(i)}});
        spec.pageLabels = "0 << /S /D /St 101 >>";
        const QString path = write(QStringLiteral("long.pdf"), fixture::makePdf(spec));
        PdfSource src(path);
        ProgressLog log;
        src.setProgressCallback(log.callback());
        SourceContents c;
        QVERIFY(src.open().ok());
        QVERIFY(src.read(FileFilter(), &c).ok());
        QString why;
        QVERIFY2(log.finishedAt(64, &why), qPrintable(why)); // one step per page
        QCOMPARE(c.items.size(), 64);
        for (int i = 0; i < 64; ++i) {
            QCOMPARE(c.items[i].page, i + 1);
            QCOMPARE(c.items[i].label, QString::number(101 + i));
            QCOMPARE(QString::fromUtf8(c.items[i].text).trimmed(),
                     QStringLiteral("Page %1 body").arg(i + 1));
        }
    }

    void pdfThroughIngestRequest()
    {
        IngestRequest req;
        req.kind = IngestRequest::Kind::Pdf;
        req.pdfs = {m_book, m_book};
        const IngestOutcome out = runIngest(req);
        QVERIFY(out.status.ok());
        QCOMPARE(out.sources.size(), size_t(2));
        req.pdfs = {m_book, m_tmp.filePath(QStringLiteral("missing.pdf"))};
        const IngestOutcome bad = runIngest(req);
        QCOMPARE(bad.status.result, OpenResult::NotFound);
        QCOMPARE(bad.failedSource, QStringLiteral("missing.pdf"));
    }
};

QTEST_GUILESS_MAIN(TestPdfSource)
#include "tst_pdf_source.moc"
