// IngestService: adds sources (a repository at a branch/tag/commit or its work tree, PDFs, text
// files, folders) by running ingest on its own thread, packs them with the token counter of the
// configured model (or a byte estimate when there is none), and keeps the sources panel's model,
// the context budget and the packed context up to date. Excluding a file in the panel re-packs.
// Nothing here runs ingest on the UI thread; cancel() stops a running ingest between files.
#pragma once

#include "app/chat_message.h"

#include <QObject>
#include <QSet>
#include <QStringList>
#include <QVector>

#include <functional>
#include <memory>

class QTimer;

namespace folio::ingest {
struct IngestRequest;
}

namespace folio::app {

class SourcesModel;
class WorkerThread;
struct SourceRecords; // app/session_sources.h

// One commit of a repository, as the "Open Repository" dialog lists it.
struct RepositoryCommit
{
    QString id;
    QString shortId;
    QString subject;
    QString author;
    qint64 timeMs = 0;
};

// What a repository offers to read (listRefs()): a local one, or a URL before it is cloned.
struct RepositoryRefs
{
    QString location; // as asked
    QString root;     // the URL for a remote
    QString head; // checked-out branch (a remote's default branch); empty when detached or unborn
    QString headCommit; // empty when unborn
    QStringList branches;
    QStringList tags;
    QVector<RepositoryCommit> commits; // newest first; none for a remote (nothing is fetched)
    bool bare = false;
    bool remote = false; // `location` is a URL: listed as `git ls-remote` does
    QString error;       // non-empty: the location is not a readable repository
};

// Live progress of the current stage (progressChanged()).
struct IngestProgress
{
    QString stage;          // "Reading…", "Counting tokens…"
    qint64 done = 0;        // units done (files, or bytes for token counting)
    qint64 total = 0;       // 0: unknown
    bool bytes = false;     // `done`/`total` count bytes (token counting) instead of files
    bool pages = false;     // `done`/`total` count PDF pages instead of files
    double seconds = 0;     // elapsed in this stage
    double rate = 0;        // units per second so far
    double etaSeconds = -1; // -1: unknown
};

struct RepositoryRequest
{
    QString location;      // a path inside a repository, or a URL to clone
    QString ref;           // branch, tag or commit; empty = HEAD
    bool worktree = false; // read the working tree (uncommitted changes) instead of a commit
};

struct ExclusionSuggestion
{
    QString exclude; // a glob
    QString reason;
    qint64 tokens = 0;
    qint64 totalAfter = 0;
};

struct BudgetInfo
{
    qint64 used = 0;   // tokens of the packed sources
    qint64 budget = 0; // context − answer reserve
    qint64 context = 0;
    qint64 reserve = 0;
    bool over = false;
    bool exact = true;                        // false: counts are estimates (no tokenizer)
    QString counter;                          // what counted
    QVector<ExclusionSuggestion> suggestions; // ranked, only when over budget
};

// The packed sources as the inference controller needs them.
struct PackedContext
{
    QByteArray text;        // UTF-8, the sources part of the system prompt
    QByteArray spanMapJson; // docs/architecture.md "Span map"
    qint64 tokens = 0;
    int sourceCount = 0;
};

class IngestService : public QObject
{
    Q_OBJECT

public:
    explicit IngestService(SourcesModel *model, QObject *parent = nullptr);
    ~IngestService() override;

    // tokenizer.json of the model; empty = byte estimate. Takes effect at the next pack.
    void setTokenizerPath(const QString &path);
    void setBudget(qint64 contextTokens, qint64 answerReserve);

    void addRepository(const RepositoryRequest &request);
    void addDocuments(const QStringList &pdfPaths, const QByteArray &password = {});
    // Dropped or chosen paths: a folder with .git is a repository, *.pdf a document, the rest
    // text files and folders.
    void addPaths(const QStringList &paths);
    void removeSource(int index);
    void clearSources();
    void cancel();
    // Asks for the text of an item as ingest read it; answered by itemText().
    void requestItemText(int source, const QString &path);
    // Finds and checks the citations in an answer against the sources (ingest's citation
    // resolver); answered by citationsResolved() with the same `tag`.
    void resolveCitations(int tag, const QString &answer);

