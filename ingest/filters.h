// Filters: decide which files of a source are read, and say why every other one is skipped.
// Order of the checks (the first that fires is the reported reason):
//   1. user --exclude globs            "excluded: matches --exclude GLOB"
//   2. user --include globs            "not-included: matches no --include glob"
//   3. git attributes                  "binary: gitattributes binary" / "binary: gitattributes -diff"
//                                      "generated: linguist-generated" / "vendored: linguist-vendored"
//   4. vendored/generated path rules   "vendored: node_modules/" / "lock-file: ..." / "minified: ..."
//      (overridable: a path matched by an explicit --include glob, or marked
//       linguist-vendored=false / linguist-generated=false, keeps going; --keep-vendored disables)
//   5. size cap (default 1 MiB)        "too-large: 2.0 MiB > 1.0 MiB cap"
//   6. content                         "lfs-pointer: ..." / "binary: NUL byte in the first 8000 bytes"
// Globs: `*` and `?` stay inside one path segment, `**` crosses segments, `[abc]` is a class;
// a glob without `/` is matched against the file name in any directory, one with `/` against the
// whole path relative to the source root.
#pragma once

#include <QByteArrayView>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <vector>

namespace folio::ingest {

struct FilterOptions
{
    qint64 maxFileBytes = qint64(1) << 20; // per-file cap on the original bytes
    QStringList include;                   // when non-empty, a path must match one of them
    QStringList exclude;
    bool keepVendored = false; // disables rule 4
};

// The git attributes the filters consult (unspecified = neither set nor unset).
struct PathAttributes
{
    enum State { Unspecified, True, False };
    State binary = Unspecified;
    State diff = Unspecified;
    State generated = Unspecified; // linguist-generated
    State vendored = Unspecified;  // linguist-vendored
};

// One compiled glob.
class Glob
{
public:
    explicit Glob(const QString &pattern);
    bool matches(const QString &relativePath) const;
    const QString &pattern() const { return m_pattern; }

private:
    QString m_pattern;
    QRegularExpression m_re;
    bool m_nameOnly = false;
};

class FileFilter
{
public:
    explicit FileFilter(FilterOptions options = {});

    const FilterOptions &options() const { return m_options; }

    // Rules 1–4. Returns the skip reason, or an empty string to keep going.
    QString skipByPath(const QString &relativePath, const PathAttributes &attrs = {}) const;
    // Rule 5.
    QString skipBySize(qint64 bytes) const;
    // Rule 6 on the first bytes (at least 8000 when the file is that long) and the total size.
    QString skipByContent(QByteArrayView head, qint64 totalBytes) const;
    // Minified-by-content: a .js/.css/.json whose lines average over 500 bytes.
    QString skipByShape(const QString &relativePath, QByteArrayView text) const;

private:
    FilterOptions m_options;
    std::vector<Glob> m_include;
    std::vector<Glob> m_exclude;
};

// True when `head` is a Git LFS pointer file (spec v1).
bool isLfsPointer(QByteArrayView head, qint64 totalBytes);

// "1.5 MiB", "300 KiB", "12 bytes".
QString formatBytes(qint64 bytes);

} // namespace folio::ingest
