// Recursive-descent JSON parser and serializer (see json.h).
#include "base/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace folio::json {

Value Value::boolean(bool b)
{
    Value v;
    v.m_type = Type::Bool;
    v.m_bool = b;
    return v;
}

Value Value::number(double d)
{
    Value v;
    v.m_type = Type::Number;
    v.m_number = d;
    return v;
}

Value Value::integer(std::int64_t i)
{
    Value v;
    v.m_type = Type::Number;
    v.m_number = double(i);
    v.m_int = i;
    v.m_is_int = true;
    return v;
}

Value Value::string(std::string s)
{
    Value v;
    v.m_type = Type::String;
    v.m_string = std::move(s);
    return v;
}

Value Value::array(Array a)
{
    Value v;
    v.m_type = Type::Array;
    v.m_array = std::move(a);
    return v;
}

Value Value::object(Object o)
{
    Value v;
    v.m_type = Type::Object;
    v.m_object = std::move(o);
    return v;
}

const Value *Value::find(std::string_view key) const
{
    if (m_type != Type::Object)
        return nullptr;
    for (const auto &[k, v] : m_object)
        if (k == key)
            return &v;
    return nullptr;
}

void Value::set(std::string key, Value v)
{
    m_object.emplace_back(std::move(key), std::move(v));
}

void Value::push(Value v)
{
    m_array.push_back(std::move(v));
}

const char *Value::type_name(Type t)
{
    switch (t) {
    case Type::Null:
        return "null";
    case Type::Bool:
        return "bool";
    case Type::Number:
        return "number";
    case Type::String:
        return "string";
    case Type::Array:
        return "array";
    case Type::Object:
        return "object";
    }
    return "?";
}

namespace {

constexpr int kMaxDepth = 256;

class Parser
{
public:
    explicit Parser(std::string_view text)
        : m_s(text)
    {}

