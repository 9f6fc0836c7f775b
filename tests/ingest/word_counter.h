// Test helper: a deterministic TokenCounter (one token per run of non-space characters plus one per
// newline) that also counts how much text it was asked to count, so tests can see the cache work.
#pragma once

#include "ingest/token_counter.h"

#include <atomic>

namespace fixture {

class WordCounter final : public folio::ingest::TokenCounter
{
public:
    std::size_t count(std::string_view s) const override
    {
        ++calls;
        std::size_t n = 0;
        bool inWord = false;
        for (char c : s) {
            const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
            if (c == '\n')
                ++n;
            if (!space && !inWord)
                ++n;
            inWord = !space;
        }
        return n;
    }
    QString name() const override { return QStringLiteral("words + newlines (test)"); }
    bool exact() const override { return false; }

    mutable std::atomic_int calls{0};
};

} // namespace fixture
