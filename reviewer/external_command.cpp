#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "warden/reviewer/reviewer.hpp"

extern char** environ;

namespace warden::reviewer {
namespace {

namespace json = policy::json;
using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void fail(const char* what, int err = errno) {
  throw std::system_error(err, std::generic_category(), std::string("reviewer_command: ") + what);
}

policy::Decision deny(std::string reason) {
  return {policy::Verdict::Deny, std::nullopt, std::move(reason), {}};
}

// Above 2, so that placing the pipe ends on 0 and 1 in the child cannot clobber one another when
// warden itself was started with stdin or stdout closed.
Fd above_stdio(Fd fd) {
  if (fd.get() > 2) return fd;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) fail("fcntl");
  return Fd(moved);
}

void make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) fail("pipe");
  read_end = above_stdio(Fd(p[0]));
  write_end = above_stdio(Fd(p[1]));
}

void set_nonblocking(const Fd& fd) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) fail("fcntl");
}

// A write that cannot raise SIGPIPE: a reviewer that never reads its stdin must not kill warden.
// SIGPIPE goes to the writing thread, so blocking it here and consuming it leaves others alone.
ssize_t write_quietly(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  const ssize_t n = ::write(fd, data, size);
  const int saved = errno;
  if (n < 0 && saved == EPIPE && !was_pending) {
    const timespec zero{};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

// Appends what can be read now. False at EOF. Stops just past `limit` so a flood cannot grow it.
bool read_available(const Fd& fd, std::string& out, std::size_t limit) {
  char buf[16384];
  while (out.size() <= limit) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return false;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      return true;
    } else {
      return false;  // nothing more will come through this pipe
    }
  }
  return true;
}

// Errors that say the command cannot be run, as opposed to warden being unable to start anything.
bool is_exec_error(int err) {
  switch (err) {
    case ENOENT:
    case EACCES:
    case EPERM:
    case ENOEXEC:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case ETXTBSY:
    case EISDIR:
    case E2BIG:
      return true;
    default:
      return false;
  }
}

