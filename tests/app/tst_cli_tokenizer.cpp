// folio-cli tokenize / detokenize / chat-render as a user runs them: ids of files and stdin,
// --json output, the round trip through detokenize, the golden chat renderings (text and ids), and
// the usage errors. Arguments: the folio-cli path, then QTest options (passed by CTest).
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

static QString g_cli;

class TestCliTokenizer : public QObject
{
    Q_OBJECT

    struct Run
    {
        int exitCode;
        QByteArray out;
        QString err;
    };

    static Run run(const QStringList &args, const QByteArray &input = {})
    {
        QProcess p;
        p.start(g_cli, args);
        p.write(input);
        p.closeWriteChannel();
        if (!p.waitForFinished(60000))
            return {-1, {}, QStringLiteral("timeout")};
        return {p.exitCode(), p.readAllStandardOutput(),
                QString::fromUtf8(p.readAllStandardError())};
    }

    static QString tokenizer() { return QStringLiteral(FOLIO_TOKENIZER_JSON); }
    static QString data(const QString &name)
    {
        return QStringLiteral(FOLIO_TEST_DATA_DIR "/") + name;
    }
    static QByteArray readFile(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void tokenizeMatchesReferenceIds_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("english") << "prose_english";
        QTest::newRow("chinese") << "prose_chinese";
        QTest::newRow("code c") << "code_c";
        QTest::newRow("special tokens") << "edge_special_tokens";
        QTest::newRow("crlf") << "edge_crlf";
    }

    void tokenizeMatchesReferenceIds()
    {
        QFETCH(QString, name);
        const QString txt = data("tokenizer/" + name + ".txt");
        const Run r = run({"tokenize", "--tokenizer", tokenizer(), txt});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), readFile(data("tokenizer/" + name + ".ids")).trimmed());
        // The same text on stdin gives the same ids.
        const Run s = run({"tokenize", "--tokenizer", tokenizer()}, readFile(txt));
        QCOMPARE(s.exitCode, 0);
        QCOMPARE(s.out, r.out);
    }

    void tokenizeJsonAndDetokenizeRoundTrip()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString a = dir.filePath("a.txt"), b = dir.filePath("b.txt");
        const QByteArray textA = "Hello, 世界! 👍🏽\n\tindented  text 12345";
        QFile fa(a), fb(b);
        QVERIFY(fa.open(QIODevice::WriteOnly) && fa.write(textA) == textA.size());
        QVERIFY(fb.open(QIODevice::WriteOnly)); // empty input: zero ids
        fa.close();
        fb.close();
        const Run r = run({"tokenize", "--tokenizer", tokenizer(), "--json", a, b});
        QCOMPARE(r.exitCode, 0);
        const QJsonArray arr = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(arr.size(), 2);
        QCOMPARE(arr[0].toObject().value("file").toString(), a);
        const QJsonArray ids = arr[0].toObject().value("ids").toArray();
        QCOMPARE(arr[0].toObject().value("count").toInt(), ids.size());
        QVERIFY(ids.size() > 5);
        QCOMPARE(arr[1].toObject().value("count").toInt(), 0);
        // detokenize accepts the JSON array as is.
        const Run d = run({"detokenize", "--tokenizer", tokenizer()},
                          QJsonDocument(ids).toJson(QJsonDocument::Compact));
        QCOMPARE(d.exitCode, 0);
        QCOMPARE(d.out, textA);
    }

    void chatRenderGoldens_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<bool>("thinking");
        // cases.json: 1-3 thinking mode, 4 chat mode.
        QTest::newRow("tools, thinking") << 1 << true;
        QTest::newRow("multi-turn, thinking") << 2 << true;
        QTest::newRow("developer with tools") << 3 << true;
        QTest::newRow("task action, chat") << 4 << false;
    }

    void chatRenderGoldens()
    {
        QFETCH(int, n);
        QFETCH(bool, thinking);
        QStringList args{"chat-render", "--messages",
                         data(QStringLiteral("chat-encoding/input_%1.json").arg(n))};
        if (thinking)
            args << "--thinking";
        const Run r = run(args);
        QCOMPARE(r.exitCode, 0);
        const QByteArray want = readFile(data(QStringLiteral("chat-encoding/output_%1.txt").arg(n)));
        QVERIFY(!want.isEmpty());
        QCOMPARE(r.out, want);
        // With --tokenizer: the ids of that text, starting with the single BOS.
        const Run ids = run(args << "--tokenizer" << tokenizer());
        QCOMPARE(ids.exitCode, 0);
        QVERIFY(ids.out.startsWith("0 "));
        QVERIFY(!ids.out.startsWith("0 0 "));
        const Run back = run({"detokenize", "--tokenizer", tokenizer()}, ids.out);
        QCOMPARE(back.out, want);
    }

    void usageAndErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stderrContains");
        QTest::newRow("tokenize without tokenizer")
            << QStringList{"tokenize"} << 2 << "--tokenizer";
        QTest::newRow("missing tokenizer file")
            << QStringList{"tokenize", "--tokenizer", "/nonexistent/tokenizer.json"} << 1
            << "/nonexistent/tokenizer.json";
        QTest::newRow("missing input file")
            << QStringList{"tokenize", "--tokenizer", tokenizer(), "/nonexistent/input.txt"} << 1
            << "/nonexistent/input.txt";
        QTest::newRow("detokenize without tokenizer")
            << QStringList{"detokenize"} << 2 << "--tokenizer";
        QTest::newRow("chat-render without messages")
            << QStringList{"chat-render"} << 2 << "--messages";
        QTest::newRow("chat-render bad file")
            << QStringList{"chat-render", "--messages", data("tokenizer/code_c.txt")} << 1
            << "code_c.txt";
        QTest::newRow("help") << QStringList{"tokenize", "--help"} << 0 << "";
    }

    void usageAndErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, stderrContains);
        const Run r = run(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.err.contains(stderrContains), qPrintable(r.err));
    }

    void detokenizeRejectsBadIds()
    {
        const Run words = run({"detokenize", "--tokenizer", tokenizer()}, "12 abc");
        QCOMPARE(words.exitCode, 1);
        QVERIFY2(words.err.contains("abc"), qPrintable(words.err));
        const Run range = run({"detokenize", "--tokenizer", tokenizer()}, "12 99999999");
        QCOMPARE(range.exitCode, 1);
        QVERIFY2(range.err.contains("99999999"), qPrintable(range.err));
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    if (args.size() < 2) {
        qCritical("usage: tst_cli_tokenizer PATH_TO_FOLIO_CLI [QTest options]");
        return 2;
    }
    g_cli = args.takeAt(1);
    TestCliTokenizer t;
    return QTest::qExec(&t, args);
}
#include "tst_cli_tokenizer.moc"
