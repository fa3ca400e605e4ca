// warden's configuration: Codex-compatible keys read with toml++, layered (built-in defaults,
// config file top level, the selected profile, flags and -c), then constrained by managed
// requirements. Every value remembers where it came from so errors and `warden config` can say so.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace warden::policy {

// Where a value came from: "FILE:LINE:COL", "-c KEY=VALUE", "--sandbox", or "built-in default".
struct Source {
  std::string file;  // empty for built-in defaults
  int line = 0;
  int column = 0;
  std::string label;  // for values not from a file: "-c sandbox_mode=...", "--sandbox"

  bool is_default() const { return file.empty() && label.empty(); }
  std::string describe() const;  // "config.toml:3:16", "-c sandbox_mode=x", "built-in default"
};

// Every configuration error: the message starts with the source ("FILE:LINE:COL: ") and says what
// was expected. warden exits 125 on it and runs nothing.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
struct Sourced {
  T value{};
  Source source;
};

enum class SandboxMode { ReadOnly, WorkspaceWrite, DangerFullAccess };
enum class ApprovalKind { Untrusted, OnRequest, Never, Granular };
enum class ReviewerKind { User, AutoReview };
enum class OnDeny { Errno, Kill };

// The five categories. `true` sends a category's requests to the reviewer, `false` rejects them.
struct Granular {
  bool sandbox_approval = true;
  bool rules = true;
  bool mcp_elicitations = true;
  bool request_permissions = true;
  bool skill_approval = true;
};

struct ApprovalPolicy {
  ApprovalKind kind = ApprovalKind::OnRequest;
  Granular granular;  // the table in force: never = all false, on-request/untrusted = all true
};

// A prefix rule from managed requirements ([rules] prefix_rules). Each pattern element lists the
// alternatives for that token. decision is "prompt" or "forbidden".
struct RequiredPrefixRule {
  std::vector<std::vector<std::string>> pattern;
  std::string decision;
  std::string justification;
  Source source;
};

struct Config {
  // Files read, in layer order (config file, requirements), for the audit start event.
  std::vector<std::string> sources;
  std::optional<std::string> profile;  // the selected profile, if any

  Sourced<SandboxMode> sandbox_mode{SandboxMode::WorkspaceWrite, {}};
  Sourced<ApprovalPolicy> approval_policy;
  Sourced<ReviewerKind> approvals_reviewer{ReviewerKind::User, {}};

  // [sandbox_workspace_write]
  Sourced<std::vector<std::string>> writable_roots;  // absolute, ~ expanded
  Sourced<bool> network_access{false, {}};
  Sourced<bool> exclude_tmpdir_env_var{false, {}};
  Sourced<bool> exclude_slash_tmp{false, {}};

  // [auto_review]; managed guardian_policy_config / guardian_extra_policy replace these.
  Sourced<std::string> auto_review_policy;
  Sourced<std::string> auto_review_extra_policy;

  // [warden]
  Sourced<std::vector<std::string>> deny_read;        // ~ expanded; requirements' entries appended
  Sourced<std::vector<std::string>> protected_paths;  // relative names, as written
  Sourced<std::vector<std::string>> network_allow;
  Sourced<std::vector<std::string>> skill_roots;  // ~ expanded
  Sourced<std::vector<std::string>> exec_rules;   // globs, ~ expanded
  Sourced<OnDeny> on_deny{OnDeny::Errno, {}};
  Sourced<bool> hold_reads{false, {}};
  Sourced<std::int64_t> review_timeout_s{60, {}};
  Sourced<std::vector<std::string>> reviewer_command;
  // Resource limits of the sandboxed tree. A fork bomb is contained by default.
  Sourced<std::int64_t> max_processes{4096, {}};
  Sourced<std::uint64_t> memory_max{0, {}};  // bytes; 0: no limit (written "" in the file)
  Sourced<double> cpu_max{0, {}};            // CPUs; 0: no limit

  // From managed requirements.
  std::vector<RequiredPrefixRule> required_prefix_rules;
  Sourced<std::vector<std::string>> required_deny_read;  // already appended to deny_read
  std::vector<std::string> allowed_approval_policies;    // empty: no constraint
  std::vector<std::string> allowed_sandbox_modes;
  std::vector<std::string> allowed_approvals_reviewers;

  // Non-fatal notes (deprecated spellings, unknown keys in known tables); printed with -v.
  std::vector<std::string> warnings;
};

struct LoadOptions {
  // --config FILE; when unset, WARDEN_HOME/config.toml is read if it exists.
  std::optional<std::string> config_file;
  // --requirements FILE; when unset, /etc/warden/requirements.toml is read if it exists.
  std::optional<std::string> requirements_file;
  std::string default_requirements_file = "/etc/warden/requirements.toml";
  std::optional<std::string> profile;  // -p/--profile
  // -c KEY=VALUE, in command-line order.
  std::vector<std::string> overrides;
  // Dedicated flags, applied after -c: {dotted key, value as typed, flag name for messages}.
  struct Flag {
    std::string key;
    std::string value;
    std::string flag;
  };
  std::vector<Flag> flags;
  std::string home;         // $HOME, for ~ expansion
  std::string warden_home;  // $WARDEN_HOME or ~/.warden
};

// Reads, layers, validates and constrains. Throws ConfigError.
Config load_config(const LoadOptions& options);

// The effective configuration as TOML (valid TOML, with a comment naming each value's source).
std::string to_toml(const Config& config);

const char* to_string(SandboxMode m);
const char* to_string(ApprovalKind k);
const char* to_string(ReviewerKind r);
const char* to_string(OnDeny d);

}  // namespace warden::policy
