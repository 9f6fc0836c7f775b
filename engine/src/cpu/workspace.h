// Scratch memory of the CPU forward pass: a per-thread arena handed out in LIFO frames, so that a
// decode step allocates nothing once the arena has grown to its working size (issue 5: no
// per-token allocations). Each forward function opens a Frame, takes its temporaries from it
// (uninitialised unless taken with zeros()), and gives them back when the Frame ends. The arena
// belongs to the calling thread, which is the session's thread (a Session is used by one thread
// at a time), so sessions on the same thread share it and nothing needs a lock.
//
// Why a size cap: a long prefill chunk needs hundreds of MB of temporaries; keeping those for the
// rest of the process would cost resident memory for nothing, so when the outermost frame ends
// with more than kKeepBytes held, the arena is released (a later prefill regrows it; decode-sized
// calls stay far below the cap and keep their blocks). A chunked prefill holds one frame across
// its chunks (Session::prefill), so its chunks share one arena instead of each faulting in and
// unmapping hundreds of MB again — that kernel work ran on the calling thread alone, the largest
// serial part of a prefill (perf, issue 5).
//
// Why huge pages: blocks of kHugeBytes or more are 2 MiB aligned and marked MADV_HUGEPAGE (Linux),
// so first touching them takes one fault per 2 MiB instead of one per 4 KiB.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace folio {

class Scratch
{
public:
    static constexpr std::size_t kKeepBytes = std::size_t(64) << 20;

    static Scratch &local(); // this thread's arena

    class Frame
    {
    public:
        explicit Frame(Scratch &s = Scratch::local());
        ~Frame();
        Frame(const Frame &) = delete;
        Frame &operator=(const Frame &) = delete;

        // n elements of T (trivially constructible types only), 64-byte aligned, uninitialised.
        template<class T>
        T *alloc(std::size_t n)
        {
            return static_cast<T *>(m_s.take(n * sizeof(T)));
        }
        template<class T>
        T *zeros(std::size_t n)
        {
            T *p = alloc<T>(n);
            for (std::size_t i = 0; i < n; ++i)
                p[i] = T(0);
            return p;
        }

    private:
        Scratch &m_s;
        std::size_t m_block, m_offset;
    };

    std::size_t bytes_held() const;

private:
    struct AlignedDelete
    {
        std::size_t align; // the alignment the block was allocated with
        void operator()(unsigned char *p) const { ::operator delete(p, std::align_val_t(align)); }
    };
    struct Block
    {
        std::unique_ptr<unsigned char, AlignedDelete> data; // 64-byte (huge: 2 MiB) aligned
        std::size_t size = 0;
    };
    void *take(std::size_t bytes);

    std::vector<Block> m_blocks;
    std::size_t m_block = 0, m_offset = 0; // next free byte: m_blocks[m_block] + m_offset
    int m_depth = 0;                       // open frames
};

// ---- implementation (header-only: small, and inlined into the forward-pass files) ----------

constexpr std::size_t kScratchAlign = 64;
constexpr std::size_t kScratchMinBlock = std::size_t(1) << 20;
constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kHugeBytes = std::size_t(8) << 20; // blocks from here on use huge pages

inline Scratch &Scratch::local()
{
    thread_local Scratch s;
    return s;
}

inline std::size_t Scratch::bytes_held() const
{
    std::size_t n = 0;
    for (const Block &b : m_blocks)
        n += b.size;
    return n;
}

inline void *Scratch::take(std::size_t bytes)
{
    bytes = (std::max<std::size_t>(bytes, 1) + kScratchAlign - 1) / kScratchAlign * kScratchAlign;
    while (m_block < m_blocks.size()) {
        Block &b = m_blocks[m_block];
        if (m_offset + bytes <= b.size) {
            void *p = b.data.get() + m_offset;
            m_offset += bytes;
            return p;
        }
        ++m_block; // does not fit: the next block
        m_offset = 0;
    }
    // No block left that fits: a new one, twice the largest so far and at least `bytes`. Blocks
    // never move (only their owners do), so pointers handed out earlier stay valid.
    std::size_t largest = kScratchMinBlock / 2;
    for (const Block &b : m_blocks)
        largest = std::max(largest, b.size);
    Block nb;
    nb.size = std::max(bytes, 2 * largest);
    std::size_t align = kScratchAlign;
    if (nb.size >= kHugeBytes) {
        align = kHugePage;
        nb.size = (nb.size + kHugePage - 1) / kHugePage * kHugePage;
    }
    nb.data = std::unique_ptr<unsigned char, AlignedDelete>(static_cast<unsigned char *>(
                                                                ::operator new(nb.size,
                                                                               std::align_val_t(
                                                                                   align))),
                                                            AlignedDelete{align});
#if defined(__linux__)
    if (align == kHugePage) // advice only: without transparent huge pages it changes nothing
        madvise(nb.data.get(), nb.size, MADV_HUGEPAGE);
#endif
    m_blocks.push_back(std::move(nb));
    m_block = m_blocks.size() - 1;
    m_offset = bytes;
    return m_blocks.back().data.get();
}

inline Scratch::Frame::Frame(Scratch &s)
    : m_s(s)
    , m_block(s.m_block)
    , m_offset(s.m_offset)
{
    ++m_s.m_depth;
}

inline Scratch::Frame::~Frame()
{
    m_s.m_block = m_block;
    m_s.m_offset = m_offset;
    if (--m_s.m_depth == 0) {
        if (m_s.bytes_held() > kKeepBytes)
            m_s.m_blocks.clear();
        m_s.m_block = 0;
        m_s.m_offset = 0;
    }
}

} // namespace folio
