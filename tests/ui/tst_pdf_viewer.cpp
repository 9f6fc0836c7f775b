// The PDF viewer draws pages of a PDF written in the test, navigates and zooms, highlights a cited
// passage, and reports an encrypted PDF as needing a password.
#include "ui/pdf_viewer.h"

#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace {
// Three pages, each with a sentence naming its page.
QString writePdf(const QString &path)
{
    QPdfWriter writer(path);
    writer.setPageSize(QPageSize(QPageSize::A5));
    writer.setResolution(72);
    QPainter painter(&writer);
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSize(12);
    painter.setFont(font);
    for (int page = 1; page <= 3; ++page) {
        if (page > 1)
            writer.newPage();
        painter.drawText(QPointF(40, 80), QStringLiteral("Heading of page %1").arg(page));
        painter.drawText(QPointF(40, 200),
                         QStringLiteral("The warranty lasts %1 years.").arg(page * 2));
    }
    painter.end();
    return path;
}
} // namespace

class TestPdfViewer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void opensAndNavigates()
    {
        const QString pdf = writePdf(m_dir.filePath(QStringLiteral("book.pdf")));
        folio::ui::PdfViewer viewer;
        viewer.resize(500, 600);
        viewer.show();
        QCOMPARE(viewer.openFile(pdf), folio::ui::PdfViewer::OpenResult::Ok);
        QCOMPARE(viewer.pageCount(), 3);
        QCOMPARE(viewer.currentPage(), 1);
        viewer.nextPage();
        QCOMPARE(viewer.currentPage(), 2);
        viewer.showPage(99);
        QCOMPARE(viewer.currentPage(), 3);
        viewer.previousPage();
        QCOMPARE(viewer.currentPage(), 2);
        const double before = viewer.zoom();
        viewer.zoomIn();
        QVERIFY(viewer.zoom() > before);
        viewer.zoomOut();
        QCOMPARE(viewer.zoom(), before);
        viewer.setZoom(100);
        QCOMPARE(viewer.zoom(), 6.0);
    }

    void highlightsCitedPassage()
    {
        const QString pdf = writePdf(m_dir.filePath(QStringLiteral("cited.pdf")));
        folio::ui::PdfViewer viewer;
        viewer.show();
        QCOMPARE(viewer.openFile(pdf), folio::ui::PdfViewer::OpenResult::Ok);
        viewer.showPage(3, QStringLiteral("warranty   lasts 6 years"));
        QCOMPARE(viewer.currentPage(), 3);
        QVERIFY(!viewer.highlights().isEmpty());
        // The passage is on the lower sentence, not the heading.
        QVERIFY(viewer.highlights().first().top() > 120);
        viewer.showPage(3, QStringLiteral("not on this page"));
        QVERIFY(viewer.highlights().isEmpty());
    }

    void rejectsNonPdf()
    {
        QFile f(m_dir.filePath(QStringLiteral("fake.pdf")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a pdf");
        f.close();
        folio::ui::PdfViewer viewer;
        QCOMPARE(viewer.openFile(f.fileName()), folio::ui::PdfViewer::OpenResult::Failed);
        QVERIFY(!viewer.errorString().isEmpty());
        viewer.nextPage(); // nothing open: no crash
        QCOMPARE(viewer.currentPage(), 0);
    }

    void encryptedNeedsPassword()
    {
        const QString qpdf = QStandardPaths::findExecutable(QStringLiteral("qpdf"));
        if (qpdf.isEmpty())
            QSKIP("qpdf is not installed (scripts/setup.sh installs it)");
        const QString plain = writePdf(m_dir.filePath(QStringLiteral("plain.pdf")));
        const QString locked = m_dir.filePath(QStringLiteral("locked.pdf"));
        QCOMPARE(QProcess::execute(qpdf, {QStringLiteral("--encrypt"), QStringLiteral("secret"),
                                          QStringLiteral("owner"), QStringLiteral("256"),
                                          QStringLiteral("--"), plain, locked}),
                 0);
        folio::ui::PdfViewer viewer;
        QCOMPARE(viewer.openFile(locked), folio::ui::PdfViewer::OpenResult::NeedsPassword);
        QCOMPARE(viewer.openFile(locked, "wrong"), folio::ui::PdfViewer::OpenResult::NeedsPassword);
        QCOMPARE(viewer.openFile(locked, "secret"), folio::ui::PdfViewer::OpenResult::Ok);
        QCOMPARE(viewer.pageCount(), 3);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestPdfViewer)
#include "tst_pdf_viewer.moc"
