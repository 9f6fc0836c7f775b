// runScreenshotTour(): a linear script over the main window with explicit waits for the worker
// threads; each step grabs the window (or dialog) into outputDir. A read is held half-way through
// the ingest service's read-progress hook to show the live progress row.
#include "ui/screenshot_tour.h"

#include "app/chat_message.h"
#include "app/ingest_service.h"
#include "app/messages_model.h"
#include "app/settings.h"
#include "app/sources_model.h"
#include "ui/chat_view.h"
#include "ui/main_window.h"
#include "ui/open_repository_dialog.h"
#include "ui/settings_dialog.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QPixmap>
#include <QSemaphore>
#include <QTemporaryDir>
#include <QTextStream>
#include <QThread>
#include <QTreeView>
#include <QTreeWidget>

#include <atomic>
#include <functional>

namespace folio::ui {

namespace {

bool waitUntil(const std::function<bool()> &done, int timeoutMs = 120000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    return true;
}

void settle(int ms = 300)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QApplication::processEvents(QEventLoop::AllEvents, 20);
}

// The first file in the sources tree with at least `minLines` lines of text.
QModelIndex firstFile(const QAbstractItemModel *m, const QModelIndex &parent = {})
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (i.data(folio::app::SourcesModel::KindRole).toInt()
                == int(folio::app::SourceNode::Kind::File)
            && i.data(folio::app::SourcesModel::TokensRole).toLongLong() > 400)
            return i;
        if (const QModelIndex below = firstFile(m, i); below.isValid())
            return below;
    }
    return {};
}

QString writeDemoPdf(const QString &path)
{
    QPdfWriter writer(path);
    writer.setPageSize(QPageSize(QPageSize::A5));
    writer.setResolution(72);
    writer.setTitle(QStringLiteral("Service agreement"));
    QPainter p(&writer);
    QFont heading(QStringLiteral("DejaVu Serif"), 16, QFont::Bold);
    QFont body(QStringLiteral("DejaVu Serif"), 10);
    const QStringList clauses = {
        QStringLiteral("1. Scope. The provider maintains the software described in Annex A."),
        QStringLiteral("2. Warranty. The warranty lasts twenty-four months from delivery."),
        QStringLiteral("3. Liability. Liability is limited to the fees paid in the last year."),
    };
    for (int page = 1; page <= 3; ++page) {
        if (page > 1)
            writer.newPage();
        p.setFont(heading);
        p.drawText(QPointF(40, 60), QStringLiteral("Service agreement — part %1").arg(page));
        p.setFont(body);
        int y = 100;
        for (const QString &c : clauses) {
            p.drawText(QRectF(40, y, 340, 60), Qt::TextWordWrap, c);
            y += 50;
        }
    }
    p.end();
    return path;
}

} // namespace

