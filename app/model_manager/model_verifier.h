// Checks a local model directory before anyone loads it — `folio-cli model verify` and the GUI's
// model settings. Each check is reported on its own, so a user sees every problem at once:
//   files      every file of folio-manifest.json present with its size and (optionally) its
//              hash; no unfinished "*.part" download left
//   shards     model.safetensors, or every shard model.safetensors.index.json names
//   config     config.json parses and validates (the engine's ModelConfig)
//   tokenizer  tokenizer.json loads with Folio's tokenizer
//   tensors    every tensor the config implies is present with its dtype and shape, and nothing
//              else (the engine's tensor directory)
// and, when the tensors check passed, what the model needs in memory (memory_estimate.h).
// Nothing here opens a network connection.
// This is the owner of "is this directory a loadable model". app/model_directory.h only describes a
// directory for display (and answers fast enough to run on every keystroke): it reuses the shards
// check below and the engine's config validation (load_model_config, as the config check does)
// instead of repeating them, and leaves the slow checks (hashes, tokenizer parse, tensor
// directory) to verifyModel() and to the engine's load.
#pragma once

#include "app/model_manager/memory_estimate.h"

#include <QList>
#include <QString>

#include <functional>

namespace folio::app {

struct VerifyCheck
{
    enum State { Ok, Failed, Skipped };
    QString name; // "files", "shards", "config", "tokenizer", "tensors"
    State state = Skipped;
    QString detail; // what was checked, or what is wrong
};

struct VerifyOptions
{
    bool hashes = true;       // hash every file the manifest has a hash for (slow for 160 GB)
    qint64 contextTokens = 0; // for the memory estimate; 0 = the model's max_position_embeddings
    int threads = 4;          // files hashed at once
};

struct ModelVerification
{
    QString dir;
    QList<VerifyCheck> checks;
    // Filled when config and tensors passed.
    bool haveSizes = false;
    qint64 paramsMain = 0, paramsMtp = 0, paramsActive = 0;
    WeightBytes weights;
    MemoryEstimate memory;
    QString fingerprint;

    bool ok() const;
    const VerifyCheck *check(const QString &name) const;
};

// The "shards" check alone: model.safetensors, or every shard model.safetensors.index.json names,
// present. Cheap (one stat per shard, no tensor header read), so inspectModelDirectory() runs it
// while a person types a path.
VerifyCheck checkShards(const QString &dir);

// Runs every check on `dir`. `progress` (optional) receives one line per long step.
ModelVerification verifyModel(const QString &dir, const VerifyOptions &options = {},
                              const std::function<void(const QString &)> &progress = {});

} // namespace folio::app
