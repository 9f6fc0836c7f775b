// GitSource (see git_source.h). Reading at a commit walks the commit's tree and reads each blob
// from the object database (never the working directory); the size cap is checked on the object
// header before the blob is loaded, so a huge blob costs no memory. Working-tree mode combines the
// HEAD tree with libgit2's status list (deleted files dropped, untracked-not-ignored ones added)
// and reads the files from disk.
#include "ingest/git_source.h"

#include "ingest/git_attributes.h"
#include "ingest/git_handles.h"
#include "ingest/logging.h"
#include "ingest/text_decode.h"
#include "ingest/token_counter.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace folio::ingest {

namespace git {

Check failure(int rc, const char *call, const char *file, int line)
{
    const git_error *e = git_error_last();
    QString name = QString::fromLatin1(call);
    if (const qsizetype paren = name.indexOf(u'('); paren > 0)
        name.truncate(paren);
    const QString detail = e && e->message ? QString::fromUtf8(e->message)
                                           : QStringLiteral("unknown error");
    qCWarning(lcIngest).noquote() << QStringLiteral("%1 failed (%2) at %3:%4: %5")
                                         .arg(name)
                                         .arg(rc)
                                         .arg(QString::fromLatin1(file))
                                         .arg(line)
                                         .arg(detail);
    return {rc, QStringLiteral("%1: %2").arg(name, detail)};
}

QString oidHex(const git_oid &oid)
{
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &oid);
    return QString::fromLatin1(buf);
}

} // namespace git

bool looksLikeUrl(const QString &location)
{
    if (location.contains(QStringLiteral("://")))
        return true;
    // scp-like syntax: user@host:path (but not a Windows drive or a plain path with '@').
    const qsizetype at = location.indexOf(u'@');
    const qsizetype colon = location.indexOf(u':');
    return at > 0 && colon > at && !location.startsWith(u'/');
}

namespace {

struct Entry
{
    QByteArray rawPath; // bytes as stored in the tree, relative to the source root
    git_oid oid;
    git_filemode_t mode;
};

int collectEntry(const char *root, const git_tree_entry *entry, void *payload)
{
    auto *entries = static_cast<std::vector<Entry> *>(payload);
    const git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode == GIT_FILEMODE_TREE)
        return 0; // descend
    Entry e;
    e.rawPath = QByteArray(root) + git_tree_entry_name(entry);
    git_oid_cpy(&e.oid, git_tree_entry_id(entry));
    e.mode = mode;
    entries->push_back(std::move(e));
    return 0;
}

// The user's global attributes file: core.attributesFile, else the XDG default; empty when unset.
QString globalAttributesFile(git_repository *repo)
{
    git_config *rawConfig = nullptr;
    if (git_repository_config_snapshot(&rawConfig, repo) == 0) {
        git::Ptr<git_config> config(rawConfig);
        git_buf buf = GIT_BUF_INIT;
        QString path;
        if (git_config_get_path(&buf, config.get(), "core.attributesFile") == 0)
            path = QFile::decodeName(buf.ptr);
        git_buf_dispose(&buf);
        if (!path.isEmpty())
            return path;
    }
    git_error_clear();
    QString xdg = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (xdg.isEmpty())
        xdg = QDir::homePath() + QStringLiteral("/.config");
    return xdg + QStringLiteral("/git/attributes");
}

bool isAttributesFile(const Entry &e)
{
    return (e.mode == GIT_FILEMODE_BLOB || e.mode == GIT_FILEMODE_BLOB_EXECUTABLE)
           && (e.rawPath == ".gitattributes" || e.rawPath.endsWith("/.gitattributes"));
}

// Attributes files larger than this are ignored (git's own limit, ATTR_MAX_FILE_SIZE).
constexpr qint64 kMaxAttributesFile = qint64(100) << 20;

QByteArray readSmallFile(const QString &path)
{
    QFile f(path);
    if (f.size() > kMaxAttributesFile || !f.open(QIODevice::ReadOnly))
        return QByteArray();
    return f.readAll();
}

