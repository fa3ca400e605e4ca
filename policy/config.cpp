// Loading: defaults, the config file's top level, the selected profile, -c, flags. Each layer is
// applied key by key onto Config, so tables merge deeply and arrays and scalars replace.
#include "warden/policy/config.hpp"

#include <initializer_list>
#include <utility>

#include "config_values.hpp"

namespace warden::policy {

using namespace detail;

namespace {

// The built-in defaults of the list-valued [warden] keys, before ~ expansion.
const std::vector<std::string> kDenyRead = {"~/.ssh",
                                            "~/.aws",
                                            "~/.gnupg",
                                            "~/.netrc",
                                            "~/.git-credentials",
                                            "~/.config/gh",
                                            "~/.kube",
                                            "~/.docker/config.json"};
const std::vector<std::string> kProtected = {".git/hooks",
                                             ".git/config",
                                             ".git/modules/*/hooks",
                                             ".git/modules/*/config",
                                             ".warden",
                                             ".codex",
                                             ".agents",
                                             ".envrc",
                                             ".vscode/tasks.json",
                                             ".vscode/settings.json"};
const std::vector<std::string> kSkillRoots = {"~/.codex/skills", "~/.warden/skills"};
const std::vector<std::string> kExecRules = {"~/.warden/rules/*.rules", "~/.codex/rules/*.rules"};

const std::vector<std::string> kWardenKeys = {
    "deny_read",  "protected",        "network_allow",    "skill_roots",   "exec_rules", "on_deny",
    "hold_reads", "review_timeout_s", "reviewer_command", "max_processes", "memory_max", "cpu_max"};
// PID_MAX_LIMIT: the most tasks a kernel can have at once, and the most pids.max takes.
constexpr std::int64_t kMaxProcesses = 4194304;
const std::vector<std::string> kWorkspaceWriteKeys = {
    "writable_roots", "network_access", "exclude_tmpdir_env_var", "exclude_slash_tmp"};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Granular all(bool on) {
  return Granular{on, on, on, on, on};
}

template <class E>
E parse_enum(const Val& v, const std::string& key,
             std::initializer_list<std::pair<const char*, E>> options,
             std::initializer_list<std::pair<const char*, E>> aliases = {}) {
  if (v.type == VType::String) {
    for (const auto& [name, value] : options) {
      if (v.s == name) return value;
    }
    for (const auto& [name, value] : aliases) {
      if (v.s == name) return value;
    }
  }
  std::string expected;
  for (const auto& [name, value] : options)
    expected += (expected.empty() ? "" : ", ") + quote(name);
  fail(v.source, key + ": expected one of " + expected + ", got " + got(v));
}

// Defaults whose `~` cannot be expanded (no HOME) are dropped with a warning: they name nothing.
std::vector<std::string> default_paths(const std::vector<std::string>& paths,
                                       const std::string& home, const char* key,
                                       std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    if (auto e = expand_home(p, home)) {
      out.push_back(*e);
    } else {
      warnings.push_back(std::string("built-in default: ") + key + ": dropped " + quote(p) +
                         ": HOME is unknown");
    }
  }
  return out;
}

Config defaults(const LoadOptions& opt) {
  Config c;
  c.approval_policy.value = ApprovalPolicy{ApprovalKind::OnRequest, all(true)};
  c.deny_read.value = default_paths(kDenyRead, opt.home, "warden.deny_read", c.warnings);
  c.protected_paths.value = kProtected;
  c.skill_roots.value = default_paths(kSkillRoots, opt.home, "warden.skill_roots", c.warnings);
  c.exec_rules.value = default_paths(kExecRules, opt.home, "warden.exec_rules", c.warnings);
  return c;
}

// Applies one layer (a table shaped like the config file's top level) onto a Config.
class Applier {
 public:
  Applier(const LoadOptions& opt, Config& cfg) : opt_(opt), cfg_(cfg) {}

  void layer(const Val& t, const std::string& prefix) {
    for (const Entry& e : t.tab) {
      const Val& v = e.val;
      const std::string key = prefix + toml_key(e.key);
      if (e.key == "sandbox_mode") {
        cfg_.sandbox_mode = {sandbox_mode(v, key), v.source};
      } else if (e.key == "approval_policy") {
        cfg_.approval_policy = {approval(v, key), v.source};
      } else if (e.key == "approvals_reviewer") {
        cfg_.approvals_reviewer = {reviewer(v, key), v.source};
      } else if (e.key == "sandbox_workspace_write") {
        workspace_write(get_table(v, key), key);
      } else if (e.key == "auto_review") {
        auto_review(get_table(v, key), key);
      } else if (e.key == "warden") {
        warden(get_table(v, key), key);
      }
      // Anything else is a Codex key warden does not use: ignored, so a Codex config loads.
    }
  }

