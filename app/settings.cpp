// Settings: typed accessors over QSettings with defaults and clamping (see settings.h).
#include "app/settings.h"

#include "app/app_info.h"
#include "folio/device.h"

#include <QCoreApplication>
#include <QDir>
#include <QSettings>

#include <algorithm>
#include <cmath>

namespace folio::app {

namespace {
constexpr int kMinContextTokens = 4096;
constexpr int kDefaultAnswerReserve = 32'768;
constexpr int kMaxRecent = 10;
} // namespace

QString modelSourceName(ModelSource source)
{
    switch (source) {
    case ModelSource::None:
        return QStringLiteral("none");
    case ModelSource::Local:
        return QStringLiteral("local");
    case ModelSource::Demo:
        return QStringLiteral("demo");
    case ModelSource::Remote:
        return QStringLiteral("remote");
    }
    return QStringLiteral("none");
}

ModelSource modelSourceFromName(const QString &name)
{
    if (name == QLatin1String("local"))
        return ModelSource::Local;
    if (name == QLatin1String("demo"))
        return ModelSource::Demo;
    if (name == QLatin1String("remote"))
        return ModelSource::Remote;
    return ModelSource::None;
}

Settings::Settings(QObject *parent)
    : QObject(parent)
    , m_settings(std::make_unique<QSettings>())
{}

Settings::Settings(const QString &iniPath, QObject *parent)
    : QObject(parent)
    , m_settings(std::make_unique<QSettings>(iniPath, QSettings::IniFormat))
{}

Settings::~Settings() = default;

void Settings::set(const QString &key, const QVariant &value)
{
    if (m_settings->value(key) == value && m_settings->contains(key))
        return;
    m_settings->setValue(key, value);
    Q_EMIT changed(key);
}

ModelSource Settings::modelSource() const
{
    return modelSourceFromName(m_settings->value(QStringLiteral("model/source")).toString());
}

void Settings::setModelSource(ModelSource source)
{
    set(QStringLiteral("model/source"), modelSourceName(source));
}

QString Settings::modelDirectory() const
{
    return m_settings->value(QStringLiteral("model/directory")).toString();
}

void Settings::setModelDirectory(const QString &dir)
{
    set(QStringLiteral("model/directory"), dir);
}

QString Settings::defaultDemoModelDirectory()
{
    // FOLIO_DEMO_MODEL lets tests and scripts point at a model elsewhere. Otherwise the demo model
    // sits next to the binaries: <build or prefix>/bin/folio → <build or prefix>/share/folio/.
    const QString env = qEnvironmentVariable("FOLIO_DEMO_MODEL");
    if (!env.isEmpty())
        return env;
    return QDir::cleanPath(QCoreApplication::applicationDirPath()
                           + QStringLiteral("/../share/folio/demo-model"));
}

QString Settings::effectiveModelDirectory() const
{
    switch (modelSource()) {
    case ModelSource::Local:
        return modelDirectory();
    case ModelSource::Demo:
        return defaultDemoModelDirectory();
    case ModelSource::None:
    case ModelSource::Remote:
        break;
    }
    return {};
}

QString Settings::backend() const
{
    return m_settings->value(QStringLiteral("engine/backend"), QStringLiteral("auto")).toString();
}

void Settings::setBackend(const QString &backend)
{
    set(QStringLiteral("engine/backend"), backend);
}

QString Settings::device() const
{
    const QString b = backend();
    return folio::parse_device_request(b.toStdString(), {}) ? b : QStringLiteral("auto");
}

bool Settings::setDevice(const QString &device)
{
    if (!folio::parse_device_request(device.toStdString(), {}))
        return false;
    setBackend(device);
    return true;
}

double Settings::expertCacheGiB() const
{
    const double v = m_settings->value(QStringLiteral("engine/expert_cache_gib"), 0.0).toDouble();
    return std::isfinite(v) ? std::clamp(v, 0.0, 1e6) : 0.0;
}

void Settings::setExpertCacheGiB(double gib)
{
    set(QStringLiteral("engine/expert_cache_gib"),
        std::isfinite(gib) ? std::clamp(gib, 0.0, 1e6) : 0.0);
}

QString Settings::remoteUrl() const
{
    return m_settings->value(QStringLiteral("remote/url")).toString();
}

void Settings::setRemoteUrl(const QString &url)
{
    set(QStringLiteral("remote/url"), url.trimmed());
}

QString Settings::remoteModel() const
{
    return m_settings->value(QStringLiteral("remote/model"), QStringLiteral("deepseek-v4-flash"))
        .toString();
}

void Settings::setRemoteModel(const QString &model)
{
    set(QStringLiteral("remote/model"), model.trimmed());
}

int Settings::threads() const
{
    return std::clamp(m_settings->value(QStringLiteral("engine/threads"), 0).toInt(), 0, 1024);
}

void Settings::setThreads(int threads)
{
    set(QStringLiteral("engine/threads"), std::clamp(threads, 0, 1024));
}

int Settings::contextLimit() const
{
    return std::clamp(m_settings->value(QStringLiteral("context/limit"), kMaxContextTokens).toInt(),
                      kMinContextTokens, kMaxContextTokens);
}

void Settings::setContextLimit(int tokens)
{
    set(QStringLiteral("context/limit"), std::clamp(tokens, kMinContextTokens, kMaxContextTokens));
}

int Settings::answerReserve() const
{
    // The reserve can never eat the whole context: at most half of the limit.
    const int stored
        = m_settings->value(QStringLiteral("context/answerReserve"), kDefaultAnswerReserve).toInt();
    return std::clamp(stored, 256, contextLimit() / 2);
}

void Settings::setAnswerReserve(int tokens)
{
    set(QStringLiteral("context/answerReserve"), std::max(256, tokens));
}

int Settings::contextBudget(int modelContextTokens) const
{
    const int context = std::min(modelContextTokens > 0 ? modelContextTokens : kMaxContextTokens,
                                 contextLimit());
    return std::max(0, context - answerReserve());
}

SamplingSettings Settings::sampling() const
{
    SamplingSettings s;
    s.temperature = std::clamp(m_settings
                                   ->value(QStringLiteral("sampling/temperature"), s.temperature)
                                   .toDouble(),
                               0.0, 2.0);
    s.topP = std::clamp(m_settings->value(QStringLiteral("sampling/topP"), s.topP).toDouble(), 0.0,
                        1.0);
    s.topK = std::max(0, m_settings->value(QStringLiteral("sampling/topK"), s.topK).toInt());
    s.seed = m_settings->value(QStringLiteral("sampling/seed"), s.seed).toULongLong();
    return s;
}

void Settings::setSampling(const SamplingSettings &s)
{
    set(QStringLiteral("sampling/temperature"), std::clamp(s.temperature, 0.0, 2.0));
    set(QStringLiteral("sampling/topP"), std::clamp(s.topP, 0.0, 1.0));
    set(QStringLiteral("sampling/topK"), std::max(0, s.topK));
    set(QStringLiteral("sampling/seed"), s.seed);
}

bool Settings::thinkingByDefault() const
{
    return m_settings->value(QStringLiteral("sampling/thinking"), true).toBool();
}

void Settings::setThinkingByDefault(bool on)
{
    set(QStringLiteral("sampling/thinking"), on);
}

int Settings::snapshotCapGiB() const
{
    return std::clamp(m_settings->value(QStringLiteral("snapshots/capGiB"), 32).toInt(), 0, 100'000);
}

void Settings::setSnapshotCapGiB(int gib)
{
    set(QStringLiteral("snapshots/capGiB"), std::clamp(gib, 0, 100'000));
}

QString Settings::snapshotDirectory() const
{
    const QString dir = m_settings->value(QStringLiteral("snapshots/directory")).toString();
    return dir.isEmpty() ? dataDirectory() + QStringLiteral("/snapshots") : dir;
}

void Settings::setSnapshotDirectory(const QString &dir)
{
    set(QStringLiteral("snapshots/directory"), dir);
}

QString Settings::language() const
{
    return m_settings->value(QStringLiteral("ui/language")).toString();
}

void Settings::setLanguage(const QString &language)
{
    set(QStringLiteral("ui/language"), language);
}

QStringList Settings::recentRepositories() const
{
    return m_settings->value(QStringLiteral("sources/recentRepositories")).toStringList();
}

void Settings::addRecentRepository(const QString &path)
{
    QStringList list = recentRepositories();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kMaxRecent)
        list.removeLast();
    set(QStringLiteral("sources/recentRepositories"), list);
}

QByteArray Settings::windowState(const QString &name) const
{
    return m_settings->value(QStringLiteral("window/") + name).toByteArray();
}

void Settings::setWindowState(const QString &name, const QByteArray &state)
{
    m_settings->setValue(QStringLiteral("window/") + name, state);
}

void Settings::sync()
{
    m_settings->sync();
}

} // namespace folio::app
