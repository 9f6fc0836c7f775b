// ModelDirectoryCheck: one "folio-model-check" thread; each answer carries the generation of its
// request so a directory typed character by character is reported once, for its final text.
#include "app/model_directory_check.h"

#include "app/thread_guard.h"
#include "app/worker_thread.h"

#include <QCoreApplication>

namespace folio::app {

ModelDirectoryCheck::ModelDirectoryCheck(QObject *parent)
    : QObject(parent)
    , m_thread(std::make_unique<WorkerThread>(QStringLiteral("folio-model-check")))
{
    qRegisterMetaType<ModelDirectoryInfo>();
}

ModelDirectoryCheck::~ModelDirectoryCheck() = default;

void ModelDirectoryCheck::inspect(const QString &dir)
{
    const int generation = ++m_generation;
    m_pending = true;
    m_thread->post([this, dir, generation] {
        noteLayerWork("engine: inspect model directory");
        const ModelDirectoryInfo info = inspectModelDirectory(dir);
        postBack(this, [this, dir, generation, info] {
            if (generation != m_generation)
                return; // a later request is on its way
            m_pending = false;
            Q_EMIT inspected(dir, info);
        });
    });
}

void ModelDirectoryCheck::waitForIdle()
{
    m_thread->drain();
    QCoreApplication::sendPostedEvents(this);
}

} // namespace folio::app