// Adds the attributes blob `oid` as the .gitattributes of `dir`. An unreadable blob is logged and
// left out (its directory then has no attributes, as if the file were absent).
void addAttributesBlob(GitAttributes *attributes, git_repository *repo, const QByteArray &dir,
                       const git_oid &oid)
{
    git_blob *raw = nullptr;
    if (!FOLIO_GIT(git_blob_lookup(&raw, repo, &oid)))
        return;
    git::Ptr<git_blob> blob(raw);
    if (git_blob_rawsize(blob.get()) > git_object_size_t(kMaxAttributesFile))
        return;
    attributes->addTreeFile(dir, QByteArrayView(static_cast<const char *>(
                                                    git_blob_rawcontent(blob.get())),
                                                qsizetype(git_blob_rawsize(blob.get()))));
}

// The attributes of the tree being read, as of that tree: its .gitattributes blobs, plus the
// repository's info/attributes and the global file.
GitAttributes treeAttributes(git_repository *repo, const std::vector<Entry> &entries)
{
    GitAttributes attributes;
    attributes.addGlobal(readSmallFile(globalAttributesFile(repo)));
    for (const Entry &e : entries) {
        if (isAttributesFile(e))
            addAttributesBlob(&attributes, repo,
                              e.rawPath.chopped(qsizetype(sizeof(".gitattributes") - 1)), e.oid);
    }
    attributes.addInfo(readSmallFile(QFile::decodeName(git_repository_path(repo))
                                     + QStringLiteral("info/attributes")));
    attributes.prepare();
    return attributes;
}

// The attributes of the work tree, as git reads them for files on disk (check-attr without --cached):
// for every directory holding a file being read, its .gitattributes from the disk, or from the
// index when the disk has none (deleted, or not a regular file: git does not follow a symlinked
// one); plus info/attributes and the global file. Evaluated in memory, like a commit's tree.
//
// Why not libgit2's git_attr_get_many_ext (GIT_ATTR_CHECK_FILE_THEN_INDEX), which this replaced:
// one call per path, each re-checking every attributes file from the path's directory up to the
// root, on disk and in the index; here it is one stat per directory and one parse per file
// (BENCHMARKS.md, Ingest: the work tree of git.git).
GitAttributes worktreeAttributes(git_repository *repo, const std::vector<Entry> &files)
{
    // Every directory above a file (with a trailing slash; "" is the root). A nested repository
    // ("dir/") or a gitlink has attributes of its own, not read here: only their parents count.
    std::set<QByteArray> dirs{QByteArray()};
    for (const Entry &e : files) {
        if (e.rawPath.endsWith('/'))
            continue;
        for (qsizetype slash = e.rawPath.lastIndexOf('/'); slash > 0;
             slash = e.rawPath.lastIndexOf('/', slash - 1)) {
            if (!dirs.insert(e.rawPath.left(slash + 1)).second)
                break; // seen before: so were its parents
        }
    }
    git_index *rawIndex = nullptr;
    git::Ptr<git_index> index;
    if (FOLIO_GIT(git_repository_index(&rawIndex, repo)))
        index.reset(rawIndex); // without an index, only the files on disk count (logged)
    const QByteArray workdir(git_repository_workdir(repo));
    GitAttributes attributes;
    attributes.addGlobal(readSmallFile(globalAttributesFile(repo)));
    for (const QByteArray &dir : dirs) {
        const QByteArray rel = dir + ".gitattributes";
        const QByteArray abs = workdir + rel;
        struct stat st;
        if (::lstat(abs.constData(), &st) == 0 && S_ISREG(st.st_mode)) {
            attributes.addTreeFile(dir, readSmallFile(QFile::decodeName(abs)));
            continue;
        }
        const git_index_entry *entry = index ? git_index_get_bypath(index.get(), rel.constData(), 0)
                                             : nullptr;
        if (entry
            && (entry->mode == GIT_FILEMODE_BLOB || entry->mode == GIT_FILEMODE_BLOB_EXECUTABLE))
            addAttributesBlob(&attributes, repo, dir, entry->id);
    }
    git_error_clear(); // git_index_get_bypath sets an error for every directory without the file
    attributes.addInfo(readSmallFile(QFile::decodeName(git_repository_path(repo))
                                     + QStringLiteral("info/attributes")));
    attributes.prepare();
    return attributes;
}

