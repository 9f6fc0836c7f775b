// TextSource (see text_source.h): a POSIX directory walk on byte paths (lstat: links are recorded,
// never followed), sorted output.
#include "ingest/text_source.h"

#include "ingest/text_decode.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

namespace {

QByteArray readLink(const QByteArray &path)
{
    QByteArray buf(4096, Qt::Uninitialized);
    const ssize_t n = ::readlink(path.constData(), buf.data(), size_t(buf.size()));
    buf.resize(n < 0 ? 0 : qsizetype(n));
    return buf;
}

// A regular file found by the walk, read after the walk (so that the progress total is known).
struct PlainFile
{
    QByteArray abs;
    QString shown;
};

// Walks `root/rel` with POSIX calls on byte paths: Qt's directory iterator silently drops names
// that are not valid in the locale's encoding, and every file must be accounted for. Links,
// skips and special files go to `out` at once; regular files to `files`, to be read afterwards.
OpenStatus walk(const QByteArray &root, const QByteArray &rel, const FileFilter &filter,
                SourceContents *out, std::vector<PlainFile> *files, const CancelFlag *cancel)
{
    const QByteArray dirPath = rel.isEmpty() ? root : root + '/' + rel;
    DIR *dir = ::opendir(dirPath.constData());
    if (!dir) {
        out->skipped.push_back(
            {displayPath(rel) + u'/', QStringLiteral("unreadable: cannot list the directory")});
        return OpenStatus::success();
    }
    std::vector<QByteArray> names;
    while (const dirent *e = ::readdir(dir)) {
        const QByteArray name(e->d_name);
        if (name != "." && name != "..")
            names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const QByteArray &name : names) {
        if (cancel && cancel->load())
            return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
        const QByteArray childRel = rel.isEmpty() ? name : rel + '/' + name;
        const QByteArray abs = root + '/' + childRel;
        const QString shown = displayPath(childRel);
        struct stat st;
        if (::lstat(abs.constData(), &st) != 0) {
            out->skipped.push_back(
                {shown,
                 QStringLiteral("unreadable: %1").arg(QString::fromLocal8Bit(strerror(errno)))});
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (name == ".git") {
                out->skipped.push_back(
                    {shown + u'/', QStringLiteral("vcs-metadata: git directory (open the folder as "
                                                  "a repository to read it)")});
                continue;
            }
            if (!isValidUtf8(childRel)) {
                out->skipped.push_back(
                    {shown + u'/', QStringLiteral("bad-path: directory name is not valid UTF-8")});
                continue;
            }
            if (OpenStatus s = walk(root, childRel, filter, out, files, cancel); !s.ok())
                return s;
            continue;
        }
        if (!isValidUtf8(childRel)) {
            out->skipped.push_back(
                {shown, QStringLiteral("bad-path: file name is not valid UTF-8")});
            continue;
        }
        if (QString why = filter.skipByPath(shown); !why.isEmpty()) {
            out->skipped.push_back({shown, why});
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            SourceItem item;
            item.kind = ItemKind::Symlink;
            item.path = shown;
            item.text = readLink(abs);
            item.bytes = item.text.size();
            item.contentId = blobIdOf(item.text);
            item.encoding = QStringLiteral("utf-8");
            out->items.push_back(std::move(item));
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            out->skipped.push_back({shown, QStringLiteral("special-file: not a regular file")});
            continue;
        }
        files->push_back({abs, shown});
    }
    return OpenStatus::success();
}

} // namespace

OpenStatus TextSource::read(const FileFilter &filter, SourceContents *out, const CancelFlag *cancel)
{
    const QFileInfo info(m_path);
    out->name = info.fileName();
    out->root = info.absoluteFilePath();
    progress().reset();
    if (!m_isDir) {
        progress().addTotal(1);
        readPlainFile(m_path, info.fileName(), filter, out);
        progress().advance();
        return OpenStatus::success();
    }
    const QByteArray root = QFile::encodeName(info.absoluteFilePath());
    std::vector<PlainFile> files;
    if (OpenStatus st = walk(root, QByteArray(), filter, out, &files, cancel); !st.ok())
        return st;
    // What the walk settled (links, skips) is done; the regular files are read now.
    const qint64 settled = out->items.size() + out->skipped.size();
    progress().addTotal(settled + qint64(files.size()));
    progress().advance(settled);
    for (const PlainFile &f : files) {
        if (cancel && cancel->load())
            return OpenStatus::failure(OpenResult::Cancelled, QStringLiteral("cancelled"));
        readPlainFile(QFile::decodeName(f.abs), f.shown, filter, out);
        progress().advance();
    }
    std::sort(out->items.begin(), out->items.end(),
              [](const SourceItem &a, const SourceItem &b) { return a.path < b.path; });
    std::sort(out->skipped.begin(), out->skipped.end(),
              [](const SkippedItem &a, const SkippedItem &b) { return a.path < b.path; });
    return OpenStatus::success();
}

} // namespace folio::ingest
