// InferenceService with the demo model the build produces (random weights): it loads on the
// engine thread, streams text for a question over packed sources, reuses the system prompt's state
// for a second question, stops when asked, and reports a missing model as a load failure. None of
// the engine work runs on this (the UI) thread. With KV snapshots on, a reopened service reuses
// the sources' prefix from folio.db.
#include "app/inference_service.h"
#include "app/settings.h"
#include "app/thread_guard.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using folio::app::ChatMessage;
using folio::app::InferenceService;
using folio::app::Settings;

namespace {
const QString kDemo = QStringLiteral(FOLIO_BINARY_DIR "/share/folio/demo-model");

folio::app::AnswerRequest request(const QString &question, int maxTokens)
{
    folio::app::AnswerRequest r;
    r.sources
        = "<source 0: demo>\n--- src/a.cpp ---\n     1| int add(int a, int b) { return a + b; }\n";
    r.question = question;
    r.maxTokens = maxTokens;
    r.sampling.temperature = 0; // greedy: the same answer every run
    return r;
}
} // namespace

class TestInferenceService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QDir(kDemo).exists(), "the folio-demo-model target builds the demo model");
        folio::app::resetLayerWorkCounts();
        QSignalSpy loaded(&m_service, &InferenceService::modelLoaded);
        QSignalSpy failed(&m_service, &InferenceService::loadFailed);
        m_service.loadModel(kDemo, 2);
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() || !failed.isEmpty(), 120000);
        QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
        QVERIFY(m_service.isLoaded());
        QVERIFY(m_service.modelInfo().contextTokens > 0);
        QVERIFY(m_service.modelInfo().memoryBytes > 0);
    }

    void streamsAnAnswer()
    {
        QSignalSpy text(&m_service, &InferenceService::textChunk);
        QSignalSpy progress(&m_service, &InferenceService::prefillProgress);
        QSignalSpy done(&m_service, &InferenceService::answerFinished);
        m_service.answer(request(QStringLiteral("What does add do?"), 12));
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 120000);
        const auto state = done.first().at(0).value<ChatMessage::State>();
        QVERIFY2(state == ChatMessage::State::Done, qPrintable(done.first().at(2).toString()));
        const auto stats = done.first().at(1).value<folio::app::AnswerStats>();
        QVERIFY(stats.promptTokens > 20);
        QVERIFY(stats.generatedTokens >= 1 && stats.generatedTokens <= 12);
        QVERIFY(!stats.snapshotReused);
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().at(0).toLongLong(), progress.last().at(1).toLongLong());
        Q_UNUSED(text) // random weights may decode to special tokens only; text is not required
    }

    void reusesTheSystemPromptState()
    {
        QSignalSpy done(&m_service, &InferenceService::answerFinished);
        m_service.answer(request(QStringLiteral("And subtract?"), 4));
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 120000);
        QVERIFY(done.first().at(1).value<folio::app::AnswerStats>().snapshotReused);
    }

    void stopEndsTheAnswer()
    {
        QSignalSpy done(&m_service, &InferenceService::answerFinished);
        m_service.answer(request(QStringLiteral("Write a very long essay."), 100000));
        m_service.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 120000);
        QCOMPARE(done.first().at(0).value<ChatMessage::State>(), ChatMessage::State::Stopped);
    }

    // The GUI path with KV snapshots: a second InferenceService (the app reopened) on the same
    // folio.db starts the next question from the stored sources prefix instead of prefilling it.
    void reusesASnapshotAfterReopening()
    {
        QTemporaryDir dir;
        folio::server::SnapshotOptions options;
        options.databasePath = dir.filePath(QStringLiteral("folio.db"));
        options.minTokens = 1;
        for (int round = 0; round < 2; ++round) {
            InferenceService service;
            service.setSnapshotOptions(options);
            QSignalSpy loaded(&service, &InferenceService::modelLoaded);
            service.loadModel(kDemo, 2);
            QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 120000);
            QSignalSpy done(&service, &InferenceService::answerFinished);
            QSignalSpy transfer(&service, &InferenceService::snapshotProgress);
            service.answer(request(round == 0 ? QStringLiteral("What does add do?")
                                              : QStringLiteral("And subtract?"),
                                   4));
            QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 120000);
            QVERIFY2(done.first().at(0).value<ChatMessage::State>() == ChatMessage::State::Done,
                     qPrintable(done.first().at(2).toString()));
            QCOMPARE(done.first().at(1).value<folio::app::AnswerStats>().snapshotReused, round == 1);
            // The transfer is reported: the first round writes the sources' state, the second
            // reads it back; each starts at 0 and ends with done == total > 0.
            bool started = false, ended = false;
            for (const QList<QVariant> &event : transfer) {
                if (event.at(0).toBool() != (round == 1))
                    continue;
                const qint64 doneBytes = event.at(1).toLongLong();
                const qint64 totalBytes = event.at(2).toLongLong();
                started = started || doneBytes == 0;
                ended = ended || (doneBytes > 0 && doneBytes == totalBytes);
            }
            QVERIFY2(started && ended, round == 0 ? "no save reported" : "no restore reported");
        }
    }

    // The main window's path: the settings' device reaches the engine (a GPU that is not there
    // is a clear load failure, never a silent CPU run) and the loaded device is reported.
    void settingsChooseTheDevice()
    {
        QTemporaryDir dir;
        Settings settings(dir.filePath(QStringLiteral("device.ini")));
        QVERIFY(settings.setDevice(QStringLiteral("cuda:7")));
        InferenceService gpu;
        gpu.applySettings(settings, dir.filePath(QStringLiteral("folio.db")));
        QSignalSpy failed(&gpu, &InferenceService::loadFailed);
        gpu.loadModel(kDemo, 1);
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 120000);
        QVERIFY2(failed.first().at(0).toString().contains(QStringLiteral("cuda"),
                                                          Qt::CaseInsensitive),
                 qPrintable(failed.first().at(0).toString()));
        QVERIFY(!gpu.isLoaded());

        QVERIFY(settings.setDevice(QStringLiteral("cpu")));
        InferenceService cpu;
        cpu.applySettings(settings, dir.filePath(QStringLiteral("folio.db")));
        QSignalSpy loaded(&cpu, &InferenceService::modelLoaded);
        cpu.loadModel(kDemo, 1);
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 120000);
        QCOMPARE(cpu.modelInfo().device, QStringLiteral("CPU"));
    }

    void missingModelFailsToLoad()
    {
        InferenceService other;
        QSignalSpy failed(&other, &InferenceService::loadFailed);
        QTemporaryDir empty;
        other.loadModel(empty.path(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 30000);
        QVERIFY(!other.isLoaded());
        QSignalSpy done(&other, &InferenceService::answerFinished);
        other.answer(request(QStringLiteral("x"), 4));
        QTRY_COMPARE(done.size(), 1);
        QCOMPARE(done.first().at(0).value<ChatMessage::State>(), ChatMessage::State::Failed);
    }

    void noEngineWorkOnTheUiThread()
    {
        QVERIFY(folio::app::layerWorkCounts().calls >= 4);
        QCOMPARE(folio::app::layerWorkCounts().onUiThread, 0);
    }

private:
    InferenceService m_service;
};

QTEST_MAIN(TestInferenceService)
#include "tst_inference_service.moc"
