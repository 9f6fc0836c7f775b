// ModelDownloader (see model_downloader.h): listing, disk check, parallel resumable transfers with
// hashing on the fly, and the manifest.
#include "app/model_manager/model_downloader.h"

#include "app/app_info.h"
#include "app/model_manager/content_hash.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QTimer>

namespace folio::app {

namespace {

constexpr int kMaxRedirects = 10;
// The rate is averaged over this window: long enough to smooth bursts, short enough to follow
// a changing link.
constexpr qint64 kRateWindowMs = 10000;

bool isRedirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

} // namespace

struct ModelDownloader::Task
{
    HubFile file;
    QString partPath, finalPath;
    QFile out;
    std::unique_ptr<ContentHasher> hasher;
    qint64 offset = 0; // bytes in the part file (== bytes hashed)
    int attempts = 0;
    int redirects = 0;
    bool accepting = false; // the current reply's body is file content at `offset`
    QNetworkReply *reply = nullptr;
};

ModelDownloader::ModelDownloader(DownloadOptions options, QObject *parent)
    : QObject(parent)
    , m_opts(std::move(options))
{
    if (m_opts.hubUrl.isEmpty())
        m_opts.hubUrl = configuredHubUrl();
    if (m_opts.revision.isEmpty())
        m_opts.revision = QStringLiteral("main");
    m_opts.parallel = std::max(1, m_opts.parallel);
}

ModelDownloader::~ModelDownloader()
{
    for (auto &t : m_tasks) {
        if (t->reply) {
            t->reply->disconnect(this);
            t->reply->abort();
        }
    }
}

void ModelDownloader::start()
{
    if (!isValidRepoId(m_opts.repoId))
        return fail(
            QStringLiteral("'%1' is not a repository id (expected owner/name)").arg(m_opts.repoId));
    const QUrl hub(m_opts.hubUrl);
    if (!hub.isValid()
        || (hub.scheme() != QLatin1String("https") && hub.scheme() != QLatin1String("http")))
        return fail(QStringLiteral("'%1' is not an http(s) URL").arg(m_opts.hubUrl));
    if (m_opts.targetDir.isEmpty() || !QDir().mkpath(m_opts.targetDir))
        return fail(QStringLiteral("cannot create the directory '%1'").arg(m_opts.targetDir));

    m_nam = new QNetworkAccessManager(this);
    m_clock.start();
    m_progressTimer = new QTimer(this);
    m_progressTimer->setInterval(500);
    connect(m_progressTimer, &QTimer::timeout, this, &ModelDownloader::emitProgress);
    Q_EMIT message(
        QStringLiteral("Listing %1 at %2 on %3").arg(m_opts.repoId, m_opts.revision, m_opts.hubUrl));
    requestListing(treeListingUrl(m_opts.hubUrl, m_opts.repoId, m_opts.revision), 0);
}

void ModelDownloader::cancel()
{
    if (m_finished)
        return;
    m_cancelled = true;
    m_errors.append(QStringLiteral("cancelled; run the same command again to resume"));
    for (auto &t : m_tasks) {
        if (t->reply)
            t->reply->abort(); // finished() follows and sees m_cancelled
    }
    m_queue.clear();
    maybeFinish();
}

bool ModelDownloader::sameHostAsHub(const QUrl &url) const
{
    const QUrl hub(m_opts.hubUrl);
    return url.scheme() == hub.scheme() && url.host() == hub.host() && url.port() == hub.port();
}

QString ModelDownloader::httpError(QNetworkReply *reply) const
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    switch (status) {
    case 401:
    case 403:
        return QStringLiteral("HTTP %1: access denied; gated or private repositories need a token "
                              "(--token, or accept the model's terms on the hub first)")
            .arg(status);
    case 404:
        return QStringLiteral("HTTP 404: not found (check the repository id and the revision)");
    default:
        break;
    }
    if (status >= 400)
        return QStringLiteral("HTTP %1 %2")
            .arg(status)
            .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
    return reply->errorString();
}

