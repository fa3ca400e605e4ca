#include "warden/reviewer/reviewer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace policy = warden::policy;
namespace json = warden::policy::json;
using warden::reviewer::DenyAll;
using warden::reviewer::ExternalCommand;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kApprove[] = R"({"decision":"approve","risk":"low","reason":"fine","rule":"t"})";

policy::Request file_write(std::string path, std::string workspace = "/home/u/proj") {
  policy::Request r;
  r.id = "17";
  r.category = policy::Category::SandboxApproval;
  r.kind = policy::Kind::FileWrite;
  r.syscall = "openat";
  r.pid = 4242;
  r.path = std::move(path);
  r.command = std::vector<std::string>{"npm", "install"};
  r.cwd = workspace;
  r.workspace = std::move(workspace);
  r.intent = "install deps";
  return r;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// /proc/PID/stat after the command name: state and process group.
struct ProcStat {
  char state = 0;
  pid_t pgrp = 0;
};
std::optional<ProcStat> proc_stat(pid_t pid) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(paren + 1));
  ProcStat s;
  pid_t ppid;
  if (!(rest >> s.state >> ppid >> s.pgrp)) return std::nullopt;
  return s;
}

// A process that is gone or a zombie is dead; only its parent's wait is still due.
bool dead(pid_t pid) {
  auto s = proc_stat(pid);
  return !s || s->state == 'Z' || s->state == 'X';
}

// Live processes in group pgid, waiting up to 2 s for SIGKILL to land.
std::vector<pid_t> live_members(pid_t pgid) {
  std::vector<pid_t> live;
  for (auto until = Clock::now() + std::chrono::seconds(2);;) {
    live.clear();
    for (const auto& e : fs::directory_iterator("/proc")) {
      const std::string name = e.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = std::stoi(name);
      auto s = proc_stat(pid);
      if (s && s->pgrp == pgid && s->state != 'Z' && s->state != 'X') live.push_back(pid);
    }
    if (live.empty() || Clock::now() > until) return live;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

pid_t read_pid(const fs::path& p) {
  const std::string text = read_file(p);
  return text.empty() ? 0 : std::stoi(text);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class ExternalCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "warden-reviewer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An executable sh script in the temp dir; "$D" in it is that dir.
  std::string script(const std::string& body, const std::string& name = "reviewer.sh") {
    const fs::path p = dir_ / name;
    write_file(p, "#!/bin/sh\nD='" + dir_.string() + "'\n" + body + "\n");
    fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }

  policy::Decision run(const std::string& body, std::int64_t timeout_s = 20,
                       const std::string& policy_text = "the policy",
                       const policy::Request& request = file_write("/home/u/proj/a")) {
    ExternalCommand reviewer({script(body)}, policy_text, timeout_s);
    return reviewer.review(request);
  }

  fs::path dir_;
};

}  // namespace

TEST(DenyAll, DeniesEveryRequestWithItsReason) {
  DenyAll reviewer("no reviewer is available: stdin is not a terminal");
  for (policy::Kind k : {policy::Kind::FileWrite, policy::Kind::Exec, policy::Kind::McpTool}) {
    policy::Request r = file_write("/home/u/proj/a");
    r.kind = k;
    const policy::Decision d = reviewer.review(r);
    EXPECT_EQ(d.verdict, policy::Verdict::Deny);
    EXPECT_EQ(d.reason, "no reviewer is available: stdin is not a terminal");
  }
}

TEST(ExternalCommandArgs, RejectsEmptyCommandAndNonPositiveTimeout) {
  EXPECT_THROW(ExternalCommand({}, "", 5), std::invalid_argument);
  EXPECT_THROW(ExternalCommand({"/bin/true"}, "", 0), std::invalid_argument);
  EXPECT_NO_THROW(ExternalCommand({"/bin/true"}, "", 1));
}

TEST_F(ExternalCommandTest, Approves) {
  const policy::Decision d = run(std::string("cat >/dev/null\necho '") + kApprove + "'");
  EXPECT_EQ(d.verdict, policy::Verdict::Approve);
  EXPECT_EQ(d.risk, policy::Risk::Low);
  EXPECT_EQ(d.reason, "fine");
  EXPECT_EQ(d.rule, "t");
}

TEST_F(ExternalCommandTest, Denies) {
  const policy::Decision d =
      run(R"(cat >/dev/null; echo '{"decision":"deny","risk":"high","reason":"no way"}')");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.risk, policy::Risk::High);
  EXPECT_EQ(d.reason, "no way");
}