// Reads a regular file from disk in the same two steps as a blob: size first, then content.
bool readDiskFile(const QString &path, qint64 maxBytes, QByteArray *content, qint64 *size)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    *size = f.size();
    if (maxBytes > 0 && *size > maxBytes)
        return true; // caller reports too-large without reading
    *content = f.readAll();
    *size = content->size();
    return true;
}

// The link as written (not resolved): what git stores as a symlink's blob.
QByteArray readLinkTarget(const QString &path)
{
    const QByteArray p = QFile::encodeName(path);
    QByteArray buf(4096, Qt::Uninitialized);
    const ssize_t n = ::readlink(p.constData(), buf.data(), size_t(buf.size()));
    buf.resize(n < 0 ? 0 : qsizetype(n));
    return buf;
}

} // namespace

struct GitSource::Impl
{
    GitOptions options;
    git::Library library;
    git::Ptr<git_repository> repo;
    bool isClone = false;
    ReadProgress *progress = nullptr; // the Source's, set by read()

    OpenStatus openOrClone();
    OpenStatus resolveCommit(git::Ptr<git_commit> *commit, bool *unborn, SourceContents *out);
    OpenStatus readTree(git_repository *r, git_tree *tree, const QByteArray &prefix,
                        const FileFilter &filter, SourceContents *out, const CancelFlag *cancel,
                        int depth);
    void addContent(const QString &path, QByteArray bytes, qint64 size, const QByteArray &id,
                    const FileFilter &filter, SourceContents *out);
    // Reads one blob or symlink entry through the filters into `out` (thread-safe for distinct
    // `r`/`odb`/`out`).
    void readBlob(git_odb *odb, const GitAttributes &attributes, const Entry &e,
                  const QString &path, const FileFilter &filter, SourceContents *out);
    OpenStatus readSubmodule(git_repository *parent, const Entry &e, const QByteArray &prefix,
                             const FileFilter &filter, SourceContents *out,
                             const CancelFlag *cancel, int depth);
    OpenStatus readWorktree(git_tree *headTree, const FileFilter &filter, SourceContents *out,
                            const CancelFlag *cancel);
    OpenStatus readWorktreeEntry(const Entry &e, const GitAttributes &attributes,
                                 const FileFilter &filter, SourceContents *out,
                                 const CancelFlag *cancel);
};

GitSource::GitSource(GitOptions options)
    : d(std::make_unique<Impl>())
{
    d->options = std::move(options);
}

GitSource::~GitSource() = default;

QString GitSource::displayName() const
{
    QString loc = d->options.location;
    while (loc.endsWith(u'/'))
        loc.chop(1);
    QString name = loc.section(u'/', -1);
    if (name.endsWith(QStringLiteral(".git")))
        name.chop(4);
    return name.isEmpty() ? loc : name;
}

QString GitSource::root() const
{
    if (!d->repo)
        return QString();
    const char *wd = git_repository_workdir(d->repo.get());
    QString r = QString::fromUtf8(wd ? wd : git_repository_path(d->repo.get()));
    while (r.size() > 1 && r.endsWith(u'/'))
        r.chop(1);
    return r;
}

OpenStatus GitSource::open()
{
    return d->openOrClone();
}

