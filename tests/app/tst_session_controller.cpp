// SessionController over a real database (StorageService on its thread) and a scripted answer
// backend: ask streams into the model and stores question and answer; stop; regenerate and
// edit-and-resend create sibling branches that the branch switcher walks; reopening loads the
// branch last continued; delete waits for the undo window.
#include "app/answer_backend.h"
#include "app/messages_model.h"
#include "app/session_controller.h"
#include "app/sessions_model.h"
#include "app/settings.h"
#include "app/storage_service.h"
#include "app/thread_guard.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using folio::app::ChatMessage;

namespace {
// Answers with the words of a fixed text, one per event-loop turn, until stopped.
class ScriptedBackend : public folio::app::AnswerBackend
{
public:
    bool isLoaded() const override { return true; }
    folio::app::ModelInfo modelInfo() const override { return {}; }
    void answer(const folio::app::AnswerRequest &request) override
    {
        lastRequest = request;
        m_words = QStringLiteral("Answer to %1 : see src/a.cpp:1-2")
                      .arg(request.question)
                      .split(QLatin1Char(' '));
        m_stopped = false;
        m_finished = false;
        QTimer::singleShot(0, this, [this] { step(); });
    }
    // Like the engine, the flag is seen at the next step; a held answer takes that step now.
    void stop() override
    {
        m_stopped = true;
        QTimer::singleShot(0, this, [this] { step(); });
    }

    folio::app::AnswerRequest lastRequest;
    bool holdAfterFirstWord = false;

private:
    void step()
    {
        if (m_finished)
            return;
        if (m_stopped) {
            m_finished = true;
            Q_EMIT answerFinished(ChatMessage::State::Stopped, {}, QString());
            return;
        }
        if (m_words.isEmpty()) {
            folio::app::AnswerStats stats;
            stats.promptTokens = 42;
            stats.tokensPerSecond = 10;
            m_finished = true;
            Q_EMIT answerFinished(ChatMessage::State::Done, stats, QString());
            return;
        }
        Q_EMIT textChunk(m_words.takeFirst() + QLatin1Char(' '), false);
        if (!holdAfterFirstWord)
            QTimer::singleShot(0, this, [this] { step(); });
    }

    QStringList m_words;
    bool m_stopped = false;
    bool m_finished = true;
};
} // namespace

