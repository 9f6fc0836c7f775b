// Plain files and folders as a source: a text or Markdown file dropped directly, or a folder without
// git walked recursively with the same filters as a repository. Symlinks are recorded as links and
// never followed; a `.git` directory inside the folder is skipped as a whole.
#pragma once

#include "ingest/source.h"

namespace folio::ingest {

class TextSource final : public Source
{
public:
    explicit TextSource(QString path);

    QString displayName() const override;
    OpenStatus open() override;
    OpenStatus read(const FileFilter &filter, SourceContents *out,
                    const CancelFlag *cancel = nullptr) override;

private:
    QString m_path;
    bool m_isDir = false;
};

// Reads one regular file through the filters' size, content and shape rules; on success appends
// an item with `relativePath`, otherwise a skip. Shared by the folder walk and dropped files.
void readPlainFile(const QString &absolutePath, const QString &relativePath,
                   const FileFilter &filter, SourceContents *out);

} // namespace folio::ingest
