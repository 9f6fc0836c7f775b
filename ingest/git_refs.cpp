// listGitRefs (see git_refs.h): branches and tags from git_reference_iterator, commits from a
// revwalk over HEAD in time order. listRemoteGitRefs: the refs a remote advertises when an
// anonymous (detached) remote connects for fetching.
#include "ingest/git_refs.h"

#include "ingest/git_handles.h"

#include <QFile>
#include <QFileInfo>
#include <QUrl>

#include <algorithm>

namespace folio::ingest {

namespace {

QString fromGit(const char *s)
{
    return s ? QString::fromUtf8(s) : QString();
}

void readRefs(git_repository *repo, GitRefs *out)
{
    git_reference_iterator *rawIt = nullptr;
    if (!FOLIO_GIT(git_reference_iterator_new(&rawIt, repo)))
        return;
    git_reference *rawRef = nullptr;
    while (git_reference_next(&rawRef, rawIt) == 0) {
        git::Ptr<git_reference> ref(rawRef);
        const QString name = fromGit(git_reference_name(ref.get()));
        if (name.startsWith(QLatin1String("refs/heads/")))
            out->branches << name.mid(11);
        else if (name.startsWith(QLatin1String("refs/tags/")))
            out->tags << name.mid(10);
    }
    git_reference_iterator_free(rawIt);
    out->branches.sort();
    out->tags.sort();
}

void readCommits(git_repository *repo, int maxCommits, GitRefs *out)
{
    git_revwalk *rawWalk = nullptr;
    if (!FOLIO_GIT(git_revwalk_new(&rawWalk, repo)))
        return;
    std::unique_ptr<git_revwalk, void (*)(git_revwalk *)> walk(rawWalk, git_revwalk_free);
    git_revwalk_sorting(walk.get(), GIT_SORT_TIME);
    if (!FOLIO_GIT(git_revwalk_push_head(walk.get())))
        return;
    git_oid oid;
    while (out->commits.size() < maxCommits && git_revwalk_next(&oid, walk.get()) == 0) {
        git_commit *rawCommit = nullptr;
        if (!FOLIO_GIT(git_commit_lookup(&rawCommit, repo, &oid)))
            continue;
        git::Ptr<git_commit> commit(rawCommit);
        GitCommitInfo c;
        c.id = git::oidHex(oid);
        c.shortId = c.id.left(10);
        c.subject = fromGit(git_commit_summary(commit.get()));
        if (const git_signature *a = git_commit_author(commit.get())) {
            c.author = fromGit(a->name);
            c.timeMs = qint64(a->when.time) * 1000;
        }
        out->commits.append(c);
    }
}

} // namespace

OpenStatus listGitRefs(const QString &path, int maxCommits, GitRefs *out)
{
    *out = GitRefs();
    if (!QFileInfo::exists(path))
        return OpenStatus::failure(OpenResult::NotFound,
                                   QStringLiteral("%1: no such file or directory").arg(path));
    git::Library library;
    git_repository *raw = nullptr;
    const QByteArray bytes = QFile::encodeName(path);
    const int rc = git_repository_open_ext(&raw, bytes.constData(), 0, nullptr);
    if (rc == GIT_ENOTFOUND)
        return OpenStatus::failure(OpenResult::NotFound,
                                   QStringLiteral("%1 is not inside a git repository").arg(path));
    if (auto c = FOLIO_GIT(rc); !c)
        return OpenStatus::failure(OpenResult::Damaged, c.message);
    git::Ptr<git_repository> repo(raw);
    out->bare = git_repository_is_bare(repo.get()) == 1;
    const char *root = out->bare ? git_repository_path(repo.get())
                                 : git_repository_workdir(repo.get());
    out->root = QFileInfo(fromGit(root)).absoluteFilePath();
    if (out->root.endsWith(QLatin1Char('/')) && out->root.size() > 1)
        out->root.chop(1);
    readRefs(repo.get(), out);
    if (git_repository_head_unborn(repo.get()) == 1)
        return OpenStatus::success();
    git_reference *rawHead = nullptr;
    if (auto c = FOLIO_GIT(git_repository_head(&rawHead, repo.get())); !c)
        return OpenStatus::failure(OpenResult::Damaged, c.message);
    git::Ptr<git_reference> head(rawHead);
    if (git_reference_is_branch(head.get()))
        out->head = fromGit(git_reference_shorthand(head.get()));
    if (const git_oid *id = git_reference_target(head.get()))
        out->headCommit = git::oidHex(*id);
    readCommits(repo.get(), std::max(0, maxCommits), out);
    return OpenStatus::success();
}

OpenStatus listRemoteGitRefs(const QString &url, GitRefs *out)
{
    *out = GitRefs();
    out->root = url;
    // libgit2's local transport reports a missing path only as a generic failure: say it plainly.
    if (url.startsWith(QLatin1String("file://")) && !QFileInfo::exists(QUrl(url).toLocalFile()))
        return OpenStatus::failure(OpenResult::NotFound,
                                   QStringLiteral("%1: no such repository").arg(url));
    git::Library library;
    const QByteArray bytes = url.toUtf8();
    git_remote *raw = nullptr;
    // Detached: no repository is needed to ask a remote for its refs.
    if (auto c = FOLIO_GIT(git_remote_create_detached(&raw, bytes.constData())); !c)
        return OpenStatus::failure(OpenResult::Failed, c.message);
    git::Ptr<git_remote> remote(raw);
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    if (auto c = FOLIO_GIT(
            git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr));
        !c)
        return OpenStatus::failure(OpenResult::Failed,
                                   QStringLiteral("listing %1: %2").arg(url, c.message));
    const git_remote_head **heads = nullptr;
    size_t count = 0;
    if (auto c = FOLIO_GIT(git_remote_ls(&heads, &count, remote.get())); !c) {
        git_remote_disconnect(remote.get());
        return OpenStatus::failure(OpenResult::Failed,
                                   QStringLiteral("listing %1: %2").arg(url, c.message));
    }
    for (size_t i = 0; i < count; ++i) {
        const git_remote_head *h = heads[i];
        const QString name = fromGit(h->name);
        if (name == QLatin1String("HEAD")) {
            out->headCommit = git::oidHex(h->oid);
            const QString target = fromGit(h->symref_target);
            if (target.startsWith(QLatin1String("refs/heads/")))
                out->head = target.mid(11);
        } else if (name.startsWith(QLatin1String("refs/heads/"))) {
            out->branches << name.mid(11);
        } else if (name.startsWith(QLatin1String("refs/tags/"))
                   && !name.endsWith(QLatin1String("^{}"))) {
            // "v1^{}" is the commit an annotated tag peels to, advertised next to the tag.
            out->tags << name.mid(10);
        }
    }
    git_remote_disconnect(remote.get());
    out->branches.sort();
    out->tags.sort();
    // An empty repository advertises nothing: it has no HEAD commit to read yet.
    return OpenStatus::success();
}

} // namespace folio::ingest