OpenStatus GitSource::Impl::openOrClone()
{
    repo.reset();
    if (!looksLikeUrl(options.location)) {
        if (!QFileInfo::exists(options.location))
            return OpenStatus::failure(OpenResult::NotFound,
                                       QStringLiteral("%1: no such file or directory")
                                           .arg(options.location));
        git_repository *raw = nullptr;
        const QByteArray path = QFile::encodeName(options.location);
        const int rc = git_repository_open_ext(&raw, path.constData(), 0, nullptr);
        if (rc == GIT_ENOTFOUND)
            return OpenStatus::failure(OpenResult::NotFound,
                                       QStringLiteral("%1 is not inside a git repository")
                                           .arg(options.location));
        if (auto c = FOLIO_GIT(rc); !c)
            return OpenStatus::failure(OpenResult::Damaged, c.message);
        repo.reset(raw);
    } else {
        // Clone (bare) into the cache, keyed by the URL, or fetch again when it is already there.
        QString cache = options.cacheDir;
        if (cache.isEmpty())
            cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation)
                    + QStringLiteral("/repos");
        const QByteArray key = QCryptographicHash::hash(options.location.toUtf8(),
                                                        QCryptographicHash::Sha1)
                                   .toHex()
                                   .left(16);
        QString name = options.location.section(u'/', -1);
        name.remove(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]")));
        const QString dir = QStringLiteral("%1/%2-%3").arg(cache, name, QString::fromLatin1(key));
        const QByteArray dirBytes = QFile::encodeName(dir);
        const QByteArray url = options.location.toUtf8();
        git_repository *raw = nullptr;
        if (QFileInfo::exists(dir + QStringLiteral("/HEAD"))) {
            if (auto c = FOLIO_GIT(git_repository_open_bare(&raw, dirBytes.constData())); !c)
                return OpenStatus::failure(OpenResult::Damaged,
                                           QStringLiteral("cached clone %1: %2").arg(dir, c.message));
            repo.reset(raw);
            git_remote *rawRemote = nullptr;
            if (auto c = FOLIO_GIT(git_remote_lookup(&rawRemote, repo.get(), "origin")); !c)
                return OpenStatus::failure(OpenResult::Failed, c.message);
            git::Ptr<git_remote> remote(rawRemote);
            if (auto c = FOLIO_GIT(git_remote_fetch(remote.get(), nullptr, nullptr, nullptr)); !c)
                return OpenStatus::failure(OpenResult::Failed,
                                           QStringLiteral("fetching %1: %2")
                                               .arg(options.location, c.message));
        } else {
            if (options.location.startsWith(QStringLiteral("file://"))
                && !QFileInfo::exists(QUrl(options.location).toLocalFile()))
                return OpenStatus::failure(OpenResult::NotFound,
                                           QStringLiteral("cloning %1: no such repository")
                                               .arg(options.location));
            QDir().mkpath(cache);
            git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
            opts.bare = 1; // blobs are read from the object database; no checkout needed
            if (auto c = FOLIO_GIT(git_clone(&raw, url.constData(), dirBytes.constData(), &opts));
                !c) {
                QDir(dir).removeRecursively();
                return OpenStatus::failure(c.rc == GIT_ENOTFOUND ? OpenResult::NotFound
                                                                 : OpenResult::Failed,
                                           QStringLiteral("cloning %1: %2")
                                               .arg(options.location, c.message));
            }
            repo.reset(raw);
        }
        isClone = true;
    }
    if (options.worktree && git_repository_is_bare(repo.get()))
        return OpenStatus::failure(OpenResult::Unsupported,
                                   QStringLiteral("working-tree mode needs a repository with a "
                                                  "working directory (this one is bare)"));
    return OpenStatus::success();
}

OpenStatus GitSource::Impl::resolveCommit(git::Ptr<git_commit> *commit, bool *unborn,
                                          SourceContents *out)
{
    *unborn = false;
    QStringList candidates;
    if (options.ref.isEmpty()) {
        const int u = git_repository_head_unborn(repo.get());
        if (u == 1) {
            *unborn = true;
            out->notes << QStringLiteral("HEAD is unborn: the repository has no commits yet");
            return OpenStatus::success();
        }
        if (auto c = FOLIO_GIT(u); !c)
            return OpenStatus::failure(OpenResult::Damaged, c.message);
        // A clone's local HEAD does not move on fetch; the remote's HEAD does.
        if (isClone)
            candidates << QStringLiteral("refs/remotes/origin/HEAD");
        candidates << QStringLiteral("HEAD");
        if (git_repository_head_detached(repo.get()) == 1)
            out->notes << QStringLiteral("HEAD is detached");
    } else {
        candidates << options.ref;
        if (isClone)
            candidates << QStringLiteral("origin/") + options.ref;
    }
    if (git_repository_is_shallow(repo.get()) == 1)
        out->notes << QStringLiteral(
            "shallow repository: history is truncated (only the tree read matters here)");
    QString lastError;
    for (const QString &spec : candidates) {
        git_object *raw = nullptr;
        const QByteArray s = spec.toUtf8();
        if (git_revparse_single(&raw, repo.get(), s.constData()) < 0) {
            const git_error *e = git_error_last();
            lastError = e && e->message ? QString::fromUtf8(e->message) : QString();
            continue;
        }
        git::Ptr<git_object> obj(raw);
        git_object *peeled = nullptr;
        if (auto c = FOLIO_GIT(git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT)); !c)
            return OpenStatus::failure(OpenResult::BadReference,
                                       QStringLiteral("'%1' does not name a commit: %2")
                                           .arg(spec, c.message));
        commit->reset(reinterpret_cast<git_commit *>(peeled));
        out->revision = git::oidHex(*git_commit_id(commit->get()));
        return OpenStatus::success();
    }
    return OpenStatus::failure(OpenResult::BadReference,
                               QStringLiteral("reference '%1' not found in %2 (%3)")
                                   .arg(options.ref.isEmpty() ? QStringLiteral("HEAD") : options.ref,
                                        options.location, lastError));
}

