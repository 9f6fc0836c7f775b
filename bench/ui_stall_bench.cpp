// ui_stall_bench: how long the desktop app's event loop can stall while the model prefills a long
// prompt (issue 9: goal under 100 ms). Drives the real MainWindow offscreen with a model (default:
// the demo model the build produces), adds a generated text source of about --tokens tokens, asks
// a question and measures the gaps between ticks of a 1 ms timer on the UI thread from the moment
// the question is sent until the first answer token arrives (the whole prefill), then stops the
// answer. The baseline is the same probe on the same window while idle, measured in the same run.
// Each run reads a fresh source, so no prefix state or snapshot shortens its prefill.
//
//   ui_stall_bench [--model DIR] [--tokens N] [--runs R]
//
// Not a test: run by hand; the numbers go to BENCHMARKS.md.
#include "app/answer_backend.h"
#include "app/chat_message.h"
#include "app/ingest_service.h"
#include "app/session_controller.h"
#include "app/settings.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

// Gaps between ticks of a 1 ms timer on the thread that owns it, while it runs.
class TickProbe
{
public:
    TickProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(1);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            m_gapsNs.push_back(now - m_last);
            m_last = now;
        });
    }
    void start()
    {
        m_gapsNs.clear();
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double maxMs() const
    {
        return m_gapsNs.empty() ? 0
                                : double(*std::max_element(m_gapsNs.begin(), m_gapsNs.end())) / 1e6;
    }
    double percentileMs(double p) const
    {
        if (m_gapsNs.empty())
            return 0;
        std::vector<qint64> sorted = m_gapsNs;
        std::sort(sorted.begin(), sorted.end());
        return double(sorted[size_t(p * double(sorted.size() - 1))]) / 1e6;
    }
    size_t ticks() const { return m_gapsNs.size(); }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    std::vector<qint64> m_gapsNs;
};

