// Reading chat messages from OpenAI-style JSON, and parsing a V4 completion back into reasoning,
// answer and DSML tool calls (folio/chat_format.h). The completion parser follows the official
// one step by step, including what it rejects: a missing </think> in thinking mode, a missing EOS,
// anything after the tool-call block, special tokens inside the reasoning or the answer.
#include "base/json.h"
#include "folio/chat_format.h"
#include "tokenizer/chat_json.h"

#include <optional>
#include <tuple>

namespace folio::chat {

namespace {

constexpr std::string_view kToolCallsBlock = "tool_calls";

Status message_error(size_t index, const std::string &what)
{
    return Status::error("messages[" + std::to_string(index) + "]: " + what);
}

// Text of a string-or-null member; an error for other types.
Result<std::string> text_member(const json::Value &obj, const char *key, size_t index)
{
    const json::Value *v = obj.find(key);
    if (!v || v->is_null())
        return std::string();
    if (!v->is_string())
        return message_error(index, std::string(key) + ": expected a string");
    return v->as_string();
}

// A tool result's content may be a list of blocks: their text joined by blank lines, other block
// types as "[Unsupported TYPE]" (the official encoder's rule). Any other message's content may be a
// list of OpenAI content parts: the "text" ones are joined; other parts (images, audio) are an
// error, since the model reads text only (the local server's clients send such lists).
Result<std::string> content_of(const json::Value &msg, const std::string &role, size_t index)
{
    const json::Value *v = msg.find("content");
    if (v && v->is_array() && role == "tool") {
        std::string out;
        bool first = true;
        for (const json::Value &b : v->as_array()) {
            if (!first)
                out += "\n\n";
            first = false;
            const json::Value *type = b.find("type");
            const std::string t = type && type->is_string() ? type->as_string() : "None";
            const json::Value *text = b.find("text");
            if (t == "text")
                out += text && text->is_string() ? text->as_string() : "";
            else
                out += "[Unsupported " + t + "]";
        }
        return out;
    }
    if (v && v->is_array()) {
        std::string out;
        for (const json::Value &part : v->as_array()) {
            const json::Value *type = part.find("type");
            const json::Value *text = part.find("text");
            const std::string t = type && type->is_string() ? type->as_string() : "none";
            if (t != "text" || !text || !text->is_string())
                return message_error(index, "content: only text parts are supported (got type \""
                                                + t + "\")");
            out += text->as_string();
        }
        return out;
    }
    return text_member(msg, "content", index);
}

Result<Message> read_message(const json::Value &m, size_t index)
{
    if (!m.is_object())
        return message_error(index, "expected an object");
    Message msg;
    Result<std::string> role = text_member(m, "role", index);
    if (!role)
        return role.status();
    if (role->empty())
        return message_error(index, "missing \"role\"");
    msg.role = *role;
    Result<std::string> content = content_of(m, msg.role, index);
    if (!content)
        return content.status();
    msg.content = *content;
    for (auto [key, field] :
         {std::pair{"reasoning_content", &msg.reasoning_content},
          std::pair{"tool_call_id", &msg.tool_call_id}, std::pair{"task", &msg.task}}) {
        Result<std::string> v = text_member(m, key, index);
        if (!v)
            return v.status();
        *field = *v;
    }
    if (const json::Value *tools = m.find("tools"); tools && !tools->is_null()) {
        if (!tools->is_array())
            return message_error(index, "tools: expected an array");
        msg.tools_json = tools->dump();
    }
    if (const json::Value *rf = m.find("response_format"); rf && !rf->is_null())
        msg.response_format_json = rf->dump();
    if (const json::Value *w = m.find("wo_eos"); w && w->is_bool())
        msg.wo_eos = w->as_bool();
    if (const json::Value *calls = m.find("tool_calls"); calls && !calls->is_null()) {
        if (!calls->is_array())
            return message_error(index, "tool_calls: expected an array");
        for (const json::Value &c : calls->as_array()) {
            const json::Value *fn = c.find("function");
            if (!fn || !fn->is_object())
                return message_error(index, "tool_calls: an entry has no \"function\" object");
            ToolCall call;
            const json::Value *id = c.find("id");
            if (!id || !id->is_string())
                id = fn->find("id");
            if (id && id->is_string())
                call.id = id->as_string();
            const json::Value *name = fn->find("name");
            if (!name || !name->is_string())
                return message_error(index, "tool_calls: function.name must be a string");
            call.name = name->as_string();
            const json::Value *args = fn->find("arguments");
            if (!args || !args->is_string())
                return message_error(index, "tool_calls: function.arguments must be a JSON string");
            call.arguments = args->as_string();
            msg.tool_calls.push_back(std::move(call));
        }
    }
    return msg;
}

// The official parser's read step: text from `index` up to the earliest of `stops` (the first
// listed wins a tie); returns the index after the stop and which stop matched (-1: none, the
// rest of the text is returned).
struct Read
{
    size_t next;
    std::string_view content;
    int stop;
};

Read read_until(std::string_view text, size_t index, std::initializer_list<std::string_view> stops)
{
    size_t best = std::string_view::npos;
    int which = -1, k = 0;
    for (std::string_view s : stops) {
        const size_t pos = text.find(s, index);
        if (pos != std::string_view::npos && (best == std::string_view::npos || pos < best)) {
            best = pos;
            which = k;
        }
        ++k;
    }
    if (which < 0)
        return {text.size(), text.substr(index), -1};
    return {best + (stops.begin() + which)->size(), text.substr(index, best - index), which};
}

// Python's str.isspace() for the characters the tool-name pattern's \s may meet.
size_t leading_space(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()
           && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r') || (s[i] >= 0x1C && s[i] <= 0x1F)))
        ++i;
    return i;
}

// `^\s*name="(.*?)">\n$` (DOTALL): the shortest name after which `">\n` ends the text (Python's
// `$` also matches before one final newline).
std::optional<std::string> invoke_name(std::string_view s)
{
    s.remove_prefix(leading_space(s));
    constexpr std::string_view kPrefix = "name=\"";
    if (s.substr(0, kPrefix.size()) != kPrefix)
        return std::nullopt;
    s.remove_prefix(kPrefix.size());
    for (size_t p = s.find("\">\n"); p != std::string_view::npos; p = s.find("\">\n", p + 1)) {
        const std::string_view rest = s.substr(p + 3);
        if (rest.empty() || rest == "\n")
            return std::string(s.substr(0, p));
    }
    return std::nullopt;
}

// `^ name="(.*?)" string="(true|false)">(.*?)<$` (DOTALL) on a parameter's text.
bool parameter_parts(std::string_view s, std::string *name, bool *is_string, std::string *value)
{
    constexpr std::string_view kPrefix = " name=\"";
    if (s.substr(0, kPrefix.size()) != kPrefix)
        return false;
    s.remove_prefix(kPrefix.size());
    for (size_t p = s.find("\" string=\""); p != std::string_view::npos;
         p = s.find("\" string=\"", p + 1)) {
        std::string_view rest = s.substr(p + 10);
        bool str;
        if (rest.substr(0, 6) == "true\">") {
            str = true;
            rest.remove_prefix(6);
        } else if (rest.substr(0, 7) == "false\">") {
            str = false;
            rest.remove_prefix(7);
        } else {
            continue;
        }
        // The value runs to a final '<' (or '<' + one newline, for Python's `$`).
        size_t end;
        if (!rest.empty() && rest.back() == '<')
            end = rest.size() - 1;
        else if (rest.size() >= 2 && rest.substr(rest.size() - 2) == "<\n")
            end = rest.size() - 2;
        else
            continue;
        *name = std::string(s.substr(0, p));
        *is_string = str;
        *value = std::string(rest.substr(0, end));
        return true;
    }
    return false;
}

// Rebuilds the JSON arguments text of one call the way the official decoder does.
std::string arguments_json(const std::vector<std::tuple<std::string, std::string, bool>> &args)
{
    std::string out = "{";
    for (size_t i = 0; i < args.size(); ++i) {
        const auto &[key, value, is_string] = args[i];
        if (i)
            out += ", ";
        out += python_dumps(json::Value::string(key));
        out += ": ";
        out += is_string ? python_dumps(json::Value::string(value)) : value;
    }
    return out + "}";
}

Status parse_tool_calls(std::string_view text, size_t *index, int *last_stop,
                        std::vector<ToolCall> &calls)
{
    const std::string invoke = "<" + std::string(kDsml) + "invoke";
    const std::string end_calls = "</" + std::string(kDsml) + std::string(kToolCallsBlock) + ">";
    const std::string param = "<" + std::string(kDsml) + "parameter";
    const std::string end_param = "/" + std::string(kDsml) + "parameter";
    const std::string end_invoke = "</" + std::string(kDsml) + "invoke";
    *last_stop = -1;
    while (*index < text.size()) {
        Read r = read_until(text, *index, {invoke, end_calls});
        *index = r.next;
        if (r.content != ">\n")
            return Status::error("tool call format error: expected '>\\n' but got '"
                                 + std::string(r.content) + "'");
        if (r.stop == 1) {
            *last_stop = 1;
            break;
        }
        if (r.stop < 0)
            return Status::error("tool call format error: missing the end of the tool calls");
        Read head = read_until(text, *index, {param, end_invoke});
        *index = head.next;
        std::optional<std::string> name = invoke_name(head.content);
        if (!name)
            return Status::error("tool name format error: '" + std::string(head.content) + "'");
        std::vector<std::tuple<std::string, std::string, bool>> args;
        int stop = head.stop;
        while (stop == 0) {
            Read p = read_until(text, *index, {end_param});
            *index = p.next;
            std::string key, value;
            bool is_string = false;
            if (!parameter_parts(p.content, &key, &is_string, &value))
                return Status::error("parameter format error: '" + std::string(p.content) + "'");
            for (const auto &a : args)
                if (std::get<0>(a) == key)
                    return Status::error("duplicate parameter name: '" + key + "'");
            args.emplace_back(key, value, is_string);
            Read after = read_until(text, *index, {param, end_invoke});
            *index = after.next;
            if (after.content != ">\n")
                return Status::error("parameter format error: expected '>\\n' but got '"
                                     + std::string(after.content) + "'");
            stop = after.stop;
        }
        calls.push_back(ToolCall{{}, *name, arguments_json(args)});
    }
    return Status::ok();
}

} // namespace

Result<std::vector<Message>> parse_messages_json(std::string_view json_text)
{
    Result<json::Value> doc = json::parse(json_text);
    if (!doc)
        return doc.status();
    const json::Value *list = &*doc;
    const json::Value *tools = nullptr;
    if (doc->is_object()) {
        list = doc->find("messages");
        tools = doc->find("tools");
        if (!list)
            return Status::error("expected an array of messages or an object with \"messages\"");
    }
    if (!list->is_array())
        return Status::error("messages: expected an array");
    std::vector<Message> messages;
    for (size_t i = 0; i < list->as_array().size(); ++i) {
        Result<Message> m = read_message(list->as_array()[i], i);
        if (!m)
            return m.status();
        messages.push_back(std::move(*m));
    }
    if (tools && !tools->is_null()) {
        if (!tools->is_array())
            return Status::error("tools: expected an array");
        if (messages.empty())
            return Status::error("tools given but no message to attach them to");
        messages.front().tools_json = tools->dump();
    }
    return messages;
}

Result<Completion> parse_completion(std::string_view text, ThinkingMode mode)
{
    Completion c;
    const std::string calls_start = "\n\n<" + std::string(kDsml) + std::string(kToolCallsBlock);
    size_t index = 0;
    if (mode == ThinkingMode::Thinking) {
        Read r = read_until(text, index, {kThinkEnd, calls_start});
        if (r.stop != 0)
            return Status::error("invalid thinking format: missing </think>");
        c.reasoning = std::string(r.content);
        index = r.next;
    }
    Read r = read_until(text, index, {kEos, calls_start});
    c.content = std::string(r.content);
    index = r.next;
    int stop = r.stop;
    if (stop == 1) {
        if (Status st = parse_tool_calls(text, &index, &stop, c.tool_calls); !st)
            return st;
        Read tail = read_until(text, index, {kEos});
        if (!tail.content.empty())
            return Status::error("unexpected content after the tool calls: '"
                                 + std::string(tail.content) + "'");
        index = tail.next;
        stop = tail.stop;
    } else if (stop != 0) {
        return Status::error("invalid format: missing the end-of-sentence token");
    }
    if (index != text.size() || stop > 0)
        return Status::error("unexpected content at the end of the completion");
    for (std::string_view sp : {kBos, kEos, kThinkStart, kThinkEnd, kDsml}) {
        if (c.content.find(sp) != std::string::npos || c.reasoning.find(sp) != std::string::npos)
            return Status::error("unexpected special token '" + std::string(sp) + "' in the text");
    }
    return c;
}

} // namespace folio::chat
