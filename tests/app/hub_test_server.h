// A small Hugging Face–style hub for tests, on 127.0.0.1 inside the test process (QTcpServer):
// the tree listing API (with Link-header pagination), `resolve` downloads with a redirect to a
// "CDN" path for LFS files, HTTP Range, bearer tokens — and the faults a real network produces:
// a connection dropped mid-file, a stalled transfer, corrupted content. Every request is logged
// so tests can check what the client asked for (Range offsets, tokens, which files).
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMap>
#include <QString>
#include <QTcpServer>

class QTcpSocket;

struct HubTestFile
{
    QByteArray content;
    bool lfs = false; // listed with an "lfs" sha256 and served through a redirect
};

struct HubRequest
{
    QString path;     // decoded path of the request URL
    QByteArray range; // the Range header, if any
    QByteArray auth;  // the Authorization header, if any
};

class HubTestServer : public QObject
{
    Q_OBJECT

public:
    explicit HubTestServer(QObject *parent = nullptr);
    bool listen();
    QString url() const; // "http://127.0.0.1:PORT"

    // The repository `repoId` at revision "main".
    QMap<QString, HubTestFile> files;
    QString repoId = QStringLiteral("folio-test/tiny-model");
    int pageSize = 0;         // > 0: the listing is split into pages of this many entries
    QByteArray requiredToken; // non-empty: listing and files need "Bearer <token>"
    // Faults, by file path: drop the connection after N body bytes for the next `count` requests;
    // stall (keep the connection open, send nothing more) after N body bytes; serve altered bytes.
    QHash<QString, QPair<qint64, int>> dropAfter;
    QHash<QString, qint64> stallAfter;
    QSet<QString> corrupt;

    QList<HubRequest> log;
    QHash<QString, qint64> bodyBytesSent; // by file path
    // Requests for `path`'s content (resolve or CDN), in order.
    QList<HubRequest> contentRequests(const QString &path) const;

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, const QByteArray &method, const QString &path,
                 const QString &query, const QHash<QByteArray, QByteArray> &headers);
    void sendSimple(QTcpSocket *socket, int status, const QByteArray &body,
                    const QList<QPair<QByteArray, QByteArray>> &extra = {});
    void sendFile(QTcpSocket *socket, const QString &path, const QByteArray &range);
    QByteArray listingPage(int offset, QByteArray *linkHeader) const;

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};