 private:
  static SandboxMode sandbox_mode(const Val& v, const std::string& key) {
    return parse_enum<SandboxMode>(v, key,
                                   {{"read-only", SandboxMode::ReadOnly},
                                    {"workspace-write", SandboxMode::WorkspaceWrite},
                                    {"danger-full-access", SandboxMode::DangerFullAccess}});
  }

  static ReviewerKind reviewer(const Val& v, const std::string& key) {
    return parse_enum<ReviewerKind>(
        v, key, {{"user", ReviewerKind::User}, {"auto_review", ReviewerKind::AutoReview}},
        {{"guardian_subagent", ReviewerKind::AutoReview}});
  }

  ApprovalPolicy approval(const Val& v, const std::string& key) {
    static const std::string kExpected =
        "expected one of \"untrusted\", \"on-request\", \"never\" or { granular = { ... } }";
    if (v.type == VType::String) {
      if (v.s == "untrusted") return {ApprovalKind::Untrusted, all(true)};
      if (v.s == "on-request") return {ApprovalKind::OnRequest, all(true)};
      if (v.s == "never") return {ApprovalKind::Never, all(false)};
      if (v.s == "on-failure") {
        cfg_.warnings.push_back(v.source.describe() + ": " + key +
                                ": \"on-failure\" is deprecated; using \"on-request\"");
        return {ApprovalKind::OnRequest, all(true)};
      }
      fail(v.source, key + ": " + kExpected + ", got " + got(v));
    }
    if (v.type != VType::Table) fail(v.source, key + ": " + kExpected + ", got " + got(v));
    const Val* g = nullptr;
    for (const Entry& e : v.tab) {
      if (e.key != "granular") {
        fail(e.key_source, key + ": unknown key " + toml_key(e.key) + "; " + kExpected);
      }
      g = &e.val;
    }
    if (!g) fail(v.source, key + ": " + kExpected + ", got an empty table");
    const std::string gkey = key + ".granular";
    get_table(*g, gkey);

    // The first three must be stated: a silent default could let a category through unreviewed.
    Granular out = all(false);
    struct Field {
      const char* name;
      bool Granular::*member;
      bool required;
      bool seen = false;
    };
    Field fields[] = {{"sandbox_approval", &Granular::sandbox_approval, true},
                      {"rules", &Granular::rules, true},
                      {"mcp_elicitations", &Granular::mcp_elicitations, true},
                      {"request_permissions", &Granular::request_permissions, false},
                      {"skill_approval", &Granular::skill_approval, false}};
    for (const Entry& e : g->tab) {
      bool known = false;
      for (Field& f : fields) {
        if (e.key == f.name) {
          out.*f.member = get_bool(e.val, gkey + "." + f.name);
          f.seen = known = true;
        }
      }
      if (!known) {
        cfg_.warnings.push_back(e.key_source.describe() + ": unknown key " + gkey + "." +
                                toml_key(e.key) +
                                " ignored; expected sandbox_approval, rules, mcp_elicitations, "
                                "request_permissions, skill_approval");
      }
    }
    for (const Field& f : fields) {
      if (f.required && !f.seen) {
        fail(g->source, gkey + ": missing required key " + f.name +
                            " (sandbox_approval, rules and mcp_elicitations must be set)");
      }
    }
    return {ApprovalKind::Granular, out};
  }

  void workspace_write(const Val& t, const std::string& key) {
    for (const Entry& e : t.tab) {
      const Val& v = e.val;
      const std::string k = key + "." + toml_key(e.key);
      if (e.key == "writable_roots") {
        cfg_.writable_roots = {get_paths(v, k, opt_.home, true, true), v.source};
      } else if (e.key == "network_access") {
        cfg_.network_access = {get_bool(v, k), v.source};
      } else if (e.key == "exclude_tmpdir_env_var") {
        cfg_.exclude_tmpdir_env_var = {get_bool(v, k), v.source};
      } else if (e.key == "exclude_slash_tmp") {
        cfg_.exclude_slash_tmp = {get_bool(v, k), v.source};
      } else {
        // Likely a typo of a key that matters for the sandbox: say so, but Codex would load it.
        cfg_.warnings.push_back(e.key_source.describe() + ": unknown key " + k +
                                " ignored; expected one of " + join(kWorkspaceWriteKeys));
      }
    }
  }

