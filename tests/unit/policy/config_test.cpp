#include "warden/policy/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace warden::policy;
using Strings = std::vector<std::string>;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "warden-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    home = dir + "/home";
    ASSERT_EQ(mkdir(home.c_str(), 0700), 0);
    opt.home = home;
    opt.warden_home = home + "/.warden";
    // Never read the machine's /etc/warden/requirements.toml from a unit test.
    opt.default_requirements_file = dir + "/no-requirements.toml";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // Writes the config file and points --config at it.
  std::string config(const std::string& text) {
    const std::string path = write("config.toml", text);
    opt.config_file = path;
    return path;
  }
  std::string requirements(const std::string& text) {
    const std::string path = write("requirements.toml", text);
    opt.requirements_file = path;
    return path;
  }
  Config load() { return load_config(opt); }
  // The ConfigError message, or a marker that fails any comparison.
  std::string error() {
    try {
      load_config(opt);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  static bool starts_with(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
  }
  static bool contains(const Strings& v, const std::string& needle) {
    for (const auto& s : v) {
      if (s.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::string dir, home;
  LoadOptions opt;
};

#define EXPECT_PREFIX(msg, prefix) EXPECT_TRUE(starts_with(msg, prefix)) << (msg)

// ---- defaults

TEST_F(ConfigTest, DefaultsWithoutAnyFile) {
  Config c = load();
  EXPECT_TRUE(c.sources.empty());
  EXPECT_FALSE(c.profile.has_value());
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::WorkspaceWrite);
  EXPECT_TRUE(c.sandbox_mode.source.is_default());
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::OnRequest);
  EXPECT_TRUE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_TRUE(c.approval_policy.value.granular.skill_approval);
  EXPECT_EQ(c.approvals_reviewer.value, ReviewerKind::User);
  EXPECT_TRUE(c.writable_roots.value.empty());
  EXPECT_FALSE(c.network_access.value);
  EXPECT_FALSE(c.exclude_tmpdir_env_var.value);
  EXPECT_FALSE(c.exclude_slash_tmp.value);
  EXPECT_EQ(c.auto_review_policy.value, "");
  EXPECT_EQ(c.auto_review_extra_policy.value, "");
  EXPECT_EQ(c.deny_read.value,
            (Strings{home + "/.ssh", home + "/.aws", home + "/.gnupg", home + "/.netrc",
                     home + "/.git-credentials", home + "/.config/gh", home + "/.kube",
                     home + "/.docker/config.json"}));
  EXPECT_EQ(c.protected_paths.value,
            (Strings{".git/hooks", ".git/config", ".git/modules/*/hooks", ".git/modules/*/config",
                     ".warden", ".codex", ".agents", ".envrc", ".vscode/tasks.json",
                     ".vscode/settings.json"}));
  EXPECT_TRUE(c.network_allow.value.empty());
  EXPECT_EQ(c.skill_roots.value, (Strings{home + "/.codex/skills", home + "/.warden/skills"}));
  EXPECT_EQ(c.exec_rules.value,
            (Strings{home + "/.warden/rules/*.rules", home + "/.codex/rules/*.rules"}));
  EXPECT_EQ(c.on_deny.value, OnDeny::Errno);
  EXPECT_FALSE(c.hold_reads.value);
  EXPECT_EQ(c.review_timeout_s.value, 60);
  EXPECT_TRUE(c.reviewer_command.value.empty());
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(c.allowed_approval_policies.empty());
  EXPECT_TRUE(c.required_prefix_rules.empty());
}

TEST_F(ConfigTest, EnumNamesAndSourceDescriptions) {
  EXPECT_STREQ(to_string(SandboxMode::ReadOnly), "read-only");
  EXPECT_STREQ(to_string(SandboxMode::WorkspaceWrite), "workspace-write");
  EXPECT_STREQ(to_string(SandboxMode::DangerFullAccess), "danger-full-access");
  EXPECT_STREQ(to_string(ApprovalKind::Untrusted), "untrusted");
  EXPECT_STREQ(to_string(ApprovalKind::OnRequest), "on-request");
  EXPECT_STREQ(to_string(ApprovalKind::Never), "never");
  EXPECT_STREQ(to_string(ApprovalKind::Granular), "granular");
  EXPECT_STREQ(to_string(ReviewerKind::User), "user");
  EXPECT_STREQ(to_string(ReviewerKind::AutoReview), "auto_review");
  EXPECT_STREQ(to_string(OnDeny::Errno), "errno");
  EXPECT_STREQ(to_string(OnDeny::Kill), "kill");
  EXPECT_EQ((Source{"config.toml", 3, 16, ""}.describe()), "config.toml:3:16");
  EXPECT_EQ((Source{"", 0, 0, "-c sandbox_mode=x"}.describe()), "-c sandbox_mode=x");
  EXPECT_EQ(Source{}.describe(), "built-in default");
}

TEST_F(ConfigTest, DefaultConfigFileIsReadFromWardenHome) {
  const std::string path = write("home/.warden/config.toml", "sandbox_mode = \"read-only\"\n");
  Config c = load();
  EXPECT_EQ(c.sources, Strings{path});
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);
  EXPECT_EQ(c.sandbox_mode.source.describe(), path + ":1:16");
}

TEST_F(ConfigTest, DefaultConfigFileMayBeMissingButExplicitOneMayNot) {
  EXPECT_NO_THROW(load());
  opt.config_file = dir + "/nope.toml";
  EXPECT_EQ(error(), "--config: cannot read " + dir + "/nope.toml: No such file or directory");
}

TEST_F(ConfigTest, NoHomeDropsTildeDefaultsWithAWarning) {
  opt.home.clear();
  opt.warden_home.clear();
  Config c = load();
  EXPECT_TRUE(c.deny_read.value.empty());
  EXPECT_TRUE(c.skill_roots.value.empty());
  EXPECT_TRUE(contains(c.warnings, "\"~/.ssh\""));
}

// ---- Codex compatibility

TEST_F(ConfigTest, CodexConfigWithUnknownKeysLoads) {
  config(R"(model = "gpt-5-codex"
model_provider = "azure"
model_reasoning_effort = "high"
approval_policy = "untrusted"
sandbox_mode = "read-only"
notify = ["notify-send", "codex"]
disable_response_storage = true
file_opener = "vscode"
approvals_reviewer = "guardian_subagent"

[model_providers.azure]
name = "Azure"
base_url = "https://x.openai.azure.com/openai"
env_key = "AZURE_OPENAI_API_KEY"
query_params = { api-version = "2025-04-01-preview" }

[mcp_servers.docs]
command = "npx"
args = ["-y", "mcp-server"]
env = { "API_KEY" = "value" }
startup_timeout_ms = 20_000

[projects."/home/me/src/x"]
trust_level = "trusted"

[tui]
notifications = true

[shell_environment_policy]
inherit = "core"
exclude = ["AWS_*"]

[history]
persistence = "save-all"

[sandbox_workspace_write]
writable_roots = ["/opt/cache"]
network_access = true

[profiles.deep]
model = "o3"
approval_policy = "never"
model_reasoning_summary = "detailed"
created = 1979-05-27T07:32:00Z
ratio = 0.5

[features]
web_search_request = true
)");
  Config c = load();
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Untrusted);
  EXPECT_EQ(c.approvals_reviewer.value, ReviewerKind::AutoReview);  // guardian_subagent alias
  EXPECT_EQ(c.writable_roots.value, Strings{"/opt/cache"});
  EXPECT_TRUE(c.network_access.value);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_FALSE(c.profile.has_value());

  opt.profile = "deep";
  c = load();
  EXPECT_EQ(c.profile, "deep");
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Never);
}

