// IngestService: ingest requests and re-packs run on the "folio-ingest" thread; the tree, budget
// and packed context are built there and handed to the UI thread whole.
#include "app/ingest_service.h"

#include "app/logging.h"
#include "app/session_sources.h"
#include "app/sources_model.h"
#include "app/thread_guard.h"
#include "app/worker_thread.h"
#include "ingest/citations.h"
#include "ingest/git_refs.h"
#include "ingest/ingest_run.h"
#include "ingest/packer.h"
#include "ingest/tokenizer_counter.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QTimer>

#include <atomic>

namespace folio::app {

using folio::ingest::SourceContents;

struct IngestService::State
{
    std::atomic_bool cancel{false};
    std::vector<SourceContents> sources;
    // Parallel to `sources`: how each one is stored with its session (session_sources.h).
    std::vector<folio::storage::Source> records;
    // Progress of the running stage, written by the ingest thread, read by the UI thread's timer.
    std::atomic<int> stage{0}; // 0 idle, 1 reading, 2 counting tokens, 3 restoring
    std::atomic<qint64> done{0};
    std::atomic<qint64> total{0};
    std::atomic<qint64> stageStartMs{0};
    std::atomic_bool pages{false}; // reading counts PDF pages rather than files
    // setReadProgressHook(): called on the reading thread after each progress report.
    std::function<void(qint64 done, qint64 total)> readHook;
    QSet<QString> exclusions;
    QString tokenizerPath;
    QString loadedTokenizerPath = QStringLiteral("<none>");
    std::unique_ptr<folio::ingest::TokenCounter> counter;
    // Token counts by content id: re-packing after an exclusion or a new source only counts
    // what it has not seen (the cache is per counter: counts of one tokenizer are not another's).
    std::unique_ptr<folio::ingest::TokenCountCache> cache;
    qint64 context = 1'048'576;
    qint64 reserve = 32'768;
    // Bumped whenever the tree's structure or counts change (sources added or removed, another
    // counter); a re-pack for an exclusion alone keeps the generation and the UI keeps its tree.
    int generation = 0;
};

namespace {

QString itemKey(int source, const folio::ingest::SourceItem &item)
{
    return SourcesModel::key(source, item.path,
                             item.kind == folio::ingest::ItemKind::PdfPage ? item.page : 0);
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// Counts the bytes the packer hands to the real counter: the token-counting progress.
class ProgressCounter final : public folio::ingest::TokenCounter
{
public:
    ProgressCounter(const folio::ingest::TokenCounter &inner, std::atomic<qint64> *bytes)
        : m_inner(inner)
        , m_bytes(bytes)
    {}
    std::size_t count(std::string_view utf8) const override
    {
        m_bytes->fetch_add(qint64(utf8.size()), std::memory_order_relaxed);
        return m_inner.count(utf8);
    }
    QString name() const override { return m_inner.name(); }
    bool exact() const override { return m_inner.exact(); }

private:
    const folio::ingest::TokenCounter &m_inner;
    std::atomic<qint64> *m_bytes;
};

// Builds the panel's tree for all sources, with the per-item counts of the full pack.
std::unique_ptr<SourceNode> buildTree(const std::vector<SourceContents> &sources,
                                      const folio::ingest::PackResult &full,
                                      const QSet<QString> &exclusions)
{
    auto root = std::make_unique<SourceNode>();
    for (size_t s = 0; s < sources.size(); ++s) {
        const SourceContents &sc = sources[s];
        const QFileInfo rootInfo(sc.root);
        auto src = std::make_unique<SourceNode>();
        src->kind = SourceNode::Kind::Source;
        src->source = int(s);
        src->name = sc.revision.isEmpty()
                        ? sc.name
                        : QStringLiteral("%1 @ %2").arg(sc.name, sc.revision.left(10));
        if (rootInfo.isFile()) {
            src->absolutePath = sc.root;
            src->path = sc.items.empty() ? rootInfo.fileName() : sc.items.front().path;
        }
        SourceNode *srcNode = root->add(std::move(src));
        QHash<QString, SourceNode *> dirs;
        auto dirFor = [&](const QString &path) {
            SourceNode *parent = srcNode;
            const QStringList parts = path.split(QLatin1Char('/'));
            QString prefix;
            for (int i = 0; i + 1 < parts.size(); ++i) {
                prefix += (i ? QStringLiteral("/") : QString()) + parts.at(i);
                auto it = dirs.find(prefix);
                if (it == dirs.end()) {
                    auto d = std::make_unique<SourceNode>();
                    d->kind = SourceNode::Kind::Directory;
                    d->name = parts.at(i);
                    d->path = prefix;
                    d->source = int(s);
                    it = dirs.insert(prefix, parent->add(std::move(d)));
                }
                parent = it.value();
            }
            return parent;
        };
        for (qsizetype i = 0; i < qsizetype(sc.items.size()); ++i) {
            const folio::ingest::SourceItem &item = sc.items[i];
            auto n = std::make_unique<SourceNode>();
            n->source = int(s);
            n->path = item.path;
            n->tokens = s < full.items.size() && size_t(i) < full.items[s].size()
                            ? full.items[s][i].tokens
                            : 0;
            n->excluded = exclusions.contains(itemKey(int(s), item));
            if (item.kind == folio::ingest::ItemKind::PdfPage) {
                n->kind = SourceNode::Kind::Page;
                n->page = item.page;
                n->name = item.label.isEmpty() || item.label == QString::number(item.page)
                              ? IngestService::tr("p. %1").arg(item.page)
                              : IngestService::tr("p. %1 (%2)").arg(item.page).arg(item.label);
                if (item.noText)
                    n->name += IngestService::tr(" — no text (scanned?)");
                n->absolutePath = rootInfo.isFile() ? sc.root : QDir(sc.root).filePath(item.path);
                srcNode->add(std::move(n));
            } else {
                n->kind = SourceNode::Kind::File;
                n->name = item.path.section(QLatin1Char('/'), -1);
                n->absolutePath = rootInfo.isFile() ? sc.root : QDir(sc.root).filePath(item.path);
                dirFor(item.path)->add(std::move(n));
            }
        }
        if (!sc.skipped.isEmpty()) {
            auto group = std::make_unique<SourceNode>();
            group->kind = SourceNode::Kind::SkippedGroup;
            group->source = int(s);
            group->name = IngestService::tr("Skipped (%n)", nullptr, int(sc.skipped.size()));
            SourceNode *g = srcNode->add(std::move(group));
            for (const auto &skip : sc.skipped) {
                auto n = std::make_unique<SourceNode>();
                n->kind = SourceNode::Kind::Skipped;
                n->source = int(s);
                n->name = skip.path;
                n->path = skip.path;
                n->reason = skip.reason;
                g->add(std::move(n));
            }
        }
    }
    // Directory and source totals.
    std::function<qint64(SourceNode *)> sum = [&](SourceNode *n) -> qint64 {
        if (n->kind == SourceNode::Kind::File || n->kind == SourceNode::Kind::Page)
            return n->tokens;
        qint64 t = 0;
        for (auto &c : n->children)
            t += sum(c.get());
        n->tokens = t;
        return t;
    };
    sum(root.get());
    return root;
}

} // namespace

IngestService::IngestService(SourcesModel *model, QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_state(std::make_shared<State>())
    , m_thread(std::make_unique<WorkerThread>(QStringLiteral("folio-ingest")))
{
    qRegisterMetaType<BudgetInfo>();
    qRegisterMetaType<QVector<CitationLink>>();
    qRegisterMetaType<RepositoryRefs>();
    qRegisterMetaType<IngestProgress>();
    connect(m_model, &SourcesModel::exclusionsChanged, this, [this](const QSet<QString> &ex) {
        auto state = m_state;
        m_thread->post([state, ex] { state->exclusions = ex; });
        markChanged();
        repack();
    });
    // The UI thread only reads the ingest thread's counters (atomics) for the progress row.
    m_progressTimer = new QTimer(this);
    m_progressTimer->setInterval(100);
    connect(m_progressTimer, &QTimer::timeout, this, &IngestService::reportProgress);
    connect(this, &IngestService::busyChanged, this, [this](bool busy) {
        if (busy) {
            m_progressTimer->start();
        } else {
            m_progressTimer->stop();
            reportProgress();
        }
    });
}

void IngestService::reportProgress()
{
    IngestProgress p;
    const int stage = m_state->stage.load();
    const qint64 start = m_state->stageStartMs.load();
    p.seconds = start > 0 ? double(nowMs() - start) / 1000.0 : 0;
    p.done = m_state->done.load();
    p.total = m_state->total.load();
    if (!isBusy()) {
        p.stage = tr("Done");
        p.done = p.total = std::max(p.done, p.total);
        p.etaSeconds = 0;
        Q_EMIT progressChanged(p);
        return;
    }
    switch (stage) {
    case 1:
        p.stage = m_readingLabel.isEmpty() ? tr("Reading sources…") : m_readingLabel;
        p.pages = m_state->pages.load();
        break;
    case 2:
        p.stage = tr("Counting tokens…");
        p.bytes = true;
        break;
    case 3:
        p.stage = tr("Restoring the session's sources…");
        break;
    default:
        return;
    }
    // The packer also counts headers and line numbers: never show more than 99 % before the end.
    if (p.total > 0)
        p.done = std::min(p.done, p.total * 99 / 100);
    p.rate = p.seconds > 0.05 ? double(p.done) / p.seconds : 0;
    if (p.total > 0 && p.rate > 0)
        p.etaSeconds = double(p.total - p.done) / p.rate;
    Q_EMIT progressChanged(p);
}

void IngestService::markChanged()
{
    m_changed = true;
}

IngestService::~IngestService()
{
    m_state->cancel = true;
    m_thread.reset(); // finishes the queued jobs (cancelled) and stops the thread
}

void IngestService::waitForIdle()
{
    m_thread->drain();
    QCoreApplication::sendPostedEvents(this);
}

void IngestService::setTokenizerPath(const QString &path)
{
    auto state = m_state;
    m_thread->post([state, path] { state->tokenizerPath = path; });
}

void IngestService::setBudget(qint64 contextTokens, qint64 answerReserve)
{
    auto state = m_state;
    m_thread->post([state, contextTokens, answerReserve] {
        state->context = contextTokens;
        state->reserve = answerReserve;
    });
    if (m_sourceCount > 0) {
        repack();
        return;
    }
    if (isBusy())
        return; // the running read's pack uses the new limits
    // Nothing is packed: the budget bar shows the new limits at once.
    m_budget.context = contextTokens;
    m_budget.reserve = answerReserve;
    m_budget.budget = std::max<qint64>(0, contextTokens - answerReserve);
    m_budget.over = false;
    m_budget.suggestions.clear();
    Q_EMIT budgetChanged(m_budget);
}

void IngestService::setReadProgressHook(std::function<void(qint64 done, qint64 total)> hook)
{
    auto state = m_state;
    m_thread->post([state, hook = std::move(hook)] { state->readHook = hook; });
}

void IngestService::cancel()
{
    m_state->cancel = true;
}

void IngestService::runRequest(std::function<void()> job)
{
    if (m_pending++ == 0)
        Q_EMIT busyChanged(true);
    m_state->cancel = false;
    m_thread->post(std::move(job));
}

void IngestService::finishJob()
{
    if (--m_pending > 0)
        return;
    Q_EMIT busyChanged(false);
    if (std::exchange(m_changed, false))
        Q_EMIT sourcesChanged();
}

void IngestService::addRepository(const RepositoryRequest &request)
{
    folio::ingest::IngestRequest r;
    r.kind = folio::ingest::IngestRequest::Kind::Repository;
    r.git.location = request.location;
    r.git.ref = request.ref;
    r.git.worktree = request.worktree;
    m_readingLabel = tr("Reading repository %1…").arg(request.location);
    Q_EMIT stageChanged(m_readingLabel);
    markChanged();
    startIngest(r, "ingest: repository");
    repack();
}

void IngestService::startIngest(const folio::ingest::IngestRequest &request, const char *layerWork,
                                const QStringList &pdfs, bool passwordGiven)
{
    auto state = m_state;
    runRequest([this, state, request, layerWork, pdfs, passwordGiven] {
        noteLayerWork(layerWork);
        state->stageStartMs = nowMs();
        state->done = 0;
        state->total = 0;
        state->pages = request.kind == folio::ingest::IngestRequest::Kind::Pdf;
        state->stage = 1;
        // The reader reports files (or pages) read of those it knows about, from its reading
        // threads, one call at a time; the sources of a request are read one after another, so
        // the row counts on across them: `base` is what the sources before this one had.
        struct Seen
        {
            int source = -1;
            qint64 base = 0;
            qint64 total = 0;
        };
        auto seen = std::make_shared<Seen>();
        folio::ingest::IngestRequest withProgress = request;
        withProgress.progress = [state, seen](int source, qint64 done, qint64 total) {
            if (source != seen->source) {
                seen->base += seen->total;
                seen->source = source;
            }
            seen->total = total;
            // Total first: the UI thread may read between the two stores and must not see
            // done > total.
            state->total = seen->base + total;
            state->done = seen->base + done;
            if (state->readHook)
                state->readHook(seen->base + done, seen->base + total);
        };
        const auto outcome = folio::ingest::runIngest(withProgress, &state->cancel);
        postBack(this, [this] { finishJob(); });
        if (!pdfs.isEmpty() && outcome.status.result == folio::ingest::OpenResult::NeedsPassword) {
            postBack(this,
                     [this, pdfs, passwordGiven] { Q_EMIT needsPassword(pdfs, passwordGiven); });
            return;
        }
        if (!outcome.status.ok()) {
            const QString m = outcome.status.message;
            postBack(this, [this, m] { Q_EMIT failed(m); });
            return;
        }
        for (const auto &sc : outcome.sources) {
            state->sources.push_back(sc);
            state->records.push_back(sourceRecord(request, sc));
            ++state->generation;
            const QString name = sc.name;
            const int items = int(sc.items.size()), skipped = int(sc.skipped.size());
            const double seconds = outcome.seconds;
            postBack(this, [=, this] { Q_EMIT sourceAdded(name, items, skipped, seconds); });
        }
    });
}

void IngestService::addDocuments(const QStringList &pdfPaths, const QByteArray &password)
{
    folio::ingest::IngestRequest r;
    r.kind = folio::ingest::IngestRequest::Kind::Pdf;
    QStringList pdfs, others;
    for (const QString &p : pdfPaths)
        (p.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive) ? pdfs : others).append(p);
    r.pdfs = pdfs;
    r.password = password;
    m_readingLabel = tr("Reading %n document(s)…", nullptr, int(pdfPaths.size()));
    Q_EMIT stageChanged(m_readingLabel);
    markChanged();
    if (!pdfs.isEmpty())
        startIngest(r, "ingest: documents", pdfs, !password.isEmpty());
    if (!others.isEmpty())
        addPaths(others);
    else
        repack();
}

void IngestService::addPaths(const QStringList &paths)
{
    QStringList plain, pdfs;
    for (const QString &p : paths) {
        const QFileInfo info(p);
        if (info.isDir() && QFileInfo::exists(QDir(p).filePath(QStringLiteral(".git")))) {
            addRepository({p, QString(), false});
        } else if (info.isFile() && p.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) {
            pdfs.append(p);
        } else {
            plain.append(p);
        }
    }
    if (!pdfs.isEmpty())
        addDocuments(pdfs);
    if (plain.isEmpty())
        return;
    folio::ingest::IngestRequest r;
    r.kind = folio::ingest::IngestRequest::Kind::Path;
    r.paths = plain;
    m_readingLabel = tr("Reading %n file(s) and folder(s)…", nullptr, int(plain.size()));
    Q_EMIT stageChanged(m_readingLabel);
    markChanged();
    startIngest(r, "ingest: paths");
    repack();
}

void IngestService::removeSource(int index)
{
    auto state = m_state;
    m_thread->post([state, index] {
        if (index >= 0 && size_t(index) < state->sources.size()) {
            state->sources.erase(state->sources.begin() + index);
            state->records.erase(state->records.begin() + index);
        }
        ++state->generation;
        // Exclusion keys carry the source index: they no longer match after a removal.
        state->exclusions.clear();
    });
    markChanged();
    repack();
}

void IngestService::clearSources()
{
    auto state = m_state;
    m_thread->post([state] {
        state->sources.clear();
        state->records.clear();
        state->exclusions.clear();
        ++state->generation;
    });
    markChanged();
    repack();
}

void IngestService::repack()
{
    Q_EMIT stageChanged(tr("Counting tokens…"));
    auto state = m_state;
    runRequest([this, state] {
        noteLayerWork("ingest: pack");
        if (state->loadedTokenizerPath != state->tokenizerPath || !state->counter) {
            QString error;
            state->counter.reset();
            if (!state->tokenizerPath.isEmpty())
                state->counter = folio::ingest::loadTokenizerCounter(state->tokenizerPath, &error);
            if (!state->counter) {
                if (!error.isEmpty())
                    qCWarning(lcApp) << "token counts are estimates:" << error;
                state->counter = std::make_unique<folio::ingest::ByteEstimateCounter>();
            }
            state->cache = std::make_unique<folio::ingest::TokenCountCache>();
            state->loadedTokenizerPath = state->tokenizerPath;
            ++state->generation;
        }
        qint64 totalBytes = 0;
        for (const SourceContents &sc : state->sources)
            for (const auto &item : sc.items)
                totalBytes += item.text.size();
        state->stageStartMs = nowMs();
        state->done = 0;
        state->total = totalBytes;
        state->stage = 2;
        const ProgressCounter counter(*state->counter, &state->done);
        folio::ingest::Packer packer(counter, state->cache.get());
        folio::ingest::PackOptions options;
        // Line-numbered rendering: the model sees "  12| " before each line, so it can cite
        // line ranges that the resolver can check.
        options.lineNumbers = true;
        options.contextTokens = state->context;
        options.answerReserve = state->reserve;
        const folio::ingest::PackResult full = packer.pack(state->sources, options);
        folio::ingest::PackResult included;
        if (state->exclusions.isEmpty()) {
            included = full;
        } else {
            std::vector<SourceContents> kept = state->sources;
            for (size_t s = 0; s < kept.size(); ++s) {
                auto &items = kept[s].items;
                items.erase(std::remove_if(items.begin(), items.end(),
                                           [&](const folio::ingest::SourceItem &item) {
                                               return state->exclusions.contains(
                                                   itemKey(int(s), item));
                                           }),
                            items.end());
            }
            included = packer.pack(kept, options);
        }

        BudgetInfo budget;
        budget.used = included.totalTokens();
        budget.budget = included.budget;
        budget.context = state->context;
        budget.reserve = state->reserve;
        budget.over = included.overBudget;
        budget.exact = state->counter->exact();
        budget.counter = state->counter->name();
        for (const auto &s : included.suggestions)
            budget.suggestions.append({s.exclude, s.reason, s.tokens, s.totalAfter});
        PackedContext packed;
        packed.text = included.text;
        packed.spanMapJson = folio::ingest::spanMapJson(included);
        packed.tokens = included.totalTokens();
        packed.sourceCount = int(state->sources.size());

        auto tree = std::make_shared<std::unique_ptr<SourceNode>>(
            buildTree(state->sources, full, state->exclusions));
        const int generation = state->generation;
        // The records to store: this pack's token counts and the person's exclusions.
        auto records = std::make_shared<SourceRecords>();
        for (size_t s = 0; s < state->sources.size() && s < state->records.size(); ++s) {
            folio::storage::Source r = state->records[s];
            r.position = int(s);
            r.tokenCount = s < full.sourceTokens.size() ? full.sourceTokens[s] : 0;
            QStringList excluded;
            for (const auto &item : state->sources[s].items)
                if (state->exclusions.contains(itemKey(int(s), item)))
                    excluded << excludedItemKey(item);
            setExcludedItems(&r, excluded);
            records->records.push_back(std::move(r));
        }
        state->done = totalBytes;
        postBack(this, [this, tree, budget, packed, generation, records] {
            m_records = records;
            // A re-pack after an exclusion keeps the tree (and its expansion): only the budget
            // changes.
            if (generation != m_treeGeneration) {
                m_model->setRoot(std::move(*tree));
                m_treeGeneration = generation;
            }
            m_sourceCount = packed.sourceCount;
            m_budget = budget;
            m_packed = packed;
            Q_EMIT budgetChanged(m_budget);
            finishJob();
        });
    });
}

void IngestService::listRefs(const QString &path, int maxCommits)
{
    m_thread->post([this, path, maxCommits] {
        noteLayerWork("ingest: list refs");
        folio::ingest::GitRefs refs;
        const bool remote = folio::ingest::looksLikeUrl(path);
        const folio::ingest::OpenStatus st = remote ? folio::ingest::listRemoteGitRefs(path, &refs)
                                                    : folio::ingest::listGitRefs(path, maxCommits,
                                                                                 &refs);
        RepositoryRefs out;
        out.location = path;
        out.remote = remote;
        out.error = st.ok() ? QString() : st.message;
        out.root = refs.root;
        out.head = refs.head;
        out.headCommit = refs.headCommit;
        out.branches = refs.branches;
        out.tags = refs.tags;
        out.bare = refs.bare;
        for (const auto &c : refs.commits)
            out.commits.append({c.id, c.shortId, c.subject, c.author, c.timeMs});
        postBack(this, [this, out] { Q_EMIT refsListed(out); });
    });
}

bool IngestService::isRepositoryUrl(const QString &location)
{
    return folio::ingest::looksLikeUrl(location);
}

void IngestService::restoreSources(std::shared_ptr<const SourceRecords> records)
{
    Q_EMIT stageChanged(tr("Restoring the session's sources…"));
    auto state = m_state;
    runRequest([this, state, records] {
        noteLayerWork("ingest: restore sources");
        state->stageStartMs = nowMs();
        // restoreSources() reports no progress: the row shows the stage and its elapsed time
        // rather than a count that would stay at zero.
        state->done = 0;
        state->total = 0;
        state->stage = 3;
        const RestoreOutcome out = records ? folio::app::restoreSources(records->records,
                                                                        &state->cancel)
                                           : RestoreOutcome();
        state->sources.clear();
        state->records.clear();
        state->exclusions.clear();
        for (const RestoredSource &r : out.sources) {
            const int s = int(state->sources.size());
            const QSet<QString> excluded(r.excluded.begin(), r.excluded.end());
            for (const auto &item : r.contents.items)
                if (excluded.contains(excludedItemKey(item)))
                    state->exclusions.insert(itemKey(s, item));
            state->sources.push_back(r.contents);
            // The stored record is kept (a PDF read from its stored text keeps its text).
            folio::storage::Source record;
            for (const folio::storage::Source &stored : records->records)
                if (stored.id == r.recordId)
                    record = stored;
            if (record.kind.isEmpty())
                record = sourceRecord(r.request, r.contents);
            state->records.push_back(record);
        }
        ++state->generation;
        const QStringList notes = out.notes, failures = out.failures;
        postBack(this, [this, notes, failures] {
            finishJob();
            Q_EMIT restored(notes, failures);
        });
    });
    repack();
}

void IngestService::requestItemText(int source, const QString &path)
{
    auto state = m_state;
    m_thread->post([this, state, source, path] {
        noteLayerWork("ingest: item text");
        if (source < 0 || size_t(source) >= state->sources.size())
            return;
        const SourceContents &sc = state->sources[size_t(source)];
        for (const auto &item : sc.items) {
            if (item.path == path && item.kind != folio::ingest::ItemKind::PdfPage) {
                const QString text = QString::fromUtf8(item.text);
                const QString root = sc.root;
                postBack(this, [=, this] { Q_EMIT itemText(source, path, text, root); });
                return;
            }
        }
    });
}

} // namespace folio::app

namespace folio::app {

void IngestService::resolveCitations(int tag, const QString &answer)
{
    auto state = m_state;
    m_thread->post([this, state, tag, answer] {
        noteLayerWork("ingest: resolve citations");
        const folio::ingest::CitationResolver resolver(state->sources);
        QVector<CitationLink> links;
        for (const folio::ingest::Citation &c : resolver.resolve(answer)) {
            CitationLink l;
            l.offset = int(c.offset);
            l.length = int(c.text.size());
            l.text = c.text;
            l.verified = c.verified;
            l.reason = c.detail;
            l.source = std::max(0, c.source);
            l.path = c.path;
            l.lineBegin = c.lineBegin;
            l.lineEnd = c.lineEnd;
            l.page = c.page;
            // A quoted passage is highlighted where it was found (on the PDF page).
            if (c.kind == folio::ingest::Citation::Quote && c.text.size() > 2)
                l.quote = c.text.mid(1, c.text.size() - 2);
            links.append(l);
        }
        postBack(this, [this, tag, links] { Q_EMIT citationsResolved(tag, links); });
    });
}

} // namespace folio::app
