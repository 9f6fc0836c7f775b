// Hub listing: URL construction and the parser of the tree listing (see hub_listing.h).
#include "app/model_manager/hub_listing.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace folio::app {

QString defaultHubUrl()
{
    return QStringLiteral("https://huggingface.co");
}

QString configuredHubUrl()
{
    const QString env = qEnvironmentVariable("FOLIO_HUB_URL");
    return env.isEmpty() ? defaultHubUrl() : env;
}

bool isValidRepoId(const QString &repoId)
{
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
                       "/[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$"));
    return re.match(repoId).hasMatch() && !repoId.contains(QLatin1String(".."));
}

bool isSafeRelativePath(const QString &path)
{
    if (path.isEmpty() || path.startsWith(QLatin1Char('/')) || path.contains(QLatin1Char('\\'))
        || path.contains(QChar(0)))
        return false;
    const QStringList parts = path.split(QLatin1Char('/'));
    for (const QString &p : parts) {
        if (p.isEmpty() || p == QLatin1String(".") || p == QLatin1String(".."))
            return false;
    }
    return true;
}

namespace {

QByteArray hubBase(const QString &hubUrl)
{
    QByteArray base = hubUrl.trimmed().toUtf8();
    while (base.endsWith('/'))
        base.chop(1);
    return base;
}

// Encodes every segment of a '/'-separated path on its own, keeping the separators.
QByteArray encodePath(const QString &path)
{
    QByteArrayList out;
    for (const QString &segment : path.split(QLatin1Char('/')))
        out.append(QUrl::toPercentEncoding(segment));
    return out.join('/');
}

} // namespace

QUrl treeListingUrl(const QString &hubUrl, const QString &repoId, const QString &revision)
{
    // The revision is one path segment even when it contains '/' ("refs/pr/1"), as the hub expects.
    return QUrl::fromEncoded(hubBase(hubUrl) + "/api/models/" + encodePath(repoId) + "/tree/"
                             + QUrl::toPercentEncoding(revision) + "?recursive=true");
}

QUrl resolveUrl(const QString &hubUrl, const QString &repoId, const QString &revision,
                const QString &path)
{
    return QUrl::fromEncoded(hubBase(hubUrl) + '/' + encodePath(repoId) + "/resolve/"
                             + QUrl::toPercentEncoding(revision) + '/' + encodePath(path));
}

QString parseTreeListing(const QByteArray &json, QList<HubFile> *files)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError)
        return QStringLiteral("not JSON (%1 at byte %2)").arg(err.errorString()).arg(err.offset);
    if (!doc.isArray())
        return QStringLiteral("expected a JSON array of entries");
    const QJsonArray entries = doc.array();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QJsonObject e = entries.at(i).toObject();
        const QString type = e.value(QLatin1String("type")).toString();
        const QString path = e.value(QLatin1String("path")).toString();
        if (type == QLatin1String("directory"))
            continue;
        if (type != QLatin1String("file"))
            return QStringLiteral("entry %1: unknown type '%2'").arg(i).arg(type);
        if (!isSafeRelativePath(path))
            return QStringLiteral("entry %1: unsafe path '%2'").arg(i).arg(path);
        HubFile f;
        f.path = path;
        const QJsonValue lfs = e.value(QLatin1String("lfs"));
        if (lfs.isObject()) {
            // For LFS files `size` and `oid` at the top level describe the pointer file on some
            // servers; the object's own size and sha256 are in "lfs".
            const QJsonObject o = lfs.toObject();
            f.size = qint64(o.value(QLatin1String("size")).toDouble(-1));
            f.sha256 = o.value(QLatin1String("oid")).toString().toLower();
            if (f.sha256.startsWith(QLatin1String("sha256:")))
                f.sha256 = f.sha256.mid(7);
            static const QRegularExpression hex64(QStringLiteral("^[0-9a-f]{64}$"));
            if (!hex64.match(f.sha256).hasMatch())
                return QStringLiteral("entry %1 (%2): lfs.oid is not a sha256").arg(i).arg(path);
        } else {
            f.size = qint64(e.value(QLatin1String("size")).toDouble(-1));
            const QString oid = e.value(QLatin1String("oid")).toString().toLower();
            static const QRegularExpression hex40(QStringLiteral("^[0-9a-f]{40}$"));
            if (hex40.match(oid).hasMatch())
                f.gitOid = oid;
        }
        if (f.size < 0)
            return QStringLiteral("entry %1 (%2): no size").arg(i).arg(path);
        files->append(f);
    }
    return {};
}

QUrl nextPageUrl(const QByteArray &linkHeader, const QUrl &base)
{
    // Link: <https://host/api/...&cursor=abc>; rel="next", <...>; rel="prev"
    for (const QByteArray &part : linkHeader.split(',')) {
        const QByteArray p = part.trimmed();
        const qsizetype open = p.indexOf('<'), close = p.indexOf('>');
        if (open != 0 || close < 0)
            continue;
        const QByteArray params = p.mid(close + 1);
        static const QRegularExpression relNext(QStringLiteral("rel\\s*=\\s*\"?next\"?"));
        if (relNext.match(QString::fromLatin1(params)).hasMatch())
            return base.resolved(QUrl::fromEncoded(p.mid(1, close - 1)));
    }
    return {};
}

QByteArray gitBlobHeader(qint64 size)
{
    QByteArray h = "blob " + QByteArray::number(size);
    h.append('\0');
    return h;
}

} // namespace folio::app
