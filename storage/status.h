// Status and Result<T>: how every storage call reports failure. Expected failures (a full disk, a
// file from a newer Folio, a corrupt chunk, a snapshot that does not match the model) come back as
// a Status with a code the app layer can act on (e.g. fall back to re-prefill on Mismatch/Corrupt)
// and a readable message; no exception leaves the storage layer.
#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace folio::storage {

class Status
{
public:
    enum Code {
        Ok = 0,
        Error,       // anything else (an SQLite error, a bad argument)
        NotFound,    // no such session / message / snapshot
        Full,        // disk or database full (SQLITE_FULL, ENOSPC, EFBIG)
        Busy,        // another process held the database longer than the busy timeout
        NewerSchema, // the file was written by a newer Folio; it was not modified
        NotFolio,    // the file is an SQLite database of some other application
        Corrupt,     // integrity_check failed, a chunk checksum or size does not match
        Mismatch, // a snapshot's key differs from the one asked for (fingerprint, format, prefix)
        Io,       // a file-system call failed
    };

    Status() = default;
    static Status error(Code code, QString message) { return Status(code, std::move(message)); }
    static Status error(QString message) { return Status(Error, std::move(message)); }

    bool ok() const { return m_code == Ok; }
    Code code() const { return m_code; }
    const QString &message() const { return m_message; }
    // Prefixes the message with what was being done: "saving snapshot: <message>".
    Status &context(const QString &what)
    {
        if (!ok())
            m_message = what + QStringLiteral(": ") + m_message;
        return *this;
    }

private:
    Status(Code code, QString message)
        : m_code(code)
        , m_message(std::move(message))
    {}
    Code m_code = Ok;
    QString m_message;
};

// A value or the Status saying why there is none.
template<class T>
class Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    {}
    Result(Status status)
        : m_status(std::move(status))
    {
        Q_ASSERT(!m_status.ok());
    }

    bool ok() const { return m_value.has_value(); }
    const Status &status() const { return m_status; }
    T &value() { return *m_value; }
    const T &value() const { return *m_value; }
    T &operator*() { return *m_value; }
    const T &operator*() const { return *m_value; }
    T *operator->() { return &*m_value; }
    const T *operator->() const { return &*m_value; }

private:
    std::optional<T> m_value;
    Status m_status;
};

} // namespace folio::storage
