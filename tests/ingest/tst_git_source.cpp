// GitSource against repositories built here with libgit2: refs (branch, tags, commit id, detached
// and unborn HEAD), a file:// clone, working-tree mode, submodules, symlinks, LFS pointers,
// attributes, encodings, broken objects and paths that are not UTF-8. The central check: the paths
// included plus the paths skipped equal `git ls-tree -r` at that ref (the git CLI's answer), and
// every skip has a reason.
#include "git_fixture.h"
#include "ingest/git_source.h"
#include "ingest/ingest_run.h"
#include "progress_log.h"

#include <QDirIterator>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>

using namespace folio::ingest;

class TestGitSource : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_rich; // the repository with everything in it
    QString m_c1, m_c2, m_c3;
    QByteArray m_big;

    static SourceContents readRepo(const GitOptions &opt, const FilterOptions &f = {},
                                   OpenStatus *status = nullptr)
    {
        GitSource src(opt);
        SourceContents out;
        OpenStatus s = src.open();
        if (s.ok())
            s = src.read(FileFilter(f), &out);
        if (status)
            *status = s;
        else if (!s.ok())
            qWarning("%s", qPrintable(s.message));
        return out;
    }

    static QSet<QString> lsTree(const QString &dir, const QString &ref)
    {
        QSet<QString> paths;
        const QByteArray out = fixture::git(dir, {"ls-tree", "-r", "-z", "--name-only", ref});
        for (const QByteArray &p : out.split('\0'))
            if (!p.isEmpty())
                paths.insert(displayPath(p));
        return paths;
    }

    static const SkippedItem *skipOf(const SourceContents &c, const QString &path)
    {
        for (const SkippedItem &s : c.skipped)
            if (s.path == path)
                return &s;
        return nullptr;
    }
    static const SourceItem *itemOf(const SourceContents &c, const QString &path)
    {
        for (const SourceItem &s : c.items)
            if (s.path == path)
                return &s;
        return nullptr;
    }

