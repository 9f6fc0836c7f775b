// noteLayerWork(): two atomic counters and a warning naming the offending call.
#include "app/thread_guard.h"

#include "app/logging.h"

#include <QCoreApplication>
#include <QThread>

#include <atomic>

namespace folio::app {

namespace {
std::atomic<int> g_calls{0};
std::atomic<int> g_onUiThread{0};
} // namespace

void noteLayerWork(const char *what)
{
    g_calls.fetch_add(1, std::memory_order_relaxed);
    const QCoreApplication *app = QCoreApplication::instance();
    if (app && QThread::currentThread() == app->thread()) {
        g_onUiThread.fetch_add(1, std::memory_order_relaxed);
        qCWarning(lcApp) << "layer work on the UI thread:" << what;
    }
}

LayerWorkCounts layerWorkCounts()
{
    return {g_calls.load(), g_onUiThread.load()};
}

void resetLayerWorkCounts()
{
    g_calls.store(0);
    g_onUiThread.store(0);
}

} // namespace folio::app