TEST_F(ConfigTest, OnFailureIsOnRequestWithAWarning) {
  const std::string path = config("approval_policy = \"on-failure\"\n");
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::OnRequest);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_PREFIX(c.warnings[0], path + ":1:19: approval_policy: \"on-failure\" is deprecated");
}

// ---- layering

TEST_F(ConfigTest, EachLayerBeatsTheOneBelow) {
  const std::string path = config(R"(sandbox_mode = "read-only"
approval_policy = "untrusted"
approvals_reviewer = "user"
[warden]
on_deny = "errno"
review_timeout_s = 10
[profiles.p]
approval_policy = "never"
sandbox_mode = "danger-full-access"
[profiles.p.warden]
review_timeout_s = 20
on_deny = "kill"
)");
  Config c = load();  // file only
  EXPECT_EQ(c.review_timeout_s.value, 10);
  EXPECT_EQ(c.review_timeout_s.source.describe(), path + ":6:20");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);

  opt.profile = "p";  // profile beats file
  c = load();
  EXPECT_EQ(c.review_timeout_s.value, 20);
  EXPECT_EQ(c.review_timeout_s.source.describe(), path + ":11:20");
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Never);
  EXPECT_EQ(c.approval_policy.source.describe(), path + ":8:19");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::DangerFullAccess);
  EXPECT_EQ(c.on_deny.value, OnDeny::Kill);
  EXPECT_EQ(c.approvals_reviewer.source.describe(), path + ":3:22");  // root, untouched

  opt.overrides = {"warden.review_timeout_s=30", "sandbox_mode=workspace-write"};  // -c beats it
  c = load();
  EXPECT_EQ(c.review_timeout_s.value, 30);
  EXPECT_EQ(c.review_timeout_s.source.describe(), "-c warden.review_timeout_s=30");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::WorkspaceWrite);
  EXPECT_EQ(c.sandbox_mode.source.describe(), "-c sandbox_mode=workspace-write");
  EXPECT_EQ(c.on_deny.value, OnDeny::Kill);

  opt.flags = {{"warden.review_timeout_s", "40", "--review-timeout"},
               {"sandbox_mode", "read-only", "--sandbox"}};  // flags beat -c
  c = load();
  EXPECT_EQ(c.review_timeout_s.value, 40);
  EXPECT_EQ(c.review_timeout_s.source.describe(), "--review-timeout");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);
  EXPECT_EQ(c.sandbox_mode.source.describe(), "--sandbox");
}

TEST_F(ConfigTest, ProfileKeyInFileSelectsProfile) {
  config(R"(profile = "ci"
[profiles.ci]
sandbox_mode = "read-only"
[profiles.other]
sandbox_mode = "danger-full-access"
)");
  Config c = load();
  EXPECT_EQ(c.profile, "ci");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);
  opt.profile = "other";  // -p beats the file's profile key
  c = load();
  EXPECT_EQ(c.profile, "other");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::DangerFullAccess);
}

TEST_F(ConfigTest, TablesMergeDeeplyArraysReplace) {
  config(R"([sandbox_workspace_write]
writable_roots = ["/root-a", "/root-b"]
network_access = false
[warden]
deny_read = ["/x"]
[profiles.net.sandbox_workspace_write]
network_access = true
[profiles.net.warden]
deny_read = ["/y"]
)");
  opt.profile = "net";
  Config c = load();
  EXPECT_TRUE(c.network_access.value);
  EXPECT_EQ(c.writable_roots.value, (Strings{"/root-a", "/root-b"}));
  EXPECT_EQ(c.deny_read.value, Strings{"/y"});
}

