// The UI thread never does engine, ingest or storage work (docs/architecture.md, "Threads"). Every
// appcore entry point into those layers calls noteLayerWork() first; it counts the calls and every
// call made on the application's main thread, so a test can drive the real window and then check
// that work happened and none of it on the UI thread.
#pragma once

#include <QStringList>

namespace folio::app {

// `what` names the call for the warning ("storage: list sessions").
void noteLayerWork(const char *what);

struct LayerWorkCounts
{
    int calls = 0;
    int onUiThread = 0;
    QStringList kinds; // the distinct `what`s seen, sorted
};

LayerWorkCounts layerWorkCounts();
void resetLayerWorkCounts();

} // namespace folio::app
