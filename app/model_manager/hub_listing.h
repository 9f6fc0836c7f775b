// The hub side of a model download: which files a Hugging Face–style repository holds at a
// revision, and the URLs that list and fetch them. Pure functions over URLs and JSON, so the
// listing format is tested without a network.
//
// Endpoints (the hub's public REST API, also served by its mirrors):
//   GET {hub}/api/models/{owner}/{name}/tree/{revision}?recursive=true
//       -> [{"type":"file","path":"model-00001-of-00046.safetensors","size":N,"oid":"<git sha1>",
//            "lfs":{"oid":"<sha256>","size":N,"pointerSize":134}}, {"type":"directory",...}, ...]
//       paginated: the next page's URL is in the `Link: <url>; rel="next"` response header.
//   GET {hub}/{owner}/{name}/resolve/{revision}/{path}
//       -> the file's bytes (usually a redirect to a CDN for LFS files); honours Range.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QUrl>

namespace folio::app {

// The public hub's address; `--hub-url` and FOLIO_HUB_URL point Folio at a mirror instead.
QString defaultHubUrl();
// FOLIO_HUB_URL when set, else defaultHubUrl().
QString configuredHubUrl();

struct HubFile
{
    QString path;    // repository-relative, '/'-separated ("inference/model.py")
    qint64 size = 0; // bytes of the real content (the LFS object for LFS files)
    QString sha256;  // lower-case hex of the content for LFS files; empty when not known
    QString gitOid;  // git blob SHA-1 of the content for plain (non-LFS) files; else empty
};

// True for "owner/name" with the hub's allowed characters ([A-Za-z0-9._-], no "..", no leading
// or trailing '.' or '-').
bool isValidRepoId(const QString &repoId);
// True for a repository-relative path that stays inside the target directory: not empty, not
// absolute, no "." or ".." component, no backslash, no NUL.
bool isSafeRelativePath(const QString &path);

// URL of the first page of the recursive file listing.
QUrl treeListingUrl(const QString &hubUrl, const QString &repoId, const QString &revision);
// URL of one file at `revision`.
QUrl resolveUrl(const QString &hubUrl, const QString &repoId, const QString &revision,
                const QString &path);

// Parses one page of the tree listing, appending its files (directories are skipped) to
// `files`. Returns an empty string on success, else what is wrong with the JSON ("entry 3: no
// size"). Unsafe paths are errors: a listing must never write outside the target directory.
QString parseTreeListing(const QByteArray &json, QList<HubFile> *files);

// The URL of rel="next" in an HTTP Link header, resolved against `base`; empty when none.
QUrl nextPageUrl(const QByteArray &linkHeader, const QUrl &base);

// git's blob id of `size` bytes of content: SHA-1 over "blob <size>\0" followed by the bytes.
// Returns the header to feed a QCryptographicHash(Sha1) before the content.
QByteArray gitBlobHeader(qint64 size);

} // namespace folio::app
