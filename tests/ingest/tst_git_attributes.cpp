// GitAttributes (the in-memory gitattributes evaluator GitSource uses for a commit's tree): git's
// wildmatch cases, priority and macro rules, and a cross-check against git's own answer
// (`git check-attr`) for every path of a repository built here with attributes files at the
// root, in subdirectories, in info/attributes and in the global file, plus GitSource's skip reasons
// on that repository.
#include "git_fixture.h"
#include "ingest/git_attributes.h"
#include "ingest/git_source.h"

#include <QTemporaryDir>

using namespace folio::ingest;

namespace {

// The attribute files of the cross-check repository. Every line is there for a rule: macros,
// built-in `binary`, `!attr`, values, `**`, anchoring, classes, a directory-only pattern, a negative
// pattern, a quoted pattern, a macro defined below the root (ignored), overrides by depth.
const char *kRoot = "[attr]gen linguist-generated -diff\n"
                    "[attr]thirdparty linguist-vendored gen\n"
                    "# a comment\n"
                    "*.bin binary\n"
                    "*.png -diff\n"
                    "*.c diff=cpp\n"
                    "docs/**/*.md linguist-generated\n"
                    "/top.txt linguist-vendored\n"
                    "gen/** gen\n"
                    "vendor-like/* thirdparty\n"
                    "*.keep binary\n"
                    "*.keep !binary diff\n"
                    "a?c.txt linguist-generated=true\n"
                    "[ab]*.dat linguist-vendored=false\n"
                    "[!ab]*.dat linguist-vendored=1\n"
                    "**/deep/*.x linguist-generated\n"
                    "build/ linguist-generated\n"
                    "!neg.txt binary\n"
                    "\"quoted name.txt\" binary\n"
                    "*.txt -linguist-vendored\n"
                    "x/**/y.txt linguist-vendored\n"
                    "crlf.txt linguist-generated\r\n"
                    "un*.set -binary\n"
                    "*.mix diff binary\n"
                    "*.mix2 binary diff\n"
                    "*.ws\tlinguist-vendored   linguist-generated=false\n";
const char *kSub = "*.txt linguist-vendored\n"
                   "[attr]local binary\n"
                   "*.loc local\n"
                   "*.bin !binary\n"
                   "nested/*.c linguist-generated=1\n"
                   "/anchored.md linguist-generated\n";
const char *kDeeper = "*.txt -linguist-vendored\n*.bin -diff\n";
const char *kInfo = "info-wins.txt linguist-generated=false\n*.info binary\n";
const char *kGlobal = "*.glob linguist-vendored\n*.txt linguist-generated\ninfo-wins.txt gen\n";

const QList<QByteArray> kPaths = {"top.txt",
                                  "sub/top.txt",
                                  "a.bin",
                                  "x.png",
                                  "main.c",
                                  "docs/a/b/readme.md",
                                  "docs/readme.md",
                                  "gen/x/y.js",
                                  "gen/z",
                                  "vendor-like/z.py",
                                  "vendor-like/deep/z.py",
                                  "f.keep",
                                  "abc.txt",
                                  "a/abc.txt",
                                  "axxc.txt",
                                  "b1.dat",
                                  "c.dat",
                                  "q/deep/m.x",
                                  "deep/m.x",
                                  "build/out.txt",
                                  "neg.txt",
                                  "quoted name.txt",
                                  "sub/a.txt",
                                  "sub/deeper/b.txt",
                                  "sub/deeper/c.bin",
                                  "sub/x.bin",
                                  "sub/x.loc",
                                  "sub/nested/m.c",
                                  "sub/other/nested/m.c",
                                  "sub/anchored.md",
                                  "sub/x/anchored.md",
                                  "info-wins.txt",
                                  "z.info",
                                  "g.glob",
                                  "sub/g.glob",
                                  "x/y.txt",
                                  "x/a/b/y.txt",
                                  "README",
                                  "crlf.txt",
                                  "un1.set",
                                  "m.mix",
                                  "m.mix2",
                                  "sp.ws",
                                  "plain/file.cpp"};

PathAttributes::State stateOfGit(const QByteArray &info)
{
    if (info == "set" || info == "true" || info == "1")
        return PathAttributes::True;
    if (info == "unset" || info == "false" || info == "0")
        return PathAttributes::False;
    return PathAttributes::Unspecified;
}

// `git check-attr --cached` (the index, equal to HEAD in the fixture; plus info/attributes and
// the global file), or without --cached (the files on disk, the index where the disk has none):
// git's own answer for every path.
QHash<QByteArray, PathAttributes> gitCheckAttr(const QString &repo,
                                               const QList<QByteArray> &paths = kPaths,
                                               bool cached = true)
{
    QStringList args{"check-attr",        "-z", "binary", "diff", "linguist-generated",
                     "linguist-vendored", "--"};
    if (cached)
        args.insert(1, QStringLiteral("--cached"));
    for (const QByteArray &p : paths)
        args << QString::fromUtf8(p);
    const QList<QByteArray> fields = fixture::git(repo, args).split('\0');
    QHash<QByteArray, PathAttributes> result;
    for (qsizetype i = 0; i + 2 < fields.size(); i += 3) {
        PathAttributes &a = result[fields[i]];
        const PathAttributes::State st = stateOfGit(fields[i + 2]);
        if (fields[i + 1] == "binary")
            a.binary = st;
        else if (fields[i + 1] == "diff")
            a.diff = st;
        else if (fields[i + 1] == "linguist-generated")
            a.generated = st;
        else if (fields[i + 1] == "linguist-vendored")
            a.vendored = st;
    }
    return result;
}

QString describe(const PathAttributes &a)
{
    return QStringLiteral("binary=%1 diff=%2 generated=%3 vendored=%4")
        .arg(int(a.binary))
        .arg(int(a.diff))
        .arg(int(a.generated))
        .arg(int(a.vendored));
}

} // namespace

