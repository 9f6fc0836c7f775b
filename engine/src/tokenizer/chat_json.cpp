// Python-compatible JSON output (see chat_json.h).
#include "tokenizer/chat_json.h"

#include "folio/chat_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace folio::chat {

void append_json_string(std::string &out, std::string_view s)
{
    // json.dumps escapes only '"', '\\' and control characters below 0x20 when ensure_ascii=False.
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out.push_back(char(c));
            }
        }
    }
    out.push_back('"');
}

std::string python_float_repr(double d)
{
    if (std::isnan(d))
        return "NaN";
    if (std::isinf(d))
        return d > 0 ? "Infinity" : "-Infinity";
    if (d == 0)
        return std::signbit(d) ? "-0.0" : "0.0";
    // Shortest round-trip digits in scientific form: "-d.ddde±x".
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    std::string out;
    size_t i = 0;
    if (sci[0] == '-') {
        out.push_back('-');
        i = 1;
    }
    const size_t e = sci.find('e');
    std::string digits;
    for (size_t k = i; k < e; ++k)
        if (sci[k] != '.')
            digits.push_back(sci[k]);
    const int exp10 = std::atoi(sci.c_str() + e + 1);
    const int decpt = exp10 + 1; // value = 0.DIGITS × 10^decpt
    const int nd = int(digits.size());
    if (decpt <= -4 || decpt > 16) {
        out.push_back(digits[0]);
        if (nd > 1) {
            out.push_back('.');
            out.append(digits, 1, std::string::npos);
        }
        char ebuf[16];
        std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
        out += ebuf;
    } else if (decpt <= 0) {
        out += "0.";
        out.append(size_t(-decpt), '0');
        out += digits;
    } else if (decpt >= nd) {
        out += digits;
        out.append(size_t(decpt - nd), '0');
        out += ".0";
    } else {
        out.append(digits, 0, size_t(decpt));
        out.push_back('.');
        out.append(digits, size_t(decpt), std::string::npos);
    }
    return out;
}

void python_dumps(const json::Value &v, std::string &out)
{
    switch (v.type()) {
    case json::Value::Type::Null:
        out += "null";
        break;
    case json::Value::Type::Bool:
        out += v.as_bool() ? "true" : "false";
        break;
    case json::Value::Type::Number:
        out += v.is_int() ? std::to_string(v.as_int()) : python_float_repr(v.as_double());
        break;
    case json::Value::Type::String:
        append_json_string(out, v.as_string());
        break;
    case json::Value::Type::Array: {
        out.push_back('[');
        bool first = true;
        for (const json::Value &e : v.as_array()) {
            if (!first)
                out += ", ";
            first = false;
            python_dumps(e, out);
        }
        out.push_back(']');
        break;
    }
    case json::Value::Type::Object: {
        out.push_back('{');
        const auto &members = v.as_object();
        bool first = true;
        for (size_t i = 0; i < members.size(); ++i) {
            const std::string &key = members[i].first;
            bool seen = false;
            for (size_t j = 0; j < i && !seen; ++j)
                seen = members[j].first == key;
            if (seen)
                continue; // already written at its first position
            const json::Value *value = &members[i].second;
            for (size_t j = i + 1; j < members.size(); ++j)
                if (members[j].first == key)
                    value = &members[j].second; // the last value wins
            if (!first)
                out += ", ";
            first = false;
            append_json_string(out, key);
            out += ": ";
            python_dumps(*value, out);
        }
        out.push_back('}');
        break;
    }
    }
}

std::string python_dumps(const json::Value &value)
{
    std::string out;
    python_dumps(value, out);
    return out;
}

} // namespace folio::chat
