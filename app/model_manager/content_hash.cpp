// Content hashing for downloads and verification (see content_hash.h).
#include "app/model_manager/content_hash.h"

#include <QFile>
#include <QFileInfo>

namespace folio::app {

ContentHasher::ContentHasher(const HubFile &expected)
    : m_expected(expected)
{
    if (!expected.sha256.isEmpty()) {
        m_hash = std::make_unique<QCryptographicHash>(QCryptographicHash::Sha256);
    } else if (!expected.gitOid.isEmpty()) {
        m_hash = std::make_unique<QCryptographicHash>(QCryptographicHash::Sha1);
        m_hash->addData(gitBlobHeader(expected.size));
    }
}

void ContentHasher::addData(const char *data, qint64 size)
{
    if (m_hash)
        m_hash->addData(QByteArrayView(data, size));
}

QString ContentHasher::addFile(const QString &path, qint64 bytes, const std::atomic<bool> *cancel)
{
    if (!m_hash || bytes <= 0)
        return {};
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("%1: %2").arg(path, f.errorString());
    // 4 MiB reads: large enough that hashing, not syscalls, dominates.
    QByteArray buf(4 << 20, Qt::Uninitialized);
    qint64 left = bytes;
    while (left > 0) {
        if (cancel && cancel->load())
            return QStringLiteral("cancelled");
        const qint64 n = f.read(buf.data(), std::min<qint64>(left, buf.size()));
        if (n <= 0)
            return QStringLiteral("%1: read error after %2 bytes (%3)")
                .arg(path)
                .arg(bytes - left)
                .arg(f.errorString());
        m_hash->addData(QByteArrayView(buf.constData(), n));
        left -= n;
    }
    return {};
}

QString ContentHasher::mismatch()
{
    if (!m_hash)
        return {};
    const QString got = QString::fromLatin1(m_hash->result().toHex());
    const bool sha256 = !m_expected.sha256.isEmpty();
    const QString &want = sha256 ? m_expected.sha256 : m_expected.gitOid;
    if (got == want)
        return {};
    return QStringLiteral("%1 mismatch: expected %2, got %3")
        .arg(sha256 ? QStringLiteral("sha256") : QStringLiteral("git blob sha1"), want, got);
}

QString checkFileContent(const QString &path, const HubFile &expected,
                         const std::atomic<bool> *cancel)
{
    const QFileInfo info(path);
    if (!info.exists())
        return QStringLiteral("missing");
    if (info.size() != expected.size)
        return QStringLiteral("size %1, expected %2").arg(info.size()).arg(expected.size);
    ContentHasher hasher(expected);
    if (QString err = hasher.addFile(path, expected.size, cancel); !err.isEmpty())
        return err;
    return hasher.mismatch();
}

} // namespace folio::app
