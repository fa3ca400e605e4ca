// Exec rules: Codex's execpolicy `.rules` files (prefix_rule calls), read as Codex writes them,
// plus the prefix rules of managed requirements. A command's decision is the strictest of every
// rule whose pattern is a prefix of its argv.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "warden/policy/config.hpp"

namespace warden::policy {

// Every error in a rules file: "FILE:LINE:COL: what was expected". Nothing from a file that fails
// is kept.
class RulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Ordered by strictness: a larger value wins.
enum class ExecDecision { Allow, Prompt, Forbidden };

const char* to_string(ExecDecision d);  // "allow", "prompt", "forbidden"

struct ExecRule {
  // One element per argv position; each lists the tokens accepted there.
  std::vector<std::vector<std::string>> pattern;
  ExecDecision decision = ExecDecision::Allow;
  std::string justification;  // empty when the rule gave none
  std::string source;         // "FILE:LINE:COL" of the call
};

// True when argv has at least as many tokens as the pattern and each matches its element.
// argv[0] also matches by basename when it is an absolute path.
bool rule_matches(const ExecRule& rule, const std::vector<std::string>& argv);

class ExecRules {
 public:
  // Throws RulesError; a file that cannot be read is an error too.
  void load_file(const std::string& path);
  // source_name is used in rule sources and error messages.
  void load_text(std::string_view text, const std::string& source_name);
  // Managed requirements' [rules] prefix_rules; decision must be "prompt" or "forbidden".
  void add_required(const std::vector<RequiredPrefixRule>& rules);

  struct Match {
    ExecDecision decision;
    const ExecRule* rule;  // into rules(); invalidated by the next load or add
  };
  // The strictest decision among matching rules; among rules with that decision, the longest
  // pattern (Codex quotes the most specific rule), then the first loaded. nullopt: no rule matches.
  std::optional<Match> match(const std::vector<std::string>& argv) const;

  std::size_t size() const { return rules_.size(); }
  const std::vector<ExecRule>& rules() const { return rules_; }

 private:
  std::vector<ExecRule> rules_;
};

// Expands each glob (glob(3)) and loads every regular file found, in order. Globs that match
// nothing, and missing directories, are fine; unreadable directories and files are errors.
ExecRules load_exec_rules(const std::vector<std::string>& globs);

// Codex's wording for a match: "`git push` rejected: <justification>", "`git push` rejected:
// policy forbids commands starting with `git push`", "`git push` requires approval: <j>",
// "`git push` requires approval by policy". Commands are shell-quoted as Codex does.
std::string describe_match(const ExecRules::Match& m, const std::vector<std::string>& argv);

}  // namespace warden::policy
