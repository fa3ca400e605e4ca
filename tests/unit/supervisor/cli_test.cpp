#include "cli.hpp"

#include <gtest/gtest.h>

#include "commands.hpp"

namespace warden::supervisor {
namespace {

Invocation parse(std::vector<std::string> args) {
  return parse_command_line(args);
}

TEST(Cli, RunTakesOptionsThenTheCommand) {
  auto inv = parse({"run", "-C", "/w", "-p", "ci", "-c", "a.b=1", "--sandbox=read-only", "-v",
                    "make", "-j2", "--sandbox", "x"});
  EXPECT_EQ(inv.verb, Verb::Run);
  EXPECT_EQ(inv.workspace, "/w");
  EXPECT_EQ(inv.load.profile, "ci");
  ASSERT_EQ(inv.load.overrides.size(), 1u);
  EXPECT_EQ(inv.load.overrides[0], "a.b=1");
  ASSERT_EQ(inv.load.flags.size(), 1u);
  EXPECT_EQ(inv.load.flags[0].key, "sandbox_mode");
  EXPECT_EQ(inv.load.flags[0].value, "read-only");
  EXPECT_EQ(inv.load.flags[0].flag, "--sandbox");
  EXPECT_EQ(inv.verbosity, 1);
  // Everything from the command on belongs to it, options included.
  EXPECT_EQ(inv.command, (std::vector<std::string>{"make", "-j2", "--sandbox", "x"}));
}

TEST(Cli, DoubleDashProtectsACommandThatLooksLikeAnOption) {
  auto inv = parse({"run", "--", "--help", "-v"});
  EXPECT_EQ(inv.verb, Verb::Run);
  EXPECT_EQ(inv.command, (std::vector<std::string>{"--help", "-v"}));
  EXPECT_EQ(inv.verbosity, 0);
}

TEST(Cli, AttachedShortValuesAndEveryFlag) {
  auto inv = parse({"run", "-pci", "-Cdir", "-sread-only", "-anever", "--reviewer", "auto_review",
                    "--on-deny=kill", "--review-timeout", "5", "--audit", "-", "--config", "f",
                    "--requirements", "r", "-cx=1", "true"});
  EXPECT_EQ(inv.load.profile, "ci");
  EXPECT_EQ(inv.workspace, "dir");
  EXPECT_EQ(inv.audit, "-");
  EXPECT_EQ(inv.load.config_file, "f");
  EXPECT_EQ(inv.load.requirements_file, "r");
  std::vector<std::string> keys;
  for (const auto& f : inv.load.flags) keys.push_back(f.key + "=" + f.value);
  EXPECT_EQ(keys, (std::vector<std::string>{"sandbox_mode=read-only", "approval_policy=never",
                                            "approvals_reviewer=auto_review", "warden.on_deny=kill",
                                            "warden.review_timeout_s=5"}));
}

TEST(Cli, BadInputIsAPreciseUsageError) {
  auto message = [](std::vector<std::string> args) {
    try {
      parse_command_line(args);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({}), "missing command (try 'warden run -- COMMAND')");
  EXPECT_EQ(message({"launch"}),
            "unknown command 'launch' (expected run, config, review, pending, approve or deny)");
  EXPECT_EQ(message({"approve"}), "approve: missing request ID (see warden pending)");
  EXPECT_EQ(message({"deny", "3", "4"}), "deny: unexpected argument '4'");
  EXPECT_EQ(message({"deny", "3", "--always"}), "deny: unexpected argument '--always'");
  EXPECT_EQ(message({"run"}),
            "run: missing COMMAND (usage: warden run [OPTIONS] [--] COMMAND [ARG...])");
  EXPECT_EQ(message({"run", "--frobnicate", "x"}),
            "unknown option '--frobnicate' (see warden --help)");
  EXPECT_EQ(message({"run", "-x", "y"}), "unknown option '-x' (see warden --help)");
  EXPECT_EQ(message({"run", "-p"}), "option '-p' needs a value");
  EXPECT_EQ(message({"run", "-c", "novalue", "true"}), "-c novalue: expected KEY=VALUE");
  EXPECT_EQ(message({"config", "extra"}), "config: unexpected argument 'extra'");
  EXPECT_EQ(message({"run", "--action", "f", "true"}), "--action belongs to 'warden review'");
  EXPECT_EQ(parse({"review", "--action", "req.json"}).action, "req.json");
}

policy::Config config(policy::SandboxMode mode) {
  policy::Config c;
  c.sandbox_mode.value = mode;
  c.writable_roots.value = {"/cache"};
  c.protected_paths.value = {".git/hooks"};
  c.deny_read.value = {"/home/u/.ssh"};
  return c;
}

RunContext context() {
  return {"/w", {"PATH=/bin", "TMPDIR=/"}, {"make"}};
}

TEST(BuildSpec, WorkspaceWrite) {
  auto spec = build_spec(config(policy::SandboxMode::WorkspaceWrite), context());
  EXPECT_EQ(spec.mode, sandbox::Mode::WorkspaceWrite);
  EXPECT_EQ(spec.workspace, "/w");
  EXPECT_EQ(spec.cwd, "/w");
  EXPECT_EQ(spec.writable_roots, (std::vector<std::string>{"/cache", "/"}));  // + $TMPDIR
  EXPECT_TRUE(spec.tmp_writable);
  EXPECT_FALSE(spec.network);
  EXPECT_EQ(spec.protected_names, (std::vector<std::string>{".git/hooks"}));
  EXPECT_EQ(spec.deny_read, (std::vector<std::string>{"/home/u/.ssh"}));
  EXPECT_EQ(spec.env.back(), "WARDEN_SANDBOX=workspace-write");
}

TEST(BuildSpec, ExclusionsAndNetwork) {
  auto c = config(policy::SandboxMode::WorkspaceWrite);
  c.exclude_tmpdir_env_var.value = true;
  c.exclude_slash_tmp.value = true;
  c.network_access.value = true;
  auto spec = build_spec(c, context());
  EXPECT_EQ(spec.writable_roots, (std::vector<std::string>{"/cache"}));
  EXPECT_FALSE(spec.tmp_writable);
  EXPECT_TRUE(spec.network);
}

TEST(BuildSpec, ReadOnlyHasNoWritableRootsNoNetworkButKeepsDenyRead) {
  auto c = config(policy::SandboxMode::ReadOnly);
  c.network_access.value = true;  // applies to workspace-write only, as in Codex
  auto spec = build_spec(c, context());
  EXPECT_TRUE(spec.writable_roots.empty());
  EXPECT_FALSE(spec.tmp_writable);
  EXPECT_FALSE(spec.network);
  EXPECT_EQ(spec.deny_read.size(), 1u);
}

TEST(BuildSpec, DangerFullAccessHasTheHostNetwork) {
  auto spec = build_spec(config(policy::SandboxMode::DangerFullAccess), context());
  EXPECT_EQ(spec.mode, sandbox::Mode::FullAccess);
  EXPECT_TRUE(spec.network);
}

}  // namespace
}  // namespace warden::supervisor
