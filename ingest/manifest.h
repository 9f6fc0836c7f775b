// The ingest manifest: what was included (with token counts), what was skipped and why, totals
// against the budget and the time taken. As one JSON object (`folio-cli ingest --json`, the
// fields are listed in docs/ingest.md) or as text for people.
#pragma once

#include "ingest/packer.h"
#include "ingest/token_counter.h"
#include "ingest/types.h"

#include <QJsonObject>

#include <vector>

namespace folio::ingest {

QJsonObject manifestJson(const std::vector<SourceContents> &sources, const PackResult &pack,
                         const TokenCounter &counter, double seconds);

QString manifestText(const std::vector<SourceContents> &sources, const PackResult &pack,
                     const TokenCounter &counter, double seconds);

} // namespace folio::ingest
