// The baseline seccomp filter (one test per refused call, run inside the sandbox), the lifecycle
// (signals, death of warden, exit statuses), set-up failures (126, the command never runs), the
// audit log and bad input (125, nothing runs).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common.hpp"
#include "warden/policy/json.hpp"

namespace warden::test {
namespace {

class Lifecycle : public ::testing::Test {
 protected:
  Result run(const std::vector<std::string>& cmd, const std::vector<std::string>& options = {},
             RunOptions extra = {}) {
    RunOptions o = env_.options();
    o.refuse = extra.refuse;
    return test::run(env_.argv(ws_.path(), options, cmd), o);
  }
  Env env_;
  TempDir ws_;
};

struct Refused {
  const char* action;
  const char* expected;
};

class BaselineFilter : public Lifecycle, public ::testing::WithParamInterface<Refused> {};

TEST_P(BaselineFilter, RefusesTheCall) {
  auto r = run(probe_cmd({GetParam().action}));
  EXPECT_EQ(r.out, std::string(GetParam().expected) + "\n") << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Calls, BaselineFilter,
    ::testing::Values(Refused{"io_uring_setup", "errno=ENOSYS"}, Refused{"clone3", "errno=ENOSYS"},
                      Refused{"bpf", "errno=EPERM"}, Refused{"perf_event_open", "errno=EPERM"},
                      Refused{"userfaultfd", "errno=EPERM"}, Refused{"keyctl", "errno=EPERM"},
                      Refused{"add_key", "errno=EPERM"}, Refused{"request_key", "errno=EPERM"},
                      Refused{"kexec_load", "errno=EPERM"}, Refused{"init_module", "errno=EPERM"},
                      Refused{"finit_module", "errno=EPERM"},
                      Refused{"delete_module", "errno=EPERM"}, Refused{"mount", "errno=EPERM"},
                      Refused{"pivot_root", "errno=EPERM"}, Refused{"open_tree", "errno=EPERM"},
                      Refused{"fsopen", "errno=EPERM"}, Refused{"move_mount", "errno=EPERM"},
                      Refused{"mount_setattr", "errno=EPERM"}, Refused{"chroot", "errno=EPERM"},
                      Refused{"unshare_user", "errno=EPERM"}, Refused{"unshare_net", "errno=EPERM"},
                      Refused{"unshare_mnt", "errno=EPERM"},
                      Refused{"clone_newuser", "errno=EPERM"}, Refused{"setns", "errno=EPERM"},
                      Refused{"open_by_handle_at", "errno=EPERM"},
                      Refused{"name_to_handle_at", "errno=EPERM"},
                      Refused{"tiocsti", "errno=EPERM"}, Refused{"tiocsti_high", "errno=EPERM"},
                      Refused{"tioclinux", "errno=EPERM"}, Refused{"personality", "errno=EPERM"},
                      Refused{"ptrace", "errno=EPERM"}, Refused{"process_vm_readv", "errno=EPERM"},
                      Refused{"socket_packet", "errno=EAFNOSUPPORT"},
                      Refused{"socket_vsock", "errno=EAFNOSUPPORT"},
                      Refused{"socket_alg", "errno=EAFNOSUPPORT"}, Refused{"acct", "errno=EPERM"},
                      Refused{"reboot", "errno=EPERM"}, Refused{"settimeofday", "errno=EPERM"},
                      Refused{"swapon", "errno=EPERM"}, Refused{"syslog", "errno=EPERM"},
                      // Controls: what the filter must leave alone.
                      Refused{"personality_query", "ok"}, Refused{"socket_inet", "ok"}),
    [](const auto& info) { return std::string(info.param.action); });

TEST_F(Lifecycle, ForeignAbisAreKilled) {
  auto r = run(probe_cmd({"int80"}));
  EXPECT_EQ(r.code, 128 + SIGSYS) << r.out << r.err;
  EXPECT_EQ(r.out.find("int80 returned"), std::string::npos);
  r = run(probe_cmd({"x32"}));
  EXPECT_EQ(r.code, 128 + SIGSYS) << r.out << r.err;
}

TEST_F(Lifecycle, UmountOfAMaskFails) {
  TempDir secret("/var/tmp");
  auto r = run(probe_cmd({"umount", secret.path()}),
               {"-c", "warden.deny_read=[\"" + secret.path() + "\"]"});
  EXPECT_EQ(r.out, "errno=EPERM\n");
}

TEST_F(Lifecycle, TermToWardenIsForwardedToTheCommand) {
  RunOptions o = env_.options();
  Process p(env_.argv(ws_.path(), {}, probe_cmd({"signal"})), o);
  ASSERT_TRUE(p.wait_for_output("ready"));
  ::kill(p.pid(), SIGTERM);
  auto r = p.finish();
  EXPECT_NE(r.out.find("got=TERM"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.code, 42);
}

TEST_F(Lifecycle, KillingWardenKillsTheWholeTree) {
  RunOptions o = env_.options();
  Process p(
      env_.argv(ws_.path(), {}, {"/bin/sh", "-c", "sleep 300 & sleep 300 & echo started; wait"}),
      o);
  ASSERT_TRUE(p.wait_for_output("started"));
  auto tree = descendants(p.pid());
  ASSERT_GE(tree.size(), 4u);  // init, sh, two sleeps
  ::kill(p.pid(), SIGKILL);
  p.finish();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (pid_t pid : tree) {
    while (alive(pid) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(alive(pid)) << "pid " << pid << " survived warden";
  }
}

TEST_F(Lifecycle, UnknownCommandIs127WithAMessage) {
  auto r = run({"/nonexistent/command"});
  EXPECT_EQ(r.code, 127);
  EXPECT_NE(r.err.find("cannot execute '/nonexistent/command'"), std::string::npos) << r.err;
  r = run({"no-such-command-anywhere"});
  EXPECT_EQ(r.code, 127);
}

TEST_F(Lifecycle, ACommandNamedLikeAnOptionIsRunNotParsed) {
  write_text(ws_ / "--help", "#!/bin/sh\necho ran-dash-help\n");
  ::chmod((ws_ / "--help").c_str(), 0755);
  auto r = test::run({warden(), "run", "-C", ws_.path(), "--", "./--help"}, env_.options());
  EXPECT_EQ(r.out, "ran-dash-help\n") << r.err;
  r = test::run({warden(), "run", "--bogus-option", "true"}, env_.options());
  EXPECT_EQ(r.code, 125);
}

// A machine where part of the sandbox cannot be set up: the kernel refusal is simulated with a
// seccomp filter on warden itself. The command must not run and warden must say why.
struct Missing {
  const char* name;
  long nr;
  int err;
  const char* mentions;
};

class SetupFailure : public Lifecycle, public ::testing::WithParamInterface<Missing> {};

TEST_P(SetupFailure, Exits126WithoutRunningTheCommand) {
  RunOptions extra;
  extra.refuse = {{static_cast<int>(GetParam().nr), GetParam().err}};
  auto r = run({"/bin/sh", "-c", "echo ran > " + (ws_ / "marker")}, {}, extra);
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_FALSE(exists(ws_ / "marker"));
  EXPECT_NE(r.err.find(GetParam().mentions), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the command did not run"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Parts, SetupFailure,
    ::testing::Values(Missing{"namespaces", SYS_clone3, EPERM, "namespaces"},
                      Missing{"landlock", SYS_landlock_create_ruleset, ENOSYS, "Landlock"},
                      Missing{"mounts", SYS_fsopen, EPERM, "fsopen"},
                      Missing{"proc", SYS_open_tree, EPERM, "mount namespace"},
                      Missing{"seccomp", SYS_seccomp, EINVAL, "seccomp"},
                      Missing{"capabilities", SYS_capset, EPERM, "capabilities"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(Lifecycle, AuditLogHasStartAndExitEvents) {
  std::string log = ws_ / "audit.jsonl";
  auto r = run(probe_cmd({"exit", "3"}), {"--audit", log});
  EXPECT_EQ(r.code, 3);
  auto text = read_text(log);
  ASSERT_TRUE(text);
  std::vector<policy::json::Value> events;
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    ASSERT_NE(nl, std::string::npos) << "every record ends with a newline";
    events.push_back(policy::json::parse(text->substr(start, nl - start)));
    start = nl + 1;
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].find("event")->as_string(), "start");
  EXPECT_EQ(events[0].find("sandbox_mode")->as_string(), "workspace-write");
  const auto* layers = events[0].find("layers");
  ASSERT_NE(layers, nullptr);
  ASSERT_NE(layers->find("landlock"), nullptr);
  EXPECT_TRUE(layers->find("landlock")->find("active")->as_bool());
  EXPECT_TRUE(layers->find("seccomp")->find("active")->as_bool());
  EXPECT_EQ(events[1].find("event")->as_string(), "exit");
  EXPECT_EQ(events[1].find("status")->as_int(), 3);
}

TEST_F(Lifecycle, AuditRecordsNonUtf8PathsAsValidJson) {
  std::string odd = ws_.path() + "/bad\xff\xfe\x01name";
  ASSERT_EQ(::mkdir(odd.c_str(), 0755), 0);
  std::string log = ws_ / "audit.jsonl";
  auto r = test::run({warden(), "run", "-C", odd, "--audit", log, "--", "true"}, env_.options());
  EXPECT_EQ(r.code, 0) << r.err;
  auto text = read_text(log);
  ASSERT_TRUE(text);
  auto first = text->substr(0, text->find('\n'));
  auto ev = policy::json::parse(first);
  EXPECT_EQ(ev.find("workspace")->as_string(), odd);  // the bytes round-trip
}

TEST_F(Lifecycle, BadConfigurationExits125AndRunsNothing) {
  write_text(env_.home() / "config.toml", "sandbox_mode = \"sandboxed\"\n");
  auto r = run({"/bin/sh", "-c", "echo ran > " + (ws_ / "marker")});
  EXPECT_EQ(r.code, 125);
  EXPECT_FALSE(exists(ws_ / "marker"));
  EXPECT_NE(r.err.find("config.toml:1:16"), std::string::npos) << r.err;
  r = run({"true"}, {"-c", "sandbox_mode=nonsense"});
  EXPECT_EQ(r.code, 125);
  r = run({"true"}, {"-c", "[broken"});
  EXPECT_EQ(r.code, 125);
}

TEST_F(Lifecycle, DangerFullAccessWritesAnywhere) {
  TempDir outside("/var/tmp");
  auto r = run(probe_cmd({"write", outside / "f"}), {"-s", "danger-full-access"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_TRUE(exists(outside / "f"));
}

}  // namespace
}  // namespace warden::test

namespace warden::test {
namespace {

TEST_F(Lifecycle, HostTmpIsPrivateUnlessSharedExplicitly) {
  TempDir host_tmp;  // under the host's /tmp
  write_text(host_tmp / "note", "host");
  ::chmod((host_tmp / "note").c_str(), 0644);
  auto r = run({"/bin/cat", host_tmp / "note"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  r = run({"/bin/sh", "-c", "cat " + (host_tmp / "note") + " && echo shared > " + (host_tmp / "w")},
          {"-c", "sandbox_workspace_write.writable_roots=[\"/tmp\"]"});
  EXPECT_EQ(r.out, "host") << r.err;
  EXPECT_EQ(read_text(host_tmp / "w"), "shared\n");
  // A program under the host's /tmp cannot be found inside; warden says why.
  ::system(("cp /bin/true " + (host_tmp / "tool")).c_str());
  r = run({host_tmp / "tool"});
  EXPECT_EQ(r.code, 127);
  EXPECT_NE(r.err.find("private /tmp"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace warden::test
