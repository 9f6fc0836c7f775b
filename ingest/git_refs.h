// What a git repository offers to read: a local one's branches, tags and most recent commits, or a
// remote's (URL) branches and tags before it is cloned (the "Open Repository" dialog lists them so
// a person can pick a revision). Read through libgit2, private to git_refs.cpp like the rest of
// ingest's git code.
#pragma once

#include "ingest/types.h"

#include <QString>
#include <QStringList>
#include <QVector>

namespace folio::ingest {

struct GitCommitInfo
{
    QString id;      // 40 hex digits
    QString shortId; // the first 10
    QString subject; // the first line of the message
    QString author;
    qint64 timeMs = 0; // author time, ms since the Unix epoch (UTC)
};

struct GitRefs
{
    QString root;         // the repository's working directory (or git directory when bare)
    QString head;         // the checked-out branch ("main"); empty when detached or unborn
    QString headCommit;   // HEAD's commit id; empty when unborn
    QStringList branches; // local branches, sorted
    QStringList tags;     // sorted
    QVector<GitCommitInfo> commits; // newest first, reachable from HEAD
    bool bare = false;              // no working tree to read
};

// Lists the refs and up to `maxCommits` commits (newest first, from HEAD) of the repository that
// contains `path`. NotFound when `path` does not exist or is not inside a repository; Damaged when
// the repository cannot be read.
OpenStatus listGitRefs(const QString &path, int maxCommits, GitRefs *out);

// Lists what the remote at `url` offers, as `git ls-remote` does: an anonymous remote is connected,
// its advertised branches and tags read (and the branch its HEAD points to, with that commit), and
// disconnected. Nothing is fetched, so `commits` stays empty; `root` is the URL. NotFound when a
// file:// URL names nothing; Failed when the remote cannot be reached or refuses the listing.
OpenStatus listRemoteGitRefs(const QString &url, GitRefs *out);

} // namespace folio::ingest
