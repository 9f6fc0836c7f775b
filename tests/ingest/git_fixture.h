// Test fixture: builds git repositories with libgit2 (files written to a working directory and
// staged, commits, branches, tags, symlinks, gitlinks) and runs the git CLI to compare against.
// Header-only; used by the ingest tests.
#pragma once

#include <git2.h>

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

namespace fixture {

// Fails the current test with libgit2's message when a call fails.
#define FIX_GIT(call) \
    do { \
        if ((call) < 0) { \
            const git_error *gitErr_ = git_error_last(); \
            QFAIL(qPrintable(QStringLiteral("%1 failed: %2") \
                                 .arg(QString::fromLatin1(#call), \
                                      QString::fromUtf8(gitErr_ ? gitErr_->message : "?")))); \
        } \
    } while (0)

class Repo
{
public:
    Repo() { git_libgit2_init(); }
    ~Repo()
    {
        if (m_repo)
            git_repository_free(m_repo);
        git_libgit2_shutdown();
    }
    Repo(const Repo &) = delete;
    Repo &operator=(const Repo &) = delete;

    void init(const QString &dir)
    {
        m_dir = dir;
        QDir().mkpath(dir);
        FIX_GIT(git_repository_init(&m_repo, QFile::encodeName(dir).constData(), 0));
    }
    git_repository *get() const { return m_repo; }
    const QString &dir() const { return m_dir; }

    // Writes a file (raw byte path allowed) into the working directory and stages it.
    void write(const QByteArray &path, const QByteArray &content, bool stage = true)
    {
        const QByteArray full = QFile::encodeName(m_dir) + '/' + path;
        const qsizetype slash = full.lastIndexOf('/');
        QDir().mkpath(QFile::decodeName(full.left(slash)));
        const int fd = ::open(full.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        QVERIFY2(fd >= 0, full.constData());
        qsizetype done = 0;
        while (done < content.size()) {
            const ssize_t n = ::write(fd, content.constData() + done, size_t(content.size() - done));
            QVERIFY(n > 0);
            done += n;
        }
        ::close(fd);
        if (stage)
            add(path);
    }
    void symlink(const QByteArray &path, const QByteArray &target)
    {
        const QByteArray full = QFile::encodeName(m_dir) + '/' + path;
        QVERIFY(::symlink(target.constData(), full.constData()) == 0);
        add(path);
    }
    void add(const QByteArray &path)
    {
        git_index *index = nullptr;
        FIX_GIT(git_repository_index(&index, m_repo));
        FIX_GIT(git_index_add_bypath(index, path.constData()));
        FIX_GIT(git_index_write(index));
        git_index_free(index);
    }
    void remove(const QByteArray &path)
    {
        git_index *index = nullptr;
        FIX_GIT(git_repository_index(&index, m_repo));
        FIX_GIT(git_index_remove_bypath(index, path.constData()));
        FIX_GIT(git_index_write(index));
        git_index_free(index);
        QFile::remove(m_dir + u'/' + QString::fromUtf8(path));
    }
    // A gitlink entry (a submodule's recorded commit) without any submodule repository.
    void gitlink(const QByteArray &path, const QByteArray &hexCommit)
    {
        git_index *index = nullptr;
        FIX_GIT(git_repository_index(&index, m_repo));
        git_index_entry e{};
        e.mode = GIT_FILEMODE_COMMIT;
        e.path = path.constData();
        FIX_GIT(git_oid_fromstr(&e.id, hexCommit.constData()));
        FIX_GIT(git_index_add(index, &e));
        FIX_GIT(git_index_write(index));
        git_index_free(index);
    }
    // Commits the index on HEAD; returns the commit id (hex).
    QString commit(const char *message)
    {
        git_index *index = nullptr;
        git_oid treeId, commitId;
        git_tree *tree = nullptr;
        git_signature *sig = nullptr;
        git_object *parent = nullptr;
        [&] {
            FIX_GIT(git_repository_index(&index, m_repo));
            FIX_GIT(git_index_write_tree(&treeId, index));
            FIX_GIT(git_tree_lookup(&tree, m_repo, &treeId));
            FIX_GIT(git_signature_new(&sig, "Folio Test", "test@folio.invalid", 1700000000, 0));
            if (git_repository_head_unborn(m_repo) != 1)
                FIX_GIT(git_revparse_single(&parent, m_repo, "HEAD^{commit}"));
            const git_commit *parents[1] = {reinterpret_cast<git_commit *>(parent)};
            FIX_GIT(git_commit_create(&commitId, m_repo, "HEAD", sig, sig, nullptr, message, tree,
                                      parent ? 1 : 0, parent ? parents : nullptr));
        }();
        git_object_free(parent);
        git_signature_free(sig);
        git_tree_free(tree);
        git_index_free(index);
        char buf[GIT_OID_HEXSZ + 1];
        git_oid_tostr(buf, sizeof buf, &commitId);
        return QString::fromLatin1(buf);
    }
    void branch(const char *name)
    {
        git_object *head = nullptr;
        git_reference *ref = nullptr;
        FIX_GIT(git_revparse_single(&head, m_repo, "HEAD^{commit}"));
        FIX_GIT(git_branch_create(&ref, m_repo, name, reinterpret_cast<git_commit *>(head), 0));
        git_reference_free(ref);
        git_object_free(head);
    }
    void checkoutBranch(const char *name) // moves HEAD (index and files untouched: commit on top)
    {
        FIX_GIT(git_repository_set_head(m_repo, QByteArray("refs/heads/").append(name).constData()));
    }
    void tag(const char *name, bool annotated)
    {
        git_object *head = nullptr;
        git_oid id;
        FIX_GIT(git_revparse_single(&head, m_repo, "HEAD^{commit}"));
        if (annotated) {
            git_signature *sig = nullptr;
            FIX_GIT(git_signature_new(&sig, "Folio Test", "test@folio.invalid", 1700000000, 0));
            FIX_GIT(git_tag_create(&id, m_repo, name, head, sig, "release", 0));
            git_signature_free(sig);
        } else {
            FIX_GIT(git_tag_create_lightweight(&id, m_repo, name, head, 0));
        }
        git_object_free(head);
    }
    void detach(const QString &commitHex)
    {
        git_oid id;
        FIX_GIT(git_oid_fromstr(&id, commitHex.toLatin1().constData()));
        FIX_GIT(git_repository_set_head_detached(m_repo, &id));
    }

private:
    QString m_dir;
    git_repository *m_repo = nullptr;
};

// Runs git (the CLI) in `dir`; returns stdout. Fails the test on a non-zero exit.
inline QByteArray git(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(QStringLiteral("git"),
            QStringList{"-c", "safe.directory=*", "-c", "protocol.file.allow=always"} + args);
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("git %s: %s", qPrintable(args.join(u' ')), p.readAllStandardError().constData());
        return QByteArray("<git failed>");
    }
    return p.readAllStandardOutput();
}

} // namespace fixture
