// API keys for remote endpoints (docs/architecture.md, "Settings": a file with owner-only
// permissions, never logged). One JSON file, {"keys": {"<endpoint host>": "<key>"}}, created
// 0600 and rewritten atomically; a file that others can read is refused with a message saying
// how to fix it, rather than used. Keys never appear in QSettings, logs or error messages
// (redact() removes them from any text that might echo one).
#pragma once

#include <QString>
#include <QUrl>

namespace folio::remote {

class ApiKeyStore
{
public:
    // The default file: <data directory>/api-keys.json.
    ApiKeyStore();
    explicit ApiKeyStore(QString path);

    const QString &path() const { return m_path; }

    // The key for `endpoint` (matched by scheme + host + port), or empty. `error` (optional) says
    // why the file could not be used.
    QString key(const QUrl &endpoint, QString *error = nullptr) const;
    // Stores (or, with an empty key, removes) the key for `endpoint`. False + `error` on failure.
    bool setKey(const QUrl &endpoint, const QString &key, QString *error = nullptr);

    // The key name of `endpoint` in the file: "https://api.deepseek.com:443".
    static QString endpointName(const QUrl &endpoint);

private:
    QString m_path;
};

// `text` with every occurrence of `secret`, and of any prefix of it of 8 or more characters (some
// servers echo "sk-01234567****" as a hint), replaced by "***".
QString redact(QString text, const QString &secret);

} // namespace folio::remote