private Q_SLOTS:
    void cleanupTestCase()
    {
        // git makes its object files read-only; make everything writable so the directory goes.
        QDirIterator it(m_tmp.path(),
                        QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot | QDir::System,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString p = it.next();
            if (!it.fileInfo().isSymLink())
                QFile::setPermissions(p, QFile::permissions(p) | QFileDevice::WriteOwner
                                             | QFileDevice::ExeOwner);
        }
        // Qt cannot name these files (not UTF-8), so QTemporaryDir could not remove them: the
        // fixture's and the one the shallow clone checked out.
        for (const char *dir : {"/rich", "/shallow", "/worktree"})
            ::unlink((QFile::encodeName(m_tmp.path()) + dir + "/bad\xff.txt").constData());
    }

    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_rich = m_tmp.filePath(QStringLiteral("rich"));
        fixture::Repo r;
        r.init(m_rich);
        r.write("README.md", "# Rich\n\nA test repository.\n");
        r.write("src/main.cpp", "int main()\n{\n    return 0;\n}\n");
        r.write("src/util.h", "#pragma once\nint util();\n");
        m_c1 = r.commit("first");
        r.tag("v1", false);
        r.write(".gitattributes", "*.dat binary\ngen/** linguist-generated\ndocs/*.txt -diff\n"
                                  "third_party/keep/** linguist-vendored=false\n");
        r.write("data/blob.bin", QByteArray("\x7f"
                                            "ELF\0\0\0\x01rest",
                                            12));
        r.write("data/table.dat", "a,b,c\n1,2,3\n");
        r.write("gen/parser.cpp", "// generated\n");
        r.write("docs/notes.txt", "notes\n");
        r.write("node_modules/pkg/index.js", "module.exports = 1;\n");
        r.write("third_party/lib/a.c", "int a;\n");
        r.write("third_party/keep/b.c", "int b;\n");
        r.write("package-lock.json", "{}\n");
        r.write("web/app.min.js", "var a=1;\n");
        r.write("assets/model.bin",
                "version https://git-lfs.github.com/spec/v1\n"
                "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                "size 12345\n");
        r.symlink("link", "src/main.cpp");
        m_big = QByteArray(1536 * 1024, 'x');
        r.write("big.txt", m_big);
        r.write("latin1.txt", "caf\xe9\n");
        r.write("utf16.txt", QByteArray("\xff\xfeh\0i\0\n\0", 8));
        r.write("bom.txt", "\xef\xbb\xbfwith bom\n");
        r.write(QByteArray("bad\xff.txt"), "not utf-8 name\n");
        r.gitlink("libs/dep", "0123456789abcdef0123456789abcdef01234567");
        m_c2 = r.commit("second");
        r.tag("v2", true);
        const QByteArray mainBranch = fixture::git(m_rich, {"symbolic-ref", "--short", "HEAD"})
                                          .trimmed();
        r.branch("feature");
        r.checkoutBranch("feature");
        r.write("src/feature.cpp", "void feature() {}\n");
        m_c3 = r.commit("feature work");
        r.checkoutBranch(mainBranch.constData());
    }

    // The manifest equals `git ls-tree -r` minus exactly the reported skips.
    void manifestEqualsLsTree_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QStringList>("include");
        QTest::addColumn<QStringList>("exclude");
        QTest::addColumn<int>("maxKb");
        QTest::newRow("HEAD (default branch)")
            << QString() << QStringList() << QStringList() << 1024;
        QTest::newRow("branch feature") << "feature" << QStringList() << QStringList() << 1024;
        QTest::newRow("lightweight tag v1") << "v1" << QStringList() << QStringList() << 1024;
        QTest::newRow("annotated tag v2") << "v2" << QStringList() << QStringList() << 1024;
        QTest::newRow("commit id") << m_c1 << QStringList() << QStringList() << 1024;
        QTest::newRow("revspec feature~1") << "feature~1" << QStringList() << QStringList() << 1024;
        QTest::newRow("--exclude *.md")
            << QString() << QStringList() << QStringList{"*.md"} << 1024;
        QTest::newRow("--include src/**")
            << QString() << QStringList{"src/**"} << QStringList() << 1024;
        QTest::newRow("--include overrides vendored")
            << QString() << QStringList{"node_modules/**", "*.cpp"} << QStringList() << 1024;
        QTest::newRow("--max-file-kb 0 (no cap)")
            << QString() << QStringList() << QStringList() << 0;
        QTest::newRow("--max-file-kb 1") << QString() << QStringList() << QStringList() << 1;
    }

    void manifestEqualsLsTree()
    {
        QFETCH(QString, ref);
        QFETCH(QStringList, include);
        QFETCH(QStringList, exclude);
        QFETCH(int, maxKb);
        GitOptions opt;
        opt.location = m_rich;
        opt.ref = ref;
        FilterOptions f;
        f.include = include;
        f.exclude = exclude;
        f.maxFileBytes = qint64(maxKb) * 1024;
        OpenStatus status;
        const SourceContents c = readRepo(opt, f, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QSet<QString> got;
        for (const SourceItem &i : c.items)
            QVERIFY2(!got.contains(i.path), qPrintable(i.path));
        for (const SourceItem &i : c.items)
            got.insert(i.path);
        for (const SkippedItem &s : c.skipped) {
            QVERIFY2(!got.contains(s.path), qPrintable("both included and skipped: " + s.path));
            QVERIFY2(!s.reason.isEmpty(), qPrintable(s.path));
            got.insert(s.path);
        }
        const QSet<QString> expected = lsTree(m_rich, ref.isEmpty() ? QStringLiteral("HEAD") : ref);
        QCOMPARE(qsizetype(c.items.size() + c.skipped.size()), expected.size());
        QCOMPARE(got, expected);
        QVERIFY(!c.items.isEmpty());
        QCOMPARE(c.revision,
                 QString::fromLatin1(
                     fixture::git(m_rich,
                                  {"rev-parse",
                                   (ref.isEmpty() ? QStringLiteral("HEAD") : ref) + "^{commit}"})
                         .trimmed()));
    }

    // Why each special file is skipped (or kept), at the commit with everything.
    void skipReasons_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("reasonPrefix"); // empty: included
        QTest::newRow("NUL bytes") << "data/blob.bin"
                                   << "binary: NUL";
        QTest::newRow("binary attribute") << "data/table.dat"
                                          << "binary: gitattributes binary";
        QTest::newRow("-diff attribute") << "docs/notes.txt"
                                         << "binary: gitattributes -diff";
        QTest::newRow("linguist-generated") << "gen/parser.cpp"
                                            << "generated: linguist-generated";
        QTest::newRow("node_modules") << "node_modules/pkg/index.js"
                                      << "vendored: node_modules/";
        QTest::newRow("third_party") << "third_party/lib/a.c"
                                     << "vendored: third_party/";
        QTest::newRow("linguist-vendored=false keeps") << "third_party/keep/b.c"
                                                       << "";
        QTest::newRow("lock file") << "package-lock.json"
                                   << "lock-file";
        QTest::newRow("minified") << "web/app.min.js"
                                  << "minified";
        QTest::newRow("LFS pointer") << "assets/model.bin"
                                     << "lfs-pointer";
        QTest::newRow("over the size cap") << "big.txt"
                                           << "too-large: 1.5 MiB > 1.0 MiB cap";
        QTest::newRow("path not UTF-8") << "bad\\xff.txt"
                                        << "bad-path";
        QTest::newRow("submodule not enabled")
            << "libs/dep"
            << "submodule: not read (use --submodules); gitlink 0123456789abcdef";
        QTest::newRow("plain source") << "src/main.cpp"
                                      << "";
    }

    void skipReasons()
    {
        QFETCH(QString, path);
        QFETCH(QString, reasonPrefix);
        GitOptions opt;
        opt.location = m_rich;
        opt.ref = QStringLiteral("v2");
        const SourceContents c = readRepo(opt);
        const SkippedItem *s = skipOf(c, path);
        if (reasonPrefix.isEmpty()) {
            QVERIFY2(!s, qPrintable(s ? s->reason : QString()));
            QVERIFY(itemOf(c, path));
        } else {
            QVERIFY2(s, qPrintable(path + " was not skipped"));
            QVERIFY2(s->reason.startsWith(reasonPrefix), qPrintable(s->reason));
        }
    }

    void encodingsAndLinks_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("Latin-1 fallback") << "latin1.txt"
                                          << "latin-1" << QByteArray("caf\xc3\xa9\n");
        QTest::newRow("UTF-16LE with BOM") << "utf16.txt"
                                           << "utf-16le" << QByteArray("hi\n");
        QTest::newRow("UTF-8 with BOM") << "bom.txt"
                                        << "utf-8-bom" << QByteArray("with bom\n");
        QTest::newRow("plain UTF-8") << "README.md"
                                     << "utf-8" << QByteArray("# Rich\n\nA test repository.\n");
    }

    void encodingsAndLinks()
    {
        QFETCH(QString, path);
        QFETCH(QString, encoding);
        QFETCH(QByteArray, text);
        GitOptions opt;
        opt.location = m_rich;
        const SourceContents c = readRepo(opt);
        const SourceItem *i = itemOf(c, path);
        QVERIFY(i);
        QCOMPARE(i->encoding, encoding);
        QCOMPARE(i->text, text);
        // The content id is git's blob id: the token cache key.
        QCOMPARE(QString::fromLatin1(i->contentId),
                 QString::fromLatin1(fixture::git(m_rich, {"rev-parse", "HEAD:" + path}).trimmed()));
    }

    void symlinkRecordedNotFollowed()
    {
        GitOptions opt;
        opt.location = m_rich;
        const SourceContents c = readRepo(opt);
        const SourceItem *i = itemOf(c, QStringLiteral("link"));
        QVERIFY(i);
        QCOMPARE(i->kind, ItemKind::Symlink);
        QCOMPARE(i->text, QByteArray("src/main.cpp"));
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("location");
        QTest::addColumn<QString>("ref");
        QTest::addColumn<int>("result");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("missing path")
            << m_tmp.filePath("nope") << QString() << int(OpenResult::NotFound) << "no such file";
        QTest::newRow("not a repository")
            << QDir::tempPath() + "/" << QString() << int(OpenResult::NotFound)
            << "not inside a git repository";
        QTest::newRow("unknown branch")
            << m_rich << "no-such-branch" << int(OpenResult::BadReference) << "no-such-branch";
        QTest::newRow("blob id as ref")
            << m_rich << "HEAD:README.md" << int(OpenResult::BadReference)
            << "does not name a commit";
        QTest::newRow("clone of a missing URL")
            << "file://" + m_tmp.filePath("missing-remote") << QString()
            << int(OpenResult::NotFound) << "cloning";
    }

    void badInput()
    {
        QFETCH(QString, location);
        QFETCH(QString, ref);
        QFETCH(int, result);
        QFETCH(QString, messagePart);
        if (location == QDir::tempPath() + "/" && QFileInfo::exists(QDir::tempPath() + "/.git"))
            QSKIP("the temp directory is inside a repository");
        GitOptions opt;
        opt.location = location;
        opt.ref = ref;
        opt.cacheDir = m_tmp.filePath("cache-bad");
        OpenStatus status;
        readRepo(opt, {}, &status);
        QCOMPARE(int(status.result), result);
        QVERIFY2(status.message.contains(messagePart), qPrintable(status.message));
    }

    void cloneFromFileUrl_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::newRow("default HEAD") << QString();
        QTest::newRow("remote branch feature") << "feature";
        QTest::newRow("tag v1") << "v1";
    }

    void cloneFromFileUrl()
    {
        QFETCH(QString, ref);
        GitOptions opt;
        opt.location = QStringLiteral("file://") + m_rich;
        opt.ref = ref;
        opt.cacheDir = m_tmp.filePath(QStringLiteral("cache"));
        OpenStatus status;
        SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        // Twice: the second run fetches into the existing clone.
        c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QSet<QString> got;
        for (const SourceItem &i : c.items)
            got.insert(i.path);
        for (const SkippedItem &s : c.skipped)
            got.insert(s.path);
        QCOMPARE(got, lsTree(m_rich, ref.isEmpty() ? QStringLiteral("HEAD") : ref));
        QVERIFY(QDir(opt.cacheDir).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size() == 1);
    }

    void unbornHead()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("unborn"));
        fixture::Repo r;
        r.init(dir);
        r.write("new.txt", "staged but never committed\n", false);
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QVERIFY(c.items.isEmpty());
        QVERIFY(c.notes.join(u' ').contains(QStringLiteral("unborn")));
        // Working-tree mode sees the untracked file.
        opt.worktree = true;
        c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QVERIFY(itemOf(c, QStringLiteral("new.txt")));
    }

    void detachedHead()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("detached"));
        fixture::Repo r;
        r.init(dir);
        r.write("a.txt", "one\n");
        const QString first = r.commit("one");
        r.write("b.txt", "two\n");
        r.commit("two");
        r.detach(first);
        GitOptions opt;
        opt.location = dir;
        const SourceContents c = readRepo(opt);
        QCOMPARE(c.revision, first);
        QCOMPARE(c.items.size(), 1);
        QVERIFY(c.notes.join(u' ').contains(QStringLiteral("detached")));
    }

    void worktreeMode()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("worktree"));
        fixture::Repo r;
        r.init(dir);
        r.write(".gitignore", "*.log\nbuild/\n");
        r.write("kept.txt", "committed\n");
        r.write("changed.txt", "old\n");
        r.write("deleted.txt", "bye\n");
        r.commit("base");
        r.write("changed.txt", "new content\n", false);
        QVERIFY(QFile::remove(dir + QStringLiteral("/deleted.txt")));
        r.write("untracked.txt", "fresh\n", false);
        r.write("debug.log", "ignored\n", false);
        r.write("build/out.txt", "ignored dir\n", false);
        r.write(QByteArray("bad\xff.txt"), "untracked, name not UTF-8\n", false);
        fixture::Repo nested; // an untracked repository inside the work tree
        nested.init(dir + QStringLiteral("/nested"));
        nested.write("inner.txt", "inner\n");
        GitOptions opt;
        opt.location = dir;
        opt.worktree = true;
        OpenStatus status;
        const SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QStringList paths;
        for (const SourceItem &i : c.items)
            paths << i.path;
        QCOMPARE(paths, (QStringList{".gitignore", "changed.txt", "kept.txt", "untracked.txt"}));
        QCOMPARE(itemOf(c, QStringLiteral("changed.txt"))->text, QByteArray("new content\n"));
        // A file on disk has the content id git gives the same bytes: an unchanged file's token
        // count is shared with the commit's blob.
        QCOMPARE(itemOf(c, QStringLiteral("kept.txt"))->contentId,
                 fixture::git(dir, {"rev-parse", "HEAD:kept.txt"}).trimmed());
        const SkippedItem *badName = skipOf(c, QStringLiteral("bad\\xff.txt"));
        QVERIFY(badName);
        QCOMPARE(badName->reason, QStringLiteral("bad-path: file name is not valid UTF-8"));
        {
            // Progress: one step per file of the work tree (included or skipped).
            GitSource src(opt);
            ProgressLog log;
            src.setProgressCallback(log.callback());
            SourceContents again;
            QVERIFY(src.open().ok());
            QVERIFY(src.read(FileFilter(FilterOptions()), &again).ok());
            QString why;
            QVERIFY2(log.finishedAt(again.items.size() + again.skipped.size(), &why),
                     qPrintable(why));
        }
        const SkippedItem *nestedSkip = skipOf(c, QStringLiteral("nested/"));
        QVERIFY(nestedSkip);
        QVERIFY(nestedSkip->reason.startsWith(QStringLiteral("nested-repository")));
        // Without --worktree the commit is read, not the disk.
        opt.worktree = false;
        const SourceContents committed = readRepo(opt);
        QCOMPARE(itemOf(committed, QStringLiteral("changed.txt"))->text, QByteArray("old\n"));
        QVERIFY(itemOf(committed, QStringLiteral("deleted.txt")));
    }

    void submodules()
    {
        const QString subDir = m_tmp.filePath(QStringLiteral("sub"));
        const QString superDir = m_tmp.filePath(QStringLiteral("super"));
        {
            fixture::Repo sub;
            sub.init(subDir);
            sub.write("lib.c", "int lib(void) { return 1; }\n");
            sub.write("include/lib.h", "int lib(void);\n");
            sub.commit("lib");
        }
        {
            fixture::Repo sup;
            sup.init(superDir);
            sup.write("app.c", "int main(void) { return 0; }\n");
            sup.commit("app");
        }
        const QStringList ident{"-c", "user.name=Folio Test", "-c", "user.email=test@folio.invalid"};
        QVERIFY(fixture::git(superDir,
                             ident + QStringList{"submodule", "add", "-q", subDir, "libs/sub"})
                != "<git failed>");
        QVERIFY(fixture::git(superDir, ident + QStringList{"commit", "-q", "-m", "add sub"})
                != "<git failed>");
        GitOptions opt;
        opt.location = superDir;
        SourceContents c = readRepo(opt);
        const SkippedItem *s = skipOf(c, QStringLiteral("libs/sub"));
        QVERIFY(s);
        QVERIFY(s->reason.startsWith(QStringLiteral("submodule: not read")));
        QVERIFY(!itemOf(c, QStringLiteral("libs/sub/lib.c")));
        opt.submodules = true;
        c = readRepo(opt);
        QVERIFY(!skipOf(c, QStringLiteral("libs/sub")));
        QVERIFY(itemOf(c, QStringLiteral("libs/sub/lib.c")));
        QVERIFY(itemOf(c, QStringLiteral("libs/sub/include/lib.h")));
        QVERIFY(itemOf(c, QStringLiteral(".gitmodules")));
    }

    void shallowClone()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("shallow"));
        QVERIFY(fixture::git(m_tmp.path(), {"clone", "-q", "--depth", "1", "file://" + m_rich, dir})
                != "<git failed>");
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        const SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QVERIFY(c.notes.join(u' ').contains(QStringLiteral("shallow")));
        QCOMPARE(c.revision, m_c2);
        QVERIFY(itemOf(c, QStringLiteral("src/main.cpp")));
    }

    void brokenObjectIsReportedNotFatal()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("broken"));
        fixture::Repo r;
        r.init(dir);
        r.write("good.txt", "fine\n");
        r.write("bad.txt", "this blob will be corrupted\n");
        r.commit("c");
        const QString id = QString::fromLatin1(
            fixture::git(dir, {"rev-parse", "HEAD:bad.txt"}).trimmed());
        const QString object = dir + "/.git/objects/" + id.left(2) + "/" + id.mid(2);
        QFile::setPermissions(object, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QFile f(object);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("garbage, not zlib");
        f.close();
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        const SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QVERIFY(itemOf(c, QStringLiteral("good.txt")));
        const SkippedItem *s = skipOf(c, QStringLiteral("bad.txt"));
        QVERIFY(s);
        QVERIFY2(s->reason.startsWith(QStringLiteral("unreadable")), qPrintable(s->reason));
    }

    // A blob whose object file is gone and a .gitattributes whose object is garbage: both are
    // reported as unreadable, every other file is read, and the attributes of the broken file
    // simply do not apply (the rest of the tree is not lost).
    void missingObjectAndBrokenAttributes()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("missing"));
        fixture::Repo r;
        r.init(dir);
        r.write(".gitattributes", "*.gen linguist-generated\n");
        r.write("keep.txt", "fine\n");
        r.write("x.gen", "generated, but the attributes file is broken\n");
        r.write("gone.txt", "this blob will be deleted\n");
        r.commit("c");
        auto objectFile = [&](const char *path) {
            const QString id = QString::fromLatin1(
                fixture::git(dir, {"rev-parse", QStringLiteral("HEAD:") + path}).trimmed());
            return dir + "/.git/objects/" + id.left(2) + "/" + id.mid(2);
        };
        QVERIFY(QFile::remove(objectFile("gone.txt")));
        const QString attributes = objectFile(".gitattributes");
        QFile::setPermissions(attributes, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QFile f(attributes);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("not zlib at all");
        f.close();
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        const SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QVERIFY(itemOf(c, QStringLiteral("keep.txt")));
        QVERIFY(itemOf(c, QStringLiteral("x.gen")));
        for (const char *p : {"gone.txt", ".gitattributes"}) {
            const SkippedItem *s = skipOf(c, QString::fromLatin1(p));
            QVERIFY2(s, p);
            QVERIFY2(s->reason.startsWith(QStringLiteral("unreadable")), qPrintable(s->reason));
        }
        QCOMPARE(c.items.size() + c.skipped.size(), 4);
    }

    // A 100 MB single-line blob: skipped by the size cap from the object header alone; with the
    // cap off it is read whole, as one line.
    void hundredMegabyteSingleLineBlob()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("huge"));
        fixture::Repo r;
        r.init(dir);
        r.write("small.txt", "small\n");
        r.write("huge.txt", QByteArray(100 << 20, 'x'));
        r.commit("huge");
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        const SkippedItem *s = skipOf(c, QStringLiteral("huge.txt"));
        QVERIFY(s);
        QCOMPARE(s->reason, QStringLiteral("too-large: 100.0 MiB > 1.0 MiB cap"));
        FilterOptions noCap;
        noCap.maxFileBytes = 0;
        c = readRepo(opt, noCap, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        const SourceItem *huge = itemOf(c, QStringLiteral("huge.txt"));
        QVERIFY(huge);
        QCOMPARE(huge->bytes, qint64(100) << 20);
        QCOMPARE(huge->text.size(), qsizetype(100) << 20);
        QVERIFY(!huge->text.contains('\n'));
    }

    // Enough files for the parallel blob reading (one repository handle per thread): the same
    // ls-tree equality, attributes applied on every thread, contents intact.
    void manyFilesParallel()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("many"));
        fixture::Repo r;
        r.init(dir);
        r.write(".gitattributes", "gen/** linguist-generated\n");
        for (int i = 0; i < 400; ++i) {
            const QByteArray name = (i % 4 == 0 ? "gen/g" : "src/f") + QByteArray::number(i) + ".c";
            r.write(name, "int v" + QByteArray::number(i) + " = " + QByteArray::number(i) + ";\n");
        }
        r.commit("many");
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        const SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QCOMPARE(c.items.size(), 301); // 300 sources + .gitattributes
        QCOMPARE(c.skipped.size(), 100);
        for (const SkippedItem &s : c.skipped)
            QCOMPARE(s.reason, QStringLiteral("generated: linguist-generated"));
        QSet<QString> got;
        for (const SourceItem &i : c.items) {
            got.insert(i.path);
            if (i.path.startsWith(QStringLiteral("src/f"))) {
                const QString n = i.path.mid(5).chopped(2);
                QCOMPARE(i.text, "int v" + n.toUtf8() + " = " + n.toUtf8() + ";\n");
            }
        }
        for (const SkippedItem &s : c.skipped)
            got.insert(s.path);
        QCOMPARE(got, lsTree(dir, QStringLiteral("HEAD")));

        // Progress from the reading threads, through an IngestRequest: serialised, in order,
        // ending at every path of the tree.
        IngestRequest req;
        req.kind = IngestRequest::Kind::Repository;
        req.git = opt;
        ProgressLog log;
        const ProgressCallback record = log.callback();
        int sourceSeen = -1;
        req.progress = [&](int source, qint64 done, qint64 total) {
            sourceSeen = source;
            record(done, total);
        };
        const IngestOutcome outcome = runIngest(req);
        QVERIFY(outcome.status.ok());
        QCOMPARE(sourceSeen, 0);
        QString why;
        QVERIFY2(log.finishedAt(401, &why), qPrintable(why));
        QVERIFY(log.calls.size() >= 401);
    }

    // A packed repository (as every clone is) with bytes flipped at random in its pack: each read
    // either succeeds with every path of the tree accounted for (damaged blobs skipped as
    // unreadable, what is read intact) or fails with a clear Damaged/BadReference result; never a
    // crash or a hang.
    void corruptedPackNeverCrashes()
    {
        const QString dir = m_tmp.filePath(QStringLiteral("packed"));
        fixture::Repo r;
        r.init(dir);
        QHash<QString, QByteArray> contents;
        for (int i = 0; i < 40; ++i) {
            QByteArray content;
            for (int line = 0; line < 20 + i; ++line)
                content += "file " + QByteArray::number(i) + " line " + QByteArray::number(line)
                           + " some text to compress\n";
            const QByteArray path = "dir" + QByteArray::number(i % 5) + "/f" + QByteArray::number(i)
                                    + ".txt";
            r.write(path, content);
            contents.insert(QString::fromLatin1(path), content);
        }
        r.commit("packed");
        fixture::git(dir, {"repack", "-a", "-d", "-q"});
        QDir packDir(dir + QStringLiteral("/.git/objects/pack"));
        const QStringList packs = packDir.entryList({QStringLiteral("*.pack")});
        QCOMPARE(packs.size(), 1);
        const QString packPath = packDir.filePath(packs.first());
        QFile::setPermissions(packPath, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QFile in(packPath);
        QVERIFY(in.open(QIODevice::ReadOnly));
        const QByteArray good = in.readAll();
        in.close();
        QVERIFY(good.size() > 64);
        const int paths = int(lsTree(dir, QStringLiteral("HEAD")).size());
        QCOMPARE(paths, 40);
        QRandomGenerator rng{2026u};
        int readable = 0, failed = 0, unreadableFiles = 0;
        for (int round = 0; round < 40; ++round) {
            QByteArray bad = good;
            // Leave the 12-byte header and the trailing checksum: damage the objects themselves.
            for (int k = 0, flips = 1 + int(rng.bounded(4)); k < flips; ++k)
                bad[12 + int(rng.bounded(int(bad.size()) - 32))] ^= char(1 + rng.bounded(255));
            QFile out(packPath);
            QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
            QCOMPARE(out.write(bad), qint64(bad.size()));
            out.close();
            GitOptions opt;
            opt.location = dir;
            OpenStatus status;
            const SourceContents c = readRepo(opt, {}, &status);
            if (status.ok()) {
                ++readable;
                QCOMPARE(int(c.items.size() + c.skipped.size()), paths);
                // What is read is what was committed: damage is detected (zlib's checksum), not
                // passed on as text (objects are not re-hashed on read, see git_handles.h).
                for (const SourceItem &item : c.items)
                    QVERIFY2(item.text == contents.value(item.path), qPrintable(item.path));
                // A damaged object header can also claim a size over the cap (the header is all
                // the size check reads): skipped as too large, which is still a reported skip.
                for (const SkippedItem &s : c.skipped) {
                    QVERIFY2(s.reason.startsWith(QStringLiteral("unreadable"))
                                 || s.reason.startsWith(QStringLiteral("too-large")),
                             qPrintable(s.reason));
                    ++unreadableFiles;
                }
            } else {
                ++failed;
                QVERIFY2(status.result == OpenResult::Damaged
                             || status.result == OpenResult::BadReference,
                         qPrintable(status.message));
                QVERIFY(!status.message.isEmpty());
            }
        }
        qInfo("corrupted packs: %d read (%d files unreadable), %d refused", readable,
              unreadableFiles, failed);
        QVERIFY(unreadableFiles + failed > 0); // the damage was noticed somewhere
    }

    // A real repository: Folio's own checkout, when the tests run inside one.
    void realRepositorySnapshot()
    {
        const QString dir = QStringLiteral(FOLIO_SOURCE_DIR);
        if (!QFileInfo::exists(dir + QStringLiteral("/.git")))
            QSKIP("the source tree is not a git checkout");
        GitOptions opt;
        opt.location = dir;
        OpenStatus status;
        const SourceContents c = readRepo(opt, {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        QSet<QString> got;
        for (const SourceItem &i : c.items)
            got.insert(i.path);
        for (const SkippedItem &s : c.skipped)
            got.insert(s.path);
        QCOMPARE(got, lsTree(dir, c.revision));
        QVERIFY(itemOf(c, QStringLiteral("CMakeLists.txt")));
    }
};

QTEST_GUILESS_MAIN(TestGitSource)
#include "tst_git_source.moc"
