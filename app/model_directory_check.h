// ModelDirectoryCheck: inspectModelDirectory() (model_directory.h) off the UI thread. The settings
// dialog validates the model directory as it is typed and the welcome page checks a chosen folder;
// the inspection runs the engine's config reader and parses the shard index (megabytes of JSON
// for the real V4-Flash), which must not stall the window, so it runs on this object's own thread
// and only the answer for the latest request is delivered.
#pragma once

#include "app/model_directory.h"

#include <QObject>

#include <memory>

namespace folio::app {

class WorkerThread;

class ModelDirectoryCheck : public QObject
{
    Q_OBJECT

public:
    explicit ModelDirectoryCheck(QObject *parent = nullptr);
    ~ModelDirectoryCheck() override;

    // Inspects `dir` on the check's thread; answered by inspected() unless another inspect()
    // follows before the answer arrives (then only the later one is answered).
    void inspect(const QString &dir);
    // True from inspect() until its answer has been delivered.
    bool isPending() const { return m_pending; }
    // Blocks until the queued inspections are done and delivers the latest answer (tests).
    void waitForIdle();

Q_SIGNALS:
    void inspected(const QString &dir, const folio::app::ModelDirectoryInfo &info);

private:
    std::unique_ptr<WorkerThread> m_thread;
    int m_generation = 0; // of the latest request: older answers are dropped
    bool m_pending = false;
};

} // namespace folio::app

Q_DECLARE_METATYPE(folio::app::ModelDirectoryInfo)
