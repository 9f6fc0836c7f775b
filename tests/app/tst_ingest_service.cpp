// IngestService + SourcesModel: a folder created in the test is read on the ingest thread, the tree
// shows directories, files with token counts and the skipped items with reasons; unchecking a file
// re-packs and lowers the budget without rebuilding the tree; a small budget gives the warning with
// suggestions; cancel and bad paths end cleanly. The model passes QAbstractItemModelTester.
#include "app/ingest_service.h"
#include "app/session_sources.h"
#include "app/sources_model.h"
#include "app/thread_guard.h"
#include "tests/support/git_process.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFileInfo>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using folio::app::IngestService;
using folio::app::SourceNode;
using folio::app::SourcesModel;
using folio::testing::runGit;

namespace {
void write(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

QModelIndex find(const QAbstractItemModel &m, const QString &name, const QModelIndex &parent = {})
{
    for (int r = 0; r < m.rowCount(parent); ++r) {
        const QModelIndex i = m.index(r, 0, parent);
        if (i.data(SourcesModel::PathRole).toString() == name || i.data().toString() == name)
            return i;
        if (const QModelIndex below = find(m, name, i); below.isValid())
            return below;
    }
    return {};
}
} // namespace

class TestIngestService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QByteArray big;
        for (int i = 0; i < 300; ++i)
            big += "void function_number_" + QByteArray::number(i) + "() { do_something(); }\n";
        write(m_dir.filePath(QStringLiteral("proj/src/core/engine.cpp")), big);
        write(m_dir.filePath(QStringLiteral("proj/src/main.cpp")), "int main() { return 0; }\n");
        write(m_dir.filePath(QStringLiteral("proj/README.md")), "# Project\n");
        write(m_dir.filePath(QStringLiteral("proj/logo.png")),
              QByteArray("\x89PNG\r\n\x1a\n\0\0\0", 11));
    }

    void readsFolderIntoTree()
    {
        folio::app::resetLayerWorkCounts();
        SourcesModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        IngestService ingest(&model);
        QSignalSpy budget(&ingest, &IngestService::budgetChanged);
        QSignalSpy busy(&ingest, &IngestService::busyChanged);
        ingest.addPaths({m_dir.filePath(QStringLiteral("proj"))});
        QVERIFY(ingest.isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QCOMPARE(busy.first().first().toBool(), true);
        QCOMPARE(busy.last().first().toBool(), false);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(ingest.sourceCount(), 1);

        const QModelIndex engine = find(model, QStringLiteral("src/core/engine.cpp"));
        QVERIFY(engine.isValid());
        QCOMPARE(SourceNode::Kind(engine.data(SourcesModel::KindRole).toInt()),
                 SourceNode::Kind::File);
        const qint64 engineTokens = engine.data(SourcesModel::TokensRole).toLongLong();
        QVERIFY(engineTokens > 1000);
        // Directories sum their files.
        const QModelIndex core = engine.parent();
        QCOMPARE(core.data().toString(), QStringLiteral("core"));
        QCOMPARE(core.data(SourcesModel::TokensRole).toLongLong(), engineTokens);
        QCOMPARE(engine.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        // The binary file is skipped with a reason.
        const QModelIndex logo = find(model, QStringLiteral("logo.png"));
        QVERIFY(logo.isValid());
        QCOMPARE(SourceNode::Kind(logo.data(SourcesModel::KindRole).toInt()),
                 SourceNode::Kind::Skipped);
        QVERIFY(!logo.data(SourcesModel::ReasonRole).toString().isEmpty());
        QVERIFY(!(model.flags(logo) & Qt::ItemIsUserCheckable));

        const qint64 usedBefore = ingest.budget().used;
        QVERIFY(usedBefore > engineTokens);
        QVERIFY(!ingest.packed().text.isEmpty());
        QVERIFY(ingest.packed().spanMapJson.contains("\"spans\""));

        // Unchecking the directory excludes its file; the tree stays, the budget drops.
        budget.clear();
        QVERIFY(model.setData(core, Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(engine.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QCOMPARE(model.index(0, 0).data(Qt::CheckStateRole).toInt(), int(Qt::PartiallyChecked));
        QTRY_VERIFY(!budget.isEmpty());
        QVERIFY(engine.isValid()); // not reset
        QVERIFY(ingest.budget().used < usedBefore - engineTokens / 2);
        QVERIFY(!ingest.packed().text.contains("function_number_7"));

        // Work happened, none of it on this (the UI) thread.
        QVERIFY(folio::app::layerWorkCounts().calls >= 2);
        QCOMPARE(folio::app::layerWorkCounts().onUiThread, 0);
    }

    // Before anything is read, a new budget is shown at once (the bar's reserve and limit).
    void budgetWithoutSources()
    {
        SourcesModel model;
        IngestService ingest(&model);
        QSignalSpy budget(&ingest, &IngestService::budgetChanged);
        ingest.setBudget(65536, 8192);
        QCOMPARE(budget.size(), 1);
        const auto b = budget.first().first().value<folio::app::BudgetInfo>();
        QCOMPARE(b.context, 65536);
        QCOMPARE(b.reserve, 8192);
        QCOMPARE(b.budget, 65536 - 8192);
        QCOMPARE(b.used, 0);
        QVERIFY(!b.over);
    }

    void overBudgetSuggests()
    {
        SourcesModel model;
        IngestService ingest(&model);
        ingest.setBudget(4096 + 600, 4096); // a 600-token budget
        ingest.addPaths({m_dir.filePath(QStringLiteral("proj"))});
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QVERIFY(ingest.budget().over);
        QCOMPARE(ingest.budget().budget, 600);
        QVERIFY(!ingest.budget().suggestions.isEmpty());
        QVERIFY(!ingest.budget().suggestions.first().exclude.isEmpty());
    }

    void badPathFails()
    {
        SourcesModel model;
        IngestService ingest(&model);
        QSignalSpy failed(&ingest, &IngestService::failed);
        ingest.addRepository({m_dir.filePath(QStringLiteral("no-such-repo")), QString(), false});
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QCOMPARE(failed.size(), 1);
        QVERIFY(!failed.first().first().toString().isEmpty());
        QCOMPARE(model.rowCount(), 0);
    }

    void itemTextComesFromTheIngestThread()
    {
        SourcesModel model;
        IngestService ingest(&model);
        ingest.addPaths({m_dir.filePath(QStringLiteral("proj"))});
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QSignalSpy text(&ingest, &IngestService::itemText);
        ingest.requestItemText(0, QStringLiteral("src/main.cpp"));
        QTRY_COMPARE(text.size(), 1);
        QCOMPARE(text.first().at(2).toString(), QStringLiteral("int main() { return 0; }\n"));
        ingest.requestItemText(5, QStringLiteral("x")); // no such source: no answer, no crash
        ingest.waitForIdle();
        QCOMPARE(text.size(), 1);
    }

    void resolvesCitations()
    {
        SourcesModel model;
        IngestService ingest(&model);
        ingest.addPaths({m_dir.filePath(QStringLiteral("proj"))});
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QSignalSpy resolved(&ingest, &IngestService::citationsResolved);
        const QString answer = QStringLiteral(
            "main() is in src/main.cpp:1 but not in nowhere.cpp:3.");
        ingest.resolveCitations(7, answer);
        QTRY_COMPARE(resolved.size(), 1);
        QCOMPARE(resolved.first().at(0).toInt(), 7);
        const auto links = resolved.first().at(1).value<QVector<folio::app::CitationLink>>();
        QCOMPARE(links.size(), 2);
        QVERIFY(links.at(0).verified);
        QCOMPARE(links.at(0).path, QStringLiteral("src/main.cpp"));
        QCOMPARE(links.at(0).lineBegin, 1);
        QCOMPARE(answer.mid(links.at(0).offset, links.at(0).length), links.at(0).text);
        QVERIFY(!links.at(1).verified);
        QVERIFY(!links.at(1).reason.isEmpty());
    }

    // While one large source is read, its files read of the total and the files per second are
    // reported live, not only when it is done: the read is held (on its reading thread) half-way
    // and the UI thread sees the count, the total and a rate meanwhile.
    void reportsFilesReadWhileReading()
    {
        const QString repo = m_dir.filePath(QStringLiteral("many"));
        for (int i = 0; i < 200; ++i)
            write(repo + QStringLiteral("/f%1.txt").arg(i, 3, 10, QLatin1Char('0')), "line\n");
        QVERIFY(!runGit(repo, {QStringLiteral("init"), QStringLiteral("-q")}).isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("add"), QStringLiteral(".")}).isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("commit"), QStringLiteral("-qm"), QStringLiteral("m")})
                     .isNull());

        folio::app::resetLayerWorkCounts();
        QSemaphore held, release;
        std::atomic_bool once{false};
        SourcesModel model;
        IngestService ingest(&model);
        ingest.setReadProgressHook([&](qint64 done, qint64) {
            if (done >= 100 && !once.exchange(true)) {
                held.release();
                // Never hang the test: the read goes on after 30 s whatever happens.
                release.tryAcquire(1, 30000);
            }
        });
        QSignalSpy progress(&ingest, &IngestService::progressChanged);
        ingest.addRepository({repo, QString(), false});
        QVERIFY(held.tryAcquire(1, 30000));
        auto midRead = [&] {
            for (const QList<QVariant> &args : progress) {
                const auto p = args.first().value<folio::app::IngestProgress>();
                if (!p.bytes && !p.pages && p.total == 200 && p.done >= 100 && p.done < 200
                    && p.rate > 0 && p.stage.contains(QStringLiteral("Reading repository")))
                    return true;
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(midRead(), 30000);
        QVERIFY(ingest.isBusy());
        release.release();
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QCOMPARE(ingest.sourceCount(), 1);
        QCOMPARE(model.rowCount(model.index(0, 0)), 200);
        QCOMPARE(folio::app::layerWorkCounts().onUiThread, 0);
    }

    // A URL's branches and tags are listed before anything is cloned (git ls-remote): the
    // default branch, a branch, a lightweight and an annotated tag (its peeled "^{}" entry is not
    // a tag of its own); no commits, since nothing was fetched. A file:// URL that names nothing
    // is an error, not a hang or an empty list.
    void listsRemoteRefsWithoutCloning()
    {
        const QString repo = m_dir.filePath(QStringLiteral("remote"));
        write(repo + QStringLiteral("/a.txt"), "a\n");
        QVERIFY(!runGit(repo, {QStringLiteral("init"), QStringLiteral("-q"), QStringLiteral("-b"),
                               QStringLiteral("trunk")})
                     .isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("add"), QStringLiteral(".")}).isNull());
        QVERIFY(
            !runGit(repo, {QStringLiteral("commit"), QStringLiteral("-qm"), QStringLiteral("one")})
                 .isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("branch"), QStringLiteral("feature")}).isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("tag"), QStringLiteral("v1")}).isNull());
        QVERIFY(!runGit(repo, {QStringLiteral("tag"), QStringLiteral("-a"), QStringLiteral("v2"),
                               QStringLiteral("-m"), QStringLiteral("two")})
                     .isNull());
        const QByteArray head = runGit(repo, {QStringLiteral("rev-parse"), QStringLiteral("HEAD")});
        QCOMPARE(head.size(), 40);

        folio::app::resetLayerWorkCounts();
        SourcesModel model;
        IngestService ingest(&model);
        QSignalSpy listed(&ingest, &IngestService::refsListed);
        const QString url = QStringLiteral("file://") + repo;
        QVERIFY(IngestService::isRepositoryUrl(url));
        QVERIFY(!IngestService::isRepositoryUrl(repo));
        ingest.listRefs(url);
        QTRY_COMPARE_WITH_TIMEOUT(listed.size(), 1, 30000);
        const auto refs = listed.first().first().value<folio::app::RepositoryRefs>();
        QVERIFY2(refs.error.isEmpty(), qPrintable(refs.error));
        QVERIFY(refs.remote);
        QCOMPARE(refs.location, url);
        QCOMPARE(refs.branches, QStringList({QStringLiteral("feature"), QStringLiteral("trunk")}));
        QCOMPARE(refs.tags, QStringList({QStringLiteral("v1"), QStringLiteral("v2")}));
        QCOMPARE(refs.head, QStringLiteral("trunk"));
        QCOMPARE(refs.headCommit, QString::fromLatin1(head));
        QVERIFY(refs.commits.isEmpty());
        // Listing is ingest work, done on the ingest thread.
        QCOMPARE(folio::app::layerWorkCounts().onUiThread, 0);
        QVERIFY(folio::app::layerWorkCounts().kinds.contains(QStringLiteral("ingest: list refs")));

        listed.clear();
        const QString missing = QStringLiteral("file://") + m_dir.filePath(QStringLiteral("none"));
        ingest.listRefs(missing);
        QTRY_COMPARE_WITH_TIMEOUT(listed.size(), 1, 30000);
        const auto none = listed.first().first().value<folio::app::RepositoryRefs>();
        QCOMPARE(none.location, missing);
        QVERIFY(none.error.contains(QStringLiteral("no such repository")));
        QVERIFY(none.branches.isEmpty());
    }

    // Progress: reported while busy, and once at the end with done == total (the bytes of the
    // items whose tokens were counted); a person's change is announced by sourcesChanged once
    // its pack is done.
    void reportsProgressAndChanges()
    {
        SourcesModel model;
        IngestService ingest(&model);
        QSignalSpy progress(&ingest, &IngestService::progressChanged);
        QSignalSpy changed(&ingest, &IngestService::sourcesChanged);
        ingest.addPaths({m_dir.filePath(QStringLiteral("proj"))});
        QTRY_VERIFY_WITH_TIMEOUT(!ingest.isBusy(), 30000);
        QVERIFY(!progress.isEmpty());
        const auto last = progress.last().first().value<folio::app::IngestProgress>();
        QVERIFY(last.total > 0);
        QCOMPARE(last.done, last.total);
        QCOMPARE(last.etaSeconds, 0.0);
        QCOMPARE(changed.size(), 1);
        QVERIFY(ingest.sourceRecords());
        QCOMPARE(ingest.sourceRecords()->records.size(), size_t(1));
        QCOMPARE(ingest.sourceRecords()->records.front().kind, QStringLiteral("dir"));
        QVERIFY(ingest.sourceRecords()->records.front().tokenCount > 0);

        // Excluding a file is a change too, and the record lists it.
        const QModelIndex main = find(model, QStringLiteral("src/main.cpp"));
        QVERIFY(main.isValid());
        QVERIFY(model.setData(main, Qt::Unchecked, Qt::CheckStateRole));
        QTRY_COMPARE(changed.size(), 2);
        QVERIFY(ingest.sourceRecords()->records.front().filtersJson.contains(
            QStringLiteral("src/main.cpp")));

        // A restore replaces the sources and is not a change of the person's.
        QSignalSpy restored(&ingest, &IngestService::restored);
        ingest.restoreSources(ingest.sourceRecords());
        QTRY_VERIFY_WITH_TIMEOUT(restored.size() == 1 && !ingest.isBusy(), 30000);
        QCOMPARE(changed.size(), 2);
        QCOMPARE(ingest.sourceCount(), 1);
        QVERIFY(restored.first().at(1).toStringList().isEmpty());
        const QModelIndex again = find(model, QStringLiteral("src/main.cpp"));
        QCOMPARE(again.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestIngestService)
#include "tst_ingest_service.moc"