OpenStatus GitSource::read(const FileFilter &filter, SourceContents *out, const CancelFlag *cancel)
{
    if (!d->repo)
        return OpenStatus::failure(OpenResult::Failed,
                                   QStringLiteral("read() before a successful open()"));
    out->name = displayName();
    out->root = root();
    progress().reset();
    d->progress = &progress();
    git::Ptr<git_commit> commit;
    bool unborn = false;
    if (OpenStatus s = d->resolveCommit(&commit, &unborn, out); !s.ok())
        return s;
    git::Ptr<git_tree> tree;
    if (commit) {
        git_tree *raw = nullptr;
        if (auto c = FOLIO_GIT(git_commit_tree(&raw, commit.get())); !c)
            return OpenStatus::failure(OpenResult::Damaged, c.message);
        tree.reset(raw);
    }
    OpenStatus s;
    if (d->options.worktree)
        s = d->readWorktree(tree.get(), filter, out, cancel);
    else if (tree)
        s = d->readTree(d->repo.get(), tree.get(), QByteArray(), filter, out, cancel, 0);
    if (!s.ok())
        return s;
    // Stable order for everything downstream (the packer, the manifest, the tests).
    std::sort(out->items.begin(), out->items.end(),
              [](const SourceItem &a, const SourceItem &b) { return a.path < b.path; });
    std::sort(out->skipped.begin(), out->skipped.end(),
              [](const SkippedItem &a, const SkippedItem &b) { return a.path < b.path; });
    return OpenStatus::success();
}

void GitSource::Impl::addContent(const QString &path, QByteArray bytes, qint64 size,
                                 const QByteArray &id, const FileFilter &filter,
                                 SourceContents *out)
{
    if (QString why = filter.skipByContent(bytes, size); !why.isEmpty()) {
        out->skipped.push_back({path, why});
        return;
    }
    DecodedText text = decodeText(bytes);
    if (QString why = filter.skipByShape(path, text.utf8); !why.isEmpty()) {
        out->skipped.push_back({path, why});
        return;
    }
    SourceItem item;
    item.kind = ItemKind::File;
    item.path = path;
    item.bytes = size;
    item.contentId = id;
    item.encoding = encodingName(text.encoding);
    item.text = std::move(text.utf8);
    out->items.push_back(std::move(item));
}

