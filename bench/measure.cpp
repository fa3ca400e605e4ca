// warden-bench-measure: one timed run of a command, for bench/run.
//
//   warden-bench-measure [--rss] -- COMMAND [ARG...]
//
// Runs COMMAND (execvp, no shell) with stdin and stdout on /dev/null and stderr inherited, and
// prints one line: "WALL_MS PEAK_KB STATUS". WALL_MS is fork to reap. With --rss, PEAK_KB is the
// highest VmHWM of the process started (not its children: for `warden run` that is the
// supervisor), read from /proc every 5 ms after its exec; the last few ms before it exits are not
// seen, which for a supervisor that allocates at start-up and per request is close enough. Without
// --rss it is 0. STATUS is the exit status, or 128+N after signal N. Exit status 0 unless the
// command could not be started (then 127).
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: warden-bench-measure [--rss] -- COMMAND [ARG...]\n");
  std::exit(2);
}

double now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// VmHWM in kB from an open /proc/PID/status, or -1 once the process has no memory (exited).
long read_hwm(int fd) {
  char buf[4096];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* p = std::strstr(buf, "\nVmHWM:");
  if (p == nullptr) return -1;
  return std::strtol(p + 7, nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  bool rss = false;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--rss") {
      rss = true;
    } else if (a == "--") {
      ++i;
      break;
    } else {
      usage();
    }
  }
  if (i >= argc) usage();
  char** cmd = argv + i;

  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  // Closed by a successful exec: tells us when the samples start being the command's own, and
  // carries errno when exec fails.
  int exec_pipe[2];
  if (devnull < 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    std::perror("warden-bench-measure: setup");
    return 127;
  }

  const double start = now_ms();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("warden-bench-measure: fork");
    return 127;
  }
  if (pid == 0) {
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDOUT_FILENO);
    ::execvp(cmd[0], cmd);
    const int err = errno;
    (void)!::write(exec_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  int err = 0;
  ssize_t got;
  do {
    got = ::read(exec_pipe[0], &err, sizeof err);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof err)) {
    ::waitpid(pid, nullptr, 0);
    std::fprintf(stderr, "warden-bench-measure: %s: %s\n", cmd[0], std::strerror(err));
    return 127;
  }

  long peak = 0;
  if (rss) {
    const std::string status_path = "/proc/" + std::to_string(pid) + "/status";
    const int status_fd = ::open(status_path.c_str(), O_RDONLY | O_CLOEXEC);
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (status_fd >= 0 && pidfd >= 0) {
      for (;;) {
        const long hwm = read_hwm(status_fd);
        if (hwm > peak) peak = hwm;
        pollfd p{pidfd, POLLIN, 0};
        if (::poll(&p, 1, 5) != 0) break;  // exited (or poll failed: stop sampling either way)
      }
    }
    if (status_fd >= 0) ::close(status_fd);
    if (pidfd >= 0) ::close(pidfd);
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("warden-bench-measure: waitpid");
      return 127;
    }
  }
  const double elapsed = now_ms() - start;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::printf("%.1f %ld %d\n", elapsed, peak, code);
  return 0;
}
