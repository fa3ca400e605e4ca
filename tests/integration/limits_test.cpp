// Resource limits end to end: a fork bomb is contained (judged from outside: the most processes
// warden's tree ever had at once), -v and the audit log name what limits the tree, a memory limit
// kills a command that goes past it or, with no cgroup to apply it, the command does not run, and
// bad values are configuration errors naming file:line:col.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "common.hpp"

namespace warden::test {
namespace {

// Each test runs as the current user and, when the tests run as root with WARDEN_TEST_USER set,
// again as that unprivileged user (for whom cgroups are usually not delegated: RLIMIT_NPROC).
class LimitsRun : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      user_ = test_user();
      if (!user_) GTEST_SKIP() << "no unprivileged test user (run as root with WARDEN_TEST_USER)";
    }
    ws_.give_to(user_);
  }
  std::vector<std::string> argv(const std::vector<std::string>& cmd,
                                const std::vector<std::string>& options = {}) const {
    return env_.argv(ws_.path(), options, cmd);
  }
  Result run(const std::vector<std::string>& cmd, const std::vector<std::string>& options = {}) {
    return test::run(argv(cmd, options), env_.options(user_));
  }
  // warden's -v line for the limits layer: "warden: limits             on  cgroup ...".
  std::string layer(const std::vector<std::string>& options) {
    std::vector<std::string> o = {"-v"};
    o.insert(o.end(), options.begin(), options.end());
    auto r = run({"true"}, o);
    std::istringstream err(r.err);
    for (std::string line; std::getline(err, line);)
      if (line.rfind("warden: limits ", 0) == 0) return line;
    return "(no limits layer; exit " + std::to_string(r.code) + ") " + r.err;
  }
  static bool enforced(const std::string& line) { return line.find(" on  ") != std::string::npos; }

  Env env_;
  TempDir ws_;
  std::optional<std::pair<uid_t, gid_t>> user_;
};

INSTANTIATE_TEST_SUITE_P(Limits, LimitsRun, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "unprivileged" : "self"; });

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

TEST_P(LimitsRun, VerboseShowsTheLimitsLayer) {
  const std::string line = layer({"-c", "warden.max_processes=64"});
  std::printf("[ layer    ] %s\n", line.c_str());
  ASSERT_EQ(line.rfind("warden: limits ", 0), 0u) << line;
  if (enforced(line)) {
    EXPECT_TRUE(contains(line, "pids.max=64") || contains(line, "RLIMIT_NPROC=64")) << line;
  } else {
    // Only root escapes RLIMIT_NPROC; then the layer says why nothing enforces the limit.
    EXPECT_EQ(::geteuid(), 0u) << line;
    EXPECT_FALSE(user_.has_value()) << line;
    EXPECT_TRUE(contains(line, "not enforced")) << line;
  }
  if (user_) {
    // RLIMIT_NPROC works for every unprivileged user, delegated cgroup or not.
    EXPECT_TRUE(enforced(line)) << line;
  }
  // The default applies without any configuration.
  const std::string dflt = layer({});
  EXPECT_TRUE(contains(dflt, "pids.max=4096") || contains(dflt, "RLIMIT_NPROC=4096") ||
              contains(dflt, "pid_max=4097") || contains(dflt, "max_processes=4096 not enforced"))
      << dflt;
}

// From 1024 up, on Linux 6.14 and later, the limit is the sandbox's own pid_max: no cgroup, and
// it binds root as well as everyone else.
TEST_P(LimitsRun, LargeLimitIsThePidNamespacesPidMax) {
  constexpr int kLimit = 1100;
  const std::string line = layer({"-c", "warden.max_processes=" + std::to_string(kLimit)});
  if (!contains(line, "pid_max=")) GTEST_SKIP() << "no per-namespace pid_max here: " << line;
  EXPECT_TRUE(contains(line, "pid_max=1101")) << line;
  const std::string bomb =
      "n=0; while [ $n -lt 1500 ]; do sleep 60 & n=$((n+1)); echo $n; done; echo uncontained";
  Result r = test::run(argv({"timeout", "60", "sh", "-c", bomb},
                            {"-c", "warden.max_processes=" + std::to_string(kLimit)}),
                       env_.options(user_));
  EXPECT_FALSE(contains(r.out, "uncontained")) << r.out;
  EXPECT_TRUE(contains(r.err, "fork")) << r.err;
  int forked = 0;
  std::istringstream out(r.out);
  for (std::string l; std::getline(out, l);) forked = std::atoi(l.c_str());
  // init, timeout and sh hold three of the pids.
  EXPECT_LE(forked, kLimit - 3);
  EXPECT_GE(forked, kLimit - 10);
}

