// TextSource: plain folders (filters, symlinks not followed, a .git directory skipped, special
// files, names that are not UTF-8), text and Markdown files dropped directly, and a 100 MB
// single-line file generated here (skipped by the cap; read and packed when the cap allows it).
#include "progress_log.h"
#include "word_counter.h"

#include "ingest/ingest_run.h"
#include "ingest/packer.h"
#include "ingest/text_source.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace folio::ingest;

class TestTextSource : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;

    void write(const QString &rel, const QByteArray &bytes)
    {
        const QString path = m_tmp.filePath(rel);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    }

    static SourceContents read(const QString &path, const FilterOptions &f = {},
                               OpenStatus *status = nullptr)
    {
        TextSource src(path);
        SourceContents out;
        OpenStatus s = src.open();
        if (s.ok())
            s = src.read(FileFilter(f), &out);
        if (status)
            *status = s;
        return out;
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
        // Qt cannot name this file, so QTemporaryDir could not remove it.
        ::unlink((QFile::encodeName(m_tmp.path())
                  + "/bad\xff"
                    "name.txt")
                     .constData());
    }

    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        write("docs/notes.md", "# Notes\n\nPlain Markdown.\n");
        write("docs/readme.txt", "Plain text.\n");
        write("src/a.py", "print('a')\n");
        write("node_modules/x/index.js", "module.exports = 0;\n");
        write("bin/tool", QByteArray("\x7f"
                                     "ELF\0\0",
                                     6));
        write(".git/HEAD", "ref: refs/heads/main\n");
        write(".git/objects/ab/cdef", "x");
        write("latin1.txt", "na\xefve\n");
        QVERIFY(QFile::link(QStringLiteral("src/a.py"), m_tmp.filePath("link-to-a")));
        QVERIFY(QFile::link(QStringLiteral("/etc"), m_tmp.filePath("link-outside")));
        QVERIFY(::mkfifo(QFile::encodeName(m_tmp.filePath("pipe")).constData(), 0600) == 0);
        const QByteArray badName = QFile::encodeName(m_tmp.path())
                                   + "/bad\xff"
                                     "name.txt";
        const int fd = ::open(badName.constData(), O_WRONLY | O_CREAT, 0644);
        QVERIFY(fd >= 0);
        ::close(fd);
    }

    void folder_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("reasonPrefix"); // empty: included
        QTest::newRow("Markdown") << "docs/notes.md"
                                  << "";
        QTest::newRow("text") << "docs/readme.txt"
                              << "";
        QTest::newRow("code") << "src/a.py"
                              << "";
        QTest::newRow("Latin-1 text") << "latin1.txt"
                                      << "";
        QTest::newRow("symlink inside") << "link-to-a"
                                        << "";
        QTest::newRow("symlink outside, not followed") << "link-outside"
                                                       << "";
        QTest::newRow("vendored") << "node_modules/x/index.js"
                                  << "vendored: node_modules/";
        QTest::newRow("binary") << "bin/tool"
                                << "binary: NUL";
        QTest::newRow("git directory") << ".git/"
                                       << "vcs-metadata";
        QTest::newRow("named pipe") << "pipe"
                                    << "special-file";
    }

    void folder()
    {
        QFETCH(QString, path);
        QFETCH(QString, reasonPrefix);
        OpenStatus status;
        const SourceContents c = read(m_tmp.path(), {}, &status);
        QVERIFY2(status.ok(), qPrintable(status.message));
        if (reasonPrefix.isEmpty()) {
            QVERIFY2(itemOf(c, path), qPrintable(path));
        } else {
            const SkippedItem *s = skipOf(c, path);
            QVERIFY2(s, qPrintable(path));
            QVERIFY2(s->reason.startsWith(reasonPrefix), qPrintable(s->reason));
        }
    }

    void folderDetails()
    {
        const SourceContents c = read(m_tmp.path());
        QCOMPARE(itemOf(c, "link-outside")->kind, ItemKind::Symlink);
        QCOMPARE(itemOf(c, "link-outside")->text, QByteArray("/etc"));
        QCOMPARE(itemOf(c, "latin1.txt")->text, QByteArray("na\xc3\xafve\n"));
        // Nothing from inside .git, and nothing from /etc.
        for (const SourceItem &i : c.items) {
            QVERIFY2(!i.path.startsWith(QStringLiteral(".git")), qPrintable(i.path));
            QVERIFY2(!i.path.contains(QStringLiteral("passwd")), qPrintable(i.path));
        }
        // The name that is not UTF-8 is reported, not dropped silently and not a crash.
        const SkippedItem *bad = skipOf(c, QStringLiteral("bad\\xffname.txt"));
        QVERIFY(bad);
        QCOMPARE(bad->reason, QStringLiteral("bad-path: file name is not valid UTF-8"));
        // Sorted.
        for (qsizetype i = 1; i < c.items.size(); ++i)
            QVERIFY(c.items[i - 1].path < c.items[i].path);
    }

    // Progress: the total is known once the folder is listed; it ends at every entry reported.
    void folderProgress()
    {
        TextSource src(m_tmp.path());
        ProgressLog log;
        src.setProgressCallback(log.callback());
        SourceContents c;
        QVERIFY(src.open().ok());
        QVERIFY(src.read(FileFilter(FilterOptions()), &c).ok());
        QString why;
        QVERIFY2(log.finishedAt(c.items.size() + c.skipped.size(), &why), qPrintable(why));
        // The total does not change once reading starts: every call after the first has it.
        for (const auto &call : log.calls)
            QCOMPARE(call.second, log.calls.back().second);
    }

    void droppedFile()
    {
        OpenStatus status;
        const SourceContents c = read(m_tmp.filePath("docs/notes.md"), {}, &status);
        QVERIFY(status.ok());
        QCOMPARE(c.items.size(), 1);
        QCOMPARE(c.items[0].path, QStringLiteral("notes.md"));
        read(m_tmp.filePath("missing.md"), {}, &status);
        QCOMPARE(status.result, OpenResult::NotFound);
        read(m_tmp.filePath("pipe"), {}, &status);
        QCOMPARE(status.result, OpenResult::Unsupported);
    }

    // A 100 MB file on one line: skipped by the default cap without being read; with the cap
    // lifted it is read, decoded and packed in one piece — quickly, without a hang.
    void hundredMegabyteSingleLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("huge.txt"));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QByteArray block(1 << 20, 'x');
            for (int i = 0; i < 100; ++i)
                QCOMPARE(f.write(block), qint64(block.size()));
        }
        QElapsedTimer timer;
        timer.start();
        SourceContents c = read(dir.path());
        QCOMPARE(c.items.size(), 0);
        QCOMPARE(c.skipped.size(), 1);
        QCOMPARE(c.skipped[0].reason, QStringLiteral("too-large: 100.0 MiB > 1.0 MiB cap"));
        qInfo("skipped by size in %lld ms", qint64(timer.elapsed()));
        FilterOptions f;
        f.maxFileBytes = 0;
        c = read(dir.path(), f);
        QCOMPARE(c.items.size(), 1);
        QCOMPARE(c.items[0].bytes, qint64(100) << 20);
        fixture::WordCounter counter;
        const PackResult r = Packer(counter).pack({c}, {});
        // Cut into 1 MiB pieces (PackOptions::maxPieceLineBytes), each counted on its own: one
        // word per piece, plus the added final newline; every span names line 1.
        QCOMPARE(r.contentTokens, qint64(101));
        QCOMPARE(r.spans.size(), size_t(100));
        for (const Span &s : r.spans) {
            QCOMPARE(s.lineBegin, 1);
            QCOMPARE(s.lineEnd, 1);
        }
        qInfo("read, decoded and counted in %lld ms", qint64(timer.elapsed()));
    }

    void pathRequestMixesPdfAndText()
    {
        IngestRequest req;
        req.kind = IngestRequest::Kind::Path;
        req.paths = {m_tmp.filePath("docs/readme.txt"), m_tmp.filePath("docs")};
        const IngestOutcome out = runIngest(req);
        QVERIFY(out.status.ok());
        QCOMPARE(out.sources.size(), size_t(2));
        QCOMPARE(out.sources[1].items.size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestTextSource)
#include "tst_text_source.moc"