class TestSessionController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_settings = std::make_unique<folio::app::Settings>(
            m_dir.filePath(QStringLiteral("s.ini")));
        m_storage = std::make_unique<folio::app::StorageService>();
        QSignalSpy opened(m_storage.get(), &folio::app::StorageService::opened);
        m_storage->open(m_dir.filePath(QStringLiteral("folio.db")));
        QTRY_COMPARE(opened.size(), 1);
        QVERIFY2(opened.first().first().toBool(), qPrintable(opened.first().at(1).toString()));
        m_sessions = std::make_unique<folio::app::SessionsModel>();
        m_messages = std::make_unique<folio::app::MessagesModel>();
        m_controller = std::make_unique<folio::app::SessionController>(m_settings.get(),
                                                                       m_storage.get(),
                                                                       m_sessions.get(),
                                                                       m_messages.get());
        m_controller->setBackend(&m_backend);
    }

    void cleanup()
    {
        m_controller.reset();
        m_storage.reset();
    }

    void askStreamsAndStores()
    {
        m_controller->ask(QStringLiteral("What is a?"), false);
        QTRY_VERIFY(m_controller->currentSession() > 0);
        QTRY_COMPARE(m_messages->rowCount(), 2);
        QTRY_VERIFY(!m_controller->isAnswering());
        const ChatMessage answer = m_messages->message(1);
        QCOMPARE(answer.state, ChatMessage::State::Done);
        QVERIFY(answer.text.startsWith(QStringLiteral("Answer to What is a?")));
        QCOMPARE(answer.stats.promptTokens, 42);
        QCOMPARE(m_backend.lastRequest.question, QStringLiteral("What is a?"));
        QTRY_VERIFY(m_messages->message(1).id > 0);
        // The session took its title from the question.
        QTRY_COMPARE(m_sessions->session(0).title, QStringLiteral("What is a?"));

        // A follow-up carries the earlier turn as history.
        m_controller->ask(QStringLiteral("And b?"), true);
        QTRY_COMPARE(m_messages->rowCount(), 4);
        QTRY_VERIFY(!m_controller->isAnswering());
        QCOMPARE(m_backend.lastRequest.history.size(), 2);
        QVERIFY(m_backend.lastRequest.thinking);
        QTRY_VERIFY(m_messages->message(3).id > 0);

        // Reopening the session loads the same branch from the database.
        const qint64 id = m_controller->currentSession();
        m_controller->openSession(0);
        QCOMPARE(m_messages->rowCount(), 0);
        m_controller->openSession(id);
        QTRY_COMPARE(m_messages->rowCount(), 4);
        QCOMPARE(m_messages->message(2).text, QStringLiteral("And b?"));
        QCOMPARE(m_messages->message(3).stats.promptTokens, 42);
    }

    void stopEndsTheAnswer()
    {
        m_backend.holdAfterFirstWord = true;
        m_controller->ask(QStringLiteral("Long one"), false);
        QTRY_VERIFY(m_messages->rowCount() == 2 && !m_messages->message(1).text.isEmpty());
        QVERIFY(m_controller->isAnswering());
        m_controller->stop();
        QTRY_VERIFY(!m_controller->isAnswering());
        m_backend.holdAfterFirstWord = false;
        QCOMPARE(m_messages->message(1).state, ChatMessage::State::Stopped);
    }

    void branchesFromRegenerateAndEdit()
    {
        m_controller->ask(QStringLiteral("Q1"), false);
        QTRY_VERIFY(m_messages->rowCount() == 2 && !m_controller->isAnswering());
        QTRY_VERIFY(m_messages->message(1).id > 0);
        m_controller->regenerate(1);
        QTRY_VERIFY(!m_controller->isAnswering());
        QCOMPARE(m_messages->rowCount(), 2);
        QCOMPARE(m_messages->message(1).branchCount, 2);
        QCOMPARE(m_messages->message(1).branchIndex, 1);
        QTRY_VERIFY(m_messages->message(1).id > 0);

        m_controller->editAndResend(0, QStringLiteral("Q1 edited"));
        QTRY_VERIFY(m_messages->rowCount() == 2 && !m_controller->isAnswering());
        QCOMPARE(m_messages->message(0).text, QStringLiteral("Q1 edited"));
        QTRY_VERIFY(m_messages->message(1).id > 0);

        // Walk back to the first question's branch: it continues with its latest answer.
        m_controller->switchBranch(0, -1);
        QTRY_COMPARE(m_messages->message(0).text, QStringLiteral("Q1"));
        QCOMPARE(m_messages->message(0).branchCount, 2);
        QCOMPARE(m_messages->message(0).branchIndex, 0);
        QCOMPARE(m_messages->rowCount(), 2);
        QCOMPARE(m_messages->message(1).branchCount, 2);
        m_controller->switchBranch(0, +1);
        QTRY_COMPARE(m_messages->message(0).text, QStringLiteral("Q1 edited"));
    }

    void deleteWaitsForUndo()
    {
        m_controller->newSession();
        QTRY_VERIFY(m_controller->currentSession() > 0);
        const qint64 id = m_controller->currentSession();
        QSignalSpy pending(m_controller.get(), &folio::app::SessionController::sessionDeletePending);
        QSignalSpy deleted(m_storage.get(), &folio::app::StorageService::sessionDeleted);
        m_controller->deleteSession(id);
        QCOMPARE(pending.size(), 1);
        QCOMPARE(m_controller->currentSession(), 0);
        QCOMPARE(m_sessions->rowOf(id), -1);
        m_controller->undoDelete(id);
        QVERIFY(m_sessions->rowOf(id) >= 0);
        m_controller->deleteSession(id);
        m_controller->commitPendingDeletes();
        QTRY_COMPARE(deleted.size(), 1);
        QCOMPARE(deleted.first().first().toLongLong(), id);
        QCOMPARE(folio::app::layerWorkCounts().onUiThread, 0);
    }

private:
    QTemporaryDir m_dir;
    ScriptedBackend m_backend;
    std::unique_ptr<folio::app::Settings> m_settings;
    std::unique_ptr<folio::app::StorageService> m_storage;
    std::unique_ptr<folio::app::SessionsModel> m_sessions;
    std::unique_ptr<folio::app::MessagesModel> m_messages;
    std::unique_ptr<folio::app::SessionController> m_controller;
};

QTEST_MAIN(TestSessionController)
#include "tst_session_controller.moc"
