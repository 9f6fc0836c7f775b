// Settings: the one owner of Folio's user preferences and window state (docs/architecture.md,
// "Settings"). Everything goes through QSettings here, with typed accessors, defaults and range
// checks in one place, so the GUI, the CLI and the server read the same values the same way.
// Sessions, sources and messages are not settings: they live in the database (storage/).
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

class QSettings;

namespace folio::app {

// Where answers come from.
enum class ModelSource {
    None,   // nothing configured yet: the GUI shows the welcome page
    Local,  // a downloaded DeepSeek-V4-Flash (or any checkpoint of the architecture) on disk
    Demo,   // the small random-weight demo model the build produces
    Remote, // an OpenAI-compatible endpoint
};

QString modelSourceName(ModelSource source); // "none", "local", "demo", "remote"
ModelSource modelSourceFromName(const QString &name);

struct SamplingSettings
{
    double temperature = 0.6;
    double topP = 0.95;
    int topK = 0;     // 0 = off
    quint64 seed = 0; // 0 = random per answer
};

class Settings : public QObject
{
    Q_OBJECT

public:
    // Context size of DeepSeek-V4-Flash (max_position_embeddings): the default context limit.
    static constexpr int kMaxContextTokens = 1'048'576;

    // Uses the application's QSettings (organisation/application names from app_info.h).
    explicit Settings(QObject *parent = nullptr);
    // Uses an INI file at `iniPath` (tests, portable installs).
    explicit Settings(const QString &iniPath, QObject *parent = nullptr);
    ~Settings() override;

    ModelSource modelSource() const;
    void setModelSource(ModelSource source);
    // The model directory for ModelSource::Local.
    QString modelDirectory() const;
    void setModelDirectory(const QString &dir);
    // The demo model folio-mkmodel writes into the build tree (or the install's share/).
    static QString defaultDemoModelDirectory();
    // The directory the engine should load for the configured source (empty for None/Remote).
    QString effectiveModelDirectory() const;

    // "auto", "cpu", "cuda:0", "cuda:1", ...
    QString backend() const;
    void setBackend(const QString &backend);
    // The engine's compute device for a local model (LoadOptions::device): backend() when it
    // names one ("auto", "cpu", "cuda:N", "cuda:N,M" for a layer split), else "auto".
    // setDevice refuses (false) text the engine does not accept (folio::parse_device_request).
    QString device() const;
    bool setDevice(const QString &device);
    // Routed experts in host memory with a device cache of this many GiB per GPU; 0 = resident.
    double expertCacheGiB() const;
    void setExpertCacheGiB(double gib);
    QString remoteUrl() const;
    void setRemoteUrl(const QString &url);
    QString remoteModel() const;
    void setRemoteModel(const QString &model);

    int threads() const; // 0 = as many as the machine has
    void setThreads(int threads);
    int contextLimit() const; // tokens, clamped to [4096, kMaxContextTokens]
    void setContextLimit(int tokens);
    int answerReserve() const; // tokens kept free for the answer
    void setAnswerReserve(int tokens);
    // Context budget for sources + question = min(model context, limit) - reserve.
    int contextBudget(int modelContextTokens = kMaxContextTokens) const;

    SamplingSettings sampling() const;
    void setSampling(const SamplingSettings &sampling);
    bool thinkingByDefault() const;
    void setThinkingByDefault(bool on);

    int snapshotCapGiB() const;
    void setSnapshotCapGiB(int gib);
    QString snapshotDirectory() const; // default: <data directory>/snapshots
    void setSnapshotDirectory(const QString &dir);

    // "" = follow the system, else a locale name with a translation ("zh_CN", "de", "en").
    QString language() const;
    void setLanguage(const QString &language);

    QStringList recentRepositories() const; // most recent first, at most 10
    void addRecentRepository(const QString &path);

    // Opaque window state (geometry, splitters) by name.
    QByteArray windowState(const QString &name) const;
    void setWindowState(const QString &name, const QByteArray &state);

    void sync();

Q_SIGNALS:
    // Emitted after a value changed, with its key ("model/directory", "ui/language", ...).
    void changed(const QString &key);

private:
    void set(const QString &key, const QVariant &value);

    std::unique_ptr<QSettings> m_settings;
};

} // namespace folio::app
