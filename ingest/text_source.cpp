// TextSource (see text_source.h): QDirIterator without FollowSymlinks, sorted output.
#include "ingest/text_source.h"

#include "ingest/text_decode.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

#include <unistd.h>

namespace folio::ingest {

TextSource::TextSource(QString path)
    : m_path(std::move(path))
{}

QString TextSource::displayName() const
{
    return QFileInfo(m_path).fileName();
}

OpenStatus TextSource::open()
{
    const QFileInfo info(m_path);
    if (!info.exists() && !info.isSymLink())
        return OpenStatus::failure(OpenResult::NotFound,
                                   QStringLiteral("%1: no such file or directory").arg(m_path));
    if (!info.isReadable())
        return OpenStatus::failure(OpenResult::Failed,
                                   QStringLiteral("%1: permission denied").arg(m_path));
    m_isDir = info.isDir();
    if (!m_isDir && !info.isFile())
        return OpenStatus::failure(OpenResult::Unsupported,
                                   QStringLiteral("%1: not a regular file or folder").arg(m_path));
    return OpenStatus::success();
}

void readPlainFile(const QString &abs, const QString &rel, const FileFilter &filter,
                   SourceContents *out)
{
    QFile f(abs);
    if (!f.open(QIODevice::ReadOnly)) {
        out->skipped.push_back({rel, QStringLiteral("unreadable: %1").arg(f.errorString())});
        return;
    }
    const qint64 size = f.size();
    if (QString why = filter.skipBySize(size); !why.isEmpty()) {
        out->skipped.push_back({rel, why});
        return;
    }
    // Sniff before reading everything: a binary file is rejected after 8000 bytes.
    QByteArray bytes = f.read(8000);
    if (QString why = filter.skipByContent(bytes, size); !why.isEmpty()) {
        out->skipped.push_back({rel, why});
        return;
    }
    bytes += f.readAll();
    DecodedText text = decodeText(bytes);
    if (QString why = filter.skipByShape(rel, text.utf8); !why.isEmpty()) {
        out->skipped.push_back({rel, why});
        return;
    }
    SourceItem item;
    item.path = rel;
    item.bytes = bytes.size();
    item.contentId = blobIdOf(bytes);
    item.encoding = encodingName(text.encoding);
    item.text = std::move(text.utf8);
    out->items.push_back(std::move(item));
}

OpenStatus TextSource::read(const FileFilter &filter, SourceContents *out, const CancelFlag *cancel)
{
    const QFileInfo info(m_path);
    out->name = info.fileName();
    out->root = info.absoluteFilePath();
    if (!m_isDir) {
        readPlainFile(m_path, info.fileName(), filter, out);
        return OpenStatus::success();
    }
    const QDir root(info.absoluteFilePath());
    QDirIterator it(root.absolutePath(),
                    QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories); // no FollowSymlinks: links are recorded, not walked
    while (it.hasNext()) {
        if (cancel && cancel->load())
            return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
        const QString abs = it.next();
        const QFileInfo fi = it.fileInfo();
        const QString rel = root.relativeFilePath(abs);
        if (rel == QStringLiteral(".git") || rel.startsWith(QStringLiteral(".git/"))
            || rel.contains(QStringLiteral("/.git/")) || rel.endsWith(QStringLiteral("/.git"))) {
            if (fi.fileName() == QStringLiteral(".git"))
                out->skipped.push_back(
                    {rel + u'/', QStringLiteral("vcs-metadata: git directory (open the folder as a "
                                                "repository to read it)")});
            continue;
        }
        if (rel.contains(QChar::ReplacementCharacter) && !fi.exists() && !fi.isSymLink()) {
            out->skipped.push_back({rel, QStringLiteral("bad-path: file name is not valid UTF-8")});
            continue;
        }
        if (fi.isSymLink()) {
            if (QString why = filter.skipByPath(rel); !why.isEmpty()) {
                out->skipped.push_back({rel, why});
                continue;
            }
            SourceItem item;
            item.kind = ItemKind::Symlink;
            item.path = rel;
            const QByteArray p = QFile::encodeName(abs);
            QByteArray buf(4096, Qt::Uninitialized);
            const ssize_t n = ::readlink(p.constData(), buf.data(), size_t(buf.size()));
            buf.resize(n < 0 ? 0 : qsizetype(n));
            item.text = buf;
            item.bytes = buf.size();
            item.contentId = blobIdOf(buf);
            item.encoding = QStringLiteral("utf-8");
            out->items.push_back(std::move(item));
            continue;
        }
        if (fi.isDir())
            continue;
        if (!fi.isFile()) {
            out->skipped.push_back({rel, QStringLiteral("special-file: not a regular file")});
            continue;
        }
        if (QString why = filter.skipByPath(rel); !why.isEmpty()) {
            out->skipped.push_back({rel, why});
            continue;
        }
        readPlainFile(abs, rel, filter, out);
    }
    std::sort(out->items.begin(), out->items.end(),
              [](const SourceItem &a, const SourceItem &b) { return a.path < b.path; });
    std::sort(out->skipped.begin(), out->skipped.end(),
              [](const SkippedItem &a, const SkippedItem &b) { return a.path < b.path; });
    return OpenStatus::success();
}

} // namespace folio::ingest
