// The main window opens with its real layout: sessions, conversation, sources, viewer, status bar.
#include "ui/main_window.h"

#include <QLabel>
#include <QListView>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeView>

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Keep the test's window state out of the user's settings.
        QVERIFY(m_settingsDir.isValid());
        QCoreApplication::setOrganizationName(QStringLiteral("FolioTest"));
        qputenv("XDG_CONFIG_HOME", m_settingsDir.path().toUtf8());
    }

    void widgetsExist_data()
    {
        QTest::addColumn<QString>("objectName");
        QTest::addColumn<QString>("className");
        QTest::newRow("sessions list") << "sessionsList"
                                       << "QListView";
        QTest::newRow("conversation") << "conversationView"
                                      << "QTextBrowser";
        QTest::newRow("question box") << "questionEdit"
                                      << "QPlainTextEdit";
        QTest::newRow("sources tree") << "sourcesTree"
                                      << "QTreeView";
        QTest::newRow("budget bar") << "budgetBar"
                                    << "QProgressBar";
        QTest::newRow("viewer") << "viewer"
                                << "QStackedWidget";
        QTest::newRow("main splitter") << "mainSplitter"
                                       << "QSplitter";
        QTest::newRow("status: model") << "statusModel"
                                       << "QLabel";
        QTest::newRow("status: context") << "statusContext"
                                         << "QLabel";
    }

    void widgetsExist()
    {
        QFETCH(QString, objectName);
        QFETCH(QString, className);
        folio::ui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QWidget *w = window.findChild<QWidget *>(objectName);
        QVERIFY2(w, qPrintable(objectName + " not found"));
        QVERIFY(w->inherits(className.toLatin1().constData()));
        QVERIFY2(!w->accessibleName().isEmpty(), "every control has an accessible name");
        QVERIFY(w->isVisible());
    }

    void budgetCoversFullContext()
    {
        folio::ui::MainWindow window;
        auto *bar = window.findChild<QProgressBar *>(QStringLiteral("budgetBar"));
        QVERIFY(bar);
        QCOMPARE(bar->maximum(), 1048576);
    }

    void splitterStateIsRemembered()
    {
        QList<int> sizes;
        {
            folio::ui::MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto *splitter = window.findChild<QSplitter *>(QStringLiteral("mainSplitter"));
            splitter->setSizes({100, 700, 400});
            sizes = splitter->sizes();
            window.close();
        }
        folio::ui::MainWindow reopened;
        reopened.show();
        QVERIFY(QTest::qWaitForWindowExposed(&reopened));
        auto *splitter = reopened.findChild<QSplitter *>(QStringLiteral("mainSplitter"));
        QCOMPARE(splitter->sizes(), sizes);
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
