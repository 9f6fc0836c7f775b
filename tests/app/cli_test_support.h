// What the folio-cli end-to-end tests (tst_ask_cli, tst_chat_cli) share: the folio-cli executable
// and the demo model from their command line, a private data directory (FOLIO_DATA_DIR) for every
// folio-cli they start, a one-commit test repository to ask about, and running folio-cli with
// stdin given and its exit code and output collected.
#pragma once

#include "tests/support/git_process.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

namespace cli_test {

// The folio-cli executable and the demo model directory (the test's first two arguments).
inline QString g_cli;
inline QString g_model;

struct Run
{
    int exitCode = -1; // -1: crashed or timed out
    QByteArray out, err;
    QList<QJsonObject> lines; // stdout as JSON lines (chat --json); not JSON: an empty object
};

// The environment of a folio-cli whose data directory (folio.db, server.json) is `dataDir`.
inline QProcessEnvironment environment(const QString &dataDir)
{
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("FOLIO_DATA_DIR"), dataDir);
    return e;
}

// Runs folio-cli `args` with `input` on stdin (then closed) and waits for it to end.
inline Run run(const QString &dataDir, const QStringList &args, const QByteArray &input = {},
               int timeoutMs = 300000)
{
    QProcess p;
    p.setProcessEnvironment(environment(dataDir));
    p.start(g_cli, args);
    p.write(input);
    p.closeWriteChannel();
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timeout";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    for (const QByteArray &line : r.out.split('\n'))
        if (!line.trimmed().isEmpty())
            r.lines.append(QJsonDocument::fromJson(line).object());
    return r;
}

using folio::testing::git;

// A git repository in `dir` with one commit of main.cpp (prints "hello").
inline bool makeRepository(const QString &dir)
{
    QFile f(dir + QStringLiteral("/main.cpp"));
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write("#include <cstdio>\nint main()\n{\n    std::puts(\"hello\");\n    return 0;\n}\n");
    f.close();
    return git(dir, {"init", "-q"}) && git(dir, {"add", "main.cpp"})
           && git(dir, {"commit", "-q", "-m", "first"});
}

// main() of a test taking `FOLIO_CLI MODEL_DIR [QtTest options]`.
template<typename Test>
int runTests(int argc, char **argv)
{
    if (argc < 3) {
        qWarning("usage: %s FOLIO_CLI MODEL_DIR [QtTest options]", argv[0]);
        return 2;
    }
    g_cli = QString::fromLocal8Bit(argv[1]);
    g_model = QString::fromLocal8Bit(argv[2]);
    QCoreApplication app(argc, argv);
    Test t;
    QStringList rest{QString::fromLocal8Bit(argv[0])};
    for (int i = 3; i < argc; ++i)
        rest << QString::fromLocal8Bit(argv[i]);
    return QTest::qExec(&t, rest);
}

} // namespace cli_test
