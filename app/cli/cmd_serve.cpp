// folio-cli serve: Folio's engine behind an OpenAI-compatible HTTP API (app/server/). Loads the
// model once, serves until SIGINT/SIGTERM, and announces itself in the discovery file so that
// `folio-cli ask` and the GUI use it instead of loading a second copy. Prints the base URL on
// stdout once it accepts connections (scripts and tests read that line); logs go to stderr.
#include "app/app_info.h"
#include "app/cli/command.h"
#include "app/cli/device_options.h"
#include "app/server/discovery.h"
#include "app/server/engine_backend.h"
#include "app/server/http_server.h"
#include "app/server/session_backend.h"
#include "ingest/tokenizer_counter.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTextStream>

#include <csignal>
#include <pthread.h>

namespace folio::cli {

int runServe(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models).\n"
        "Binds 127.0.0.1 unless --host says otherwise; any other address requires --api-key.\n"
        "Stops cleanly on Ctrl+C or SIGTERM."));
    parser.addOption({QStringLiteral("model"), QStringLiteral("Model directory to load."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("host"), QStringLiteral("Address to bind (default 127.0.0.1)."),
                      QStringLiteral("ADDR"), QStringLiteral("127.0.0.1")});
    parser.addOption({QStringLiteral("port"),
                      QStringLiteral("Port (default 8080; 0 = any free port)."),
                      QStringLiteral("N"), QStringLiteral("8080")});
    parser.addOption({QStringLiteral("api-key"),
                      QStringLiteral("Require \"Authorization: Bearer KEY\" on every request. "
                                     "FOLIO_API_KEY in the environment works too (keeps the key "
                                     "out of the process list)."),
                      QStringLiteral("KEY")});
    parser.addOption({QStringLiteral("model-id"),
                      QStringLiteral("Model name /v1/models lists (default: the directory name)."),
                      QStringLiteral("NAME")});
    parser.addOption({QStringLiteral("threads"), QStringLiteral("Compute threads (0 = all)."),
                      QStringLiteral("N"), QStringLiteral("0")});
    addDeviceOptions(parser);
    parser.addOption({QStringLiteral("max-queue"),
                      QStringLiteral("Requests that may wait for the engine (default 8); more "
                                     "are answered 429."),
                      QStringLiteral("N"), QStringLiteral("8")});
    parser.addOption({QStringLiteral("timeout"),
                      QStringLiteral("Seconds a request may take, waiting included (default "
                                     "1800)."),
                      QStringLiteral("S"), QStringLiteral("1800")});
    parser.addOption({QStringLiteral("max-body-mb"),
                      QStringLiteral("Largest request body in MiB (default 64)."),
                      QStringLiteral("N"), QStringLiteral("64")});
    parser.addOption({QStringLiteral("db"),
                      QStringLiteral("Session database: Folio sessions (\"folio_session\": "
                                     "ID) and KV snapshots (default: the data directory's "
                                     "folio.db)."),
                      QStringLiteral("PATH")});
    parser.addOption({QStringLiteral("no-discovery"),
                      QStringLiteral("Do not write the discovery file (other Folio processes "
                                     "will not find this server).")});
    if (int rc = parseOrExit(parser, args, "serve"); rc >= 0)
        return rc;

    const QString modelDir = parser.value(QStringLiteral("model"));
    if (modelDir.isEmpty()) {
        printError("serve", QStringLiteral("--model DIR is required"));
        return ExitUsage;
    }
    bool ok = true;
    server::ServerOptions options;
    options.host = parser.value(QStringLiteral("host")).toStdString();
    options.port = parser.value(QStringLiteral("port")).toInt(&ok);
    const int threads = ok ? parser.value(QStringLiteral("threads")).toInt(&ok) : 0;
    options.maxWaiting = ok ? parser.value(QStringLiteral("max-queue")).toInt(&ok) : 0;
    const int timeout = ok ? parser.value(QStringLiteral("timeout")).toInt(&ok) : 0;
    const int bodyMb = ok ? parser.value(QStringLiteral("max-body-mb")).toInt(&ok) : 0;
    if (!ok || timeout <= 0 || bodyMb <= 0 || threads < 0) {
        printError("serve", QStringLiteral("--port, --threads, --max-queue, --timeout and "
                                           "--max-body-mb take non-negative integers"));
        return ExitUsage;
    }
    options.requestTimeout = std::chrono::seconds(timeout);
    options.maxBodyBytes = std::size_t(bodyMb) << 20;
    options.apiKey = parser.isSet(QStringLiteral("api-key"))
                         ? parser.value(QStringLiteral("api-key")).toStdString()
                         : qEnvironmentVariable("FOLIO_API_KEY").toStdString();
    if (Status st = server::validateServerOptions(options); !st) {
        printError("serve", QString::fromStdString(st.message()));
        return ExitUsage;
    }

    // Signals are taken synchronously by this thread (sigwait below): block them before any
    // thread starts, so every thread inherits the mask and none is interrupted at random.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    QTextStream err(stderr);
    err << "folio-cli serve: loading " << modelDir << " ..." << Qt::endl;
    const QString dbPath = parser.isSet(QStringLiteral("db"))
                               ? parser.value(QStringLiteral("db"))
                               : QDir(app::dataDirectory()).filePath(QStringLiteral("folio.db"));
    server::EngineBackend::Options bo;
    bo.modelId = parser.value(QStringLiteral("model-id")).toStdString();
    bo.snapshots.databasePath = dbPath; // KV snapshots: restored and stored in the session db
    if (int rc = readDeviceOptions(parser, "serve", bo.engine); rc >= 0)
        return rc;
    auto backend = server::EngineBackend::load(modelDir.toStdString(), bo, threads);
    if (!backend) {
        printError("serve", QString::fromStdString(backend.status().message()));
        return ExitFailure;
    }
    reportDevice("serve", bo.engine, (*backend)->model()->info());
    // Requests that name a Folio session are answered on it (session_backend.h).
    server::SessionBackend::Options so;
    so.databasePath = dbPath;
    QString counterError;
    so.counter = ingest::loadTokenizerCounter(QDir(modelDir).filePath(
                                                  QStringLiteral("tokenizer.json")),
                                              &counterError);
    if (!so.counter) {
        printError("serve", counterError);
        return ExitFailure;
    }
    server::LocalServer srv(std::make_shared<server::SessionBackend>(*backend, std::move(so)),
                            options);
    if (Status st = srv.start(); !st) {
        printError("serve", QString::fromStdString(st.message()));
        return ExitFailure;
    }
    const QString host = QString::fromStdString(options.host);
    const QString urlHost = host.contains(QLatin1Char(':'))
                                ? QLatin1Char('[') + host + QLatin1Char(']')
                                : host;
    const QUrl url(QStringLiteral("http://%1:%2/v1").arg(urlHost).arg(srv.port()));
    if (!parser.isSet(QStringLiteral("no-discovery"))) {
        server::ServerInfo info;
        info.baseUrl = url;
        info.pid = QCoreApplication::applicationPid();
        info.modelDir = modelDir;
        info.modelId = QString::fromStdString((*backend)->modelId());
        info.needsKey = !options.apiKey.empty();
        QString error;
        if (!server::writeDiscoveryFile(info, &error))
            err << "folio-cli serve: warning: " << error << Qt::endl;
    }
    QTextStream(stdout) << url.toString() << Qt::endl;
    err << "folio-cli serve: serving " << QString::fromStdString((*backend)->modelId()) << " at "
        << url.toString() << (options.apiKey.empty() ? "" : " (API key required)")
        << "; Ctrl+C stops" << Qt::endl;

    int sig = 0;
    sigwait(&stopSignals, &sig);
    err << "folio-cli serve: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down"
        << Qt::endl;
    srv.stop();
    server::removeDiscoveryFile();
    return ExitOk;
}

} // namespace folio::cli
