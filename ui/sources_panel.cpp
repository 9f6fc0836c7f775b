// SourcesPanel: layout, budget formatting, and the busy row fed by IngestService's signals.
#include "ui/sources_panel.h"

#include "app/settings.h"
#include "app/sources_model.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace folio::ui {

SourcesPanel::SourcesPanel(folio::app::SourcesModel *model, folio::app::IngestService *ingest,
                           QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_ingest(ingest)
{
    setObjectName(QStringLiteral("sourcesPanel"));
    m_title = new QLabel;
    m_openRepo = new QPushButton;
    m_openRepo->setObjectName(QStringLiteral("openRepositoryButton"));
    m_addDocs = new QPushButton;
    m_addDocs->setObjectName(QStringLiteral("addDocumentsButton"));
    m_tree = new QTreeView;
    m_tree->setObjectName(QStringLiteral("sourcesTree"));
    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(folio::app::SourcesModel::NameColumn,
                                           QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(folio::app::SourcesModel::TokensColumn,
                                           QHeaderView::ResizeToContents);
    m_budgetBar = new QProgressBar;
    m_budgetBar->setObjectName(QStringLiteral("budgetBar"));
    m_budgetBar->setRange(0, folio::app::Settings::kMaxContextTokens);
    m_budgetBar->setValue(0);
    m_warning = new QLabel;
    m_warning->setObjectName(QStringLiteral("budgetWarning"));
    m_warning->setWordWrap(true);
    m_warning->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_warning->hide();

    m_progressRow = new QWidget;
    m_progressRow->setObjectName(QStringLiteral("ingestProgress"));
    m_stage = new QLabel;
    m_stage->setObjectName(QStringLiteral("ingestStage"));
    m_busyBar = new QProgressBar;
    m_busyBar->setObjectName(QStringLiteral("ingestProgressBar"));
    m_busyBar->setRange(0, 0); // an activity bar until a stage knows its total
    m_busyBar->setMaximumWidth(80);
    m_busyBar->setTextVisible(false);
    m_lastRead = new QLabel;
    m_lastRead->setObjectName(QStringLiteral("ingestLastRead"));
    m_lastRead->setWordWrap(true);
    m_lastRead->hide();
    m_cancel = new QPushButton;
    m_cancel->setObjectName(QStringLiteral("ingestCancelButton"));
    auto *progressLayout = new QHBoxLayout(m_progressRow);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    progressLayout->addWidget(m_stage, 1);
    progressLayout->addWidget(m_busyBar);
    progressLayout->addWidget(m_cancel);
    m_progressRow->hide();

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_openRepo);
    buttons->addWidget(m_addDocs);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_title);
    layout->addLayout(buttons);
    layout->addWidget(m_tree, 1);
    layout->addWidget(m_progressRow);
    layout->addWidget(m_lastRead);
    layout->addWidget(m_budgetBar);
    layout->addWidget(m_warning);

    connect(m_openRepo, &QPushButton::clicked, this, &SourcesPanel::openRepositoryRequested);
    connect(m_addDocs, &QPushButton::clicked, this, &SourcesPanel::addDocumentsRequested);
    connect(m_cancel, &QPushButton::clicked, m_ingest, &folio::app::IngestService::cancel);
    connect(m_tree, &QTreeView::activated, this, &SourcesPanel::itemActivated);
    connect(m_ingest, &folio::app::IngestService::budgetChanged, this, &SourcesPanel::showBudget);
    connect(m_ingest, &folio::app::IngestService::busyChanged, this, &SourcesPanel::setBusy);
    connect(m_ingest, &folio::app::IngestService::progressChanged, this,
            &SourcesPanel::showProgress);
    connect(m_ingest, &folio::app::IngestService::sourceAdded, this,
            [this](const QString &name, int items, int skipped, double seconds) {
                m_lastRead->setText(
                    tr("Read %1: %n file(s) or page(s), %2 skipped, in %3 s "
                       "(%4 per second)",
                       nullptr, items)
                        .arg(name)
                        .arg(skipped)
                        .arg(QLocale().toString(seconds, 'f', 2))
                        .arg(QLocale().toString(seconds > 0 ? items / seconds : 0.0, 'f', 0)));
                m_lastRead->show();
            });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        // Sources open one level deep: their directories and documents are visible at once.
        for (int r = 0; r < m_model->rowCount(); ++r)
            m_tree->expand(m_model->index(r, 0));
    });
    retranslate();
}

