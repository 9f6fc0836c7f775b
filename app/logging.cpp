#include "app/logging.h"

Q_LOGGING_CATEGORY(lcApp, "folio.app")
Q_LOGGING_CATEGORY(lcEngine, "folio.engine")