TEST_F(ConfigTest, ApprovalTableAndStringReplaceEachOther) {
  config(
      R"(approval_policy = { granular = { sandbox_approval = true, rules = true, mcp_elicitations = true } }
[profiles.never]
approval_policy = "never"
)");
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Granular);
  opt.profile = "never";
  c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Never);
  EXPECT_FALSE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_FALSE(c.approval_policy.value.granular.rules);
  EXPECT_FALSE(c.approval_policy.value.granular.mcp_elicitations);
  EXPECT_FALSE(c.approval_policy.value.granular.request_permissions);
  EXPECT_FALSE(c.approval_policy.value.granular.skill_approval);

  opt.overrides = {
      "approval_policy={ granular = { sandbox_approval = false, rules = true, mcp_elicitations = "
      "false, skill_approval = true } }"};
  c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Granular);
  EXPECT_FALSE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_TRUE(c.approval_policy.value.granular.rules);
  EXPECT_TRUE(c.approval_policy.value.granular.skill_approval);
}

TEST_F(ConfigTest, DashCEditsOneGranularKeyOfTheTableInForce) {
  config(
      R"(approval_policy = { granular = { sandbox_approval = true, rules = true, mcp_elicitations = true } }
)");
  opt.overrides = {"approval_policy.granular.rules=false"};
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Granular);
  EXPECT_TRUE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_FALSE(c.approval_policy.value.granular.rules);
  EXPECT_TRUE(c.approval_policy.value.granular.mcp_elicitations);
  EXPECT_FALSE(c.approval_policy.value.granular.skill_approval);  // omitted: false
  EXPECT_EQ(c.approval_policy.source.describe(), "-c approval_policy.granular.rules=false");
  // From a legacy mode: its table (never = all false) is the starting point.
  config("approval_policy = \"never\"\n");
  opt.overrides = {"approval_policy.granular.sandbox_approval=true"};
  c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Granular);
  EXPECT_TRUE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_FALSE(c.approval_policy.value.granular.rules);
  opt.overrides = {"approval_policy.granular.sandbox=true"};
  EXPECT_NE(error().find("unknown key sandbox"), std::string::npos) << error();
  opt.overrides = {"approval_policy.granular.rules=maybe"};
  EXPECT_NE(error().find("approval_policy.granular.rules"), std::string::npos) << error();
}

// ---- -c

TEST_F(ConfigTest, DashCDottedKeysAndTomlValues) {
  opt.overrides = {"sandbox_workspace_write.writable_roots=[\"/a\", \"~/b\"]",
                   "warden.hold_reads=true", "warden.review_timeout_s = 5",
                   "warden.network_allow=[\"*.example.com\"]"};
  Config c = load();
  EXPECT_EQ(c.writable_roots.value, (Strings{"/a", home + "/b"}));
  EXPECT_EQ(c.writable_roots.source.describe(),
            "-c sandbox_workspace_write.writable_roots=[\"/a\", \"~/b\"]");
  EXPECT_TRUE(c.hold_reads.value);
  EXPECT_EQ(c.review_timeout_s.value, 5);
  EXPECT_EQ(c.network_allow.value, Strings{"*.example.com"});
}

TEST_F(ConfigTest, DashCFallsBackToPlainString) {
  opt.overrides = {"approval_policy=never", "auto_review.extra_policy=be careful: no rm -rf"};
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Never);
  EXPECT_EQ(c.approval_policy.source.describe(), "-c approval_policy=never");
  EXPECT_EQ(c.auto_review_extra_policy.value, "be careful: no rm -rf");

  opt.overrides = {"approval_policy=\"untrusted\""};  // quoted: TOML string
  EXPECT_EQ(load().approval_policy.value.kind, ApprovalKind::Untrusted);
}

TEST_F(ConfigTest, DashCCanDefineAndSelectAProfile) {
  opt.overrides = {"profiles.ci.sandbox_mode=read-only"};
  opt.profile = "ci";
  Config c = load();
  EXPECT_EQ(c.profile, "ci");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);
  EXPECT_EQ(c.sandbox_mode.source.describe(), "-c profiles.ci.sandbox_mode=read-only");

  config("[profiles.ci]\nsandbox_mode = \"danger-full-access\"\n");
  opt.profile.reset();
  opt.overrides = {"profile=ci"};
  c = load();
  EXPECT_EQ(c.profile, "ci");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::DangerFullAccess);
}

TEST_F(ConfigTest, DashCBeatsTheProfileButProfileEditsDoNotLeak) {
  config(R"(sandbox_mode = "read-only"
[profiles.p]
sandbox_mode = "danger-full-access"
)");
  opt.profile = "p";
  opt.overrides = {"sandbox_mode=workspace-write"};
  EXPECT_EQ(load().sandbox_mode.value, SandboxMode::WorkspaceWrite);
  // A -c aimed at another profile changes nothing here.
  opt.overrides = {"profiles.q.sandbox_mode=read-only"};
  EXPECT_EQ(load().sandbox_mode.value, SandboxMode::DangerFullAccess);
}

TEST_F(ConfigTest, DashCBuildsAGranularTableKeyByKey) {
  opt.overrides = {"approval_policy.granular.sandbox_approval=true",
                   "approval_policy.granular.rules=false",
                   "approval_policy.granular.mcp_elicitations=true"};
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Granular);
  EXPECT_TRUE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_FALSE(c.approval_policy.value.granular.rules);
  EXPECT_TRUE(c.approval_policy.value.granular.mcp_elicitations);
}

