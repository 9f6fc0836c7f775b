// The code viewer shows a file with line numbers and highlighting, jumps to a cited line range
// and finds text.
#include "ui/code_viewer.h"

#include <QLineEdit>
#include <QTemporaryDir>
#include <QTest>

class TestCodeViewer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void language_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("language");
        QTest::newRow("c++ source") << "src/a.cpp"
                                    << "C++";
        QTest::newRow("cuda") << "k.cu"
                              << "C++";
        QTest::newRow("python") << "x/y.py"
                                << "Python";
        QTest::newRow("rust") << "lib.rs"
                              << "Rust";
        QTest::newRow("cmake by name") << "CMakeLists.txt"
                                       << "CMake";
        QTest::newRow("unknown") << "notes.xyz"
                                 << "";
    }

    void language()
    {
        QFETCH(QString, path);
        QFETCH(QString, language);
        folio::ui::CodeViewer viewer;
        viewer.showText(path, QStringLiteral("x\n"));
        QCOMPARE(viewer.language(), language);
    }

    void jumpsToCitedRange()
    {
        QString text;
        for (int i = 1; i <= 400; ++i)
            text += QStringLiteral("int line%1 = %1;\n").arg(i);
        folio::ui::CodeViewer viewer;
        viewer.resize(500, 300);
        viewer.show();
        QVERIFY(QTest::qWaitForWindowExposed(&viewer));
        viewer.showText(QStringLiteral("src/big.cpp"), text);
        viewer.showLines(250, 260);
        QCOMPARE(viewer.highlightedFirstLine(), 250);
        QCOMPARE(viewer.highlightedLastLine(), 260);
        QCOMPARE(viewer.cursorLine(), 250);
        // The range is on screen: the top line is a little above it.
        QVERIFY2(viewer.firstVisibleLine() > 230 && viewer.firstVisibleLine() <= 250,
                 qPrintable(QString::number(viewer.firstVisibleLine())));
        QCOMPARE(viewer.editor()->extraSelections().size(), 1);
    }

    void clampsRangeOutsideTheFile()
    {
        folio::ui::CodeViewer viewer;
        viewer.showText(QStringLiteral("a.py"), QStringLiteral("a\nb\nc"));
        viewer.showLines(7, 900);
        QCOMPARE(viewer.highlightedFirstLine(), 3);
        QCOMPARE(viewer.highlightedLastLine(), 3);
    }

    void findsText()
    {
        folio::ui::CodeViewer viewer;
        viewer.show();
        viewer.showText(QStringLiteral("a.cpp"), QStringLiteral("alpha\nbeta\ngamma\nbeta\n"));
        viewer.showFindBar();
        auto *edit = viewer.findChild<QLineEdit *>(QStringLiteral("codeFindEdit"));
        QVERIFY(edit);
        QVERIFY(!edit->accessibleName().isEmpty());
        edit->setText(QStringLiteral("beta"));
        QVERIFY(viewer.findNext());
        QCOMPARE(viewer.cursorLine(), 2);
        QVERIFY(viewer.findNext());
        QCOMPARE(viewer.cursorLine(), 4);
        QVERIFY(viewer.findNext()); // wraps around
        QCOMPARE(viewer.cursorLine(), 2);
        edit->setText(QStringLiteral("delta"));
        QVERIFY(!viewer.findNext());
    }

    void opensFileAndReportsMissing()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath(QStringLiteral("m.go")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("package main\nfunc main() {}\n");
        f.close();
        folio::ui::CodeViewer viewer;
        QVERIFY(viewer.openFile(f.fileName(), QStringLiteral("m.go")));
        QCOMPARE(viewer.language(), QStringLiteral("Go"));
        QCOMPARE(viewer.path(), QStringLiteral("m.go"));
        QVERIFY(!viewer.openFile(dir.filePath(QStringLiteral("nope.go"))));
        QVERIFY(viewer.editor()->toPlainText().contains(QStringLiteral("Cannot open")));
    }
};

QTEST_MAIN(TestCodeViewer)
#include "tst_code_viewer.moc"
