// reviewer::compile_policy and reviewer::AutoReview on a fuzzed Markdown policy and request.
//
// Input: a policy, then a request JSON on the last line that starts with '{' (no request when
// there is none; an empty policy means the default one).
// Properties: compiling never throws; review() never throws, is deterministic (same instance
// twice, a second instance), fills rule, reason and risk, and follows the contract's order:
// critical risk denies, high risk never approves.
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "warden/policy/request.hpp"
#include "warden/reviewer/auto_review.hpp"

namespace {

using namespace warden;
using warden::fuzz::fail;

constexpr std::string_view kHome = "/home/u";

std::string describe(const policy::Decision& d) {
  return policy::to_json(d);
}

policy::Decision review(reviewer::AutoReview& ar, const policy::Request& r) {
  try {
    return ar.review(r);
  } catch (const std::exception& e) {
    fail(std::string("AutoReview::review threw: ") + e.what(), policy::to_json(r));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = warden::fuzz::text(data, size);
  std::string_view policy_text = input;
  std::string_view request_text;
  const std::size_t at = input.rfind("\n{");
  if (input.starts_with('{') && at == std::string_view::npos) {
    policy_text = {};
    request_text = input;
  } else if (at != std::string_view::npos) {
    policy_text = input.substr(0, at);
    request_text = input.substr(at + 1);
  }

  try {
    const reviewer::CompiledPolicy compiled = reviewer::compile_policy(policy_text, kHome);
    (void)reviewer::render_policy(compiled);
    (void)reviewer::compile_policy(policy_text, "");  // no HOME: `~` rules become warnings
  } catch (const std::exception& e) {
    fail(std::string("compile_policy threw: ") + e.what());
  }
  if (request_text.empty()) return 0;

  std::optional<policy::Request> request;
  try {
    request = policy::request_from_json(request_text);
  } catch (const policy::RequestError&) {
    return 0;
  }

  std::optional<reviewer::AutoReview> ar, other;
  try {
    ar.emplace(policy_text, std::string(kHome));
    other.emplace(policy_text, std::string(kHome));
  } catch (const std::exception& e) {
    fail(std::string("AutoReview's constructor threw: ") + e.what());
  }
  const policy::Decision d = review(*ar, *request);
  if (!(review(*ar, *request) == d) || !(review(*other, *request) == d)) {
    fail("review() is not deterministic", describe(d));
  }
  if (d.rule.empty() || d.reason.empty() || !d.risk) {
    fail("a decision without rule, reason or risk", describe(d));
  }
  const reviewer::Assessment a = ar->classify(*request);
  if (a.check.empty()) fail("an assessment without a check");
  if (*d.risk != a.risk) fail("the decision's risk is not the classifier's", describe(d));
  if (a.risk == policy::Risk::Critical && d.verdict != policy::Verdict::Deny) {
    fail("a critical risk was not denied", describe(d));
  }
  if (a.risk == policy::Risk::High && d.verdict == policy::Verdict::Approve) {
    fail("a high risk was approved", describe(d));
  }
  return 0;
}
