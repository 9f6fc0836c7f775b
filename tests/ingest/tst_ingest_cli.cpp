// `folio-cli ingest` and `folio-cli pack` as a user runs them (the executable's path is the first
// argument): the JSON manifest of a repository equals `git ls-tree -r` minus the reported skips,
// PDF pages, an encrypted PDF without its password, over-budget behaviour of both commands, the
// files pack writes, bad usage, and the real tokenizer when this build has it.
#include "git_fixture.h"
#include "pdf_writer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

static QString g_cli;

class TestIngestCli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_repo;
    QString m_pdf;

    struct Run
    {
        int exitCode;
        QByteArray out;
        QString err;
    };

    static Run run(const QStringList &args)
    {
        QProcess p;
        p.start(g_cli, args);
        if (!p.waitForFinished(60000))
            return {-1, {}, QStringLiteral("timeout")};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2,
                p.readAllStandardOutput(), QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_repo = m_tmp.filePath(QStringLiteral("repo"));
        fixture::Repo r;
        r.init(m_repo);
        r.write("README.md", "# Demo\n");
        r.write("src/main.cpp", "int main()\n{\n    return 0;\n}\n");
        r.write("src/lib/util.cpp", "int util() { return 42; }\n");
        r.write("tests/test_main.cpp", "// test\n");
        r.write("vendor/dep.c", "int dep;\n");
        r.write("logo.png", QByteArray("\x89PNG\r\n\x1a\n\0\0", 10));
        r.symlink("current", "src");
        r.commit("demo");
        fixture::PdfSpec spec;
        spec.pages.push_back({{"First page"}});
        spec.pages.push_back({});
        spec.pages.push_back({{"Third page text"}});
        spec.pageLabels = "0 << /S /R >>";
        m_pdf = m_tmp.filePath(QStringLiteral("doc.pdf"));
        QFile f(m_pdf);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(fixture::makePdf(spec));
    }

    void repositoryManifest()
    {
        const Run r = run({"ingest", "--repo", m_repo, "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject m = QJsonDocument::fromJson(r.out).object();
        for (const char *key : {"included", "skipped", "total_tokens", "overhead_tokens", "budget",
                                "over_budget", "seconds"})
            QVERIFY2(m.contains(QLatin1String(key)), key);
        QSet<QString> paths;
        qint64 sum = 0;
        for (const QJsonValue &v : m.value("included").toArray()) {
            const QJsonObject o = v.toObject();
            QVERIFY(o.contains("path") && o.contains("kind") && o.contains("bytes")
                    && o.contains("tokens"));
            paths.insert(o.value("path").toString());
            sum += qint64(o.value("tokens").toDouble());
        }
        QStringList skippedPaths;
        for (const QJsonValue &v : m.value("skipped").toArray()) {
            const QJsonObject o = v.toObject();
            QVERIFY(!o.value("reason").toString().isEmpty());
            paths.insert(o.value("path").toString());
            skippedPaths << o.value("path").toString();
        }
        skippedPaths.sort();
        QCOMPARE(skippedPaths, (QStringList{"logo.png", "vendor/dep.c"}));
        QSet<QString> tree;
        for (const QByteArray &p :
             fixture::git(m_repo, {"ls-tree", "-r", "-z", "--name-only", "HEAD"}).split('\0'))
            if (!p.isEmpty())
                tree.insert(QString::fromUtf8(p));
        QCOMPARE(paths, tree);
        QCOMPARE(qint64(m.value("total_tokens").toDouble()), sum);
        QVERIFY(m.value("overhead_tokens").toDouble() > 0);
        QCOMPARE(m.value("budget").toDouble(), 1048576.0 - 32768.0);
        QCOMPARE(m.value("over_budget").toBool(), false);
        QVERIFY(r.err.contains(QStringLiteral("estimates")));
    }

    void textManifest()
    {
        const Run r = run({"ingest", "--repo", m_repo, "--exclude", "tests/"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("src/main.cpp"));
        QVERIFY(r.out.contains("skipped  tests/test_main.cpp: excluded: matches --exclude tests/"));
        QVERIFY(r.out.contains("time: "));
    }

    void pdfManifest()
    {
        const Run r = run({"ingest", "--pdf", m_pdf, "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray inc = QJsonDocument::fromJson(r.out).object().value("included").toArray();
        QCOMPARE(inc.size(), 3);
        QStringList labels;
        for (const QJsonValue &v : inc) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o.value("path").toString(), QStringLiteral("doc.pdf"));
            labels << o.value("label").toString();
            QVERIFY(o.contains("tokens") && o.contains("page"));
        }
        QCOMPARE(labels, (QStringList{"I", "II", "III"}));
        QCOMPARE(inc[1].toObject().value("no_text").toBool(), true);
        QCOMPARE(inc[1].toObject().value("tokens").toDouble(), 0.0);
    }

    void encryptedPdfNeedsPassword()
    {
        const QString qpdf = QStandardPaths::findExecutable(QStringLiteral("qpdf"));
        if (qpdf.isEmpty())
            QSKIP("qpdf is not installed (scripts/setup.sh installs it)");
        const QString enc = m_tmp.filePath(QStringLiteral("enc.pdf"));
        QCOMPARE(QProcess::execute(qpdf, {"--encrypt", "pw", "owner", "256", "--", m_pdf, enc}), 0);
        Run r = run({"ingest", "--pdf", enc});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("password is needed")), qPrintable(r.err));
        r = run({"ingest", "--pdf", enc, "--password", "pw", "--json"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("included").toArray().size(), 3);
    }

    // A PDF cut short: exit 1 and a message that says it is damaged, nothing on stdout.
    void damagedPdfIsAClearError()
    {
        QFile in(m_pdf);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray good = in.readAll();
        const QString cut = m_tmp.filePath(QStringLiteral("cut.pdf"));
        QFile out(cut);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(good.left(good.size() / 3));
        out.close();
        const Run r = run({"ingest", "--pdf", cut, "--json"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("damaged PDF")), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void overBudget()
    {
        Run r = run({"ingest", "--repo", m_repo, "--json", "--context", "40", "--reserve", "10"});
        QCOMPARE(r.exitCode, 0); // ingest reports, it does not refuse
        const QJsonObject m = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(m.value("over_budget").toBool(), true);
        QCOMPARE(m.value("budget").toDouble(), 30.0);
        QVERIFY(!m.value("suggestions").toArray().isEmpty());
        const QString out = m_tmp.filePath(QStringLiteral("refused.txt"));
        r = run({"pack", "--repo", m_repo, "--context", "40", "--reserve", "10", "--out", out});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("do not fit")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("--exclude")), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
    }

    void packWritesContextAndSpans()
    {
        const QString out = m_tmp.filePath(QStringLiteral("packed.txt"));
        const Run r = run({"pack", "--repo", m_repo, "--line-numbers", "--out", out, "--json"});
        QCOMPARE(r.exitCode, 0);
        QFile text(out);
        QVERIFY(text.open(QIODevice::ReadOnly));
        const QByteArray packed = text.readAll();
        QVERIFY(packed.contains("--- src/main.cpp ---\n   1| int main()\n"));
        QFile spansFile(out + QStringLiteral(".spans.json"));
        QVERIFY(spansFile.open(QIODevice::ReadOnly));
        const QJsonObject spans = QJsonDocument::fromJson(spansFile.readAll()).object();
        QCOMPARE(spans.value("version").toInt(), 1);
        bool sawMain = false;
        for (const QJsonValue &v : spans.value("spans").toArray()) {
            const QJsonObject o = v.toObject();
            if (o.value("path").toString() == QStringLiteral("src/main.cpp")) {
                sawMain = true;
                QCOMPARE(o.value("line_begin").toInt(), 1);
                QCOMPARE(o.value("line_end").toInt(), 4);
            }
        }
        QVERIFY(sawMain);
        const QJsonObject m = QJsonDocument::fromJson(r.out).object();
        QVERIFY(m.value("line_number_tokens").toDouble() > 0);
        QVERIFY(m.value("overhead_tokens").toDouble() >= m.value("line_number_tokens").toDouble());
    }

    void badUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("errContains");
        QTest::newRow("no source") << QStringList{"ingest"} << 2 << "exactly one of";
        QTest::newRow("two sources")
            << QStringList{"ingest", "--repo", ".", "--pdf", "x.pdf"} << 2 << "exactly one of";
        QTest::newRow("--ref without --repo")
            << QStringList{"ingest", "--path", ".", "--ref", "main"} << 2
            << "--ref applies to --repo only";
        QTest::newRow("bad number") << QStringList{"ingest", "--path", ".", "--max-file-kb", "lots"}
                                    << 2 << "non-negative integer";
        QTest::newRow("pack without --out")
            << QStringList{"pack", "--path", "."} << 2 << "--out FILE is required";
        QTest::newRow("missing repository")
            << QStringList{"ingest", "--repo", "/nonexistent/repo"} << 1 << "no such file";
        QTest::newRow("bad ref") << QStringList{"ingest", "--repo", "REPO", "--ref", "nope"} << 1
                                 << "reference 'nope' not found";
        QTest::newRow("missing tokenizer")
            << QStringList{"ingest", "--path", ".", "--tokenizer", "/nonexistent.json"} << 1 << "";
        QTest::newRow("help") << QStringList{"pack", "--help"} << 0 << "";
    }

    void badUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, errContains);
        args.replaceInStrings(QStringLiteral("REPO"), m_repo);
        const Run r = run(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(errContains), qPrintable(r.err));
        if (exitCode != 0)
            QVERIFY(!r.err.isEmpty());
    }

    // With the real V4 tokenizer (when this build links folio_tokenizer).
    void realTokenizer()
    {
        const QString tok = QStringLiteral(FOLIO_TOKENIZER_JSON);
        if (tok.isEmpty() || !QFile::exists(tok))
            QSKIP("no tokenizer.json (run scripts/setup.sh)");
        const Run r = run({"ingest", "--repo", m_repo, "--json", "--tokenizer", tok});
        if (r.exitCode == 1 && r.err.contains(QStringLiteral("folio_tokenizer")))
            QSKIP("this build has no tokenizer library");
        QCOMPARE(r.exitCode, 0);
        const QJsonObject m = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(m.value("tokenizer").toObject().value("exact").toBool(), true);
        QVERIFY(m.value("total_tokens").toDouble() > 10);
        QVERIFY(!r.err.contains(QStringLiteral("estimates")));
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        qCritical("usage: tst_ingest_cli PATH_TO_FOLIO_CLI [Qt Test options]");
        return 2;
    }
    g_cli = QString::fromLocal8Bit(argv[1]);
    QStringList rest;
    for (int i = 0; i < argc; ++i)
        if (i != 1)
            rest << QString::fromLocal8Bit(argv[i]);
    TestIngestCli t;
    return QTest::qExec(&t, rest);
}

#include "tst_ingest_cli.moc"
