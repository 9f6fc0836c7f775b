// The model manager end to end against a hub on 127.0.0.1 (hub_test_server.h) serving a tiny model
// in the release layout: listing and URLs, a complete download, resume after a dropped connection
// and after an interrupted run, corrupted content, tokens, the disk-space check.
#include "app/model_manager/hub_listing.h"
#include "app/model_manager/memory_estimate.h"
#include "app/model_manager/model_catalog.h"
#include "app/model_manager/model_downloader.h"
#include "app/model_manager/model_manifest.h"
#include "hub_test_server.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QStorageInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace folio::app;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The tiny model every download test serves: the golden FP8/FP4 checkpoint and its config (the
// release's tensor layout at toy size), the real V4 tokenizer, and a few plain files — one in a
// sub-directory, one empty.
void addTinyModel(HubTestServer &hub)
{
    const QString golden = QStringLiteral(FOLIO_TEST_DATA_DIR "/golden/fp8fp4_s1");
    hub.files.insert(QStringLiteral("config.json"), {readFile(golden + "/config.json"), false});
    hub.files.insert(QStringLiteral("model.safetensors"),
                     {readFile(golden + "/model.safetensors"), true});
    hub.files.insert(QStringLiteral("tokenizer.json"),
                     {readFile(QStringLiteral(FOLIO_TOKENIZER_JSON)), true});
    hub.files.insert(QStringLiteral("README.md"), {"# tiny model\n", false});
    hub.files.insert(QStringLiteral("inference/notes.txt"), {"notes\n", false});
    hub.files.insert(QStringLiteral(".gitattributes"), {QByteArray(), false});
}

// Every file of a model directory, the weights and the tokenizer as LFS objects.
void addDirectory(HubTestServer &hub, const QString &dir)
{
    const QFileInfoList entries = QDir(dir).entryInfoList(QDir::Files, QDir::Name);
    for (const QFileInfo &f : entries) {
        const bool lfs = f.fileName().endsWith(".safetensors") || f.fileName() == "tokenizer.json";
        hub.files.insert(f.fileName(), {readFile(f.absoluteFilePath()), lfs});
    }
}

struct CliRun
{
    int exitCode = -1;
    QString out, err;
};

