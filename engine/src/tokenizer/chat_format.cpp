// The V4 chat format (folio/chat_format.h): rendering messages to the prompt text and parsing a
// completion back. The steps and the fixed strings follow the official encoder's semantics:
//   1. tool messages are merged into user turns as <tool_result> blocks, and consecutive user
//      messages are merged into one turn joined by a blank line (the official preprocessing);
//   2. tool results inside a turn are ordered like the calls of the preceding assistant turn;
//   3. in thinking mode with drop_thinking (and no tools anywhere), assistant turns before the last
//      user message lose their reasoning and developer turns before it are dropped;
//   4. every message is rendered in place, and a user/developer turn (or a task) is followed by the
//      assistant opening.
#include "folio/chat_format.h"

#include "base/json.h"
#include "tokenizer/chat_json.h"

#include <algorithm>
#include <optional>

namespace folio::chat {

namespace {

constexpr std::string_view kToolCallsBlock = "tool_calls";

// The "max" reasoning-effort prefix (official text, three sentences and a blank line).
constexpr std::string_view kReasoningEffortMax
    = "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
      "You MUST be very thorough in your thinking and comprehensively decompose the problem to "
      "resolve the root cause, rigorously stress-testing your logic against all potential paths, "
      "edge cases, and adversarial scenarios.\n"
      "Explicitly write out your entire deliberation process, documenting every intermediate step, "
      "considered alternative, and rejected hypothesis to ensure absolutely no assumption is left "
      "unchecked.\n\n";

// The tools block; TOOL_SCHEMAS is replaced by one JSON object per line. The DSML and thinking
// markers are spelled out (｜DSML｜, <think>, </think>).
constexpr std::string_view kToolsTemplate
    = "## Tools\n\n"
      "You have access to a set of tools to help answer the user's question. You can invoke tools "
      "by writing a \"<｜DSML｜tool_calls>\" block like the following:\n\n"
      "<｜DSML｜tool_calls>\n"
      "<｜DSML｜invoke name=\"$TOOL_NAME\">\n"
      "<｜DSML｜parameter name=\"$PARAMETER_NAME\" string=\"true|false\">$PARAMETER_VALUE</"
      "｜DSML｜parameter>\n"
      "...\n"
      "</｜DSML｜invoke>\n"
      "<｜DSML｜invoke name=\"$TOOL_NAME2\">\n"
      "...\n"
      "</｜DSML｜invoke>\n"
      "</｜DSML｜tool_calls>\n\n"
      "String parameters should be specified as is and set `string=\"true\"`. For all other types "
      "(numbers, booleans, arrays, objects), pass the value in JSON format and set "
      "`string=\"false\"`.\n\n"
      "If thinking_mode is enabled (triggered by <think>), you MUST output your complete reasoning "
      "inside <think>...</think> BEFORE any tool calls or final response.\n\n"
      "Otherwise, output directly after </think> with tool calls or final response.\n\n"
      "### Available Tool Schemas\n\n"
      "TOOL_SCHEMAS\n\n"
      "You MUST strictly follow the above defined tool name and parameter schemas to invoke tool "
      "calls.\n";

constexpr std::string_view kResponseFormatPrefix
    = "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n";

struct TaskToken
{
    std::string_view task, token;
};
constexpr TaskToken kTasks[] = {{"action", "<｜action｜>"},       {"query", "<｜query｜>"},
                                {"authority", "<｜authority｜>"}, {"domain", "<｜domain｜>"},
                                {"title", "<｜title｜>"},         {"read_url", "<｜read_url｜>"}};

struct Block
{
    bool tool_result = false;
    std::string text; // the text, or the tool result's content
    std::string tool_use_id;
};

// A message after preprocessing: user turns may carry blocks instead of plain content.
struct Turn
{
    Message msg;
    bool has_blocks = false;
    std::vector<Block> blocks;
};

std::string at_message(size_t index)
{
    return "message " + std::to_string(index) + ": ";
}

bool is_user_like(const std::string &role)
{
    return role == "user" || role == "developer";
}

int last_user_index(const std::vector<Turn> &turns)
{
    for (int i = int(turns.size()) - 1; i >= 0; --i)
        if (is_user_like(turns[size_t(i)].msg.role))
            return i;
    return -1;
}

// Parses an OpenAI tools array; true when it has at least one tool (the encoder's `if tools:`).
Result<std::vector<std::string>> tool_schemas(const std::string &tools_json, size_t index)
{
    std::vector<std::string> schemas;
    if (tools_json.empty())
        return schemas;
    Result<json::Value> tools = json::parse(tools_json);
    if (!tools || !tools->is_array())
        return Status::error(at_message(index) + "tools: not a JSON array");
    for (const json::Value &t : tools->as_array()) {
        const json::Value *fn = t.find("function");
        if (!fn)
            return Status::error(at_message(index) + "tools: an entry has no \"function\"");
        schemas.push_back(python_dumps(*fn));
    }
    return schemas;
}

Result<std::string> render_tools_block(const std::string &tools_json, size_t index)
{
    Result<std::vector<std::string>> schemas = tool_schemas(tools_json, index);
    if (!schemas)
        return schemas.status();
    if (schemas->empty())
        return std::string();
    std::string joined;
    for (size_t i = 0; i < schemas->size(); ++i) {
        if (i)
            joined.push_back('\n');
        joined += (*schemas)[i];
    }
    std::string block(kToolsTemplate);
    block.replace(block.find("TOOL_SCHEMAS"), 12, joined);
    return "\n\n" + block;
}

Result<std::string> render_response_format(const std::string &format_json, size_t index)
{
    if (format_json.empty())
        return std::string();
    Result<json::Value> v = json::parse(format_json);
    if (!v)
        return Status::error(at_message(index) + "response_format: " + v.status().message());
    if (v->is_null() || (v->is_object() && v->as_object().empty()))
        return std::string(); // falsy in the encoder: nothing rendered
    return "\n\n" + std::string(kResponseFormatPrefix) + python_dumps(*v);
}

// The DSML parameters of one call: string values as they are, other values as JSON.
Result<std::string> dsml_arguments(const ToolCall &call, size_t index)
{
    Result<json::Value> parsed = json::parse(call.arguments);
    json::Value args;
    if (parsed) {
        args = std::move(*parsed);
    } else {
        // Not JSON: the whole text becomes one string parameter named "arguments".
        args = json::Value::object();
        args.set("arguments", json::Value::string(call.arguments));
    }
    if (!args.is_object())
        return Status::error(at_message(index) + "tool call '" + call.name
                             + "': arguments must be a JSON object");
    std::string out;
    const auto &members = args.as_object();
    bool first = true;
    for (size_t i = 0; i < members.size(); ++i) {
        const std::string &key = members[i].first;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; ++j)
            seen = members[j].first == key;
        if (seen)
            continue;
        const json::Value *v = &members[i].second;
        for (size_t j = i + 1; j < members.size(); ++j)
            if (members[j].first == key)
                v = &members[j].second;
        if (!first)
            out.push_back('\n');
        first = false;
        out += "<｜DSML｜parameter name=\"" + key + "\" string=\"";
        out += v->is_string() ? "true\">" + v->as_string() : "false\">" + python_dumps(*v);
        out += "</｜DSML｜parameter>";
    }
    return out;
}

Result<std::string> render_tool_calls(const std::vector<ToolCall> &calls, size_t index)
{
    if (calls.empty())
        return std::string();
    std::string out = "\n\n<｜DSML｜tool_calls>\n";
    for (size_t i = 0; i < calls.size(); ++i) {
        Result<std::string> args = dsml_arguments(calls[i], index);
        if (!args)
            return args.status();
        if (i)
            out.push_back('\n');
        out += "<｜DSML｜invoke name=\"" + calls[i].name + "\">\n" + *args + "\n</｜DSML｜invoke>";
    }
    out += "\n</｜DSML｜tool_calls>";
    return out;
}

std::optional<std::string_view> task_token(const std::string &task)
{
    for (const TaskToken &t : kTasks)
        if (t.task == task)
            return t.token;
    return std::nullopt;
}

std::vector<Turn> merge_tool_messages(const std::vector<Message> &messages)
{
    std::vector<Turn> merged;
    for (const Message &m : messages) {
        if (m.role == "tool") {
            Block b{true, m.content, m.tool_call_id};
            if (!merged.empty() && merged.back().msg.role == "user" && merged.back().has_blocks) {
                merged.back().blocks.push_back(std::move(b));
            } else {
                Turn t;
                t.msg.role = "user";
                t.has_blocks = true;
                t.blocks.push_back(std::move(b));
                merged.push_back(std::move(t));
            }
        } else if (m.role == "user") {
            Block b{false, m.content, {}};
            if (!merged.empty() && merged.back().msg.role == "user" && merged.back().has_blocks
                && merged.back().msg.task.empty()) {
                merged.back().blocks.push_back(std::move(b));
            } else {
                // Only content, task and wo_eos survive, as in the official preprocessing.
                Turn t;
                t.msg.role = "user";
                t.msg.content = m.content;
                t.msg.task = m.task;
                t.msg.wo_eos = m.wo_eos;
                t.has_blocks = true;
                t.blocks.push_back(std::move(b));
                merged.push_back(std::move(t));
            }
        } else {
            merged.push_back(Turn{m, false, {}});
        }
    }
    return merged;
}

void sort_tool_results(std::vector<Turn> &turns)
{
    std::vector<std::pair<std::string, size_t>> order; // call id → position in the last calls
    for (Turn &t : turns) {
        if (t.msg.role == "assistant" && !t.msg.tool_calls.empty()) {
            order.clear();
            for (size_t i = 0; i < t.msg.tool_calls.size(); ++i)
                if (!t.msg.tool_calls[i].id.empty())
                    order.emplace_back(t.msg.tool_calls[i].id, i);
        } else if (t.msg.role == "user" && t.has_blocks) {
            std::vector<Block> results;
            for (const Block &b : t.blocks)
                if (b.tool_result)
                    results.push_back(b);
            if (results.size() < 2 || order.empty())
                continue;
            auto rank = [&](const Block &b) {
                size_t r = 0; // unknown ids sort as position 0, like the encoder
                for (const auto &[id, pos] : order)
                    if (id == b.tool_use_id)
                        r = pos; // a repeated id: the last occurrence, as a dict keeps it
                return r;
            };
            std::stable_sort(results.begin(), results.end(),
                             [&](const Block &a, const Block &b) { return rank(a) < rank(b); });
            size_t k = 0;
            for (Block &b : t.blocks)
                if (b.tool_result)
                    b = results[k++];
        }
    }
}

std::vector<Turn> drop_thinking(const std::vector<Turn> &turns)
{
    const int last_user = last_user_index(turns);
    std::vector<Turn> kept;
    for (size_t i = 0; i < turns.size(); ++i) {
        const std::string &role = turns[i].msg.role;
        const bool keep_role = role == "user" || role == "system" || role == "tool"
                               || role == "latest_reminder" || role == "direct_search_results";
        if (keep_role || int(i) >= last_user) {
            kept.push_back(turns[i]);
        } else if (role == "assistant") {
            Turn t = turns[i];
            t.msg.reasoning_content.clear();
            kept.push_back(std::move(t));
        }
        // Developer (and other) turns before the last user message are dropped.
    }
    return kept;
}

Result<std::string> render_turn(size_t index, const std::vector<Turn> &turns, bool thinking,
                                bool drop, const std::string &effort)
{
    const Turn &turn = turns[index];
    const Message &msg = turn.msg;
    const int last_user = last_user_index(turns);
    std::string out;
    if (index == 0 && thinking && effort == "max")
        out += kReasoningEffortMax;

    if (msg.role == "system" || msg.role == "developer") {
        if (msg.role == "developer") {
            if (msg.content.empty())
                return Status::error(at_message(index) + "a developer message needs content");
            out += kUser;
        }
        out += msg.content;
        Result<std::string> tools = render_tools_block(msg.tools_json, index);
        if (!tools)
            return tools.status();
        out += *tools;
        Result<std::string> format = render_response_format(msg.response_format_json, index);
        if (!format)
            return format.status();
        out += *format;
    } else if (msg.role == "user") {
        out += kUser;
        if (turn.has_blocks) {
            for (size_t i = 0; i < turn.blocks.size(); ++i) {
                if (i)
                    out += "\n\n";
                const Block &b = turn.blocks[i];
                out += b.tool_result ? "<tool_result>" + b.text + "</tool_result>" : b.text;
            }
        } else {
            out += msg.content;
        }
    } else if (msg.role == "latest_reminder") {
        out += kLatestReminder;
        out += msg.content;
    } else if (msg.role == "assistant") {
        Result<std::string> calls = render_tool_calls(msg.tool_calls, index);
        if (!calls)
            return calls.status();
        const bool prev_has_task = index > 0 && !turns[index - 1].msg.task.empty();
        if (thinking && !prev_has_task && (!drop || int(index) > last_user)) {
            out += msg.reasoning_content;
            out += kThinkEnd;
        }
        out += msg.content;
        out += *calls;
        if (!msg.wo_eos)
            out += kEos;
    } else {
        return Status::error(at_message(index) + "unknown role '" + msg.role + "'");
    }

    // What follows the message: nothing if another user-side turn comes next.
    if (index + 1 < turns.size() && turns[index + 1].msg.role != "assistant"
        && turns[index + 1].msg.role != "latest_reminder")
        return out;
    if (!msg.task.empty()) {
        std::optional<std::string_view> token = task_token(msg.task);
        if (!token)
            return Status::error(at_message(index) + "unknown task '" + msg.task + "'");
        if (msg.task != "action") {
            out += *token;
        } else {
            out += kAssistant;
            out += thinking ? kThinkStart : kThinkEnd;
            out += *token;
        }
    } else if (is_user_like(msg.role)) {
        out += kAssistant;
        const bool open_thinking = thinking && (!drop || int(index) >= last_user);
        out += open_thinking ? kThinkStart : kThinkEnd;
    }
    return out;
}

} // namespace

Result<std::string> render(const std::vector<Message> &messages, const RenderOptions &options)
{
    if (!options.reasoning_effort.empty() && options.reasoning_effort != "high"
        && options.reasoning_effort != "max")
        return Status::error("reasoning effort must be empty, \"high\" or \"max\", not \""
                             + options.reasoning_effort + "\"");
    std::vector<Turn> turns = merge_tool_messages(messages);
    sort_tool_results(turns);

    const bool thinking = options.mode == ThinkingMode::Thinking;
    bool drop = options.drop_thinking;
    for (const Turn &t : turns) {
        Result<std::vector<std::string>> schemas = tool_schemas(t.msg.tools_json, 0);
        if (schemas && !schemas->empty())
            drop = false; // tools anywhere: keep all reasoning (the encoder's rule)
    }
    if (thinking && drop)
        turns = drop_thinking(turns);

    std::string prompt = options.add_bos ? std::string(kBos) : std::string();
    for (size_t i = 0; i < turns.size(); ++i) {
        Result<std::string> part = render_turn(i, turns, thinking, drop, options.reasoning_effort);
        if (!part)
            return part.status();
        prompt += *part;
    }
    return prompt;
}

} // namespace folio::chat
