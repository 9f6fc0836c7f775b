// Content checks of downloaded files against what the hub published: SHA-256 of the content for
// LFS files, git's blob SHA-1 for plain files. One incremental hasher serves both the downloader
// (bytes hashed as they arrive, and the kept part of a resumed file) and `model verify` (whole
// files read back from disk).
#pragma once

#include "app/model_manager/hub_listing.h"

#include <QCryptographicHash>
#include <QString>

#include <atomic>
#include <memory>

namespace folio::app {

class ContentHasher
{
public:
    // Hashes toward `expected`'s sha256 when it has one, else its gitOid, else nothing (every
    // content is accepted).
    explicit ContentHasher(const HubFile &expected);

    bool checks() const { return m_hash != nullptr; }
    void addData(const char *data, qint64 size);
    // Hashes `path`'s first `bytes` bytes. Returns an empty string, or the read error.
    QString addFile(const QString &path, qint64 bytes, const std::atomic<bool> *cancel = nullptr);
    // Empty when the content matches (or nothing is checked), else "sha256 mismatch: expected
    // X, got Y" (the hash of everything added so far).
    QString mismatch();

private:
    HubFile m_expected;
    std::unique_ptr<QCryptographicHash> m_hash;
};

// Hashes the whole file at `path` against `expected` (size first, then content). Empty when it
// matches.
QString checkFileContent(const QString &path, const HubFile &expected,
                         const std::atomic<bool> *cancel = nullptr);

} // namespace folio::app
