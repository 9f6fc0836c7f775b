// Stop sequences on a text stream (see stop_matcher.h).
#include "app/server/stop_matcher.h"

#include <algorithm>

namespace folio::server {

StopMatcher::StopMatcher(std::vector<std::string> stops)
    : m_stops(std::move(stops))
{}

std::string StopMatcher::push(std::string_view text)
{
    if (m_stopped)
        return {};
    m_pending.append(text);
    if (m_stops.empty()) {
        std::string out;
        out.swap(m_pending);
        return out;
    }
    // The earliest complete match wins.
    size_t first = std::string::npos;
    for (const std::string &s : m_stops)
        first = std::min(first, m_pending.find(s));
    if (first != std::string::npos) {
        m_stopped = true;
        std::string out = m_pending.substr(0, first);
        m_pending.clear();
        return out;
    }
    // Hold back the longest suffix that is a proper prefix of some stop string.
    size_t hold = 0;
    for (const std::string &s : m_stops) {
        const size_t maxLen = std::min(s.size() - 1, m_pending.size());
        for (size_t len = maxLen; len > hold; --len) {
            if (std::string_view(m_pending).substr(m_pending.size() - len)
                == std::string_view(s).substr(0, len)) {
                hold = len;
                break;
            }
        }
    }
    std::string out = m_pending.substr(0, m_pending.size() - hold);
    m_pending.erase(0, m_pending.size() - hold);
    return out;
}

std::string StopMatcher::finish()
{
    std::string out;
    if (!m_stopped)
        out.swap(m_pending);
    m_pending.clear();
    return out;
}

} // namespace folio::server
