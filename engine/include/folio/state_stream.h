// Streaming the engine state: Session::save_to(sink) writes the versioned state stream piece by
// piece, straight from the session's own buffers, and Session::load_from(source) reads it back
// straight into the new state's buffers, so a multi-GB state never sits in memory twice (the
// caller — e.g. storage's chunked snapshot writer — decides how much it buffers). The stream is
// the one save()/load() produce as a string (docs/architecture.md, "Engine state stream").
//
//   folio::FunctionSink sink([&](const void *p, std::size_t n) { return writer.write(p, n); });
//   if (auto st = session->save_to(sink); !st) ...
//   folio::FunctionSource source([&](void *p, std::size_t n) { return reader.read(p, n); });
//   if (auto st = other->load_from(source); !st) ...      // the session is unchanged on failure
#pragma once

#include "folio/status.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace folio {

// Version of the state stream's layout. It is part of every KV-snapshot key (with the model
// fingerprint and the prefix hash), so a newer engine never misreads an older state: it does not
// find it. Bump it whenever the stream's layout changes.
inline constexpr std::uint32_t kStateFormatVersion = 1;

class StateSink
{
public:
    virtual ~StateSink() = default;
    // Takes the next `size` bytes of the stream; `data` is valid only during the call. A failure
    // ends the save with that status.
    virtual Status write(const void *data, std::size_t size) = 0;
};

class StateSource
{
public:
    virtual ~StateSource() = default;
    // Fills up to `size` bytes of `data` with the next bytes of the stream and returns how many;
    // 0 only at the end of the stream. A failure (a bad checksum) ends the load with that status.
    virtual Result<std::size_t> read(void *data, std::size_t size) = 0;
};

// A sink calling a function (a lambda around a storage writer, a counter in a test).
class FunctionSink : public StateSink
{
public:
    using Fn = std::function<Status(const void *data, std::size_t size)>;
    explicit FunctionSink(Fn fn)
        : m_fn(std::move(fn))
    {}
    Status write(const void *data, std::size_t size) override { return m_fn(data, size); }

private:
    Fn m_fn;
};

class FunctionSource : public StateSource
{
public:
    using Fn = std::function<Result<std::size_t>(void *data, std::size_t size)>;
    explicit FunctionSource(Fn fn)
        : m_fn(std::move(fn))
    {}
    Result<std::size_t> read(void *data, std::size_t size) override { return m_fn(data, size); }

private:
    Fn m_fn;
};

// The whole stream in memory (Session::save()/load(), tests).
class StringSink : public StateSink
{
public:
    explicit StringSink(std::string &out)
        : m_out(out)
    {}
    Status write(const void *data, std::size_t size) override
    {
        m_out.append(static_cast<const char *>(data), size);
        return Status::ok();
    }

private:
    std::string &m_out;
};

class StringSource : public StateSource
{
public:
    explicit StringSource(std::string_view in)
        : m_in(in)
    {}
    Result<std::size_t> read(void *data, std::size_t size) override
    {
        const std::size_t n = size < m_in.size() ? size : m_in.size();
        if (n > 0)
            std::memcpy(data, m_in.data(), n);
        m_in.remove_prefix(n);
        return n;
    }

private:
    std::string_view m_in;
};

} // namespace folio
