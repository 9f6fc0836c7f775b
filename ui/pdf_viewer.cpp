// PdfViewer: one rendered page in a scroll area; highlights are painted over the rendered image.
#include "ui/pdf_viewer.h"

#include "ui/log_category.h"

#include <poppler-qt6.h>

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace folio::ui {

namespace {
constexpr double kMinZoom = 0.25;
constexpr double kMaxZoom = 6.0;
constexpr double kZoomStep = 1.25;

// Poppler matches a quoted passage best with its whitespace normalised; a long quote is cut to
// its first words because PDF line breaks rarely match the answer's.
QString searchablePassage(const QString &passage)
{
    QStringList words = passage.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.size() > 12)
        words = words.mid(0, 12);
    return words.join(QLatin1Char(' '));
}
} // namespace

PdfViewer::PdfViewer(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("pdfViewer"));
    m_prev = new QToolButton;
    m_prev->setObjectName(QStringLiteral("pdfPrevPage"));
    m_prev->setArrowType(Qt::LeftArrow);
    m_next = new QToolButton;
    m_next->setObjectName(QStringLiteral("pdfNextPage"));
    m_next->setArrowType(Qt::RightArrow);
    m_pageSpin = new QSpinBox;
    m_pageSpin->setObjectName(QStringLiteral("pdfPageSpin"));
    m_pageSpin->setRange(0, 0);
    m_pageCountLabel = new QLabel;
    m_zoomOut = new QToolButton;
    m_zoomOut->setObjectName(QStringLiteral("pdfZoomOut"));
    m_zoomOut->setText(QStringLiteral("−"));
    m_zoomIn = new QToolButton;
    m_zoomIn->setObjectName(QStringLiteral("pdfZoomIn"));
    m_zoomIn->setText(QStringLiteral("+"));
    m_fitWidth = new QToolButton;
    m_fitWidth->setObjectName(QStringLiteral("pdfFitWidth"));
    m_zoomLabel = new QLabel;
    m_zoomLabel->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("000 %")));

    auto *bar = new QHBoxLayout;
    bar->setContentsMargins(0, 0, 0, 0);
    bar->addWidget(m_prev);
    bar->addWidget(m_pageSpin);
    bar->addWidget(m_pageCountLabel);
    bar->addWidget(m_next);
    bar->addStretch(1);
    bar->addWidget(m_zoomOut);
    bar->addWidget(m_zoomLabel);
    bar->addWidget(m_zoomIn);
    bar->addWidget(m_fitWidth);

    m_pageLabel = new QLabel;
    m_pageLabel->setObjectName(QStringLiteral("pdfPage"));
    m_pageLabel->setAlignment(Qt::AlignCenter);
    m_scroll = new QScrollArea;
    m_scroll->setObjectName(QStringLiteral("pdfScroll"));
    m_scroll->setWidget(m_pageLabel);
    m_scroll->setWidgetResizable(true);
    m_scroll->setBackgroundRole(QPalette::Dark);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_scroll, 1);

    connect(m_prev, &QToolButton::clicked, this, &PdfViewer::previousPage);
    connect(m_next, &QToolButton::clicked, this, &PdfViewer::nextPage);
    connect(m_zoomIn, &QToolButton::clicked, this, &PdfViewer::zoomIn);
    connect(m_zoomOut, &QToolButton::clicked, this, &PdfViewer::zoomOut);
    connect(m_fitWidth, &QToolButton::clicked, this, &PdfViewer::fitWidth);
    connect(m_pageSpin, &QSpinBox::valueChanged, this, [this](int page) {
        if (page != m_page && page > 0)
            showPage(page);
    });
    retranslate();
}

PdfViewer::~PdfViewer() = default;

void PdfViewer::retranslate()
{
    setAccessibleName(tr("PDF viewer"));
    m_prev->setAccessibleName(tr("Previous page"));
    m_prev->setToolTip(tr("Previous page (Page Up)"));
    m_next->setAccessibleName(tr("Next page"));
    m_next->setToolTip(tr("Next page (Page Down)"));
    m_pageSpin->setAccessibleName(tr("Page number"));
    m_zoomIn->setAccessibleName(tr("Zoom in"));
    m_zoomIn->setToolTip(tr("Zoom in"));
    m_zoomOut->setAccessibleName(tr("Zoom out"));
    m_zoomOut->setToolTip(tr("Zoom out"));
    m_fitWidth->setText(tr("Fit width"));
    m_fitWidth->setAccessibleName(tr("Fit page width"));
    m_pageLabel->setAccessibleName(tr("Page image"));
    m_zoomLabel->setAccessibleName(tr("Zoom level"));
    m_pageCountLabel->setAccessibleName(tr("Page count"));
    m_pageCountLabel->setText(tr("of %L1").arg(pageCount()));
}

void PdfViewer::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LanguageChange)
        retranslate();
}