OpenStatus GitSource::Impl::readTree(git_repository *r, git_tree *tree, const QByteArray &prefix,
                                     const FileFilter &filter, SourceContents *out,
                                     const CancelFlag *cancel, int depth)
{
    std::vector<Entry> entries;
    if (auto c = FOLIO_GIT(git_tree_walk(tree, GIT_TREEWALK_PRE, collectEntry, &entries)); !c)
        return OpenStatus::failure(OpenResult::Damaged, c.message);
    // Attributes as of this tree, evaluated in memory (git_attributes.h says why not libgit2's).
    const GitAttributes attributes = treeAttributes(r, entries);
    progress->addTotal(qint64(entries.size()));
    // Pass 1 (in order): paths that are not UTF-8 and gitlinks (submodules recurse here).
    std::vector<std::pair<const Entry *, QString>> blobs;
    for (const Entry &e : entries) {
        if (cancel && cancel->load())
            return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
        const QByteArray full = prefix + e.rawPath;
        const QString path = displayPath(full);
        if (!isValidUtf8(full)) {
            out->skipped.push_back(
                {path, QStringLiteral("bad-path: file name is not valid UTF-8")});
            progress->advance();
            continue;
        }
        if (e.mode == GIT_FILEMODE_COMMIT) {
            if (!options.submodules) {
                out->skipped.push_back(
                    {path, QStringLiteral("submodule: not read (use --submodules); gitlink %1")
                               .arg(git::oidHex(e.oid))});
            } else if (OpenStatus s = readSubmodule(r, e, prefix, filter, out, cancel, depth);
                       !s.ok()) {
                return s;
            }
            progress->advance();
            continue;
        }
        blobs.emplace_back(&e, path);
    }

    // Pass 2 (parallel): blobs. libgit2 repository objects must not be shared between threads,
    // so every extra thread opens the repository again; each fills its own SourceContents, merged
    // afterwards (read() sorts the result, so the merge order does not matter).
    const unsigned threads = unsigned(
        std::clamp<std::size_t>(blobs.size() / 64, 1,
                                std::max(1u, std::thread::hardware_concurrency())));
    std::vector<SourceContents> parts(threads);
    std::vector<QString> failures(threads);
    std::atomic_size_t next{0};
    std::atomic_bool cancelled{false};
    const QByteArray gitDir = QByteArray(git_repository_path(r));
    parallelFor(threads, threads, [&](std::size_t t) {
        git_repository *repo = r;
        git::Ptr<git_repository> own;
        if (t > 0) {
            git_repository *raw = nullptr;
            if (auto c = FOLIO_GIT(git_repository_open(&raw, gitDir.constData())); !c) {
                failures[t] = c.message;
                return;
            }
            own.reset(raw);
            repo = raw;
        }
        git_odb *rawOdb = nullptr;
        if (auto c = FOLIO_GIT(git_repository_odb(&rawOdb, repo)); !c) {
            failures[t] = c.message;
            return;
        }
        git::Ptr<git_odb> odb(rawOdb);
        for (std::size_t i = next++; i < blobs.size(); i = next++) {
            if (cancel && cancel->load()) {
                cancelled = true;
                return;
            }
            readBlob(odb.get(), attributes, *blobs[i].first, blobs[i].second, filter, &parts[t]);
            progress->advance();
        }
    });
    if (cancelled)
        return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
    for (const QString &f : failures) {
        if (!f.isEmpty())
            return OpenStatus::failure(OpenResult::Failed, f);
    }
    for (SourceContents &part : parts) {
        out->items.append(std::move(part.items));
        out->skipped.append(std::move(part.skipped));
    }
    return OpenStatus::success();
}

void GitSource::Impl::readBlob(git_odb *odb, const GitAttributes &attributes, const Entry &e,
                               const QString &path, const FileFilter &filter, SourceContents *out)
{
    const PathAttributes attrs = attributes.lookup(e.rawPath);
    if (QString why = filter.skipByPath(path, attrs); !why.isEmpty()) {
        out->skipped.push_back({path, why});
        return;
    }
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (auto c = FOLIO_GIT(git_odb_read_header(&size, &type, odb, &e.oid)); !c) {
        out->skipped.push_back({path, QStringLiteral("unreadable: broken object %1 (%2)")
                                          .arg(git::oidHex(e.oid), c.message)});
        return;
    }
    if (e.mode == GIT_FILEMODE_LINK) {
        git_odb_object *rawObj = nullptr;
        if (auto c = FOLIO_GIT(git_odb_read(&rawObj, odb, &e.oid)); !c) {
            out->skipped.push_back({path, QStringLiteral("unreadable: %1").arg(c.message)});
            return;
        }
        git::Ptr<git_odb_object> obj(rawObj);
        SourceItem item;
        item.kind = ItemKind::Symlink;
        item.path = path;
        item.bytes = qint64(size);
        item.text = QByteArray(static_cast<const char *>(git_odb_object_data(obj.get())),
                               qsizetype(git_odb_object_size(obj.get())));
        item.contentId = git::oidHex(e.oid).toLatin1();
        item.encoding = QStringLiteral("utf-8");
        out->items.push_back(std::move(item));
        return;
    }
    if (QString why = filter.skipBySize(qint64(size)); !why.isEmpty()) {
        out->skipped.push_back({path, why});
        return;
    }
    git_odb_object *rawObj = nullptr;
    if (auto c = FOLIO_GIT(git_odb_read(&rawObj, odb, &e.oid)); !c) {
        out->skipped.push_back({path, QStringLiteral("unreadable: broken object %1 (%2)")
                                          .arg(git::oidHex(e.oid), c.message)});
        return;
    }
    git::Ptr<git_odb_object> obj(rawObj);
    // One copy out of libgit2's buffer; the object is released right after (bounded memory).
    QByteArray bytes(static_cast<const char *>(git_odb_object_data(obj.get())),
                     qsizetype(git_odb_object_size(obj.get())));
    obj.reset();
    addContent(path, std::move(bytes), qint64(size), git::oidHex(e.oid).toLatin1(), filter, out);
}

