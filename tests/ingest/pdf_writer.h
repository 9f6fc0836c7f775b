// Test helper: writes small, valid PDFs directly in PDF syntax (objects, a cross-reference table
// with exact offsets, a trailer): pages with text lines in Helvetica, pages without text (a drawn
// rectangle only), optional page labels and document info. Header-only.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <vector>

namespace fixture {

struct PdfPage
{
    QStringList lines; // empty: a page with no text layer (only a filled rectangle)
};

struct PdfSpec
{
    std::vector<PdfPage> pages;
    QByteArray pageLabels; // the /Nums array's contents, e.g. "0 << /S /r >> 2 << /S /D >>"
    QString title;
    QString author;
};

inline QByteArray pdfEscape(const QString &s)
{
    QByteArray out;
    for (char c : s.toLatin1()) {
        if (c == '(' || c == ')' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

inline QByteArray makePdf(const PdfSpec &spec)
{
    std::vector<QByteArray> objects; // object i+1
    const int n = int(spec.pages.size());
    // 1 catalog, 2 pages, 3 font, 4 info, then per page: page object and content stream.
    QByteArray catalog = "<< /Type /Catalog /Pages 2 0 R";
    if (!spec.pageLabels.isEmpty())
        catalog += " /PageLabels << /Nums [" + spec.pageLabels + "] >>";
    catalog += " >>";
    objects.push_back(catalog);
    QByteArray kids;
    for (int i = 0; i < n; ++i)
        kids += QByteArray::number(5 + 2 * i) + " 0 R ";
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + QByteArray::number(n)
                      + " >>");
    objects.push_back(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    objects.push_back("<< /Title (" + pdfEscape(spec.title) + ") /Author (" + pdfEscape(spec.author)
                      + ") /Producer (folio tests) >>");
    for (int i = 0; i < n; ++i) {
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << "
                          "/Font << /F1 3 0 R >> >> /Contents "
                          + QByteArray::number(6 + 2 * i) + " 0 R >>");
        QByteArray content;
        if (spec.pages[size_t(i)].lines.isEmpty()) {
            content = "0.5 g 72 72 468 648 re f\n";
        } else {
            content = "BT /F1 12 Tf 72 720 Td 14 TL\n";
            for (const QString &line : spec.pages[size_t(i)].lines)
                content += "(" + pdfEscape(line) + ") Tj T*\n";
            content += "ET\n";
        }
        objects.push_back("<< /Length " + QByteArray::number(content.size()) + " >>\nstream\n"
                          + content + "endstream");
    }
    QByteArray pdf = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
    std::vector<qsizetype> offsets;
    for (size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pdf.size());
        pdf += QByteArray::number(qsizetype(i + 1)) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const qsizetype xref = pdf.size();
    pdf += "xref\n0 " + QByteArray::number(qsizetype(objects.size() + 1))
           + "\n0000000000 65535 f \n";
    for (qsizetype off : offsets)
        pdf += QByteArray::number(off).rightJustified(10, '0') + " 00000 n \n";
    pdf += "trailer\n<< /Size " + QByteArray::number(qsizetype(objects.size() + 1))
           + " /Root 1 0 R /Info 4 0 R >>\nstartxref\n" + QByteArray::number(xref) + "\n%%EOF\n";
    return pdf;
}

} // namespace fixture
