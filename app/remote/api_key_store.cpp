// API keys in an owner-only file (see api_key_store.h).
#include "app/remote/api_key_store.h"

#include "app/app_info.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace folio::remote {

namespace {

constexpr QFileDevice::Permissions kOwnerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;

bool readKeys(const QString &path, QJsonObject *keys, QString *error)
{
    QFile f(path);
    if (!f.exists()) {
        *keys = {};
        return true;
    }
    // Group or world access means the key may already have leaked; refuse, and say how to fix.
    const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup
                                            | QFileDevice::ReadOther | QFileDevice::WriteOther;
    if (f.permissions() & others) {
        if (error)
            *error = QStringLiteral("%1 is readable by other users; run `chmod 600 %1` (and "
                                    "consider replacing the keys it holds)")
                         .arg(path);
        return false;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QStringLiteral("%1 is not a valid key file (%2)").arg(path, perr.errorString());
        return false;
    }
    *keys = doc.object().value(QLatin1String("keys")).toObject();
    return true;
}

} // namespace

ApiKeyStore::ApiKeyStore()
    : m_path(QDir(app::dataDirectory()).filePath(QStringLiteral("api-keys.json")))
{}

ApiKeyStore::ApiKeyStore(QString path)
    : m_path(std::move(path))
{}

QString ApiKeyStore::endpointName(const QUrl &endpoint)
{
    const int defaultPort = endpoint.scheme() == QLatin1String("https") ? 443 : 80;
    return QStringLiteral("%1://%2:%3")
        .arg(endpoint.scheme(), endpoint.host().toLower())
        .arg(endpoint.port(defaultPort));
}

QString ApiKeyStore::key(const QUrl &endpoint, QString *error) const
{
    QJsonObject keys;
    if (!readKeys(m_path, &keys, error))
        return {};
    return keys.value(endpointName(endpoint)).toString();
}

bool ApiKeyStore::setKey(const QUrl &endpoint, const QString &key, QString *error)
{
    QJsonObject keys;
    if (!readKeys(m_path, &keys, error))
        return false;
    if (key.isEmpty())
        keys.remove(endpointName(endpoint));
    else
        keys.insert(endpointName(endpoint), key);
    const QByteArray bytes = QJsonDocument(QJsonObject{{QStringLiteral("keys"), keys}})
                                 .toJson(QJsonDocument::Indented);

    QDir().mkpath(QFileInfo(m_path).absolutePath());
    // Write a fresh file created 0600 (never a moment with wider permissions), then rename it over
    // the old one, so a crash leaves either the old or the new file.
    const QString tmp = m_path + QStringLiteral(".tmp");
    QFile::remove(tmp);
    QFile f(tmp);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, kOwnerOnly)
        || f.write(bytes) != bytes.size() || !f.flush()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(tmp, f.errorString());
        f.close();
        QFile::remove(tmp);
        return false;
    }
    f.close();
    if (QFile::exists(m_path) && !QFile::remove(m_path)) {
        if (error)
            *error = QStringLiteral("cannot replace %1").arg(m_path);
        QFile::remove(tmp);
        return false;
    }
    if (!QFile::rename(tmp, m_path)) {
        if (error)
            *error = QStringLiteral("cannot rename %1 to %2").arg(tmp, m_path);
        return false;
    }
    return true;
}

QString redact(QString text, const QString &secret)
{
    if (secret.isEmpty())
        return text;
    // Longest first, so that an echoed prefix ("sk-01234567****") loses all of its key bytes.
    for (qsizetype len = secret.size(); len >= std::min<qsizetype>(8, secret.size()); --len)
        text.replace(secret.left(len), QStringLiteral("***"));
    return text;
}

} // namespace folio::remote
