// SessionsPanel: the sessions list on the left — search, New, rename (F2 or double-click), delete
// (Del) with an Undo bar, most recently used first. Shows appcore's SessionsModel through a filter
// proxy; the session controller does the work.
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;
class QSortFilterProxyModel;
class QTimer;

namespace folio::app {
class SessionController;
class SessionsModel;
} // namespace folio::app

namespace folio::ui {

class SessionsPanel : public QWidget
{
    Q_OBJECT

public:
    SessionsPanel(folio::app::SessionsModel *model, folio::app::SessionController *controller,
                  QWidget *parent = nullptr);

    QLineEdit *searchEdit() const { return m_search; }
    QListView *listView() const { return m_list; }
    // The selected session's id, 0 when none.
    qint64 selectedSession() const;

public Q_SLOTS:
    void renameSelected();
    void deleteSelected();
    void selectSession(qint64 id);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();
    void showUndo(qint64 id, const QString &title);

    folio::app::SessionsModel *m_model;
    folio::app::SessionController *m_controller;
    QSortFilterProxyModel *m_proxy = nullptr;
    QLabel *m_title = nullptr;
    QLineEdit *m_search = nullptr;
    QListView *m_list = nullptr;
    QPushButton *m_newButton = nullptr;
    QWidget *m_undoBar = nullptr;
    QLabel *m_undoLabel = nullptr;
    QPushButton *m_undoButton = nullptr;
    QTimer *m_undoTimer = nullptr;
    qint64 m_undoId = 0;
};

} // namespace folio::ui
