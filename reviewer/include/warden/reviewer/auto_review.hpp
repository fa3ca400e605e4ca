// auto_review: a deterministic, explainable reviewer. A Markdown policy compiled into rules, and a
// built-in classifier for the four threat families (data exfiltration, credential probing,
// persistent security weakening, destructive actions) plus prompt injection.
//
// Decision (CONTRACT "Approval semantics"): a matching DENY rule or a critical risk denies; a
// matching ESCALATE rule or a high risk escalates; otherwise the request is approved (by a
// matching APPROVE rule or because its risk is low or medium). An APPROVE rule never overrides a
// high or critical risk. Every decision names its rule ("policy line N" or the check that fired),
// gives a reason and sets the risk.
//
// Policy grammar (one rule per line; every other line is prose and ignored):
//   * A rule line starts with APPROVE, DENY or ESCALATE (any case, optionally after a list marker
//     "- ", "* ", "+ ", "1. ", "> " or inside **bold**), then an optional ':'.
//   * Operands are code spans in backticks. A bare word holding '/', '~', '*' or a dot, or a
//     number, is taken as an operand too. What an operand is follows the words before it:
//       writes/modifying/creating/deleting ... -> file_write, operands are paths
//       reads/reading ...                      -> file_read, operands are paths
//       connections/network/egress ...         -> network, operands are hosts (`*.x.com`, `h:port`)
//       running/commands/executing ...         -> exec, operands are argv prefixes
//       MCP tool/server, skill                 -> mcp_tool (tool and server names), skill names
//     Without such a word an operand's shape decides: a space makes a command, a leading '/',
//     '~' or '.' or any '/' a path, a dotted name with a known top-level domain a host, a single
//     word a command. Kind names (`file_write`, ...) and category names (`sandbox_approval`,
//     `rules`, ...) select kinds and categories. A few well-known programs (git, npm, sudo, rm,
//     curl, ...) may start a command without backticks: "DENY git push --force to main".
//   * Paths: `~` and `$HOME` are the home directory; "*" matches within one component, "**" any
//     number of components; a path without wildcards covers itself and everything below it; a
//     pattern that does not start with '/', '~' or "./" matches at any depth (`*.pem`, `.env`),
//     "./x" is relative to the workspace. A file_write rule also matches a `permissions` request
//     for write access to a matching path (read and network alike).
//   * Commands: the first word matches the program's basename; the following plain words must
//     follow in order (after options); options may appear anywhere ("-rf" is satisfied by
//     "-r -f", "-fr", "--recursive --force"; for git push "-f" means "--force" and so does a
//     "+ref"). Shell scripts (`sh -c`, `$(...)`, ssh remote commands) and wrappers (sudo, env,
//     timeout, ...) are looked through. exec and skill requests match on argv, other kinds on
//     the command of the process that made the request. "`git push` to main or master" limits a
//     push to those destination branches ("default branch" = main, master).
//   * Qualifiers: "inside the workspace", "outside the workspace" (the request's path; for
//     commands their path arguments, else the cwd), "HTTPS"/"non-HTTPS" (port 443 or not),
//     "port `N`", "raw IP addresses", "everything".
//   * Text in parentheses, and after " -- ", " — ", ";" or a sentence-ending '.', is a comment.
//   * Negations (not, except, unless, without, other, ...) and unknown words make the line
//     uncompilable: it becomes a warning with its line number and is ignored, never guessed at.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "warden/reviewer/reviewer.hpp"

namespace warden::reviewer {

// ---- Risk classifier

enum class Family { None, Exfiltration, Credentials, Persistence, Destructive, Injection };
const char* to_string(Family f);  // "none", "exfiltration", "credentials", ...

struct Assessment {
  policy::Risk risk = policy::Risk::Low;
  Family family = Family::None;
  std::string check;   // what fired, e.g. "credential-path:~/.ssh"; never empty
  std::string reason;  // one line for a person
};

// $HOME, or "" when it is unset.
std::string default_home();

// Risk of one request as a whole: path, argv, command, host, port, MCP arguments, text. The
// highest finding wins (the first one on a tie). Text in the request is data: instructions in it
// only ever raise the risk (to high at least). `intent` is never used to lower anything.
Assessment classify(const policy::Request& request, std::string_view home);
Assessment classify(const policy::Request& request);  // home = default_home()

// ---- Policy

enum class Where { Anywhere, InsideWorkspace, OutsideWorkspace };
enum class PortFilter { Any, Https, NonHttps, Listed };

struct PathPattern {
  enum class Anchor { Absolute, Workspace, AnyDepth };
  std::string text;  // as written: "~/.ssh/**"
  Anchor anchor = Anchor::Absolute;
  std::vector<std::string> parts;  // components, ~ expanded; "**" kept
  bool covers_below = false;       // no wildcard: the path and everything below it
};

struct CommandPattern {
  std::string text;                   // as written: "git push --force"
  std::vector<std::string> words;     // program and the plain words after it: {"git", "push"}
  std::vector<std::string> options;   // must appear anywhere after the program: {"--force"}
  std::vector<std::string> branches;  // git push destinations; empty: any
};

struct Rule {
  int line = 0;
  policy::Verdict verdict = policy::Verdict::Deny;
  bool everything = false;
  std::vector<policy::Kind> kinds;  // empty: any kind
  std::vector<policy::Category> categories;
  std::vector<PathPattern> paths;
  std::vector<std::string> hosts;
  std::vector<CommandPattern> commands;
  std::vector<std::string> tools, servers, skills;
  PortFilter port = PortFilter::Any;
  std::vector<int> ports;
  bool raw_ip = false;
  Where where = Where::Anywhere;
  std::string description;  // "DENY file_write path ~/.ssh/** (any depth)"
};

struct PolicyWarning {
  int line = 0;
  // "line 9: DENY not understood: cannot understand \"secrets\"; the line is ignored"
  std::string message;
};

struct CompiledPolicy {
  std::vector<Rule> rules;
  std::vector<std::string> understood;  // one per rule: "line 7: DENY file_write path ..."
  std::vector<PolicyWarning> warnings;  // one per rule line that could not be compiled
};

// Never throws on policy text; `home` expands `~` (a rule naming `~` with an empty home is a
// warning).
CompiledPolicy compile_policy(std::string_view text, std::string_view home);
// For `warden config`: how each rule line was understood, then the warnings (each in line
// order); a policy without rules says so.
std::vector<std::string> render_policy(const CompiledPolicy& policy);
bool rule_matches(const Rule& rule, const policy::Request& request, std::string_view home);

// The shipped policy (Markdown), used when the configured policy text is empty.
const char* default_policy();
// The policy in force: `policy` (the default one when blank), then `extra` (extra_policy) on the
// lines after it. Line numbers in warnings and rules count in this text.
std::string effective_policy(std::string_view policy, std::string_view extra);

// ---- The reviewer

class AutoReview : public Reviewer {
 public:
  // Empty (or blank) policy_text means default_policy(). review() does no I/O, keeps no state
  // between calls and may be called from several threads at once.
  explicit AutoReview(std::string_view policy_text = {}, std::string home = default_home());
  policy::Decision review(const policy::Request& request) override;

  Assessment classify(const policy::Request& request) const;
  const CompiledPolicy& policy() const { return policy_; }
  const std::string& home() const { return home_; }

 private:
  std::string home_;
  CompiledPolicy policy_;
};

}  // namespace warden::reviewer