    // Lists the branches, tags and latest `maxCommits` commits of the local repository that
    // contains `path`, or the branches and tags a URL's remote offers (without cloning it), on
    // the ingest thread; answered by refsListed().
    void listRefs(const QString &path, int maxCommits = 100);
    // True when `location` names a repository to clone (scheme://…, user@host:path) rather than
    // a local path: ingest's rule, which decides whether addRepository() clones.
    static bool isRepositoryUrl(const QString &location);
    // Replaces the sources with a session's stored ones, read again on the ingest thread (a
    // repository at its pinned commit, a moved PDF from its stored text: session_sources.h);
    // answered by restored(). Does not emit sourcesChanged().
    void restoreSources(std::shared_ptr<const SourceRecords> records);
    // The current sources as records to store, with their token counts and exclusions (updated
    // after every pack).
    std::shared_ptr<const SourceRecords> sourceRecords() const { return m_records; }

    bool isBusy() const { return m_pending > 0; }
    int sourceCount() const { return m_sourceCount; }
    const BudgetInfo &budget() const { return m_budget; }
    const PackedContext &packed() const { return m_packed; }
    // Blocks until queued work is done (tests, shutdown).
    void waitForIdle();
    // Tests: `hook` runs on a reading thread after each progress report of a read (files or
    // pages done of those known); it may block to hold a read at a known point while the UI
    // thread shows its progress. Applies to reads started after this call.
    void setReadProgressHook(std::function<void(qint64 done, qint64 total)> hook);

Q_SIGNALS:
    void busyChanged(bool busy);
    // A stage started ("Reading repository…"); `files` and `elapsed` describe the last one.
    void stageChanged(const QString &stage);
    void needsPassword(const QStringList &pdfPaths, bool wrongPassword);
    void failed(const QString &message);
    void sourceAdded(const QString &name, int items, int skipped, double seconds);
    void budgetChanged(const folio::app::BudgetInfo &budget);
    void itemText(int source, const QString &path, const QString &text, const QString &root);
    void citationsResolved(int tag, const QVector<folio::app::CitationLink> &citations);
    void refsListed(const folio::app::RepositoryRefs &refs);
    // The person added, removed or excluded sources and they are packed: time to store them.
    void sourcesChanged();
    // A restoreSources() finished: remarks (a PDF read from its stored text) and the sources that
    // could not be restored.
    void restored(const QStringList &notes, const QStringList &failures);
    // About every 100 ms while a stage runs, and once when it ends (then done == total).
    void progressChanged(const folio::app::IngestProgress &progress);

private:
    struct State;
    void runRequest(std::function<void()> job);
    // Runs one ingest request on the worker and adds its sources. `pdfs` names the PDFs of a
    // request that may need a password (NeedsPassword is then reported instead of a failure).
    void startIngest(const folio::ingest::IngestRequest &request, const char *layerWork,
                     const QStringList &pdfs = {}, bool passwordGiven = false);
    void repack();
    void finishJob();
    void markChanged();
    void reportProgress();

    SourcesModel *m_model;
    std::shared_ptr<State> m_state;
    std::unique_ptr<WorkerThread> m_thread;
    int m_pending = 0;
    int m_sourceCount = 0;
    int m_treeGeneration = -1;
    BudgetInfo m_budget;
    PackedContext m_packed;
    std::shared_ptr<const SourceRecords> m_records;
    bool m_changed = false; // a change of the person's waits for its pack to finish
    QTimer *m_progressTimer = nullptr;
    QString m_readingLabel; // what the last add reads ("Reading repository …")
};

} // namespace folio::app

Q_DECLARE_METATYPE(folio::app::BudgetInfo)
Q_DECLARE_METATYPE(folio::app::RepositoryRefs)
Q_DECLARE_METATYPE(folio::app::IngestProgress)
