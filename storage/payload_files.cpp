// POSIX file helpers and the orphan-payload collector (see payload_files.h).
#include "storage/payload_files.h"

#include "storage/database.h"
#include "storage/logging.h"
#include "storage/sqlite.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace folio::storage {

void FileDescriptor::reset()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

Status errnoStatus(int err, const QString &what, const QString &path)
{
    const Status::Code code = (err == ENOSPC || err == EFBIG || err == EDQUOT) ? Status::Full
                                                                               : Status::Io;
    return Status::error(code, QStringLiteral("%1 %2: %3")
                                   .arg(what, path, QString::fromLocal8Bit(std::strerror(err))));
}

Status writeFully(int fd, const void *data, size_t size, const QString &path)
{
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errnoStatus(errno, QStringLiteral("writing"), path);
        }
        p += n;
        size -= size_t(n);
    }
    return {};
}

Status readFully(int fd, void *data, size_t size, off_t offset, const QString &path)
{
    char *p = static_cast<char *>(data);
    while (size > 0) {
        const ssize_t n = ::pread(fd, p, size, offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errnoStatus(errno, QStringLiteral("reading"), path);
        }
        if (n == 0)
            return Status::error(Status::Corrupt,
                                 QStringLiteral("%1 is shorter than its snapshot row says")
                                     .arg(path));
        p += n;
        size -= size_t(n);
        offset += n;
    }
    return {};
}

Status syncDirectory(const QString &dir)
{
    FileDescriptor fd(
        ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid())
        return errnoStatus(errno, QStringLiteral("opening directory"), dir);
    if (::fsync(fd.get()) != 0)
        return errnoStatus(errno, QStringLiteral("syncing directory"), dir);
    return {};
}

Result<int> removeOrphanPayloads(Database &db)
{
    const QDir dir(db.payloadDirectory());
    if (!dir.exists())
        return 0;
    Result<Statement> referenced
        = Statement::prepare(db.handle(), "SELECT 1 FROM snapshots WHERE file_name = ?");
    if (!referenced.ok())
        return referenced.status();
    int removed = 0;
    const QStringList names = dir.entryList({QStringLiteral("*.fsnap"),
                                             QStringLiteral("*.partial")},
                                            QDir::Files);
    for (const QString &name : names) {
        const QByteArray path = QFile::encodeName(dir.filePath(name));
        FileDescriptor fd(::open(path.constData(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid())
            continue; // renamed or removed meanwhile
        // Locked: a writer (here or in another process) is still at work on it.
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
            continue;
        // With the lock held its writer is gone: the row is committed now or never will be.
        if (name.endsWith(QLatin1String(".fsnap"))) {
            referenced->reset();
            referenced->bind(1, name);
            Result<bool> row = referenced->step();
            if (!row.ok())
                return row.status();
            if (*row)
                continue;
        }
        if (::unlink(path.constData()) == 0) {
            ++removed;
            qCDebug(lcStorage) << "removed orphan snapshot payload" << name;
        }
    }
    return removed;
}

} // namespace folio::storage