    Result<Value> document()
    {
        Value v;
        skip_ws();
        if (!value(v, 0))
            return Status::error(m_error);
        skip_ws();
        if (m_pos != m_s.size()) {
            fail("unexpected characters after the JSON value");
            return Status::error(m_error);
        }
        return v;
    }

private:
    bool fail(const std::string &what)
    {
        if (!m_error.empty())
            return false;
        std::size_t line = 1, col = 1;
        for (std::size_t i = 0; i < m_pos && i < m_s.size(); ++i) {
            if (m_s[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        m_error = "JSON error at line " + std::to_string(line) + ", column " + std::to_string(col)
                  + ": " + what;
        return false;
    }

    void skip_ws()
    {
        while (m_pos < m_s.size()
               && (m_s[m_pos] == ' ' || m_s[m_pos] == '\n' || m_s[m_pos] == '\r'
                   || m_s[m_pos] == '\t'))
            ++m_pos;
    }

    bool literal(const char *word, Value v, Value &out)
    {
        const std::size_t n = std::strlen(word);
        if (m_s.substr(m_pos, n) != word)
            return fail(std::string("invalid literal (expected ") + word + ")");
        m_pos += n;
        out = std::move(v);
        return true;
    }

    bool value(Value &out, int depth)
    {
        if (depth > kMaxDepth)
            return fail("nesting deeper than 256 levels");
        if (m_pos >= m_s.size())
            return fail("unexpected end of input, expected a value");
        switch (m_s[m_pos]) {
        case '{':
            return object(out, depth);
        case '[':
            return array(out, depth);
        case '"': {
            std::string s;
            if (!string(s))
                return false;
            out = Value::string(std::move(s));
            return true;
        }
        case 't':
            return literal("true", Value::boolean(true), out);
        case 'f':
            return literal("false", Value::boolean(false), out);
        case 'n':
            return literal("null", Value::null(), out);
        default:
            return number(out);
        }
    }

    bool object(Value &out, int depth)
    {
        ++m_pos; // '{'
        Value::Object members;
        skip_ws();
        if (m_pos < m_s.size() && m_s[m_pos] == '}') {
            ++m_pos;
            out = Value::object(std::move(members));
            return true;
        }
        for (;;) {
            skip_ws();
            if (m_pos >= m_s.size() || m_s[m_pos] != '"')
                return fail("expected a string key in an object");
            std::string key;
            if (!string(key))
                return false;
            skip_ws();
            if (m_pos >= m_s.size() || m_s[m_pos] != ':')
                return fail("expected ':' after an object key");
            ++m_pos;
            skip_ws();
            Value v;
            if (!value(v, depth + 1))
                return false;
            members.emplace_back(std::move(key), std::move(v));
            skip_ws();
            if (m_pos < m_s.size() && m_s[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_s.size() && m_s[m_pos] == '}') {
                ++m_pos;
                out = Value::object(std::move(members));
                return true;
            }
            return fail("expected ',' or '}' in an object");
        }
    }

    bool array(Value &out, int depth)
    {
        ++m_pos; // '['
        Value::Array items;
        skip_ws();
        if (m_pos < m_s.size() && m_s[m_pos] == ']') {
            ++m_pos;
            out = Value::array(std::move(items));
            return true;
        }
        for (;;) {
            skip_ws();
            Value v;
            if (!value(v, depth + 1))
                return false;
            items.push_back(std::move(v));
            skip_ws();
            if (m_pos < m_s.size() && m_s[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_pos < m_s.size() && m_s[m_pos] == ']') {
                ++m_pos;
                out = Value::array(std::move(items));
                return true;
            }
            return fail("expected ',' or ']' in an array");
        }
    }

    static void append_utf8(std::string &s, std::uint32_t cp)
    {
        if (cp < 0x80) {
            s += char(cp);
        } else if (cp < 0x800) {
            s += char(0xC0 | (cp >> 6));
            s += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += char(0xE0 | (cp >> 12));
            s += char(0x80 | ((cp >> 6) & 0x3F));
            s += char(0x80 | (cp & 0x3F));
        } else {
            s += char(0xF0 | (cp >> 18));
            s += char(0x80 | ((cp >> 12) & 0x3F));
            s += char(0x80 | ((cp >> 6) & 0x3F));
            s += char(0x80 | (cp & 0x3F));
        }
    }

    bool hex4(std::uint32_t &cp)
    {
        if (m_pos + 4 > m_s.size())
            return fail("truncated \\u escape");
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_s[m_pos++];
            cp <<= 4;
            if (c >= '0' && c <= '9')
                cp |= std::uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f')
                cp |= std::uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                cp |= std::uint32_t(c - 'A' + 10);
            else
                return fail("invalid hex digit in \\u escape");
        }
        return true;
    }

    bool string(std::string &out)
    {
        ++m_pos; // opening quote
        for (;;) {
            // Copy the run of plain characters at once (tokenizer.json is mostly such runs).
            const std::size_t start = m_pos;
            while (m_pos < m_s.size() && m_s[m_pos] != '"' && m_s[m_pos] != '\\'
                   && static_cast<unsigned char>(m_s[m_pos]) >= 0x20)
                ++m_pos;
            out.append(m_s.data() + start, m_pos - start);
            if (m_pos >= m_s.size())
                return fail("unterminated string");
            const char c = m_s[m_pos];
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail("control character inside a string");
            ++m_pos; // backslash
            if (m_pos >= m_s.size())
                return fail("unterminated escape");
            const char e = m_s[m_pos++];
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                std::uint32_t cp = 0;
                if (!hex4(cp))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    // A high surrogate must be followed by \u and a low surrogate.
                    std::uint32_t lo = 0;
                    if (m_s.substr(m_pos, 2) != "\\u")
                        return fail("high surrogate without a following low surrogate");
                    m_pos += 2;
                    if (!hex4(lo))
                        return false;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return fail("invalid low surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail("unpaired low surrogate");
                }
                append_utf8(out, cp);
                break;
            }
            default:
                return fail(std::string("invalid escape \\") + e);
            }
        }
    }

    bool number(Value &out)
    {
        const std::size_t start = m_pos;
        bool integral = true;
        if (m_pos < m_s.size() && m_s[m_pos] == '-')
            ++m_pos;
        if (m_pos >= m_s.size() || !(m_s[m_pos] >= '0' && m_s[m_pos] <= '9'))
            return fail("expected a value");
        if (m_s[m_pos] == '0') {
            ++m_pos;
        } else {
            while (m_pos < m_s.size() && m_s[m_pos] >= '0' && m_s[m_pos] <= '9')
                ++m_pos;
        }
        if (m_pos < m_s.size() && m_s[m_pos] == '.') {
            integral = false;
            ++m_pos;
            if (m_pos >= m_s.size() || !(m_s[m_pos] >= '0' && m_s[m_pos] <= '9'))
                return fail("expected digits after '.'");
            while (m_pos < m_s.size() && m_s[m_pos] >= '0' && m_s[m_pos] <= '9')
                ++m_pos;
        }
        if (m_pos < m_s.size() && (m_s[m_pos] == 'e' || m_s[m_pos] == 'E')) {
            integral = false;
            ++m_pos;
            if (m_pos < m_s.size() && (m_s[m_pos] == '+' || m_s[m_pos] == '-'))
                ++m_pos;
            if (m_pos >= m_s.size() || !(m_s[m_pos] >= '0' && m_s[m_pos] <= '9'))
                return fail("expected digits in an exponent");
            while (m_pos < m_s.size() && m_s[m_pos] >= '0' && m_s[m_pos] <= '9')
                ++m_pos;
        }
        const std::string text(m_s.substr(start, m_pos - start));
        if (integral) {
            errno = 0;
            char *end = nullptr;
            const long long i = std::strtoll(text.c_str(), &end, 10);
            if (errno == 0 && end == text.c_str() + text.size()) {
                out = Value::integer(i);
                return true;
            }
        }
        out = Value::number(std::strtod(text.c_str(), nullptr));
        return true;
    }

    std::string_view m_s;
    std::size_t m_pos = 0;
    std::string m_error;
};

void dump_value(const Value &v, std::string &out, int indent, int level)
{
    auto newline = [&](int lvl) {
        if (indent > 0) {
            out += '\n';
            out.append(std::size_t(indent * lvl), ' ');
        }
    };
    switch (v.type()) {
    case Value::Type::Null:
        out += "null";
        break;
    case Value::Type::Bool:
        out += v.as_bool() ? "true" : "false";
        break;
    case Value::Type::Number: {
        if (v.is_int()) {
            out += std::to_string(v.as_int());
        } else if (!std::isfinite(v.as_double())) {
            out += "null"; // JSON has no NaN/Inf
        } else {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", v.as_double());
            out += buf;
        }
        break;
    }
    case Value::Type::String:
        append_quoted(out, v.as_string());
        break;
    case Value::Type::Array: {
        out += '[';
        bool first = true;
        for (const Value &item : v.as_array()) {
            if (!first)
                out += ',';
            first = false;
            newline(level + 1);
            dump_value(item, out, indent, level + 1);
        }
        if (!v.as_array().empty())
            newline(level);
        out += ']';
        break;
    }
    case Value::Type::Object: {
        out += '{';
        bool first = true;
        for (const auto &[k, item] : v.as_object()) {
            if (!first)
                out += ',';
            first = false;
            newline(level + 1);
            append_quoted(out, k);
            out += indent > 0 ? ": " : ":";
            dump_value(item, out, indent, level + 1);
        }
        if (!v.as_object().empty())
            newline(level);
        out += '}';
        break;
    }
    }
}

} // namespace

Result<Value> parse(std::string_view text)
{
    return Parser(text).document();
}

void append_quoted(std::string &out, std::string_view s)
{
    out += '"';
    for (const char c : s) {
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
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

std::string Value::dump(int indent) const
{
    std::string out;
    dump_value(*this, out, indent, 0);
    return out;
}

} // namespace folio::json
