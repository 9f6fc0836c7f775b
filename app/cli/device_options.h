// The compute-device options every folio-cli command that runs the engine shares: --device
// (cpu, cuda, cuda:N, cuda:N,M, auto), --gpus (a layer split over several GPUs) and
// --expert-cache-gb (routed experts in host memory behind a device cache). One owner for their
// names, help texts and validation, so generate, logits, ask, chat and serve accept them alike.
#pragma once

#include "folio/engine.h"

#include <QCommandLineParser>

namespace folio::cli {

// Adds --device, --gpus and --expert-cache-gb to `parser`.
void addDeviceOptions(QCommandLineParser &parser);

// Fills lo.device, lo.gpus and lo.expert_cache_bytes from the parsed options; false with the
// reason in *error for a bad value (a usage error).
bool deviceOptionsFrom(const QCommandLineParser &parser, folio::LoadOptions &lo, QString *error);

// The same for a command: returns -1 to continue, or ExitUsage after printing
// "folio-cli COMMAND: ..." for a bad value.
int readDeviceOptions(const QCommandLineParser &parser, const char *commandName,
                      folio::LoadOptions &lo);

// After a load: says on stderr where the model runs and why ("device auto: cpu, because ...")
// unless the CPU was asked for.
void reportDevice(const char *commandName, const folio::LoadOptions &lo,
                  const folio::ModelInfo &info);

// Loads the model in `modelDir` with `threads` and the device options, then reports the device:
// the shared start of the commands that run the engine directly (generate, logits). On failure
// prints "folio-cli COMMAND: ..." and returns null with the exit code in *exitCode.
std::shared_ptr<const folio::Model> loadModelWithDeviceOptions(const QCommandLineParser &parser,
                                                               const char *commandName,
                                                               const QString &modelDir, int threads,
                                                               int *exitCode);

} // namespace folio::cli
