// JSON text exactly as Python's json.dumps(value, ensure_ascii=False) writes it, which the V4
// chat format embeds verbatim (tool schemas, non-string tool-call arguments, response formats):
// ", " and ": " separators, keys in their order (a repeated key keeps its first position and its
// last value, as a Python dict does), non-ASCII kept, floats in Python's repr() form.
#pragma once

#include "base/json.h"

#include <string>

namespace folio::chat {

void python_dumps(const json::Value &value, std::string &out);
std::string python_dumps(const json::Value &value);

// Python's repr() of a double: shortest round-trip digits, "1.0" for integral values, exponent
// form below 1e-4 and from 1e16 ("1e-05", "1e+16"), "NaN"/"Infinity" as json.dumps writes them.
std::string python_float_repr(double d);

} // namespace folio::chat
