#include "storage/logging.h"

Q_LOGGING_CATEGORY(lcStorage, "folio.storage")
