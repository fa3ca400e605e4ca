// policy::json: the parser on fuzzed text, and the writer on fuzzed bytes.
// Properties: parse() throws only ParseError, and what it reads serializes and parses back to an
// equal value; quote(), Writer::key() and Writer::string() turn any bytes into one line of valid
// JSON that parses back to the same bytes (surrogateescape: \udcXX for bytes that are not UTF-8).
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "warden/policy/json.hpp"

namespace {

namespace json = warden::policy::json;
using warden::fuzz::fail;

void check_one_line(const std::string& out, const char* what) {
  for (unsigned char c : out) {
    if (c < 0x20) fail(std::string(what) + " wrote a control character", out);
  }
}

json::Value parse_own(const std::string& out, const char* what) {
  try {
    return json::parse(out);
  } catch (const std::exception& e) {
    fail(std::string(what) + " wrote JSON that parse() rejects: " + e.what(), out);
  }
}

void check_parse(std::string_view input) {
  json::Value v;
  try {
    v = json::parse(input);
  } catch (const json::ParseError&) {
    return;
  } catch (const std::exception& e) {
    fail(std::string("parse() threw something other than ParseError: ") + e.what());
  }
  const std::string out = json::serialize(v);
  check_one_line(out, "serialize()");
  if (!(parse_own(out, "serialize()") == v))
    fail("serialize() then parse() changed the value", out);
}

void check_quote(std::string_view bytes) {
  const std::string quoted = json::quote(bytes);
  check_one_line(quoted, "quote()");
  const json::Value v = parse_own(quoted, "quote()");
  if (!v.is_string() || v.as_string() != bytes) fail("quote() does not parse back to the bytes");

  // An audit record: the bytes as a key and as a value.
  json::Writer w;
  w.begin_object().key(bytes).string(bytes).end_object();
  check_one_line(w.str(), "Writer");
  const json::Value record = parse_own(w.str(), "Writer");
  const json::Value* member = record.find(bytes);
  if (!member || !member->is_string() || member->as_string() != bytes) {
    fail("Writer key/string do not parse back to the bytes", w.str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = warden::fuzz::text(data, size);
  check_parse(input);
  check_quote(input);
  return 0;
}
