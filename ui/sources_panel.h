// SourcesPanel: the sources tree with token counts and include/exclude boxes, the skipped items
// with their reasons, the budget bar (used / budget with the answer reserve) that turns into a
// warning with the ranked exclusion suggestions when over budget, and the progress row of a
// running ingest (stage, done/total with rate and ETA while counting tokens, elapsed time, Cancel)
// and the last read's files/s. Shows appcore's SourcesModel and IngestService.
#pragma once

#include "app/ingest_service.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;
class QTreeView;

namespace folio::app {
class SourcesModel;
}

namespace folio::ui {

class SourcesPanel : public QWidget
{
    Q_OBJECT

public:
    SourcesPanel(folio::app::SourcesModel *model, folio::app::IngestService *ingest,
                 QWidget *parent = nullptr);

    QTreeView *tree() const { return m_tree; }
    QProgressBar *budgetBar() const { return m_budgetBar; }
    QString warningText() const;
    // The progress row's text for `progress` ("Counting tokens… 3 MB of 10 MB, 4 MB/s, about
    // 2 s left (0.8 s)").
    static QString progressText(const folio::app::IngestProgress &progress);

Q_SIGNALS:
    // A file or page was activated (Enter or double-click): show it in the viewer.
    void itemActivated(const QModelIndex &index);
    void openRepositoryRequested();
    void addDocumentsRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void showBudget(const folio::app::BudgetInfo &budget);
    void setBusy(bool busy);
    void showProgress(const folio::app::IngestProgress &progress);

    folio::app::SourcesModel *m_model;
    folio::app::IngestService *m_ingest;
    QLabel *m_title = nullptr;
    QPushButton *m_openRepo = nullptr;
    QPushButton *m_addDocs = nullptr;
    QTreeView *m_tree = nullptr;
    QProgressBar *m_budgetBar = nullptr;
    QLabel *m_warning = nullptr;
    QWidget *m_progressRow = nullptr;
    QLabel *m_stage = nullptr;
    QProgressBar *m_busyBar = nullptr;
    QPushButton *m_cancel = nullptr;
    QLabel *m_lastRead = nullptr; // the last source read: files and files/s
    folio::app::BudgetInfo m_budget;
};

} // namespace folio::ui
