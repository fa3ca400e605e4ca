#include "warden/policy/json.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace json = warden::policy::json;
using namespace std::string_literals;

namespace {

std::string parse_error(std::string_view text, std::size_t max = json::kDefaultMaxSize) {
  try {
    json::parse(text, max);
  } catch (const json::ParseError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string roundtrip(std::string_view text) {
  return json::serialize(json::parse(text));
}

}  // namespace

// ---- append_string

TEST(JsonEscape, QuotesAndBackslash) {
  EXPECT_EQ(json::quote("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(json::quote(""), R"("")");
}

TEST(JsonEscape, ControlCharacters) {
  EXPECT_EQ(json::quote("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(json::quote("\x01\x1f"), R"("\u0001\u001f")");
  EXPECT_EQ(json::quote("a\0b"s), R"("a\u0000b")");
  EXPECT_EQ(json::quote("\x7f"), R"("\u007f")");
}

TEST(JsonEscape, LineSeparatorsAreEscaped) {
  EXPECT_EQ(json::quote("a\u2028b\u2029c"), R"("a\u2028b\u2029c")");
}

TEST(JsonEscape, ValidUtf8PassesThrough) {
  for (const char* s : {"\u00e9", "\u20ac", "\U0001F600", "\U0010FFFF", "\u0800", "\uFFFD"})
    EXPECT_EQ(json::quote(s), "\""s + s + "\"") << s;
}

TEST(JsonEscape, InvalidBytesAreSurrogateEscaped) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"\x80", R"("\udc80")"},                                // lone continuation
      {"\xff", R"("\udcff")"},                                // never valid
      {"\xc0\x80", R"("\udcc0\udc80")"},                      // overlong NUL
      {"\xc1\xbf", R"("\udcc1\udcbf")"},                      // overlong
      {"\xe0\x80\x80", R"("\udce0\udc80\udc80")"},            // overlong 3-byte
      {"\xf0\x80\x80\x80", R"("\udcf0\udc80\udc80\udc80")"},  // overlong 4-byte
      {"\xed\xa0\x80", R"("\udced\udca0\udc80")"},            // UTF-8 encoded surrogate U+D800
      {"\xed\xbf\xbf", R"("\udced\udcbf\udcbf")"},            // U+DFFF
      {"\xf4\x90\x80\x80", R"("\udcf4\udc90\udc80\udc80")"},  // U+110000
      {"\xf5\x80\x80\x80", R"("\udcf5\udc80\udc80\udc80")"},  // lead byte past U+10FFFF
      {"\xe2\x82", R"("\udce2\udc82")"},                      // truncated at the end
      {"\xe2\x82"
       "a",
       R"("\udce2\udc82a")"},                       // truncated before ASCII
      {"\xf0\x9f\x98", R"("\udcf0\udc9f\udc98")"},  // truncated 4-byte
      {"a\xe9t\xc3\xa9", "\"a\\udce9t\xc3\xa9\""},  // Latin-1 next to UTF-8
  };
  for (const auto& c : cases) EXPECT_EQ(json::quote(c.in), c.out);
}

TEST(JsonEscape, RandomBytesRoundTrip) {
  std::mt19937 rng(20240611);
  // Fragments that make UTF-8 edge cases likely rather than rare.
  const std::string pieces[] = {"\xe2\x80\xa8", "\xe2\x80\xa9",
                                "\xed\xa0\x80", "\xf0\x9f\x98\x80",
                                "\xc3\xa9",     "\xf4\x8f\xbf\xbf",
                                "\xdc\x80",     "\\u",
                                "\"",           "\n"};
  for (int round = 0; round < 5000; ++round) {
    std::string s;
    const int len = static_cast<int>(rng() % 48);
    for (int i = 0; i < len; ++i) {
      if (rng() % 4 == 0)
        s += pieces[rng() % std::size(pieces)];
      else
        s += static_cast<char>(rng() & 0xff);
    }
    const std::string q = json::quote(s);
    for (unsigned char c : q) ASSERT_GE(c, 0x20) << "raw control byte in " << q;
    json::Value v;
    ASSERT_NO_THROW(v = json::parse(q)) << q;
    ASSERT_EQ(v.as_string(), s) << q;
  }
}

// ---- Writer

TEST(JsonWriter, CommasAndNesting) {
  json::Writer w;
  w.begin_object()
      .key("a")
      .number(std::int64_t{1})
      .key("b")
      .begin_array()
      .string("x")
      .number(std::int64_t{-2})
      .begin_object()
      .end_object()
      .begin_array()
      .end_array()
      .null()
      .end_array()
      .key("c")
      .boolean(true)
      .key("d")
      .begin_object()
      .key("e")
      .boolean(false)
      .end_object()
      .key("f")
      .raw(R"({"g":[1]})")
      .key("h")
      .number(2.5)
      .end_object();
  EXPECT_EQ(w.str(),
            R"({"a":1,"b":["x",-2,{},[],null],"c":true,"d":{"e":false},"f":{"g":[1]},"h":2.5})");
  EXPECT_NO_THROW(json::parse(w.str()));
}

TEST(JsonWriter, TakeResets) {
  json::Writer w;
  w.begin_array().number(std::int64_t{1}).end_array();
  EXPECT_EQ(w.take(), "[1]");
  w.begin_object().key("k\n").string("\xff").end_object();
  EXPECT_EQ(w.take(), R"({"k\n":"\udcff"})");
  EXPECT_EQ(w.str(), "");
}

TEST(JsonWriter, DoublesStayDoubles) {
  json::Writer w;
  w.begin_array().number(2.0).number(1e300).number(std::nan("")).end_array();
  EXPECT_EQ(w.str(), "[2.0,1e+300,null]");
  const auto v = json::parse(w.str());
  EXPECT_TRUE(v.as_array()[0].is_double());
}

// ---- Parser

TEST(JsonParse, Accepts) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {" \t\r\n{ \"a\" : [ 1 , -2 , 3.5 , true , false , null , \"x\" ] } \n",
       R"({"a":[1,-2,3.5,true,false,null,"x"]})"},
      {"{}", "{}"},
      {"[]", "[]"},
      {"0", "0"},
      {"-0", "0"},
      {"-0.0", "-0.0"},
      {"1.0", "1.0"},
      {"1e2", "100.0"},
      {"1E+2", "100.0"},
      {"25e-1", "2.5"},
      {"1e-400", "0.0"},
      {"-1e-400", "-0.0"},
      {"0.000000000000000000000000000000000000000000000000000000000000001e-300", "0.0"},
      {"9223372036854775807", "9223372036854775807"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"9223372036854775808", "9223372036854775808.0"},
      {R"("\"\\\/\b\f\n\r\t")", R"("\"\\/\b\f\n\r\t")"},
      {R"("\u0041\u00e9\u20AC")", "\"A\xc3\xa9\xe2\x82\xac\""},
      {R"("\ud83d\ude00")", "\"\xf0\x9f\x98\x80\""},
      {R"("\udbff\udfff")", "\"\xf4\x8f\xbf\xbf\""},
      {R"("\u0000")", R"("\u0000")"},
      {R"("\udc80\udcff")", R"("\udc80\udcff")"},
      {"\"\x7f\xc3\xa9\"", "\"\\u007f\xc3\xa9\""},
      {R"({"a":{"b":1},"c":{"b":2}})", R"({"a":{"b":1},"c":{"b":2}})"},
      {R"({"z":1,"a":2,"m":3})", R"({"z":1,"a":2,"m":3})"},
  };
  for (const auto& c : cases) {
    std::string got;
    ASSERT_NO_THROW(got = roundtrip(c.in)) << c.in;
    EXPECT_EQ(got, c.out) << c.in;
  }
}

TEST(JsonParse, NumberKinds) {
  EXPECT_TRUE(json::parse("42").is_int());
  EXPECT_EQ(json::parse("-42").as_int(), -42);
  EXPECT_TRUE(json::parse("42.0").is_double());
  EXPECT_TRUE(json::parse("18446744073709551616").is_double());
  EXPECT_DOUBLE_EQ(json::parse("7").as_double(), 7.0);
  EXPECT_THROW(json::parse("7.5").as_int(), json::TypeError);
}

TEST(JsonParse, LoneLowSurrogateIsARawByte) {
  EXPECT_EQ(json::parse(R"("a\udce9b")").as_string(),
            "a\xe9"
            "b");
  EXPECT_EQ(json::parse(R"("\uDCFF")").as_string(), "\xff");
}

TEST(JsonParse, Rejects) {
  struct Case {
    std::string in, error;
  };
  const Case cases[] = {
      {"", "1:1: expected a value"},
      {"   ", "1:4: expected a value"},
      {R"({"a":1 "b":2})", "1:8: expected ',' or '}' after object member"},
      {R"({"name": "x", "mode": 1 x)", "1:25: expected ',' or '}' after object member"},
      {R"({"a":1)", "1:7: expected ',' or '}' after object member"},
      {R"({"a" 1})", "1:6: expected ':' after object key"},
      {R"({"a":1,})", "1:8: expected string key after ','"},
      {R"({1:2})", "1:2: expected string key or '}'"},
      {R"({'a':1})", "1:2: expected string key or '}'"},
      {R"({"a":})", "1:6: expected a value"},
      {"[1,]", "1:4: expected a value"},
      {"[1 2]", "1:4: expected ',' or ']' after array element"},
      {"[", "1:2: expected a value"},
      {"[1", "1:3: expected ',' or ']' after array element"},
      {"01", "1:1: leading zeros are not allowed"},
      {"-01", "1:2: leading zeros are not allowed"},
      {"-", "1:2: expected digit after '-'"},
      {"+1", "1:1: expected a value"},
      {".5", "1:1: expected a value"},
      {"1.", "1:3: expected digit after '.'"},
      {"1.e5", "1:3: expected digit after '.'"},
      {"1e", "1:3: expected digit in exponent"},
      {"1e+", "1:4: expected digit in exponent"},
      {"1e400", "1:1: number out of range"},
      {"-1e400", "1:1: number out of range"},
      {"1234567890e300", "1:1: number out of range"},
      {"0.00000000000000000001e330", "1:1: number out of range"},
      {"NaN", "1:1: expected a value"},
      {"Infinity", "1:1: expected a value"},
      {"-Infinity", "1:2: expected digit after '-'"},
      {"tru", "1:1: expected a value"},
      {"True", "1:1: expected a value"},
      {"nul", "1:1: expected a value"},
      {"true false", "1:6: expected end of input after the value"},
      {"{} x", "1:4: expected end of input after the value"},
      {"truex", "1:5: expected end of input after the value"},
      {"\xef\xbb\xbf{}", "1:1: expected a value"},
      {R"("abc)", "1:1: unterminated string"},
      {R"(["abc\)", "1:2: unterminated string"},
      {"\"a\nb\"", "1:3: control character in string must be escaped"},
      {"\"a\tb\"", "1:3: control character in string must be escaped"},
      {R"("\x")", "1:2: invalid escape"},
      {R"("\U0041")", "1:2: invalid escape"},
      {R"("\u12")", "1:2: expected 4 hex digits after \\u"},
      {R"("ab\u12g4")", "1:4: expected 4 hex digits after \\u"},
      {R"("\ud800")", "1:2: lone surrogate \\ud800"},
      {R"("\ud800x")", "1:2: lone surrogate \\ud800"},
      {R"("\ud800\u0041")", "1:2: lone surrogate \\ud800"},
      {R"("\ud800\ud800")", "1:2: lone surrogate \\ud800"},
      {R"("x\udc00")", "1:3: lone surrogate \\udc00"},
      {R"("\udc7f")", "1:2: lone surrogate \\udc7f"},
      {R"("\udd00")", "1:2: lone surrogate \\udd00"},
      {R"("\uDFFF")", "1:2: lone surrogate \\uDFFF"},
      {"\"\xff\"", "1:2: invalid UTF-8 in string"},
      {"\"ab\x80\"", "1:4: invalid UTF-8 in string"},
      {"\"\xc0\x80\"", "1:2: invalid UTF-8 in string"},
      {"\"\xed\xa0\x80\"", "1:2: invalid UTF-8 in string"},
      {"\"\xf4\x90\x80\x80\"", "1:2: invalid UTF-8 in string"},
      {"\"\xe2\x82\"", "1:2: invalid UTF-8 in string"},
      {"{\n  \"a\": 1,\n  \"a\": 2\n}", "3:3: duplicate key \"a\""},
      {R"({"a":{"b":1,"b":2}})", "1:13: duplicate key \"b\""},
      {"{\"\\u00ff\":1,\"\xc3\xbf\":2}", "1:13: duplicate key \"\xc3\xbf\""},
      {"[\n1,\n\n  x]", "4:3: expected a value"},
      {"[1,\r\n 2,\r\n 3 4]", "3:4: expected ',' or ']' after array element"},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_error(c.in), c.error) << c.in;
}

TEST(JsonParse, ErrorCarriesPosition) {
  try {
    json::parse("{\n  \"a\": tru\n}");
    FAIL() << "accepted";
  } catch (const json::ParseError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 8u);
    EXPECT_EQ(e.message(), "expected a value");
  }
}

