// Stop sequences on a text stream: text is pushed as it is decoded and released only once it can
// no longer be the start of a stop sequence, so a client never sees part of a stop string, and the
// stream ends exactly before the first match. The match is on the answer text (not on tokens): a
// stop string may span several tokens or end inside one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace folio::server {

class StopMatcher
{
public:
    explicit StopMatcher(std::vector<std::string> stops);

    // Appends `text`; returns the text that is now safe to emit. After a match, returns the text
    // before the match and stopped() is true; further pushes return nothing.
    std::string push(std::string_view text);
    // The held-back tail (a partial match that the end of the stream resolved as no match).
    std::string finish();
    bool stopped() const { return m_stopped; }

private:
    std::vector<std::string> m_stops;
    std::string m_pending;
    bool m_stopped = false;
};

} // namespace folio::server
