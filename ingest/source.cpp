// Helpers shared by every Source: result and kind names, content ids, display of byte paths, read
// progress.
#include "ingest/source.h"

#include "ingest/text_decode.h"

#include <QCryptographicHash>

#include <algorithm>
#include <memory>

#include <openssl/evp.h>

namespace folio::ingest {

QString openResultName(OpenResult r)
{
    switch (r) {
    case OpenResult::Ok:
        return QStringLiteral("ok");
    case OpenResult::NotFound:
        return QStringLiteral("not_found");
    case OpenResult::NeedsPassword:
        return QStringLiteral("needs_password");
    case OpenResult::Damaged:
        return QStringLiteral("damaged");
    case OpenResult::Unsupported:
        return QStringLiteral("unsupported");
    case OpenResult::BadReference:
        return QStringLiteral("bad_reference");
    case OpenResult::Failed:
        return QStringLiteral("failed");
    case OpenResult::Cancelled:
        return QStringLiteral("cancelled");
    }
    return QString();
}

QString itemKindName(ItemKind k)
{
    switch (k) {
    case ItemKind::File:
        return QStringLiteral("file");
    case ItemKind::Symlink:
        return QStringLiteral("symlink");
    case ItemKind::PdfPage:
        return QStringLiteral("pdf_page");
    }
    return QString();
}

void ReadProgress::setCallback(ProgressCallback callback)
{
    const std::lock_guard lock(m_mutex);
    m_callback = std::move(callback);
}

void ReadProgress::reset()
{
    const std::lock_guard lock(m_mutex);
    m_done = 0;
    m_total = 0;
}

void ReadProgress::addTotal(qint64 n)
{
    const std::lock_guard lock(m_mutex);
    m_total += n;
    report();
}

void ReadProgress::advance(qint64 n)
{
    const std::lock_guard lock(m_mutex);
    m_done += n;
    report();
}

void ReadProgress::report()
{
    // Called under the lock: calls are serialised and `done` is seen in order by the callback.
    if (m_callback)
        m_callback(m_done, std::max(m_total, m_done));
}

QByteArray blobIdOf(QByteArrayView bytes)
{
    const QByteArray header = QByteArray("blob ") + QByteArray::number(bytes.size())
                              + QByteArray(1, '\0');
    // OpenSSL's SHA-1 uses the CPU's SHA instructions (1.7 GB/s on the dev machine, several times
    // Qt's portable code): every file read from disk and every PDF page is hashed once.
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                      EVP_MD_CTX_free);
    if (ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) == 1
        && EVP_DigestUpdate(ctx.get(), header.constData(), size_t(header.size())) == 1
        && EVP_DigestUpdate(ctx.get(), bytes.data(), size_t(bytes.size())) == 1
        && EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1)
        return QByteArray(reinterpret_cast<const char *>(digest), qsizetype(length)).toHex();
    // SHA-1 refused (a FIPS-only configuration): the same id through Qt.
    QCryptographicHash h(QCryptographicHash::Sha1);
    h.addData(header);
    h.addData(bytes);
    return h.result().toHex();
}

QString displayPath(QByteArrayView raw)
{
    if (isValidUtf8(raw))
        return QString::fromUtf8(raw);
    // Walk the bytes: keep each valid UTF-8 sequence, escape every other byte.
    QString out;
    qsizetype i = 0;
    while (i < raw.size()) {
        const auto c = static_cast<unsigned char>(raw[i]);
        int len = c < 0x80                   ? 1
                  : (c >= 0xC2 && c <= 0xDF) ? 2
                  : (c >= 0xE0 && c <= 0xEF) ? 3
                  : (c >= 0xF0 && c <= 0xF4) ? 4
                                             : 0;
        if (len > 0 && i + len <= raw.size() && isValidUtf8(raw.sliced(i, len))) {
            out += QString::fromUtf8(raw.sliced(i, len));
            i += len;
        } else {
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
            ++i;
        }
    }
    return out;
}

} // namespace folio::ingest