TEST_F(ExternalCommandTest, EscalateIsReturnedAsIs) {
  const policy::Decision d = run(
      R"(cat >/dev/null; echo '{"decision":"escalate","risk":"critical","reason":"ask","rule":"r9"}')");
  EXPECT_EQ(d, (policy::Decision{policy::Verdict::Escalate, policy::Risk::Critical, "ask", "r9"}));
}

TEST_F(ExternalCommandTest, TimeoutKillsTheWholeProcessGroup) {
  const auto start = Clock::now();
  const policy::Decision d =
      run("echo $$ >\"$D/leader\"\nsleep 30 &\necho $! >\"$D/sleeper\"\n"
          "wait",
          1);
  const double elapsed = seconds_since(start);
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, "reviewer timed out after 1 s");
  EXPECT_GE(elapsed, 0.9);
  EXPECT_LT(elapsed, 5.0);

  const pid_t leader = read_pid(dir_ / "leader");
  const pid_t sleeper = read_pid(dir_ / "sleeper");
  ASSERT_GT(leader, 0);
  ASSERT_GT(sleeper, 0);
  EXPECT_EQ(live_members(leader), std::vector<pid_t>{});
  for (auto until = Clock::now() + std::chrono::seconds(2); !dead(sleeper) && Clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(dead(sleeper)) << "sleep " << sleeper << " survived";
}

TEST_F(ExternalCommandTest, LeftoverChildHoldingStdoutNeitherDelaysNorSurvives) {
  const auto start = Clock::now();
  const policy::Decision d = run(
      std::string("cat >/dev/null\nsleep 30 &\necho $! >\"$D/sleeper\"\necho '") + kApprove + "'",
      20);
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_EQ(d.verdict, policy::Verdict::Approve) << d.reason;
  const pid_t sleeper = read_pid(dir_ / "sleeper");
  ASSERT_GT(sleeper, 0);
  for (auto until = Clock::now() + std::chrono::seconds(2); !dead(sleeper) && Clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(dead(sleeper)) << "sleep " << sleeper << " survived";
}

TEST_F(ExternalCommandTest, RunsInItsOwnProcessGroup) {
  // Field 5 of /proc/self/stat is the process group; sh's comm has no spaces.
  const policy::Decision d = run(std::string("cat >/dev/null\nset -- $(cat /proc/$$/stat)\n"
                                             "[ \"$5\" = \"$$\" ] && echo '") +
                                 kApprove + "'");
  EXPECT_EQ(d.verdict, policy::Verdict::Approve) << d.reason;
}

TEST_F(ExternalCommandTest, CrashIsADeny) {
  const policy::Decision d = run("cat >/dev/null\nkill -SEGV $$");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, "reviewer killed by SIGSEGV");
}

TEST_F(ExternalCommandTest, GarbageIsADeny) {
  const policy::Decision d = run("cat >/dev/null\necho 'approve, I guess'");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason.rfind("reviewer answer: 1:1: ", 0), 0u) << d.reason;
}

TEST_F(ExternalCommandTest, InvalidDecisionIsADeny) {
  const policy::Decision d = run(R"(cat >/dev/null; echo '{"decision":"approved"}')");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, R"(reviewer answer: decision: expected one of "approve", "deny" or )"
                      R"("escalate", got the string "approved")");
}

TEST_F(ExternalCommandTest, NoAnswerIsADeny) {
  const policy::Decision d = run("cat >/dev/null\necho");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, "reviewer printed no answer");
}

TEST_F(ExternalCommandTest, HundredKibIsTooLarge) {
  const policy::Decision d = run("cat >/dev/null\nhead -c 102400 /dev/zero | tr '\\0' x\necho");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason.rfind("reviewer answer too large", 0), 0u) << d.reason;
}

TEST_F(ExternalCommandTest, EndlessOutputIsCutShort) {
  const auto start = Clock::now();
  const policy::Decision d = run("cat >/dev/null\nyes", 20);
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_EQ(d.reason.rfind("reviewer answer too large", 0), 0u) << d.reason;
}

TEST_F(ExternalCommandTest, AnswerOfExactlyTheLimitIsRead) {
  std::string answer = kApprove;
  answer.resize(ExternalCommand::kMaxAnswer, ' ');  // trailing spaces are valid JSON
  write_file(dir_ / "answer", answer);
  EXPECT_EQ(run("cat >/dev/null\ncat \"$D/answer\"").verdict, policy::Verdict::Approve);

  write_file(dir_ / "answer", answer + " ");
  const policy::Decision d = run("cat >/dev/null\ncat \"$D/answer\"");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason.rfind("reviewer answer too large", 0), 0u) << d.reason;
}

