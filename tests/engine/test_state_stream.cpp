// Streaming state tests (Session::save_to / load_from, folio/state_stream.h): the streamed bytes
// are the save() string exactly, a state read back in small odd-sized pieces continues decoding
// and generation bit-identically, source failures and truncation are reported and leave the
// session unchanged, and — counted with a replaced global operator new — saving allocates no copy
// of the state and loading allocates only the new state, never the stream a second time.
#include "folio_test.h"
#include "golden_support.h"

#include "folio/engine.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>

using namespace folio;

// ---- live heap bytes (this test binary only) -------------------------------------------------
namespace {
std::atomic<long long> g_live{0}, g_peak{0};

void note_alloc(void *p)
{
    if (!p)
        return;
    const long long now = g_live += (long long) malloc_usable_size(p);
    long long peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
    }
}
} // namespace

void *operator new(std::size_t n)
{
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    note_alloc(p);
    return p;
}
void operator delete(void *p) noexcept
{
    if (p)
        g_live -= (long long) malloc_usable_size(p);
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    operator delete(p);
}

namespace {

// Peak heap growth over the live bytes when it starts.
class PeakMeter
{
public:
    PeakMeter()
        : m_base(g_live.load())
    {
        g_peak = m_base;
    }
    long long extra() const { return g_peak.load() - m_base; }

private:
    long long m_base;
};

std::shared_ptr<const Model> load_model()
{
    auto m = Model::load(golden::case_dir("bf16_s1"));
    if (!m) {
        std::fprintf(stderr, "%s\n", m.status().message().c_str());
        return nullptr;
    }
    return *m;
}

std::vector<int> tokens(int n, int vocab)
{
    std::vector<int> ids;
    for (int i = 0; i < n; ++i)
        ids.push_back((i * 7919 + 13) % vocab);
    return ids;
}

// Hands out the string in pieces of 1, 2, 3, ... 97 bytes, cycling.
class PieceSource : public StateSource
{
public:
    explicit PieceSource(const std::string &bytes)
        : m_bytes(bytes)
    {}
    Result<std::size_t> read(void *data, std::size_t size) override
    {
        m_piece = m_piece % 97 + 1;
        const std::size_t n = std::min({size, m_piece, m_bytes.size() - m_at});
        std::memcpy(data, m_bytes.data() + m_at, n);
        m_at += n;
        return n;
    }

private:
    const std::string &m_bytes;
    std::size_t m_at = 0, m_piece = 0;
};

} // namespace

FOLIO_TEST(state_stream_equals_save_and_continues_identically)
{
    auto model = load_model();
    REQUIRE(model);
    const std::vector<int> ids = tokens(90, model->info().vocab_size);
    auto a = model->create_session();
    REQUIRE(a->prefill(std::vector<int>(ids.begin(), ids.begin() + 61)).is_ok());
    std::string streamed;
    std::size_t writes = 0;
    FunctionSink sink([&](const void *p, std::size_t n) {
        ++writes;
        streamed.append(static_cast<const char *>(p), n);
        return Status::ok();
    });
    REQUIRE(a->save_to(sink).is_ok());
    CHECK(streamed == a->save());
    CHECK(writes > 10); // piece by piece, not one buffer

    auto b = model->create_session();
    PieceSource source(streamed);
    REQUIRE(b->load_from(source).is_ok());
    CHECK_EQ(b->position(), std::int64_t(61));
    CHECK(b->save() == streamed);
    for (int j = 61; j < 75; ++j) {
        auto ra = a->decode(ids[std::size_t(j)]);
        auto rb = b->decode(ids[std::size_t(j)]);
        REQUIRE(ra.is_ok() && rb.is_ok());
        CHECK(*ra == *rb);
    }
    GenerateParams gp;
    gp.max_tokens = 5;
    gp.stop_at_eos = false;
    auto ga = a->generate(gp, nullptr);
    auto gb = b->generate(gp, nullptr);
    REQUIRE(ga.is_ok() && gb.is_ok());
    CHECK(ga->tokens == gb->tokens);
}

FOLIO_TEST(state_stream_failures_leave_the_session_unchanged)
{
    auto model = load_model();
    REQUIRE(model);
    auto a = model->create_session();
    REQUIRE(a->prefill(tokens(20, model->info().vocab_size)).is_ok());
    const std::string bytes = a->save();
    auto b = model->create_session();
    // A source that fails half way (a chunk's checksum did not match): its status comes back.
    std::size_t at = 0;
    FunctionSource failing([&](void *p, std::size_t n) -> Result<std::size_t> {
        if (at > bytes.size() / 2)
            return Status::error("chunk 3: checksum mismatch");
        n = std::min(n, bytes.size() - at);
        std::memcpy(p, bytes.data() + at, n);
        at += n;
        return n;
    });
    Status st = b->load_from(failing);
    CHECK(!st && st.message() == "chunk 3: checksum mismatch");
    // Truncated streams and trailing bytes are malformed.
    for (std::size_t cut : {std::size_t(3), bytes.size() / 3, bytes.size() - 1}) {
        const std::string head = bytes.substr(0, cut);
        PieceSource truncated(head);
        st = b->load_from(truncated);
        CHECK(!st);
    }
    const std::string longer = bytes + "x";
    PieceSource trailing(longer);
    st = b->load_from(trailing);
    CHECK(!st && st.message().find("after the end") != std::string::npos);
    CHECK_EQ(b->position(), std::int64_t(0));
    // A sink failure ends the save with its status.
    std::size_t budget = bytes.size() / 2;
    FunctionSink full([&](const void *, std::size_t n) {
        if (n > budget)
            return Status::error("disk full");
        budget -= n;
        return Status::ok();
    });
    st = a->save_to(full);
    CHECK(!st && st.message() == "disk full");
}

FOLIO_TEST(state_stream_never_holds_the_state_twice)
{
    auto model = load_model();
    REQUIRE(model);
    auto a = model->create_session();
    REQUIRE(a->prefill(tokens(120, model->info().vocab_size)).is_ok());
    const std::string bytes = a->save();
    std::printf("state stream: %zu bytes\n", bytes.size());
    REQUIRE(bytes.size() > 100000);

    // Saving: the sink sees the session's own buffers; nothing near the state's size is allocated.
    std::size_t total = 0, largest = 0;
    FunctionSink counting([&](const void *, std::size_t n) {
        total += n;
        largest = std::max(largest, n);
        return Status::ok();
    });
    long long saveExtra = 0;
    {
        PeakMeter meter;
        REQUIRE(a->save_to(counting).is_ok());
        saveExtra = meter.extra();
    }
    std::printf("save_to: peak extra heap %lld bytes, largest write %zu\n", saveExtra, largest);
    CHECK_EQ(total, bytes.size());
    CHECK(saveExtra < 4096);

    // Loading: the new state (which replaces the old one) is the only large allocation; the
    // stream is never staged. A source that owns no buffer of its own (it reads `bytes`).
    auto b = model->create_session();
    long long loadExtra = 0;
    {
        PeakMeter meter;
        StringSource source(bytes);
        REQUIRE(b->load_from(source).is_ok());
        loadExtra = meter.extra();
    }
    std::printf("load_from: peak extra heap %lld bytes for a %zu-byte stream\n", loadExtra,
                bytes.size());
    CHECK(loadExtra < (long long) bytes.size() + 65536);
    CHECK(b->save() == bytes);
}
