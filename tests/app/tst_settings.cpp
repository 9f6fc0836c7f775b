// Settings: defaults, clamping, the context budget rule, change notifications, and a round trip
// through the INI file; inspectModelDirectory() on good and broken model directories.
#include "app/model_directory.h"
#include "app/settings.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using folio::app::ModelSource;
using folio::app::Settings;

class TestSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaults()
    {
        Settings s(m_dir.filePath(QStringLiteral("defaults.ini")));
        QCOMPARE(s.modelSource(), ModelSource::None);
        QCOMPARE(s.backend(), QStringLiteral("auto"));
        QCOMPARE(s.contextLimit(), Settings::kMaxContextTokens);
        QCOMPARE(s.threads(), 0);
        QVERIFY(s.thinkingByDefault());
        QVERIFY(s.language().isEmpty());
        QVERIFY(s.snapshotDirectory().endsWith(QStringLiteral("/snapshots")));
    }

    // The engine device (folio-cli's --device forms) lives in the backend setting; text the
    // engine refuses is not stored; the expert cache size is clamped.
    void deviceAndExpertCache()
    {
        Settings s(m_dir.filePath(QStringLiteral("device.ini")));
        QCOMPARE(s.device(), QStringLiteral("auto"));
        QCOMPARE(s.expertCacheGiB(), 0.0);
        QVERIFY(s.setDevice(QStringLiteral("cuda:1")));
        QCOMPARE(s.device(), QStringLiteral("cuda:1"));
        QCOMPARE(s.backend(), QStringLiteral("cuda:1"));
        QVERIFY(s.setDevice(QStringLiteral("cuda:0,1")));
        QCOMPARE(s.device(), QStringLiteral("cuda:0,1"));
        QVERIFY(!s.setDevice(QStringLiteral("gpu0")));
        QCOMPARE(s.device(), QStringLiteral("cuda:0,1"));
        s.setBackend(QStringLiteral("remote")); // answers from an endpoint: the engine idles
        QCOMPARE(s.device(), QStringLiteral("auto"));
        s.setExpertCacheGiB(24.5);
        QCOMPARE(s.expertCacheGiB(), 24.5);
        s.setExpertCacheGiB(-3);
        QCOMPARE(s.expertCacheGiB(), 0.0);
    }

    void budget_data()
    {
        QTest::addColumn<int>("limit");
        QTest::addColumn<int>("reserve");
        QTest::addColumn<int>("modelContext");
        QTest::addColumn<int>("budget");
        QTest::newRow("full V4 context") << 1048576 << 32768 << 1048576 << 1048576 - 32768;
        QTest::newRow("user limit below model") << 200000 << 8192 << 1048576 << 200000 - 8192;
        QTest::newRow("small demo model") << 1048576 << 1024 << 8192 << 8192 - 1024;
        QTest::newRow("limit clamped up") << 10 << 256 << 1048576 << 4096 - 256;
        QTest::newRow("reserve at most half") << 8192 << 100000 << 1048576 << 4096;
    }

    void budget()
    {
        QFETCH(int, limit);
        QFETCH(int, reserve);
        QFETCH(int, modelContext);
        QFETCH(int, budget);
        Settings s(m_dir.filePath(QStringLiteral("budget.ini")));
        s.setContextLimit(limit);
        s.setAnswerReserve(reserve);
        QCOMPARE(s.contextBudget(modelContext), budget);
    }

    void roundTripAndSignals()
    {
        const QString ini = m_dir.filePath(QStringLiteral("rt.ini"));
        {
            Settings s(ini);
            QSignalSpy spy(&s, &Settings::changed);
            s.setModelSource(ModelSource::Demo);
            s.setLanguage(QStringLiteral("zh_CN"));
            s.setLanguage(QStringLiteral("zh_CN")); // unchanged: no second signal
            s.setThreads(-5);
            folio::app::SamplingSettings sampling;
            sampling.temperature = 9; // clamped to 2
            sampling.topK = 40;
            s.setSampling(sampling);
            s.addRecentRepository(QStringLiteral("/a"));
            s.addRecentRepository(QStringLiteral("/b"));
            s.addRecentRepository(QStringLiteral("/a"));
            QVERIFY(spy.size() >= 3);
            QCOMPARE(spy.at(0).first().toString(), QStringLiteral("model/source"));
            QCOMPARE(spy.at(1).first().toString(), QStringLiteral("ui/language"));
            QCOMPARE(spy.at(2).first().toString(), QStringLiteral("engine/threads"));
            s.sync();
        }
        Settings s(ini);
        QCOMPARE(s.modelSource(), ModelSource::Demo);
        QCOMPARE(s.language(), QStringLiteral("zh_CN"));
        QCOMPARE(s.threads(), 0);
        QCOMPARE(s.sampling().temperature, 2.0);
        QCOMPARE(s.sampling().topK, 40);
        QCOMPARE(s.recentRepositories(), QStringList({QStringLiteral("/a"), QStringLiteral("/b")}));
        qputenv("FOLIO_DEMO_MODEL", "/some/demo");
        QCOMPARE(s.effectiveModelDirectory(), QStringLiteral("/some/demo"));
        qunsetenv("FOLIO_DEMO_MODEL");
    }

    void inspectModel_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<bool>("shard");
        QTest::addColumn<bool>("tokenizer");
        QTest::addColumn<QString>("error"); // empty = ok
        // A config the engine accepts: the golden FP8-weights / FP4-experts model (4 layers,
        // hidden 256, 8 routed experts, 1024 positions).
        QFile golden(QStringLiteral(FOLIO_TEST_DATA_DIR "/golden/fp8fp4_s1/config.json"));
        QVERIFY(golden.open(QIODevice::ReadOnly));
        const QString good = QString::fromUtf8(golden.readAll());
        QTest::newRow("complete") << good << true << true << "";
        QTest::newRow("no config") << "" << true << true << "config.json";
        QTest::newRow("broken json") << "{nope" << true << true << "config.json";
        QTest::newRow("not a model config") << "{}" << true << true << "config.json";
        QTest::newRow("no weights") << good << false << true << "safetensors";
        QTest::newRow("no tokenizer") << good << true << false << "tokenizer.json";
    }

    void inspectModel()
    {
        QFETCH(QString, config);
        QFETCH(bool, shard);
        QFETCH(bool, tokenizer);
        QFETCH(QString, error);
        QTemporaryDir dir;
        auto write = [&](const QString &name, const QByteArray &bytes) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        };
        if (!config.isEmpty())
            write(QStringLiteral("config.json"), config.toUtf8());
        if (shard)
            write(QStringLiteral("model.safetensors"), QByteArray(1000, 'x'));
        if (tokenizer)
            write(QStringLiteral("tokenizer.json"), "{}");
        const folio::app::ModelDirectoryInfo info = folio::app::inspectModelDirectory(dir.path());
        if (error.isEmpty()) {
            QVERIFY2(info.ok, qPrintable(info.error));
            QCOMPARE(info.layers, 4);
            QCOMPARE(info.hiddenSize, 256);
            QCOMPARE(info.routedExperts, 8);
            QCOMPARE(info.contextTokens, 1024);
            QCOMPARE(info.weightFormat, QStringLiteral("FP8"));
            QCOMPARE(info.expertFormat, QStringLiteral("FP4"));
            QCOMPARE(info.weightBytes, 1000);
        } else {
            QVERIFY(!info.ok);
            QVERIFY2(info.error.contains(error), qPrintable(info.error));
        }
    }

    // A split model is judged by the model manager's shards rule: every shard the index names
    // must be there, not merely some .safetensors file.
    void inspectSplitModelNeedsEveryIndexedShard()
    {
        QTemporaryDir dir;
        auto write = [&](const QString &name, const QByteArray &bytes) {
            QFile f(dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        };
        QFile golden(QStringLiteral(FOLIO_TEST_DATA_DIR "/golden/fp8fp4_s1/config.json"));
        QVERIFY(golden.open(QIODevice::ReadOnly));
        write(QStringLiteral("config.json"), golden.readAll());
        write(QStringLiteral("tokenizer.json"), "{}");
        write(QStringLiteral("model.safetensors.index.json"),
              R"({"weight_map": {"a": "model-00001-of-00002.safetensors",
                                 "b": "model-00002-of-00002.safetensors"}})");
        write(QStringLiteral("model-00001-of-00002.safetensors"), QByteArray(300, 'x'));
        folio::app::ModelDirectoryInfo info = folio::app::inspectModelDirectory(dir.path());
        QVERIFY(!info.ok);
        QVERIFY2(info.error.contains(QStringLiteral("model-00002-of-00002.safetensors")),
                 qPrintable(info.error));

        write(QStringLiteral("model-00002-of-00002.safetensors"), QByteArray(200, 'x'));
        info = folio::app::inspectModelDirectory(dir.path());
        QVERIFY2(info.ok, qPrintable(info.error));
        QCOMPARE(info.shards, 2);
        QCOMPARE(info.weightBytes, 500);
    }

    void inspectMissingDirectory()
    {
        QVERIFY(!folio::app::inspectModelDirectory(QString()).ok);
        QVERIFY(!folio::app::inspectModelDirectory(m_dir.filePath(QStringLiteral("none"))).ok);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestSettings)
#include "tst_settings.moc"
