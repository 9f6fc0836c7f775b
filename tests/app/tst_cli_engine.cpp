// folio-cli generate and logits on the golden bf16 model (tests/data/golden/bf16_s1): the logits
// file's layout, agreement of the prefill / stepwise / chunked modes with each other and with the
// reference's logits, greedy decode steps, generation (plain and speculative) and bad usage.
// The executable's path is the first argument (passed by CTest).
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>

static QString g_cli;

namespace {

struct Tensor
{
    QString dtype;
    QList<qint64> shape;
    QByteArray data;
};

// A minimal safetensors reader for the test's own checks.
QMap<QString, Tensor> readSafetensors(const QString &path)
{
    QMap<QString, Tensor> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    const QByteArray all = f.readAll();
    if (all.size() < 8)
        return out;
    quint64 len = 0;
    for (int i = 7; i >= 0; --i)
        len = (len << 8) | quint8(all[i]);
    const QJsonObject header = QJsonDocument::fromJson(all.mid(8, qsizetype(len))).object();
    const qsizetype base = 8 + qsizetype(len);
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == QLatin1String("__metadata__"))
            continue;
        const QJsonObject o = it.value().toObject();
        Tensor t;
        t.dtype = o.value(QStringLiteral("dtype")).toString();
        for (const QJsonValue &v : o.value(QStringLiteral("shape")).toArray())
            t.shape.append(qint64(v.toDouble()));
        const QJsonArray off = o.value(QStringLiteral("data_offsets")).toArray();
        t.data = all.mid(base + qsizetype(off[0].toDouble()),
                         qsizetype(off[1].toDouble() - off[0].toDouble()));
        out.insert(it.key(), t);
    }
    return out;
}

QVector<float> floats(const Tensor &t)
{
    QVector<float> v(t.data.size() / 4);
    std::memcpy(v.data(), t.data.constData(), size_t(v.size()) * 4);
    return v;
}

QVector<qint64> int64s(const Tensor &t)
{
    QVector<qint64> v(t.data.size() / 8);
    std::memcpy(v.data(), t.data.constData(), size_t(v.size()) * 8);
    return v;
}

int argmaxRow(const QVector<float> &v, int row, int cols)
{
    int best = 0;
    for (int j = 1; j < cols; ++j)
        if (v[row * cols + j] > v[row * cols + best])
            best = j;
    return best;
}

// rms(a - b) / std(b) of one row.
double relRms(const QVector<float> &a, const QVector<float> &b, int row, int cols)
{
    double mean = 0, var = 0, d2 = 0;
    for (int j = 0; j < cols; ++j)
        mean += b[row * cols + j];
    mean /= cols;
    for (int j = 0; j < cols; ++j) {
        const double g = b[row * cols + j], d = a[row * cols + j] - g;
        var += (g - mean) * (g - mean);
        d2 += d * d;
    }
    return std::sqrt(d2 / var);
}

} // namespace

