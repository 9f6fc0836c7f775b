// The compute backends a person can choose in the settings: auto, the CPU, each CUDA device the
// engine sees (with its memory), and a remote OpenAI-compatible endpoint. The engine's device list
// initialises CUDA (up to a second or more on the first call), so the GUI asks for it through
// BackendQuery on a thread of its own and shows basicBackends() meanwhile.
#pragma once

#include <QObject>
#include <QString>
#include <QVector>

#include <memory>

namespace folio::app {

struct BackendChoice
{
    QString id;    // the Settings::backend() value: "auto", "cpu", "cuda:0", "remote"
    QString label; // "NVIDIA H200 (cuda:0, 139.8 GiB)"
};

struct BackendChoices
{
    QVector<BackendChoice> choices;
    QString note; // why no CUDA device is listed, when none is
};

// Every choice, with the engine's CUDA devices: an engine call, never on the UI thread.
BackendChoices availableBackends();
// The choices that need no engine call: auto, the CPU and the remote endpoint.
BackendChoices basicBackends();

// A short description of where answers come from for the status bar ("CPU", "cuda:0"); no engine
// call (the loaded model's device names the card).
QString describeBackend(const QString &id);

class WorkerThread;

// availableBackends() on its own thread; answered once by listed().
class BackendQuery : public QObject
{
    Q_OBJECT

public:
    explicit BackendQuery(QObject *parent = nullptr);
    ~BackendQuery() override;
    void start();

Q_SIGNALS:
    void listed(const folio::app::BackendChoices &choices);

private:
    std::unique_ptr<WorkerThread> m_thread;
};

} // namespace folio::app