  void auto_review(const Val& t, const std::string& key) {
    for (const Entry& e : t.tab) {
      const std::string k = key + "." + toml_key(e.key);
      if (e.key == "policy") {
        cfg_.auto_review_policy = {get_string(e.val, k), e.val.source};
      } else if (e.key == "extra_policy") {
        cfg_.auto_review_extra_policy = {get_string(e.val, k), e.val.source};
      }
    }
  }

  void warden(const Val& t, const std::string& key) {
    for (const Entry& e : t.tab) {
      const Val& v = e.val;
      const std::string k = key + "." + toml_key(e.key);
      if (e.key == "deny_read") {
        cfg_.deny_read = {get_paths(v, k, opt_.home, true, false), v.source};
      } else if (e.key == "protected") {
        cfg_.protected_paths = {get_paths(v, k, opt_.home, false, false), v.source};
      } else if (e.key == "network_allow") {
        auto hosts = get_strings(v, k);
        for (std::size_t i = 0; i < hosts.size(); ++i) {
          if (hosts[i].empty()) fail(v.arr[i].source, k + ": expected a non-empty host, got \"\"");
        }
        cfg_.network_allow = {std::move(hosts), v.source};
      } else if (e.key == "skill_roots") {
        cfg_.skill_roots = {get_paths(v, k, opt_.home, true, false), v.source};
      } else if (e.key == "exec_rules") {
        cfg_.exec_rules = {get_paths(v, k, opt_.home, true, false), v.source};
      } else if (e.key == "on_deny") {
        cfg_.on_deny = {
            parse_enum<OnDeny>(v, k, {{"errno", OnDeny::Errno}, {"kill", OnDeny::Kill}}), v.source};
      } else if (e.key == "hold_reads") {
        cfg_.hold_reads = {get_bool(v, k), v.source};
      } else if (e.key == "review_timeout_s") {
        std::int64_t s = get_int(v, k);
        if (s <= 0) {
          fail(v.source, k + ": expected a positive number of seconds, got " + std::to_string(s));
        }
        cfg_.review_timeout_s = {s, v.source};
      } else if (e.key == "reviewer_command") {
        auto argv = get_strings(v, k);
        if (!argv.empty() && argv[0].empty()) {
          fail(v.arr[0].source, k + ": expected a program name first, got \"\"");
        }
        cfg_.reviewer_command = {std::move(argv), v.source};
      } else if (e.key == "max_processes") {
        std::int64_t n = get_int(v, k);
        if (n < 1 || n > kMaxProcesses) {
          fail(v.source, k + ": expected a number of processes from 1 to " +
                             std::to_string(kMaxProcesses) + ", got " + std::to_string(n));
        }
        cfg_.max_processes = {n, v.source};
      } else if (e.key == "memory_max") {
        cfg_.memory_max = {get_memory_size(v, k), v.source};
      } else if (e.key == "cpu_max") {
        cfg_.cpu_max = {get_cpus(v, k), v.source};
      } else {
        // warden's own table: no Codex key can land here, so an unknown key is a mistake.
        fail(e.key_source, "unknown key " + k + "; expected one of " + join(kWardenKeys));
      }
    }
  }

  const LoadOptions& opt_;
  Config& cfg_;
};

std::string default_config_path(const LoadOptions& opt) {
  std::string home = opt.warden_home;
  if (home.empty() && !opt.home.empty()) home = opt.home + "/.warden";
  return home.empty() ? std::string() : home + "/config.toml";
}

}  // namespace

std::string Source::describe() const {
  if (!file.empty()) return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!label.empty()) return label;
  return "built-in default";
}

const char* to_string(SandboxMode m) {
  switch (m) {
    case SandboxMode::ReadOnly:
      return "read-only";
    case SandboxMode::WorkspaceWrite:
      return "workspace-write";
    case SandboxMode::DangerFullAccess:
      return "danger-full-access";
  }
  return "?";
}

const char* to_string(ApprovalKind k) {
  switch (k) {
    case ApprovalKind::Untrusted:
      return "untrusted";
    case ApprovalKind::OnRequest:
      return "on-request";
    case ApprovalKind::Never:
      return "never";
    case ApprovalKind::Granular:
      return "granular";
  }
  return "?";
}

const char* to_string(ReviewerKind r) {
  switch (r) {
    case ReviewerKind::User:
      return "user";
    case ReviewerKind::AutoReview:
      return "auto_review";
  }
  return "?";
}

