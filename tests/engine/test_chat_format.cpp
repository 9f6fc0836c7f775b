// V4 chat format: the four official golden renderings (tests/data/chat-encoding, copied from the
// model repository's encoding tests) byte for byte, the rules they do not cover (reasoning effort,
// chat mode, tool-result ordering, merged user turns, tasks, errors), the Python-compatible JSON
// output, and parsing completions back into reasoning, answer and tool calls.
#include "base/json.h"
#include "base/mapped_file.h"
#include "folio/chat_format.h"
#include "folio/tokenizer.h"
#include "folio_test.h"
#include "tokenizer/chat_json.h"

#include <cmath>
#include <string>

// Messages are written with designated initializers naming only the fields a case needs.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace folio::chat;

std::string data_file(const std::string &name)
{
    return folio::read_text_file(std::string(FOLIO_TEST_DATA_DIR) + "/chat-encoding/" + name).value();
}

std::string render_or_error(const std::vector<Message> &msgs, RenderOptions opt = {})
{
    folio::Result<std::string> r = render(msgs, opt);
    return r ? r.value() : "ERROR: " + r.status().message();
}

// Prints the first differing byte with some context.
bool same_text(const std::string &got, const std::string &want, const std::string &what)
{
    if (got == want)
        return true;
    size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i])
        ++i;
    const size_t from = i > 40 ? i - 40 : 0;
    folio_test::fail(__FILE__, __LINE__,
                     what + ": differs at byte " + std::to_string(i) + "\n    got:  ..."
                         + got.substr(from, 100) + "\n    want: ..." + want.substr(from, 100));
    return false;
}

FOLIO_TEST(chat_golden_renderings_match)
{
    auto cases = folio::json::parse(data_file("cases.json"));
    REQUIRE(cases);
    int checked = 0;
    for (int n = 1; n <= 4; ++n) {
        const std::string key = std::to_string(n);
        const folio::json::Value *c = cases->find(key);
        REQUIRE(c);
        RenderOptions opt;
        opt.mode = c->find("thinking_mode")->as_string() == "thinking" ? ThinkingMode::Thinking
                                                                       : ThinkingMode::Chat;
        auto msgs = parse_messages_json(data_file("input_" + key + ".json"));
        REQUIRE(msgs);
        const std::string want = data_file("output_" + key + ".txt");
        if (same_text(render_or_error(msgs.value(), opt), want, "golden case " + key))
            ++checked;
    }
    CHECK_EQ(checked, 4);
}

FOLIO_TEST(chat_golden_prompts_tokenize_with_one_bos)
{
    auto tok = folio::Tokenizer::load(FOLIO_TOKENIZER_JSON);
    REQUIRE(tok);
    const std::string prompt = data_file("output_2.txt");
    const std::vector<int32_t> ids = tok.value()->encode(prompt);
    REQUIRE(ids.size() > 10);
    CHECK_EQ(ids[0], 0); // BOS, once: the text carries it and encode() adds none
    CHECK(ids[1] != 0);
    CHECK_EQ(ids.back(), 1); // EOS
    CHECK(tok.value()->decode(ids) == prompt);
}

FOLIO_TEST(chat_generation_prompts)
{
    const std::vector<Message> msgs = {{.role = "system", .content = "S"},
                                       {.role = "user", .content = "Q"}};
    CHECK(render_or_error(msgs) == "<｜begin▁of▁sentence｜>S<｜User｜>Q<｜Assistant｜></think>");
    RenderOptions think{.mode = ThinkingMode::Thinking};
    CHECK(render_or_error(msgs, think)
          == "<｜begin▁of▁sentence｜>S<｜User｜>Q<｜Assistant｜><think>");
    // No system message: BOS then the user turn.
    CHECK(render_or_error({{.role = "user", .content = "Q"}})
          == "<｜begin▁of▁sentence｜><｜User｜>Q<｜Assistant｜></think>");
    // Reasoning effort "max" adds the fixed prefix right after BOS, in thinking mode only.
    RenderOptions max{.mode = ThinkingMode::Thinking, .reasoning_effort = "max"};
    const std::string with_max = render_or_error(msgs, max);
    CHECK(with_max.rfind("<｜begin▁of▁sentence｜>Reasoning Effort: Absolute maximum with no "
                         "shortcuts permitted.\n",
                         0)
          == 0);
    CHECK(with_max.find("left unchecked.\n\nS<｜User｜>Q") != std::string::npos);
    RenderOptions chat_max{.mode = ThinkingMode::Chat, .reasoning_effort = "max"};
    CHECK(render_or_error(msgs, chat_max) == render_or_error(msgs));
    RenderOptions bad{.reasoning_effort = "low"};
    CHECK(render_or_error(msgs, bad).rfind("ERROR", 0) == 0);
    RenderOptions no_bos{.add_bos = false};
    CHECK(render_or_error(msgs, no_bos) == "S<｜User｜>Q<｜Assistant｜></think>");
}

