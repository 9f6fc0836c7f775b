// PdfViewer: draws PDF pages with Poppler-Qt6 (rendering is a UI concern; text extraction is
// ingest's). Page navigation, zoom, fit to width, and opening at a cited page with the cited
// passage highlighted. Encrypted documents ask for a password through the owner (a signal), never
// through a modal dialog of their own, so tests and the main window decide how to ask.
#pragma once

#include <QRectF>
#include <QVector>
#include <QWidget>

#include <memory>

class QLabel;
class QScrollArea;
class QSpinBox;
class QToolButton;

namespace Poppler {
class Document;
}

namespace folio::ui {

class PdfViewer : public QWidget
{
    Q_OBJECT

public:
    enum class OpenResult { Ok, NeedsPassword, Failed };

    explicit PdfViewer(QWidget *parent = nullptr);
    ~PdfViewer() override;

    OpenResult openFile(const QString &path, const QByteArray &password = {});
    QString path() const { return m_path; }
    QString errorString() const { return m_error; }
    int pageCount() const;
    int currentPage() const { return m_page; } // 1-based; 0 when nothing is open
    double zoom() const { return m_zoom; }     // 1.0 = 100 % (72 dpi × device scale)
    // Rectangles (in page points) of the highlighted passage on the current page.
    QVector<QRectF> highlights() const { return m_highlights; }

public Q_SLOTS:
    // Shows page `page` (1-based, clamped); highlights every occurrence of `passage` on it.
    void showPage(int page, const QString &passage = {});
    void nextPage();
    void previousPage();
    void setZoom(double zoom);
    void zoomIn();
    void zoomOut();
    void fitWidth();

Q_SIGNALS:
    void pageChanged(int page);

protected:
    void changeEvent(QEvent *event) override;

private:
    void render();
    void retranslate();

    std::unique_ptr<Poppler::Document> m_document;
    QString m_path;
    QString m_error;
    int m_page = 0;
    double m_zoom = 1.0;
    QString m_passage;
    QVector<QRectF> m_highlights;

    QToolButton *m_prev = nullptr;
    QToolButton *m_next = nullptr;
    QSpinBox *m_pageSpin = nullptr;
    QLabel *m_pageCountLabel = nullptr;
    QToolButton *m_zoomOut = nullptr;
    QToolButton *m_zoomIn = nullptr;
    QToolButton *m_fitWidth = nullptr;
    QLabel *m_zoomLabel = nullptr;
    QScrollArea *m_scroll = nullptr;
    QLabel *m_pageLabel = nullptr;
};

} // namespace folio::ui
