#include "ingest/logging.h"

Q_LOGGING_CATEGORY(lcIngest, "folio.ingest")