FOLIO_TEST(chat_thinking_is_dropped_from_earlier_turns_unless_asked)
{
    const std::vector<Message> msgs = {
        {.role = "user", .content = "A"},
        {.role = "assistant", .content = "a", .reasoning_content = "ra"},
        {.role = "user", .content = "B"},
        {.role = "assistant", .content = "b", .reasoning_content = "rb"},
    };
    RenderOptions think{.mode = ThinkingMode::Thinking};
    CHECK(render_or_error(msgs, think)
          == "<｜begin▁of▁sentence｜><｜User｜>A<｜Assistant｜></think>a<｜end▁of▁sentence｜>"
             "<｜User｜>B<｜Assistant｜><think>rb</think>b<｜end▁of▁sentence｜>");
    RenderOptions keep{.mode = ThinkingMode::Thinking, .drop_thinking = false};
    CHECK(render_or_error(msgs, keep)
          == "<｜begin▁of▁sentence｜><｜User｜>A<｜Assistant｜><think>ra</"
             "think>a<｜end▁of▁sentence｜>"
             "<｜User｜>B<｜Assistant｜><think>rb</think>b<｜end▁of▁sentence｜>");
    CHECK(render_or_error(msgs)
          == "<｜begin▁of▁sentence｜><｜User｜>A<｜Assistant｜></think>a<｜end▁of▁sentence｜>"
             "<｜User｜>B<｜Assistant｜></think>b<｜end▁of▁sentence｜>");
    // A developer turn before the last user message is dropped when thinking is dropped.
    const std::vector<Message> dev = {{.role = "developer", .content = "D"},
                                      {.role = "assistant", .content = "x"},
                                      {.role = "user", .content = "U"}};
    CHECK(render_or_error(dev, think)
          == "<｜begin▁of▁sentence｜>x<｜end▁of▁sentence｜><｜User｜>U<｜Assistant｜><think>");
    CHECK(render_or_error({{.role = "developer"}}).find("needs content") != std::string::npos);
}

FOLIO_TEST(chat_tool_results_merge_and_follow_call_order)
{
    std::vector<Message> msgs = {
        {.role = "user", .content = "go"},
        {.role = "assistant",
         .tool_calls = {{"c1", "f", R"({"a": 1, "b": "x", "c": [1, 2.5, null], "d": true})"},
                        {"c2", "g", "not json"}}},
        {.role = "tool", .content = "R2", .tool_call_id = "c2"},
        {.role = "tool", .content = "R1", .tool_call_id = "c1"},
        {.role = "user", .content = "and?"},
    };
    const std::string out = render_or_error(msgs);
    CHECK(
        out.find("<｜User｜><tool_result>R1</tool_result>\n\n<tool_result>R2</tool_result>\n\nand?"
                 "<｜Assistant｜></think>")
        != std::string::npos);
    CHECK(out.find(
              "<｜DSML｜invoke name=\"f\">\n"
              "<｜DSML｜parameter name=\"a\" string=\"false\">1</｜DSML｜parameter>\n"
              "<｜DSML｜parameter name=\"b\" string=\"true\">x</｜DSML｜parameter>\n"
              "<｜DSML｜parameter name=\"c\" string=\"false\">[1, 2.5, null]</｜DSML｜parameter>\n"
              "<｜DSML｜parameter name=\"d\" string=\"false\">true</｜DSML｜parameter>\n"
              "</｜DSML｜invoke>\n"
              "<｜DSML｜invoke name=\"g\">\n"
              "<｜DSML｜parameter name=\"arguments\" string=\"true\">not json</｜DSML｜parameter>\n"
              "</｜DSML｜invoke>\n</｜DSML｜tool_calls><｜end▁of▁sentence｜>")
          != std::string::npos);
    // Consecutive user messages become one turn.
    CHECK(render_or_error({{.role = "user", .content = "a"}, {.role = "user", .content = "b"}})
          == "<｜begin▁of▁sentence｜><｜User｜>a\n\nb<｜Assistant｜></think>");
    msgs[1].tool_calls[0].arguments = "[1, 2]";
    CHECK(render_or_error(msgs).find("arguments must be a JSON object") != std::string::npos);
}

