// The typed repositories: sessions and sources, the message tree (branches, paths, cascades),
// settings, the token-count cache, and full-text search.
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/search_index.h"
#include "storage/session_store.h"
#include "storage/settings_store.h"
#include "storage_test_util.h"

#include <QTemporaryDir>
#include <QTest>

using namespace folio::storage;

class TestStorageStores : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Database> m_db;

    Message msg(qint64 session, qint64 parent, const char *role, const QString &content)
    {
        Message m;
        m.sessionId = session;
        m.parentId = parent;
        m.role = QString::fromLatin1(role);
        m.content = content;
        auto r = MessageStore(*m_db).add(m);
        if (!r.ok())
            qWarning("%s", qPrintable(r.status().message()));
        return r.ok() ? *r : Message{};
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        auto db = Database::open(m_dir->filePath(QStringLiteral("folio.db")));
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        m_db = std::move(*db);
    }
    void cleanup()
    {
        m_db.reset();
        m_dir.reset();
    }

    void sessionsRoundTrip()
    {
        SessionStore store(*m_db);
        Session s;
        s.title = QStringLiteral("Analyse «linux» kernel — ünïcode");
        s.modelFingerprint = QStringLiteral("abc123");
        s.settingsJson = QStringLiteral(R"({"temperature":0.6})");
        auto created = store.create(s);
        QVERIFY(created.ok());
        QVERIFY(created->id > 0);
        QVERIFY(created->createdMs > 0);
        auto got = store.get(created->id);
        QVERIFY(got.ok());
        QCOMPARE(got->title, s.title);
        QCOMPARE(got->settingsJson, s.settingsJson);
        got->title = QStringLiteral("renamed");
        QVERIFY(store.update(*got).ok());
        QCOMPARE(store.get(created->id)->title, QStringLiteral("renamed"));
        QCOMPARE(store.get(424242).status().code(), Status::NotFound);
        Session ghost;
        ghost.id = 424242;
        QCOMPARE(store.update(ghost).code(), Status::NotFound);
        QCOMPARE(store.remove(424242).code(), Status::NotFound);
    }

    void listNewestFirst()
    {
        SessionStore store(*m_db);
        for (int i = 0; i < 3; ++i) {
            Session s;
            s.title = QStringLiteral("s%1").arg(i);
            s.createdMs = 1000 + i;
            QVERIFY(store.create(s).ok());
        }
        auto list = store.list();
        QVERIFY(list.ok());
        QCOMPARE(list->size(), size_t(3));
        QCOMPARE(list->at(0).title, QStringLiteral("s2"));
        QCOMPARE(list->at(2).title, QStringLiteral("s0"));
    }

    void sourcesKeepPdfText()
    {
        SessionStore store(*m_db);
        const qint64 sid = store.create({})->id;
        Source pdf;
        pdf.sessionId = sid;
        pdf.kind = QStringLiteral("pdf");
        pdf.uri = QStringLiteral("/home/u/contract.pdf");
        pdf.revision = QStringLiteral("sha256:00ff");
        pdf.tokenCount = 5120;
        pdf.extractedText = QStringLiteral("Article 7. The tenant shall ...");
        Source git;
        git.sessionId = sid;
        git.position = 1;
        git.kind = QStringLiteral("git");
        git.uri = QStringLiteral("/src/folio");
        git.revision = QStringLiteral("019d617");
        git.filtersJson = QStringLiteral(R"({"include":["*.cpp"]})");
        QVERIFY(store.addSource(pdf).ok());
        auto g = store.addSource(git);
        QVERIFY(g.ok());
        auto list = store.sources(sid);
        QVERIFY(list.ok());
        QCOMPARE(list->size(), size_t(2));
        QCOMPARE(list->at(0).extractedText, pdf.extractedText);
        QCOMPARE(list->at(0).tokenCount, qint64(5120));
        QCOMPARE(list->at(1).filtersJson, git.filtersJson);
        QVERIFY(list->at(1).extractedText.isEmpty());
        g->revision = QStringLiteral("deadbeef");
        QVERIFY(store.updateSource(*g).ok());
        QCOMPARE(store.sources(sid)->at(1).revision, QStringLiteral("deadbeef"));
        QVERIFY(store.removeSource(g->id).ok());
        QCOMPARE(store.sources(sid)->size(), size_t(1));
        Source orphan = pdf;
        orphan.sessionId = 99999;
        QVERIFY(!store.addSource(orphan).ok()); // foreign key
    }

    // Editing a question makes a sibling; each leaf's path is one branch of the conversation.
    void messageTreeBranches()
    {
        const qint64 sid = SessionStore(*m_db).create({})->id;
        MessageStore store(*m_db);
        const Message q1 = msg(sid, 0, "user", QStringLiteral("What does main do?"));
        const Message a1 = msg(sid, q1.id, "assistant", QStringLiteral("It parses args."));
        const Message q2 = msg(sid, a1.id, "user", QStringLiteral("And then?"));
        const Message a2 = msg(sid, q2.id, "assistant", QStringLiteral("It runs."));
        const Message q2b = msg(sid, a1.id, "user", QStringLiteral("Edited: and after that?"));
        const Message a2b = msg(sid, q2b.id, "assistant", QStringLiteral("It exits."));
        QVERIFY(a2b.id > 0);

        auto path = store.path(a2.id);
        QVERIFY(path.ok());
        QCOMPARE(path->size(), size_t(4));
        QCOMPARE(path->at(0).id, q1.id);
        QCOMPARE(path->at(3).id, a2.id);
        auto pathB = store.path(a2b.id);
        QCOMPARE(pathB->at(2).id, q2b.id);
        auto kids = store.children(sid, a1.id);
        QCOMPARE(kids->size(), size_t(2));
        QCOMPARE(store.children(sid, 0)->size(), size_t(1));
        QCOMPARE(*store.latestLeaf(sid), a2b.id);
        QCOMPARE(store.all(sid)->size(), size_t(6));

        Message done = a2;
        done.content = QStringLiteral("It runs the loop.");
        done.citationsJson = QStringLiteral(R"([{"label":"main.cpp:10-20","path":"main.cpp"}])");
        done.completionTokens = 42;
        QVERIFY(store.update(done).ok());
        QCOMPARE(store.get(a2.id)->completionTokens, qint64(42));

        // Deleting a message deletes its subtree only.
        QVERIFY(store.remove(q2b.id).ok());
        QCOMPARE(store.all(sid)->size(), size_t(4));
        QCOMPARE(store.get(a2b.id).status().code(), Status::NotFound);
        QCOMPARE(store.path(a2b.id).status().code(), Status::NotFound);
    }

    void messageParentMustBeInSession()
    {
        SessionStore sessions(*m_db);
        const qint64 s1 = sessions.create({})->id, s2 = sessions.create({})->id;
        const Message q = msg(s1, 0, "user", QStringLiteral("q"));
        Message bad;
        bad.sessionId = s2;
        bad.parentId = q.id;
        bad.role = QStringLiteral("assistant");
        QCOMPARE(MessageStore(*m_db).add(bad).status().code(), Status::NotFound);
        bad.parentId = 0;
        bad.role = QStringLiteral("narrator"); // CHECK constraint
        QVERIFY(!MessageStore(*m_db).add(bad).ok());
    }

    void deletingSessionCascades()
    {
        SessionStore sessions(*m_db);
        const qint64 sid = sessions.create({})->id;
        const Message q = msg(sid, 0, "user", QStringLiteral("cascade me"));
        msg(sid, q.id, "assistant", QStringLiteral("ok"));
        Source src;
        src.sessionId = sid;
        src.kind = QStringLiteral("text");
        src.uri = QStringLiteral("notes.txt");
        QVERIFY(sessions.addSource(src).ok());
        QVERIFY(sessions.remove(sid).ok());
        QCOMPARE(*m_db->queryInt(QStringLiteral("SELECT count(*) FROM messages")), qint64(0));
        QCOMPARE(*m_db->queryInt(QStringLiteral("SELECT count(*) FROM sources")), qint64(0));
        QVERIFY(SearchIndex(*m_db).search(QStringLiteral("cascade"))->empty());
    }

    void settingsAndTokenCache()
    {
        SettingsStore settings(*m_db);
        QVERIFY(!settings.value(QStringLiteral("k"))->has_value());
        QVERIFY(settings.setValue(QStringLiteral("k"), QStringLiteral("v1")).ok());
        QVERIFY(settings.setValue(QStringLiteral("k"), QStringLiteral("v2")).ok());
        QCOMPARE(**settings.value(QStringLiteral("k")), QStringLiteral("v2"));
        QVERIFY(settings.remove(QStringLiteral("k")).ok());
        QVERIFY(!settings.value(QStringLiteral("k"))->has_value());

        TokenCountCache cache(*m_db);
        QVERIFY(cache
                    .store(QStringLiteral("v4"),
                           {{QStringLiteral("blob1"), 10}, {QStringLiteral("blob2"), 20}})
                    .ok());
        QVERIFY(cache.store(QStringLiteral("v4"), {{QStringLiteral("blob1"), 11}}).ok());
        QCOMPARE(**cache.lookup(QStringLiteral("blob1"), QStringLiteral("v4")), qint64(11));
        QCOMPARE(**cache.lookup(QStringLiteral("blob2"), QStringLiteral("v4")), qint64(20));
        QVERIFY(!cache.lookup(QStringLiteral("blob1"), QStringLiteral("other"))->has_value());
    }

    void search_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("messageHits");
        QTest::addColumn<int>("sourceHits");
        QTest::newRow("word in answer") << QStringLiteral("scheduler") << 1 << 0;
        QTest::newRow("word in reasoning") << QStringLiteral("hypothesis") << 1 << 0;
        QTest::newRow("two words, both needed") << QStringLiteral("scheduler tenant") << 0 << 0;
        QTest::newRow("pdf text") << QStringLiteral("tenant") << 0 << 1;
        QTest::newRow("prefix (question and answer)") << QStringLiteral("sched*") << 2 << 0;
        QTest::newRow("punctuation is literal") << QStringLiteral("kernel/sched.c") << 1 << 0;
        QTest::newRow("fts syntax is literal") << QStringLiteral("AND OR NOT \"(") << 0 << 0;
        QTest::newRow("no match") << QStringLiteral("zebra") << 0 << 0;
    }

    void search()
    {
        QFETCH(QString, query);
        QFETCH(int, messageHits);
        QFETCH(int, sourceHits);
        SessionStore sessions(*m_db);
        const qint64 sid = sessions.create(storage_test::titled(QStringLiteral("kernel study")))->id;
        msg(sid, 0, "user", QStringLiteral("Where is the scheduler?"));
        Message a;
        a.sessionId = sid;
        a.role = QStringLiteral("assistant");
        a.content = QStringLiteral("In kernel/sched.c, function schedule().");
        a.reasoning = QStringLiteral("My hypothesis is the core file.");
        QVERIFY(MessageStore(*m_db).add(a).ok());
        Source pdf;
        pdf.sessionId = sid;
        pdf.kind = QStringLiteral("pdf");
        pdf.uri = QStringLiteral("lease.pdf");
        pdf.extractedText = QStringLiteral("The tenant pays rent monthly.");
        QVERIFY(sessions.addSource(pdf).ok());

        auto hits = SearchIndex(*m_db).search(query);
        QVERIFY2(hits.ok(), qPrintable(hits.status().message()));
        int m = 0, s = 0;
        for (const SearchHit &h : *hits) {
            (h.kind == SearchHit::MessageHit ? m : s)++;
            QCOMPARE(h.sessionId, sid);
            QCOMPARE(h.title, QStringLiteral("kernel study"));
            QVERIFY(h.snippet.contains(QLatin1Char('[')));
        }
        QCOMPARE(m, messageHits);
        QCOMPARE(s, sourceHits);
    }

    void searchFollowsEdits()
    {
        const qint64 sid = SessionStore(*m_db).create({})->id;
        Message q = msg(sid, 0, "user", QStringLiteral("alpha"));
        QCOMPARE(SearchIndex(*m_db).search(QStringLiteral("alpha"))->size(), size_t(1));
        q.content = QStringLiteral("beta");
        QVERIFY(MessageStore(*m_db).update(q).ok());
        QCOMPARE(SearchIndex(*m_db).search(QStringLiteral("alpha"))->size(), size_t(0));
        QCOMPARE(SearchIndex(*m_db).search(QStringLiteral("beta"))->size(), size_t(1));
        QVERIFY(SearchIndex(*m_db).rebuild().ok());
        QCOMPARE(SearchIndex(*m_db).search(QStringLiteral("beta"))->size(), size_t(1));
        QVERIFY(!SearchIndex(*m_db).search(QStringLiteral("   ")).ok());
    }
};

QTEST_GUILESS_MAIN(TestStorageStores)
#include "tst_storage_stores.moc"
