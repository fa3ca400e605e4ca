// B#22 (pointer swap) and B#23 (path swap): one thread flips the bytes of a path or an address
// between an inside name and an outside or protected one while another thread makes the call.
// Every race has a budget of 10^5 attempts and about 10 s; the host judges by what appeared.
#include <sys/stat.h>

#include <iostream>

#include "escape.hpp"

namespace warden::test::escape {
namespace {

constexpr long kBudget = 100000;  // attempts per race, over its two halves
constexpr long kHalfMs = 4500;    // wall time per half
constexpr long kExecMs = 9000;    // the exec race has a single half

long attempts(const Result& r) {
  auto at = r.out.find("attempts=");
  return at == std::string::npos ? -1 : std::atol(r.out.c_str() + at + 9);
}

// Runs one half of a race; returns the attempts the attack made.
long race_half(Escape& t, const std::string& op, const std::string& inside,
               const std::string& other, long budget, long ms,
               const std::vector<std::string>& options = {"-a", "never"},
               const std::vector<std::string>& env = {}) {
  auto r = t.run_attack({"race", op, inside, other, std::to_string(budget), std::to_string(ms)},
                        options, env);
  EXPECT_EQ(r.code, 0) << op << ": " << r.out << r.err;
  long n = attempts(r);
  EXPECT_GT(n, 0) << r.out << r.err;
  return n;
}

void report(const std::string& op, long n) {
  std::cout << "[ race ] " << op << ": " << n << " attempts\n";
  ::testing::Test::RecordProperty("attempts", static_cast<int>(n));
}

// B#22/B#23, open(O_CREAT): a new name outside, a hook in the protected .git/hooks.
TEST_F(Escape, PathSwapRaceOpen) {
  git_init(ws_.path());
  long n = race_half(*this, "open", ws_ / "inside", out_ / "escaped", kBudget / 2, kHalfMs);
  n += race_half(*this, "open", ws_ / "inside", ws_ / ".git/hooks/post-checkout", kBudget / 2,
                 kHalfMs);
  report("open", n);
  EXPECT_TRUE(exists(ws_ / "inside")) << "the inside name never won: the race did not race";
  EXPECT_FALSE(exists(out_ / "escaped"));
  EXPECT_FALSE(exists(ws_ / ".git/hooks/post-checkout"));
}

// B#22/B#23, creat() truncates: an existing file outside, the protected .git/config.
TEST_F(Escape, PathSwapRaceCreat) {
  git_init(ws_.path());
  const auto config = read_text(ws_ / ".git/config");
  const std::string c = canary("existing");
  long n = race_half(*this, "creat", ws_ / "inside", c, kBudget / 2, kHalfMs);
  n += race_half(*this, "creat", ws_ / "inside", ws_ / ".git/config", kBudget / 2, kHalfMs);
  report("creat", n);
  EXPECT_TRUE(exists(ws_ / "inside")) << "the inside name never won: the race did not race";
  EXPECT_EQ(read_text(c), "canary\n");
  EXPECT_EQ(read_text(ws_ / ".git/config"), config);
}

// B#22/B#23, rename() onto a new name outside and into the protected .git/hooks.
TEST_F(Escape, PathSwapRaceRename) {
  git_init(ws_.path());
  long n = race_half(*this, "rename", ws_ / "inside", out_ / "escaped", kBudget / 2, kHalfMs);
  n += race_half(*this, "rename", ws_ / "inside", ws_ / ".git/hooks/pre-commit", kBudget / 2,
                 kHalfMs);
  report("rename", n);
  EXPECT_TRUE(exists(ws_ / "inside")) << "the inside name never won: the race did not race";
  EXPECT_FALSE(exists(out_ / "escaped"));
  EXPECT_FALSE(exists(ws_ / ".git/hooks/pre-commit"));
}

// B#22/B#23, mkdir(): a directory outside, and a new repository (a protected name).
TEST_F(Escape, PathSwapRaceMkdir) {
  ::mkdir((ws_ / "sub").c_str(), 0755);
  long n = race_half(*this, "mkdir", ws_ / "inside", out_ / "escaped", kBudget / 2, kHalfMs);
  // A new repository is a protected name too.
  n += race_half(*this, "mkdir", ws_ / "inside", ws_ / "sub/.git", kBudget / 2, kHalfMs);
  report("mkdir", n);
  EXPECT_FALSE(exists(out_ / "escaped"));
  EXPECT_FALSE(exists(ws_ / "sub/.git"));
}

// B#22/B#23, connect(): the sockaddr itself is flipped.
TEST_F(Escape, PathSwapRaceConnect) {
  // A unix socket in the workspace (connected by warden in the sandbox) against a host one
  // outside; then a host port named in network_allow against one that is not.
  HostListener inside(HostListener::kPath, ws_ / "in.sock");
  HostListener outside(HostListener::kPath, out_ / "host.sock");
  long n =
      race_half(*this, "connect-unix", ws_ / "in.sock", out_ / "host.sock", kBudget / 2, kHalfMs);
  EXPECT_GT(inside.accepted(), 0) << "the inside name never won: the race did not race";
  EXPECT_EQ(outside.accepted(), 0) << "a connect reached the host socket";
  HostListener allowed(HostListener::kTcp), other(HostListener::kTcp);
  const std::string a = "127.0.0.1:" + std::to_string(allowed.port());
  const std::string b = "127.0.0.1:" + std::to_string(other.port());
  n += race_half(*this, "connect-inet", a, b, kBudget / 2, kHalfMs,
                 {"-a", "never", "-c", "warden.network_allow=[\"" + a + "\"]"});
  report("connect", n);
  EXPECT_GT(allowed.accepted(), 0) << "the allowed port never won: the race did not race";
  EXPECT_EQ(other.accepted(), 0) << "a connect reached a host port nobody allowed";
}

// B#22/B#23, execve(): the path (and argv[0], the same bytes) flipped between an allowed
// program and one under a skill root that policy refuses. Exec checks are policy, not a
// boundary (README, "What exec checks guarantee"): a racing thread may get the refused program
// executed, and that is reported, not failed. What must hold is the sandbox around whatever
// runs: the refused program's write outside never lands.
TEST_F(Escape, PathSwapRaceExecve) {
  TempDir skills("/var/tmp");
  ::mkdir((skills / "deploy").c_str(), 0755);
  const std::string ok = ws_ / "ok", bad = skills / "deploy/bad";
  ASSERT_EQ(
      ::system(("cp " + exec_target() + " " + ok + " && cp " + exec_target() + " " + bad).c_str()),
      0);
  const std::string marker = ws_ / "bypassed", escaped = out_ / "escaped";
  // skill_approval omitted from a granular table is false: every exec of `bad` is refused.
  long n = race_half(*this, "execve", ok, bad, kBudget, kExecMs,
                     {"-c", "warden.skill_roots=[\"" + skills.path() + "\"]", "-c",
                      "approval_policy={granular={sandbox_approval=false,rules=true,"
                      "mcp_elicitations=true}}"},
                     {"ESCAPE_MARKER=" + marker, "ESCAPE_CANARY=" + escaped});
  report("execve", n);
  auto ran = read_text(marker);
  long bypasses = ran ? static_cast<long>(ran->size() / 4) : 0;
  std::cout << "[ race ] execve: the refused program ran " << bypasses
            << " times (policy bypass, documented)\n";
  RecordProperty("policy_bypasses", static_cast<int>(bypasses));
  EXPECT_FALSE(exists(escaped)) << "the refused program wrote outside the sandbox";
}

}  // namespace
}  // namespace warden::test::escape
