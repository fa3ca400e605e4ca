// policy::request_from_json and policy::decision_from_json on fuzzed JSON.
// Properties: only RequestError escapes; whatever parses is written by to_json() as one line
// that parses back to an equal value and is written again identically.
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "warden/policy/request.hpp"

namespace {

using namespace warden::policy;
using warden::fuzz::fail;

// Parse, write, parse again: T is Request or Decision.
template <class T, class Parse>
void round_trip(std::string_view input, Parse parse, const char* name) {
  T first;
  try {
    first = parse(input);
  } catch (const RequestError&) {
    return;
  } catch (const std::exception& e) {
    fail(std::string(name) + " threw something other than RequestError: " + e.what());
  }
  const std::string written = to_json(first);
  for (unsigned char c : written) {
    if (c < 0x20) fail(std::string("to_json() wrote a control character after ") + name, written);
  }
  T second;
  try {
    second = parse(written);
  } catch (const std::exception& e) {
    fail(std::string("to_json() output does not parse with ") + name + ": " + e.what(), written);
  }
  if (!(second == first)) fail(std::string(name) + ": round trip changed the value", written);
  if (to_json(second) != written) fail(std::string(name) + ": to_json() is not stable", written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = warden::fuzz::text(data, size);
  round_trip<Request>(input, request_from_json, "request_from_json");
  round_trip<Decision>(input, decision_from_json, "decision_from_json");
  return 0;
}