TEST_P(LimitsRun, ProfileSetsTheLimit) {
  write_text(env_.home() / "config.toml", "[profiles.tight.warden]\nmax_processes = 16\n");
  const std::string line = layer({"-p", "tight"});
  EXPECT_TRUE(contains(line, "pids.max=16") || contains(line, "RLIMIT_NPROC=16") ||
              contains(line, "max_processes=16 not enforced"))
      << line;
}

TEST_P(LimitsRun, ForkBombIsContained) {
  constexpr int kLimit = 64;
  const std::string line = layer({"-c", "warden.max_processes=" + std::to_string(kLimit)});
  // Never run an uncontained bomb: it would take the host's pids with it.
  if (!enforced(line)) GTEST_SKIP() << "nothing enforces max_processes here: " << line;

  // Forks sleeping children until fork fails (dash then stops with "Cannot fork"), at most
  // 1000 times: far more than the limit, far fewer than would hurt the host if it did not hold.
  const std::string bomb =
      "n=0; while [ $n -lt 1000 ]; do sleep 60 & n=$((n+1)); echo $n; done; echo uncontained";
  Process p(argv({"timeout", "60", "sh", "-c", bomb},
                 {"-c", "warden.max_processes=" + std::to_string(kLimit)}),
            env_.options(user_));
  std::atomic<bool> done{false};
  std::size_t peak = 0;
  std::thread watch([&] {
    // Everything the sandbox runs descends from warden: its init, timeout, sh, the sleeps.
    while (!done) {
      // /proc/PID/task/TID/children may list a pid twice while the tree changes: count each once.
      const auto d = descendants(p.pid());
      peak = std::max(peak, std::set<pid_t>(d.begin(), d.end()).size());
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const auto started = std::chrono::steady_clock::now();
  Result r = p.finish();
  done = true;
  watch.join();
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();

  EXPECT_FALSE(contains(r.out, "uncontained")) << r.out;
  EXPECT_TRUE(contains(r.err, "fork")) << r.err;  // "sh: 1: Cannot fork"
  EXPECT_EQ(r.code, 2) << r.err;                  // sh's status, passed on by timeout and warden
  EXPECT_LT(seconds, 30);                         // not timeout's kill, not a hang
  int forked = 0;
  std::istringstream out(r.out);
  for (std::string l; std::getline(out, l);) forked = std::atoi(l.c_str());
  EXPECT_LE(forked, kLimit);
  EXPECT_GE(forked, kLimit / 2) << "the limit is far below max_processes: " << line;
  EXPECT_LE(peak, static_cast<std::size_t>(kLimit) + 3) << "init, timeout and sh count too";
  std::printf("[ bomb     ] %d forks, at most %zu processes at once, %lld s\n", forked, peak,
              static_cast<long long>(seconds));
  // The run's cgroup is gone with it (and the one of the -v run before).
  const auto at = line.find("cgroup ");
  if (at != std::string::npos) {
    std::string dir = line.substr(at + 7, line.find(": ", at) - at - 7);
    if (dir.rfind("v1 ", 0) == 0) dir = dir.substr(3);
    EXPECT_FALSE(exists(dir)) << dir;
    dir = dir.substr(0, dir.rfind('/')) + "/warden-" + std::to_string(p.pid());
    EXPECT_FALSE(exists(dir)) << dir;
  }
}

TEST_P(LimitsRun, MemoryLimitKillsAnAllocationPastIt) {
  const std::vector<std::string> options = {"-c", "warden.memory_max=\"64M\""};
  // dd fills its one 256 MiB block: all of it is touched, so all of it is charged.
  auto r = run({"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"}, options);
  if (r.code == 126 && contains(r.err, "limits: memory_max = 64M needs a cgroup v2"))
    GTEST_SKIP() << "no cgroup v2 with the memory controller for this user: " << r.err;
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.err;  // the OOM killer
  r = run({"dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=4"}, options);
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string line = layer(options);
  EXPECT_TRUE(contains(line, "memory.max=64M")) << line;
}

TEST_P(LimitsRun, MemoryOrCpuLimitWithoutCgroupDoesNotRun) {
  for (const std::string option : {"warden.memory_max=\"64M\"", "warden.cpu_max=1.5"}) {
    const std::string marker = ws_ / "ran";
    auto r = run({"touch", marker}, {"-v", "-c", option});
    if (r.code == 126) {
      // Fail closed: the user asked for a limit that cannot be applied.
      EXPECT_TRUE(contains(r.err, "warden: limits: ")) << r.err;
      EXPECT_TRUE(contains(r.err, "needs a cgroup v2 that warden may manage")) << r.err;
      EXPECT_TRUE(contains(r.err, "warden: hint: ")) << r.err;
      EXPECT_TRUE(contains(r.err, "systemd-run --user --scope -p Delegate=yes")) << r.err;
      EXPECT_FALSE(exists(marker)) << "the command ran without its limit";
      std::printf("[ no cgroup] %s", r.err.c_str());
    } else {
      EXPECT_EQ(r.code, 0) << r.err;
      EXPECT_TRUE(exists(marker));
      EXPECT_TRUE(contains(r.err, option.find("cpu") != std::string::npos ? "cpu.max=150000 100000"
                                                                          : "memory.max=64M"))
          << r.err;
    }
    ::unlink(marker.c_str());
  }
}

TEST_P(LimitsRun, AuditStartEventHasTheLayer) {
  const std::string log = ws_ / "audit.jsonl";
  auto r = run({"true"}, {"--audit", log, "-c", "warden.max_processes=64"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto text = read_text(log).value_or("");
  EXPECT_TRUE(contains(text, "\"limits\":{\"active\":")) << text;
  EXPECT_TRUE(contains(text, "=64")) << text;
}

// Configuration errors: 125, file:line:col and what was expected, and nothing runs.
class LimitsConfig : public ::testing::Test {
 protected:
  Result run_with(const std::string& config, const std::vector<std::string>& options = {}) {
    write_text(env_.home() / "config.toml", config);
    return test::run(env_.argv(ws_.path(), options, {"touch", ws_ / "ran"}), env_.options());
  }
  Env env_;
  TempDir ws_;
};

TEST_F(LimitsConfig, BadValuesAreUsageErrors) {
  const std::string file = env_.home() / "config.toml";
  const struct {
    const char* config;
    const char* error;
  } cases[] = {
      {"[warden]\nmax_processes = 0\n",
       ":2:17: warden.max_processes: expected a number of processes from 1 to 4194304, got 0"},
      {"[warden]\nmemory_max = \"4 GB\"\n",
       ":2:14: warden.memory_max: expected a size such as \"512M\", \"4G\" or \"1073741824\""},
      {"[warden]\ncpu_max = -1\n",
       ":2:11: warden.cpu_max: expected a number of CPUs from 0.01 to 4096"},
      {"[profiles.x.warden]\ncpu_max = \"fast\"\n",
       ":2:11: profiles.x.warden.cpu_max: expected a number of CPUs"},
  };
  for (const auto& c : cases) {
    auto r = run_with(c.config);
    EXPECT_EQ(r.code, 125) << c.config << r.err;
    EXPECT_TRUE(contains(r.err, "warden: " + file + c.error)) << r.err;
    EXPECT_FALSE(exists(ws_ / "ran"));
  }
  auto r = run_with("", {"-c", "warden.max_processes=lots"});
  EXPECT_EQ(r.code, 125);
  EXPECT_TRUE(contains(r.err,
                       "-c warden.max_processes=lots: warden.max_processes: expected an "
                       "integer, got \"lots\""))
      << r.err;
  EXPECT_FALSE(exists(ws_ / "ran"));
}

TEST_F(LimitsConfig, ConfigCommandShowsTheKeysAndSources) {
  const std::string file = env_.home() / "config.toml";
  write_text(file, "[warden]\nmemory_max = \"2G\"\n");
  auto r = test::run({warden(), "config", "--requirements", env_.home() / "requirements.toml", "-c",
                      "warden.cpu_max=0.5"},
                     env_.options());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "max_processes = 4096  # built-in default\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "memory_max = \"2G\"  # " + file + ":2:14\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "cpu_max = 0.5  # -c warden.cpu_max=0.5\n")) << r.out;
}

}  // namespace
}  // namespace warden::test
