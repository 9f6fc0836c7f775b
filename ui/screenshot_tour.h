// ScreenshotTour: drives a real MainWindow through Folio's main states — the welcome page, the
// live progress of a repository being read, a session with sources and an answer (a fixed demo
// answer with citations, fed to the message view exactly as a finished answer would be), a
// citation opened in the code viewer, a PDF page with a highlighted passage, the over-budget
// warning, the settings dialog, the Open Repository dialog for a folder and for a URL to clone,
// the Chinese UI — and writes a PNG of each. tools/screenshots.sh runs it under Xvfb (`folio --screenshot-tour OUT SOURCE_DIR`).
#pragma once

#include <QString>

namespace folio::ui {

// Returns 0 when every screenshot was written, 1 otherwise (the reason is printed).
int runScreenshotTour(const QString &outputDir, const QString &sourceDir);

} // namespace folio::ui