// --- Listing -------------------------------------------------------------------------------------

void ModelDownloader::requestListing(const QUrl &url, int redirects)
{
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    req.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("folio/%1").arg(version()));
    req.setTransferTimeout(m_opts.stallTimeoutMs);
    if (!m_opts.token.isEmpty() && sameHostAsHub(url))
        req.setRawHeader("Authorization", "Bearer " + m_opts.token.toUtf8());
    QNetworkReply *reply = m_nam->get(req);
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, redirects] { onListingFinished(reply, redirects); });
}

void ModelDownloader::onListingFinished(QNetworkReply *reply, int redirects)
{
    reply->deleteLater();
    if (m_cancelled)
        return maybeFinish();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (isRedirect(status) && redirects < kMaxRedirects) {
        const QUrl next = reply->url().resolved(
            reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl());
        return requestListing(next, redirects + 1);
    }
    if (reply->error() != QNetworkReply::NoError || status != 200)
        return fail(QStringLiteral("listing %1 failed: %2").arg(m_opts.repoId, httpError(reply)));
    if (QString err = parseTreeListing(reply->readAll(), &m_listing); !err.isEmpty())
        return fail(QStringLiteral("the hub's file listing is malformed: %1").arg(err));
    const QUrl next = nextPageUrl(reply->rawHeader("Link"), reply->url());
    if (next.isValid() && !next.isEmpty())
        return requestListing(next, 0);
    prepareFiles();
}

// --- Preparing: what is done, what is left, is there room ------------------------------------

void ModelDownloader::prepareFiles()
{
    if (m_listing.isEmpty())
        return fail(
            QStringLiteral("%1 has no files at revision %2").arg(m_opts.repoId, m_opts.revision));
    const QDir dir(m_opts.targetDir);
    ModelManifest previous;
    const bool havePrevious = previous.read(m_opts.targetDir).isEmpty()
                              && previous.repo == m_opts.repoId;

    m_manifest = ModelManifest();
    m_manifest.repo = m_opts.repoId;
    m_manifest.revision = m_opts.revision;
    m_manifest.hub = m_opts.hubUrl;

    qint64 remaining = 0;
    int alreadyComplete = 0;
    for (const HubFile &f : m_listing) {
        ManifestFile entry{f, false};
        const QString finalPath = dir.filePath(f.path);
        const QFileInfo existing(finalPath);
        if (existing.isFile() && existing.size() == f.size) {
            const ManifestFile *old = havePrevious ? previous.find(f.path) : nullptr;
            if (old && old->complete && old->file.size == f.size && old->file.sha256 == f.sha256
                && old->file.gitOid == f.gitOid) {
                entry.complete = true; // verified when it was written
            } else {
                // Present but not recorded (a copy made by hand, or another revision): a hash is
                // much cheaper than a download.
                Q_EMIT message(QStringLiteral("Checking the existing %1").arg(f.path));
                entry.complete = checkFileContent(finalPath, f).isEmpty();
            }
        }
        m_manifest.files.append(entry);
        m_progress.totalBytes += f.size;
        if (entry.complete) {
            ++alreadyComplete;
            m_progress.doneBytes += f.size;
            continue;
        }
        const qint64 part = QFileInfo(finalPath + QStringLiteral(".part")).size();
        const qint64 kept = (part > 0 && part <= f.size) ? part : 0;
        remaining += f.size - kept;
        m_progress.doneBytes += kept;
        auto task = std::make_unique<Task>();
        task->file = f;
        task->finalPath = finalPath;
        task->partPath = finalPath + QStringLiteral(".part");
        m_queue.push_back(task.get());
        m_tasks.push_back(std::move(task));
    }
    m_progress.filesTotal = int(m_listing.size());
    m_progress.filesDone = alreadyComplete;

    Q_EMIT message(QStringLiteral("%1 files, %2; %3 already complete, %4 to download")
                       .arg(m_listing.size())
                       .arg(formatBytes(m_progress.totalBytes))
                       .arg(alreadyComplete)
                       .arg(formatBytes(remaining)));

    const QStorageInfo storage(m_opts.targetDir);
    const qint64 available = storage.bytesAvailable();
    if (remaining > 0 && available >= 0 && available < remaining + m_opts.diskReserveBytes) {
        return fail(QStringLiteral("not enough disk space in %1: %2 to download (+%3 kept free), "
                                   "%4 available")
                        .arg(m_opts.targetDir, formatBytes(remaining),
                             formatBytes(m_opts.diskReserveBytes), formatBytes(available)));
    }
    if (QString err = m_manifest.write(m_opts.targetDir); !err.isEmpty())
        return fail(err);
    m_samples.push_back({m_clock.elapsed(), m_progress.doneBytes});
    m_progressTimer->start();
    emitProgress();
    startNextTasks();
    maybeFinish();
}

