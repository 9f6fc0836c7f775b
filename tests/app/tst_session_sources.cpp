// Session sources (app/session_sources.h): records written for a repository read at an older
// commit, a PDF, a text file and a folder go through the real database and come back; the
// repository is read again at its pinned commit after the branch moved on; a PDF that moved or
// changed comes back from the stored text with a note; a missing folder is reported while the
// others are still restored; excluded items stay excluded; malformed records are refused.
#include "app/session_sources.h"
#include "storage/database.h"
#include "storage/session_store.h"
#include "tests/support/git_process.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPainter>
#include <QPdfWriter>
#include <QTemporaryDir>
#include <QTest>

using folio::app::RestoreOutcome;
using folio::ingest::IngestRequest;

namespace {
void write(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

using folio::testing::git;

void writePdf(const QString &path, const QString &word)
{
    QPdfWriter writer(path);
    writer.setPageSize(QPageSize(QPageSize::A5));
    writer.setResolution(72);
    QPainter painter(&writer);
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSize(12);
    painter.setFont(font);
    for (int page = 1; page <= 2; ++page) {
        if (page > 1)
            writer.newPage();
        painter.drawText(QPointF(40, 80), QStringLiteral("%1 on page %2").arg(word).arg(page));
    }
    painter.end();
}

folio::ingest::SourceContents ingestOne(const IngestRequest &r)
{
    folio::ingest::IngestOutcome in = folio::ingest::runIngest(r);
    if (!in.status.ok() || in.sources.size() != 1) {
        qWarning() << in.failedSource << in.status.message;
        return {};
    }
    return in.sources.front();
}

QByteArray itemText(const folio::ingest::SourceContents &sc, const QString &path, int page = 0)
{
    for (const auto &item : sc.items)
        if (item.path == path && item.page == page)
            return item.text;
    return "<missing>";
}
} // namespace

class TestSessionSources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_repo = m_dir.filePath(QStringLiteral("repo"));
        write(m_repo + QStringLiteral("/src/a.cpp"), "int a() { return 1; }\n");
        write(m_repo + QStringLiteral("/README.md"), "# Old\n");
        QVERIFY(git(m_repo, {QStringLiteral("init"), QStringLiteral("-q")}));
        QVERIFY(git(m_repo, {QStringLiteral("add"), QStringLiteral(".")}));
        QVERIFY(
            git(m_repo, {QStringLiteral("commit"), QStringLiteral("-qm"), QStringLiteral("one")}));
        QVERIFY(git(m_repo, {QStringLiteral("rev-parse"), QStringLiteral("HEAD")}, &m_first));
    }

    // The full round trip through the database.
    void roundTripThroughStorage()
    {
        // A repository read at its current HEAD, then the branch moves on.
        IngestRequest repoReq;
        repoReq.kind = IngestRequest::Kind::Repository;
        repoReq.git.location = m_repo;
        repoReq.filter.exclude = QStringList{QStringLiteral("*.png")};
        const auto repoContents = ingestOne(repoReq);
        QCOMPARE(repoContents.revision, QString::fromLatin1(m_first));

        const QString pdf = m_dir.filePath(QStringLiteral("book.pdf"));
        writePdf(pdf, QStringLiteral("Warranty"));
        IngestRequest pdfReq;
        pdfReq.kind = IngestRequest::Kind::Pdf;
        pdfReq.pdfs = QStringList{pdf};
        const auto pdfContents = ingestOne(pdfReq);
        QCOMPARE(pdfContents.items.size(), 2);
        QVERIFY(itemText(pdfContents, QStringLiteral("book.pdf"), 2).contains("Warranty on page 2"));

        const QString notes = m_dir.filePath(QStringLiteral("notes.md"));
        write(notes, "# Notes\n");
        const QString folder = m_dir.filePath(QStringLiteral("folder"));
        write(folder + QStringLiteral("/x.txt"), "x\n");
        IngestRequest pathReq;
        pathReq.kind = IngestRequest::Kind::Path;
        pathReq.paths = QStringList{notes, folder};
        const auto pathOut = folio::ingest::runIngest(pathReq);
        QVERIFY(pathOut.status.ok());
        QCOMPARE(pathOut.sources.size(), size_t(2));

        auto db = folio::storage::Database::open(m_dir.filePath(QStringLiteral("s.db")));
        QVERIFY(db.ok());
        folio::storage::SessionStore store(**db);
        auto session = store.create({});
        QVERIFY(session.ok());
        const qint64 sid = session.value().id;
        std::vector<folio::storage::Source> records;
        records.push_back(
            folio::app::sourceRecord(repoReq, repoContents, 42, {QStringLiteral("README.md")}));
        records.push_back(folio::app::sourceRecord(pdfReq, pdfContents, 7));
        for (auto &r : folio::app::sourceRecords(pathReq, pathOut.sources, {3, 4}, sid, 2))
            records.push_back(r);
        QCOMPARE(records[0].kind, QStringLiteral("git"));
        QCOMPARE(records[0].revision, QString::fromLatin1(m_first));
        QCOMPARE(records[1].kind, QStringLiteral("pdf"));
        QVERIFY(records[1].extractedText.contains(QStringLiteral("Warranty on page 1")));
        QCOMPARE(records[2].kind, QStringLiteral("text"));
        QCOMPARE(records[3].kind, QStringLiteral("dir"));
        QCOMPARE(records[3].position, 3);
        QCOMPARE(records[3].tokenCount, qint64(4));
        for (size_t i = 0; i < records.size(); ++i) {
            records[i].sessionId = sid;
            records[i].position = int(i);
            QVERIFY(store.addSource(records[i]).ok());
        }

        // The branch moves on; the PDF moves away.
        write(m_repo + QStringLiteral("/src/a.cpp"), "int a() { return 2; }\n");
        QVERIFY(
            git(m_repo, {QStringLiteral("commit"), QStringLiteral("-qam"), QStringLiteral("two")}));
        const QString moved = m_dir.filePath(QStringLiteral("moved.pdf"));
        QVERIFY(QFile::rename(pdf, moved));

        auto stored = store.sources(sid);
        QVERIFY(stored.ok());
        QCOMPARE(stored.value().size(), size_t(4));
        const RestoreOutcome out = folio::app::restoreSources(stored.value());
        QVERIFY2(out.status.ok(), qPrintable(out.status.message));
        QCOMPARE(out.sources.size(), size_t(4));

        const auto &repo = out.sources[0];
        QCOMPARE(repo.contents.revision, QString::fromLatin1(m_first));
        QCOMPARE(itemText(repo.contents, QStringLiteral("src/a.cpp")),
                 QByteArray("int a() { return 1; }\n"));
        QCOMPARE(repo.excluded, QStringList{QStringLiteral("README.md")});
        QCOMPARE(repo.request.filter.exclude, QStringList{QStringLiteral("*.png")});
        QCOMPARE(repo.recordId, stored.value()[0].id);

        const auto &doc = out.sources[1];
        QVERIFY(doc.fromStoredText);
        QCOMPARE(doc.contents.items.size(), pdfContents.items.size());
        for (qsizetype i = 0; i < doc.contents.items.size(); ++i) {
            QCOMPARE(doc.contents.items[i].text, pdfContents.items[i].text);
            QCOMPARE(doc.contents.items[i].page, pdfContents.items[i].page);
            QCOMPARE(doc.contents.items[i].contentId, pdfContents.items[i].contentId);
        }
        QVERIFY(out.notes.join(QLatin1Char('\n')).contains(QStringLiteral("moved")));

        QCOMPARE(itemText(out.sources[2].contents, QStringLiteral("notes.md")),
                 QByteArray("# Notes\n"));
        QCOMPARE(itemText(out.sources[3].contents, QStringLiteral("x.txt")), QByteArray("x\n"));

        // What gets packed leaves the excluded README out.
        const auto included = folio::app::includedContents(out.sources);
        QCOMPARE(itemText(included[0], QStringLiteral("README.md")), QByteArray("<missing>"));
        QCOMPARE(itemText(included[0], QStringLiteral("src/a.cpp")),
                 QByteArray("int a() { return 1; }\n"));
    }

    void pdfReadFromFileWhenUnchangedAndStoredTextWhenChanged()
    {
        const QString pdf = m_dir.filePath(QStringLiteral("same.pdf"));
        writePdf(pdf, QStringLiteral("Alpha"));
        IngestRequest r;
        r.kind = IngestRequest::Kind::Pdf;
        r.pdfs = QStringList{pdf};
        const auto rec = folio::app::sourceRecord(r, ingestOne(r));

        RestoreOutcome same = folio::app::restoreSources({rec});
        QVERIFY(same.status.ok());
        QCOMPARE(same.sources.size(), size_t(1));
        QVERIFY(!same.sources[0].fromStoredText);
        QVERIFY(same.notes.isEmpty());

        writePdf(pdf, QStringLiteral("Beta"));
        RestoreOutcome changed = folio::app::restoreSources({rec});
        QCOMPARE(changed.sources.size(), size_t(1));
        QVERIFY(changed.sources[0].fromStoredText);
        QVERIFY(changed.notes.join(QString()).contains(QStringLiteral("changed")));
        QVERIFY(itemText(changed.sources[0].contents, QStringLiteral("same.pdf"), 1)
                    .contains("Alpha on page 1"));
    }

    void missingSourcesAreReportedOthersRestored()
    {
        const QString gone = m_dir.filePath(QStringLiteral("gone"));
        write(gone + QStringLiteral("/g.txt"), "g\n");
        const QString kept = m_dir.filePath(QStringLiteral("kept.txt"));
        write(kept, "kept\n");
        IngestRequest r;
        r.kind = IngestRequest::Kind::Path;
        r.paths = QStringList{gone, kept};
        const auto in = folio::ingest::runIngest(r);
        QVERIFY(in.status.ok());
        const auto records = folio::app::sourceRecords(r, in.sources);
        QVERIFY(QDir(gone).removeRecursively());

        const RestoreOutcome out = folio::app::restoreSources(records);
        QVERIFY(!out.status.ok());
        QCOMPARE(out.status.result, folio::ingest::OpenResult::NotFound);
        QCOMPARE(out.failures.size(), 1);
        QCOMPARE(out.sources.size(), size_t(1));
        QCOMPARE(itemText(out.sources[0].contents, QStringLiteral("kept.txt")),
                 QByteArray("kept\n"));

        // A PDF that is gone with no stored text cannot come back.
        folio::storage::Source noText;
        noText.kind = QStringLiteral("pdf");
        noText.uri = m_dir.filePath(QStringLiteral("never.pdf"));
        const RestoreOutcome none = folio::app::restoreSources({noText});
        QCOMPARE(none.sources.size(), size_t(0));
        QCOMPARE(none.status.result, folio::ingest::OpenResult::NotFound);

        // A pinned commit that no longer exists.
        folio::storage::Source badCommit;
        badCommit.kind = QStringLiteral("git");
        badCommit.uri = m_repo;
        badCommit.revision = QStringLiteral("0123456789abcdef0123456789abcdef01234567");
        const RestoreOutcome bad = folio::app::restoreSources({badCommit});
        QCOMPARE(bad.sources.size(), size_t(0));
        QVERIFY(!bad.status.ok());
    }

    void malformedRecordsAreRefused()
    {
        folio::storage::Source weird;
        weird.kind = QStringLiteral("tape");
        weird.uri = QStringLiteral("/dev/st0");
        QString error;
        folio::app::requestForRecord(weird, &error);
        QVERIFY(error.contains(QStringLiteral("tape")));

        folio::storage::Source broken;
        broken.kind = QStringLiteral("dir");
        broken.uri = m_dir.path();
        broken.filtersJson = QStringLiteral("{not json");
        folio::app::requestForRecord(broken, &error);
        QVERIFY(!error.isEmpty());
        const RestoreOutcome out = folio::app::restoreSources({weird, broken});
        QCOMPARE(out.failures.size(), 2);
        QCOMPARE(out.status.result, folio::ingest::OpenResult::Unsupported);
    }

    void worktreeRecordRereadsTheWorkingTree()
    {
        IngestRequest r;
        r.kind = IngestRequest::Kind::Repository;
        r.git.location = m_repo;
        r.git.worktree = true;
        const auto rec = folio::app::sourceRecord(r, ingestOne(r));
        QVERIFY(rec.revision.isEmpty());
        write(m_repo + QStringLiteral("/src/a.cpp"), "int a() { return 3; }\n");
        const RestoreOutcome out = folio::app::restoreSources({rec});
        QVERIFY(out.status.ok());
        QCOMPARE(itemText(out.sources[0].contents, QStringLiteral("src/a.cpp")),
                 QByteArray("int a() { return 3; }\n"));
    }

private:
    QTemporaryDir m_dir;
    QString m_repo;
    QByteArray m_first;
};

QTEST_MAIN(TestSessionSources)
#include "tst_session_sources.moc"
