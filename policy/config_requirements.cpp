// Managed requirements: an administrator's file that constrains the layered configuration. A value
// it does not allow is an error, never silently changed (unlike Codex, which falls back with a
// warning): a hardened workstation must not run under a policy nobody chose.
#include <algorithm>
#include <utility>

#include "config_values.hpp"

namespace warden::policy::detail {

namespace {

struct Allowed {
  std::vector<std::string> names;  // canonical spellings, in the file's order
  Source at;
};

// spellings: {as written, canonical}; the first `shown` of them are listed in messages.
std::optional<Allowed> allowed_list(
    const Val* v, const std::string& key,
    const std::vector<std::pair<std::string, std::string>>& spellings, std::size_t shown) {
  if (!v) return std::nullopt;
  auto items = get_strings(*v, key);
  if (items.empty()) {
    fail(v->source, key + ": expected a non-empty array (an empty list would allow nothing)");
  }
  Allowed a{{}, v->source};
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto it = std::find_if(spellings.begin(), spellings.end(),
                           [&](const auto& s) { return s.first == items[i]; });
    if (it == spellings.end()) {
      std::string expected;
      for (std::size_t k = 0; k < shown; ++k) {
        expected += (k ? ", " : "") + quote(spellings[k].first);
      }
      fail(v->arr[i].source, key + ": expected one of " + expected + ", got " + quote(items[i]));
    }
    if (std::find(a.names.begin(), a.names.end(), it->second) == a.names.end()) {
      a.names.push_back(it->second);
    }
  }
  return a;
}

// Checks one value against an allowed list. A value nobody set takes the first allowed entry.
template <class T, class Set>
void constrain(Config& cfg, const char* key, Sourced<T>& field, const std::string& current,
               const std::optional<Allowed>& allowed, const char* req_key, Set set_from_name) {
  if (!allowed) return;
  const auto& names = allowed->names;
  if (std::find(names.begin(), names.end(), current) != names.end()) return;
  const std::string rule =
      allowed->at.describe() + ": " + req_key + " = " + quote_list(allowed->names);
  if (!field.source.is_default()) {
    fail(field.source, std::string(key) + " " + quote(current) +
                           " is not allowed by managed requirements (" + rule + ")");
  }
  set_from_name(names.front());
  field.source = allowed->at;
  cfg.warnings.push_back(std::string(key) + ": the default " + quote(current) +
                         " is not allowed by managed requirements; using " + quote(names.front()) +
                         " (" + rule + ")");
}

std::vector<std::string> pattern_element(const Val& v, const std::string& key) {
  if (v.type == VType::String) {
    if (v.s.empty()) fail(v.source, key + ": expected a non-empty token, got \"\"");
    return {v.s};
  }
  if (v.type == VType::Table) {
    const Val* any = v.find("any_of");
    for (const Entry& e : v.tab) {
      if (e.key != "any_of") {
        fail(e.key_source, key + ": unknown key " + toml_key(e.key) + "; expected any_of");
      }
    }
    if (any) {
      auto tokens = get_strings(*any, key + ".any_of");
      if (tokens.empty()) fail(any->source, key + ".any_of: expected a non-empty array");
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].empty()) {
          fail(any->arr[i].source, key + ".any_of: expected a non-empty token, got \"\"");
        }
      }
      return tokens;
    }
  }
  fail(v.source, key + ": expected a string or { any_of = [...] }, got " + got(v));
}

RequiredPrefixRule prefix_rule(const Val& r, const std::string& key) {
  get_table(r, key);
  RequiredPrefixRule out;
  out.source = r.source;
  const Val* pattern = r.find("pattern");
  if (!pattern) fail(r.source, key + ": missing required key pattern");
  if (pattern->type != VType::Array || pattern->arr.empty()) {
    fail(pattern->source, key + ".pattern: expected a non-empty array, got " +
                              (pattern->type == VType::Array ? "[]" : got(*pattern)));
  }
  for (std::size_t i = 0; i < pattern->arr.size(); ++i) {
    out.pattern.push_back(
        pattern_element(pattern->arr[i], key + ".pattern[" + std::to_string(i) + "]"));
  }
  const Val* decision = r.find("decision");
  if (!decision) fail(r.source, key + ": missing required key decision");
  const std::string& d = get_string(*decision, key + ".decision");
  if (d == "allow") {
    // Requirements can only tighten: an admin-level allow would bypass every reviewer.
    fail(decision->source, key +
                               ".decision: \"allow\" is not accepted in managed requirements; "
                               "expected one of \"prompt\", \"forbidden\"");
  }
  if (d != "prompt" && d != "forbidden") {
    fail(decision->source,
         key + ".decision: expected one of \"prompt\", \"forbidden\", got " + quote(d));
  }
  out.decision = d;
  if (const Val* j = r.find("justification")) {
    out.justification = get_string(*j, key + ".justification");
  }
  return out;
}

// guardian_* may sit at the top level or under [auto_review]; both at once is ambiguous.
const Val* guardian_key(const Val& req, const Val* auto_review, const std::string& name) {
  const Val* top = req.find(name);
  const Val* nested = auto_review ? auto_review->find(name) : nullptr;
  if (top && nested) {
    fail(nested->source,
         "auto_review." + name + ": also set at the top level (" + top->source.describe() + ")");
  }
  const Val* v = top ? top : nested;
  if (v) get_string(*v, top ? name : "auto_review." + name);
  return v;
}

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

}  // namespace

