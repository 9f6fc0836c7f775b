// A small JSON reader and writer for the engine (config.json, safetensors headers,
// model.safetensors.index.json, tokenizer.json). The engine takes no third-party dependency, so it
// owns this one. Values keep object key order (safetensors headers and tokenizer merges are read in
// file order); integers are kept exactly as int64 besides their double value, because tensor data
// offsets exceed 2^32 and must not pass through a lossy conversion.
//
//   folio::Result<json::Value> doc = json::parse(text);
//   if (!doc) return doc.status();
//   const json::Value *dim = doc->find("hidden_size");
//   if (!dim || !dim->is_int()) return Status::error("hidden_size: expected an integer");
#pragma once

#include "folio/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace folio::json {

class Value
{
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    using Array = std::vector<Value>;
    using Object = std::vector<std::pair<std::string, Value>>;

    Value() = default;
    static Value null() { return Value(); }
    static Value boolean(bool b);
    static Value number(double d);
    static Value integer(std::int64_t i);
    static Value string(std::string s);
    static Value array(Array a = {});
    static Value object(Object o = {});

    Type type() const { return m_type; }
    bool is_null() const { return m_type == Type::Null; }
    bool is_bool() const { return m_type == Type::Bool; }
    bool is_number() const { return m_type == Type::Number; }
    // A number written without fraction or exponent that fits int64.
    bool is_int() const { return m_type == Type::Number && m_is_int; }
    bool is_string() const { return m_type == Type::String; }
    bool is_array() const { return m_type == Type::Array; }
    bool is_object() const { return m_type == Type::Object; }

    bool as_bool() const { return m_bool; }
    double as_double() const { return m_number; }
    std::int64_t as_int() const { return m_int; }
    const std::string &as_string() const { return m_string; }
    const Array &as_array() const { return m_array; }
    Array &as_array() { return m_array; }
    const Object &as_object() const { return m_object; }
    Object &as_object() { return m_object; }

    // Object member lookup (linear; objects here are small or iterated whole). nullptr if absent or
    // if this is not an object.
    const Value *find(std::string_view key) const;
    // Appends a member to an object (no duplicate check).
    void set(std::string key, Value v);
    // Appends an element to an array.
    void push(Value v);

    // Compact JSON text; `indent` > 0 pretty-prints with that many spaces.
    std::string dump(int indent = 0) const;

    // Short type name for error messages: "null", "bool", "number", ...
    static const char *type_name(Type t);

private:
    Type m_type = Type::Null;
    bool m_bool = false;
    bool m_is_int = false;
    double m_number = 0;
    std::int64_t m_int = 0;
    std::string m_string;
    Array m_array;
    Object m_object;
};

// Parses a whole JSON document (RFC 8259; nesting depth limited to 256). Errors name the line,
// the column and what was expected.
Result<Value> parse(std::string_view text);

// Appends `s` to `out` as a quoted JSON string (escaping ", \, control characters; UTF-8 kept).
void append_quoted(std::string &out, std::string_view s);

} // namespace folio::json
