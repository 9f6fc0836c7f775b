// Records the calls of a ProgressCallback (ingest/source.h) and checks its contract: calls never
// overlap, `done` never decreases and never exceeds `total`. Shared by the source tests.
#pragma once

#include "ingest/source.h"

#include <QtTest>

#include <atomic>
#include <utility>
#include <vector>

struct ProgressLog
{
    std::vector<std::pair<qint64, qint64>> calls; // (done, total), in call order
    std::atomic_int inside{0};
    bool overlapped = false;

    folio::ingest::ProgressCallback callback()
    {
        return [this](qint64 done, qint64 total) {
            if (inside.fetch_add(1) != 0)
                overlapped = true; // calls must be serialised
            calls.emplace_back(done, total);
            inside.fetch_sub(1);
        };
    }

    // True when the contract held and the last call said `expected` of `expected`.
    bool finishedAt(qint64 expected, QString *why) const
    {
        if (overlapped)
            return *why = QStringLiteral("two calls overlapped"), false;
        if (calls.empty())
            return *why = QStringLiteral("no progress reported"), false;
        qint64 previous = 0;
        for (const auto &[done, total] : calls) {
            if (done < previous || done > total)
                return *why = QStringLiteral("bad call done=%1 total=%2 after %3")
                                  .arg(done)
                                  .arg(total)
                                  .arg(previous),
                       false;
            previous = done;
        }
        if (calls.back() != std::pair<qint64, qint64>(expected, expected))
            return *why = QStringLiteral("last call %1/%2, expected %3/%3")
                              .arg(calls.back().first)
                              .arg(calls.back().second)
                              .arg(expected),
                   false;
        return true;
    }
};