class TestGitAttributes : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_repo;

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // libgit2 and GitSource read the global attributes file from here (set before any
        // git_libgit2_init in this process).
        const QString xdg = m_tmp.filePath(QStringLiteral("xdg"));
        QDir().mkpath(xdg + QStringLiteral("/git"));
        QFile g(xdg + QStringLiteral("/git/attributes"));
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(kGlobal);
        g.close();
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(xdg));
        qputenv("HOME", QFile::encodeName(m_tmp.filePath(QStringLiteral("home"))));

        m_repo = m_tmp.filePath(QStringLiteral("repo"));
        fixture::Repo r;
        r.init(m_repo);
        r.write(".gitattributes", kRoot);
        r.write("sub/.gitattributes", kSub);
        r.write("sub/deeper/.gitattributes", kDeeper);
        for (const QByteArray &p : kPaths)
            r.write(p, "content of " + p + "\n");
        r.commit("attributes");
        QDir().mkpath(m_repo + QStringLiteral("/.git/info"));
        QFile info(m_repo + QStringLiteral("/.git/info/attributes"));
        QVERIFY(info.open(QIODevice::WriteOnly));
        info.write(kInfo);
    }

    void wildmatch_data()
    {
        QTest::addColumn<QByteArray>("pattern");
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("match");
        const struct
        {
            const char *p, *t;
            bool m;
        } cases[] = {{"foo", "foo", true},
                     {"foo", "foobar", false},
                     {"fo?", "foo", true},
                     {"?", "/", false},
                     {"*", "foo/bar", false},
                     {"**", "foo/bar", true},
                     {"**/foo", "foo", true},
                     {"**/foo", "a/b/foo", true},
                     {"**/foo", "a/b/xfoo", false},
                     {"a/**/b", "a/b", true},
                     {"a/**/b", "a/x/y/b", true},
                     {"a/**/b", "ab", false},
                     {"a/**", "a/x/y", true},
                     {"a**b", "axb", true},
                     {"a**b", "a/b", false},
                     {"*.c", "x.c", true},
                     {"*/*.c", "a/b.c", true},
                     {"*/*.c", "a/b/c.c", false},
                     {"foo*", "foobar/baz", false},
                     {"[a-c]x", "bx", true},
                     {"[!a-c]x", "dx", true},
                     {"[!a-c]x", "ax", false},
                     {"[^a-c]x", "ax", false},
                     {"[[:digit:]]z", "5z", true},
                     {"[[:digit:]]z", "xz", false},
                     {"[]a]", "]", true},
                     {"a[/]b", "a/b", false},
                     {"\\*", "*", true},
                     {"\\*", "x", false},
                     {"[", "[", true},
                     {"a*", "a", true},
                     {"*a*b*", "xaybz", true}};
        for (const auto &c : cases)
            QTest::newRow(QByteArray(c.p).append(" ~ ").append(c.t).constData())
                << QByteArray(c.p) << QByteArray(c.t) << c.m;
    }
    void wildmatch()
    {
        QFETCH(QByteArray, pattern);
        QFETCH(QByteArray, text);
        QFETCH(bool, match);
        QCOMPARE(gitWildmatch(pattern, text), match);
    }

    void priorityAndMacros()
    {
        GitAttributes a;
        a.addGlobal("*.txt linguist-generated linguist-vendored\n");
        a.addTreeFile("", "[attr]mine binary linguist-vendored\n*.txt -linguist-generated\n"
                          "*.m mine\n*.u -mine\n*.v !linguist-vendored\n");
        a.addTreeFile("d/", "*.txt linguist-generated=false\n[attr]sub binary\n*.s sub\n");
        a.addInfo("d/x.txt linguist-generated\n");
        a.prepare();
        QVERIFY(!a.empty());
        // The root's -linguist-generated beats the global file; the global vendored stays.
        PathAttributes r = a.lookup("r.txt");
        QCOMPARE(r.generated, PathAttributes::False);
        QCOMPARE(r.vendored, PathAttributes::True);
        // info/attributes beats every tree file.
        QCOMPARE(a.lookup("d/x.txt").generated, PathAttributes::True);
        QCOMPARE(a.lookup("d/y.txt").generated, PathAttributes::False);
        // A set macro expands (user macro → built-in binary → -diff); an unset one does not.
        r = a.lookup("f.m");
        QCOMPARE(r.binary, PathAttributes::True);
        QCOMPARE(r.diff, PathAttributes::False);
        QCOMPARE(r.vendored, PathAttributes::True);
        r = a.lookup("f.u");
        QCOMPARE(r.binary, PathAttributes::Unspecified);
        QCOMPARE(r.diff, PathAttributes::Unspecified);
        // Macros below the root are ignored.
        QCOMPARE(a.lookup("d/f.s").binary, PathAttributes::Unspecified);
        // !attr makes it unspecified and stops lower-priority rules.
        QCOMPARE(a.lookup("f.v").vendored, PathAttributes::Unspecified);
        // No rules at all: empty, everything unspecified.
        GitAttributes none;
        none.addTreeFile("", "*.c whitespace=trail\n*.sh eol=lf text\n[attr]x -text\n");
        none.prepare();
        QVERIFY(none.empty());
        QCOMPARE(none.lookup("a.c").diff, PathAttributes::Unspecified);
    }

    // Garbage in attributes files never crashes and never hangs (random bytes, long patterns).
    void fuzzParsing()
    {
        quint32 seed = 12345;
        auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
        const QByteArray alphabet("ab*?[]!^-\\/=\"#:. \t\n\rxyz");
        for (int round = 0; round < 300; ++round) {
            QByteArray content;
            const int n = int(next() % 400);
            for (int i = 0; i < n; ++i)
                content += alphabet[int(next() % quint32(alphabet.size()))];
            GitAttributes a;
            a.addTreeFile("", content);
            a.addTreeFile("a/", content);
            a.prepare();
            QByteArray path;
            for (int i = 0, len = int(next() % 30); i < len; ++i)
                path += alphabet[int(next() % 13)];
            (void) a.lookup(QByteArray("a/") + path);
            (void) gitWildmatch(content.left(40), path);
        }
        // A pathological pattern for backtracking stays fast enough to finish.
        QVERIFY(!gitWildmatch("*a*a*a*a*a*a*a*b", QByteArray(40, 'a')));
    }

    // Every path: GitAttributes built from the same files == git's own answer. (libgit2 1.5, which
    // GitSource used before, differs from git on negative patterns: it applies `!neg.txt binary`
    // to every other path, git ignores the line.)
    void sameAsGit()
    {
        GitAttributes mine;
        mine.addGlobal(kGlobal);
        mine.addTreeFile("", kRoot);
        mine.addTreeFile("sub/", kSub);
        mine.addTreeFile("sub/deeper/", kDeeper);
        mine.addInfo(kInfo);
        mine.prepare();
        const QHash<QByteArray, PathAttributes> git = gitCheckAttr(m_repo);
        QCOMPARE(git.size(), kPaths.size());
        QStringList mismatches;
        for (const QByteArray &p : kPaths) {
            const PathAttributes ours = mine.lookup(p);
            if (describe(ours) != describe(git.value(p)))
                mismatches << QStringLiteral("%1: ours %2, git %3")
                                  .arg(QString::fromUtf8(p), describe(ours), describe(git.value(p)));
        }
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join(u'\n')));
        // A few answers spelled out, so that a broken git could not make this pass vacuously.
        QCOMPARE(git.value("a.bin").binary, PathAttributes::True);
        QCOMPARE(git.value("sub/a.txt").vendored, PathAttributes::True);
        QCOMPARE(git.value("sub/deeper/b.txt").vendored, PathAttributes::False);
        QCOMPARE(git.value("main.c").binary, PathAttributes::Unspecified);
    }

    // GitSource reads the same files from the commit (and info/, and the global file) and reports
    // the attribute reasons the filters give for those attributes.
    void gitSourceUsesThem()
    {
        GitOptions opt;
        opt.location = m_repo;
        GitSource src(opt);
        QVERIFY(src.open().ok());
        SourceContents c;
        QVERIFY(src.read(FileFilter(), &c).ok());
        auto reasonOf = [&](const QString &path) {
            for (const SkippedItem &sk : c.skipped)
                if (sk.path == path)
                    return sk.reason;
            return QString();
        };
        const QHash<QByteArray, PathAttributes> git = gitCheckAttr(m_repo);
        const FileFilter filter;
        int attributeSkips = 0;
        for (const QByteArray &p : kPaths) {
            const QString path = QString::fromUtf8(p);
            const QString expected = filter.skipByPath(path, git.value(p));
            QCOMPARE(reasonOf(path), expected);
            attributeSkips += expected.isEmpty() ? 0 : 1;
        }
        QVERIFY(attributeSkips >= 10);
        QCOMPARE(reasonOf("a.bin"), QStringLiteral("binary: gitattributes binary"));
        QCOMPARE(reasonOf("z.info"), QStringLiteral("binary: gitattributes binary"));
        QCOMPARE(reasonOf("x.png"), QStringLiteral("binary: gitattributes -diff"));
        QCOMPARE(reasonOf("g.glob"), QStringLiteral("vendored: linguist-vendored"));
    }

    // Working-tree mode (runs last: it changes the work tree): the attributes files on disk win
    // over the index, a .gitattributes deleted from the disk still counts from the index, and an
    // untracked directory's own file applies to its files; every path's reason as git's answer.
    void worktreeAsGit()
    {
        QFile root(m_repo + QStringLiteral("/.gitattributes"));
        QVERIFY(root.open(QIODevice::WriteOnly));
        root.write(QByteArray(kRoot) + "plain/*.cpp linguist-generated\n*.png diff\n");
        root.close();
        QVERIFY(QFile::remove(m_repo + QStringLiteral("/sub/deeper/.gitattributes")));
        QDir().mkpath(m_repo + QStringLiteral("/newdir"));
        const QList<QPair<const char *, const char *>> untracked = {{"newdir/.gitattributes",
                                                                     "*.txt binary\n"},
                                                                    {"newdir/a.txt", "a\n"},
                                                                    {"newdir/b.c", "int b;\n"}};
        for (const auto &[name, content] : untracked) {
            QFile f(m_repo + u'/' + QString::fromUtf8(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
        }
        QList<QByteArray> paths = kPaths;
        paths << "newdir/a.txt"
              << "newdir/b.c";
        const QHash<QByteArray, PathAttributes> git = gitCheckAttr(m_repo, paths, false);
        QCOMPARE(git.size(), paths.size());
        // The changes matter to git, so that this cannot pass by reading the index alone.
        QCOMPARE(git.value("plain/file.cpp").generated, PathAttributes::True);
        QCOMPARE(git.value("x.png").diff, PathAttributes::True);
        QCOMPARE(git.value("sub/deeper/c.bin").diff, PathAttributes::False);
        QCOMPARE(git.value("newdir/a.txt").binary, PathAttributes::True);

        GitOptions opt;
        opt.location = m_repo;
        opt.worktree = true;
        GitSource src(opt);
        QVERIFY(src.open().ok());
        SourceContents c;
        QVERIFY(src.read(FileFilter(), &c).ok());
        QHash<QString, QString> reasons;
        for (const SkippedItem &sk : c.skipped)
            reasons.insert(sk.path, sk.reason);
        const FileFilter filter;
        QStringList mismatches;
        for (const QByteArray &p : paths) {
            const QString path = QString::fromUtf8(p);
            const QString expected = filter.skipByPath(path, git.value(p));
            if (reasons.value(path) != expected)
                mismatches << QStringLiteral("%1: ours '%2', git's attributes give '%3'")
                                  .arg(path, reasons.value(path), expected);
        }
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join(u'\n')));
        QCOMPARE(reasons.value("newdir/a.txt"), QStringLiteral("binary: gitattributes binary"));
    }
};

QTEST_GUILESS_MAIN(TestGitAttributes)
#include "tst_git_attributes.moc"
