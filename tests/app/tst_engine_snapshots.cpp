// KV snapshots of the engine backend (app/server/engine_backend.h) with the demo model (tiny
// random weights, built by folio-mkmodel) and a temporary folio.db: a backend that never saw the
// sources restores their prefix snapshot and answers exactly as a fresh prefill does (the restored
// state is byte-identical to a fresh prefill's, so its logits are too); a flipped byte in the
// payload is reported, the snapshot removed and the prompt prefilled with the same answer; a
// cancelled prefill leaves its last checkpoint, from which the next request — in a new backend,
// as after a crash — prefills only the rest; superseded checkpoints go once the prefix is stored;
// a request of a stored session ties its snapshots to the session and, once stored, to the turn.
#include "app/server/engine_backend.h"
#include "folio/chat_format.h"
#include "storage/database.h"
#include "storage/message_store.h"
#include "storage/session_store.h"
#include "storage/snapshot_store.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace folio;
using namespace folio::server;

namespace {

const char *kModelDir = FOLIO_BINARY_DIR "/share/folio/demo-model";

struct Run
{
    GenerationResult result;
    PrefixStats prefix;
    std::string text;
    std::string error;
};

chat::Message message(const char *role, const std::string &content)
{
    chat::Message m;
    m.role = role;
    m.content = content;
    return m;
}

Run ask(EngineBackend &backend, const std::string &system, const std::string &question,
        const CancelToken &cancel)
{
    GenerationRequest r;
    r.messages = {message("system", system), message("user", question)};
    r.maxTokens = 6;
    r.sampling.temperature = 0; // greedy: comparable across backends
    Run run;
    auto out = backend.generate(
        r,
        [&](DeltaKind, std::string_view t) {
            run.text += t;
            return true;
        },
        cancel);
    if (auto *f = std::get_if<ChatBackend::Failure>(&out))
        run.error = f->status.message();
    else
        run.result = std::get<GenerationResult>(out);
    run.prefix = backend.lastPrefix();
    return run;
}

Run ask(EngineBackend &backend, const std::string &system, const std::string &question)
{
    CancelToken cancel;
    return ask(backend, system, question, cancel);
}

std::vector<storage::SnapshotInfo> snapshots(const QString &dbPath)
{
    auto db = storage::Database::open(dbPath);
    if (!db.ok())
        return {};
    auto list = storage::SnapshotStore(**db).list();
    return list.ok() ? *list : std::vector<storage::SnapshotInfo>{};
}

} // namespace

class TestEngineSnapshots : public QObject
{
    Q_OBJECT

    std::shared_ptr<const Model> m_model;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    QTemporaryDir m_dir;
    QString m_db;
    const std::string m_sources = "Sources: "
                                  + QString("alpha beta gamma ").repeated(60).toStdString();