TEST_F(ExternalCommandTest, NonZeroExitAfterApproveIsADeny) {
  const policy::Decision d = run(std::string("cat >/dev/null\necho '") + kApprove + "'\nexit 3");
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, "reviewer exited with status 3");
}

TEST_F(ExternalCommandTest, ClosedStdinDoesNotKillWarden) {
  // A 1 MiB policy cannot fit in the pipe, so warden's write meets EPIPE: SIGPIPE's default
  // action would end this test process.
  ASSERT_EQ(::signal(SIGPIPE, SIG_DFL), SIG_DFL);
  const std::string big(1 << 20, 'p');
  const policy::Decision d =
      run(std::string("exec 0<&-\nsleep 0.2\necho '") + kApprove + "'", 20, big);
  EXPECT_EQ(d.verdict, policy::Verdict::Approve) << d.reason;

  const policy::Decision quick = run(std::string("echo '") + kApprove + "'", 20, big);
  EXPECT_EQ(quick.verdict, policy::Verdict::Approve) << quick.reason;
}

TEST_F(ExternalCommandTest, ReceivesThePolicyText) {
  const policy::Decision d =
      run("if grep -q 'MARKER-7f3a'; then echo '{\"decision\":\"approve\",\"reason\":\"saw it\"}';"
          " else echo '{\"decision\":\"deny\"}'; fi",
          20, "Never approve ~/.ssh.\nMARKER-7f3a \"quoted\"");
  EXPECT_EQ(d.verdict, policy::Verdict::Approve);
  EXPECT_EQ(d.reason, "saw it");

  const policy::Decision without =
      run("if grep -q 'MARKER-7f3a'; then echo '{\"decision\":\"approve\"}'; else echo "
          "'{\"decision\":\"deny\",\"reason\":\"no marker\"}'; fi",
          20, "some other policy");
  EXPECT_EQ(without.verdict, policy::Verdict::Deny);
  EXPECT_EQ(without.reason, "no marker");
}

TEST_F(ExternalCommandTest, StdinIsTheRequestPlusPolicyThenEof) {
  const std::string policy_text = "line one\nline two \xff \"q\"";
  const policy::Request request = file_write("/home/u/proj/caf\xe9\x01");
  const policy::Decision d =
      run(std::string("cat >\"$D/stdin\"\necho '") + kApprove + "'", 20, policy_text, request);
  EXPECT_EQ(d.verdict, policy::Verdict::Approve);

  const std::string got = read_file(dir_ / "stdin");
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.find('\n'), got.size() - 1) << "one line, newline-terminated: " << got;
  EXPECT_EQ(got.rfind(policy::to_json(request).substr(0, policy::to_json(request).size() - 1), 0),
            0u)
      << got;
  const json::Value v = json::parse(got);
  ASSERT_NE(v.find("policy"), nullptr);
  EXPECT_EQ(v.find("policy")->as_string(), policy_text);
  EXPECT_EQ(policy::request_from_json(got), request);
}

TEST_F(ExternalCommandTest, StderrIsWardens) {
  testing::internal::CaptureStderr();
  const policy::Decision d =
      run(std::string("cat >/dev/null\necho 'thinking hard' >&2\necho '") + kApprove + "'");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.verdict, policy::Verdict::Approve) << d.reason;
  EXPECT_NE(err.find("thinking hard"), std::string::npos) << err;
}

TEST_F(ExternalCommandTest, OnlyStdioIsInherited) {
  const int leaked = ::fcntl(::open("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD, 100);
  ASSERT_GE(leaked, 100);
  const std::string check = "[ -e /proc/$$/fd/" + std::to_string(leaked) + " ]";
  const policy::Decision d =
      run("cat >/dev/null\nif " + check +
          "; then echo '{\"decision\":\"deny\",\"reason\":\"fd leaked\"}'; else echo '" + kApprove +
          "'; fi");
  ::close(leaked);
  EXPECT_EQ(d.verdict, policy::Verdict::Approve) << d.reason;
}

TEST_F(ExternalCommandTest, SignalsStartClean) {
  // warden blocks forwarded signals and ignores SIGPIPE; its reviewer must not inherit that.
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, &old);
  auto old_int = ::signal(SIGINT, SIG_IGN);
  // cp reports its own state untouched (a shell would reset its mask itself); it answers nothing.
  ExternalCommand reviewer({"cp", "/proc/self/status", (dir_ / "status").string()}, "", 10);
  const policy::Decision d = reviewer.review(file_write("/home/u/proj/a"));
  ::signal(SIGINT, old_int);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(d.reason, "reviewer printed no answer");

  std::istringstream status(read_file(dir_ / "status"));
  std::optional<unsigned long long> blocked, ignored;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigBlk:", 0) == 0) blocked = std::stoull(line.substr(7), nullptr, 16);
    if (line.rfind("SigIgn:", 0) == 0) ignored = std::stoull(line.substr(7), nullptr, 16);
  }
  ASSERT_TRUE(blocked && ignored);
  EXPECT_EQ(*blocked, 0u);
  // Bits 0-30 are signals 1-31. glibc's posix_spawn leaves its own internal signals (32, 33)
  // ignored; nothing else may be.
  EXPECT_EQ(*ignored & 0x7fffffffu, 0u) << std::hex << *ignored;
}

