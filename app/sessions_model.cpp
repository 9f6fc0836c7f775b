// SessionsModel: a sorted vector; moves rows when a session's last use changes.
#include "app/sessions_model.h"

#include <QDateTime>

namespace folio::app {

namespace {
bool newerFirst(const SessionInfo &a, const SessionInfo &b)
{
    return a.updatedMs != b.updatedMs ? a.updatedMs > b.updatedMs : a.id > b.id;
}
} // namespace

SessionsModel::SessionsModel(QObject *parent)
    : QAbstractListModel(parent)
{}

int SessionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sessions.size());
}

QVariant SessionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionInfo &s = m_sessions.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        return s.title.isEmpty() ? tr("Untitled session") : s.title;
    case Qt::ToolTipRole:
        return tr("Last used %1")
            .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(s.updatedMs),
                                    QLocale::ShortFormat));
    case IdRole:
        return s.id;
    case UpdatedRole:
        return s.updatedMs;
    default:
        return {};
    }
}

bool SessionsModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return false;
    const QString title = value.toString().trimmed();
    if (title.isEmpty())
        return false;
    m_sessions[index.row()].title = title;
    Q_EMIT dataChanged(index, index);
    Q_EMIT renameRequested(m_sessions.at(index.row()).id, title);
    return true;
}

Qt::ItemFlags SessionsModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable;
}

QHash<int, QByteArray> SessionsModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(IdRole, "sessionId");
    names.insert(UpdatedRole, "updated");
    return names;
}

void SessionsModel::setSessions(const QVector<SessionInfo> &sessions)
{
    beginResetModel();
    m_sessions.clear();
    for (const SessionInfo &s : sessions) {
        const bool pending = std::any_of(m_pending.cbegin(), m_pending.cend(),
                                         [&s](const SessionInfo &p) { return p.id == s.id; });
        if (!pending)
            m_sessions.append(s);
    }
    std::stable_sort(m_sessions.begin(), m_sessions.end(), newerFirst);
    endResetModel();
}

int SessionsModel::rowOf(qint64 id) const
{
    for (int i = 0; i < m_sessions.size(); ++i) {
        if (m_sessions.at(i).id == id)
            return i;
    }
    return -1;
}

void SessionsModel::upsert(const SessionInfo &session)
{
    const int old = rowOf(session.id);
    if (old >= 0) {
        // A move, not a remove + insert: views keep the row current and selected (removing the
        // current row would make the list jump to, and open, another session).
        QVector<SessionInfo> rest = m_sessions;
        rest.removeAt(old);
        const int to = int(std::lower_bound(rest.begin(), rest.end(), session, newerFirst)
                           - rest.begin());
        m_sessions[old] = session;
        if (to != old) {
            beginMoveRows({}, old, old, {}, to > old ? to + 1 : to);
            m_sessions.move(old, to);
            endMoveRows();
        }
        const QModelIndex i = index(to);
        Q_EMIT dataChanged(i, i);
        return;
    }
    const auto at = std::lower_bound(m_sessions.begin(), m_sessions.end(), session, newerFirst);
    const int row = int(at - m_sessions.begin());
    beginInsertRows({}, row, row);
    m_sessions.insert(row, session);
    endInsertRows();
}

void SessionsModel::remove(qint64 id)
{
    const int row = rowOf(id);
    if (row >= 0) {
        beginRemoveRows({}, row, row);
        m_sessions.removeAt(row);
        endRemoveRows();
    }
    m_pending.erase(std::remove_if(m_pending.begin(), m_pending.end(),
                                   [id](const SessionInfo &p) { return p.id == id; }),
                    m_pending.end());
}

bool SessionsModel::markDeleted(qint64 id)
{
    const int row = rowOf(id);
    if (row < 0)
        return false;
    beginRemoveRows({}, row, row);
    m_pending.append(m_sessions.takeAt(row));
    endRemoveRows();
    return true;
}

bool SessionsModel::undoDelete(qint64 id)
{
    for (int i = 0; i < m_pending.size(); ++i) {
        if (m_pending.at(i).id == id) {
            const SessionInfo s = m_pending.takeAt(i);
            upsert(s);
            return true;
        }
    }
    return false;
}

QVector<qint64> SessionsModel::pendingDeletes() const
{
    QVector<qint64> ids;
    for (const SessionInfo &s : m_pending)
        ids.append(s.id);
    return ids;
}

} // namespace folio::app
