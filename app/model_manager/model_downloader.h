// ModelDownloader: fetches every file of a Hugging Face–style model repository into a local
// directory — the engine behind `folio-cli model download` and the GUI's model settings.
//
//   ModelDownloader dl({.repoId = "deepseek-ai/DeepSeek-V4-Flash", .targetDir = dir});
//   connect(&dl, &ModelDownloader::progress, ...);     // bytes, MB/s, ETA
//   connect(&dl, &ModelDownloader::finished, ...);     // ok, errors()
//   dl.start();                                        // asynchronous, on this thread's event loop
//
// What it guarantees:
//  * Resumable: each file is written to "<path>.part" and continued with an HTTP Range request,
//    both after a dropped connection (retried automatically) and in a later run.
//  * Verified: content is hashed while it arrives (SHA-256 of LFS files, git blob SHA-1 of plain
//    files, as the hub's listing publishes them); a file only gets its final name when its hash
//    matches. A mismatch deletes the part file and fails that file.
//  * Checked before starting: the free space of the target file system must hold what is left to
//    download plus a reserve.
//  * Parallel: `parallel` files at a time (the shards of a large model are similar in size).
//  * Private: no network object exists until start(); the token is sent to the hub's host only,
//    never to the host a download is redirected to.
// Progress is recorded in folio-manifest.json after each file, so a rerun skips finished files
// without hashing them again.
#pragma once

#include "app/model_manager/model_manifest.h"

#include <QElapsedTimer>
#include <QObject>
#include <QStringList>

#include <deque>
#include <memory>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace folio::app {

struct DownloadOptions
{
    QString repoId; // "owner/name"
    QString revision = QStringLiteral("main");
    QString hubUrl; // empty = configuredHubUrl()
    QString token;  // sent as "Authorization: Bearer" to the hub only
    QString targetDir;
    int parallel = 4; // files downloaded at once
    int retries = 5;  // per file, after a dropped or stalled connection
    int retryDelayMs = 1000;
    int stallTimeoutMs = 60000;            // no byte for this long = dropped connection
    qint64 diskReserveBytes = 256ll << 20; // kept free on the target file system
};

struct DownloadProgress
{
    qint64 totalBytes = 0; // of the whole repository
    qint64 doneBytes = 0;  // present and kept (earlier runs included)
    int filesTotal = 0;
    int filesDone = 0;
    double bytesPerSecond = 0; // over the last ~10 s
    double etaSeconds = -1;    // -1 while unknown
};

class ModelDownloader : public QObject
{
    Q_OBJECT

public:
    explicit ModelDownloader(DownloadOptions options, QObject *parent = nullptr);
    ~ModelDownloader() override;

    // Lists the repository, checks the disk, then downloads. Emits finished() exactly once.
    void start();
    // Stops every transfer, keeping the part files for a later resume; finished(false) follows.
    void cancel();

    const DownloadOptions &options() const { return m_opts; }
    const DownloadProgress &currentProgress() const { return m_progress; }
    // One line per failed file or failed step, empty after success.
    QStringList errors() const { return m_errors; }

Q_SIGNALS:
    void progress(const folio::app::DownloadProgress &progress);
    // Human-readable milestones: "12 files, 159.6 GB; 3 already complete".
    void message(const QString &text);
    void finished(bool ok);

private:
    struct Task;

    void requestListing(const QUrl &url, int redirects);
    void onListingFinished(QNetworkReply *reply, int redirects);
    void prepareFiles();
    void startNextTasks();
    void startTask(Task *task);
    void sendRequest(Task *task, const QUrl &url);
    void onMetaData(Task *task);
    void onReadyRead(Task *task);
    void onTaskReplyFinished(Task *task);
    void dropReply(Task *task);
    void retryOrFail(Task *task, const QString &why);
    void failTask(Task *task, const QString &why);
    void completeTask(Task *task);
    void fail(const QString &why);
    void maybeFinish();
    void emitProgress();
    bool sameHostAsHub(const QUrl &url) const;
    QString httpError(QNetworkReply *reply) const;

    DownloadOptions m_opts;
    QNetworkAccessManager *m_nam = nullptr; // created in start(): no network before it
    QTimer *m_progressTimer = nullptr;
    QList<HubFile> m_listing;
    ModelManifest m_manifest;
    std::vector<std::unique_ptr<Task>> m_tasks;
    std::deque<Task *> m_queue;
    int m_active = 0;
    bool m_finished = false;
    bool m_cancelled = false;
    QStringList m_errors;
    DownloadProgress m_progress;
    QElapsedTimer m_clock;
    std::deque<std::pair<qint64, qint64>> m_samples; // (ms, doneBytes) for the rate
};

// "1.5 GB", "730 MB", "12 KB" (decimal units, as disks and the hub count).
QString formatBytes(qint64 bytes);
// "1h 02m", "4m 10s", "12s"; "--" for a negative (unknown) duration.
QString formatDuration(double seconds);

} // namespace folio::app