// --- Transfers -----------------------------------------------------------------------------------

void ModelDownloader::startNextTasks()
{
    while (!m_cancelled && m_active < m_opts.parallel && !m_queue.empty()) {
        Task *t = m_queue.front();
        m_queue.pop_front();
        ++m_active;
        startTask(t);
    }
}

void ModelDownloader::startTask(Task *t)
{
    QDir().mkpath(QFileInfo(t->partPath).absolutePath());
    t->out.setFileName(t->partPath);
    if (!t->out.open(QIODevice::ReadWrite))
        return failTask(t, QStringLiteral("cannot write %1: %2")
                               .arg(t->partPath, t->out.errorString()));
    t->offset = t->out.size();
    if (t->offset > t->file.size) {
        t->out.resize(0); // longer than the file can be: not ours to continue
        t->offset = 0;
    }
    // Why hash the kept part instead of trusting it: the final check covers the whole content,
    // so a part written by an interrupted run is verified like the rest.
    t->hasher = std::make_unique<ContentHasher>(t->file);
    if (QString err = t->hasher->addFile(t->partPath, t->offset); !err.isEmpty())
        return failTask(t, err);
    t->out.seek(t->offset);
    if (t->offset == t->file.size)
        return completeTask(t); // the previous run stopped between the last byte and the rename
    if (t->offset > 0)
        Q_EMIT message(
            QStringLiteral("Resuming %1 at %2").arg(t->file.path, formatBytes(t->offset)));
    t->redirects = 0;
    sendRequest(t, resolveUrl(m_opts.hubUrl, m_opts.repoId, m_opts.revision, t->file.path));
}

void ModelDownloader::sendRequest(Task *t, const QUrl &url)
{
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    req.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("folio/%1").arg(version()));
    // Identity encoding: Range offsets must count bytes of the file, not of a compressed stream.
    req.setRawHeader("Accept-Encoding", "identity");
    req.setTransferTimeout(m_opts.stallTimeoutMs);
    if (!m_opts.token.isEmpty() && sameHostAsHub(url))
        req.setRawHeader("Authorization", "Bearer " + m_opts.token.toUtf8());
    if (t->offset > 0)
        req.setRawHeader("Range", "bytes=" + QByteArray::number(t->offset) + '-');
    t->accepting = false;
    t->reply = m_nam->get(req);
    // Large reads: a slow consumer must not make Qt buffer a whole shard in memory.
    t->reply->setReadBufferSize(8 << 20);
    connect(t->reply, &QNetworkReply::metaDataChanged, this, [this, t] { onMetaData(t); });
    connect(t->reply, &QNetworkReply::readyRead, this, [this, t] { onReadyRead(t); });
    connect(t->reply, &QNetworkReply::finished, this, [this, t] { onTaskReplyFinished(t); });
}

