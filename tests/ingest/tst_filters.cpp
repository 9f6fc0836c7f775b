// Filters: the glob dialect, the order of the rules and their reasons, LFS pointers, the size cap,
// minified-by-shape detection.
#include "ingest/filters.h"

#include <QTest>

using namespace folio::ingest;

class TestFilters : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void glob_data()
    {
        QTest::addColumn<QString>("glob");
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("matches");
        QTest::newRow("name glob in any directory") << "*.md"
                                                    << "docs/guide/intro.md" << true;
        QTest::newRow("name glob, other extension") << "*.md"
                                                    << "docs/intro.mdx" << false;
        QTest::newRow("star stays in a segment") << "src/*.cpp"
                                                 << "src/core/a.cpp" << false;
        QTest::newRow("star in a segment") << "src/*.cpp"
                                           << "src/a.cpp" << true;
        QTest::newRow("double star crosses") << "src/**"
                                             << "src/core/deep/a.cpp" << true;
        QTest::newRow("double star slash: zero dirs") << "src/**/a.cpp"
                                                      << "src/a.cpp" << true;
        QTest::newRow("double star slash: many dirs") << "**/tests/**"
                                                      << "a/b/tests/c/d.py" << true;
        QTest::newRow("trailing slash is a directory") << "tests/"
                                                       << "tests/unit/a.py" << true;
        QTest::newRow("leading slash anchors") << "/README.md"
                                               << "README.md" << true;
        QTest::newRow("leading slash anchors (not nested)") << "/README.md"
                                                            << "docs/README.md" << false;
        QTest::newRow("question mark") << "a?.txt"
                                       << "ab.txt" << true;
        QTest::newRow("class") << "[ab].c"
                               << "b.c" << true;
        QTest::newRow("negated class") << "[!ab].c"
                                       << "b.c" << false;
        QTest::newRow("dots are literal") << "a.c"
                                          << "abc" << false;
        QTest::newRow("regex characters are literal") << "a+(b).c"
                                                      << "a+(b).c" << true;
    }

    void glob()
    {
        QFETCH(QString, glob);
        QFETCH(QString, path);
        QFETCH(bool, matches);
        QCOMPARE(Glob(glob).matches(path), matches);
    }

    void pathRules_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QStringList>("include");
        QTest::addColumn<QStringList>("exclude");
        QTest::addColumn<bool>("keepVendored");
        QTest::addColumn<int>("generatedAttr");
        QTest::addColumn<QString>("reason");
        const QStringList none;
        const int unspec = PathAttributes::Unspecified;
        QTest::newRow("plain file kept") << "src/a.cpp" << none << none << false << unspec << "";
        QTest::newRow("exclude wins over include")
            << "src/a.cpp" << QStringList{"src/**"} << QStringList{"*.cpp"} << false << unspec
            << "excluded: matches --exclude *.cpp";
        QTest::newRow("not included") << "docs/a.md" << QStringList{"src/**"} << none << false
                                      << unspec << "not-included: matches no --include glob";
        QTest::newRow("node_modules") << "web/node_modules/x/i.js" << none << none << false
                                      << unspec << "vendored: web/node_modules/";
        QTest::newRow("vendor") << "vendor/github.com/x/y.go" << none << none << false << unspec
                                << "vendored: vendor/";
        QTest::newRow("dist") << "dist/bundle.js" << none << none << false << unspec
                              << "vendored: dist/";
        QTest::newRow("a file named vendor is not a directory")
            << "src/vendor" << none << none << false << unspec << "";
        QTest::newRow("yarn.lock")
            << "yarn.lock" << none << none << false << unspec << "lock-file: yarn.lock";
        QTest::newRow("Cargo.lock")
            << "crates/x/Cargo.lock" << none << none << false << unspec << "lock-file: Cargo.lock";
        QTest::newRow("min.css") << "static/site.min.css" << none << none << false << unspec
                                 << "minified: site.min.css";
        QTest::newRow("source map")
            << "static/app.js.map" << none << none << false << unspec << "generated: source map";
        QTest::newRow("--keep-vendored") << "vendor/a.go" << none << none << true << unspec << "";
        QTest::newRow("explicit include overrides vendored")
            << "vendor/a.go" << QStringList{"vendor/**"} << none << false << unspec << "";
        QTest::newRow("linguist-generated=false overrides lock rule")
            << "yarn.lock" << none << none << false << int(PathAttributes::False) << "";
        QTest::newRow("linguist-generated")
            << "src/parser.c" << none << none << false << int(PathAttributes::True)
            << "generated: linguist-generated";
    }

    void pathRules()
    {
        QFETCH(QString, path);
        QFETCH(QStringList, include);
        QFETCH(QStringList, exclude);
        QFETCH(bool, keepVendored);
        QFETCH(int, generatedAttr);
        QFETCH(QString, reason);
        FilterOptions o;
        o.include = include;
        o.exclude = exclude;
        o.keepVendored = keepVendored;
        PathAttributes a;
        a.generated = PathAttributes::State(generatedAttr);
        QCOMPARE(FileFilter(o).skipByPath(path, a), reason);
    }

    void attributesOrder()
    {
        PathAttributes a;
        a.binary = PathAttributes::True;
        a.generated = PathAttributes::True;
        QCOMPARE(FileFilter().skipByPath(QStringLiteral("x.bin"), a),
                 QStringLiteral("binary: gitattributes binary"));
        PathAttributes d;
        d.diff = PathAttributes::False;
        QCOMPARE(FileFilter().skipByPath(QStringLiteral("x.pdf"), d),
                 QStringLiteral("binary: gitattributes -diff"));
        PathAttributes v;
        v.vendored = PathAttributes::False;
        QCOMPARE(FileFilter().skipByPath(QStringLiteral("third_party/ours.c"), v), QString());
    }

    void content_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<qint64>("size");
        QTest::addColumn<QString>("reasonPrefix");
        const QByteArray lfs
            = "version https://git-lfs.github.com/spec/v1\n"
              "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize "
              "1\n";
        QTest::newRow("text") << QByteArray("hello\n") << qint64(6) << "";
        QTest::newRow("NUL") << QByteArray("he\0llo", 6) << qint64(6) << "binary: NUL";
        QTest::newRow("NUL after 8000 bytes is text")
            << QByteArray(8000, 'a') + QByteArray(1, '\0') << qint64(8001) << "";
        QTest::newRow("UTF-16 with BOM is text") << QByteArray("\xff\xfeh\0", 4) << qint64(4) << "";
        QTest::newRow("LFS pointer") << lfs << qint64(lfs.size()) << "lfs-pointer";
        QTest::newRow("LFS-like text that is too long") << lfs << qint64(4096) << "";
        QTest::newRow("PNG") << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << qint64(16)
                             << "binary: NUL";
    }

    void content()
    {
        QFETCH(QByteArray, head);
        QFETCH(qint64, size);
        QFETCH(QString, reasonPrefix);
        const QString why = FileFilter().skipByContent(head, size);
        if (reasonPrefix.isEmpty())
            QCOMPARE(why, QString());
        else
            QVERIFY2(why.startsWith(reasonPrefix), qPrintable(why));
    }

    void sizeCap()
    {
        FilterOptions o;
        o.maxFileBytes = 1024;
        QCOMPARE(FileFilter(o).skipBySize(1024), QString());
        QCOMPARE(FileFilter(o).skipBySize(2048),
                 QStringLiteral("too-large: 2.0 KiB > 1.0 KiB cap"));
        o.maxFileBytes = 0;
        QCOMPARE(FileFilter(o).skipBySize(qint64(1) << 40), QString());
    }

    void minifiedByShape()
    {
        const QByteArray oneLine(10000, 'a');
        QVERIFY(FileFilter()
                    .skipByShape(QStringLiteral("app.js"), oneLine)
                    .startsWith(QStringLiteral("minified")));
        QCOMPARE(FileFilter().skipByShape(QStringLiteral("data.txt"), oneLine), QString());
        QByteArray normal;
        for (int i = 0; i < 500; ++i)
            normal += "var x = 1;\n";
        QCOMPARE(FileFilter().skipByShape(QStringLiteral("app.js"), normal), QString());
    }
};

QTEST_GUILESS_MAIN(TestFilters)
#include "tst_filters.moc"