// Runs folio-cli with the event loop spinning (the test hub lives in this process).
CliRun runCli(const QStringList &args, const QStringList &extraEnv = {}, int timeoutMs = 120000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("FOLIO_DOWNLOAD_RETRY_DELAY_MS", "10");
    for (const QString &kv : extraEnv)
        env.insert(kv.section('=', 0, 0), kv.section('=', 1));
    p.setProcessEnvironment(env);
    QSignalSpy done(&p, &QProcess::finished);
    p.start(QStringLiteral(FOLIO_CLI_PATH), args);
    if (!done.wait(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, {}, QStringLiteral("timeout")};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

QString demoModel()
{
    return QStringLiteral(FOLIO_BINARY_DIR "/share/folio/demo-model");
}

} // namespace

class TestModelManager : public QObject
{
    Q_OBJECT

    // Runs one download to its end; returns finished()'s result.
    static bool download(ModelDownloader &dl, int timeoutMs = 60000)
    {
        QSignalSpy done(&dl, &ModelDownloader::finished);
        dl.start();
        if (!done.wait(timeoutMs))
            return false;
        return done.at(0).at(0).toBool();
    }

    DownloadOptions options(const HubTestServer &hub, const QString &dir) const
    {
        DownloadOptions o;
        o.repoId = hub.repoId;
        o.hubUrl = hub.url();
        o.targetDir = dir;
        o.parallel = 2;
        o.retryDelayMs = 10;
        o.stallTimeoutMs = 1500;
        return o;
    }

    static void checkSameFiles(const HubTestServer &hub, const QString &dir)
    {
        for (auto it = hub.files.begin(); it != hub.files.end(); ++it) {
            const QString path = QDir(dir).filePath(it.key());
            QVERIFY2(QFileInfo(path).isFile(), qPrintable(path));
            QVERIFY2(readFile(path) == it->content, qPrintable(path));
            QVERIFY2(!QFileInfo::exists(path + ".part"), qPrintable(path));
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(QStringLiteral(FOLIO_TOKENIZER_JSON)).isFile(),
                 "the V4 tokenizer.json (scripts/setup.sh) is needed");
    }

    // --- Listing and URLs ------------------------------------------------------------------------

    void treeListing_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<int>("files");
        QTest::addColumn<QString>("error");
        const QByteArray sha(64, 'e');
        QTest::newRow("lfs file") << QByteArray(R"([{"type":"file","path":"m.safetensors","size":9,)"
                                                R"("oid":"x","lfs":{"oid":")"
                                                + sha + R"(","size":9,"pointerSize":134}}])")
                                  << 1 << "";
        QTest::newRow("plain file and a directory")
            << QByteArray(R"([{"type":"directory","path":"inference","oid":"x","size":0},)"
                          R"({"type":"file","path":"inference/a.py","size":3,"oid":")"
                          + QByteArray(40, 'b') + R"("}])")
            << 1 << "";
        QTest::newRow("parent path")
            << QByteArray(R"([{"type":"file","path":"../x","size":1}])") << 0 << "unsafe path";
        QTest::newRow("absolute path")
            << QByteArray(R"([{"type":"file","path":"/etc/x","size":1}])") << 0 << "unsafe path";
        QTest::newRow("no size") << QByteArray(R"([{"type":"file","path":"a"}])") << 0 << "no size";
        QTest::newRow("bad sha256")
            << QByteArray(R"([{"type":"file","path":"a","size":1,"lfs":{"oid":"xyz","size":1}}])")
            << 0 << "not a sha256";
        QTest::newRow("not an array") << QByteArray(R"({"error":"x"})") << 0 << "array";
        QTest::newRow("not json") << QByteArray("<html>") << 0 << "not JSON";
    }

    void treeListing()
    {
        QFETCH(QByteArray, json);
        QFETCH(int, files);
        QFETCH(QString, error);
        QList<HubFile> out;
        const QString err = parseTreeListing(json, &out);
        if (error.isEmpty()) {
            QVERIFY2(err.isEmpty(), qPrintable(err));
            QCOMPARE(out.size(), files);
        } else {
            QVERIFY2(err.contains(error), qPrintable(err));
        }
    }

    void lfsEntryUsesTheObjectsSizeAndSha()
    {
        QList<HubFile> out;
        const QByteArray sha(64, 'c');
        QVERIFY(parseTreeListing(R"([{"type":"file","path":"w","size":134,"oid":")"
                                     + QByteArray(40, 'a') + R"(","lfs":{"oid":")" + sha.toUpper()
                                     + R"(","size":123456789012,"pointerSize":134}}])",
                                 &out)
                    .isEmpty());
        QCOMPARE(out.at(0).size, 123456789012ll);
        QCOMPARE(out.at(0).sha256, QString::fromLatin1(sha));
        QVERIFY(out.at(0).gitOid.isEmpty());
    }

    void urls()
    {
        QCOMPARE(
            treeListingUrl("http://mirror.test/hf/", "org/model", "refs/pr/1")
                .toString(QUrl::FullyEncoded),
            QStringLiteral(
                "http://mirror.test/hf/api/models/org/model/tree/refs%2Fpr%2F1?recursive=true"));
        QCOMPARE(resolveUrl("http://h.test", "org/model", "main", "sub dir/a b.txt")
                     .toString(QUrl::FullyEncoded),
                 QStringLiteral("http://h.test/org/model/resolve/main/sub%20dir/a%20b.txt"));
        QCOMPARE(nextPageUrl(R"(<https://h.test/api/x?cursor=2>; rel="next")",
                             QUrl("https://h.test/api/x")),
                 QUrl("https://h.test/api/x?cursor=2"));
        QCOMPARE(nextPageUrl(R"(</api/x?c=3>; rel="prev", </api/x?c=5>; rel="next")",
                             QUrl("https://h.test/api/x")),
                 QUrl("https://h.test/api/x?c=5"));
        QVERIFY(nextPageUrl("", QUrl("https://h.test")).isEmpty());
        QVERIFY(isValidRepoId("deepseek-ai/DeepSeek-V4-Flash"));
        QVERIFY(!isValidRepoId("deepseek-ai"));
        QVERIFY(!isValidRepoId("a/../b"));
        QVERIFY(!isValidRepoId("a/b/c"));
        QVERIFY(!isValidRepoId("../b"));
    }

    // --- Downloads -------------------------------------------------------------------------------

    void completeDownloadWithPagination()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        hub.pageSize = 2; // 6 files + 1 directory: four pages
        QTemporaryDir tmp;
        ModelDownloader dl(options(hub, tmp.path()));
        QVERIFY2(download(dl), qPrintable(dl.errors().join('\n')));
        checkSameFiles(hub, tmp.path());
        QCOMPARE(dl.currentProgress().filesDone, 6);
        QCOMPARE(dl.currentProgress().doneBytes, dl.currentProgress().totalBytes);

        ModelManifest m;
        QCOMPARE(m.read(tmp.path()), QString());
        QCOMPARE(m.repo, hub.repoId);
        QCOMPARE(m.files.size(), 6);
        for (const ManifestFile &f : m.files)
            QVERIFY2(f.complete, qPrintable(f.file.path));
        QVERIFY(!m.find("model.safetensors")->file.sha256.isEmpty());
        QVERIFY(!m.find("README.md")->file.gitOid.isEmpty());

        // A second run finds everything complete and fetches nothing but the listing.
        const qsizetype before = hub.log.size();
        ModelDownloader again(options(hub, tmp.path()));
        QVERIFY(download(again));
        for (qsizetype i = before; i < hub.log.size(); ++i)
            QVERIFY2(hub.log[i].path.contains("/api/models/"), qPrintable(hub.log[i].path));
    }

    void resumesAfterDroppedConnection()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        const qint64 size = hub.files["model.safetensors"].content.size();
        hub.dropAfter.insert("model.safetensors", {size / 2, 1});
        QTemporaryDir tmp;
        ModelDownloader dl(options(hub, tmp.path()));
        QVERIFY2(download(dl), qPrintable(dl.errors().join('\n')));
        checkSameFiles(hub, tmp.path());
        const QList<HubRequest> reqs = hub.contentRequests("model.safetensors");
        QCOMPARE(reqs.size(), 2);
        QVERIFY(reqs[0].range.isEmpty());
        QCOMPARE(reqs[1].range, "bytes=" + QByteArray::number(size / 2) + "-");
        QCOMPARE(hub.bodyBytesSent["model.safetensors"], size); // nothing sent twice
    }

    void resumesAnInterruptedRun()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        const qint64 size = hub.files["model.safetensors"].content.size();
        const qint64 cut = size / 3;
        hub.stallAfter.insert("model.safetensors", cut);
        QTemporaryDir tmp;
        const QString part = tmp.filePath("model.safetensors.part");
        {
            auto opts = options(hub, tmp.path());
            opts.stallTimeoutMs = 60000; // the run is interrupted, not timed out
            ModelDownloader first(opts);
            first.start();
            QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(part).size(), cut, 30000);
            // Leaving the scope destroys the downloader mid-transfer, like a killed process.
        }
        QVERIFY(QFileInfo::exists(part));
        QVERIFY(!QFileInfo::exists(tmp.filePath("model.safetensors")));
        hub.stallAfter.clear();
        ModelDownloader second(options(hub, tmp.path()));
        QVERIFY2(download(second), qPrintable(second.errors().join('\n')));
        checkSameFiles(hub, tmp.path());
        const QList<HubRequest> reqs = hub.contentRequests("model.safetensors");
        QCOMPARE(reqs.last().range, "bytes=" + QByteArray::number(cut) + "-");
    }

    void corruptContentIsRejected()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        hub.corrupt.insert("model.safetensors");
        QTemporaryDir tmp;
        ModelDownloader dl(options(hub, tmp.path()));
        QVERIFY(!download(dl));
        const QString errors = dl.errors().join('\n');
        QVERIFY2(errors.contains("model.safetensors: sha256 mismatch"), qPrintable(errors));
        QVERIFY(!QFileInfo::exists(tmp.filePath("model.safetensors")));
        QVERIFY(!QFileInfo::exists(tmp.filePath("model.safetensors.part")));
        QVERIFY(QFileInfo::exists(tmp.filePath("config.json"))); // the other files are kept
        ModelManifest m;
        QCOMPARE(m.read(tmp.path()), QString());
        QVERIFY(!m.find("model.safetensors")->complete);
    }

    void tokenIsRequiredAndSent()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        hub.requiredToken = "secret-token";
        QTemporaryDir tmp;
        ModelDownloader without(options(hub, tmp.path()));
        QVERIFY(!download(without));
        QVERIFY2(without.errors().join('\n').contains("token"),
                 qPrintable(without.errors().join('\n')));

        auto opts = options(hub, tmp.path());
        opts.token = "secret-token";
        ModelDownloader with(opts);
        QVERIFY2(download(with), qPrintable(with.errors().join('\n')));
        checkSameFiles(hub, tmp.path());
    }

    void unknownRepositoryAndRevision()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        QTemporaryDir tmp;
        auto opts = options(hub, tmp.path());
        opts.repoId = "folio-test/no-such-model";
        ModelDownloader dl(opts);
        QVERIFY(!download(dl));
        QVERIFY2(dl.errors().join('\n').contains("404"), qPrintable(dl.errors().join('\n')));

        opts = options(hub, tmp.path());
        opts.revision = "v9";
        ModelDownloader rev(opts);
        QVERIFY(!download(rev));
        QVERIFY2(rev.errors().join('\n').contains("revision"), qPrintable(rev.errors().join('\n')));
    }

    void refusesWithoutDiskSpace()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        QTemporaryDir tmp;
        auto opts = options(hub, tmp.path());
        // A reserve larger than the free space: the check must stop before any file is fetched.
        opts.diskReserveBytes = QStorageInfo(tmp.path()).bytesAvailable() + 1;
        ModelDownloader dl(opts);
        QVERIFY(!download(dl));
        QVERIFY2(dl.errors().join('\n').contains("not enough disk space"),
                 qPrintable(dl.errors().join('\n')));
        for (const HubRequest &r : hub.log)
            QVERIFY2(r.path.contains("/api/models/"), qPrintable(r.path));
    }

    void unreachableHubFailsClearly()
    {
        QTemporaryDir tmp;
        DownloadOptions o;
        o.repoId = "org/model";
        o.hubUrl = "http://127.0.0.1:1"; // nothing listens on port 1
        o.targetDir = tmp.path();
        ModelDownloader dl(o);
        QVERIFY(!download(dl));
        QVERIFY2(dl.errors().join('\n').contains("listing org/model failed"),
                 qPrintable(dl.errors().join('\n')));
    }

    // --- Models directory and memory -------------------------------------------------------------

    void listsModels()
    {
        HubTestServer hub;
        QVERIFY(hub.listen());
        addTinyModel(hub);
        QTemporaryDir models;
        ModelDownloader dl(options(hub, models.filePath("tiny-model")));
        QVERIFY(download(dl));
        QDir(models.path()).mkpath("by-hand");
        QFile cfg(models.filePath("by-hand/config.json"));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.close();
        QDir(models.path()).mkpath("not-a-model");
        QFile part(models.filePath("tiny-model/extra.bin.part"));
        QVERIFY(part.open(QIODevice::WriteOnly));
        part.close();

        const QList<ModelEntry> list = listModels(models.path());
        QCOMPARE(list.size(), 2);
        QCOMPARE(list[0].name, QStringLiteral("by-hand"));
        QCOMPARE(list[0].state, QStringLiteral("unverified (no manifest)"));
        QCOMPARE(list[1].name, QStringLiteral("tiny-model"));
        QCOMPARE(list[1].repo, hub.repoId);
        QCOMPARE(list[1].filesComplete, 6);
        QCOMPARE(list[1].state, QStringLiteral("incomplete download")); // the stray .part
        QFile::remove(models.filePath("tiny-model/extra.bin.part"));
        QCOMPARE(listModels(models.path())[1].state, QStringLiteral("complete"));
    }

    void memoryLayoutsOfV4Flash()
    {
        // Spec §3.1/§3.5: 159,609,485,896 B of tensors; routed experts = 141.73 GB of FP4 (w1, w3 [2048, 2048] and w2 [4096, 1024] I8) + their
        // E8M0 scales (43 layers + MTP, 256 experts, 786,432 B of scales each); §4.1: 3,509 B/token.
        WeightBytes w;
        w.total = 159'609'485'896ull;
        const quint64 expertScales = 44ull * 256 * 786'432;
        const quint64 expertFp4 = 44ull * 256 * (2048ull * 2048 * 2 + 4096ull * 1024);
        w.routedExperts = expertFp4 + expertScales;
        const MemoryEstimate e = estimateMemory(w, 3509, 1 << 20, {2, 8});
        QCOMPARE(e.kvBytes, 3509ull << 20);
        QCOMPARE(e.layouts.size(), 5);
        QCOMPARE(e.layouts[0].name, QStringLiteral("cpu"));
        QCOMPARE(e.layouts[0].hostBytes, w.total + e.kvBytes + kHostWorkingBytes);
        QCOMPARE(e.layouts[1].gpuBytesPerDevice, w.total + e.kvBytes + kGpuWorkingBytes);
        QCOMPARE(e.layouts[2].name, QStringLiteral("2 gpus"));
        QCOMPARE(e.layouts[2].gpuBytesPerDevice, (w.total + e.kvBytes + 1) / 2 + kGpuWorkingBytes);
        QCOMPARE(e.layouts[4].name, QStringLiteral("expert offload"));
        QCOMPARE(e.layouts[4].hostBytes, w.routedExperts + kHostWorkingBytes);
        // One H200 (141 GB) cannot hold everything, but holds the offload layout easily;
        // two H200 and eight H100 (80 GB) hold their shares.
        QVERIFY(e.layouts[1].gpuBytesPerDevice > 141'000'000'000ull);
        QVERIFY(e.layouts[4].gpuBytesPerDevice < 20'000'000'000ull);
        QVERIFY(e.layouts[2].gpuBytesPerDevice < 141'000'000'000ull);
        QVERIFY(e.layouts[3].gpuBytesPerDevice < 80'000'000'000ull);
        QCOMPARE(formatGiB(3509ull << 20), QStringLiteral("3.4 GiB"));
    }

    // --- folio-cli model, end to end ------------------------------------------------------------

    // The demo model (folio-mkmodel: index + 2 shards + tokenizer) downloaded by folio-cli,
    // killed half-way through a shard, resumed by a second run, verified; then a corrupted and a
    // missing shard on disk, which verification must reject.
    void cliDownloadResumeAndVerify()
    {
        QVERIFY2(QFileInfo(demoModel() + "/config.json").isFile(), "the demo model is not built");
        HubTestServer hub;
        QVERIFY(hub.listen());
        hub.repoId = "folio-test/demo";
        addDirectory(hub, demoModel());
        const QString shard2 = "model-00002-of-00002.safetensors";
        QVERIFY(hub.files.contains(shard2));
        const qint64 cut = 20'000'000;
        hub.stallAfter.insert(shard2, cut);
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("demo");
        const QStringList args{"model",   "download", hub.repoId, "--hub-url",
                               hub.url(), "--dir",    dir};

        QProcess first;
        first.start(QStringLiteral(FOLIO_CLI_PATH), args);
        QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(dir + "/" + shard2 + ".part").size(), cut, 60000);
        first.kill(); // an interrupted run: no chance to clean up
        QVERIFY(first.waitForFinished(10000));
        QVERIFY(!QFileInfo::exists(dir + "/" + shard2));

        hub.stallAfter.clear();
        const CliRun second = runCli(args);
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        QVERIFY2(second.out.contains("Downloaded folio-test/demo"), qPrintable(second.out));
        QVERIFY2(second.err.contains("Resuming " + shard2), qPrintable(second.err));
        QVERIFY2(second.err.contains("ETA"), qPrintable(second.err));
        QCOMPARE(hub.contentRequests(shard2).last().range, "bytes=" + QByteArray::number(cut) + "-");
        checkSameFiles(hub, dir);

        CliRun v = runCli({"model", "verify", dir});
        QVERIFY2(v.exitCode == 0, qPrintable(v.out + v.err));
        QVERIFY2(v.out.contains(QRegularExpression("ok +files +\\d+ files.*hashes match")),
                 qPrintable(v.out));
        QVERIFY2(v.out.contains(QRegularExpression("ok +tensors")), qPrintable(v.out));
        QVERIFY2(v.out.contains("expert offload"), qPrintable(v.out));

        v = runCli({"model", "verify", "--json", "--context", "4096", dir});
        QCOMPARE(v.exitCode, 0);
        const QJsonObject root = QJsonDocument::fromJson(v.out.toUtf8()).object();
        QCOMPARE(root["ok"].toBool(), true);
        QCOMPARE(root["memory"]["context_tokens"].toInt(), 4096);
        QCOMPARE(root["memory"]["layouts"].toArray().size(), 5);
        QVERIFY(root["weight_bytes"]["total"].toDouble() > 1e8);

        const CliRun list = runCli({"model", "list", "--dir", tmp.path()});
        QCOMPARE(list.exitCode, 0);
        QVERIFY2(list.out.contains(QRegularExpression("demo .* complete")), qPrintable(list.out));

        // Corrupt one byte in the middle of a shard: same size, different content.
        {
            QFile f(dir + "/model-00001-of-00002.safetensors");
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(f.size() / 2);
            char c = 0;
            QVERIFY(f.getChar(&c));
            f.seek(f.size() / 2);
            QVERIFY(f.putChar(char(c ^ 0x01)));
        }
        v = runCli({"model", "verify", dir});
        QCOMPARE(v.exitCode, 1);
        QVERIFY2(v.out.contains(QRegularExpression(
                     "FAILED +files +model-00001-of-00002.safetensors: sha256 mismatch")),
                 qPrintable(v.out));

        QVERIFY(QFile::remove(dir + "/" + shard2));
        v = runCli({"model", "verify", "--no-hash", dir});
        QCOMPARE(v.exitCode, 1);
        QVERIFY2(v.out.contains(shard2 + ": missing"), qPrintable(v.out));
        QVERIFY2(v.out.contains("1 of 2 shards missing"), qPrintable(v.out));
    }

    void cliUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("no action") << QStringList{"model"} << 2;
        QTest::newRow("unknown action") << QStringList{"model", "fetch"} << 2;
        QTest::newRow("help") << QStringList{"model", "--help"} << 0;
        QTest::newRow("download help") << QStringList{"model", "download", "--help"} << 0;
        QTest::newRow("download without repo") << QStringList{"model", "download"} << 2;
        QTest::newRow("bad repo id") << QStringList{"model", "download", "../x"} << 2;
        QTest::newRow("bad parallel")
            << QStringList{"model", "download", "a/b", "--parallel", "0"} << 2;
        QTest::newRow("verify without dir") << QStringList{"model", "verify"} << 2;
        QTest::newRow("verify missing dir")
            << QStringList{"model", "verify", "/nonexistent/model"} << 1;
        QTest::newRow("verify bad context")
            << QStringList{"model", "verify", "--context", "x", "."} << 2;
    }

    void cliUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        const CliRun r = runCli(args);
        QCOMPARE(r.exitCode, exitCode);
        if (exitCode != 0)
            QVERIFY2(!r.err.isEmpty() || !r.out.isEmpty(), "a failure explains itself");
    }

    // Privacy: verifying and listing models opens no network socket. The control run proves the
    // preload library does catch a command that does use the network.
    void verifyAndListMakeNoNetworkConnection()
    {
        QVERIFY2(QFileInfo(demoModel() + "/config.json").isFile(), "the demo model is not built");
        QTemporaryDir tmp;
        const QString log = tmp.filePath("network.log");
        const QStringList env{QStringLiteral("LD_PRELOAD=" FOLIO_NO_NETWORK_PRELOAD),
                              "FOLIO_NO_NETWORK_LOG=" + log};
        CliRun r = runCli({"model", "verify", demoModel()}, env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        r = runCli({"model", "list", "--dir", QFileInfo(demoModel()).absolutePath()}, env);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains("demo-model"), qPrintable(r.out));
        QVERIFY2(!QFileInfo::exists(log), qPrintable(readFile(log)));

        r = runCli({"model", "download", "org/model", "--hub-url", "http://127.0.0.1:1", "--dir",
                    tmp.filePath("x")},
                   env);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(readFile(log).contains("socket(domain="), "the preload library caught nothing");
    }

    void formatting()
    {
        QCOMPARE(formatBytes(159'617'149'040ll), QStringLiteral("159.6 GB"));
        QCOMPARE(formatBytes(999), QStringLiteral("999 B"));
        QCOMPARE(formatDuration(-1), QStringLiteral("--"));
        QCOMPARE(formatDuration(3725), QStringLiteral("1h 02m"));
        QCOMPARE(formatDuration(250), QStringLiteral("4m 10s"));
    }
};

QTEST_GUILESS_MAIN(TestModelManager)
#include "tst_model_manager.moc"
