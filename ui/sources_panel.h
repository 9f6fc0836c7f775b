// SourcesPanel: the sources tree with token counts and include/exclude boxes, the skipped items
// with their reasons, the budget bar (used / budget with the answer reserve) that turns into a
// warning with the ranked exclusion suggestions when over budget, and the progress row of a
// running ingest (stage, elapsed time, Cancel). Shows appcore's SourcesModel and IngestService.
#pragma once

#include "app/ingest_service.h"

#include <QElapsedTimer>
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
    QTimer *m_elapsedTimer = nullptr;
    QElapsedTimer m_elapsed;
    QString m_stageText;
    folio::app::BudgetInfo m_budget;
};

} // namespace folio::ui
