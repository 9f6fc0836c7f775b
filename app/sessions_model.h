// SessionsModel: the sessions list, most recently used first, with a pending-delete state for
// "delete with undo": a session marked for deletion disappears from the list at once and is only
// deleted in the database when the undo window closes. Passes QAbstractItemModelTester.
#pragma once

#include "app/storage_service.h"

#include <QAbstractListModel>

namespace folio::app {

class SessionsModel : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Roles {
        IdRole = Qt::UserRole + 1,
        UpdatedRole, // ms since the epoch
    };

    explicit SessionsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QHash<int, QByteArray> roleNames() const override;

    void setSessions(const QVector<SessionInfo> &sessions);
    // Inserts or updates one session and keeps the order (last use first).
    void upsert(const SessionInfo &session);
    void remove(qint64 id);
    int rowOf(qint64 id) const;
    SessionInfo session(int row) const { return m_sessions.at(row); }

    // Hides the session; returns false when there is no such session.
    bool markDeleted(qint64 id);
    // Brings a hidden session back.
    bool undoDelete(qint64 id);
    QVector<qint64> pendingDeletes() const;

Q_SIGNALS:
    // The list's inline editor renamed a session.
    void renameRequested(qint64 id, const QString &title);

private:
    QVector<SessionInfo> m_sessions;
    QVector<SessionInfo> m_pending;
};

} // namespace folio::app
