// WorkerThread: QMetaObject::invokeMethod with a functor on a context object is the queued call.
#include "app/worker_thread.h"

#include <QSemaphore>

namespace folio::app {

WorkerThread::WorkerThread(const QString &name)
{
    m_thread.setObjectName(name);
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    m_thread.start();
}

WorkerThread::~WorkerThread()
{
    drain();
    m_thread.quit();
    m_thread.wait();
    delete m_context; // the thread has stopped: nothing runs on the context any more
}

void WorkerThread::post(std::function<void()> job)
{
    QMetaObject::invokeMethod(m_context, std::move(job), Qt::QueuedConnection);
}

void WorkerThread::drain()
{
    if (!m_thread.isRunning() || QThread::currentThread() == &m_thread)
        return;
    QSemaphore done;
    post([&done] { done.release(); });
    done.acquire();
}

void postBack(QObject *receiver, std::function<void()> fn)
{
    QMetaObject::invokeMethod(receiver, std::move(fn), Qt::QueuedConnection);
}

} // namespace folio::app
