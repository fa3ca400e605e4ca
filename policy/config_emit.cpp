// to_toml: the effective configuration as a TOML document that loads back to the same values.
// Hand-written rather than toml++'s formatter so that every key can carry its source as a comment.
#include <cstdio>
#include <sstream>

#include "config_values.hpp"

namespace warden::policy {

using namespace detail;

namespace {

// Comments may not hold control characters (a -c label can hold a newline): escape them.
std::string comment_text(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// A multi-line basic string: newlines and tabs stay as they are, quotes are all escaped (so no
// run of three can end the string early), and the newline after the opening """ is trimmed by
// TOML, which keeps the text's first line intact.
std::string multiline(const std::string& s) {
  std::string out = "\"\"\"\n";
  for (unsigned char c : s) {
    if (c == '\n' || c == '\t') {
      out += static_cast<char>(c);
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"\"\"";
}

std::string boolean(bool b) {
  return b ? "true" : "false";
}

std::string approval(const ApprovalPolicy& p) {
  if (p.kind != ApprovalKind::Granular) return quote(to_string(p.kind));
  const Granular& g = p.granular;
  return "{ granular = { sandbox_approval = " + boolean(g.sandbox_approval) +
         ", rules = " + boolean(g.rules) + ", mcp_elicitations = " + boolean(g.mcp_elicitations) +
         ", request_permissions = " + boolean(g.request_permissions) +
         ", skill_approval = " + boolean(g.skill_approval) + " } }";
}

class Emitter {
 public:
  void line(const std::string& s = "") { out_ << s << '\n'; }
  void comment(const std::string& s) { out_ << "# " << comment_text(s) << '\n'; }
  void key(const char* k, const std::string& value, const Source& src) {
    out_ << k << " = " << value << "  # " << comment_text(src.describe()) << '\n';
  }
  void text(const char* k, const Sourced<std::string>& v) {
    if (v.value.find('\n') == std::string::npos) {
      key(k, quote(v.value), v.source);
    } else {
      comment(v.source.describe());
      out_ << k << " = " << multiline(v.value) << '\n';
    }
  }
  void list(const char* k, const Sourced<std::vector<std::string>>& v) {
    key(k, quote_list(v.value), v.source);
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

std::string pattern(const RequiredPrefixRule& r) {
  std::string out = "[";
  for (std::size_t i = 0; i < r.pattern.size(); ++i) {
    if (i) out += ", ";
    out += r.pattern[i].size() == 1 ? quote(r.pattern[i][0])
                                    : "{ any_of = " + quote_list(r.pattern[i]) + " }";
  }
  return out + "]";
}

}  // namespace

std::string to_toml(const Config& c) {
  Emitter e;
  e.comment("warden: the effective configuration; each value's source is in its comment.");
  std::string files;
  for (const auto& f : c.sources) files += (files.empty() ? "" : ", ") + f;
  e.comment("files read: " + (files.empty() ? std::string("none") : files));
  // Not written as `profile = ...`: its values are already merged in below.
  e.comment("profile: " + (c.profile ? *c.profile : std::string("none")));
  if (!c.allowed_approval_policies.empty() || !c.allowed_sandbox_modes.empty() ||
      !c.allowed_approvals_reviewers.empty() || !c.required_prefix_rules.empty() ||
      !c.required_deny_read.value.empty()) {
    e.comment("managed requirements:");
    if (!c.allowed_approval_policies.empty()) {
      e.comment("  allowed_approval_policies = " + quote_list(c.allowed_approval_policies));
    }
    if (!c.allowed_sandbox_modes.empty()) {
      e.comment("  allowed_sandbox_modes = " + quote_list(c.allowed_sandbox_modes));
    }
    if (!c.allowed_approvals_reviewers.empty()) {
      e.comment("  allowed_approvals_reviewers = " + quote_list(c.allowed_approvals_reviewers));
    }
    if (!c.required_deny_read.value.empty()) {
      e.comment("  deny_read = " + quote_list(c.required_deny_read.value) + " (" +
                c.required_deny_read.source.describe() + "; included in warden.deny_read)");
    }
    for (const auto& r : c.required_prefix_rules) {
      e.comment("  prefix rule " + pattern(r) + " -> " + r.decision +
                (r.justification.empty() ? "" : ": " + r.justification) + " (" +
                r.source.describe() + ")");
    }
  }
  e.line();
  e.key("sandbox_mode", quote(to_string(c.sandbox_mode.value)), c.sandbox_mode.source);
  e.key("approval_policy", approval(c.approval_policy.value), c.approval_policy.source);
  e.key("approvals_reviewer", quote(to_string(c.approvals_reviewer.value)),
        c.approvals_reviewer.source);
  e.line();
  e.line("[sandbox_workspace_write]");
  e.list("writable_roots", c.writable_roots);
  e.key("network_access", boolean(c.network_access.value), c.network_access.source);
  e.key("exclude_tmpdir_env_var", boolean(c.exclude_tmpdir_env_var.value),
        c.exclude_tmpdir_env_var.source);
  e.key("exclude_slash_tmp", boolean(c.exclude_slash_tmp.value), c.exclude_slash_tmp.source);
  e.line();
  e.line("[auto_review]");
  e.text("policy", c.auto_review_policy);
  e.text("extra_policy", c.auto_review_extra_policy);
  e.line();
  e.line("[warden]");
  e.list("deny_read", c.deny_read);
  e.list("protected", c.protected_paths);
  e.list("network_allow", c.network_allow);
  e.list("skill_roots", c.skill_roots);
  e.list("exec_rules", c.exec_rules);
  e.key("on_deny", quote(to_string(c.on_deny.value)), c.on_deny.source);
  e.key("hold_reads", boolean(c.hold_reads.value), c.hold_reads.source);
  e.key("review_timeout_s", std::to_string(c.review_timeout_s.value), c.review_timeout_s.source);
  e.list("reviewer_command", c.reviewer_command);
  e.key("max_processes", std::to_string(c.max_processes.value), c.max_processes.source);
  e.key("memory_max", quote(memory_size_text(c.memory_max.value)), c.memory_max.source);
  e.key("cpu_max", number_text(c.cpu_max.value), c.cpu_max.source);
  return e.str();
}

}  // namespace warden::policy