TEST_F(ConfigTest, DashCErrors) {
  opt.overrides = {"sandbox_mode"};
  EXPECT_EQ(error(), "-c sandbox_mode: expected KEY=VALUE");
  opt.overrides = {"sandbox_mode=foo"};
  EXPECT_EQ(error(),
            "-c sandbox_mode=foo: sandbox_mode: expected one of \"read-only\", "
            "\"workspace-write\", \"danger-full-access\", got \"foo\"");
  opt.overrides = {"warden.hold_reads=yes"};
  EXPECT_EQ(error(),
            "-c warden.hold_reads=yes: warden.hold_reads: expected a boolean, got \"yes\"");
  opt.overrides = {"a..b=1"};
  EXPECT_PREFIX(error(), "-c a..b=1: invalid key");
}

TEST_F(ConfigTest, FlagErrorsNameTheFlag) {
  opt.flags = {{"sandbox_mode", "sandbox", "--sandbox"}};
  EXPECT_PREFIX(error(), "--sandbox: sandbox_mode: expected one of \"read-only\"");
  opt.flags = {{"warden.review_timeout_s", "soon", "--review-timeout"}};
  EXPECT_EQ(error(),
            "--review-timeout: warden.review_timeout_s: expected an integer, got \"soon\"");
  opt.flags = {{"approvals_reviewer", "robot", "--reviewer"}};
  EXPECT_EQ(error(),
            "--reviewer: approvals_reviewer: expected one of \"user\", \"auto_review\", got "
            "\"robot\"");
  opt.flags = {{"warden.on_deny", "kill", "--on-deny"}};
  EXPECT_EQ(load().on_deny.value, OnDeny::Kill);
}

// ---- profiles

TEST_F(ConfigTest, MissingProfileListsTheAvailableOnes) {
  config("[profiles.ci]\n[profiles.dev]\n");
  opt.profile = "prod";
  EXPECT_EQ(error(), "--profile: profile \"prod\" not found; available: \"ci\", \"dev\"");

  const std::string path = config("profile = \"prod\"\n");
  opt.profile.reset();
  EXPECT_EQ(error(), path + ":1:11: profile \"prod\" not found; no profiles are defined");
}

// ---- approval policies

TEST_F(ConfigTest, LegacyApprovalKindsFillTheCategories) {
  config("approval_policy = \"untrusted\"\n");
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Untrusted);
  EXPECT_TRUE(c.approval_policy.value.granular.rules);
  EXPECT_TRUE(c.approval_policy.value.granular.request_permissions);
}

TEST_F(ConfigTest, GranularOptionalKeysDefaultToFalse) {
  config(
      "approval_policy = { granular = { sandbox_approval = true, rules = false, mcp_elicitations "
      "= true } }\n");
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Granular);
  EXPECT_TRUE(c.approval_policy.value.granular.sandbox_approval);
  EXPECT_FALSE(c.approval_policy.value.granular.rules);
  EXPECT_TRUE(c.approval_policy.value.granular.mcp_elicitations);
  EXPECT_FALSE(c.approval_policy.value.granular.request_permissions);
  EXPECT_FALSE(c.approval_policy.value.granular.skill_approval);
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ConfigTest, GranularRequiredKeysMissing) {
  const std::string path =
      config("approval_policy = { granular = { sandbox_approval = true, rules = false } }\n");
  EXPECT_EQ(error(), path +
                         ":1:32: approval_policy.granular: missing required key "
                         "mcp_elicitations (sandbox_approval, rules and mcp_elicitations must be "
                         "set)");
  // In a profile too, with the profile's table position.
  const std::string p2 = config(R"(model = "x"
[profiles.ci]
approval_policy = { granular = { rules = true, mcp_elicitations = true } }
)");
  opt.profile = "ci";
  EXPECT_PREFIX(error(), p2 + ":3:32: profiles.ci.approval_policy.granular: missing required key "
                              "sandbox_approval");
}

TEST_F(ConfigTest, GranularTypoIsAWarning) {
  const std::string path = config(
      "approval_policy = { granular = { sandbox_approval = true, rules = true, mcp_elicitations = "
      "true, skil_approval = true } }\n");
  Config c = load();
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_PREFIX(c.warnings[0], path + ":1:");
  EXPECT_TRUE(contains(c.warnings, "approval_policy.granular.skil_approval"));
  EXPECT_FALSE(c.approval_policy.value.granular.skill_approval);
}

TEST_F(ConfigTest, BadApprovalPolicies) {
  std::string path = config("approval_policy = \"sometimes\"\n");
  EXPECT_EQ(error(), path +
                         ":1:19: approval_policy: expected one of \"untrusted\", \"on-request\", "
                         "\"never\" or { granular = { ... } }, got \"sometimes\"");
  path = config(
      "approval_policy = { granular = { sandbox_approval = 1, rules = true, "
      "mcp_elicitations = true } }\n");
  EXPECT_EQ(error(), path +
                         ":1:53: approval_policy.granular.sandbox_approval: expected a "
                         "boolean, got integer");
  path = config("approval_policy = { strict = true }\n");
  EXPECT_PREFIX(error(), path + ":1:21: approval_policy: unknown key strict");
}

// ---- validation errors, each with its exact position

TEST_F(ConfigTest, BadSandboxModeNamesFileLineColumn) {
  const std::string path = config("# comment\nmodel = \"o3\"\nsandbox_mode = \"sandbox\"\n");
  EXPECT_EQ(error(), path +
                         ":3:16: sandbox_mode: expected one of \"read-only\", \"workspace-write\", "
                         "\"danger-full-access\", got \"sandbox\"");
}

