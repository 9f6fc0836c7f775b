// MessagesModel: a list of ChatMessage values with change notifications per row.
#include "app/messages_model.h"

namespace folio::app {

MessagesModel::MessagesModel(QObject *parent)
    : QAbstractListModel(parent)
{}

int MessagesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_messages.size());
}

QVariant MessagesModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ChatMessage &m = m_messages.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return m.text;
    case MessageRole:
        return QVariant::fromValue(m);
    case IdRole:
        return m.id;
    case IsAnswerRole:
        return m.role == ChatMessage::Role::Assistant;
    case StateRole:
        return int(m.state);
    case ThinkingRole:
        return m.thinking;
    default:
        return {};
    }
}

QHash<int, QByteArray> MessagesModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(MessageRole, "message");
    names.insert(IdRole, "messageId");
    names.insert(IsAnswerRole, "isAnswer");
    names.insert(StateRole, "state");
    names.insert(ThinkingRole, "thinking");
    return names;
}

void MessagesModel::setMessages(const QVector<ChatMessage> &messages)
{
    beginResetModel();
    m_messages = messages;
    endResetModel();
}

void MessagesModel::clear()
{
    setMessages({});
}

int MessagesModel::append(const ChatMessage &message)
{
    const int row = int(m_messages.size());
    beginInsertRows({}, row, row);
    m_messages.append(message);
    endInsertRows();
    return row;
}

void MessagesModel::truncate(int row)
{
    row = std::max(0, row);
    if (row >= m_messages.size())
        return;
    beginRemoveRows({}, row, int(m_messages.size()) - 1);
    m_messages.resize(row);
    endRemoveRows();
}

const ChatMessage &MessagesModel::message(int row) const
{
    return m_messages.at(row);
}

ChatMessage &MessagesModel::messageRef(int row)
{
    return m_messages[row];
}

void MessagesModel::touch(int row)
{
    if (row < 0 || row >= m_messages.size())
        return;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i);
}

void MessagesModel::appendText(int row, const QString &chunk)
{
    if (row < 0 || row >= m_messages.size() || chunk.isEmpty())
        return;
    m_messages[row].text += chunk;
    touch(row);
}

void MessagesModel::appendThinking(int row, const QString &chunk)
{
    if (row < 0 || row >= m_messages.size() || chunk.isEmpty())
        return;
    m_messages[row].thinking += chunk;
    touch(row);
}

void MessagesModel::setState(int row, ChatMessage::State state, const QString &error)
{
    if (row < 0 || row >= m_messages.size())
        return;
    m_messages[row].state = state;
    m_messages[row].error = error;
    touch(row);
}

QString MessagesModel::toPlainText() const
{
    QString out;
    for (const ChatMessage &m : m_messages) {
        out += m.role == ChatMessage::Role::User ? QStringLiteral("## Question\n\n")
                                                 : QStringLiteral("## Answer\n\n");
        out += m.text.trimmed();
        out += QStringLiteral("\n\n");
    }
    return out.trimmed() + QLatin1Char('\n');
}

} // namespace folio::app
