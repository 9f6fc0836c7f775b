// Snapshot payload files: the chunk bytes of each snapshot live in one file
// "<db>-snapshots/<name>.fsnap", written once, sequentially, outside SQLite, so multi-GB states
// are never written twice (WAL then checkpoint) — see docs/storage.md. This file owns the POSIX
// side: an owning file descriptor, full writes/reads with errno mapped to Status, fsync of the
// directory, and the garbage collector that removes files no committed snapshot row refers to.
// A writer holds flock(LOCK_EX) on its file until its row is committed, so the collector never
// removes a payload still being written by any process.
#pragma once

#include "storage/status.h"

#include <QString>

#include <cstddef>
#include <sys/types.h>

namespace folio::storage {

class Database;

// An owned file descriptor (closed on destruction).
class FileDescriptor
{
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd)
        : m_fd(fd)
    {}
    ~FileDescriptor() { reset(); }
    FileDescriptor(FileDescriptor &&other) noexcept
        : m_fd(other.release())
    {}
    FileDescriptor &operator=(FileDescriptor &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_fd = other.release();
        }
        return *this;
    }
    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release()
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    void reset();

private:
    int m_fd = -1;
};

// An errno as a Status: ENOSPC/EFBIG/EDQUOT -> Full, anything else -> Io. "WHAT PATH: strerror".
Status errnoStatus(int err, const QString &what, const QString &path);

Status writeFully(int fd, const void *data, size_t size, const QString &path);
Status readFully(int fd, void *data, size_t size, off_t offset, const QString &path);
// fsync of a directory, so a rename or unlink inside it is durable.
Status syncDirectory(const QString &dir);

// Removes every payload file in db.payloadDirectory() that no committed snapshot row names and no
// process is writing; returns how many were removed.
Result<int> removeOrphanPayloads(Database &db);

} // namespace folio::storage
