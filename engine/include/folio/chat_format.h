// The DeepSeek-V4 chat format: messages → prompt text, and a model completion → reasoning, answer
// and tool calls. Semantics of the official encoder (encoding/encoding_dsv4.py of the model
// repository), reproduced byte for byte (tests: tests/data/chat-encoding, the official goldens).
//
//   std::vector<folio::chat::Message> msgs = {{.role = "user", .content = "Hello"}};
//   folio::chat::RenderOptions opt{.mode = folio::chat::ThinkingMode::Thinking};
//   folio::Result<std::string> prompt = folio::chat::render(msgs, opt);
//   // "<｜begin▁of▁sentence｜><｜User｜>Hello<｜Assistant｜><think>"
//   std::vector<int32_t> ids = tokenizer->encode(*prompt);   // the BOS is in the text
//   ... generate until EOS ...
//   folio::Result<folio::chat::Completion> c = folio::chat::parse_completion(text, opt.mode);
//
// What the format does (v4-architecture.md §5.2): BOS, then each message with no separators; a
// user/developer turn is followed by "<｜Assistant｜>" and "<think>" (thinking mode, for the turn at
// or after the last user message) or "</think>"; earlier turns' reasoning is dropped unless any
// message carries tools; tool results become a user turn of <tool_result> blocks ordered like the
// calls; tool calls are rendered in DSML. Plain functions, no state: thread-safe.
#pragma once

#include "folio/status.h"

#include <string>
#include <string_view>
#include <vector>

namespace folio::chat {

// The special strings of the format (looked up in the tokenizer by these strings).
inline constexpr std::string_view kBos = "<｜begin▁of▁sentence｜>";
inline constexpr std::string_view kEos = "<｜end▁of▁sentence｜>";
inline constexpr std::string_view kThinkStart = "<think>";
inline constexpr std::string_view kThinkEnd = "</think>";
inline constexpr std::string_view kUser = "<｜User｜>";
inline constexpr std::string_view kAssistant = "<｜Assistant｜>";
inline constexpr std::string_view kLatestReminder = "<｜latest_reminder｜>";
inline constexpr std::string_view kDsml = "｜DSML｜";

struct ToolCall
{
    std::string id;        // OpenAI call id (orders the tool results); may be empty
    std::string name;      // function name
    std::string arguments; // the arguments as JSON text (an object), as in the OpenAI format
};

struct Message
{
    // "system", "user", "assistant", "tool", "developer" or "latest_reminder".
    std::string role;
    std::string content;
    std::string reasoning_content;    // assistant: the thinking text
    std::vector<ToolCall> tool_calls; // assistant
    // OpenAI-format tool definitions as JSON text (an array of {"type":"function","function":...});
    // empty for none. Honoured on system and developer messages, as by the official encoder.
    std::string tools_json;
    std::string response_format_json; // system/developer: a JSON schema to answer in; empty for none
    std::string tool_call_id;         // tool: the call this result answers
    // Quick-instruction task on a user message: "action", "query", "authority", "domain", "title"
    // or "read_url"; empty for none.
    std::string task;
    bool wo_eos = false; // assistant: leave the turn open (no EOS)
};

enum class ThinkingMode { Chat, Thinking };

struct RenderOptions
{
    ThinkingMode mode = ThinkingMode::Chat;
    bool drop_thinking = true;    // drop reasoning of turns before the last user message
    std::string reasoning_effort; // "", "high" or "max" ("max" adds the official prefix)
    bool add_bos = true;
};

// The prompt for `messages`. Errors name the message index and the problem (unknown role, empty
// developer content, tool-call arguments that are not a JSON object, unknown task, bad tools JSON).
Result<std::string> render(const std::vector<Message> &messages, const RenderOptions &options);

// Reads messages from JSON text: either an array of OpenAI-style messages or an object
// {"messages": [...], "tools": [...]} whose tools are attached to the first message.
Result<std::vector<Message>> parse_messages_json(std::string_view json_text);

struct Completion
{
    std::string reasoning;            // thinking mode: the text before </think>
    std::string content;              // the answer
    std::vector<ToolCall> tool_calls; // arguments rebuilt as JSON text, ids empty
};

// Splits a completion (the generated text, ending with EOS) like the official parser: at </think>
// in thinking mode, then at EOS or at the DSML tool-call block. Malformed text is an error that
// says what was expected.
Result<Completion> parse_completion(std::string_view text, ThinkingMode mode);

// Appends `text` to `out` as a JSON string literal (quotes included), escaped as Python's
// json.dumps(ensure_ascii=False) does: '"', '\\' and control characters; UTF-8 kept. The one
// JSON string writer of the chat format and of the server's hand-built responses.
void append_json_string(std::string &out, std::string_view text);

} // namespace folio::chat