// Runs the event loop until `done` or `timeoutMs`; false on timeout.
template<class F>
bool waitFor(F done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

// A text file of roughly `tokens` tokens (about 4 bytes per token on this kind of text).
bool writeSource(const QString &dir, int run, int tokens)
{
    QDir().mkpath(dir);
    QFile f(dir + QStringLiteral("/notes.txt"));
    if (!f.open(QIODevice::WriteOnly))
        return false;
    QByteArray text;
    for (int line = 0; text.size() < qsizetype(tokens) * 4; ++line)
        text += "Run " + QByteArray::number(run) + ", line " + QByteArray::number(line)
                + ": the parser reads a token, checks its kind and hands it to the next step.\n";
    return f.write(text) == text.size();
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QTemporaryDir home;
    if (!home.isValid()) {
        std::fprintf(stderr, "ui_stall_bench: no temporary directory\n");
        return 1;
    }
    // The benchmark's settings and database stay out of the user's.
    qputenv("XDG_CONFIG_HOME", home.filePath(QStringLiteral("config")).toUtf8());
    qputenv("FOLIO_DATA_DIR", home.filePath(QStringLiteral("data")).toUtf8());
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("FolioBench"));
    QCoreApplication::setApplicationName(QStringLiteral("ui-stall-bench"));

    QString model = QDir::cleanPath(QCoreApplication::applicationDirPath()
                                    + QStringLiteral("/../share/folio/demo-model"));
    int tokens = 4000;
    int runs = 3;
    const QStringList args = QCoreApplication::arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const bool hasValue = i + 1 < args.size();
        if (a == QLatin1String("--model") && hasValue) {
            model = args.at(++i);
        } else if (a == QLatin1String("--tokens") && hasValue) {
            tokens = args.at(++i).toInt();
        } else if (a == QLatin1String("--runs") && hasValue) {
            runs = args.at(++i).toInt();
        } else {
            std::fprintf(stderr, "usage: ui_stall_bench [--model DIR] [--tokens N] [--runs R]\n");
            return 2;
        }
    }
    if (tokens < 100 || runs < 1 || !QFileInfo(model).isDir()) {
        std::fprintf(stderr,
                     "ui_stall_bench: need a model directory (%s), --tokens >= 100, "
                     "--runs >= 1\n",
                     qPrintable(model));
        return 2;
    }

    folio::ui::MainWindow window;
    window.show();
    window.settings()->setModelDirectory(model);
    window.settings()->setModelSource(folio::app::ModelSource::Local);
    folio::app::AnswerBackend *backend = window.answerBackend();
    if (!backend || !waitFor([&] { return backend->isLoaded(); }, 600000)) {
        std::fprintf(stderr, "ui_stall_bench: the model did not load from %s\n", qPrintable(model));
        return 1;
    }
    std::printf("model: %s (%s)\n", qPrintable(backend->modelInfo().name),
                qPrintable(backend->modelInfo().device));

    TickProbe probe;
    // Baseline: the idle window, 2 s.
    probe.start();
    waitFor([] { return false; }, 2000);
    probe.stop();
    const double idleMax = probe.maxMs();
    std::printf("idle baseline: %zu ticks in 2.0 s, max gap %.1f ms, p99 %.1f ms\n", probe.ticks(),
                idleMax, probe.percentileMs(0.99));

    qint64 promptTokens = 0;
    bool firstToken = false;
    bool finished = false;
    QObject::connect(backend, &folio::app::AnswerBackend::prefillProgress, &app,
                     [&](qint64, qint64 total, double, double) { promptTokens = total; });
    QObject::connect(backend, &folio::app::AnswerBackend::textChunk, &app,
                     [&](const QString &, bool) { firstToken = true; });
    QObject::connect(backend, &folio::app::AnswerBackend::answerFinished, &app,
                     [&] { finished = true; });

    double worst = 0;
    for (int run = 1; run <= runs; ++run) {
        const QString dir = home.filePath(QStringLiteral("source-%1").arg(run));
        if (!writeSource(dir, run, tokens)) {
            std::fprintf(stderr, "ui_stall_bench: cannot write %s\n", qPrintable(dir));
            return 1;
        }
        window.ingest()->clearSources();
        window.ingest()->addPaths({dir});
        if (!waitFor([&] { return !window.ingest()->isBusy(); }, 120000)) {
            std::fprintf(stderr, "ui_stall_bench: reading the source did not finish\n");
            return 1;
        }
        window.controller()->newSession();
        const qint64 before = window.controller()->currentSession();
        waitFor([&] { return window.controller()->currentSession() != before; }, 10000);
        promptTokens = 0;
        firstToken = finished = false;
        QElapsedTimer clock;
        probe.start();
        clock.start();
        window.controller()->ask(QStringLiteral("Summarise the notes."), false);
        const bool ok = waitFor([&] { return firstToken || finished; }, 600000);
        const double prefillS = double(clock.nsecsElapsed()) / 1e9;
        probe.stop();
        window.controller()->stop();
        waitFor([&] { return finished; }, 60000);
        if (!ok || !firstToken) {
            std::fprintf(stderr, "ui_stall_bench: run %d produced no token\n", run);
            return 1;
        }
        worst = std::max(worst, probe.maxMs());
        std::printf("run %d: prompt %lld tokens, prefill+first token %.2f s (%.0f tokens/s), "
                    "%zu ticks, max gap %.1f ms, p99 %.1f ms, max gap / idle max %.1fx\n",
                    run, static_cast<long long>(promptTokens), prefillS,
                    prefillS > 0 ? double(promptTokens) / prefillS : 0.0, probe.ticks(),
                    probe.maxMs(), probe.percentileMs(0.99),
                    idleMax > 0 ? probe.maxMs() / idleMax : 0.0);
    }
    std::printf("worst stall during prefill: %.1f ms (goal < 100 ms): %s\n", worst,
                worst < 100 ? "met" : "NOT met");
    window.close();
    return 0;
}
