// listGitRefs (see git_refs.h): branches and tags from git_reference_iterator, commits from a
// revwalk over HEAD in time order.
#include "ingest/git_refs.h"

#include "ingest/git_handles.h"

#include <QFile>
#include <QFileInfo>

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

} // namespace folio::ingest