OpenStatus GitSource::Impl::readSubmodule(git_repository *parent, const Entry &e,
                                          const QByteArray &prefix, const FileFilter &filter,
                                          SourceContents *out, const CancelFlag *cancel, int depth)
{
    const QString path = displayPath(prefix + e.rawPath);
    const QString commitHex = git::oidHex(e.oid);
    if (depth >= 8) {
        out->skipped.push_back({path, QStringLiteral("submodule: nested deeper than 8 levels")});
        return OpenStatus::success();
    }
    git_submodule *rawSm = nullptr;
    git_repository *rawRepo = nullptr;
    if (git_submodule_lookup(&rawSm, parent, e.rawPath.constData()) < 0) {
        out->skipped.push_back(
            {path,
             QStringLiteral("submodule: not found in .gitmodules (gitlink %1)").arg(commitHex)});
        return OpenStatus::success();
    }
    git::Ptr<git_submodule> sm(rawSm);
    if (git_submodule_open(&rawRepo, sm.get()) < 0) {
        out->skipped.push_back(
            {path,
             QStringLiteral(
                 "submodule: not checked out locally (run git submodule update --init); gitlink %1")
                 .arg(commitHex)});
        return OpenStatus::success();
    }
    git::Ptr<git_repository> subRepo(rawRepo);
    git_commit *rawCommit = nullptr;
    if (git_commit_lookup(&rawCommit, subRepo.get(), &e.oid) < 0) {
        out->skipped.push_back(
            {path, QStringLiteral("submodule: recorded commit %1 is not in its local clone")
                       .arg(commitHex)});
        return OpenStatus::success();
    }
    git::Ptr<git_commit> commit(rawCommit);
    git_tree *rawTree = nullptr;
    if (auto c = FOLIO_GIT(git_commit_tree(&rawTree, commit.get())); !c) {
        out->skipped.push_back({path, QStringLiteral("submodule: %1").arg(c.message)});
        return OpenStatus::success();
    }
    git::Ptr<git_tree> tree(rawTree);
    out->notes << QStringLiteral("submodule %1 read at %2").arg(path, commitHex);
    return readTree(subRepo.get(), tree.get(), prefix + e.rawPath + '/', filter, out, cancel,
                    depth + 1);
}

