// appcore's logging categories: folio.app (services, workers) and folio.engine (messages the engine
// reports through appcore; the engine itself has no Qt).
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcApp)
Q_DECLARE_LOGGING_CATEGORY(lcEngine)
