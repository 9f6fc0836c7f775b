// folio-cli model download|verify|list: getting DeepSeek-V4-Flash (or any model of its
// architecture) from a Hugging Face–style hub, checking a model directory and what it needs in
// memory, and listing the models directory. The work is done by app/model_manager/; this file only
// parses options and prints. Results go to stdout, progress to stderr.
#include "app/cli/command.h"
#include "app/model_manager/hub_listing.h"
#include "app/model_manager/model_catalog.h"
#include "app/model_manager/model_downloader.h"
#include "app/model_manager/model_verifier.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <unistd.h>

namespace folio::cli {

namespace {

using namespace folio::app;

void printModelUsage(QTextStream &out)
{
    out << "Usage: folio-cli model <action> [options]\n\n"
        << "Actions:\n"
        << "  download REPO_ID   Download a model repository (owner/name) from the hub\n"
        << "  verify DIR         Check a model directory and print its memory needs\n"
        << "  list               List the models in the models directory\n\n"
        << "Run 'folio-cli model <action> --help' for the options of an action.\n";
}

int runDownload(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Download every file of a model repository, resumably and verified against the hub's "
        "hashes. Rerun the same command to resume an interrupted download."));
    parser.addPositionalArgument(QStringLiteral("repo"),
                                 QStringLiteral(
                                     "Repository id, e.g. deepseek-ai/DeepSeek-V4-Flash"));
    parser.addOption({QStringLiteral("dir"),
                      QStringLiteral("Target directory (default: <models directory>/<name>)."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("revision"),
                      QStringLiteral("Branch, tag or commit (default: main)."),
                      QStringLiteral("REV"), QStringLiteral("main")});
    parser.addOption({QStringLiteral("token"),
                      QStringLiteral("Access token for gated or private repositories (default: "
                                     "$HF_TOKEN). Sent to the hub only."),
                      QStringLiteral("TOKEN")});
    parser.addOption({QStringLiteral("hub-url"),
                      QStringLiteral("Hub or mirror base URL (default: $FOLIO_HUB_URL, else the "
                                     "public hub)."),
                      QStringLiteral("URL")});
    parser.addOption({QStringLiteral("parallel"),
                      QStringLiteral("Files downloaded at once (default 4)."), QStringLiteral("N"),
                      QStringLiteral("4")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print the result as JSON.")});
    if (int rc = parseOrExit(parser, args, "model download"); rc >= 0)
        return rc;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        printError("model download", QStringLiteral("expected one repository id (owner/name)"));
        return ExitUsage;
    }
    DownloadOptions opts;
    opts.repoId = pos.at(0);
    if (!isValidRepoId(opts.repoId)) {
        printError("model download",
                   QStringLiteral("'%1' is not a repository id (expected owner/name)")
                       .arg(opts.repoId));
        return ExitUsage;
    }
    bool okParallel = false;
    opts.parallel = parser.value(QStringLiteral("parallel")).toInt(&okParallel);
    if (!okParallel || opts.parallel < 1 || opts.parallel > 64) {
        printError("model download", QStringLiteral("--parallel takes a number from 1 to 64"));
        return ExitUsage;
    }
    opts.revision = parser.value(QStringLiteral("revision"));
    opts.hubUrl = parser.value(QStringLiteral("hub-url"));
    opts.token = parser.isSet(QStringLiteral("token")) ? parser.value(QStringLiteral("token"))
                                                       : qEnvironmentVariable("HF_TOKEN");
    opts.targetDir = parser.isSet(QStringLiteral("dir")) ? parser.value(QStringLiteral("dir"))
                                                         : defaultModelDirectory(opts.repoId);
    opts.targetDir = QDir(opts.targetDir).absolutePath();
    if (qEnvironmentVariableIsSet("FOLIO_DOWNLOAD_RETRY_DELAY_MS")) // tests: no 1 s back-off
        opts.retryDelayMs = qEnvironmentVariableIntValue("FOLIO_DOWNLOAD_RETRY_DELAY_MS");

    QTextStream err(stderr);
    const bool tty = isatty(STDERR_FILENO);
    ModelDownloader dl(opts);
    QElapsedTimer sinceLine;
    sinceLine.start();
    bool lineOpen = false;
    QObject::connect(&dl, &ModelDownloader::message, [&](const QString &text) {
        if (lineOpen)
            err << "\n";
        lineOpen = false;
        err << text << Qt::endl;
    });
    QObject::connect(&dl, &ModelDownloader::progress, [&](const DownloadProgress &p) {
        // A terminal gets one line rewritten in place; a log gets a line every 5 s.
        if (!tty && sinceLine.elapsed() < 5000 && p.doneBytes < p.totalBytes)
            return;
        sinceLine.restart();
        const double pct = p.totalBytes > 0 ? 100.0 * double(p.doneBytes) / double(p.totalBytes)
                                            : 100.0;
        err << (tty ? "\r" : "")
            << QStringLiteral("%1% %2 / %3  %4/s  ETA %5  files %6/%7")
                   .arg(pct, 5, 'f', 1)
                   .arg(formatBytes(p.doneBytes), formatBytes(p.totalBytes),
                        formatBytes(qint64(p.bytesPerSecond)), formatDuration(p.etaSeconds))
                   .arg(p.filesDone)
                   .arg(p.filesTotal)
            << (tty ? "   " : "\n");
        err.flush();
        lineOpen = tty;
    });
    bool ok = false;
    QObject::connect(&dl, &ModelDownloader::finished, [&](bool success) {
        ok = success;
        QCoreApplication::exit(0);
    });
    dl.start();
    QCoreApplication::exec();
    if (lineOpen)
        err << "\n";
    err.flush();

    QTextStream out(stdout);
    if (parser.isSet(QStringLiteral("json"))) {
        const DownloadProgress &p = dl.currentProgress();
        out << QJsonDocument(QJsonObject{{"ok", ok},
                                         {"repo", opts.repoId},
                                         {"revision", opts.revision},
                                         {"dir", opts.targetDir},
                                         {"files", p.filesTotal},
                                         {"bytes", double(p.totalBytes)},
                                         {"errors", QJsonArray::fromStringList(dl.errors())}})
                   .toJson(QJsonDocument::Indented);
    }
    if (!ok) {
        for (const QString &e : dl.errors())
            printError("model download", e);
        return ExitFailure;
    }
    if (!parser.isSet(QStringLiteral("json")))
        out << QStringLiteral(
                   "Downloaded %1 (%2) to %3\nCheck it with: folio-cli model verify %3\n")
                   .arg(opts.repoId, formatBytes(dl.currentProgress().totalBytes), opts.targetDir);
    return ExitOk;
}

// "284.33 B", "72.5 M": parameter counts of real and of demo models both stay readable.
QString formatCount(qint64 n)
{
    if (n >= 1'000'000'000)
        return QStringLiteral("%1 B").arg(double(n) / 1e9, 0, 'f', 2);
    return QStringLiteral("%1 M").arg(double(n) / 1e6, 0, 'f', 1);
}

QString stateWord(VerifyCheck::State s)
{
    switch (s) {
    case VerifyCheck::Ok:
        return QStringLiteral("ok");
    case VerifyCheck::Failed:
        return QStringLiteral("FAILED");
    case VerifyCheck::Skipped:
        break;
    }
    return QStringLiteral("skipped");
}

int runVerify(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Check a model directory: files, sizes and hashes from the download manifest, shards, "
        "config.json, tokenizer.json and the tensor directory; then print what the model needs in "
        "memory on CPU, one GPU, several GPUs and with expert offload. Never uses the network."));
    parser.addPositionalArgument(QStringLiteral("dir"), QStringLiteral("The model directory."));
    parser.addOption(
        {QStringLiteral("no-hash"), QStringLiteral("Check sizes only, skip hashing (fast).")});
    parser.addOption({QStringLiteral("context"),
                      QStringLiteral("Context tokens for the memory estimate (default: the "
                                     "model's maximum)."),
                      QStringLiteral("TOKENS")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object.")});
    if (int rc = parseOrExit(parser, args, "model verify"); rc >= 0)
        return rc;
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        printError("model verify", QStringLiteral("expected one model directory"));
        return ExitUsage;
    }
    VerifyOptions opts;
    opts.hashes = !parser.isSet(QStringLiteral("no-hash"));
    if (parser.isSet(QStringLiteral("context"))) {
        bool ok = false;
        opts.contextTokens = parser.value(QStringLiteral("context")).toLongLong(&ok);
        if (!ok || opts.contextTokens < 1) {
            printError("model verify",
                       QStringLiteral("--context takes a positive number of tokens"));
            return ExitUsage;
        }
    }
    QTextStream err(stderr);
    const ModelVerification v = verifyModel(pos.at(0), opts,
                                            [&](const QString &line) { err << line << Qt::endl; });

    QTextStream out(stdout);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray checks;
        for (const VerifyCheck &c : v.checks)
            checks.append(QJsonObject{{"name", c.name},
                                      {"state", stateWord(c.state).toLower()},
                                      {"detail", c.detail}});
        QJsonObject root{{"dir", v.dir}, {"ok", v.ok()}, {"checks", checks}};
        if (v.haveSizes) {
            QJsonArray layouts;
            for (const MemoryLayout &l : v.memory.layouts)
                layouts.append(QJsonObject{{"name", l.name},
                                           {"description", l.description},
                                           {"gpus", l.gpus},
                                           {"gpu_bytes_per_device", double(l.gpuBytesPerDevice)},
                                           {"host_bytes", double(l.hostBytes)}});
            root.insert(QLatin1String("parameters"),
                        QJsonObject{{"main", double(v.paramsMain)},
                                    {"mtp", double(v.paramsMtp)},
                                    {"active_per_token", double(v.paramsActive)}});
            root.insert(QLatin1String("weight_bytes"),
                        QJsonObject{{"total", double(v.weights.total)},
                                    {"routed_experts", double(v.weights.routedExperts)},
                                    {"mtp", double(v.weights.mtp)}});
            root.insert(QLatin1String("memory"),
                        QJsonObject{{"context_tokens", double(v.memory.contextTokens)},
                                    {"kv_bytes_per_token", double(v.memory.kvBytesPerToken)},
                                    {"kv_bytes", double(v.memory.kvBytes)},
                                    {"layouts", layouts}});
            root.insert(QLatin1String("fingerprint"), v.fingerprint);
        }
        out << QJsonDocument(root).toJson(QJsonDocument::Indented);
        return v.ok() ? ExitOk : ExitFailure;
    }
    for (const VerifyCheck &c : v.checks)
        out << stateWord(c.state).leftJustified(8) << c.name.leftJustified(11) << c.detail << "\n";
    if (v.haveSizes) {
        out << "\nParameters: " << formatCount(v.paramsMain) << " main, "
            << formatCount(v.paramsMtp) << " MTP, " << formatCount(v.paramsActive)
            << " active per token\n"
            << "Weights:    " << formatGiB(v.weights.total) << " (routed experts "
            << formatGiB(v.weights.routedExperts) << ", MTP block " << formatGiB(v.weights.mtp)
            << ")\n"
            << "KV state:   " << v.memory.kvBytesPerToken << " B/token, "
            << formatGiB(v.memory.kvBytes) << " at " << v.memory.contextTokens << " tokens\n\n"
            << "Memory needed (estimate; includes " << formatGiB(kGpuWorkingBytes)
            << " working buffers per GPU):\n";
        for (const MemoryLayout &l : v.memory.layouts) {
            out << "  " << l.name.leftJustified(16);
            if (l.gpus > 0)
                out << formatGiB(l.gpuBytesPerDevice).rightJustified(11) << " per GPU";
            else
                out << QString().leftJustified(19);
            out << formatGiB(l.hostBytes).rightJustified(11) << " RAM   " << l.description << "\n";
        }
    }
    out << (v.ok() ? "\nThe model is complete.\n"
                   : "\nThe model has problems (see FAILED above).\n");
    return v.ok() ? ExitOk : ExitFailure;
}

int runList(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("List the models in the models directory (FOLIO_MODELS_DIR, else <data "
                       "directory>/models)."));
    parser.addOption({QStringLiteral("dir"), QStringLiteral("List this directory instead."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print a JSON array.")});
    if (int rc = parseOrExit(parser, args, "model list"); rc >= 0)
        return rc;
    if (!parser.positionalArguments().isEmpty()) {
        printError("model list", QStringLiteral("takes no arguments (use --dir DIR)"));
        return ExitUsage;
    }
    const QString dir = parser.isSet(QStringLiteral("dir")) ? parser.value(QStringLiteral("dir"))
                                                            : modelsDirectory();
    const QList<ModelEntry> models = listModels(dir);
    QTextStream out(stdout);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray arr;
        for (const ModelEntry &m : models)
            arr.append(QJsonObject{{"name", m.name},
                                   {"path", m.path},
                                   {"repo", m.repo},
                                   {"revision", m.revision},
                                   {"bytes_on_disk", double(m.bytesOnDisk)},
                                   {"bytes_listed", double(m.bytesListed)},
                                   {"files_complete", m.filesComplete},
                                   {"files_listed", m.filesListed},
                                   {"has_config", m.hasConfig},
                                   {"state", m.state}});
        out << QJsonDocument(arr).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    if (models.isEmpty()) {
        out << "No models in " << dir << "\n"
            << "Download one with: folio-cli model download deepseek-ai/DeepSeek-V4-Flash\n";
        return ExitOk;
    }
    for (const ModelEntry &m : models) {
        out << m.name.leftJustified(28) << formatBytes(m.bytesOnDisk).rightJustified(10) << "  "
            << m.state;
        if (!m.repo.isEmpty())
            out << "  (" << m.repo << "@" << m.revision << ", " << m.filesComplete << "/"
                << m.filesListed << " files)";
        out << "\n    " << m.path << "\n";
    }
    return ExitOk;
}

} // namespace

int runModel(const QStringList &args)
{
    if (args.size() < 2) {
        QTextStream err(stderr);
        printModelUsage(err);
        return ExitUsage;
    }
    if (args.at(1) == QLatin1String("--help") || args.at(1) == QLatin1String("-h")) {
        QTextStream out(stdout);
        printModelUsage(out);
        return ExitOk;
    }
    QStringList rest = args;
    const QString action = rest.takeAt(1);
    if (action == QLatin1String("download"))
        return runDownload(rest);
    if (action == QLatin1String("verify"))
        return runVerify(rest);
    if (action == QLatin1String("list"))
        return runList(rest);
    printError("model",
               QStringLiteral("unknown action '%1' (download, verify or list)").arg(action));
    return ExitUsage;
}

} // namespace folio::cli