TEST_F(ConfigTest, TypeErrors) {
  std::string path = config("[warden]\ndeny_read = 5\n");
  EXPECT_EQ(error(), path + ":2:13: warden.deny_read: expected an array of strings, got integer");
  path = config("[warden]\ndeny_read = [\n\"~/.ssh\",\n7,\n]\n");
  EXPECT_EQ(error(), path + ":4:1: warden.deny_read: expected an array of strings, got integer");
  path = config("[warden]\nreviewer_command = \"claude\"\n");
  EXPECT_EQ(error(),
            path + ":2:20: warden.reviewer_command: expected an array of strings, got \"claude\"");
  path = config("[sandbox_workspace_write]\nnetwork_access = \"yes\"\n");
  EXPECT_EQ(
      error(),
      path + ":2:18: sandbox_workspace_write.network_access: expected a boolean, got \"yes\"");
  path = config("sandbox_workspace_write = true\n");
  EXPECT_EQ(error(), path + ":1:27: sandbox_workspace_write: expected a table, got boolean");
  path = config("[warden]\non_deny = \"panic\"\n");
  EXPECT_EQ(error(),
            path + ":2:11: warden.on_deny: expected one of \"errno\", \"kill\", got \"panic\"");
  path = config("[auto_review]\npolicy = 3\n");
  EXPECT_EQ(error(), path + ":2:10: auto_review.policy: expected a string, got integer");
  path = config("profile = 3\n");
  EXPECT_EQ(error(), path + ":1:11: profile: expected a string, got integer");
}

TEST_F(ConfigTest, ReviewTimeoutMustBePositive) {
  std::string path = config("[warden]\nreview_timeout_s = 0\n");
  EXPECT_EQ(error(),
            path + ":2:20: warden.review_timeout_s: expected a positive number of seconds, got 0");
  path = config("[warden]\nreview_timeout_s = -5\n");
  EXPECT_PREFIX(error(), path + ":2:20: warden.review_timeout_s: expected a positive");
  path = config("[warden]\nreview_timeout_s = 1.5\n");
  EXPECT_EQ(error(), path + ":2:20: warden.review_timeout_s: expected an integer, got float");
}

TEST_F(ConfigTest, PathErrors) {
  std::string path = config("[sandbox_workspace_write]\nwritable_roots = [\"/ok\", \"rel/x\"]\n");
  EXPECT_EQ(error(), path +
                         ":2:26: sandbox_workspace_write.writable_roots: expected an absolute "
                         "path (or ~/...), got \"rel/x\"");
  path = config("[sandbox_workspace_write]\nwritable_roots = [\"~other/x\"]\n");
  EXPECT_PREFIX(error(), path +
                             ":2:19: sandbox_workspace_write.writable_roots: expected an "
                             "absolute path");
  path = config("[warden]\nskill_roots = [\"\"]\n");
  EXPECT_EQ(error(), path + ":2:16: warden.skill_roots: expected a non-empty path, got \"\"");
  path = config("[warden]\nprotected = [\".git\", \"\"]\n");
  EXPECT_PREFIX(error(), path + ":2:22: warden.protected: expected a non-empty path");
  path = config("[warden]\nreviewer_command = [\"\", \"x\"]\n");
  EXPECT_PREFIX(error(), path + ":2:21: warden.reviewer_command: expected a program name");
}

TEST_F(ConfigTest, TildeExpansion) {
  config(R"([sandbox_workspace_write]
writable_roots = ["~", "~/work"]
[warden]
deny_read = ["~/.ssh", "/etc/secret", "~user/x"]
skill_roots = ["~/skills"]
exec_rules = ["~/r/*.rules"]
protected = ["~/kept"]
)");
  Config c = load();
  EXPECT_EQ(c.writable_roots.value, (Strings{home, home + "/work"}));
  EXPECT_EQ(c.deny_read.value, (Strings{home + "/.ssh", "/etc/secret", "~user/x"}));
  EXPECT_EQ(c.skill_roots.value, Strings{home + "/skills"});
  EXPECT_EQ(c.exec_rules.value, Strings{home + "/r/*.rules"});
  EXPECT_EQ(c.protected_paths.value, Strings{"~/kept"});  // relative names, not expanded
}

TEST_F(ConfigTest, TomlSyntaxErrorNamesPosition) {
  const std::string path = config("model = \"o3\"\nsandbox_mode = \"read-only\n");
  const std::string msg = error();
  EXPECT_PREFIX(msg, path + ":2:");
  EXPECT_GT(msg.size(), path.size() + 6);
}

TEST_F(ConfigTest, UnknownWardenKeyIsAnError) {
  std::string path = config("[warden]\ndeny_read = []\nfoo = 1\n");
  EXPECT_EQ(error(), path +
                         ":3:1: unknown key warden.foo; expected one of deny_read, protected, "
                         "network_allow, skill_roots, exec_rules, on_deny, hold_reads, "
                         "review_timeout_s, reviewer_command, max_processes, memory_max, "
                         "cpu_max");
  // Inside a profile, even one that is not selected.
  path = config("[profiles.ci.warden]\nhold_read = true\n");
  EXPECT_PREFIX(error(), path + ":2:1: unknown key profiles.ci.warden.hold_read; expected one of");
  opt.profile = "ci";
  EXPECT_PREFIX(error(), path + ":2:1: unknown key profiles.ci.warden.hold_read;");
  opt.profile.reset();
  opt.overrides = {"warden.denyread=[]"};
  config("");
  EXPECT_PREFIX(error(), "-c warden.denyread=[]: unknown key warden.denyread;");
}

TEST_F(ConfigTest, UnknownWorkspaceWriteKeyIsAWarning) {
  const std::string path =
      config("[sandbox_workspace_write]\nnetwork_access = true\nnetwrk_access = false\n");
  Config c = load();
  EXPECT_TRUE(c.network_access.value);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_PREFIX(c.warnings[0],
                path + ":3:1: unknown key sandbox_workspace_write.netwrk_access ignored");
}

