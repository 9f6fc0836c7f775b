// IngestService: ingest requests and re-packs run on the "folio-ingest" thread; the tree, budget
// and packed context are built there and handed to the UI thread whole.
#include "app/ingest_service.h"

#include "app/logging.h"
#include "app/sources_model.h"
#include "app/thread_guard.h"
#include "app/worker_thread.h"
#include "ingest/citations.h"
#include "ingest/ingest_run.h"
#include "ingest/packer.h"
#include "ingest/tokenizer_counter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QHash>

#include <atomic>

namespace folio::app {

using folio::ingest::SourceContents;

struct IngestService::State
{
    std::atomic_bool cancel{false};
    std::vector<SourceContents> sources;
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
    connect(m_model, &SourcesModel::exclusionsChanged, this, [this](const QSet<QString> &ex) {
        auto state = m_state;
        m_thread->post([state, ex] { state->exclusions = ex; });
        repack();
    });
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
    if (m_sourceCount > 0)
        repack();
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
    if (--m_pending == 0)
        Q_EMIT busyChanged(false);
}

void IngestService::addRepository(const RepositoryRequest &request)
{
    folio::ingest::IngestRequest r;
    r.kind = folio::ingest::IngestRequest::Kind::Repository;
    r.git.location = request.location;
    r.git.ref = request.ref;
    r.git.worktree = request.worktree;
    Q_EMIT stageChanged(tr("Reading repository %1…").arg(request.location));
    startIngest(r, "ingest: repository");
    repack();
}

void IngestService::startIngest(const folio::ingest::IngestRequest &request, const char *layerWork,
                                const QStringList &pdfs, bool passwordGiven)
{
    auto state = m_state;
    runRequest([this, state, request, layerWork, pdfs, passwordGiven] {
        noteLayerWork(layerWork);
        const auto outcome = folio::ingest::runIngest(request, &state->cancel);
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
    Q_EMIT stageChanged(tr("Reading %n document(s)…", nullptr, int(pdfPaths.size())));
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
    Q_EMIT stageChanged(tr("Reading %n file(s) and folder(s)…", nullptr, int(plain.size())));
    startIngest(r, "ingest: paths");
    repack();
}

void IngestService::removeSource(int index)
{
    auto state = m_state;
    m_thread->post([state, index] {
        if (index >= 0 && size_t(index) < state->sources.size())
            state->sources.erase(state->sources.begin() + index);
        ++state->generation;
        // Exclusion keys carry the source index: they no longer match after a removal.
        state->exclusions.clear();
    });
    repack();
}

void IngestService::clearSources()
{
    auto state = m_state;
    m_thread->post([state] {
        state->sources.clear();
        state->exclusions.clear();
        ++state->generation;
    });
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
        folio::ingest::Packer packer(*state->counter, state->cache.get());
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
        postBack(this, [this, tree, budget, packed, generation] {
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
