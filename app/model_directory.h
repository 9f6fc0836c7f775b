// A quick look at a model directory before loading it, for the settings dialog and the welcome page:
// is config.json there and readable, are there safetensors shards and a tokenizer, and what does
// config.json say (layers, hidden size, experts, context, weight formats) and how much memory the
// weights need. It describes a directory for display; "is this a loadable model" belongs to
// app/model_manager/model_verifier.h (whose shards check and the engine's config reader this
// calls) and, finally, to the engine's load. This only has to be fast and readable.
#pragma once

#include <QString>

namespace folio::app {

struct ModelDirectoryInfo
{
    bool ok = false;
    QString error;      // why not ok, naming the missing or broken file
    int layers = 0;     // num_hidden_layers
    int hiddenSize = 0; // hidden_size
    int routedExperts = 0;
    qint64 contextTokens = 0; // max_position_embeddings
    QString weightFormat;     // "FP8", "BF16"
    QString expertFormat;     // "FP4", "FP8", "BF16"
    int shards = 0;
    qint64 weightBytes = 0;     // sum of the shard sizes: the memory the mapped weights need
    bool looksLikeDemo = false; // folio-mkmodel's random demo model (its marker file is present)
};

ModelDirectoryInfo inspectModelDirectory(const QString &dir);

} // namespace folio::app
