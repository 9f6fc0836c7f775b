// Token ids given as a file: what generate and logits read with --tokens FILE.
#pragma once

#include <QString>

#include <vector>

namespace folio::cli {

// Whitespace-separated token ids from `path` ("-" = stdin) appended to *ids; false with the reason
// in *error when the file cannot be read, a word is not an integer, or there is no id at all.
bool readTokenIdsFile(const QString &path, std::vector<int> *ids, QString *error);

} // namespace folio::cli