// ---- managed requirements

TEST_F(ConfigTest, RequirementsRejectAnExplicitDisallowedValue) {
  const std::string cfg = config("model = \"x\"\napproval_policy = \"never\"\n");
  const std::string req =
      requirements("allowed_approval_policies = [\"on-request\", \"untrusted\"]\n");
  EXPECT_EQ(error(), cfg +
                         ":2:19: approval_policy \"never\" is not allowed by managed requirements "
                         "(" +
                         req +
                         ":1:29: allowed_approval_policies = [\"on-request\", \"untrusted\"])");
  // From a flag, the flag is named.
  config("");
  requirements("allowed_sandbox_modes = [\"read-only\"]\n");
  opt.flags = {{"sandbox_mode", "workspace-write", "--sandbox"}};
  EXPECT_PREFIX(error(),
                "--sandbox: sandbox_mode \"workspace-write\" is not allowed by managed "
                "requirements (" +
                    req + ":1:25: allowed_sandbox_modes = [\"read-only\"])");
  opt.flags.clear();
  const std::string cfg2 = config("approvals_reviewer = \"auto_review\"\n");
  requirements("allowed_approvals_reviewers = [\"user\"]\n");
  EXPECT_PREFIX(error(), cfg2 + ":1:22: approvals_reviewer \"auto_review\" is not allowed");
}

TEST_F(ConfigTest, RequirementsAcceptAnAllowedValue) {
  config("approval_policy = \"untrusted\"\nsandbox_mode = \"read-only\"\n");
  const std::string req = requirements(R"(allowed_approval_policies = ["on-request", "untrusted"]
allowed_sandbox_modes = ["read-only", "workspace-write"]
allowed_approvals_reviewers = ["guardian_subagent", "user"]
some_codex_key = 1
)");
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Untrusted);
  EXPECT_EQ(c.allowed_approval_policies, (Strings{"on-request", "untrusted"}));
  EXPECT_EQ(c.allowed_sandbox_modes, (Strings{"read-only", "workspace-write"}));
  EXPECT_EQ(c.allowed_approvals_reviewers, (Strings{"auto_review", "user"}));
  EXPECT_EQ(c.sources, (Strings{*opt.config_file, req}));
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ConfigTest, RequirementsReplaceAnUnsetDefaultWithTheFirstAllowed) {
  const std::string req = requirements(R"(allowed_approval_policies = ["untrusted", "never"]
allowed_sandbox_modes = ["read-only", "workspace-write"]
allowed_approvals_reviewers = ["guardian_subagent"]
)");
  Config c = load();
  EXPECT_EQ(c.approval_policy.value.kind, ApprovalKind::Untrusted);
  EXPECT_TRUE(c.approval_policy.value.granular.rules);
  EXPECT_EQ(c.approval_policy.source.describe(), req + ":1:29");
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::WorkspaceWrite);  // the default was allowed
  EXPECT_TRUE(c.sandbox_mode.source.is_default());
  EXPECT_EQ(c.approvals_reviewer.value, ReviewerKind::AutoReview);
  EXPECT_EQ(c.warnings.size(), 2u);
  EXPECT_TRUE(contains(c.warnings, "approval_policy: the default \"on-request\""));
  EXPECT_TRUE(contains(c.warnings, "approvals_reviewer: the default \"user\""));
}

TEST_F(ConfigTest, RequirementsListErrors) {
  std::string req = requirements("allowed_sandbox_modes = [\"workspace-write\"]\n");
  EXPECT_PREFIX(error(), req + ":1:25: allowed_sandbox_modes: must include \"read-only\"");
  req = requirements("allowed_approval_policies = []\n");
  EXPECT_PREFIX(error(), req + ":1:29: allowed_approval_policies: expected a non-empty array");
  req = requirements("allowed_approval_policies = [\"on-request\", \"always\"]\n");
  EXPECT_EQ(error(), req +
                         ":1:44: allowed_approval_policies: expected one of \"untrusted\", "
                         "\"on-request\", \"never\", \"granular\", got \"always\"");
  req = requirements("allowed_approvals_reviewers = \"user\"\n");
  EXPECT_PREFIX(error(), req + ":1:31: allowed_approvals_reviewers: expected an array of strings");
}

TEST_F(ConfigTest, RequirementsFileMissing) {
  opt.requirements_file = dir + "/absent.toml";
  EXPECT_EQ(error(),
            "--requirements: cannot read " + dir + "/absent.toml: No such file or directory");
  opt.requirements_file.reset();  // the default path may be absent
  EXPECT_TRUE(load().sources.empty());
  const std::string def =
      write("etc/requirements.toml", "allowed_sandbox_modes = [\"read-only\"]\n");
  opt.default_requirements_file = def;
  Config c = load();
  EXPECT_EQ(c.sources, Strings{def});
  EXPECT_EQ(c.sandbox_mode.value, SandboxMode::ReadOnly);
}