void ModelDownloader::onMetaData(Task *t)
{
    QNetworkReply *reply = t->reply;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    t->accepting = false;
    if (status == 206) {
        // Content-Range: bytes START-END/TOTAL; anything but our offset would corrupt the file.
        static const QRegularExpression re(QStringLiteral("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$"));
        const auto m = re.match(QString::fromLatin1(reply->rawHeader("Content-Range")).trimmed());
        if (!m.hasMatch() || m.captured(1).toLongLong() != t->offset) {
            // Start over rather than guess.
            t->out.resize(0);
            t->out.seek(0);
            m_progress.doneBytes -= t->offset;
            t->offset = 0;
            t->hasher = std::make_unique<ContentHasher>(t->file);
            reply->abort();
            return;
        }
        t->accepting = true;
    } else if (status == 200) {
        if (t->offset > 0) {
            // The server ignored the Range header and sends the whole file: restart the part.
            t->out.resize(0);
            t->out.seek(0);
            m_progress.doneBytes -= t->offset;
            t->offset = 0;
            t->hasher = std::make_unique<ContentHasher>(t->file);
        }
        t->accepting = true;
    }
}

void ModelDownloader::onReadyRead(Task *t)
{
    if (!t->accepting) {
        t->reply->readAll(); // a redirect's or an error's body
        return;
    }
    const QByteArray data = t->reply->readAll();
    if (data.isEmpty())
        return;
    if (t->offset + data.size() > t->file.size) {
        dropReply(t);
        return failTask(t, QStringLiteral("%1: the server sent more than the listed %2 bytes")
                               .arg(t->file.path)
                               .arg(t->file.size));
    }
    if (t->out.write(data) != data.size()) {
        dropReply(t);
        return failTask(t, QStringLiteral("writing %1: %2").arg(t->partPath, t->out.errorString()));
    }
    t->hasher->addData(data.constData(), data.size());
    t->offset += data.size();
    m_progress.doneBytes += data.size();
}

void ModelDownloader::dropReply(Task *t)
{
    QNetworkReply *reply = t->reply;
    t->reply = nullptr;
    t->accepting = false;
    reply->disconnect(this);
    reply->abort();
    reply->deleteLater();
}