void apply_requirements(Config& cfg, const LoadOptions& opt) {
  const bool explicit_file = opt.requirements_file.has_value();
  const std::string path = explicit_file ? *opt.requirements_file : opt.default_requirements_file;
  if (path.empty()) return;
  auto text = read_text(path, explicit_file, explicit_file ? "--requirements" : "");
  if (!text) return;
  cfg.sources.push_back(path);
  const Val req = parse_document(*text, path);

  // Read and check everything first, then constrain.
  auto approvals = allowed_list(req.find("allowed_approval_policies"), "allowed_approval_policies",
                                {{"untrusted", "untrusted"},
                                 {"on-request", "on-request"},
                                 {"never", "never"},
                                 {"granular", "granular"},
                                 {"on-failure", "on-request"}},
                                4);
  if (approvals) {
    for (const Val& e : req.find("allowed_approval_policies")->arr) {
      if (e.s == "on-failure") {
        cfg.warnings.push_back(e.source.describe() +
                               ": allowed_approval_policies: \"on-failure\" is deprecated; "
                               "read as \"on-request\"");
      }
    }
  }
  auto modes = allowed_list(req.find("allowed_sandbox_modes"), "allowed_sandbox_modes",
                            {{"read-only", "read-only"},
                             {"workspace-write", "workspace-write"},
                             {"danger-full-access", "danger-full-access"}},
                            3);
  if (modes &&
      std::find(modes->names.begin(), modes->names.end(), "read-only") == modes->names.end()) {
    fail(modes->at,
         "allowed_sandbox_modes: must include \"read-only\", got " + quote_list(modes->names));
  }
  auto reviewers = allowed_list(
      req.find("allowed_approvals_reviewers"), "allowed_approvals_reviewers",
      {{"user", "user"}, {"auto_review", "auto_review"}, {"guardian_subagent", "auto_review"}}, 3);

  const Val* auto_review = req.find("auto_review");
  if (auto_review) get_table(*auto_review, "auto_review");
  const Val* policy = guardian_key(req, auto_review, "guardian_policy_config");
  const Val* extra = guardian_key(req, auto_review, "guardian_extra_policy");

  std::vector<std::string> deny;
  const Val* deny_val = req.find("deny_read");
  if (deny_val) deny = get_paths(*deny_val, "deny_read", opt.home, true, false);

  std::vector<RequiredPrefixRule> rules;
  if (const Val* r = req.find("rules")) {
    get_table(*r, "rules");
    if (const Val* pr = r->find("prefix_rules")) {
      if (pr->type != VType::Array) {
        fail(pr->source, "rules.prefix_rules: expected an array of tables, got " + got(*pr));
      }
      for (std::size_t i = 0; i < pr->arr.size(); ++i) {
        rules.push_back(prefix_rule(pr->arr[i], "rules.prefix_rules[" + std::to_string(i) + "]"));
      }
    }
  }

  constrain(cfg, "approval_policy", cfg.approval_policy, to_string(cfg.approval_policy.value.kind),
            approvals, "allowed_approval_policies", [&](const std::string& n) {
              // The admin named only a kind; a granular table defaults to reviewing everything.
              ApprovalKind k = n == "untrusted"  ? ApprovalKind::Untrusted
                               : n == "never"    ? ApprovalKind::Never
                               : n == "granular" ? ApprovalKind::Granular
                                                 : ApprovalKind::OnRequest;
              bool on = k != ApprovalKind::Never;
              cfg.approval_policy.value = {k, Granular{on, on, on, on, on}};
            });
  constrain(cfg, "sandbox_mode", cfg.sandbox_mode, to_string(cfg.sandbox_mode.value), modes,
            "allowed_sandbox_modes", [&](const std::string& n) {
              cfg.sandbox_mode.value = n == "read-only"         ? SandboxMode::ReadOnly
                                       : n == "workspace-write" ? SandboxMode::WorkspaceWrite
                                                                : SandboxMode::DangerFullAccess;
            });
  constrain(
      cfg, "approvals_reviewer", cfg.approvals_reviewer, to_string(cfg.approvals_reviewer.value),
      reviewers, "allowed_approvals_reviewers", [&](const std::string& n) {
        cfg.approvals_reviewer.value = n == "user" ? ReviewerKind::User : ReviewerKind::AutoReview;
      });

  if (approvals) cfg.allowed_approval_policies = approvals->names;
  if (modes) cfg.allowed_sandbox_modes = modes->names;
  if (reviewers) cfg.allowed_approvals_reviewers = reviewers->names;

  if (policy && !blank(policy->s)) cfg.auto_review_policy = {policy->s, policy->source};
  if (extra) cfg.auto_review_extra_policy = {extra->s, extra->source};

  if (deny_val) {
    // Appended, not replacing: the user's own entries stay. Duplicates add nothing.
    for (const auto& p : deny) {
      auto& mine = cfg.deny_read.value;
      if (std::find(mine.begin(), mine.end(), p) == mine.end()) mine.push_back(p);
    }
    cfg.required_deny_read = {std::move(deny), deny_val->source};
  }
  cfg.required_prefix_rules = std::move(rules);
}

}  // namespace warden::policy::detail