TEST(JsonParse, DuplicateKeysInLargeObjects) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k42\":0}";
  EXPECT_EQ(parse_error(text), "1:" + std::to_string(text.size() - 7) + ": duplicate key \"k42\"");
  text.replace(text.size() - 8, 5, "\"new\"");
  const auto v = json::parse(text);
  EXPECT_EQ(v.as_object().size(), 101u);
  EXPECT_EQ(v.find("k99")->as_int(), 99);
}

TEST(JsonParse, DepthLimit) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_NO_THROW(json::parse(ok));
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(parse_error(deep), "1:65: nesting deeper than 64 levels");
  std::string objects;
  for (int i = 0; i < 64; ++i) objects += "{\"a\":";
  objects += "[]";
  for (int i = 0; i < 64; ++i) objects += "}";
  EXPECT_EQ(parse_error(objects),
            "1:" + std::to_string(64 * 5 + 1) + ": nesting deeper than 64 levels");
  // Deep input far past the limit fails cleanly rather than exhausting the stack.
  EXPECT_EQ(parse_error(std::string(100000, '[')), "1:65: nesting deeper than 64 levels");
}

TEST(JsonParse, SizeLimit) {
  EXPECT_EQ(parse_error("[1]", 2), "1:1: input larger than 2 bytes");
  EXPECT_NO_THROW(json::parse("[1]", 3));
  const std::string big = "\"" + std::string(json::kDefaultMaxSize, 'a') + "\"";
  EXPECT_EQ(parse_error(big), "1:1: input larger than 1048576 bytes");
}

TEST(JsonValue, Accessors) {
  const auto v = json::parse(R"({"s":"x","n":3,"b":true,"z":null,"a":[1,"2"],"o":{"k":1.5}})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.find("s")->as_string(), "x");
  EXPECT_EQ(v.find("n")->as_int(), 3);
  EXPECT_TRUE(v.find("b")->as_bool());
  EXPECT_TRUE(v.find("z")->is_null());
  EXPECT_EQ(v.find("a")->as_array().size(), 2u);
  EXPECT_DOUBLE_EQ(v.find("o")->find("k")->as_double(), 1.5);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.find("s")->find("s"), nullptr);  // not an object
  EXPECT_EQ(v.as_object()[0].first, "s");      // insertion order kept
  try {
    v.find("n")->as_string();
    FAIL() << "no TypeError";
  } catch (const json::TypeError& e) {
    EXPECT_STREQ(e.what(), "expected string, got number");
  }
  EXPECT_EQ(json::Value(json::Value::Array{1, "two", nullptr, true}),
            json::parse(R"([1,"two",null,true])"));
}
