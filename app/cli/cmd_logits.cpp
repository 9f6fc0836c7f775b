// folio-cli logits --model DIR --tokens FILE [--mode prefill|stepwise|chunked:N] [--all-positions]
// [--decode-steps N] [--threads N] [--dump-layers DIR] --out FILE.safetensors: runs the model on
// the given token ids and writes a safetensors file with
//   logits F32 [rows, vocab]: the last given position (every given position with
//          --all-positions), followed by one row per greedy decode step,
//   tokens I64 [steps]: the greedy token chosen (and fed) at each decode step,
// for comparison tools (e.g. against the golden reference outputs). Modes: prefill = one prefill
// call; stepwise = the first token as a prefill, every further one as a teacher-forced decode
// step; chunked:N = prefill in chunks of N tokens.
#include "app/cli/command.h"
#include "app/cli/device_options.h"
#include "app/cli/token_ids_file.h"
#include "folio/engine.h"
#include "folio/sampling.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTextStream>

#include <cstring>

namespace folio::cli {

namespace {

const char *kName = "logits";

// A safetensors file (u64 header length, JSON header padded with spaces to 8 bytes, data).
bool writeSafetensors(const QString &path, const std::vector<float> &logits, int rows, int vocab,
                      const std::vector<std::int64_t> &tokens, QString *error)
{
    const qint64 logitBytes = qint64(logits.size() * sizeof(float));
    const qint64 tokenBytes = qint64(tokens.size() * sizeof(std::int64_t));
    QJsonObject header;
    header.insert(QStringLiteral("logits"),
                  QJsonObject{{QStringLiteral("dtype"), QStringLiteral("F32")},
                              {QStringLiteral("shape"), QJsonArray{rows, vocab}},
                              {QStringLiteral("data_offsets"), QJsonArray{0, logitBytes}}});
    header.insert(QStringLiteral("tokens"),
                  QJsonObject{{QStringLiteral("dtype"), QStringLiteral("I64")},
                              {QStringLiteral("shape"), QJsonArray{qint64(tokens.size())}},
                              {QStringLiteral("data_offsets"),
                               QJsonArray{logitBytes, logitBytes + tokenBytes}}});
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json.append(' ');
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    const quint64 len = quint64(json.size());
    char lenBytes[8];
    for (int i = 0; i < 8; ++i)
        lenBytes[i] = char((len >> (8 * i)) & 0xff); // little-endian
    f.write(lenBytes, 8);
    f.write(json);
    f.write(reinterpret_cast<const char *>(logits.data()), logitBytes);
    f.write(reinterpret_cast<const char *>(tokens.data()), tokenBytes);
    if (!f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

} // namespace

int runLogits(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Compute logits for token ids and write them to a safetensors file."));
    parser.addOption(
        {QStringLiteral("model"), QStringLiteral("Model directory."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("tokens"),
                      QStringLiteral("File of whitespace-separated token ids (- = stdin)."),
                      QStringLiteral("FILE")});
    parser.addOption({QStringLiteral("mode"),
                      QStringLiteral("prefill (default), stepwise or chunked:N."),
                      QStringLiteral("MODE"), QStringLiteral("prefill")});
    parser.addOption({QStringLiteral("all-positions"),
                      QStringLiteral("A logits row for every given position.")});
    parser.addOption({QStringLiteral("decode-steps"),
                      QStringLiteral("Greedy decode steps after the given tokens (default 0)."),
                      QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("threads"), QStringLiteral("Compute threads (0 = all)."),
                      QStringLiteral("N"), QStringLiteral("0")});
    addDeviceOptions(parser);
    parser.addOption({QStringLiteral("dump-layers"),
                      QStringLiteral("Write every block's output residual to DIR (debugging)."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("out"), QStringLiteral("Output .safetensors file."),
                      QStringLiteral("FILE")});
    if (const int rc = parseOrExit(parser, args, kName); rc >= 0)
        return rc;

    const QString modelDir = parser.value(QStringLiteral("model"));
    const QString out = parser.value(QStringLiteral("out"));
    if (modelDir.isEmpty() || out.isEmpty() || !parser.isSet(QStringLiteral("tokens"))) {
        printError(kName, QStringLiteral("--model DIR, --tokens FILE and --out FILE are required"));
        return ExitUsage;
    }
    const QString mode = parser.value(QStringLiteral("mode"));
    int chunk = -1; // -1: not chunked
    bool stepwise = false;
    if (mode == QLatin1String("stepwise")) {
        stepwise = true;
    } else if (mode.startsWith(QLatin1String("chunked:"))) {
        bool ok = false;
        chunk = mode.mid(8).toInt(&ok);
        if (!ok || chunk <= 0) {
            printError(kName, QStringLiteral("--mode chunked:N needs a positive N"));
            return ExitUsage;
        }
    } else if (mode != QLatin1String("prefill")) {
        printError(kName, QStringLiteral("--mode: expected prefill, stepwise or chunked:N"));
        return ExitUsage;
    }
    bool ok = false;
    const int steps = parser.value(QStringLiteral("decode-steps")).toInt(&ok);
    if (!ok || steps < 0) {
        printError(kName, QStringLiteral("--decode-steps: expected a non-negative integer"));
        return ExitUsage;
    }
    const int threads = parser.value(QStringLiteral("threads")).toInt(&ok);
    if (!ok || threads < 0) {
        printError(kName, QStringLiteral("--threads: expected a non-negative integer"));
        return ExitUsage;
    }
    std::vector<int> ids;
    QString error;
    if (!readTokenIdsFile(parser.value(QStringLiteral("tokens")), &ids, &error)) {
        printError(kName, error);
        return ExitFailure;
    }

    int exitCode = ExitOk;
    const std::shared_ptr<const folio::Model> model = loadModelWithDeviceOptions(parser, kName,
                                                                                 modelDir, threads,
                                                                                 &exitCode);
    if (!model)
        return exitCode;
    const int vocab = model->info().vocab_size;
    auto session = model->create_session();
    if (parser.isSet(QStringLiteral("dump-layers"))) {
        if (folio::Status st = session->set_layer_dump(
                parser.value(QStringLiteral("dump-layers")).toStdString());
            !st) {
            printError(kName, QString::fromStdString(st.message()));
            return ExitFailure;
        }
    }
    const bool all = parser.isSet(QStringLiteral("all-positions"));
    std::vector<float> logits, last;
    auto fail = [&](const folio::Status &st) {
        printError(kName, QString::fromStdString(st.message()));
        return ExitFailure;
    };
    if (stepwise) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto r = session->decode(ids[i]);
            if (!r)
                return fail(r.status());
            last = std::move(*r);
            if (all)
                logits.insert(logits.end(), last.begin(), last.end());
        }
        if (!all)
            logits = last;
    } else {
        folio::Status st = session->prefill(ids,
                                            all ? folio::LogitsMode::All : folio::LogitsMode::Last,
                                            &logits, chunk < 0 ? 0 : chunk);
        if (!st)
            return fail(st);
        last.assign(logits.end() - vocab, logits.end());
    }
    std::vector<std::int64_t> tokens;
    for (int s = 0; s < steps; ++s) {
        const int t = folio::argmax(last.data(), last.size());
        tokens.push_back(t);
        auto r = session->decode(t);
        if (!r)
            return fail(r.status());
        last = std::move(*r);
        logits.insert(logits.end(), last.begin(), last.end());
    }
    const int rows = int(logits.size() / std::size_t(vocab));
    if (!writeSafetensors(out, logits, rows, vocab, tokens, &error)) {
        printError(kName, error);
        return ExitFailure;
    }
    QTextStream(stderr) << "wrote " << rows << " x " << vocab << " logits and " << tokens.size()
                        << " tokens to " << out << Qt::endl;
    return ExitOk;
}

} // namespace folio::cli
