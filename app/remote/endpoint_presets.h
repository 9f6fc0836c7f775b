// Remote OpenAI-compatible endpoints Folio knows how to talk to: DeepSeek's own API, OpenRouter,
// a self-hosted vLLM or SGLang server (V4-Flash on a few GPUs, V4-Pro on a multi-node cluster), and
// a local Folio server. A preset fills in the base URL, the model names and how the endpoint wants
// thinking mode asked for; the user may edit all of it (a cluster has its own address).
#pragma once

#include <QString>
#include <QStringList>
#include <QUrl>

#include <vector>

namespace folio::remote {

// How a request turns thinking mode on; each serving stack spells it differently.
enum class ThinkingStyle {
    DeepSeek, // "thinking": {"type": "enabled"|"disabled"} (DeepSeek's API, Folio's server)
    ChatTemplateKwargs, // "chat_template_kwargs": {"thinking": true} (vLLM, SGLang)
    OpenRouter,         // "reasoning": {"enabled": true}
};

struct EndpointPreset
{
    QString id;          // "deepseek", "openrouter", "vllm", "sglang", "folio"
    QString displayName; // for the settings dialog
    QUrl baseUrl;        // requests go to baseUrl + "/chat/completions"
    QStringList models;  // suggested model names, the default first
    bool needsApiKey = true;
    ThinkingStyle thinking = ThinkingStyle::DeepSeek;
};

const std::vector<EndpointPreset> &endpointPresets();
// The preset with `id`, or nullptr.
const EndpointPreset *findPreset(const QString &id);
// The preset whose base URL has the same host and port as `url` (to pick the thinking style for a
// URL the user typed), or nullptr.
const EndpointPreset *presetForUrl(const QUrl &url);

} // namespace folio::remote