const char* to_string(OnDeny d) {
  switch (d) {
    case OnDeny::Errno:
      return "errno";
    case OnDeny::Kill:
      return "kill";
  }
  return "?";
}

Config load_config(const LoadOptions& opt) {
  Config cfg = defaults(opt);

  // The config file's root table, then every -c applied onto it (so -c can select or edit a
  // profile), and the -c values again on their own, to be layered above the profile.
  Val root = Val::table({});
  const bool explicit_config = opt.config_file.has_value();
  const std::string path = explicit_config ? *opt.config_file : default_config_path(opt);
  if (!path.empty()) {
    if (auto text = read_text(path, explicit_config, explicit_config ? "--config" : "")) {
      root = parse_document(*text, path);
      cfg.sources.push_back(path);
    }
  }
  Val overrides = Val::table({});
  // `-c approval_policy.granular.rules=false` edits one key of the table in force (the other
  // four stay as the layers below set them), rather than stating an incomplete table.
  struct GranularEdit {
    std::string name;
    Val value;
    Source at;
  };
  std::vector<GranularEdit> granular_edits;
  for (const std::string& o : opt.overrides) {
    const Source at{"", 0, 0, "-c " + o};
    const auto eq = o.find('=');
    if (eq == std::string::npos) fail(at, "expected KEY=VALUE");
    const auto key = parse_key(o.substr(0, eq), at);
    Val value = parse_value(o.substr(eq + 1), at);
    if (key.size() == 3 && key[0] == "approval_policy" && key[1] == "granular") {
      granular_edits.push_back({key[2], std::move(value), at});
      continue;
    }
    if (key[0] != "profile" && key[0] != "profiles") set_path(overrides, key, value, at);
    set_path(root, key, std::move(value), at);
  }

  // The profile: -p, else the top-level `profile` key.
  std::optional<std::string> name;
  Source name_at;
  if (const Val* p = root.find("profile")) {
    name = get_string(*p, "profile");
    name_at = p->source;
  }
  if (opt.profile) {
    name = *opt.profile;
    name_at = Source{"", 0, 0, "--profile"};
  }
  const Val* profiles = root.find("profiles");
  if (profiles) get_table(*profiles, "profiles");
  const Val* selected = nullptr;
  if (name) {
    selected = profiles ? profiles->find(*name) : nullptr;
    if (!selected) {
      std::vector<std::string> names;
      if (profiles) {
        for (const Entry& e : profiles->tab) names.push_back(quote(e.key));
      }
      fail(name_at, "profile " + quote(*name) + " not found; " +
                        (names.empty() ? std::string("no profiles are defined")
                                       : "available: " + join(names)));
    }
  }

  Applier apply(opt, cfg);
  apply.layer(root, "");
  if (profiles) {
    // Every profile is checked, not only the selected one: a broken profile is a broken file.
    for (const Entry& e : profiles->tab) {
      const std::string prefix = "profiles." + toml_key(e.key);
      get_table(e.val, prefix);
      if (&e.val == selected) continue;
      Config scratch = cfg;
      Applier(opt, scratch).layer(e.val, prefix + ".");
    }
  }
  if (selected) apply.layer(*selected, "profiles." + toml_key(*name) + ".");
  apply.layer(overrides, "");
  for (const GranularEdit& e : granular_edits) {
    ApprovalPolicy ap = cfg.approval_policy.value;
    bool* member = e.name == "sandbox_approval"      ? &ap.granular.sandbox_approval
                   : e.name == "rules"               ? &ap.granular.rules
                   : e.name == "mcp_elicitations"    ? &ap.granular.mcp_elicitations
                   : e.name == "request_permissions" ? &ap.granular.request_permissions
                   : e.name == "skill_approval"      ? &ap.granular.skill_approval
                                                     : nullptr;
    if (member == nullptr)
      fail(e.at, "approval_policy.granular: unknown key " + toml_key(e.name) +
                     "; expected sandbox_approval, rules, mcp_elicitations, request_permissions "
                     "or skill_approval");
    *member = get_bool(e.value, "approval_policy.granular." + e.name);
    ap.kind = ApprovalKind::Granular;
    cfg.approval_policy = {ap, e.at};
  }
  for (const LoadOptions::Flag& f : opt.flags) {
    const Source at{"", 0, 0, f.flag};
    Val layer = Val::table(at);
    set_path(layer, parse_key(f.key, at), parse_value(f.value, at), at);
    apply.layer(layer, "");
  }
  cfg.profile = name;

  apply_requirements(cfg, opt);
  return cfg;
}

}  // namespace warden::policy
