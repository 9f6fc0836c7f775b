// The analysis prompt: Folio's instructions + the packed sources as the system prompt, then the
// conversation, in the V4 chat format (docs/architecture.md, "Prompt layout"):
//
//   BOS + system prompt + <｜User｜> question + <｜Assistant｜> (+ "<think>" or "</think>")
//   system prompt = analysisInstructions() + "\n\n" + packed sources (ingest's packer output)
//
// The one place this text is made: the GUI, `folio-cli ask`/`chat` and the server's session
// requests all build their prompt here, so a KV snapshot made by one is valid for the others.
// Sources come first and never change within a session, so the state after `prefixText` is the
// reusable prefix; each question and answer is appended after it.
//
//   auto p = folio::analysis::buildAnalysisPrompt(pack.text, history, "What does main() do?",
//                                                 /*thinking=*/false);
//   if (!p) return p.status();
//   tokenizer->encode(p->text) ... the prefix's ids are a prefix of the prompt's ids.
#pragma once

#include "folio/chat_format.h"
#include "folio/status.h"

#include <QByteArray>
#include <QString>
#include <QVector>

#include <string>
#include <vector>

namespace folio::analysis {

// Folio's analysis instructions: answer from the sources, cite as `path:12-30` or `file.pdf p.7`,
// say plainly when the sources do not contain the answer.
QString analysisInstructions();

// The system message's text for `packedSources` (UTF-8, as the packer rendered it).
std::string systemPromptText(const QByteArray &packedSources);

// One earlier turn of the conversation on the current branch.
struct Turn
{
    bool user = true;
    QString text;      // the question, or the answer without its thinking part
    QString reasoning; // an answer's thinking part (dropped from earlier turns by the format)
};

struct AnalysisPrompt
{
    std::vector<chat::Message> messages; // system, earlier turns, the question
    chat::RenderOptions options;
    std::string prefixText; // BOS + system prompt: the reusable, snapshot-keyed prefix
    std::string text;       // the whole prompt, ending with the assistant turn's opening
};

Result<AnalysisPrompt> buildAnalysisPrompt(const QByteArray &packedSources,
                                           const QVector<Turn> &history, const QString &question,
                                           bool thinking);

} // namespace folio::analysis
