// Terminals, processes and descriptors: keystrokes pushed into the user's terminal, ptrace and
// signals aimed at warden, its init and host processes, other processes' memory, inherited
// descriptors. Judged by the terminal's input queue, the host's /proc and host processes.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <set>

#include "escape.hpp"

extern char** environ;

namespace warden::test::escape {
namespace {

struct TerminalRun {
  int code = -1;
  std::string out;
  int queued = -1;  // bytes waiting in the terminal's input afterwards
};

// Runs argv as a job started from a terminal with stdin redirected (`cmd < /dev/null`): stdout
// and stderr are the terminal, which is its controlling terminal. Afterwards, whatever waits in
// the terminal's input is what the user's shell would read and run next.
TerminalRun run_on_terminal(const std::vector<std::string>& argv,
                            const std::vector<std::string>& extra_env) {
  TerminalRun r;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char name[128];
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0 ||
      ::ptsname_r(master, name, sizeof name) != 0)
    return r;
  int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  termios t{};
  ::tcgetattr(slave, &t);
  ::cfmakeraw(&t);  // every queued byte counts, newline or not
  ::tcsetattr(slave, TCSANOW, &t);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    int tty = ::open(name, O_RDWR);
    if (tty < 0 || ::ioctl(tty, TIOCSCTTY, 0) != 0) ::_exit(205);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(tty, 1);
    ::dup2(tty, 2);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(203);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char buf[4096];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) r.out.append(buf, static_cast<size_t>(n));
    }
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::ioctl(slave, FIONREAD, &r.queued);
  ::close(slave);
  ::close(master);
  return r;
}

void terminal_injection(Escape& t, const std::string& mode, bool control) {
  auto r = run_on_terminal(t.env_.argv(t.ws_.path(), {}, {attack(), "tiocsti", mode}),
                           t.env_.options().env);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.queued, 0) << "bytes were pushed into the user's terminal:\n" << r.out;
  EXPECT_NE(r.out.find("fd1="), std::string::npos) << r.out;
  if (control && ::geteuid() == 0) {
    // Control: the same attack run bare does fill the queue, so the judge sees an injection.
    auto bare = run_on_terminal({attack(), "tiocsti", mode}, {});
    EXPECT_GT(bare.queued, 0) << "control: " << bare.out;
  }
}

// B#1: TIOCSTI into the terminal warden was started from (stdout is the terminal when stdin is
// redirected, and it is the controlling terminal, so /dev/tty leads there too).
TEST_F(Escape, Tiocsti) {
  terminal_injection(*this, "plain", true);
}

// B#2: TIOCSTI with high bits set in the request (the kernel reads 32 bits, CVE-2019-7303).
TEST_F(Escape, TiocstiHighBits) {
  terminal_injection(*this, "high", true);
}

// B#3: TIOCLINUX (TIOCL_PASTESEL pastes the console selection as input). There is no virtual
// console here, so the bare control cannot show an injection; the queue must still stay empty.
TEST_F(Escape, Tioclinux) {
  terminal_injection(*this, "linux", false);
  auto r = run_attack({"tiocsti", "linux"});
  EXPECT_NE(r.err.find("fd0=EPERM"), std::string::npos) << r.err;
}

// B#8, B#9: ptrace (and process_vm_*) of init and of warden's host pid. The host checks that
// nobody traces them while the attack is still running.
TEST_F(Escape, PtraceTheSupervisor) {
  Process p(env_.argv(ws_.path(), {}, attack_cmd({"ptrace", "1", std::to_string(::getpid())})),
            env_.options());
  ASSERT_TRUE(p.wait_for_output("attempted")) << p.output_so_far();
  auto pids = sandbox_pids(p.pid());
  ASSERT_GT(pids.init, 0);
  EXPECT_EQ(status_field(pids.init, "TracerPid"), "0");
  EXPECT_EQ(status_field(p.pid(), "TracerPid"), "0");
  auto r = p.finish();
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("attach-1=ok"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("seize-1=ok"), std::string::npos) << r.out;
}

