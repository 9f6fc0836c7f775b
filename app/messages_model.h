// MessagesModel: the visible path of the current conversation (question, answer, question, ...) as
// a list model. The session controller fills it from storage and appends streamed tokens to the last
// answer; the chat view renders it. Passes QAbstractItemModelTester.
#pragma once

#include "app/chat_message.h"

#include <QAbstractListModel>

namespace folio::app {

class MessagesModel : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Roles {
        MessageRole = Qt::UserRole + 1, // the whole ChatMessage
        IdRole,
        IsAnswerRole,
        StateRole, // int(ChatMessage::State)
        ThinkingRole,
    };

    explicit MessagesModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    void setMessages(const QVector<ChatMessage> &messages);
    void clear();
    // Returns the new row.
    int append(const ChatMessage &message);
    // Replaces rows from `row` on with nothing (edit-and-resend and regenerate cut the path there).
    void truncate(int row);
    const ChatMessage &message(int row) const;
    ChatMessage &messageRef(int row); // edit then call touch(row)
    void touch(int row);
    QVector<ChatMessage> messages() const { return m_messages; }

    // Streaming: append to the answer's text or thinking part.
    void appendText(int row, const QString &chunk);
    void appendThinking(int row, const QString &chunk);
    void setState(int row, ChatMessage::State state, const QString &error = {});

    // The whole conversation as plain text (copy conversation).
    QString toPlainText() const;

private:
    QVector<ChatMessage> m_messages;
};

} // namespace folio::app
