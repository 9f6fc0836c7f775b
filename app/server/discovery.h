// The server discovery file: a running `folio-cli serve` writes <data directory>/server.json
// (owner-only) with its URL, pid and model, and removes it when it stops. `folio-cli ask` and the
// GUI read it so that, when a local server already holds the same model, they talk to it instead
// of mapping a second ~150 GB copy (docs/architecture.md, "One model in memory"). A file left by
// a crashed server is recognised (its pid is gone) and ignored.
#pragma once

#include <QString>
#include <QUrl>

#include <optional>

namespace folio::server {

struct ServerInfo
{
    QUrl baseUrl; // "http://127.0.0.1:8080/v1"
    qint64 pid = 0;
    QString modelDir;      // canonical path of the loaded model directory
    QString modelId;       // what /v1/models lists
    bool needsKey = false; // started with --api-key (the key itself is never written here)
};

// <data directory>/server.json (FOLIO_DATA_DIR overrides the data directory).
QString discoveryFilePath();
bool writeDiscoveryFile(const ServerInfo &info, QString *error = nullptr);
// Removes the file if it is this process's.
void removeDiscoveryFile();
// The server described by the file, if the file exists and its process is alive. With a
// non-empty `modelDir`, only a server of that same model directory is returned.
std::optional<ServerInfo> findLocalServer(const QString &modelDir = {});

} // namespace folio::server
