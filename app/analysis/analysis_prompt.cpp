// The analysis prompt (see analysis_prompt.h).
#include "app/analysis/analysis_prompt.h"

namespace folio::analysis {

QString analysisInstructions()
{
    // Changing this text changes every prompt, so every KV snapshot key: the byte-for-byte test in
    // tst_analysis_prompt pins it.
    return QStringLiteral(
        "You are Folio, an assistant that answers questions about the sources below: source code "
        "repositories and documents. Answer from the sources only. Cite every claim with its "
        "location, written exactly as `path:12-30` for lines of a file or `file.pdf p.7` for a "
        "page. When the sources do not contain the answer, say so plainly instead of guessing.");
}

std::string systemPromptText(const QByteArray &packedSources)
{
    return (analysisInstructions() + QStringLiteral("\n\n")).toStdString()
           + packedSources.toStdString();
}

Result<AnalysisPrompt> buildAnalysisPrompt(const QByteArray &packedSources,
                                           const QVector<Turn> &history, const QString &question,
                                           bool thinking)
{
    if (question.trimmed().isEmpty())
        return Status::error("the question is empty");
    AnalysisPrompt p;
    p.options.mode = thinking ? chat::ThinkingMode::Thinking : chat::ThinkingMode::Chat;
    chat::Message system;
    system.role = "system";
    system.content = systemPromptText(packedSources);
    p.messages.push_back(system);
    for (const Turn &t : history) {
        chat::Message m;
        m.role = t.user ? "user" : "assistant";
        m.content = t.text.toStdString();
        m.reasoning_content = t.reasoning.toStdString();
        p.messages.push_back(std::move(m));
    }
    chat::Message q;
    q.role = "user";
    q.content = question.toStdString();
    p.messages.push_back(std::move(q));

    Result<std::string> text = chat::render(p.messages, p.options);
    if (!text)
        return text.status();
    Result<std::string> prefix = chat::render({system}, p.options);
    if (!prefix)
        return prefix.status();
    p.text = std::move(*text);
    p.prefixText = std::move(*prefix);
    // The reuse of the prefix's KV state relies on this; the format guarantees it today, and a
    // change of the format must not silently break snapshots.
    if (p.text.compare(0, p.prefixText.size(), p.prefixText) != 0)
        return Status::error("internal: the rendered system prompt is not a prefix of the prompt");
    return p;
}

} // namespace folio::analysis
