// SessionsModel: sorted by last use, upserts move rows, delete-with-undo hides and restores, the
// inline editor asks for a rename; all under QAbstractItemModelTester.
#include "app/sessions_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using folio::app::SessionInfo;
using folio::app::SessionsModel;

class TestSessionsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sortedAndUndoable()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSessions({{1, QStringLiteral("old"), 0, 100},
                           {2, QStringLiteral("new"), 0, 300},
                           {3, QStringLiteral("mid"), 0, 200}});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0).data().toString(), QStringLiteral("new"));
        QCOMPARE(model.index(2).data().toString(), QStringLiteral("old"));

        // Using "old" moves it to the top.
        model.upsert({1, QStringLiteral("old"), 0, 400});
        QCOMPARE(model.index(0).data(SessionsModel::IdRole).toLongLong(), 1);
        model.upsert({4, QString(), 0, 50});
        QCOMPARE(model.index(3).data().toString(), QStringLiteral("Untitled session"));

        QVERIFY(model.markDeleted(2));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.rowOf(2), -1);
        QCOMPARE(model.pendingDeletes(), QVector<qint64>{2});
        // A refresh from the database while the delete waits keeps it hidden.
        model.setSessions({{1, QStringLiteral("old"), 0, 400}, {2, QStringLiteral("new"), 0, 300}});
        QCOMPARE(model.rowOf(2), -1);
        QVERIFY(model.undoDelete(2));
        QCOMPARE(model.rowOf(2), 1);
        QVERIFY(!model.undoDelete(2));
        QVERIFY(!model.markDeleted(77));

        model.markDeleted(1);
        model.remove(1); // the database delete happened
        QVERIFY(model.pendingDeletes().isEmpty());
        QCOMPARE(model.rowCount(), 1);
    }

    void inlineRename()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSessions({{7, QStringLiteral("a"), 0, 1}});
        QSignalSpy rename(&model, &SessionsModel::renameRequested);
        QVERIFY(model.flags(model.index(0)) & Qt::ItemIsEditable);
        QVERIFY(!model.setData(model.index(0), QStringLiteral("   "), Qt::EditRole));
        QVERIFY(model.setData(model.index(0), QStringLiteral(" Parser questions "), Qt::EditRole));
        QCOMPARE(rename.size(), 1);
        QCOMPARE(rename.first().at(0).toLongLong(), 7);
        QCOMPARE(rename.first().at(1).toString(), QStringLiteral("Parser questions"));
    }
};

QTEST_MAIN(TestSessionsModel)
#include "tst_sessions_model.moc"