// B#31: signals (kill, pidfd) to init, to warden's and a host process's pid numbers, and to
// everything at once; as root and as the unprivileged user, whose host `sleep` must survive.
TEST_F(Escape, SignalsToWardenAndHost) {
  for (const auto& user : users()) {
    HostSleep host(user);
    Process p(env_.argv(ws_.path(), {},
                        attack_cmd({"signal", "1", std::to_string(::getpid()),
                                    std::to_string(host.pid())})),
              env_.options(user));
    ASSERT_TRUE(p.wait_for_output("attempted")) << who(user) << p.output_so_far();
    auto pids = sandbox_pids(p.pid());
    ASSERT_GT(pids.init, 0);
    EXPECT_TRUE(host.alive_and_running()) << who(user);
    EXPECT_TRUE(alive(p.pid())) << who(user);
    const std::string state = status_field(pids.init, "State");
    // Not stopped (T) or traced (t); sleeping or, under load, running are both fine.
    EXPECT_TRUE(!state.empty() && state[0] != 'T' && state[0] != 't')
        << who(user) << ": init is " << state;
    auto r = p.finish();
    EXPECT_EQ(r.code, 0) << who(user) << r.out << r.err;
    EXPECT_TRUE(host.alive_and_running()) << who(user);
  }
}

// B#10: /proc/<pid>/mem and environ of init (undumpable), of warden's host pid and of a host
// process holding a secret in its environment (neither is in the sandbox's pid namespace).
TEST_F(Escape, ProcPidMemAndEnviron) {
  const std::string secret = "SECRET-pr0c";
  HostSleep host(std::nullopt, secret);
  const std::string a = attack(), dump = ws_ / "dump";
  Process p(env_.argv(ws_.path(), {},
                      {"/bin/sh", "-c",
                       a + " procmem 1 " + dump + "; " + a + " procmem " +
                           std::to_string(host.pid()) + " " + dump + "; " + a + " procmem " +
                           std::to_string(::getpid()) + " " + dump + "; echo attempted; sleep 1"}),
            env_.options());
  ASSERT_TRUE(p.wait_for_output("attempted")) << p.output_so_far();
  auto pids = sandbox_pids(p.pid());
  EXPECT_GT(pids.init, 0);
  EXPECT_TRUE(alive(pids.init));
  auto r = p.finish();
  EXPECT_EQ(r.code, 0) << r.out << r.err;  // init alive and well to report the status
  EXPECT_EQ(r.out.find("mem-write=ok"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("mem-rw=ok"), std::string::npos) << r.out;
  EXPECT_FALSE(contains(read_text(dump), secret));
  EXPECT_TRUE(host.alive_and_running());
}

// B#29: the command's descriptors, read from the host's /proc while it runs: only 0-2 (warden
// declares no others), with and without a terminal.
TEST_F(Escape, LeakedFds) {
  for (bool pty : {false, true}) {
    RunOptions o = env_.options();
    o.use_pty = pty;
    Process p(env_.argv(ws_.path(), {}, attack_cmd({"fds"})), o);
    ASSERT_TRUE(p.wait_for_output("attempted")) << p.output_so_far();
    auto pids = sandbox_pids(p.pid());
    ASSERT_GT(pids.command, 0);
    std::set<std::string> fds;
    std::string where;
    const std::string dir = "/proc/" + std::to_string(pids.command) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    ASSERT_NE(d, nullptr);
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      fds.insert(e->d_name);
      char target[256] = {};
      (void)!::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
      where += std::string(e->d_name) + " -> " + target + "\n";
    }
    ::closedir(d);
    EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"})) << (pty ? "pty\n" : "") << where;
    p.finish();
  }
}

}  // namespace
}  // namespace warden::test::escape