FOLIO_TEST(chat_tasks_reminders_and_response_format)
{
    std::vector<Message> msgs = {{.role = "user", .content = "q", .task = "query"}};
    CHECK(render_or_error(msgs) == "<｜begin▁of▁sentence｜><｜User｜>q<｜query｜>");
    msgs[0].task = "action";
    RenderOptions think{.mode = ThinkingMode::Thinking};
    CHECK(render_or_error(msgs, think)
          == "<｜begin▁of▁sentence｜><｜User｜>q<｜Assistant｜><think><｜action｜>");
    msgs[0].task = "nonsense";
    CHECK(render_or_error(msgs).find("unknown task") != std::string::npos);
    CHECK(render_or_error({{.role = "robot"}}).find("unknown role 'robot'") != std::string::npos);
    const std::vector<Message> rf = {{.role = "system",
                                      .content = "S",
                                      .response_format_json = R"({"type":"json_object"})"},
                                     {.role = "latest_reminder", .content = "today"},
                                     {.role = "user", .content = "u"}};
    CHECK(render_or_error(rf)
          == "<｜begin▁of▁sentence｜>S\n\n## Response Format:\n\nYou MUST strictly adhere to the "
             "following schema to reply:\n{\"type\": \"json_object\"}<｜latest_reminder｜>today"
             "<｜User｜>u<｜Assistant｜></think>");
}

FOLIO_TEST(chat_python_json_output)
{
    CHECK(python_float_repr(1.0) == "1.0");
    CHECK(python_float_repr(2.5) == "2.5");
    CHECK(python_float_repr(0.1) == "0.1");
    CHECK(python_float_repr(1e16) == "1e+16");
    CHECK(python_float_repr(1e15) == "1000000000000000.0");
    CHECK(python_float_repr(0.0001) == "0.0001");
    CHECK(python_float_repr(0.00001) == "1e-05");
    CHECK(python_float_repr(-1.5e-7) == "-1.5e-07");
    CHECK(python_float_repr(123456789.125) == "123456789.125");
    CHECK(python_float_repr(1.7976931348623157e308) == "1.7976931348623157e+308");
    CHECK(python_float_repr(-0.0) == "-0.0");
    auto v = folio::json::parse(R"({"k": "a\"b\\c\n\u0001é€", "n": [1, -2, 3.0, 1e2], "k": false,
                                   "o": {}, "e": []})");
    REQUIRE(v);
    CHECK(python_dumps(v.value()) == R"({"k": false, "n": [1, -2, 3.0, 100.0], "o": {}, "e": []})");
    auto s = folio::json::parse(R"("a\"b\\c\n\u0001\t\u007fé€")");
    REQUIRE(s);
    CHECK(python_dumps(s.value())
          == "\"a\\\"b\\\\c\\n\\u0001\\t\x7f"
             "é€\"");
}

