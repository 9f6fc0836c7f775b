// Server-sent events as OpenAI-compatible endpoints stream them: bytes arrive in arbitrary pieces;
// events are separated by a blank line; each `data:` line adds to the event's data (several are
// joined with "\n"); lines starting with ':' are comments (keep-alives); `\r\n` and `\n` both end
// lines (WHATWG HTML, "Server-sent events", the parts a chat client needs).
#pragma once

#include <QByteArray>
#include <QList>

namespace folio::remote {

class SseParser
{
public:
    // Feeds bytes; returns the data of every event completed by them, in order.
    QList<QByteArray> feed(const QByteArray &bytes);
    // The data of an event left unterminated at the end of the stream (some servers omit the
    // final blank line); empty if none.
    QByteArray flush();

private:
    void line(const QByteArray &l, QList<QByteArray> &out);
    QByteArray m_buffer; // bytes after the last complete line
    QByteArray m_data;   // data of the event being assembled
    bool m_hasData = false;
};

} // namespace folio::remote
