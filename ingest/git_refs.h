// What a local git repository offers to read: its branches, tags and most recent commits (the
// "Open Repository" dialog lists them so a person can pick a revision). Read through libgit2,
// private to git_refs.cpp like the rest of ingest's git code.
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

} // namespace folio::ingest
