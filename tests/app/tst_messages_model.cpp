// MessagesModel passes QAbstractItemModelTester while messages are appended, streamed into,
// truncated and reset, and exports the conversation as text.
#include "app/messages_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using folio::app::ChatMessage;
using folio::app::MessagesModel;

class TestMessagesModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modelTester()
    {
        MessagesModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ChatMessage q;
        q.id = 1;
        q.text = QStringLiteral("What does main() do?");
        QCOMPARE(model.append(q), 0);
        ChatMessage a;
        a.id = 2;
        a.role = ChatMessage::Role::Assistant;
        a.state = ChatMessage::State::Streaming;
        const int row = model.append(a);
        QCOMPARE(row, 1);

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.appendThinking(row, QStringLiteral("hmm"));
        model.appendText(row, QStringLiteral("It "));
        model.appendText(row, QStringLiteral("parses."));
        model.appendText(row, QString());         // nothing to add: no signal
        model.appendText(7, QStringLiteral("x")); // no such row: ignored
        QCOMPARE(changed.size(), 3);
        model.setState(row, ChatMessage::State::Done);
        QCOMPARE(model.data(model.index(row), Qt::DisplayRole).toString(),
                 QStringLiteral("It parses."));
        QCOMPARE(model.data(model.index(row), MessagesModel::ThinkingRole).toString(),
                 QStringLiteral("hmm"));
        QVERIFY(model.data(model.index(row), MessagesModel::IsAnswerRole).toBool());
        QCOMPARE(model.data(model.index(row), MessagesModel::MessageRole).value<ChatMessage>().id,
                 2);

        QCOMPARE(model.toPlainText(),
                 QStringLiteral(
                     "## Question\n\nWhat does main() do?\n\n## Answer\n\nIt parses.\n"));

        model.truncate(1);
        QCOMPARE(model.rowCount(), 1);
        model.truncate(5); // past the end: nothing
        QCOMPARE(model.rowCount(), 1);
        model.setMessages({q, a, q});
        QCOMPARE(model.rowCount(), 3);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestMessagesModel)
#include "tst_messages_model.moc"
