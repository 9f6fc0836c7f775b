// noteLayerWork(): two atomic counters and a warning naming the offending call.
#include "app/thread_guard.h"

#include "app/logging.h"

#include <QCoreApplication>
#include <QMutex>
#include <QSet>
#include <QThread>

#include <atomic>

namespace folio::app {

namespace {
std::atomic<int> g_calls{0};
std::atomic<int> g_onUiThread{0};
// The distinct kinds of work seen, so a test can check that a path it drove was really counted.
QMutex g_kindsMutex;
QSet<QString> g_kinds;
} // namespace

void noteLayerWork(const char *what)
{
    g_calls.fetch_add(1, std::memory_order_relaxed);
    {
        const QMutexLocker lock(&g_kindsMutex);
        g_kinds.insert(QString::fromUtf8(what));
    }
    const QCoreApplication *app = QCoreApplication::instance();
    if (app && QThread::currentThread() == app->thread()) {
        g_onUiThread.fetch_add(1, std::memory_order_relaxed);
        qCWarning(lcApp) << "layer work on the UI thread:" << what;
    }
}

LayerWorkCounts layerWorkCounts()
{
    LayerWorkCounts c;
    c.calls = g_calls.load();
    c.onUiThread = g_onUiThread.load();
    const QMutexLocker lock(&g_kindsMutex);
    c.kinds = QStringList(g_kinds.begin(), g_kinds.end());
    c.kinds.sort();
    return c;
}

void resetLayerWorkCounts()
{
    g_calls.store(0);
    g_onUiThread.store(0);
    const QMutexLocker lock(&g_kindsMutex);
    g_kinds.clear();
}

} // namespace folio::app