FOLIO_TEST(chat_parse_completions)
{
    auto r = parse_completion("let me think</think>The answer.<｜end▁of▁sentence｜>",
                              ThinkingMode::Thinking);
    REQUIRE(r);
    CHECK(r.value().reasoning == "let me think");
    CHECK(r.value().content == "The answer.");
    CHECK(r.value().tool_calls.empty());
    auto chat = parse_completion("Hi!<｜end▁of▁sentence｜>", ThinkingMode::Chat);
    REQUIRE(chat);
    CHECK(chat.value().content == "Hi!");
    // The first assistant turn of golden case 1, as the model would generate it.
    const std::string golden = data_file("output_1.txt");
    const size_t from = golden.find("<｜Assistant｜><think>")
                        + std::string("<｜Assistant｜><think>").size();
    const size_t to = golden.find("<｜end▁of▁sentence｜>", from) + std::string(kEos).size();
    auto calls = parse_completion(golden.substr(from, to - from), ThinkingMode::Thinking);
    REQUIRE(calls);
    CHECK(calls.value().reasoning
          == "The user wants to know the weather in Beijing. I should use the get_weather tool.");
    CHECK(calls.value().content.empty());
    REQUIRE(calls.value().tool_calls.size() == 1);
    CHECK(calls.value().tool_calls[0].name == "get_weather");
    CHECK(calls.value().tool_calls[0].arguments == R"({"location": "Beijing", "unit": "celsius"})");
    // Render → parse round trip with non-string parameters and two calls.
    std::vector<Message> msgs = {{.role = "user", .content = "x"},
                                 {.role = "assistant",
                                  .content = "ok",
                                  .tool_calls = {{"", "f", R"({"n": 3, "s": "t\"q"})"},
                                                 {"", "g", R"({})"}}}};
    const std::string text = render_or_error(msgs);
    const size_t start = text.find("</think>") + 8;
    auto back = parse_completion(text.substr(start), ThinkingMode::Chat);
    REQUIRE(back);
    CHECK(back.value().content == "ok");
    REQUIRE(back.value().tool_calls.size() == 2);
    CHECK(back.value().tool_calls[0].arguments == R"({"n": 3, "s": "t\"q"})");
    CHECK(back.value().tool_calls[1].name == "g");
    CHECK(back.value().tool_calls[1].arguments == "{}");
    // Malformed completions are errors that say what is wrong.
    CHECK(!parse_completion("no end", ThinkingMode::Chat));
    CHECK(!parse_completion("answer<｜end▁of▁sentence｜>", ThinkingMode::Thinking));
    CHECK(!parse_completion("a<｜end▁of▁sentence｜>trailing", ThinkingMode::Chat));
    CHECK(!parse_completion("a<think>b<｜end▁of▁sentence｜>", ThinkingMode::Chat));
    auto dup
        = parse_completion("\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"f\">\n"
                           "<｜DSML｜parameter name=\"a\" string=\"true\">1</｜DSML｜parameter>\n"
                           "<｜DSML｜parameter name=\"a\" string=\"true\">2</｜DSML｜parameter>\n"
                           "</｜DSML｜invoke>\n</｜DSML｜tool_calls><｜end▁of▁sentence｜>",
                           ThinkingMode::Chat);
    CHECK(!dup && dup.status().message().find("duplicate parameter") != std::string::npos);
}

FOLIO_TEST(chat_messages_json_input)
{
    auto bad = parse_messages_json(R"([{"content": "no role"}])");
    CHECK(!bad && bad.status().message().find("messages[0]") != std::string::npos);
    CHECK(!parse_messages_json("{\"nothing\": 1}"));
    CHECK(!parse_messages_json("[1, 2"));
    auto blocks = parse_messages_json(
        R"([{"role": "tool", "content": [{"type": "text", "text": "a"}, {"type": "image"}]}])");
    REQUIRE(blocks);
    CHECK(blocks.value()[0].content == "a\n\n[Unsupported image]");
    // Other roles: OpenAI content parts, the text ones joined; anything else refused.
    auto parts = parse_messages_json(
        R"([{"role": "user", "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}]}])");
    REQUIRE(parts);
    CHECK(parts.value()[0].content == "Hello there");
    auto image = parse_messages_json(
        R"([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])");
    CHECK(!image && image.status().message().find("image_url") != std::string::npos);
    auto args = parse_messages_json(
        R"([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]}])");
    CHECK(!args && args.status().message().find("arguments") != std::string::npos);
}

} // namespace
