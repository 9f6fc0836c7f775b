// SessionsPanel: list, search filter, context menu and the undo bar.
#include "ui/sessions_panel.h"

#include "app/session_controller.h"
#include "app/sessions_model.h"

#include <QAction>
#include <QEvent>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTimer>
#include <QVBoxLayout>

namespace folio::ui {

SessionsPanel::SessionsPanel(folio::app::SessionsModel *model,
                             folio::app::SessionController *controller, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_controller(controller)
{
    setObjectName(QStringLiteral("sessionsPanel"));
    m_title = new QLabel;
    m_search = new QLineEdit;
    m_search->setObjectName(QStringLiteral("sessionSearch"));
    m_search->setClearButtonEnabled(true);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_list = new QListView;
    m_list->setObjectName(QStringLiteral("sessionsList"));
    m_list->setModel(m_proxy);
    m_list->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::DoubleClicked);
    m_list->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_newButton = new QPushButton;
    m_newButton->setObjectName(QStringLiteral("newSessionButton"));

    m_undoBar = new QWidget;
    m_undoBar->setObjectName(QStringLiteral("sessionUndoBar"));
    m_undoLabel = new QLabel;
    m_undoLabel->setWordWrap(true);
    m_undoButton = new QPushButton;
    m_undoButton->setObjectName(QStringLiteral("sessionUndoButton"));
    auto *undoLayout = new QHBoxLayout(m_undoBar);
    undoLayout->setContentsMargins(0, 0, 0, 0);
    undoLayout->addWidget(m_undoLabel, 1);
    undoLayout->addWidget(m_undoButton);
    m_undoBar->hide();
    m_undoTimer = new QTimer(this);
    m_undoTimer->setSingleShot(true);
    m_undoTimer->setInterval(folio::app::SessionController::kUndoMs);
    connect(m_undoTimer, &QTimer::timeout, m_undoBar, &QWidget::hide);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_title);
    layout->addWidget(m_search);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_undoBar);
    layout->addWidget(m_newButton);

    auto *rename = new QAction(this);
    rename->setObjectName(QStringLiteral("actionRenameSession"));
    rename->setShortcut(QKeySequence(Qt::Key_F2));
    rename->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(rename, &QAction::triggered, this, &SessionsPanel::renameSelected);
    auto *remove = new QAction(this);
    remove->setObjectName(QStringLiteral("actionDeleteSession"));
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(remove, &QAction::triggered, this, &SessionsPanel::deleteSelected);
    m_list->addAction(rename);
    m_list->addAction(remove);

    connect(m_search, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_newButton, &QPushButton::clicked, m_controller,
            &folio::app::SessionController::newSession);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    m_controller->openSession(
                        current.data(folio::app::SessionsModel::IdRole).toLongLong());
            });
    connect(m_controller, &folio::app::SessionController::currentSessionChanged, this,
            &SessionsPanel::selectSession);
    connect(m_controller, &folio::app::SessionController::sessionDeletePending, this,
            &SessionsPanel::showUndo);
    connect(m_undoButton, &QPushButton::clicked, this, [this] {
        m_controller->undoDelete(m_undoId);
        m_undoBar->hide();
        selectSession(m_undoId);
    });
    // Keep the open session selected when the list re-sorts (a session moves to the top on use).
    connect(m_model, &QAbstractItemModel::rowsInserted, this,
            [this] { selectSession(m_controller->currentSession()); });
    connect(m_model, &QAbstractItemModel::modelReset, this,
            [this] { selectSession(m_controller->currentSession()); });
    retranslate();
}

void SessionsPanel::retranslate()
{
    setAccessibleName(tr("Sessions"));
    m_title->setText(tr("<b>Sessions</b>"));
    m_search->setAccessibleName(tr("Search sessions"));
    m_search->setPlaceholderText(tr("Search sessions…"));
    m_list->setAccessibleName(tr("Session list"));
    m_newButton->setText(tr("New Session"));
    m_newButton->setAccessibleName(tr("New session"));
    m_undoButton->setText(tr("Undo"));
    m_undoButton->setAccessibleName(tr("Undo delete"));
    for (QAction *a : m_list->actions()) {
        if (a->objectName() == QLatin1String("actionRenameSession"))
            a->setText(tr("Rename"));
        else if (a->objectName() == QLatin1String("actionDeleteSession"))
            a->setText(tr("Delete"));
    }
}

void SessionsPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LanguageChange)
        retranslate();
}

qint64 SessionsPanel::selectedSession() const
{
    const QModelIndex i = m_list->currentIndex();
    return i.isValid() ? i.data(folio::app::SessionsModel::IdRole).toLongLong() : 0;
}

void SessionsPanel::selectSession(qint64 id)
{
    const int row = m_model->rowOf(id);
    const QModelIndex proxyIndex = row >= 0 ? m_proxy->mapFromSource(m_model->index(row))
                                            : QModelIndex();
    const QSignalBlocker block(m_list->selectionModel());
    if (proxyIndex.isValid())
        m_list->setCurrentIndex(proxyIndex);
    else
        m_list->clearSelection();
}

void SessionsPanel::renameSelected()
{
    if (m_list->currentIndex().isValid())
        m_list->edit(m_list->currentIndex());
}

void SessionsPanel::deleteSelected()
{
    if (const qint64 id = selectedSession())
        m_controller->deleteSession(id);
}

void SessionsPanel::showUndo(qint64 id, const QString &title)
{
    m_undoId = id;
    m_undoLabel->setText(tr("Deleted “%1”.").arg(title));
    m_undoBar->show();
    m_undoTimer->start();
}

} // namespace folio::ui
