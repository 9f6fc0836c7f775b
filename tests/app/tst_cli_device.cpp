// folio-cli's --device / --gpus / --expert-cache-gb (app/cli/device_options.*) on the golden bf16
// model: bad values are usage errors (exit 2) naming the option, for generate, logits, serve and
// ask alike; on a machine without a usable GPU (or a build without CUDA) "cuda" fails with the
// reason (exit 1, no silent CPU fallback) and "auto" runs on the CPU and says why on stderr.
// The executable's path is the first argument (passed by CTest).
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

static QString g_cli;

namespace {

struct Run
{
    int code = -1;
    QString out, err;
};

Run run(const QStringList &args)
{
    QProcess p;
    p.start(g_cli, args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString modelDir()
{
    return QStringLiteral(FOLIO_TEST_DATA_DIR "/golden/bf16_s1");
}

} // namespace

class TestCliDevice : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tokens = m_dir.filePath(QStringLiteral("tokens.txt"));
        QFile f(m_tokens);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("5 17 99 3\n");
    }

    void badValues_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QStringList>("options");
        QTest::addColumn<QString>("message");
        for (const char *cmd : {"generate", "logits", "serve", "ask"}) {
            QTest::addRow("%s unknown device", cmd)
                << cmd << QStringList{"--device", "gpu"} << "unknown device \"gpu\"";
            QTest::addRow("%s bad gpu list", cmd)
                << cmd << QStringList{"--gpus", "0,x"} << "\"x\" is not a GPU ordinal";
            QTest::addRow("%s gpu twice", cmd)
                << cmd << QStringList{"--gpus", "1,1"} << "listed twice";
            QTest::addRow("%s cache on cpu", cmd)
                << cmd << QStringList{"--expert-cache-gb", "8"} << "needs --device cuda or auto";
            QTest::addRow("%s cache not a number", cmd)
                << cmd << QStringList{"--device", "auto", "--expert-cache-gb", "lots"}
                << "--expert-cache-gb: expected a positive number";
            QTest::addRow("%s device and gpus disagree", cmd)
                << cmd << QStringList{"--device", "cuda:2", "--gpus", "0,1"} << "disagree";
        }
    }

    void badValues()
    {
        QFETCH(QString, command);
        QFETCH(QStringList, options);
        QFETCH(QString, message);
        QStringList args{command, QStringLiteral("--model"), modelDir()};
        if (command == QLatin1String("generate") || command == QLatin1String("logits"))
            args << QStringLiteral("--tokens") << m_tokens;
        if (command == QLatin1String("logits"))
            args << QStringLiteral("--out") << m_dir.filePath(QStringLiteral("l.safetensors"));
        if (command == QLatin1String("serve"))
            args << QStringLiteral("--port") << QStringLiteral("0")
                 << QStringLiteral("--no-discovery");
        if (command == QLatin1String("ask")) // refused before any ingest or load
            args << QStringLiteral("--repo") << m_dir.path() << QStringLiteral("--db")
                 << m_dir.filePath(QStringLiteral("folio.db")) << QStringLiteral("Where is main?");
        const Run r = run(args + options);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.err.startsWith(QStringLiteral("folio-cli ") + command));
    }

    void cudaWithoutGpuFailsAutoFallsBack()
    {
        // A GPU machine runs the CUDA backend instead (test_cuda_session covers it there).
        const Run probe = run({QStringLiteral("devices"), QStringLiteral("--json")});
        QCOMPARE(probe.code, 0);
        if (probe.out.contains(QLatin1String("\"device\": \"cuda:")))
            QSKIP("a CUDA device is present");
        const QStringList gen{QStringLiteral("generate"),
                              QStringLiteral("--model"),
                              modelDir(),
                              QStringLiteral("--tokens"),
                              m_tokens,
                              QStringLiteral("-n"),
                              QStringLiteral("2")};
        const Run cuda = run(gen + QStringList{QStringLiteral("--device"), QStringLiteral("cuda")});
        QCOMPARE(cuda.code, 1);
        QVERIFY2(cuda.err.contains(QLatin1String("device cuda:0: "))
                     && (cuda.err.contains(QLatin1String("FOLIO_CUDA=OFF"))
                         || cuda.err.contains(QLatin1String("no usable CUDA device"))),
                 qPrintable(cuda.err));
        const Run automatic = run(
            gen + QStringList{QStringLiteral("--device"), QStringLiteral("auto")});
        QCOMPARE(automatic.code, 0);
        QVERIFY2(automatic.err.contains(QLatin1String("device auto: cpu, because")),
                 qPrintable(automatic.err));
        // The same tokens as the default (CPU) run.
        const Run cpu = run(gen);
        QCOMPARE(cpu.code, 0);
        QCOMPARE(automatic.out, cpu.out);
    }

private:
    QTemporaryDir m_dir;
    QString m_tokens;
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    if (args.size() < 2) {
        qCritical("usage: tst_cli_device PATH_TO_FOLIO_CLI [QTest options]");
        return 2;
    }
    g_cli = args.takeAt(1);
    TestCliDevice t;
    return QTest::qExec(&t, args);
}

#include "tst_cli_device.moc"
