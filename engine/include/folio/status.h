// Status and Result: how the engine reports expected failures (bad file, unsupported format, out of
// memory) across its boundary. No exception crosses the engine API; asserts are for programming
// errors only (style rule 5).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace folio {

class Status
{
public:
    Status() = default; // success
    static Status ok() { return Status(); }
    static Status error(std::string message) { return Status(std::move(message)); }

    bool is_ok() const { return !m_message.has_value(); }
    explicit operator bool() const { return is_ok(); }
    // The readable message of a failure; empty on success.
    const std::string &message() const
    {
        static const std::string empty;
        return m_message ? *m_message : empty;
    }

private:
    explicit Status(std::string message)
        : m_message(std::move(message))
    {}
    std::optional<std::string> m_message;
};

// A value or the Status that explains why there is none.
template<class T>
class Result
{
public:
    Result(T value)
        : m_value(std::move(value))
    {} // NOLINT: implicit by design
    Result(Status status)
        : m_status(std::move(status))
    {} // NOLINT: implicit by design

    bool is_ok() const { return m_value.has_value(); }
    explicit operator bool() const { return is_ok(); }
    const Status &status() const { return m_status; }
    T &value() & { return *m_value; }
    const T &value() const & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    T *operator->() { return &*m_value; }
    const T *operator->() const { return &*m_value; }
    T &operator*() { return *m_value; }

private:
    std::optional<T> m_value;
    Status m_status;
};

} // namespace folio