int runScreenshotTour(const QString &outputDir, const QString &sourceDir)
{
    QTextStream err(stderr);
    if (!QDir().mkpath(outputDir)) {
        err << "screenshot tour: cannot create " << outputDir << "\n";
        return 1;
    }
    QTemporaryDir work;
    int failures = 0;
    auto save = [&](QWidget *w, const QString &name) {
        settle();
        const QString file = QDir(outputDir).filePath(name);
        if (!w->grab().save(file)) {
            err << "screenshot tour: could not write " << file << "\n";
            ++failures;
        } else {
            err << "wrote " << file << "\n";
        }
    };

    MainWindow window;
    folio::app::Settings *settings = window.settings();
    settings->setLanguage(QStringLiteral("en"));
    settings->setModelSource(folio::app::ModelSource::None);
    window.resize(1440, 900);
    window.show();
    save(&window, QStringLiteral("01-welcome.png"));

    // The progress row while the whole repository around the sources is read: held half-way on
    // the reading thread (IngestService::setReadProgressHook) so the picture shows a live count.
    settings->setModelSource(folio::app::ModelSource::Demo);
    {
        QSemaphore held, release;
        std::atomic_bool once{false};
        window.ingest()->setReadProgressHook([&](qint64 done, qint64 total) {
            if (total > 0 && done * 2 >= total && !once.exchange(true)) {
                held.release();
                release.tryAcquire(1, 60000);
            }
        });
        window.ingest()->addRepository({sourceDir, QString(), false});
        if (waitUntil([&] { return held.tryAcquire(); }, 60000)) {
            settle(400); // two progress ticks
            save(&window, QStringLiteral("09-reading-progress.png"));
        } else {
            err << "screenshot tour: the repository read reported no progress\n";
            ++failures;
        }
        release.release();
        window.ingest()->setReadProgressHook({});
        waitUntil([&] { return !window.ingest()->isBusy(); });
        window.ingest()->clearSources();
        waitUntil([&] { return !window.ingest()->isBusy(); });
    }

    // A session with the project's own sources and a finished demo answer.
    window.ingest()->addPaths({sourceDir});
    if (!waitUntil(
            [&] { return !window.ingest()->isBusy() && window.ingest()->sourceCount() > 0; })) {
        err << "screenshot tour: reading " << sourceDir << " did not finish\n";
        return 1;
    }
    auto *tree = window.findChild<QTreeView *>(QStringLiteral("sourcesTree"));
    const QModelIndex file = firstFile(tree->model());
    const QString path = file.data(folio::app::SourcesModel::PathRole).toString();
    tree->setCurrentIndex(file);

    folio::app::ChatMessage question;
    question.id = 1;
    question.text = QStringLiteral("Where does the packer decide what goes into the context, and "
                                   "what happens when the sources do not fit?");
    const QString cite = QStringLiteral("%1:1-12").arg(path);
    const QString missing = QStringLiteral("src/budget.cpp:40-52");
    folio::app::ChatMessage answer;
    answer.id = 2;
    answer.role = folio::app::ChatMessage::Role::Assistant;
    answer.thinkingEnabled = true;
    answer.thinking = QStringLiteral(
        "The question is about the packing step. I should look at the file header first.");
    answer.text
        = QStringLiteral(
              "The selection happens in **%1** — see %2, where the file describes what it owns.\n\n"
              "When the sources are larger than the budget, the packer ranks exclusions:\n\n"
              "1. generated files first,\n2. then tests,\n3. then the largest directories.\n\n"
              "```cpp\nPackResult result = packer.pack(sources, options);\nif "
              "(result.overBudget)\n    showSuggestions(result.suggestions);\n```\n\n"
              "The budget check itself is in %3.")
              .arg(path, cite, missing);
    folio::app::CitationLink ok;
    ok.text = cite;
    ok.offset = int(answer.text.indexOf(cite));
    ok.length = int(cite.size());
    ok.verified = true;
    ok.path = path;
    ok.lineBegin = 1;
    ok.lineEnd = 12;
    folio::app::CitationLink bad;
    bad.text = missing;
    bad.offset = int(answer.text.indexOf(missing));
    bad.length = int(missing.size());
    bad.reason = QStringLiteral("no file src/budget.cpp in the sources");
    answer.citations = {ok, bad};
    answer.stats.promptTokens = int(window.ingest()->budget().used) + 412;
    answer.stats.generatedTokens = 96;
    answer.stats.timeToFirstTokenMs = 640;
    answer.stats.tokensPerSecond = 38.5;
    answer.stats.snapshotReused = true;
    window.messages()->setMessages({question, answer});
    auto *chat = window.findChild<ChatView *>(QStringLiteral("conversationView"));
    chat->renderNow();
    save(&window, QStringLiteral("02-session.png"));

    chat->activateLink(QUrl(QStringLiteral("folio-cite:1/0")));
    settle(800);
    save(&window, QStringLiteral("03-citation-in-code-viewer.png"));

    window.ingest()->addDocuments({writeDemoPdf(work.filePath(QStringLiteral("agreement.pdf")))});
    if (waitUntil(
            [&] { return !window.ingest()->isBusy() && window.ingest()->sourceCount() > 1; })) {
        folio::app::CitationLink page;
        page.verified = true;
        page.source = 1;
        page.path = QStringLiteral("agreement.pdf");
        page.page = 2;
        page.quote = QStringLiteral("The warranty lasts twenty-four months");
        window.openCitation(page);
        save(&window, QStringLiteral("04-pdf-viewer.png"));
    } else {
        err << "screenshot tour: the PDF was not read\n";
        ++failures;
    }

    const int limit = settings->contextLimit();
    const int reserve = settings->answerReserve();
    settings->setContextLimit(8192);
    settings->setAnswerReserve(4096);
    settle(200);
    waitUntil([&] { return !window.ingest()->isBusy(); });
    save(&window, QStringLiteral("05-over-budget.png"));
    settings->setContextLimit(limit);
    settings->setAnswerReserve(reserve);
    waitUntil([&] { return !window.ingest()->isBusy(); });

    {
        SettingsDialog dialog(settings, &window);
        dialog.show();
        save(&dialog, QStringLiteral("06-settings.png"));
    }

    {
        // The revision dialog over the repository the sources come from (Folio's own).
        OpenRepositoryDialog dialog({}, window.ingest(), &window);
        dialog.setLocation(QDir(sourceDir).absolutePath());
        dialog.show();
        auto *commits = dialog.findChild<QTreeWidget *>(QStringLiteral("repositoryCommits"));
        if (waitUntil([&] { return !dialog.refs().location.isEmpty(); }, 60000)
            && commits->topLevelItemCount() > 1) {
            commits->setCurrentItem(commits->topLevelItem(1));
            save(&dialog, QStringLiteral("08-open-repository.png"));
        } else {
            err << "screenshot tour: no commits listed for " << sourceDir << "\n";
            ++failures;
        }
        // The same repository as a URL to clone: its branches and tags, listed before cloning.
        const QString url = QStringLiteral("file://") + dialog.refs().root;
        OpenRepositoryDialog clone({}, window.ingest(), &window);
        clone.setLocation(url);
        clone.show();
        if (!dialog.refs().root.isEmpty()
            && waitUntil([&] { return clone.refs().location == url; }, 60000)) {
            save(&clone, QStringLiteral("10-clone-from-url.png"));
        } else {
            err << "screenshot tour: no refs listed for " << url << "\n";
            ++failures;
        }
    }

    settings->setLanguage(QStringLiteral("zh_CN"));
    settle(500);
    chat->renderNow();
    save(&window, QStringLiteral("07-chinese.png"));
    settings->setLanguage(QString());
    window.close();
    return failures == 0 ? 0 : 1;
}

} // namespace folio::ui
