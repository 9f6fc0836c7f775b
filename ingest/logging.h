// The ingest layer's logging category: folio.ingest.
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcIngest)
