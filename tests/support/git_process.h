// Runs the git command line in a test's scratch repository, with a fixed identity and no commit
// signing so that commits work on any machine. Qt tests that build repositories share it.
#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace folio::testing {

// The trimmed standard output of `git args` run in `dir` ("" when it printed nothing), or a null
// QByteArray when git could not run or failed.
inline QByteArray runGit(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(QStringLiteral("git"),
            QStringList{QStringLiteral("-c"), QStringLiteral("user.name=T"), QStringLiteral("-c"),
                        QStringLiteral("user.email=t@e"), QStringLiteral("-c"),
                        QStringLiteral("commit.gpgsign=false")}
                + args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return {};
    const QByteArray out = p.readAllStandardOutput().trimmed();
    return out.isNull() ? QByteArray("") : out;
}

// Whether `git args` succeeded in `dir`; its trimmed standard output in *out when asked.
inline bool git(const QString &dir, const QStringList &args, QByteArray *out = nullptr)
{
    const QByteArray printed = runGit(dir, args);
    if (out)
        *out = printed;
    return !printed.isNull();
}

} // namespace folio::testing