void SourcesPanel::retranslate()
{
    setAccessibleName(tr("Sources"));
    m_title->setText(tr("<b>Sources</b>"));
    m_openRepo->setText(tr("Open Repository…"));
    m_openRepo->setAccessibleName(tr("Open repository"));
    m_addDocs->setText(tr("Add Documents…"));
    m_addDocs->setAccessibleName(tr("Add documents"));
    m_tree->setAccessibleName(tr("Sources tree"));
    m_budgetBar->setAccessibleName(tr("Context budget"));
    m_warning->setAccessibleName(tr("Budget warning"));
    m_cancel->setText(tr("Cancel"));
    m_cancel->setAccessibleName(tr("Cancel reading sources"));
    m_stage->setAccessibleName(tr("Progress"));
    m_busyBar->setAccessibleName(tr("Reading progress"));
    m_lastRead->setAccessibleName(tr("Last source read"));
    showBudget(m_budget);
}

void SourcesPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LanguageChange)
        retranslate();
}

void SourcesPanel::setBusy(bool busy)
{
    m_progressRow->setVisible(busy);
    if (busy) {
        m_busyBar->setRange(0, 0);
        m_stage->setText(tr("Working…"));
    }
}

QString SourcesPanel::progressText(const folio::app::IngestProgress &p)
{
    const QLocale locale;
    const QString elapsed = tr("%1 s").arg(locale.toString(p.seconds, 'f', 1));
    if (p.total <= 0)
        return tr("%1 (%2)").arg(p.stage, elapsed);
    const QString done = p.bytes ? locale.formattedDataSize(p.done) : locale.toString(p.done);
    const QString total = p.bytes ? locale.formattedDataSize(p.total) : locale.toString(p.total);
    const QString count = locale.toString(p.rate, 'f', 0);
    const QString rate = p.bytes   ? tr("%1/s").arg(locale.formattedDataSize(qint64(p.rate)))
                         : p.pages ? tr("%1 pages/s").arg(count)
                                   : tr("%1 files/s").arg(count);
    const QString eta = p.etaSeconds < 0
                            ? tr("time left unknown")
                            : tr("about %1 s left").arg(locale.toString(p.etaSeconds, 'f', 0));
    return tr("%1 %2 of %3, %4, %5 (%6)").arg(p.stage, done, total, rate, eta, elapsed);
}

void SourcesPanel::showProgress(const folio::app::IngestProgress &progress)
{
    if (progress.total > 0) {
        // Bytes can pass INT_MAX: the bar shows per mille.
        m_busyBar->setRange(0, 1000);
        m_busyBar->setValue(int(std::min<qint64>(1000, progress.done * 1000 / progress.total)));
    } else {
        m_busyBar->setRange(0, 0);
    }
    m_stage->setText(progressText(progress));
}

void SourcesPanel::showBudget(const folio::app::BudgetInfo &budget)
{
    m_budget = budget;
    const qint64 limit = budget.budget > 0 ? budget.budget
                                           : folio::app::Settings::kMaxContextTokens;
    // The bar spans the whole context; the reserve is the part it can never fill.
    const qint64 context = budget.context > 0 ? budget.context : limit;
    m_budgetBar->setRange(0, int(std::min<qint64>(context, INT_MAX)));
    m_budgetBar->setValue(int(std::min<qint64>(budget.used, context)));
    const QLocale locale;
    m_budgetBar->setFormat(tr("%1 / %2 tokens (reserve %3)%4")
                               .arg(locale.toString(budget.used), locale.toString(limit),
                                    locale.toString(budget.reserve),
                                    budget.exact ? QString() : tr(", estimated")));
    m_budgetBar->setToolTip(budget.counter);
    if (!budget.over) {
        m_warning->hide();
        m_budgetBar->setPalette(palette());
        return;
    }
    QPalette warn = palette();
    warn.setColor(QPalette::Highlight, QColor(0xd9, 0x53, 0x4f));
    m_budgetBar->setPalette(warn);
    QString text = tr("<b>Over budget by %1 tokens.</b> Exclude some sources to fit:")
                       .arg(locale.toString(budget.used - limit));
    text += QStringLiteral("<ol>");
    for (const auto &s : budget.suggestions) {
        text += QStringLiteral("<li>%1</li>")
                    .arg(tr("<code>%1</code> (%2): saves %3, total %4")
                             .arg(s.exclude.toHtmlEscaped(), s.reason.toHtmlEscaped(),
                                  locale.toString(s.tokens), locale.toString(s.totalAfter)));
    }
    text += QStringLiteral("</ol>");
    m_warning->setText(text);
    m_warning->show();
}

QString SourcesPanel::warningText() const
{
    return m_warning->isVisible() ? m_warning->text() : QString();
}

} // namespace folio::ui