PdfViewer::OpenResult PdfViewer::openFile(const QString &path, const QByteArray &password)
{
    m_document = Poppler::Document::load(path, password, password);
    m_path = path;
    m_page = 0;
    m_highlights.clear();
    if (!m_document) {
        m_error = tr("%1 is not a readable PDF.").arg(path);
        m_pageLabel->setText(m_error);
        return OpenResult::Failed;
    }
    if (m_document->isLocked()) {
        m_error = password.isEmpty() ? tr("%1 is encrypted: a password is needed.").arg(path)
                                     : tr("The password for %1 is wrong.").arg(path);
        m_document.reset();
        m_pageLabel->setText(m_error);
        return OpenResult::NeedsPassword;
    }
    m_error.clear();
    m_document->setRenderHint(Poppler::Document::Antialiasing);
    m_document->setRenderHint(Poppler::Document::TextAntialiasing);
    m_pageSpin->setRange(1, std::max(1, pageCount()));
    m_pageCountLabel->setText(tr("of %L1").arg(pageCount()));
    showPage(1);
    return OpenResult::Ok;
}

int PdfViewer::pageCount() const
{
    return m_document ? m_document->numPages() : 0;
}

void PdfViewer::showPage(int page, const QString &passage)
{
    if (!m_document || pageCount() == 0)
        return;
    m_page = std::clamp(page, 1, pageCount());
    m_passage = passage;
    m_highlights.clear();
    if (!passage.trimmed().isEmpty()) {
        const std::unique_ptr<Poppler::Page> p = m_document->page(m_page - 1);
        if (p) {
            const QString needle = searchablePassage(passage);
            const QList<QRectF> hits = p->search(needle, Poppler::Page::IgnoreCase
                                                             | Poppler::Page::AcrossLines);
            m_highlights = QVector<QRectF>(hits.cbegin(), hits.cend());
            qCDebug(lcUi) << "pdf passage" << needle << "hits" << hits.size();
        }
    }
    {
        const QSignalBlocker block(m_pageSpin);
        m_pageSpin->setValue(m_page);
    }
    m_prev->setEnabled(m_page > 1);
    m_next->setEnabled(m_page < pageCount());
    render();
    if (!m_highlights.isEmpty()) {
        // Scroll the first highlight into view.
        const double scale = m_zoom * logicalDpiY() / 72.0;
        m_scroll->ensureVisible(0, int(m_highlights.first().center().y() * scale), 0,
                                m_scroll->viewport()->height() / 3);
    } else {
        m_scroll->verticalScrollBar()->setValue(0);
    }
    Q_EMIT pageChanged(m_page);
}

void PdfViewer::render()
{
    if (!m_document || m_page < 1)
        return;
    const std::unique_ptr<Poppler::Page> p = m_document->page(m_page - 1);
    if (!p)
        return;
    // Render at the device's pixel density so pages are sharp on high-DPI screens.
    const double dpr = devicePixelRatioF();
    const double dpi = 72.0 * m_zoom * logicalDpiX() / 72.0 * dpr;
    QImage image = p->renderToImage(dpi, dpi);
    if (image.isNull()) {
        m_pageLabel->setText(tr("Page %1 could not be drawn.").arg(m_page));
        return;
    }
    if (!m_highlights.isEmpty()) {
        QPainter painter(&image);
        QColor fill = palette().color(QPalette::Highlight);
        fill.setAlpha(90);
        const double scale = dpi / 72.0;
        for (const QRectF &r : std::as_const(m_highlights)) {
            const QRectF px(r.left() * scale, r.top() * scale, r.width() * scale,
                            r.height() * scale);
            painter.fillRect(px, fill);
        }
    }
    image.setDevicePixelRatio(dpr);
    m_pageLabel->setPixmap(QPixmap::fromImage(image));
    m_zoomLabel->setText(QStringLiteral("%1 %").arg(qRound(m_zoom * 100)));
}

void PdfViewer::nextPage()
{
    showPage(m_page + 1);
}

void PdfViewer::previousPage()
{
    showPage(m_page - 1);
}

void PdfViewer::setZoom(double zoom)
{
    m_zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    render();
}

void PdfViewer::zoomIn()
{
    setZoom(m_zoom * kZoomStep);
}

void PdfViewer::zoomOut()
{
    setZoom(m_zoom / kZoomStep);
}

void PdfViewer::fitWidth()
{
    if (!m_document || m_page < 1)
        return;
    const std::unique_ptr<Poppler::Page> p = m_document->page(m_page - 1);
    if (!p)
        return;
    const double pageWidthPx = p->pageSizeF().width() * logicalDpiX() / 72.0;
    const int available = m_scroll->viewport()->width() - 16;
    if (pageWidthPx > 0 && available > 0)
        setZoom(available / pageWidthPx);
}

} // namespace folio::ui
