// The test hub (see hub_test_server.h). HTTP/1.1 with "Connection: close" on every response: one
// request per connection keeps the parser trivial and the fault injection exact.
#include "hub_test_server.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTcpSocket>
#include <QUrl>
#include <QUrlQuery>

namespace {

QByteArray sha256Hex(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

QByteArray gitOid(const QByteArray &data)
{
    QByteArray blob = "blob " + QByteArray::number(data.size());
    blob.append('\0');
    blob.append(data);
    return QCryptographicHash::hash(blob, QCryptographicHash::Sha1).toHex();
}

} // namespace

HubTestServer::HubTestServer(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &HubTestServer::onNewConnection);
}

bool HubTestServer::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QString HubTestServer::url() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
}

QList<HubRequest> HubTestServer::contentRequests(const QString &path) const
{
    QList<HubRequest> out;
    const QString resolveSuffix = QStringLiteral("/resolve/main/") + path;
    const QString cdn = files.contains(path)
                            ? QStringLiteral("/cdn/")
                                  + QString::fromLatin1(sha256Hex(files[path].content))
                            : QString();
    for (const HubRequest &r : log) {
        if (r.path.endsWith(resolveSuffix) && !files[path].lfs)
            out.append(r);
        else if (!cdn.isEmpty() && r.path == cdn)
            out.append(r);
    }
    return out;
}

void HubTestServer::onNewConnection()
{
    while (QTcpSocket *s = m_server.nextPendingConnection()) {
        connect(s, &QTcpSocket::readyRead, this, [this, s] { onReadyRead(s); });
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        connect(s, &QObject::destroyed, this, [this, s] { m_buffers.remove(s); });
    }
}

void HubTestServer::onReadyRead(QTcpSocket *s)
{
    QByteArray &buf = m_buffers[s];
    buf += s->readAll();
    const qsizetype end = buf.indexOf("\r\n\r\n");
    if (end < 0)
        return;
    const QList<QByteArray> lines = buf.left(end).split('\n');
    buf.clear();
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    QHash<QByteArray, QByteArray> headers;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            headers.insert(lines[i].left(colon).trimmed().toLower(),
                           lines[i].mid(colon + 1).trimmed());
    }
    const QUrl target = QUrl::fromEncoded(requestLine.value(1));
    respond(s, requestLine.value(0), target.path(QUrl::FullyDecoded), target.query(), headers);
}

void HubTestServer::sendSimple(QTcpSocket *s, int status, const QByteArray &body,
                               const QList<QPair<QByteArray, QByteArray>> &extra)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Length: "
                      + QByteArray::number(body.size()) + "\r\nConnection: close\r\n";
    for (const auto &h : extra)
        head += h.first + ": " + h.second + "\r\n";
    s->write(head + "\r\n" + body);
    s->disconnectFromHost();
}

QByteArray HubTestServer::listingPage(int offset, QByteArray *linkHeader) const
{
    QJsonArray all;
    QSet<QString> dirs;
    for (auto it = files.begin(); it != files.end(); ++it) {
        const QString dir = it.key().section(QLatin1Char('/'), 0, -2);
        if (!dir.isEmpty() && !dirs.contains(dir)) {
            dirs.insert(dir);
            all.append(QJsonObject{{"type", "directory"},
                                   {"path", dir},
                                   {"size", 0},
                                   {"oid", QString(40, QLatin1Char('d'))}});
        }
        QJsonObject e{{"type", "file"}, {"path", it.key()}, {"size", double(it->content.size())}};
        if (it->lfs) {
            e.insert(QLatin1String("oid"), QString(40, QLatin1Char('a'))); // the pointer's blob
            e.insert(QLatin1String("lfs"),
                     QJsonObject{{"oid", QString::fromLatin1(sha256Hex(it->content))},
                                 {"size", double(it->content.size())},
                                 {"pointerSize", 134}});
        } else {
            e.insert(QLatin1String("oid"), QString::fromLatin1(gitOid(it->content)));
        }
        all.append(e);
    }
    QJsonArray page;
    const int n = pageSize > 0 ? pageSize : int(all.size());
    for (int i = offset; i < all.size() && i < offset + n; ++i)
        page.append(all.at(i));
    if (offset + n < all.size())
        *linkHeader = "<" + url().toLatin1() + "/api/models/" + repoId.toLatin1()
                      + "/tree/main?recursive=true&cursor=" + QByteArray::number(offset + n)
                      + ">; rel=\"next\"";
    return QJsonDocument(page).toJson(QJsonDocument::Compact);
}

