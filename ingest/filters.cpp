// Filters (rules in filters.h): globs, git attributes, vendored/generated path rules, size cap and
// content sniffing. Every negative answer is a readable reason that ends up in the manifest.
#include "ingest/filters.h"

#include <QFileInfo>

namespace folio::ingest {

namespace {

// Builds an anchored regular expression from a glob (see filters.h for the dialect).
QString globToRegex(const QString &glob)
{
    QString re;
    re.reserve(glob.size() * 2 + 4);
    for (qsizetype i = 0; i < glob.size(); ++i) {
        const QChar c = glob[i];
        if (c == u'*') {
            if (i + 1 < glob.size() && glob[i + 1] == u'*') {
                ++i;
                // `**/` matches zero or more whole directories; a bare `**` matches anything.
                if (i + 1 < glob.size() && glob[i + 1] == u'/') {
                    ++i;
                    re += QStringLiteral("(?:.*/)?");
                } else {
                    re += QStringLiteral(".*");
                }
            } else {
                re += QStringLiteral("[^/]*");
            }
        } else if (c == u'?') {
            re += QStringLiteral("[^/]");
        } else if (c == u'[') {
            const qsizetype close = glob.indexOf(u']', i + 1);
            if (close < 0) {
                re += QStringLiteral("\\[");
            } else {
                QString cls = glob.mid(i + 1, close - i - 1);
                if (cls.startsWith(u'!'))
                    cls[0] = u'^';
                cls.replace(QStringLiteral("\\"), QStringLiteral("\\\\"));
                re += u'[' + cls + u']';
                i = close;
            }
        } else {
            re += QRegularExpression::escape(QString(c));
        }
    }
    return QRegularExpression::anchoredPattern(re);
}

// Directory names that hold vendored or generated code, skipped wherever they appear.
const QStringList &vendoredDirs()
{
    static const QStringList dirs = {QStringLiteral("node_modules"),
                                     QStringLiteral("vendor"),
                                     QStringLiteral("third_party"),
                                     QStringLiteral("thirdparty"),
                                     QStringLiteral("3rdparty"),
                                     QStringLiteral("bower_components"),
                                     QStringLiteral("dist"),
                                     QStringLiteral("Pods"),
                                     QStringLiteral(".git")};
    return dirs;
}

const QStringList &lockFiles()
{
    static const QStringList names
        = {QStringLiteral("package-lock.json"), QStringLiteral("npm-shrinkwrap.json"),
           QStringLiteral("yarn.lock"),         QStringLiteral("pnpm-lock.yaml"),
           QStringLiteral("Cargo.lock"),        QStringLiteral("Gemfile.lock"),
           QStringLiteral("poetry.lock"),       QStringLiteral("Pipfile.lock"),
           QStringLiteral("composer.lock"),     QStringLiteral("go.sum"),
           QStringLiteral("flake.lock"),        QStringLiteral("bun.lockb")};
    return names;
}

} // namespace

Glob::Glob(const QString &pattern)
    : m_pattern(pattern)
{
    QString p = pattern;
    if (p.startsWith(u'/'))
        p.remove(0, 1); // "/src/*.c": anchored at the root, which every path-glob already is
    else if (!p.contains(u'/'))
        m_nameOnly = true;
    if (p.endsWith(u'/'))
        p += QStringLiteral("**"); // "tests/" means everything under tests
    m_re.setPattern(globToRegex(p));
}

bool Glob::matches(const QString &relativePath) const
{
    if (m_nameOnly) {
        const qsizetype slash = relativePath.lastIndexOf(u'/');
        return m_re.match(slash < 0 ? relativePath : relativePath.mid(slash + 1)).hasMatch();
    }
    return m_re.match(relativePath).hasMatch();
}

FileFilter::FileFilter(FilterOptions options)
    : m_options(std::move(options))
{
    for (const QString &g : m_options.include)
        m_include.emplace_back(g);
    for (const QString &g : m_options.exclude)
        m_exclude.emplace_back(g);
}

QString FileFilter::skipByPath(const QString &path, const PathAttributes &attrs) const
{
    for (const Glob &g : m_exclude) {
        if (g.matches(path))
            return QStringLiteral("excluded: matches --exclude %1").arg(g.pattern());
    }
    bool explicitlyIncluded = false;
    if (!m_include.empty()) {
        for (const Glob &g : m_include) {
            if (g.matches(path)) {
                explicitlyIncluded = true;
                break;
            }
        }
        if (!explicitlyIncluded)
            return QStringLiteral("not-included: matches no --include glob");
    }
    if (attrs.binary == PathAttributes::True)
        return QStringLiteral("binary: gitattributes binary");
    if (attrs.diff == PathAttributes::False)
        return QStringLiteral("binary: gitattributes -diff");
    if (attrs.generated == PathAttributes::True)
        return QStringLiteral("generated: linguist-generated");
    if (attrs.vendored == PathAttributes::True)
        return QStringLiteral("vendored: linguist-vendored");

    // Why the heuristics yield to an explicit include or a `false` attribute: they are guesses,
    // and the user (or the repository's own .gitattributes) knows better.
    if (m_options.keepVendored || explicitlyIncluded)
        return QString();
    const QStringList segments = path.split(u'/');
    for (qsizetype i = 0; i + 1 < segments.size(); ++i) {
        if (vendoredDirs().contains(segments[i]) && attrs.vendored != PathAttributes::False)
            return QStringLiteral("vendored: %1/").arg(segments.mid(0, i + 1).join(u'/'));
    }
    const QString name = segments.last();
    if (attrs.generated != PathAttributes::False) {
        if (lockFiles().contains(name) || name.endsWith(QStringLiteral(".lock")))
            return QStringLiteral("lock-file: %1").arg(name);
        if (name.endsWith(QStringLiteral(".min.js")) || name.endsWith(QStringLiteral(".min.css"))
            || name.endsWith(QStringLiteral(".min.mjs")))
            return QStringLiteral("minified: %1").arg(name);
        if (name.endsWith(QStringLiteral(".js.map")) || name.endsWith(QStringLiteral(".css.map")))
            return QStringLiteral("generated: source map");
    }
    return QString();
}

QString FileFilter::skipBySize(qint64 bytes) const
{
    if (m_options.maxFileBytes > 0 && bytes > m_options.maxFileBytes) {
        return QStringLiteral("too-large: %1 > %2 cap")
            .arg(formatBytes(bytes), formatBytes(m_options.maxFileBytes));
    }
    return QString();
}

bool isLfsPointer(QByteArrayView head, qint64 totalBytes)
{
    // Pointer files are tiny (the spec caps them at 1024 bytes) and start with the version line.
    static constexpr QByteArrayView kVersion = "version https://git-lfs.github.com/spec/v1\n";
    return totalBytes < 1024 && head.startsWith(kVersion) && head.contains("\noid sha256:");
}

QString FileFilter::skipByContent(QByteArrayView head, qint64 totalBytes) const
{
    if (isLfsPointer(head, totalBytes))
        return QStringLiteral(
            "lfs-pointer: Git LFS object not fetched (only its pointer is in git)");
    // git's own heuristic: a NUL in the first 8000 bytes means binary. A UTF-16 BOM is text.
    const QByteArrayView sniff = head.first(qMin<qsizetype>(head.size(), 8000));
    if (sniff.size() >= 2) {
        const auto b0 = static_cast<unsigned char>(sniff[0]);
        const auto b1 = static_cast<unsigned char>(sniff[1]);
        if ((b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF))
            return QString();
    }
    if (sniff.contains('\0'))
        return QStringLiteral("binary: NUL byte in the first 8000 bytes");
    return QString();
}

QString FileFilter::skipByShape(const QString &path, QByteArrayView text) const
{
    if (m_options.keepVendored || text.size() < 4096)
        return QString();
    if (!(path.endsWith(QStringLiteral(".js")) || path.endsWith(QStringLiteral(".css"))
          || path.endsWith(QStringLiteral(".mjs"))))
        return QString();
    const qsizetype lines = text.count('\n') + 1;
    if (text.size() / lines > 500)
        return QStringLiteral("minified: lines average %1 bytes").arg(text.size() / lines);
    return QString();
}

QString formatBytes(qint64 bytes)
{
    if (bytes >= (qint64(1) << 20))
        return QStringLiteral("%1 MiB").arg(double(bytes) / double(1 << 20), 0, 'f', 1);
    if (bytes >= 1024)
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 bytes").arg(bytes);
}

} // namespace folio::ingest
