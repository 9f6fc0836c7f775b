// Session export to Markdown, HTML and JSON (citations as links, the right branch, escaping) and
// bundles: export + import round trip with a snapshot, and a damaged bundle refused without
// leaving anything behind.
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_export.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"
#include "storage_test_util.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace folio::storage;

class TestStorageExport : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;
    qint64 m_sid = 0, m_q1 = 0, m_a1 = 0, m_a1b = 0, m_snapshot = 0;

    qint64 add(qint64 parent, const char *role, const QString &content, const QString &cites = {})
    {
        Message m;
        m.sessionId = m_sid;
        m.parentId = parent;
        m.role = QString::fromLatin1(role);
        m.content = content;
        if (!cites.isEmpty())
            m.citationsJson = cites;
        return MessageStore(*m_db).add(m)->id;
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
        QVERIFY(db.ok());
        m_db = std::move(*db);
        SessionStore sessions(*m_db);
        m_sid = sessions.create(storage_test::titled(QStringLiteral("Kernel <study> & notes")))->id;
        Source repo;
        repo.sessionId = m_sid;
        repo.kind = QStringLiteral("git");
        repo.uri = QStringLiteral("/repo");
        repo.revision = QStringLiteral("abc123");
        const qint64 repoId = sessions.addSource(repo)->id;
        Source pdf;
        pdf.sessionId = m_sid;
        pdf.position = 1;
        pdf.kind = QStringLiteral("pdf");
        pdf.uri = QStringLiteral("/docs/spec.pdf");
        pdf.extractedText = QStringLiteral("page text");
        const qint64 pdfId = sessions.addSource(pdf)->id;
        m_q1 = add(0, "user", QStringLiteral("Where is <main>?"));
        const QString cites
            = QStringLiteral(
                  R"([{"label":"src/a.cpp:12-30","source":%1,"path":"src/a.cpp","line_begin":12,"line_end":30},{"label":"spec.pdf p.7","source":%2,"path":"spec.pdf","page":7}])")
                  .arg(repoId)
                  .arg(pdfId);
        m_a1 = add(m_q1, "assistant", QStringLiteral("First answer."), cites);
        m_a1b = add(m_q1, "assistant", QStringLiteral("Regenerated answer."), cites);
        SnapshotInfo meta;
        meta.sessionId = m_sid;
        meta.messageId = m_a1b;
        meta.key = storage_test::keyFor(9);
        SnapshotStore store(*m_db);
        SnapshotWriteOptions o;
        o.chunkSize = 65536;
        m_snapshot = storage_test::writeSnapshot(store, meta, 300000, 9, o)->id;
    }
    void cleanup()
    {
        m_db.reset();
        m_dir.reset();
    }

    void markdown()
    {
        auto md = exportSession(*m_db, m_sid, ExportFormat::Markdown);
        QVERIFY(md.ok());
        const QString text = QString::fromUtf8(*md);
        QVERIFY(text.startsWith(QStringLiteral("# Kernel <study> & notes")));
        QVERIFY(text.contains(QStringLiteral("Where is <main>?")));
        QVERIFY2(text.contains(QStringLiteral("[src/a.cpp:12-30](file:///repo/src/a.cpp#L12-L30)")),
                 qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("[spec.pdf p.7](file:///docs/spec.pdf#page=7)")));
        // The latest branch only: the regenerated answer, not the first one.
        QVERIFY(text.contains(QStringLiteral("Regenerated answer.")));
        QVERIFY(!text.contains(QStringLiteral("First answer.")));
        auto other = exportSession(*m_db, m_sid, ExportFormat::Markdown, m_a1);
        QVERIFY(QString::fromUtf8(*other).contains(QStringLiteral("First answer.")));
    }

    void html()
    {
        auto html = exportSession(*m_db, m_sid, ExportFormat::Html);
        QVERIFY(html.ok());
        const QString text = QString::fromUtf8(*html);
        QVERIFY(text.contains(QStringLiteral("<title>Kernel &lt;study&gt; &amp; notes</title>")));
        QVERIFY(text.contains(QStringLiteral("Where is &lt;main&gt;?")));
        QVERIFY(!text.contains(QStringLiteral("<main>")));
        QVERIFY(text.contains(
            QStringLiteral("<a href=\"file:///repo/src/a.cpp#L12-L30\">src/a.cpp:12-30</a>")));
    }

    void json()
    {
        auto json = exportSession(*m_db, m_sid, ExportFormat::Json);
        QVERIFY(json.ok());
        const QJsonObject root = QJsonDocument::fromJson(*json).object();
        QCOMPARE(root.value(QLatin1String("format")).toString(), QStringLiteral("folio-session"));
        const QJsonArray msgs = root.value(QLatin1String("messages")).toArray();
        QCOMPARE(msgs.size(), 3); // the whole tree
        QCOMPARE(qint64(msgs[2].toObject().value(QLatin1String("parent_id")).toDouble()), m_q1);
        const QJsonArray cites = msgs[1].toObject().value(QLatin1String("citations")).toArray();
        QCOMPARE(cites[0].toObject().value(QLatin1String("href")).toString(),
                 QStringLiteral("file:///repo/src/a.cpp#L12-L30"));
        QCOMPARE(qint64(root.value(QLatin1String("current_leaf")).toDouble()), m_a1b);
        QCOMPARE(exportSession(*m_db, 9999, ExportFormat::Json).status().code(), Status::NotFound);
    }

    void bundleRoundTrip_data()
    {
        QTest::addColumn<bool>("withSnapshots");
        QTest::newRow("json only") << false;
        QTest::newRow("with snapshot") << true;
    }

    void bundleRoundTrip()
    {
        QFETCH(bool, withSnapshots);
        const QString bundle = m_dir->filePath(QStringLiteral("s.folio"));
        QVERIFY(exportBundle(*m_db, m_sid, bundle, withSnapshots).ok());
        // Into another database, as on another machine.
        auto other = Database::open(m_dir->filePath(QStringLiteral("other.db")));
        QVERIFY(other.ok());
        auto sid = importBundle(**other, bundle);
        QVERIFY2(sid.ok(), qPrintable(sid.status().message()));
        auto session = SessionStore(**other).get(*sid);
        QCOMPARE(session->title, QStringLiteral("Kernel <study> & notes"));
        QCOMPARE(SessionStore(**other).sources(*sid)->at(1).extractedText,
                 QStringLiteral("page text"));
        auto all = MessageStore(**other).all(*sid);
        QCOMPARE(all->size(), size_t(3));
        QCOMPARE(all->at(1).parentId, all->at(0).id);
        QCOMPARE(all->at(2).parentId, all->at(0).id);
        SnapshotStore store(**other);
        auto snaps = store.list(*sid);
        QCOMPARE(snaps->size(), size_t(withSnapshots ? 1 : 0));
        if (withSnapshots) {
            QCOMPARE(snaps->front().messageId, all->at(2).id);
            QCOMPARE(storage_test::checkSnapshot(store, snaps->front().id, storage_test::keyFor(9),
                                                 300000, 9),
                     QString());
        }
        // The export renders the same.
        const QString a = QString::fromUtf8(*exportSession(*m_db, m_sid, ExportFormat::Markdown));
        const QString b = QString::fromUtf8(*exportSession(**other, *sid, ExportFormat::Markdown));
        QCOMPARE(b.section(QLatin1Char('\n'), 3), a.section(QLatin1Char('\n'), 3));
    }

    void damagedBundleLeavesNothing()
    {
        const QString bundle = m_dir->filePath(QStringLiteral("s.folio"));
        QVERIFY(exportBundle(*m_db, m_sid, bundle, true).ok());
        QFile f(bundle);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(f.size() - 1000);
        f.write("XXXX");
        f.close();
        auto other = Database::open(m_dir->filePath(QStringLiteral("other.db")));
        auto sid = importBundle(**other, bundle);
        QCOMPARE(sid.status().code(), Status::Corrupt);
        QVERIFY(SessionStore(**other).list()->empty());
        QVERIFY(SnapshotStore(**other).list()->empty());
        QVERIFY(QDir((*other)->payloadDirectory()).entryList(QDir::Files).isEmpty());

        QFile junk(m_dir->filePath(QStringLiteral("junk")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a bundle");
        junk.close();
        QVERIFY(!importBundle(**other, junk.fileName()).ok());
        QCOMPARE(importBundle(**other, m_dir->filePath(QStringLiteral("missing"))).status().code(),
                 Status::Io);
    }
};

QTEST_GUILESS_MAIN(TestStorageExport)
#include "tst_storage_export.moc"