void HubTestServer::respond(QTcpSocket *s, const QByteArray &method, const QString &path,
                            const QString &query, const QHash<QByteArray, QByteArray> &headers)
{
    log.append({path, headers.value("range"), headers.value("authorization")});
    if (method != "GET")
        return sendSimple(s, 405, "method");
    const QString api = QStringLiteral("/api/models/%1/tree/").arg(repoId);
    const QString resolve = QStringLiteral("/%1/resolve/").arg(repoId);
    const bool authorized = requiredToken.isEmpty()
                            || headers.value("authorization") == "Bearer " + requiredToken;
    if (path.startsWith(api)) {
        if (!authorized)
            return sendSimple(s, 401, "{\"error\":\"auth\"}");
        if (path.mid(api.size()) != QLatin1String("main"))
            return sendSimple(s, 404, "{\"error\":\"revision\"}");
        QByteArray link;
        const int offset = QUrlQuery(query).queryItemValue(QStringLiteral("cursor")).toInt();
        const QByteArray body = listingPage(offset, &link);
        QList<QPair<QByteArray, QByteArray>> extra{{"Content-Type", "application/json"}};
        if (!link.isEmpty())
            extra.append({"Link", link});
        return sendSimple(s, 200, body, extra);
    }
    if (path.startsWith(resolve)) {
        if (!authorized)
            return sendSimple(s, 401, "auth");
        const QString rest = path.mid(resolve.size()); // main/<file path>
        if (!rest.startsWith(QLatin1String("main/")))
            return sendSimple(s, 404, "revision");
        const QString file = rest.mid(5);
        if (!files.contains(file))
            return sendSimple(s, 404, "no such file");
        if (files[file].lfs) {
            // Relative Location, as a CDN redirect may be: the client must resolve it itself.
            return sendSimple(s, 302, "", {{"Location", "/cdn/" + sha256Hex(files[file].content)}});
        }
        return sendFile(s, file, headers.value("range"));
    }
    if (path.startsWith(QLatin1String("/cdn/"))) {
        const QByteArray sha = path.mid(5).toLatin1();
        for (auto it = files.begin(); it != files.end(); ++it) {
            if (it->lfs && sha256Hex(it->content) == sha)
                return sendFile(s, it.key(), headers.value("range"));
        }
        return sendSimple(s, 404, "no such object");
    }
    sendSimple(s, 404, "unknown");
}

void HubTestServer::sendFile(QTcpSocket *s, const QString &file, const QByteArray &range)
{
    QByteArray content = files[file].content;
    if (corrupt.contains(file) && !content.isEmpty())
        content[content.size() / 2] = char(content[content.size() / 2] ^ 0x5a);
    qint64 start = 0;
    int status = 200;
    QByteArray extra;
    if (range.startsWith("bytes=") && range.endsWith('-')) {
        start = range.mid(6, range.size() - 7).toLongLong();
        if (start >= content.size()) {
            return sendSimple(s, 416, "",
                              {{"Content-Range", "bytes */" + QByteArray::number(content.size())}});
        }
        status = 206;
        extra = "Content-Range: bytes " + QByteArray::number(start) + '-'
                + QByteArray::number(content.size() - 1) + '/' + QByteArray::number(content.size())
                + "\r\n";
    }
    const QByteArray body = content.mid(start);
    s->write("HTTP/1.1 " + QByteArray::number(status)
             + " X\r\nContent-Length: " + QByteArray::number(body.size())
             + "\r\nAccept-Ranges: bytes\r\nConnection: close\r\n" + extra + "\r\n");
    if (stallAfter.contains(file)) {
        const QByteArray part = body.left(std::max<qint64>(0, stallAfter[file] - start));
        s->write(part);
        bodyBytesSent[file] += part.size();
        return; // keep the connection open, send nothing more
    }
    if (dropAfter.contains(file) && dropAfter[file].second > 0) {
        --dropAfter[file].second;
        const QByteArray part = body.left(std::max<qint64>(0, dropAfter[file].first - start));
        s->write(part);
        bodyBytesSent[file] += part.size();
        s->disconnectFromHost(); // after the buffered part is written: a cut-off body
        return;
    }
    s->write(body);
    bodyBytesSent[file] += body.size();
    s->disconnectFromHost();
}