void ModelDownloader::onTaskReplyFinished(Task *t)
{
    QNetworkReply *reply = t->reply;
    if (!reply)
        return; // already failed from onReadyRead
    if (t->accepting) {
        onReadyRead(t);
        if (!t->reply)
            return; // onReadyRead failed the file
    }
    t->reply = nullptr;
    reply->deleteLater();
    if (m_cancelled) {
        t->out.close();
        --m_active;
        return maybeFinish();
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (isRedirect(status)) {
        if (++t->redirects > kMaxRedirects)
            return failTask(t, QStringLiteral("%1: too many redirects").arg(t->file.path));
        const QUrl next = reply->url().resolved(
            reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl());
        return sendRequest(t, next);
    }
    if (status == 416 && t->offset == t->file.size)
        return completeTask(t);
    if (status == 401 || status == 403 || status == 404)
        return failTask(t, QStringLiteral("%1: %2").arg(t->file.path, httpError(reply)));
    if (reply->error() != QNetworkReply::NoError || (status != 200 && status != 206))
        return retryOrFail(t, httpError(reply));
    if (t->offset < t->file.size)
        return retryOrFail(t, QStringLiteral("connection closed after %1 of %2 bytes")
                                  .arg(t->offset)
                                  .arg(t->file.size));
    completeTask(t);
}

void ModelDownloader::retryOrFail(Task *t, const QString &why)
{
    if (t->attempts >= m_opts.retries)
        return failTask(t, QStringLiteral("%1: %2 (gave up after %3 retries; rerun to resume)")
                               .arg(t->file.path, why)
                               .arg(t->attempts));
    ++t->attempts;
    Q_EMIT message(QStringLiteral("%1: %2; retrying from %3 (%4/%5)")
                       .arg(t->file.path, why, formatBytes(t->offset))
                       .arg(t->attempts)
                       .arg(m_opts.retries));
    // Back off a little more each time: a server that drops connections is often overloaded.
    QTimer::singleShot(m_opts.retryDelayMs * t->attempts, this, [this, t] {
        if (m_cancelled) {
            t->out.close();
            --m_active;
            return maybeFinish();
        }
        t->redirects = 0;
        sendRequest(t, resolveUrl(m_opts.hubUrl, m_opts.repoId, m_opts.revision, t->file.path));
    });
}

void ModelDownloader::failTask(Task *t, const QString &why)
{
    t->out.close();
    m_errors.append(why);
    --m_active;
    startNextTasks();
    maybeFinish();
}

void ModelDownloader::completeTask(Task *t)
{
    t->out.flush();
    if (QString bad = t->hasher->mismatch(); !bad.isEmpty()) {
        // A corrupt file must not survive under either name: the next run starts it afresh.
        t->out.close();
        QFile::remove(t->partPath);
        m_progress.doneBytes -= t->offset;
        return failTask(t,
                        QStringLiteral("%1: %2; the download was deleted").arg(t->file.path, bad));
    }
    t->out.close();
    QFile::remove(t->finalPath);
    if (!QFile::rename(t->partPath, t->finalPath))
        return failTask(t, QStringLiteral("cannot rename %1 to %2").arg(t->partPath, t->finalPath));
    if (ManifestFile *m = m_manifest.find(t->file.path))
        m->complete = true;
    if (QString err = m_manifest.write(m_opts.targetDir); !err.isEmpty())
        m_errors.append(err);
    ++m_progress.filesDone;
    --m_active;
    startNextTasks();
    maybeFinish();
}

// --- End -----------------------------------------------------------------------------------------

void ModelDownloader::fail(const QString &why)
{
    m_errors.append(why);
    m_queue.clear();
    maybeFinish();
}

void ModelDownloader::maybeFinish()
{
    if (m_finished || m_active > 0 || (!m_queue.empty() && !m_cancelled))
        return;
    // Still listing (no task started yet and no error): not the end.
    if (m_errors.isEmpty() && m_progress.filesTotal == 0)
        return;
    m_finished = true;
    if (m_progressTimer)
        m_progressTimer->stop();
    emitProgress();
    // Queued: a caller that connects after start() still sees the end, and nothing runs inside
    // a reply's signal handler after this object's owner reacts by deleting it.
    QMetaObject::invokeMethod(
        this, [this] { Q_EMIT finished(m_errors.isEmpty()); }, Qt::QueuedConnection);
}

void ModelDownloader::emitProgress()
{
    const qint64 now = m_clock.isValid() ? m_clock.elapsed() : 0;
    m_samples.push_back({now, m_progress.doneBytes});
    while (m_samples.size() > 2 && now - m_samples.front().first > kRateWindowMs)
        m_samples.pop_front();
    const auto &first = m_samples.front();
    const double dt = (now - first.first) / 1000.0;
    m_progress.bytesPerSecond = dt > 0.2 ? std::max(0.0, (m_progress.doneBytes - first.second) / dt)
                                         : 0;
    const qint64 left = m_progress.totalBytes - m_progress.doneBytes;
    m_progress.etaSeconds = left <= 0
                                ? 0
                                : (m_progress.bytesPerSecond > 0 ? left / m_progress.bytesPerSecond
                                                                 : -1);
    Q_EMIT progress(m_progress);
}

QString formatBytes(qint64 bytes)
{
    const double b = double(bytes);
    if (b >= 1e12)
        return QStringLiteral("%1 TB").arg(b / 1e12, 0, 'f', 2);
    if (b >= 1e9)
        return QStringLiteral("%1 GB").arg(b / 1e9, 0, 'f', 1);
    if (b >= 1e6)
        return QStringLiteral("%1 MB").arg(b / 1e6, 0, 'f', 1);
    if (b >= 1e3)
        return QStringLiteral("%1 KB").arg(b / 1e3, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(bytes);
}

QString formatDuration(double seconds)
{
    if (seconds < 0)
        return QStringLiteral("--");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1h %2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

} // namespace folio::app