class TestCliEngine : public QObject
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
        if (!p.waitForFinished(300000))
            return {-1, {}, QStringLiteral("timeout")};
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

    QTemporaryDir m_tmp;
    QString m_model, m_tokens;
    QVector<float> m_goldenAll; // [S, vocab] reference logits of every prompt position
    static constexpr int kPrompt = 40, kVocab = 512;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_model = QStringLiteral(FOLIO_TEST_DATA_DIR "/golden/bf16_s1");
        const auto golden = readSafetensors(m_model + QStringLiteral("/golden.safetensors"));
        QVERIFY(golden.contains(QStringLiteral("input_ids")));
        const QVector<qint64> ids = int64s(golden[QStringLiteral("input_ids")]);
        m_goldenAll = floats(golden[QStringLiteral("prefill.logits_all")]);
        QStringList words;
        for (int i = 0; i < kPrompt; ++i)
            words << QString::number(ids[i]);
        m_tokens = m_tmp.filePath(QStringLiteral("tokens.txt"));
        QFile f(m_tokens);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(words.join(QLatin1Char(' ')).toUtf8());
    }

    void logitsModes_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("prefill") << QStringLiteral("prefill");
        QTest::newRow("stepwise") << QStringLiteral("stepwise");
        QTest::newRow("chunked:7") << QStringLiteral("chunked:7");
        QTest::newRow("chunked:16") << QStringLiteral("chunked:16");
    }

    void logitsModes()
    {
        QFETCH(QString, mode);
        QString file = mode;
        file.replace(QLatin1Char(':'), QLatin1Char('_'));
        const QString out = m_tmp.filePath(file + QStringLiteral(".safetensors"));
        const Run r = run({QStringLiteral("logits"), QStringLiteral("--model"), m_model,
                           QStringLiteral("--tokens"), m_tokens, QStringLiteral("--mode"), mode,
                           QStringLiteral("--all-positions"), QStringLiteral("--decode-steps"),
                           QStringLiteral("3"), QStringLiteral("--threads"), QStringLiteral("2"),
                           QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto t = readSafetensors(out);
        QCOMPARE(t[QStringLiteral("logits")].dtype, QStringLiteral("F32"));
        QCOMPARE(t[QStringLiteral("logits")].shape, (QList<qint64>{kPrompt + 3, kVocab}));
        QCOMPARE(t[QStringLiteral("tokens")].dtype, QStringLiteral("I64"));
        QCOMPARE(t[QStringLiteral("tokens")].shape, (QList<qint64>{3}));
        const QVector<float> logits = floats(t[QStringLiteral("logits")]);
        const QVector<qint64> toks = int64s(t[QStringLiteral("tokens")]);
        // Every given position agrees with the reference within the golden tolerance.
        int agree = 0;
        for (int row = 0; row < kPrompt; ++row) {
            QVERIFY2(relRms(logits, m_goldenAll, row, kVocab) < 0.25,
                     qPrintable(QStringLiteral("row %1").arg(row)));
            agree += argmaxRow(logits, row, kVocab) == argmaxRow(m_goldenAll, row, kVocab);
        }
        QVERIFY(agree >= kPrompt * 9 / 10);
        // Each decode step fed the argmax of the row before it.
        for (int s = 0; s < 3; ++s)
            QCOMPARE(toks[s], qint64(argmaxRow(logits, kPrompt - 1 + s, kVocab)));
    }

    void generate()
    {
        QStringList args{QStringLiteral("generate"),
                         QStringLiteral("--model"),
                         m_model,
                         QStringLiteral("--tokens"),
                         m_tokens,
                         QStringLiteral("-n"),
                         QStringLiteral("6"),
                         QStringLiteral("--json")};
        const Run plain = run(args);
        QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
        const QJsonObject o = QJsonDocument::fromJson(plain.out.toUtf8()).object();
        const QJsonArray toks = o.value(QStringLiteral("tokens")).toArray();
        QCOMPARE(toks.size(), 6);
        QCOMPARE(o.value(QStringLiteral("stop")).toString(), QStringLiteral("max_tokens"));
        // The device counters are reported; a CPU session has no expert cache and no GPU GEMMs.
        const QJsonObject stats = o.value(QStringLiteral("device_stats")).toObject();
        for (const char *key :
             {"expert_cache_hits", "expert_cache_misses", "expert_cache_slots", "fp8_gemm_cublaslt",
              "fp8_gemm_exact", "moe_grouped", "moe_fused_gemv"}) {
            QVERIFY2(stats.value(QLatin1String(key)).isDouble(), key);
            QCOMPARE(stats.value(QLatin1String(key)).toDouble(), 0.0);
        }
        QCOMPARE(stats.value(QStringLiteral("fp8_cublaslt_refused")).toBool(), false);
        // The first greedy token is the argmax of the last prompt position.
        const Run lg = run({QStringLiteral("logits"), QStringLiteral("--model"), m_model,
                            QStringLiteral("--tokens"), m_tokens, QStringLiteral("--out"),
                            m_tmp.filePath(QStringLiteral("last.safetensors"))});
        QVERIFY2(lg.exitCode == 0, qPrintable(lg.err));
        const QVector<float> last = floats(readSafetensors(
            m_tmp.filePath(QStringLiteral("last.safetensors")))[QStringLiteral("logits")]);
        QCOMPARE(last.size(), kVocab);
        QCOMPARE(toks[0].toInt(), argmaxRow(last, 0, kVocab));
        // Speculative decoding with the MTP block gives the same tokens.
        const Run spec = run(args << QStringLiteral("--speculative"));
        QVERIFY2(spec.exitCode == 0, qPrintable(spec.err));
        QCOMPARE(QJsonDocument::fromJson(spec.out.toUtf8())
                     .object()
                     .value(QStringLiteral("tokens"))
                     .toArray(),
                 toks);
        // Streaming without --json: one id per line (the golden model has no tokenizer.json).
        const Run stream = run({QStringLiteral("generate"), QStringLiteral("--model"), m_model,
                                QStringLiteral("--tokens"), m_tokens, QStringLiteral("-n"),
                                QStringLiteral("3")});
        QCOMPARE(stream.exitCode, 0);
        QCOMPARE(stream.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 3);
        // A directory that is not a model fails cleanly.
        const Run missing = run({QStringLiteral("generate"), QStringLiteral("--model"),
                                 m_tmp.path(), QStringLiteral("--tokens"), m_tokens});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(!missing.err.isEmpty());
    }

    void dumpLayers()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("dump"));
        QVERIFY(QDir().mkpath(dir));
        const Run r = run({QStringLiteral("logits"), QStringLiteral("--model"), m_model,
                           QStringLiteral("--tokens"), m_tokens, QStringLiteral("--dump-layers"),
                           dir, QStringLiteral("--out"), m_tmp.filePath(QStringLiteral("d.st"))});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile index(dir + QStringLiteral("/index.txt"));
        QVERIFY(index.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(index.readAll())
                                      .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4); // one prefill call, four blocks
        QCOMPARE(QFileInfo(dir + QStringLiteral("/pos0_layer3.f32")).size(),
                 qint64(kPrompt) * 4 * 256 * 4);
    }

    void badUsage_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        const QString model = QStringLiteral(FOLIO_TEST_DATA_DIR "/golden/bf16_s1");
        QTest::newRow("logits without --out")
            << QStringList{"logits", "--model", model, "--tokens", "x"} << 2;
        QTest::newRow("logits bad mode")
            << QStringList{"logits", "--model", model,    "--tokens", "x",
                           "--out",  "y",       "--mode", "sideways"}
            << 2;
        QTest::newRow("generate without prompt") << QStringList{"generate", "--model", model} << 2;
        QTest::newRow("generate unreadable token file")
            << QStringList{"generate", "--model", model, "--tokens", model + "/config.json"} << 1;
        QTest::newRow("generate --prompt without tokenizer")
            << QStringList{"generate", "--model", model, "--prompt", "hi"} << 1;
    }

    void badUsage()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QProcess p;
        p.start(g_cli, args);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), exitCode);
        QVERIFY(!p.readAllStandardError().isEmpty());
    }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments();
    if (args.size() < 2) {
        qCritical("usage: tst_cli_engine PATH_TO_FOLIO_CLI [QTest options]");
        return 2;
    }
    g_cli = args.takeAt(1);
    TestCliEngine t;
    return QTest::qExec(&t, args);
}

#include "tst_cli_engine.moc"