class SpawnSetup {
 public:
  SpawnSetup(const Fd& stdin_end, const Fd& stdout_end) {
    if (int e = posix_spawn_file_actions_init(&actions_)) fail("posix_spawn", e);
    if (int e = posix_spawnattr_init(&attr_)) {
      posix_spawn_file_actions_destroy(&actions_);
      fail("posix_spawn", e);
    }
    int e = posix_spawn_file_actions_adddup2(&actions_, stdin_end.get(), 0);
    if (!e) e = posix_spawn_file_actions_adddup2(&actions_, stdout_end.get(), 1);
    // warden's fds (audit log, seccomp listener, sockets) are not the reviewer's business.
    if (!e) e = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    // warden blocks and ignores signals for its own reasons (signalfd, SIGPIPE); the reviewer
    // starts clean, in its own process group so a timeout can kill all of it.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (!e) e = posix_spawnattr_setsigmask(&attr_, &none);
    if (!e) e = posix_spawnattr_setsigdefault(&attr_, &all);
    if (!e) e = posix_spawnattr_setpgroup(&attr_, 0);
    if (!e) {
      e = posix_spawnattr_setflags(
          &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    if (e) {
      destroy();
      fail("posix_spawn", e);
    }
  }
  ~SpawnSetup() { destroy(); }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  void destroy() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }

  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// The reviewer's process group, killed and its leader reaped exactly once, even on exceptions.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) finish();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // Whether the leader has exited (without reaping it). For kernels without pidfd_open.
  bool exited() const {
    siginfo_t si{};
    if (::waitid(P_PID, pid_, &si, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
    return si.si_pid == pid_;
  }

  // Kills whatever is left of the group, then reaps the leader. Until it is reaped the leader's
  // pid cannot be reused, so the group id still names only the reviewer's processes.
  // The wait status, or -1 when it was lost (someone else reaped the child).
  int finish() {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return r < 0 ? -1 : status;
  }

 private:
  pid_t pid_;
};

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

ExternalCommand::ExternalCommand(std::vector<std::string> argv, std::string policy,
                                 std::int64_t timeout_s)
    : argv_(std::move(argv)), policy_(std::move(policy)), timeout_s_(timeout_s) {
  if (argv_.empty()) throw std::invalid_argument("reviewer_command: empty command");
  if (timeout_s_ <= 0) throw std::invalid_argument("reviewer_command: timeout must be positive");
}

policy::Decision ExternalCommand::review(const policy::Request& request) {
  std::string input = policy::to_json(request);
  input.pop_back();  // the closing brace: "policy" goes inside the object
  input += ",\"policy\":";
  json::append_string(input, policy_);
  input += "}\n";

  Fd stdin_read, stdin_write, stdout_read, stdout_write;
  make_pipe(stdin_read, stdin_write);
  make_pipe(stdout_read, stdout_write);

  std::vector<char*> argv;
  for (std::string& a : argv_) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  {
    SpawnSetup setup(stdin_read, stdout_write);
    const int e = posix_spawnp(&pid, argv[0], setup.actions(), setup.attr(), argv.data(), environ);
    if (e != 0) {
      if (is_exec_error(e)) return deny("cannot run reviewer " + argv_[0] + ": " + strerror(e));
      fail("posix_spawn", e);
    }
  }
  Child child(pid);
  // Only the child holds these now, so EOF and EPIPE mean what they say.
  stdin_read.reset();
  stdout_write.reset();
  set_nonblocking(stdin_write);
  set_nonblocking(stdout_read);
  // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C". -1 before Linux 5.3, when
  // exited() is polled instead.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  // Capped at a year so that adding it to the clock cannot overflow.
  const auto deadline =
      Clock::now() + std::chrono::seconds(std::min<std::int64_t>(timeout_s_, 365LL * 24 * 3600));
  std::string answer;
  std::size_t written = 0;
  bool exited = false;
  while (!exited && answer.size() <= kMaxAnswer) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    if (!pidfd) wait_ms = std::min<decltype(wait_ms)>(wait_ms, 10);

    pollfd fds[3];
    nfds_t n = 0;
    int in_i = -1, out_i = -1, pid_i = -1;
    if (stdin_write) fds[in_i = n++] = {stdin_write.get(), POLLOUT, 0};
    if (stdout_read) fds[out_i = n++] = {stdout_read.get(), POLLIN, 0};
    if (pidfd) fds[pid_i = n++] = {pidfd.get(), POLLIN, 0};
    if (::poll(fds, n, static_cast<int>(wait_ms)) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }

    if (in_i >= 0 && fds[in_i].revents != 0) {
      const ssize_t k =
          write_quietly(stdin_write.get(), input.data() + written, input.size() - written);
      if (k > 0) written += static_cast<std::size_t>(k);
      // EPIPE: it stopped reading, which it may; it still owes an answer.
      if (written == input.size() || (k < 0 && errno != EAGAIN && errno != EINTR)) {
        stdin_write.reset();  // EOF for the reviewer
      }
    }
    if (out_i >= 0 && fds[out_i].revents != 0) {
      if (!read_available(stdout_read, answer, kMaxAnswer)) stdout_read.reset();
    }
    exited = pidfd ? fds[pid_i].revents != 0 : child.exited();
  }
  // Without a pidfd, exit is noticed after the poll and the leader's last words may still be in
  // the pipe. Either way a leftover child holding the pipe open must not keep us waiting for EOF.
  if (exited && stdout_read) read_available(stdout_read, answer, kMaxAnswer);

  const int status = child.finish();
  if (answer.size() > kMaxAnswer) {
    return deny("reviewer answer too large (more than " + std::to_string(kMaxAnswer) + " bytes)");
  }
  if (!exited) return deny("reviewer timed out after " + std::to_string(timeout_s_) + " s");
  if (status < 0) return deny("reviewer exit status lost (reaped elsewhere)");
  if (WIFSIGNALED(status)) return deny("reviewer killed by " + signal_name(WTERMSIG(status)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return deny("reviewer exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  if (answer.find_first_not_of(" \t\r\n") == std::string::npos) {
    return deny("reviewer printed no answer");
  }
  try {
    return policy::decision_from_json(answer);
  } catch (const policy::RequestError& e) {
    return deny(std::string("reviewer answer: ") + e.what());
  }
}

}  // namespace warden::reviewer
