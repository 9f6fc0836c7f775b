// A TokenCounter backed by the engine's tokenizer library (folio_tokenizer, "folio/tokenizer.h"):
// the real DeepSeek-V4 token counts. Built only when folio_tokenizer is part of the build
// (FOLIO_INGEST_HAVE_TOKENIZER); the header itself exposes no engine type.
#pragma once

#include "ingest/token_counter.h"

#include <memory>

namespace folio::ingest {

// True when this build links the engine's tokenizer.
bool haveEngineTokenizer();

// Loads tokenizer.json at `path`. Null with `*error` set on failure (or when this build has no
// tokenizer library).
std::unique_ptr<TokenCounter> loadTokenizerCounter(const QString &path, QString *error);

} // namespace folio::ingest
