// Server-sent events parsing (see sse_parser.h).
#include "app/remote/sse_parser.h"

namespace folio::remote {

QList<QByteArray> SseParser::feed(const QByteArray &bytes)
{
    QList<QByteArray> out;
    m_buffer += bytes;
    qsizetype start = 0;
    for (;;) {
        const qsizetype nl = m_buffer.indexOf('\n', start);
        if (nl < 0)
            break;
        qsizetype end = nl;
        if (end > start && m_buffer[end - 1] == '\r')
            --end;
        line(m_buffer.mid(start, end - start), out);
        start = nl + 1;
    }
    m_buffer.remove(0, start);
    return out;
}

QByteArray SseParser::flush()
{
    QList<QByteArray> out;
    if (!m_buffer.isEmpty()) {
        QByteArray rest = m_buffer;
        if (rest.endsWith('\r'))
            rest.chop(1);
        line(rest, out);
        m_buffer.clear();
    }
    line(QByteArray(), out); // end the event
    return out.isEmpty() ? QByteArray() : out.first();
}

void SseParser::line(const QByteArray &l, QList<QByteArray> &out)
{
    if (l.isEmpty()) {
        if (m_hasData)
            out.push_back(m_data);
        m_data.clear();
        m_hasData = false;
        return;
    }
    if (l.startsWith(':'))
        return; // comment
    const qsizetype colon = l.indexOf(':');
    const QByteArray field = colon < 0 ? l : l.left(colon);
    QByteArray value = colon < 0 ? QByteArray() : l.mid(colon + 1);
    if (value.startsWith(' '))
        value.remove(0, 1);
    if (field != "data")
        return; // event, id, retry: not used by chat completions
    if (m_hasData)
        m_data += '\n';
    m_data += value;
    m_hasData = true;
}

} // namespace folio::remote
