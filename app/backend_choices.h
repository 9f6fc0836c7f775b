// The compute backends a person can choose in the settings: auto, the CPU, each CUDA device the
// engine sees (with its memory), and a remote OpenAI-compatible endpoint. Asks the engine's device
// list once per call; cheap enough for opening a dialog.
#pragma once

#include <QString>
#include <QVector>

namespace folio::app {

struct BackendChoice
{
    QString id;    // the Settings::backend() value: "auto", "cpu", "cuda:0", "remote"
    QString label; // "NVIDIA H200 (cuda:0, 139.8 GiB)"
};

struct BackendChoices
{
    QVector<BackendChoice> choices;
    QString note; // why no CUDA device is listed, when none is
};

BackendChoices availableBackends();

// A short description of where answers come from for the status bar ("CPU", "cuda:0 NVIDIA H200").
QString describeBackend(const QString &id);

} // namespace folio::app
