// folio-cli generate --model DIR (--prompt TEXT | --tokens FILE) [-n N] [--greedy | --temperature T
// --top-p P --top-k K --min-p M --seed S] [--chat] [--thinking] [--speculative] [--threads N]
// [--dump-layers DIR] [--json]: streams the generated text to stdout as it is produced (token ids,
// one per line, when the model directory has no tokenizer.json). --chat wraps the prompt as one
// user message in the V4 chat format (--thinking opens the assistant turn with <think>). With
// --json the result is printed at the end as {"tokens": [...], "text": ..., "stop": ...,
// "device_stats": {...}} (the CUDA backend's counters for this session, all zero on the CPU).
#include "app/cli/command.h"
#include "app/cli/device_options.h"
#include "app/cli/token_ids_file.h"
#include "folio/chat_format.h"
#include "folio/engine.h"
#include "folio/tokenizer.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>

namespace folio::cli {

namespace {

const char *kName = "generate";

const char *stopName(folio::StopReason r)
{
    switch (r) {
    case folio::StopReason::Eos:
        return "eos";
    case folio::StopReason::StopToken:
        return "stop_token";
    case folio::StopReason::MaxTokens:
        return "max_tokens";
    case folio::StopReason::Callback:
        return "callback";
    }
    return "unknown";
}

// The counters as JSON numbers (a double holds every count a session can reach exactly).
QJsonObject deviceStatsJson(const folio::DeviceStats &s)
{
    return {{QStringLiteral("expert_cache_hits"), double(s.expert_cache_hits)},
            {QStringLiteral("expert_cache_misses"), double(s.expert_cache_misses)},
            {QStringLiteral("expert_cache_slots"), double(s.expert_cache_slots)},
            {QStringLiteral("fp8_gemm_cublaslt"), double(s.fp8_gemm_cublaslt)},
            {QStringLiteral("fp8_gemm_exact"), double(s.fp8_gemm_exact)},
            {QStringLiteral("fp8_cublaslt_refused"), s.fp8_cublaslt_refused},
            {QStringLiteral("moe_grouped"), double(s.moe_grouped)},
            {QStringLiteral("moe_fused_gemv"), double(s.moe_fused_gemv)}};
}

} // namespace

int runGenerate(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Generate a continuation of a prompt with a local model, streaming it."));
    parser.addOption(
        {QStringLiteral("model"), QStringLiteral("Model directory."), QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("prompt"),
                      QStringLiteral("Prompt text (needs the model's "
                                     "tokenizer.json)."),
                      QStringLiteral("TEXT")});
    parser.addOption({QStringLiteral("tokens"),
                      QStringLiteral("File of whitespace-separated prompt token ids (- = stdin)."),
                      QStringLiteral("FILE")});
    parser.addOption({{QStringLiteral("n"), QStringLiteral("max-tokens")},
                      QStringLiteral("Tokens to generate (default 128)."),
                      QStringLiteral("N"),
                      QStringLiteral("128")});
    parser.addOption({QStringLiteral("greedy"), QStringLiteral("Greedy decoding (the default).")});
    parser.addOption({QStringLiteral("temperature"), QStringLiteral("Sampling temperature."),
                      QStringLiteral("T")});
    parser.addOption({QStringLiteral("top-p"), QStringLiteral("Nucleus sampling mass."),
                      QStringLiteral("P"), QStringLiteral("1")});
    parser.addOption({QStringLiteral("top-k"), QStringLiteral("Keep the K most likely tokens."),
                      QStringLiteral("K"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("min-p"), QStringLiteral("Minimum relative probability."),
                      QStringLiteral("M"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("seed"), QStringLiteral("Sampling seed."), QStringLiteral("S"),
                      QStringLiteral("0")});
    parser.addOption({QStringLiteral("chat"),
                      QStringLiteral("Wrap the prompt as a user message in the V4 chat format.")});
    parser.addOption({QStringLiteral("thinking"),
                      QStringLiteral("With --chat: thinking mode (<think> opens the answer).")});
    parser.addOption({QStringLiteral("speculative"),
                      QStringLiteral("Greedy only: draft with the MTP block (same output).")});
    parser.addOption({QStringLiteral("threads"), QStringLiteral("Compute threads (0 = all)."),
                      QStringLiteral("N"), QStringLiteral("0")});
    addDeviceOptions(parser);
    parser.addOption({QStringLiteral("dump-layers"),
                      QStringLiteral("Write every block's output residual to DIR (debugging)."),
                      QStringLiteral("DIR")});
    parser.addOption(
        {QStringLiteral("json"), QStringLiteral("Print the result as JSON at the end.")});
    if (const int rc = parseOrExit(parser, args, kName); rc >= 0)
        return rc;

    const QString modelDir = parser.value(QStringLiteral("model"));
    if (modelDir.isEmpty()) {
        printError(kName, QStringLiteral("--model DIR is required"));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("prompt")) == parser.isSet(QStringLiteral("tokens"))) {
        printError(kName, QStringLiteral("give exactly one of --prompt TEXT and --tokens FILE"));
        return ExitUsage;
    }
    bool ok = false;
    const int maxTokens = parser.value(QStringLiteral("n")).toInt(&ok);
    if (!ok || maxTokens < 0) {
        printError(kName, QStringLiteral("-n: expected a non-negative integer"));
        return ExitUsage;
    }
    const int threads = parser.value(QStringLiteral("threads")).toInt(&ok);
    if (!ok || threads < 0) {
        printError(kName, QStringLiteral("--threads: expected a non-negative integer"));
        return ExitUsage;
    }
    folio::GenerateParams gp;
    gp.max_tokens = maxTokens;
    gp.speculative = parser.isSet(QStringLiteral("speculative"));
    if (parser.isSet(QStringLiteral("temperature")) && !parser.isSet(QStringLiteral("greedy"))) {
        gp.sampling.temperature = parser.value(QStringLiteral("temperature")).toFloat(&ok);
        bool ok2 = true, ok3 = true, ok4 = true, ok5 = true;
        gp.sampling.top_p = parser.value(QStringLiteral("top-p")).toFloat(&ok2);
        gp.sampling.top_k = parser.value(QStringLiteral("top-k")).toInt(&ok3);
        gp.sampling.min_p = parser.value(QStringLiteral("min-p")).toFloat(&ok4);
        gp.sampling.seed = parser.value(QStringLiteral("seed")).toULongLong(&ok5);
        if (!(ok && ok2 && ok3 && ok4 && ok5)) {
            printError(kName, QStringLiteral("bad sampling option value"));
            return ExitUsage;
        }
        if (folio::Status st = folio::validate_sampling(gp.sampling); !st) {
            printError(kName, QString::fromStdString(st.message()));
            return ExitUsage;
        }
    }

    std::shared_ptr<const folio::Tokenizer> tokenizer;
    const QString tokPath = modelDir + QStringLiteral("/tokenizer.json");
    if (QFileInfo::exists(tokPath)) {
        auto tok = folio::Tokenizer::load(tokPath.toStdString());
        if (!tok) {
            printError(kName, QString::fromStdString(tok.status().message()));
            return ExitFailure;
        }
        tokenizer = *tok;
    }
    std::vector<int> ids;
    if (parser.isSet(QStringLiteral("prompt"))) {
        if (!tokenizer) {
            printError(kName,
                       QStringLiteral("%1 has no tokenizer.json: use --tokens").arg(modelDir));
            return ExitFailure;
        }
        std::string text = parser.value(QStringLiteral("prompt")).toStdString();
        if (parser.isSet(QStringLiteral("chat"))) {
            folio::chat::Message m;
            m.role = "user";
            m.content = text;
            folio::chat::RenderOptions ro;
            ro.mode = parser.isSet(QStringLiteral("thinking")) ? folio::chat::ThinkingMode::Thinking
                                                               : folio::chat::ThinkingMode::Chat;
            auto rendered = folio::chat::render({m}, ro);
            if (!rendered) {
                printError(kName, QString::fromStdString(rendered.status().message()));
                return ExitFailure;
            }
            text = *rendered;
        }
        for (int32_t id : tokenizer->encode(text))
            ids.push_back(id);
    } else {
        QString error;
        if (!readTokenIdsFile(parser.value(QStringLiteral("tokens")), &ids, &error)) {
            printError(kName, error);
            return ExitFailure;
        }
    }

    int exitCode = ExitOk;
    const std::shared_ptr<const folio::Model> model = loadModelWithDeviceOptions(parser, kName,
                                                                                 modelDir, threads,
                                                                                 &exitCode);
    if (!model)
        return exitCode;
    auto session = model->create_session();
    if (parser.isSet(QStringLiteral("dump-layers"))) {
        if (folio::Status st = session->set_layer_dump(
                parser.value(QStringLiteral("dump-layers")).toStdString());
            !st) {
            printError(kName, QString::fromStdString(st.message()));
            return ExitFailure;
        }
    }
    if (folio::Status st = session->prefill(ids); !st) {
        printError(kName, QString::fromStdString(st.message()));
        return ExitFailure;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    std::unique_ptr<folio::StreamDecoder> decoder;
    if (tokenizer)
        decoder = std::make_unique<folio::StreamDecoder>(tokenizer);
    std::string text;
    auto result = session->generate(gp, [&](int token) {
        if (decoder) {
            const std::string piece = decoder->push(token);
            text += piece;
            if (!json) {
                std::fwrite(piece.data(), 1, piece.size(), stdout);
                std::fflush(stdout);
            }
        } else if (!json) {
            std::printf("%d\n", token);
            std::fflush(stdout);
        }
        return true;
    });
    if (!result) {
        printError(kName, QString::fromStdString(result.status().message()));
        return ExitFailure;
    }
    if (decoder) {
        const std::string rest = decoder->finish();
        text += rest;
        if (!json)
            std::fwrite(rest.data(), 1, rest.size(), stdout);
    }
    if (json) {
        QJsonArray toks;
        for (int t : result->tokens)
            toks.append(t);
        QJsonObject o{{QStringLiteral("tokens"), toks},
                      {QStringLiteral("stop"), QString::fromLatin1(stopName(result->reason))},
                      {QStringLiteral("prompt_tokens"), int(ids.size())}};
        if (decoder)
            o.insert(QStringLiteral("text"), QString::fromStdString(text));
        if (gp.speculative) {
            o.insert(QStringLiteral("drafted"), result->drafted);
            o.insert(QStringLiteral("accepted"), result->accepted);
        }
        o.insert(QStringLiteral("device_stats"), deviceStatsJson(session->stats()));
        QTextStream(stdout) << QJsonDocument(o).toJson(QJsonDocument::Compact) << Qt::endl;
    } else if (decoder) {
        std::printf("\n");
    }
    QTextStream(stderr) << "stop: " << stopName(result->reason) << ", " << result->tokens.size()
                        << " tokens" << Qt::endl;
    return ExitOk;
}

} // namespace folio::cli
