// A git repository as a source, read through libgit2: a local repository (working or bare) at a
// branch, tag or commit (default HEAD), blobs read from the object database at that tree; or, in
// working-tree mode, the files as they are on disk (tracked, modified and untracked-but-not-ignored,
// ignore rules applied by libgit2). A URL is cloned (bare) into a cache directory first, or fetched
// again when already there. Submodules are opt-in and read at their recorded gitlink commit;
// symlinks are recorded as links; LFS pointers are reported; unborn, detached and shallow HEADs
// are handled. libgit2 itself is private to git_source.cpp.
#pragma once

#include "ingest/source.h"

#include <memory>

namespace folio::ingest {

struct GitOptions
{
    QString location; // a path inside a repository, or a URL (file://, https://, ssh://)
    QString ref;      // branch, tag, commit or any revspec; empty = HEAD
    bool worktree = false;
    bool submodules = false;
    QString cacheDir; // where URLs are cloned; empty = <QStandardPaths cache>/repos
};

// True when `location` names a remote (scheme://... or user@host:path) rather than a local path.
bool looksLikeUrl(const QString &location);

class GitSource final : public Source
{
public:
    explicit GitSource(GitOptions options);
    ~GitSource() override;

    QString displayName() const override;
    OpenStatus open() override;
    OpenStatus read(const FileFilter &filter, SourceContents *out,
                    const CancelFlag *cancel = nullptr) override;

    // The repository's root (the working directory, or the git directory of a bare repository).
    QString root() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace folio::ingest
