// The engine's JSON reader/writer: values, escapes, exact 64-bit integers, errors with positions.
#include "base/json.h"
#include "folio_test.h"

using folio::json::Value;

FOLIO_TEST(json_parses_nested_values_in_order)
{
    auto doc = folio::json::parse(R"({"b": [1, 2.5, true, null], "a": {"x": "y"}, "n": -3})");
    REQUIRE(doc.is_ok());
    REQUIRE(doc->is_object());
    CHECK_EQ(doc->as_object().front().first, std::string("b")); // key order kept
    const Value *b = doc->find("b");
    REQUIRE(b && b->is_array() && b->as_array().size() == 4);
    CHECK(b->as_array()[0].is_int());
    CHECK_EQ(b->as_array()[0].as_int(), 1);
    CHECK(!b->as_array()[1].is_int());
    CHECK_NEAR(b->as_array()[1].as_double(), 2.5, 0);
    CHECK(b->as_array()[2].as_bool());
    CHECK(b->as_array()[3].is_null());
    CHECK_EQ(doc->find("a")->find("x")->as_string(), std::string("y"));
    CHECK_EQ(doc->find("n")->as_int(), -3);
    CHECK(doc->find("missing") == nullptr);
}

FOLIO_TEST(json_keeps_large_offsets_exact)
{
    // Tensor offsets in a 160 GB checkpoint are far beyond 2^32; 2^53+1 is not a double.
    auto doc = folio::json::parse("[9007199254740993, 159609485896]");
    REQUIRE(doc.is_ok());
    CHECK_EQ(doc->as_array()[0].as_int(), 9007199254740993LL);
    CHECK_EQ(doc->as_array()[1].as_int(), 159609485896LL);
}

FOLIO_TEST(json_decodes_escapes_and_surrogates)
{
    auto doc = folio::json::parse(R"(["a\"b\\c\/\n\t", "\u00e9\u4f60", "\ud83d\ude00", "｜▁"])");
    REQUIRE(doc.is_ok());
    const auto &a = doc->as_array();
    CHECK_EQ(a[0].as_string(), std::string("a\"b\\c/\n\t"));
    CHECK_EQ(a[1].as_string(), std::string("\xC3\xA9\xE4\xBD\xA0"));
    CHECK_EQ(a[2].as_string(), std::string("\xF0\x9F\x98\x80"));
    CHECK_EQ(a[3].as_string(), std::string("｜▁"));
}

FOLIO_TEST(json_roundtrips_through_dump)
{
    const char *text = R"({"k":[1,-2,"s\n\"",{"z":false}],"e":{},"f":[],"d":0.25})";
    auto doc = folio::json::parse(text);
    REQUIRE(doc.is_ok());
    CHECK_EQ(doc->dump(), std::string(text));
    auto again = folio::json::parse(doc->dump(2));
    REQUIRE(again.is_ok());
    CHECK_EQ(again->dump(), std::string(text));
}

FOLIO_TEST(json_reports_errors_with_position)
{
    const char *bad[] = {"",    "{",       "[1,]",        "{\"a\" 1}", "\"abc",
                         "tru", "[1] x",   "\"\\ud800\"", "01x",       "{\"a\":}",
                         "[-]", "\"\\q\"", "[1e]",        "\"\x01\""};
    for (const char *t : bad) {
        auto doc = folio::json::parse(t);
        CHECK(!doc.is_ok());
        if (!doc.is_ok())
            CHECK(doc.status().message().find("line") != std::string::npos);
    }
    std::string deep(300, '[');
    CHECK(!folio::json::parse(deep).is_ok());
}
