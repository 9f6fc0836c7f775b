// Who Folio is (name, version) and where it keeps its data. One owner for the application's
// identity so the GUI, the CLI and the server agree on the data directory and the version string.
#pragma once

#include <QString>

namespace folio::app {

// "0.1.0"
QString version();
// Sets the QCoreApplication organisation/application names (call once, before any QSettings or
// QStandardPaths use, in every executable's main()).
void initApplicationIdentity();
// The per-user data directory (QStandardPaths::AppDataLocation), created on demand. Holds
// folio.db, snapshots and the server discovery file. FOLIO_DATA_DIR overrides it (tests, portable
// installs).
QString dataDirectory();
// The engine's one-line description of the build: version, CUDA compiled or not, CPU.
QString buildDescription();

} // namespace folio::app