TEST_F(ExternalCommandTest, MissingCommandIsADeny) {
  ExternalCommand reviewer({(dir_ / "no-such-reviewer").string()}, "", 5);
  const policy::Decision d = reviewer.review(file_write("/home/u/proj/a"));
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, "cannot run reviewer " + (dir_ / "no-such-reviewer").string() +
                          ": No such file or directory");
}

TEST_F(ExternalCommandTest, NonExecutableCommandIsADeny) {
  const std::string path = script("echo hi");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  ExternalCommand reviewer({path}, "", 5);
  const policy::Decision d = reviewer.review(file_write("/home/u/proj/a"));
  EXPECT_EQ(d.verdict, policy::Verdict::Deny);
  EXPECT_EQ(d.reason, "cannot run reviewer " + path + ": Permission denied");
}

TEST_F(ExternalCommandTest, ArgumentsReachTheCommand) {
  const std::string path = script(R"(cat >/dev/null; [ "$1" = "--strict" ] && [ "$2" = "a b" ] &&)"
                                  R"( echo '{"decision":"approve"}')");
  ExternalCommand reviewer({"/bin/sh", path, "--strict", "a b"}, "", 5);
  EXPECT_EQ(reviewer.review(file_write("/home/u/proj/a")).verdict, policy::Verdict::Approve);
}

// ---- the example reviewer

namespace {

std::string example_script() {
  return (fs::path(__FILE__).parent_path() / "../../../reviewer/examples/approve-workspace.sh")
      .lexically_normal()
      .string();
}

}  // namespace

TEST(ExampleReviewer, ApprovesOnlyWritesInsideTheWorkspace) {
  ASSERT_TRUE(fs::exists(example_script())) << example_script();
  ExternalCommand reviewer({"/bin/sh", example_script()}, "policy with \"path\":\"/home/u/proj/x",
                           10);
  struct Case {
    policy::Request request;
    policy::Verdict verdict;
  };
  policy::Request read = file_write("/home/u/proj/a");
  read.kind = policy::Kind::FileRead;
  policy::Request mcp = file_write("/home/u/proj/a");
  mcp.kind = policy::Kind::McpTool;
  policy::Request nested = file_write("");
  nested.path.reset();
  nested.arguments = json::parse(R"({"path":"/home/u/proj/a"})");
  const Case cases[] = {
      {file_write("/home/u/proj/a.txt"), policy::Verdict::Approve},
      {file_write("/home/u/proj/sub/dir/x y*.txt"), policy::Verdict::Approve},
      {file_write("/home/u/proj/a", "/home/u/proj/"), policy::Verdict::Approve},
      {file_write("/home/u/.bashrc"), policy::Verdict::Deny},
      {file_write("/home/u/proj"), policy::Verdict::Deny},
      {file_write("/home/u/projX/a"), policy::Verdict::Deny},
      {file_write("/home/u/proj/../.bashrc"), policy::Verdict::Deny},
      {file_write("/home/u/proj/./a"), policy::Verdict::Deny},
      {file_write("/home/u/proj/a\"/../../x"), policy::Verdict::Deny},
      {file_write("/home/u/proj/a\n"), policy::Verdict::Deny},
      {file_write("/home/u/proj/caf\xe9"), policy::Verdict::Deny},  // escaped: not decoded
      {file_write("/home/u/pro*/a", "/home/u/pro*"), policy::Verdict::Approve},
      {file_write("/home/u/proj/a", "/home/u/pro*"), policy::Verdict::Deny},
      {file_write("/etc/passwd", ""), policy::Verdict::Deny},
      {read, policy::Verdict::Deny},
      {mcp, policy::Verdict::Deny},
      {nested, policy::Verdict::Deny},
  };
  for (const Case& c : cases) {
    const policy::Decision d = reviewer.review(c.request);
    EXPECT_EQ(d.verdict, c.verdict) << policy::to_json(c.request) << "\n  " << d.reason;
    EXPECT_EQ(d.rule, "approve-workspace") << d.reason;
  }
}