TEST_F(ConfigTest, RequirementsGuardianPolicyReplacesLocalPolicy) {
  config(R"([auto_review]
policy = "mine"
extra_policy = "my extra"
)");
  const std::string req = requirements(R"(guardian_policy_config = """
Admin policy.
"""
[auto_review]
guardian_extra_policy = "admin extra"
)");
  Config c = load();
  EXPECT_EQ(c.auto_review_policy.value, "Admin policy.\n");
  EXPECT_EQ(c.auto_review_policy.source.describe(), req + ":1:26");
  EXPECT_EQ(c.auto_review_extra_policy.value, "admin extra");
  EXPECT_EQ(c.auto_review_extra_policy.source.describe(), req + ":5:25");

  requirements("guardian_policy_config = \"  \\n\"\n");  // blank: the local policy stays
  c = load();
  EXPECT_EQ(c.auto_review_policy.value, "mine");
  EXPECT_EQ(c.auto_review_extra_policy.value, "my extra");
}

TEST_F(ConfigTest, RequirementsDenyReadIsAppended) {
  config("[warden]\ndeny_read = [\"~/.ssh\", \"/srv/keys\"]\n");
  const std::string req =
      requirements("deny_read = [\"~/.secrets\", \"/srv/keys\", \"/etc/shadow\"]\n");
  Config c = load();
  EXPECT_EQ(c.deny_read.value,
            (Strings{home + "/.ssh", "/srv/keys", home + "/.secrets", "/etc/shadow"}));
  EXPECT_EQ(c.required_deny_read.value, (Strings{home + "/.secrets", "/srv/keys", "/etc/shadow"}));
  EXPECT_EQ(c.required_deny_read.source.describe(), req + ":1:13");
}

TEST_F(ConfigTest, RequirementsPrefixRules) {
  const std::string req = requirements(R"([rules]
prefix_rules = [
  { pattern = ["git", { any_of = ["push", "fetch"] }], decision = "forbidden", justification = "no network git" },
  { pattern = ["rm"], decision = "prompt" },
]
)");
  Config c = load();
  ASSERT_EQ(c.required_prefix_rules.size(), 2u);
  const auto& r0 = c.required_prefix_rules[0];
  EXPECT_EQ(r0.pattern, (std::vector<Strings>{{"git"}, {"push", "fetch"}}));
  EXPECT_EQ(r0.decision, "forbidden");
  EXPECT_EQ(r0.justification, "no network git");
  EXPECT_EQ(r0.source.describe(), req + ":3:3");
  EXPECT_EQ(c.required_prefix_rules[1].pattern, std::vector<Strings>{{"rm"}});
  EXPECT_EQ(c.required_prefix_rules[1].decision, "prompt");
  EXPECT_EQ(c.required_prefix_rules[1].justification, "");
}

TEST_F(ConfigTest, RequirementsPrefixRuleErrors) {
  std::string req =
      requirements("[rules]\nprefix_rules = [ { pattern = [\"ls\"], decision = \"allow\" } ]\n");
  EXPECT_EQ(error(), req +
                         ":2:49: rules.prefix_rules[0].decision: \"allow\" is not accepted in "
                         "managed requirements; expected one of \"prompt\", \"forbidden\"");
  req = requirements("[rules]\nprefix_rules = [ { pattern = [], decision = \"prompt\" } ]\n");
  EXPECT_PREFIX(error(), req + ":2:30: rules.prefix_rules[0].pattern: expected a non-empty array");
  req = requirements("[rules]\nprefix_rules = [ { pattern = [1], decision = \"prompt\" } ]\n");
  EXPECT_PREFIX(error(), req + ":2:31: rules.prefix_rules[0].pattern[0]: expected a string or");
  req = requirements("[rules]\nprefix_rules = [ { pattern = [\"ls\"] } ]\n");
  EXPECT_PREFIX(error(), req + ":2:18: rules.prefix_rules[0]: missing required key decision");
}

// ---- to_toml

void expect_same_values(const Config& a, const Config& b) {
  EXPECT_EQ(a.sandbox_mode.value, b.sandbox_mode.value);
  EXPECT_EQ(a.approval_policy.value.kind, b.approval_policy.value.kind);
  const Granular &ga = a.approval_policy.value.granular, &gb = b.approval_policy.value.granular;
  EXPECT_EQ(ga.sandbox_approval, gb.sandbox_approval);
  EXPECT_EQ(ga.rules, gb.rules);
  EXPECT_EQ(ga.mcp_elicitations, gb.mcp_elicitations);
  EXPECT_EQ(ga.request_permissions, gb.request_permissions);
  EXPECT_EQ(ga.skill_approval, gb.skill_approval);
  EXPECT_EQ(a.approvals_reviewer.value, b.approvals_reviewer.value);
  EXPECT_EQ(a.writable_roots.value, b.writable_roots.value);
  EXPECT_EQ(a.network_access.value, b.network_access.value);
  EXPECT_EQ(a.exclude_tmpdir_env_var.value, b.exclude_tmpdir_env_var.value);
  EXPECT_EQ(a.exclude_slash_tmp.value, b.exclude_slash_tmp.value);
  EXPECT_EQ(a.auto_review_policy.value, b.auto_review_policy.value);
  EXPECT_EQ(a.auto_review_extra_policy.value, b.auto_review_extra_policy.value);
  EXPECT_EQ(a.deny_read.value, b.deny_read.value);
  EXPECT_EQ(a.protected_paths.value, b.protected_paths.value);
  EXPECT_EQ(a.network_allow.value, b.network_allow.value);
  EXPECT_EQ(a.skill_roots.value, b.skill_roots.value);
  EXPECT_EQ(a.exec_rules.value, b.exec_rules.value);
  EXPECT_EQ(a.on_deny.value, b.on_deny.value);
  EXPECT_EQ(a.hold_reads.value, b.hold_reads.value);
  EXPECT_EQ(a.review_timeout_s.value, b.review_timeout_s.value);
  EXPECT_EQ(a.reviewer_command.value, b.reviewer_command.value);
}

TEST_F(ConfigTest, ToTomlRoundTrip) {
  const std::string cfg = config(R"(sandbox_mode = "read-only"
approval_policy = { granular = { sandbox_approval = true, rules = false, mcp_elicitations = true, skill_approval = true } }
approvals_reviewer = "auto_review"
[sandbox_workspace_write]
writable_roots = ["/a b", "~/w"]
network_access = true
exclude_tmpdir_env_var = true
exclude_slash_tmp = true
[auto_review]
policy = '''
# Policy
Never "approve" \ anything with """triple""" quotes,	tabs
and "quotes" at the end"'''
[warden]
deny_read = ["~/.ssh", "/x\"y"]
protected = [".git/hooks"]
network_allow = ["old"]
skill_roots = []
exec_rules = ["/r/*.rules"]
on_deny = "kill"
hold_reads = true
review_timeout_s = 7
reviewer_command = ["reviewer", "--flag", "a'b", ""]
)");
  // A control character, DEL, non-ASCII, a backslash, quotes; a -c label holding a newline.
  opt.overrides = {
      "auto_review.extra_policy=\"line1\\nctl \\u0001 del \\u007F é \\\\ end \\\"\\\"\\\" q\"",
      "warden.network_allow=[\"*.example.com\",\n\"pypi.org\"]"};
  const std::string req = requirements(R"(allowed_approval_policies = ["granular", "never"]
deny_read = ["/etc/shadow"]
[rules]
prefix_rules = [{ pattern = ["git", { any_of = ["push", "fetch"] }], decision = "forbidden", justification = "no" }]
)");
  const Config a = load();
  EXPECT_EQ(a.auto_review_extra_policy.value, "line1\nctl \x01 del \x7f é \\ end \"\"\" q");
  EXPECT_EQ(a.network_allow.value, (Strings{"*.example.com", "pypi.org"}));
  const std::string text = to_toml(a);

  // Sources appear as comments, allowed lists too.
  EXPECT_NE(text.find("sandbox_mode = \"read-only\"  # " + cfg + ":1:16\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\n#   allowed_approval_policies = [\"granular\", \"never\"]\n"),
            std::string::npos);
  EXPECT_NE(text.find("-> forbidden: no (" + req + ":4:17)"), std::string::npos) << text;
  EXPECT_NE(text.find("on_deny = \"kill\"  # " + cfg + ":20:11\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hold_reads = true  # "), std::string::npos) << text;
  EXPECT_NE(text.find("[warden]\n"), std::string::npos);

  // Loads back to the same values: alone, and again under the same requirements.
  const std::string dumped = write("dumped.toml", text);
  LoadOptions again;
  again.config_file = dumped;
  again.home = home;
  again.default_requirements_file = dir + "/no-requirements.toml";
  Config b;
  ASSERT_NO_THROW(b = load_config(again)) << text;
  expect_same_values(a, b);
  EXPECT_TRUE(b.warnings.empty()) << b.warnings[0];
  const auto at = text.find("\nsandbox_mode = ");
  const auto line = 2 + std::count(text.begin(), text.begin() + at, '\n');
  EXPECT_EQ(b.sandbox_mode.source.describe(), dumped + ":" + std::to_string(line) + ":16");
  again.requirements_file = req;
  ASSERT_NO_THROW(b = load_config(again));
  expect_same_values(a, b);
}

TEST_F(ConfigTest, ToTomlRoundTripsEveryApprovalKindAndDefaults) {
  for (const char* kind : {"untrusted", "on-request", "never"}) {
    opt.overrides = {std::string("approval_policy=") + kind};
    const Config a = load();
    const std::string text = to_toml(a);
    EXPECT_NE(text.find(std::string("approval_policy = \"") + kind + "\"  # -c approval_policy="),
              std::string::npos)
        << text;
    LoadOptions again = opt;
    again.overrides.clear();
    again.config_file = write("dumped.toml", text);
    const Config b = load_config(again);
    EXPECT_EQ(b.approval_policy.value.kind, a.approval_policy.value.kind) << kind;
    expect_same_values(a, b);
  }
  // Defaults only: every key is present.
  opt.overrides.clear();
  const std::string text = to_toml(load());
  for (const char* key :
       {"sandbox_mode =", "approval_policy =", "approvals_reviewer =", "writable_roots =",
        "network_access =", "exclude_tmpdir_env_var =", "exclude_slash_tmp =", "policy =",
        "extra_policy =", "deny_read =", "protected =", "network_allow =", "skill_roots =",
        "exec_rules =", "on_deny =", "hold_reads =", "review_timeout_s =", "reviewer_command ="}) {
    EXPECT_NE(text.find(std::string("\n") + key), std::string::npos) << key << "\n" << text;
  }
  EXPECT_NE(text.find("\nreview_timeout_s = 60  # built-in default\n"), std::string::npos) << text;
}

}  // namespace

// tests/fuzz (config, with UBSan): toml++ 3.3 reached __builtin_unreachable() when it asked
// whether U+00A1..U+0499 or U+FBC6..U+FEFE is whitespace (policy/toml.hpp). Now: a parse error
// with its position, or, inside strings, text like any other.
TEST_F(ConfigTest, NonAsciiWhereTomlLooksForWhitespaceIsAnOrdinaryError) {
  const std::string path = config("model = \"o3\"\n\xef\xb6\xbfxtra_policy = 1\n");
  EXPECT_PREFIX(error(), path + ":2:1: ");
  config("review_timeout_s = 1\xcc\xa3\n");
  EXPECT_PREFIX(error(), path + ":1:");
  config("[auto_review]\npolicy = \"\"\"a \\\n  \xc3\xa9 \xe2\x9d\xa4\xef\xb8\x8f\"\"\"\n");
  EXPECT_EQ(load().auto_review_policy.value, "a \xc3\xa9 \xe2\x9d\xa4\xef\xb8\x8f");
}
