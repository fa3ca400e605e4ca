// policy::ExecRules::load_text on fuzzed .rules text, then match() on argvs built from the input.
// Properties: only RulesError escapes and a failed load keeps nothing; each rule matches the argv
// spelled by its own pattern; match() returns the strictest decision among matching rules.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "warden/policy/exec_rules.hpp"

namespace {

using namespace warden::policy;
using warden::fuzz::fail;
using Argv = std::vector<std::string>;

// Words of the input, split at the characters that delimit strings and lists in a .rules file, so
// that the strings of a pattern come out as argv tokens.
Argv words(std::string_view s, std::size_t limit) {
  static constexpr std::string_view kSeparators = " \t\r\n\"'[](),=";
  Argv out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < limit) {
    i = s.find_first_not_of(kSeparators, i);
    if (i == std::string_view::npos) break;
    const std::size_t end = std::min(s.find_first_of(kSeparators, i), s.size());
    out.emplace_back(s.substr(i, end - i));
    i = end;
  }
  return out;
}

void check_match(const ExecRules& rules, const Argv& argv) {
  const auto m = rules.match(argv);
  bool any = false;
  ExecDecision strictest = ExecDecision::Allow;
  for (const ExecRule& r : rules.rules()) {
    if (!rule_matches(r, argv)) continue;
    if (!any || r.decision > strictest) strictest = r.decision;
    any = true;
  }
  if (m.has_value() != any) fail("match() disagrees with rule_matches() on whether a rule matches");
  if (!m) return;
  if (m->decision != strictest) fail("match() did not return the strictest decision");
  if (!m->rule || m->rule->decision != m->decision || !rule_matches(*m->rule, argv)) {
    fail("match() returned a rule that does not match or has another decision");
  }
  (void)describe_match(*m, argv);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = warden::fuzz::text(data, size);
  ExecRules rules;
  try {
    rules.load_text(input, "fuzz.rules");
  } catch (const RulesError&) {
    if (rules.size() != 0) fail("a rules file that failed to load left rules behind");
    return 0;
  } catch (const std::exception& e) {
    fail(std::string("load_text threw something other than RulesError: ") + e.what());
  }

  for (const ExecRule& r : rules.rules()) {
    Argv argv;
    for (const auto& alternatives : r.pattern) {
      if (alternatives.empty()) break;
      argv.push_back(alternatives.front());
    }
    if (r.pattern.empty() || argv.size() != r.pattern.size()) continue;
    if (!rule_matches(r, argv)) fail("a rule does not match its own pattern: " + r.source);
    argv.emplace_back("extra-argument");  // a prefix rule also matches longer commands
    if (!rule_matches(r, argv)) fail("a rule does not match a longer command: " + r.source);
    check_match(rules, argv);
  }
  const Argv all = words(input, 16);
  check_match(rules, all);
  if (!all.empty()) check_match(rules, Argv(all.begin() + 1, all.end()));
  check_match(rules, {});
  return 0;
}
