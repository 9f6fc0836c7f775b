// folio-cli as a user runs it: --help, --version, unknown commands, the devices subcommand.
// The executable's path is the first argument (passed by CTest).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

static QString g_cli;

class TestCli : public QObject
{
    Q_OBJECT

    struct Run
    {
        int exitCode;
        QString out;
        QString err;
    };

    static Run run(const QStringList &args)
    {
        QProcess p;
        p.start(g_cli, args);
        if (!p.waitForFinished(60000))
            return {-1, {}, QStringLiteral("timeout")};
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void exitCodes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stdoutContains");
        QTest::newRow("help") << QStringList{"--help"} << 0 << "Commands:";
        QTest::newRow("version") << QStringList{"--version"} << 0 << "folio-cli 0.1.0";
        QTest::newRow("no command") << QStringList{} << 2 << "";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << "";
        QTest::newRow("subcommand help") << QStringList{"devices", "--help"} << 0 << "--json";
        QTest::newRow("help <command>") << QStringList{"help", "devices"} << 0 << "--json";
        QTest::newRow("bad option") << QStringList{"devices", "--nope"} << 2 << "";
        QTest::newRow("devices") << QStringList{"devices"} << 0 << "cpu";
    }

    void exitCodes()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, stdoutContains);
        const Run r = run(args);
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.out.contains(stdoutContains), qPrintable(r.out));
        if (exitCode == 2)
            QVERIFY2(!r.err.isEmpty(), "bad usage explains itself on stderr");
    }

    void devicesJson()
    {
        const Run r = run({"devices", "--json"});
        QCOMPARE(r.exitCode, 0);
        QJsonParseError error;
        const QJsonObject obj = QJsonDocument::fromJson(r.out.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QVERIFY(obj.contains("cpu"));
        QVERIFY(obj.value("cuda").isArray());
        if (obj.value("cuda").toArray().isEmpty())
            QVERIFY(!obj.value("cuda_error").toString().isEmpty());
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    if (args.size() < 2) {
        qCritical("usage: tst_cli PATH_TO_FOLIO_CLI [QTest options]");
        return 2;
    }
    g_cli = args.takeAt(1);
    TestCli t;
    return QTest::qExec(&t, args);
}
#include "tst_cli.moc"
