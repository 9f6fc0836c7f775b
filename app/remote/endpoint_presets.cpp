// The remote endpoint presets (see endpoint_presets.h).
#include "app/remote/endpoint_presets.h"

namespace folio::remote {

const std::vector<EndpointPreset> &endpointPresets()
{
    static const std::vector<EndpointPreset> presets = {
        {"deepseek",
         QStringLiteral("DeepSeek API"),
         QUrl(QStringLiteral("https://api.deepseek.com")),
         {QStringLiteral("deepseek-v4-flash"), QStringLiteral("deepseek-v4-pro")},
         true,
         ThinkingStyle::DeepSeek},
        {"openrouter",
         QStringLiteral("OpenRouter"),
         QUrl(QStringLiteral("https://openrouter.ai/api/v1")),
         {QStringLiteral("deepseek/deepseek-v4-flash"), QStringLiteral("deepseek/deepseek-v4-pro")},
         true,
         ThinkingStyle::OpenRouter},
        // Self-hosted servers: their default ports; the model name is what the server was started
        // with (`--served-model-name`), by default the checkpoint's repository name.
        {"vllm",
         QStringLiteral("vLLM (self-hosted)"),
         QUrl(QStringLiteral("http://127.0.0.1:8000/v1")),
         {QStringLiteral("deepseek-ai/DeepSeek-V4-Flash"),
          QStringLiteral("deepseek-ai/DeepSeek-V4-Pro")},
         false,
         ThinkingStyle::ChatTemplateKwargs},
        {"sglang",
         QStringLiteral("SGLang (self-hosted)"),
         QUrl(QStringLiteral("http://127.0.0.1:30000/v1")),
         {QStringLiteral("deepseek-ai/DeepSeek-V4-Flash"),
          QStringLiteral("deepseek-ai/DeepSeek-V4-Pro")},
         false,
         ThinkingStyle::ChatTemplateKwargs},
        {"folio",
         QStringLiteral("Folio server (folio-cli serve)"),
         QUrl(QStringLiteral("http://127.0.0.1:8080/v1")),
         {QStringLiteral("deepseek-v4-flash")},
         false,
         ThinkingStyle::DeepSeek},
    };
    return presets;
}

const EndpointPreset *findPreset(const QString &id)
{
    for (const EndpointPreset &p : endpointPresets())
        if (p.id == id)
            return &p;
    return nullptr;
}

const EndpointPreset *presetForUrl(const QUrl &url)
{
    for (const EndpointPreset &p : endpointPresets())
        if (p.baseUrl.host() == url.host()
            && p.baseUrl.port(p.baseUrl.scheme() == "https" ? 443 : 80)
                   == url.port(url.scheme() == "https" ? 443 : 80))
            return &p;
    return nullptr;
}

} // namespace folio::remote
