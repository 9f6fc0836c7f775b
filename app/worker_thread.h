// WorkerThread: a QThread with one context object living on it, to which work is posted as
// functions; results come back to the caller's thread as queued calls. The storage service, the
// ingest worker and the inference worker each own one, so each layer's work is serialised on its
// own thread and the UI thread only ever receives results.
#pragma once

#include <QObject>
#include <QThread>

#include <functional>

namespace folio::app {

class WorkerThread
{
public:
    explicit WorkerThread(const QString &name);
    ~WorkerThread(); // finishes the queued work, then stops the thread

    // Runs `job` on the worker thread, after everything posted before it.
    void post(std::function<void()> job);
    // Blocks until everything posted so far has run (tests and shutdown only).
    void drain();
    QThread *thread() { return &m_thread; }

private:
    QThread m_thread;
    QObject *m_context = nullptr;
};

// Runs `fn` on `receiver`'s thread (queued), unless the receiver is gone by then.
void postBack(QObject *receiver, std::function<void()> fn);

} // namespace folio::app