OpenStatus GitSource::Impl::readWorktree(git_tree *headTree, const FileFilter &filter,
                                         SourceContents *out, const CancelFlag *cancel)
{
    // The file set: tracked at HEAD, minus deleted, plus new (index or untracked, not ignored).
    std::vector<Entry> tracked;
    if (headTree) {
        if (auto c = FOLIO_GIT(git_tree_walk(headTree, GIT_TREEWALK_PRE, collectEntry, &tracked));
            !c)
            return OpenStatus::failure(OpenResult::Damaged, c.message);
    }
    git_status_options so = GIT_STATUS_OPTIONS_INIT;
    so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS
               | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    git_status_list *rawList = nullptr;
    if (auto c = FOLIO_GIT(git_status_list_new(&rawList, repo.get(), &so)); !c)
        return OpenStatus::failure(OpenResult::Failed, c.message);
    git::Ptr<git_status_list> list(rawList);
    std::set<QByteArray> deleted;
    std::set<QByteArray> added;
    std::set<QByteArray> gitlinks;
    for (size_t i = 0, n = git_status_list_entrycount(list.get()); i < n; ++i) {
        const git_status_entry *s = git_status_byindex(list.get(), i);
        const git_diff_delta *delta = s->index_to_workdir ? s->index_to_workdir : s->head_to_index;
        if (!delta)
            continue;
        const QByteArray p = delta->new_file.path ? QByteArray(delta->new_file.path)
                                                  : QByteArray(delta->old_file.path);
        if (s->status & GIT_STATUS_WT_DELETED)
            deleted.insert(p);
        else if (s->status & (GIT_STATUS_WT_NEW | GIT_STATUS_INDEX_NEW))
            added.insert(p);
        if (s->status & GIT_STATUS_INDEX_DELETED && !(s->status & GIT_STATUS_WT_NEW))
            deleted.insert(p);
    }
    std::vector<Entry> files;
    for (Entry &e : tracked) {
        if (e.mode == GIT_FILEMODE_COMMIT)
            gitlinks.insert(e.rawPath);
        if (!deleted.count(e.rawPath))
            files.push_back(std::move(e));
    }
    std::set<QByteArray> listed;
    for (const Entry &e : files)
        listed.insert(e.rawPath);
    for (const QByteArray &p : added) {
        if (listed.count(p))
            continue; // tracked at HEAD already
        Entry e{p, {}, GIT_FILEMODE_BLOB};
        files.push_back(std::move(e));
    }
    const GitAttributes attributes = worktreeAttributes(repo.get(), files);
    progress->addTotal(qint64(files.size()));
    for (const Entry &e : files) {
        if (cancel && cancel->load())
            return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
        if (OpenStatus s = readWorktreeEntry(e, attributes, filter, out, cancel); !s.ok())
            return s;
        progress->advance();
    }
    return OpenStatus::success();
}

OpenStatus GitSource::Impl::readWorktreeEntry(const Entry &e, const GitAttributes &attributes,
                                              const FileFilter &filter, SourceContents *out,
                                              const CancelFlag *cancel)
{
    const QString path = displayPath(e.rawPath);
    if (!isValidUtf8(e.rawPath)) {
        out->skipped.push_back({path, QStringLiteral("bad-path: file name is not valid UTF-8")});
        return OpenStatus::success();
    }
    if (e.rawPath.endsWith('/')) {
        // An untracked directory libgit2 did not descend into: a nested repository.
        out->skipped.push_back(
            {path, QStringLiteral("nested-repository: untracked git repository inside the work "
                                  "tree, not read")});
        return OpenStatus::success();
    }
    if (e.mode == GIT_FILEMODE_COMMIT) {
        if (options.submodules)
            return readSubmodule(repo.get(), e, QByteArray(), filter, out, cancel, 0);
        out->skipped.push_back(
            {path, QStringLiteral("submodule: not read (use --submodules); gitlink %1")
                       .arg(git::oidHex(e.oid))});
        return OpenStatus::success();
    }
    const PathAttributes attrs = attributes.lookup(e.rawPath);
    if (QString why = filter.skipByPath(path, attrs); !why.isEmpty()) {
        out->skipped.push_back({path, why});
        return OpenStatus::success();
    }
    const QString abs = QString::fromUtf8(git_repository_workdir(repo.get()))
                        + QFile::decodeName(e.rawPath);
    const QFileInfo info(abs);
    if (info.isSymLink()) {
        SourceItem item;
        item.kind = ItemKind::Symlink;
        item.path = path;
        item.text = readLinkTarget(abs);
        item.bytes = item.text.size();
        item.contentId = blobIdOf(item.text);
        item.encoding = QStringLiteral("utf-8");
        out->items.push_back(std::move(item));
        return OpenStatus::success();
    }
    QByteArray bytes;
    qint64 size = 0;
    if (!readDiskFile(abs, filter.options().maxFileBytes, &bytes, &size)) {
        out->skipped.push_back({path, QStringLiteral("unreadable: cannot open %1").arg(abs)});
        return OpenStatus::success();
    }
    if (QString why = filter.skipBySize(size); !why.isEmpty()) {
        out->skipped.push_back({path, why});
        return OpenStatus::success();
    }
    const QByteArray id = blobIdOf(bytes);
    addContent(path, std::move(bytes), size, id, filter, out);
    return OpenStatus::success();
}

} // namespace folio::ingest