    std::shared_ptr<EngineBackend> backend(bool withSnapshots,
                                           std::function<void(size_t, size_t)> progress = {},
                                           qint64 checkpointEvery = 0)
    {
        EngineBackend::Options o;
        o.prefillChunk = 16;
        o.prefillProgress = std::move(progress);
        if (withSnapshots) {
            o.snapshots.databasePath = m_db;
            o.snapshots.minTokens = 1;
            o.snapshots.checkpointEvery = checkpointEvery;
            o.snapshots.write.chunkSize = 4096; // several chunks even for the demo model's state
        }
        return std::make_shared<EngineBackend>(m_model, m_tokenizer, o);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("folio.db"));
        auto model = Model::load(kModelDir);
        QVERIFY2(model, model ? "" : model.status().message().c_str());
        m_model = *model;
        auto tok = Tokenizer::load(std::string(kModelDir) + "/tokenizer.json");
        QVERIFY2(tok, tok ? "" : tok.status().message().c_str());
        m_tokenizer = *tok;
    }

    void restoredPrefixAnswersLikeAFreshPrefill()
    {
        auto first = backend(true);
        const Run a = ask(*first, m_sources, "First question?");
        QVERIFY2(a.error.empty(), a.error.c_str());
        QCOMPARE(a.prefix.reuse, PrefixReuse::Prefilled);
        QCOMPARE(a.prefix.prefilledTokens, qint64(a.result.promptTokens));
        QVERIFY2(a.prefix.snapshotWriteError.isEmpty(), qPrintable(a.prefix.snapshotWriteError));
        QCOMPARE(a.prefix.snapshotsWritten, 2); // the sources' prefix and the state after the answer
        const auto stored = snapshots(m_db);
        QCOMPARE(stored.size(), size_t(2));
        const storage::SnapshotInfo prefix = stored[0].kind == "prefix" ? stored[0] : stored[1];
        QCOMPARE(prefix.kind, QStringLiteral("prefix"));
        QVERIFY(prefix.chunkCount > 1);

        // Another backend (a new process) on the same database: the prefix comes from disk.
        auto second = backend(true);
        const Run b = ask(*second, m_sources, "Second question?");
        QVERIFY2(b.error.empty(), b.error.c_str());
        QCOMPARE(b.prefix.reuse, PrefixReuse::Snapshot);
        QCOMPARE(b.prefix.snapshotId, prefix.id);
        QCOMPARE(b.prefix.reusedTokens, prefix.key.tokenCount);
        QCOMPARE(b.prefix.prefilledTokens, b.result.promptTokens - prefix.key.tokenCount);
        QCOMPARE(b.result.cachedPromptTokens, int(prefix.key.tokenCount));
        auto plain = backend(false);
        const Run c = ask(*plain, m_sources, "Second question?");
        QCOMPARE(c.prefix.reuse, PrefixReuse::Prefilled);
        QCOMPARE(b.text, c.text);
        QCOMPARE(b.result.completionTokens, c.result.completionTokens);

        // The restored state is the fresh prefill's byte for byte, so its logits are too.
        chat::RenderOptions ro;
        auto rendered = chat::render({message("system", m_sources)}, ro);
        QVERIFY(rendered);
        const std::vector<int32_t> ids32 = m_tokenizer->encode(*rendered);
        QCOMPARE(qint64(ids32.size()), prefix.key.tokenCount);
        // Prefilled in the backend's chunks of 16 (chunking changes float rounding).
        auto fresh = m_model->create_session();
        std::vector<float> freshLogits;
        QVERIFY(fresh->prefill(std::vector<int>(ids32.begin(), ids32.end()), LogitsMode::Last,
                               &freshLogits, 16));
        auto db = storage::Database::open(m_db);
        QVERIFY(db.ok());
        storage::SnapshotStore store(**db);
        auto reader = store.openForRestore(prefix.id, prefix.key);
        QVERIFY(reader.ok());
        FunctionSource source([&](void *p, std::size_t n) -> Result<std::size_t> {
            auto got = (*reader)->read(p, n);
            if (!got.ok())
                return Status::error(got.status().message().toStdString());
            return *got;
        });
        auto restored = m_model->create_session();
        QVERIFY(restored->load_from(source));
        QVERIFY(restored->save() == fresh->save());
        auto next1 = fresh->decode(7), next2 = restored->decode(7);
        QVERIFY(next1 && next2);
        QVERIFY(*next1 == *next2);
    }

    void corruptedChunkFallsBackToPrefill()
    {
        auto db = storage::Database::open(m_db);
        QVERIFY(db.ok());
        storage::SnapshotInfo prefix;
        for (const auto &s : snapshots(m_db))
            if (s.kind == "prefix")
                prefix = s;
        QVERIFY(prefix.id > 0);
        QFile payload(QDir((*db)->payloadDirectory()).filePath(prefix.fileName));
        QVERIFY(payload.open(QIODevice::ReadWrite));
        const qint64 at = payload.size() / 2;
        payload.seek(at);
        char byte = 0;
        QVERIFY(payload.getChar(&byte));
        payload.seek(at);
        QVERIFY(payload.putChar(char(byte ^ 0x10)));
        payload.close();

        auto next = backend(true);
        const Run r = ask(*next, m_sources, "Second question?");
        QVERIFY2(r.error.empty(), r.error.c_str());
        QCOMPARE(r.prefix.reuse, PrefixReuse::Prefilled);
        QVERIFY2(r.prefix.snapshotProblem.contains(QStringLiteral("checksum"))
                     && r.prefix.snapshotProblem.contains(QStringLiteral("prefilling instead")),
                 qPrintable(r.prefix.snapshotProblem));
        QCOMPARE(r.prefix.prefilledTokens, qint64(r.result.promptTokens));
        auto plain = backend(false);
        QCOMPARE(r.text, ask(*plain, m_sources, "Second question?").text);
        // The damaged snapshot is gone and a good one took its place.
        bool damagedListed = false, replaced = false;
        for (const auto &s : snapshots(m_db)) {
            damagedListed |= s.id == prefix.id;
            replaced |= s.kind == "prefix" && s.key == prefix.key;
        }
        QVERIFY(!damagedListed);
        QVERIFY(replaced);
        auto again = backend(true);
        QCOMPARE(ask(*again, m_sources, "Second question?").prefix.reuse, PrefixReuse::Snapshot);
    }

    void cancelledPrefillResumesFromItsLastCheckpoint()
    {
        const std::string sources = "Other sources: "
                                    + QString("delta epsilon zeta eta ").repeated(60).toStdString();
        CancelToken cancel;
        size_t cancelledAt = 0;
        auto interrupted = backend(
            true,
            [&](size_t done, size_t) {
                if (done >= 150 && !cancelledAt) {
                    cancelledAt = done;
                    cancel.cancel(); // Ctrl+C, or the process dies here
                }
            },
            64);
        const Run a = ask(*interrupted, sources, "A question?", cancel);
        QVERIFY2(a.error.empty(), a.error.c_str());
        QCOMPARE(a.result.finish, FinishReason::Cancelled);
        QCOMPARE(cancelledAt, size_t(160));
        QCOMPARE(a.prefix.snapshotsWritten, 2); // checkpoints at 64 and 128 tokens
        int checkpoints = 0;
        for (const auto &s : snapshots(m_db))
            if (s.kind == "checkpoint") {
                ++checkpoints;
                QCOMPARE(s.key.tokenCount, qint64(128)); // the one at 64 was superseded
            }
        QCOMPARE(checkpoints, 1);

        // A new backend (a new process): it resumes at 128 and prefills only the rest.
        auto resumed = backend(true, {}, 64);
        const Run b = ask(*resumed, sources, "A question?");
        QVERIFY2(b.error.empty(), b.error.c_str());
        QCOMPARE(b.prefix.reuse, PrefixReuse::Snapshot);
        QCOMPARE(b.prefix.reusedTokens, qint64(128));
        QCOMPARE(b.prefix.prefilledTokens, qint64(b.result.promptTokens) - 128);
        auto plain = backend(false);
        QCOMPARE(b.text, ask(*plain, sources, "A question?").text);
        // The finished prefix superseded the checkpoint.
        for (const auto &s : snapshots(m_db))
            QVERIFY2(s.kind != "checkpoint", qPrintable(QString::number(s.key.tokenCount)));
    }

    // Issue 8: a request that names its stored session gets its snapshots tied to it; once the
    // turn is stored they are tied to it (SnapshotStore::tieToTurn, as Conversation::saveTurn and
    // the GUI's StorageService do), each branch keeps its own answer state under the per-branch
    // rule, and deleting the session deletes them with their payload files. A session-less
    // request's snapshot stays.
    void snapshotsBelongToTheirSessionAndBranch()
    {
        QTemporaryDir dir;
        const QString dbPath = dir.filePath(QStringLiteral("folio.db"));
        auto db = storage::Database::open(dbPath);
        QVERIFY2(db.ok(), qPrintable(db.status().message()));
        const qint64 sid = storage::SessionStore(**db).create({})->id;
        EngineBackend::Options o;
        o.prefillChunk = 16;
        o.snapshots.databasePath = dbPath;
        o.snapshots.minTokens = 1;
        o.snapshots.checkpointEvery = 0;
        auto engine = std::make_shared<EngineBackend>(m_model, m_tokenizer, o);
        storage::MessageStore messages(**db);
        storage::SnapshotStore store(**db);
        auto turn = [&](const char *question, qint64 session) {
            GenerationRequest r;
            r.messages = {message("system", m_sources), message("user", question)};
            r.maxTokens = 4;
            r.sampling.temperature = 0;
            r.snapshotSession = session;
            CancelToken cancel;
            auto out = engine->generate(
                r, [](DeltaKind, std::string_view) { return true; }, cancel);
            return std::holds_alternative<GenerationResult>(out) ? engine->lastPrefix()
                                                                 : PrefixStats{};
        };
        auto store_turn = [&](const PrefixStats &stats) {
            storage::Message q;
            q.sessionId = sid;
            q.role = QStringLiteral("user");
            const qint64 qid = messages.add(q)->id;
            storage::Message a = q;
            a.parentId = qid;
            a.role = QStringLiteral("assistant");
            const qint64 aid = messages.add(a)->id;
            const storage::Status tied = store.tieToTurn(stats.snapshotIds, sid, qid, aid);
            return tied.ok() ? aid : 0;
        };

        const PrefixStats first = turn("First question?", sid);
        QCOMPARE(first.snapshotIds.size(), size_t(2)); // the sources' prefix, the answer's state
        for (qint64 id : first.snapshotIds)
            QCOMPARE(store.get(id)->sessionId, sid); // tied at write time already
        const qint64 a1 = store_turn(first);
        QVERIFY(a1 > 0);
        QCOMPARE(store.get(first.snapshotIds[0])->kind, QStringLiteral("prefix"));
        QCOMPARE(store.get(first.snapshotIds[0])->messageId, qint64(0));
        QCOMPARE(store.get(first.snapshotIds[1])->messageId, a1);

        // The first question edited: a second branch from the top, its own answer state.
        const PrefixStats edited = turn("The first question, edited?", sid);
        QCOMPARE(edited.reuse, PrefixReuse::Memory); // the sources' prefix, still in memory
        QCOMPARE(edited.snapshotIds.size(), size_t(1));
        const qint64 a1b = store_turn(edited);
        QVERIFY(a1b > 0);
        QCOMPARE(store.get(edited.snapshotIds[0])->messageId, a1b);
        // Newest per branch: both branches keep their answer state, the prefix stays.
        QCOMPARE(store.list(sid)->size(), size_t(3));

        const PrefixStats anonymous = turn("A question of no session?", 0);
        QCOMPARE(anonymous.snapshotIds.size(), size_t(1));
        QCOMPARE(store.get(anonymous.snapshotIds[0])->sessionId, qint64(0));

        const QDir payloads((*db)->payloadDirectory());
        QCOMPARE(payloads.entryList(QDir::Files).size(), 4);
        QVERIFY(storage::SessionStore(**db).remove(sid).ok());
        QVERIFY(store.list(sid)->empty());
        QCOMPARE(store.list()->size(), size_t(1));
        QCOMPARE(payloads.entryList(QDir::Files).size(), 1);
        QVERIFY(store.verify(anonymous.snapshotIds[0]).ok());
    }
};

QTEST_GUILESS_MAIN(TestEngineSnapshots)
#include "tst_engine_snapshots.moc"
