// Starts the sandbox: one clone3 into new user, mount, pid, ipc, uts (and net) namespaces. The
// child becomes the sandbox's init (pid 1): it builds the filesystem view, drops every privilege,
// applies Landlock and the seccomp baseline to itself, reports to warden over a socketpair, waits
// for the word to go, forks the command, reaps orphans and forwards signals. When the command
// exits, init reports its status and exits, and the kernel kills whatever is left in the pid
// namespace. When warden dies, PDEATHSIG kills init, which takes the namespace with it.
// Limits: init starts inside a cgroup of the run's own when one can be made (cgroup.cpp), and
// sets RLIMIT_NPROC, which its user namespace makes a count of the sandbox's processes alone.
#include "warden/linux/launcher.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "cgroup.hpp"
#include "internal.hpp"

namespace warden::linux_backend {

void fail(std::string part, std::string why, std::string hint) {
  throw StepError{std::move(part), std::move(why), std::move(hint)};
}

void fail_errno(std::string part, const std::string& what, std::string hint) {
  fail(std::move(part), what + ": " + std::strerror(errno), std::move(hint));
}

namespace {

// Signals warden passes on. Terminal-generated ones (si_code SI_KERNEL) already reached the
// command, which shares warden's process group, so they are not sent twice.
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
                              SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

enum Msg : char {
  kReady = 'R',
  kError = 'E',
  kExit = 'X',
  kExecFailed = 'F',
  kGo = 'G',
  kStopped = 'S',
  kFilter = 'P'  // warden to init: the seccomp program
};

// A plain send(): the filter holds sendmsg (and sendto with an address) once it is loaded, and
// init's messages must not wait for a loop that is not running yet.
void send_msg(int sock, char type, const std::string& body = {}) {
  std::string m(1, type);
  m += body;
  // MSG_NOSIGNAL: if warden is gone there is nobody to tell, and init must not die of SIGPIPE
  // before it can take the namespace down in order.
  (void)::send(sock, m.data(), m.size(), MSG_NOSIGNAL);
}

std::string int_body(int v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}
int body_int(const std::string& m) {
  int v = 0;
  if (m.size() >= 1 + sizeof v) std::memcpy(&v, m.data() + 1, sizeof v);
  return v;
}

// One whole message; false on EOF, error, or one longer than `max` (a datagram is never read
// in part).
bool recv_msg(int sock, std::string& out, size_t max = 8192) {
  out.resize(max + 1);
  ssize_t n;
  bool reset = false;
  // ECONNRESET comes once, before what is queued, when the peer closed with a message of ours
  // unread (init failing before it took the filter): its last words are still to be read.
  do n = ::recv(sock, out.data(), out.size(), 0);
  while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !std::exchange(reset, true))));
  if (n <= 0 || static_cast<size_t>(n) > max) return false;
  out.resize(static_cast<size_t>(n));
  return true;
}

std::string encode_layers(const std::vector<sandbox::Layer>& layers) {
  std::string s;
  for (const auto& l : layers)
    s += l.name + '\x1f' + (l.active ? "1" : "0") + '\x1f' + l.detail + '\x1e';
  return s;
}

std::vector<sandbox::Layer> decode_layers(std::string_view s) {
  std::vector<sandbox::Layer> out;
  while (!s.empty()) {
    size_t end = s.find('\x1e');
    std::string_view rec = s.substr(0, end);
    size_t a = rec.find('\x1f'), b = rec.find('\x1f', a + 1);
    if (a != std::string_view::npos && b != std::string_view::npos)
      out.push_back({std::string(rec.substr(0, a)), rec.substr(a + 1, b - a - 1) == "1",
                     std::string(rec.substr(b + 1))});
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return out;
}

void write_file(const char* path, const std::string& content) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("user namespace", std::string("open ") + path);
  ssize_t n = ::write(fd, content.data(), content.size());
  int err = errno;
  ::close(fd);
  errno = err;
  if (n != static_cast<ssize_t>(content.size()))
    fail_errno("user namespace", std::string("write ") + path);
}

void loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail_errno("network namespace", "socket");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail_errno("network namespace", "read loopback flags");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail_errno("network namespace", "bring loopback up");
  ::close(s);
}

// The resolver's socket: bound inside the sandbox's network by init, which still has the
// capabilities of its namespace (port 53), then handed to warden.
int bind_dns_socket() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    fail_errno("network namespace", "bind the DNS stub to 127.0.0.1:53");
  return s;
}

struct ChildContext {
  const sandbox::Spec* spec;
  MountPlan plan;
  bool isolate = true;
  int landlock_abi = 0;
  uid_t uid;
  gid_t gid;
  int sock = -1;
  int cgroup_fd = -1;  // warden's; init closes its copy
  rlim_t nproc = 0;    // RLIMIT_NPROC for the tree; 0: none
  long pid_max = 0;    // the pid namespace's pid_max; 0: left alone
  std::vector<char*> argv, envp;
  std::vector<std::string> path_dirs;  // PATH of the command's environment
};

// execvpe() searches the caller's PATH; the command's own environment decides here. Returns the
// errno that explains the failure (exec only returns on failure).
int exec_command(const ChildContext& c) {
  if (c.spec->terminal >= 0) {
    // Its own session on warden's pty, so job control and the terminal's signals reach it (and
    // not warden), and /dev/tty is the pty.
    if (::setsid() < 0 || ::ioctl(c.spec->terminal, TIOCSCTTY, 0) != 0) return errno;
    for (int fd = 0; fd <= 2; ++fd)
      if (::isatty(fd) && ::dup2(c.spec->terminal, fd) < 0) return errno;
    if (c.spec->terminal > 2) ::close(c.spec->terminal);
  }
  const char* file = c.argv[0];
  int err = ENOENT;
  if (std::strchr(file, '/') != nullptr) {
    ::execve(file, c.argv.data(), c.envp.data());
    err = errno;
  } else {
    for (const auto& dir : c.path_dirs) {
      std::string candidate = (dir.empty() ? "." : dir) + "/" + file;
      ::execve(candidate.c_str(), c.argv.data(), c.envp.data());
      if (errno != ENOENT && errno != ENOTDIR) err = errno;  // remember EACCES and the like
    }
  }
  return err;
}

[[noreturn]] void run_init(ChildContext& c) {
  // No handler may be left in pid 1 (a sanitizer's SIGSEGV handler, say): the kernel drops the
  // sandbox's signals to its init only while their disposition is the default.
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) ::signal(s, SIG_DFL);
  std::vector<sandbox::Layer> layers;
  int listener = -1;
  int dns = -1;
  if (c.cgroup_fd >= 0) ::close(c.cgroup_fd);
  try {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail_errno("init", "PR_SET_PDEATHSIG");
    if (c.nproc > 0) {
      // Hard as well as soft: raising the hard limit again takes CAP_SYS_RESOURCE in the
      // initial user namespace, which nothing in the sandbox has. Since Linux 5.14 the count is
      // per user namespace, so only the sandbox's own processes count against it.
      const rlimit rl{c.nproc, c.nproc};
      if (::setrlimit(RLIMIT_NPROC, &rl) != 0) fail_errno("limits", "setrlimit RLIMIT_NPROC");
    }
    if (c.isolate) {
      write_file("/proc/self/setgroups", "deny");
      write_file("/proc/self/uid_map",
                 std::to_string(c.uid) + " " + std::to_string(c.uid) + " 1\n");
      write_file("/proc/self/gid_map",
                 std::to_string(c.gid) + " " + std::to_string(c.gid) + " 1\n");
      layers.push_back({"user_namespace", true,
                        "uid " + std::to_string(c.uid) + ", gid " + std::to_string(c.gid) +
                            " mapped to themselves"});
      apply_mounts(c.plan);
      if (c.pid_max > 0) {
        // The fresh /proc is this pid namespace's: its pid_max bounds the tasks in it, and only
        // a holder of CAP_SYS_ADMIN here (init, until it drops everything) can raise it.
        const std::string v = std::to_string(c.pid_max);
        int fd = ::open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size()))
          fail_errno("limits", "set the sandbox's pid_max to " + v);
        ::close(fd);
      }
      size_t masks = 0, protect = 0;
      for (const auto& op : c.plan.ops) {
        masks += op.kind == PathOp::MaskDir || op.kind == PathOp::MaskFile;
        protect += op.kind == PathOp::Protect;
      }
      layers.push_back({"mount_namespace", true,
                        "/ read-only; writable: " + std::to_string(c.plan.writable.size()) +
                            " roots" + (c.plan.tmp_writable ? " + private /tmp" : "") +
                            "; deny_read masks: " + std::to_string(masks) + "; protected: " +
                            std::to_string(protect) + "; fresh /proc, minimal /dev"});
      layers.push_back({"pid_namespace", true, "warden's init is pid 1"});
      layers.push_back({"ipc_namespace", true, ""});
      layers.push_back({"uts_namespace", true, ""});
      if (!c.spec->network) {
        loopback_up();
        if (c.spec->holds.dns) dns = bind_dns_socket();
        layers.push_back({"network_namespace", true, "loopback only"});
      } else {
        layers.push_back({"network_namespace", false, "host network (network_access = true)"});
      }
    }
    if (::chdir(c.spec->cwd.c_str()) != 0) fail_errno("working directory", c.spec->cwd);
    if (c.isolate) {
      drop_all_capabilities();
      layers.push_back(
          {"capabilities", true, "all dropped, bounding set empty, securebits locked"});
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail_errno("no_new_privs", "prctl");
      layers.push_back({"no_new_privs", true, ""});
      layers.push_back({"landlock", true, apply_landlock(c.plan, c.landlock_abi, c.spec->network)});
      // The program warden compiled meanwhile; without it the sandbox is never finished.
      std::string program;
      if (!recv_msg(c.sock, program, 1 + (BPF_MAXINSNS + 1) * sizeof(sock_filter)) ||
          program[0] != kFilter)
        ::_exit(126);
      listener = load_filter_bytes(std::string_view(program).substr(1));
    }
  } catch (const StepError& e) {
    send_msg(c.sock, kError, e.part + '\0' + e.why + '\0' + e.hint);
    ::_exit(126);
  }
  // warden takes the listener and the DNS socket with pidfd_getfd (init is still dumpable and
  // the command does not exist yet), then says go; init keeps no copy, so nothing in the
  // sandbox can answer a held call.
  send_msg(c.sock, kReady, int_body(listener) + int_body(dns) + encode_layers(layers));
  std::string go;
  if (!recv_msg(c.sock, go) || go[0] != kGo) ::_exit(126);  // warden gone: never run unsupervised
  if (listener >= 0) ::close(listener);
  if (dns >= 0) ::close(dns);
  // From here on not ptraceable or readable through /proc by the command it supervises.
  ::prctl(PR_SET_DUMPABLE, 0);

  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int s : kForwarded) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, &old);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) ::_exit(126);
  pid_t cmd = ::fork();
  if (cmd == 0) {
    // init stays undumpable; the command must be readable by warden even before its exec,
    // whose arguments warden reads when exec rules hold it.
    ::prctl(PR_SET_DUMPABLE, 1);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    // Only 0-2 cross into the command; everything else warden or init held is closed at exec.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    int err = exec_command(c);
    (void)::write(report[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(report[1]);
  int exec_errno = 0;
  if (cmd < 0) {
    exec_errno = errno;
  } else if (::read(report[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno) {
    exec_errno = 0;  // EOF: exec succeeded
  }
  if (exec_errno != 0) {
    if (cmd > 0) ::waitpid(cmd, nullptr, 0);
    send_msg(c.sock, kExecFailed, int_body(exec_errno));
    ::_exit(127);
  }
  for (;;) {
    siginfo_t si{};
    int sig = sigwaitinfo(&set, &si);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      int status;
      pid_t p;
      while ((p = ::waitpid(-1, &status, WNOHANG | WUNTRACED)) > 0) {
        if (p == cmd && WIFSTOPPED(status)) {
          // Stopped from its terminal: warden gives the user's terminal back, as sudo does.
          send_msg(c.sock, kStopped, int_body(WSTOPSIG(status)));
          continue;
        }
        if (p == cmd) {
          send_msg(c.sock, kExit, int_body(status));
          ::_exit(0);  // pid 1 leaving kills the rest of the namespace
        }
      }
      continue;
    }
    if (si.si_code != SI_KERNEL) ::kill(cmd, sig);
  }
}

class LinuxRunning : public sandbox::Running {
 public:
  LinuxRunning(pid_t pid, int pidfd, int sock, int listener, int dns,
               std::vector<sandbox::Layer> layers, std::string cmd,
               std::unique_ptr<RunCgroup> cgroup)
      : pid_(pid),
        pidfd_(pidfd),
        sock_(sock),
        listener_(listener),
        dns_(dns),
        layers_(std::move(layers)),
        cmd_(std::move(cmd)),
        cgroup_(std::move(cgroup)) {}
  ~LinuxRunning() override {
    if (!reaped_) {
      kill_tree();
      reap();
    }
    ::close(sock_);
    ::close(pidfd_);
    if (listener_ >= 0) ::close(listener_);
    if (dns_ >= 0) ::close(dns_);
  }
  int notify_fd() const override { return listener_; }
  int dns_fd() const override { return dns_; }
  int pid() const override { return pid_; }
  std::vector<sandbox::Layer> layers() const override { return layers_; }
  void start() override { send_msg(sock_, kGo); }
  void forward_signal(int sig) override {
    ::syscall(SYS_pidfd_send_signal, pidfd_, sig, nullptr, 0);
  }
  void kill_tree() override { forward_signal(SIGKILL); }
  int event_fd() const override { return sock_; }
  int take_stop() override {
    char type = 0;
    if (::recv(sock_, &type, 1, MSG_PEEK | MSG_DONTWAIT) != 1 || type != kStopped) return 0;
    std::string m;
    if (!recv_msg(sock_, m)) return 0;
    return body_int(m);
  }

  sandbox::ExitStatus wait() override {
    sandbox::ExitStatus st;
    std::string m;
    bool got = recv_msg(sock_, m);
    int init_status = reap();
    if (cgroup_) cgroup_->remove();  // the tree is gone with init
    if (got && m[0] == kExit) {
      int status = body_int(m);
      st.signaled = WIFSIGNALED(status);
      st.code = st.signaled ? WTERMSIG(status) : WEXITSTATUS(status);
    } else if (got && m[0] == kExecFailed) {
      int err = body_int(m);
      st.code = err == ENOENT ? 127 : 126;
      st.error = "cannot execute '" + cmd_ + "': " + std::strerror(err);
    } else if (WIFSIGNALED(init_status)) {
      // init itself was killed (warden's kill_tree, the OOM killer): the tree died with it.
      st.signaled = true;
      st.code = WTERMSIG(init_status);
    } else {
      st.code = 126;
      st.error = "the sandbox's init ended without reporting the command's status";
    }
    return st;
  }

 private:
  int reap() {
    siginfo_t si{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &si, WEXITED) != 0 &&
           errno == EINTR) {
    }
    reaped_ = true;
    if (si.si_code == CLD_EXITED) return W_EXITCODE(si.si_status, 0);
    return si.si_status & 0x7f;  // as a wait status: terminated by that signal
  }

  pid_t pid_;
  int pidfd_;
  int sock_;
  int listener_;
  int dns_;
  std::vector<sandbox::Layer> layers_;
  std::string cmd_;
  std::unique_ptr<RunCgroup> cgroup_;  // removed by wait(), or after the destructor's reap
  bool reaped_ = false;
};

constexpr long kPidMaxLimitMin = 1024;

// pid_max became a per-pid-namespace setting in Linux 6.14.
bool pid_max_per_namespace() {
  utsname u{};
  int major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 14);
}

// What limits the tree, for -v and the audit start event.
sandbox::Layer limits_layer(const sandbox::Limits& l, const RunCgroup* cgroup,
                            const std::string& no_cgroup, rlim_t nproc, long pid_max) {
  if (cgroup) return {"limits", true, cgroup->describe()};
  if (pid_max > 0)
    return {"limits", true,
            "pid namespace pid_max=" + std::to_string(pid_max) + ": at most " +
                std::to_string(pid_max - 1) + " processes and threads, init included"};
  if (l.max_processes <= 0) return {"limits", false, "none asked for"};
  const std::string n = std::to_string(l.max_processes);
  // RLIMIT_NPROC never binds a process whose real uid is the initial namespace's root.
  if (nproc > 0 && ::getuid() != 0)
    return {"limits", true,
            "RLIMIT_NPROC=" + std::to_string(nproc) + " (no delegated cgroup: " + no_cgroup + ")"};
  if (nproc > 0)
    return {"limits", false,
            "max_processes=" + n +
                " not enforced: RLIMIT_NPROC does not apply to root (uid 0), and no cgroup: " +
                no_cgroup};
  return {"limits", false,
          "max_processes=" + n + " not enforced: no cgroup (" + no_cgroup +
              "), and RLIMIT_NPROC outside a user namespace would count all of the user's "
              "processes"};
}

// init, cloned and building the sandbox; warden meanwhile compiles the filter (sent to init),
// attaches a v1 cgroup, and returns to its own start-up until ready().
class LinuxStarting : public sandbox::Starting {
 public:
  LinuxStarting(const sandbox::Spec& spec, pid_t pid, int pidfd, int sock, bool isolate,
                rlim_t nproc, long pid_max, std::unique_ptr<RunCgroup> cgroup,
                std::string no_cgroup)
      : spec_(spec),
        pid_(pid),
        pidfd_(pidfd),
        sock_(sock),
        isolate_(isolate),
        nproc_(nproc),
        pid_max_(pid_max),
        cgroup_(std::move(cgroup)),
        no_cgroup_(std::move(no_cgroup)) {}
  ~LinuxStarting() override {
    if (pidfd_ < 0) return;  // handed to Running
    abandon();
  }

  // After clone3; throws SetupError (the destructor then kills init).
  void continue_setup() {
    if (isolate_) {
      // libseccomp takes ~0.4 ms to compile the filter: done here, on the other CPU, while init
      // builds the filesystem, rather than before clone3.
      FilterPtr filter = build_filter(spec_.holds);
      std::string m(1, kFilter);
      m += filter_bytes(filter.get());
      filter_description_ = describe_filter(filter.get());
      if (::send(sock_, m.data(), m.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(m.size()))
        lost_init_ = true;  // init stopped: ready() reports why
    }
    if (!cgroup_ && pid_max_ == 0 && RunCgroup::v1_may_help(spec_.limits)) {
      // No cgroup v2 for a process limit: perhaps v1's pids hierarchy. It has no
      // CLONE_INTO_CGROUP, so init is moved in before it forks the command, and the cgroup is
      // made here, while init sets up.
      auto v1 = RunCgroup::create_v1(spec_.limits);
      std::string why;
      if (!v1.cgroup)
        no_cgroup_ += "; " + v1.why;
      else if (!v1.cgroup->attach(pid_, why))
        no_cgroup_ += "; " + why;
      else
        cgroup_ = std::move(v1.cgroup);
    }
  }

  std::unique_ptr<sandbox::Running> ready() override {
    std::string m;
    // Even when init could not take the filter, its report of why it stopped may be waiting.
    if (!recv_msg(sock_, m) || m[0] != kReady || lost_init_) {
      // Killed as well as reaped: an init that sent something unexpected may still be waiting.
      const int status = abandon();
      if (!m.empty() && m[0] == kError) {
        std::string body = m.substr(1);
        size_t a = body.find('\0'), b = body.find('\0', a + 1);
        throw sandbox::SetupError(body.substr(0, a), body.substr(a + 1, b - a - 1),
                                  b == std::string::npos ? "" : body.substr(b + 1));
      }
      throw sandbox::SetupError(
          "init", "the sandbox's init died during setup (status " + std::to_string(status) + ")");
    }
    int numbers[2] = {-1, -1};
    if (m.size() >= 1 + sizeof numbers) std::memcpy(numbers, m.data() + 1, sizeof numbers);
    int taken[2] = {-1, -1};
    for (int i = 0; i < 2; ++i) {
      if (numbers[i] < 0) continue;
      taken[i] = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd_, numbers[i], 0));
      if (taken[i] < 0) {
        int err = errno;
        for (int fd : taken)
          if (fd >= 0) ::close(fd);
        throw sandbox::SetupError(
            "seccomp", std::string("cannot take the listener from init: ") + std::strerror(err));
      }
    }
    const int listener = taken[0], dns = taken[1];
    auto layers = decode_layers(std::string_view(m).substr(1 + sizeof numbers));
    if (isolate_) layers.push_back({"seccomp", true, filter_description_});
    if (!isolate_) layers.push_back({"sandbox", false, "danger-full-access: no isolation"});
    layers.push_back(limits_layer(spec_.limits, cgroup_.get(), no_cgroup_, nproc_, pid_max_));
    const int pidfd = pidfd_;
    pidfd_ = -1;
    return std::make_unique<LinuxRunning>(pid_, pidfd, sock_, listener, dns, std::move(layers),
                                          spec_.argv[0], std::move(cgroup_));
  }

 private:
  // Kills and reaps init, closes what it shared, removes the cgroup; returns init's si_status.
  int abandon() {
    ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    siginfo_t si{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_), &si, WEXITED) != 0 &&
           errno == EINTR) {
    }
    ::close(pidfd_);
    ::close(sock_);
    pidfd_ = -1;
    if (cgroup_) cgroup_->remove();
    return si.si_status;
  }

  const sandbox::Spec& spec_;
  pid_t pid_;
  int pidfd_;
  int sock_;
  bool isolate_;
  rlim_t nproc_;
  long pid_max_;
  std::unique_ptr<RunCgroup> cgroup_;
  std::string no_cgroup_;
  std::string filter_description_;
  bool lost_init_ = false;
};

class LinuxLauncher : public sandbox::Launcher {
 public:
  std::unique_ptr<sandbox::Starting> begin(const sandbox::Spec& spec) override {
    ChildContext c;
    c.spec = &spec;
    c.isolate = spec.mode != sandbox::Mode::FullAccess;
    c.uid = ::geteuid();
    c.gid = ::getegid();
    if (spec.argv.empty()) throw sandbox::SetupError("command", "no command given");
    if (c.isolate) {
      c.landlock_abi = landlock_abi();
      if (c.landlock_abi < 2)
        throw sandbox::SetupError(
            "landlock",
            c.landlock_abi == 0 ? "Landlock is not available in this kernel"
                                : "Landlock ABI " + std::to_string(c.landlock_abi) +
                                      " is too old (2, Linux 5.19, is the minimum)",
            "enable it: a kernel with CONFIG_SECURITY_LANDLOCK=y booted with 'landlock' in its "
            "lsm= list (cat /sys/kernel/security/lsm)");
      try {
        c.plan = plan_mounts(spec);
      } catch (const StepError& e) {
        throw sandbox::SetupError(e.part, e.why, e.hint);
      }
    }

    // Limits. A memory or CPU limit is asked for explicitly: without a cgroup to apply it the
    // command does not run. The process limit is a default: RLIMIT_NPROC stands in for it.
    const sandbox::Limits& limits = spec.limits;
    std::vector<std::string> explicit_limits;
    if (limits.memory_max_bytes > 0)
      explicit_limits.push_back("memory_max = " + size_text(limits.memory_max_bytes));
    if (limits.cpu_max > 0) {
      std::string cpus = std::to_string(limits.cpu_max);
      cpus.erase(cpus.find_last_not_of('0') + 1);
      if (cpus.back() == '.') cpus.pop_back();
      explicit_limits.push_back("cpu_max = " + cpus);
    }
    // The process limit alone needs no cgroup where the pid namespace has its own pid_max
    // (Linux 6.14): init sets it, and start-up neither makes a cgroup nor waits to join one
    // (on cgroup v1 that waits for an RCU grace period now and then). Not below
    // kPidMaxLimitMin: once its pids wrap, a namespace reuses only pids from 300 up.
    const bool by_pid_max = c.isolate && explicit_limits.empty() &&
                            limits.max_processes >= kPidMaxLimitMin && pid_max_per_namespace();
    if (by_pid_max) c.pid_max = limits.max_processes + 1;
    auto [cgroup, no_cgroup] =
        by_pid_max ? RunCgroup::Made{nullptr, "none needed"} : RunCgroup::create(limits);
    if (!cgroup && !explicit_limits.empty()) {
      std::string asked;
      for (const auto& e : explicit_limits) asked += (asked.empty() ? "" : " and ") + e;
      throw sandbox::SetupError(
          "limits",
          asked + " needs a cgroup v2 that warden may manage, and there is none: " + no_cgroup,
          "run warden in a cgroup delegated to it, e.g. `systemd-run --user --scope -p "
          "Delegate=yes warden run ...` (as root: `systemd-run --scope -p Delegate=yes ...`); the "
          "memory and cpu controllers must be on cgroup v2 (systemd.unified_cgroup_hierarchy=1 on "
          "a hybrid system); or leave warden.memory_max and warden.cpu_max unset");
    }
    // Without a user namespace the count would be all of the user's processes on the host.
    if (c.isolate && limits.max_processes > 0) {
      rlimit rl{};
      ::getrlimit(RLIMIT_NPROC, &rl);
      c.nproc = static_cast<rlim_t>(limits.max_processes);
      if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < c.nproc) c.nproc = rl.rlim_max;
    }
    if (cgroup) c.cgroup_fd = cgroup->clone_fd();
    for (const auto& a : spec.argv) c.argv.push_back(const_cast<char*>(a.c_str()));
    c.argv.push_back(nullptr);
    std::string path = "/usr/local/bin:/usr/bin:/bin";
    for (const auto& e : spec.env) {
      c.envp.push_back(const_cast<char*>(e.c_str()));
      if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    }
    c.envp.push_back(nullptr);
    for (size_t start = 0;;) {
      size_t colon = path.find(':', start);
      c.path_dirs.push_back(path.substr(start, colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
      throw sandbox::SetupError("init", std::string("socketpair: ") + std::strerror(errno));
    c.sock = sv[1];

    int pidfd = -1;
    struct clone_args args {};
    args.flags = CLONE_PIDFD;
    if (c.isolate) {
      args.flags |= CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
      if (!spec.network) args.flags |= CLONE_NEWNET;
    }
    args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    if (c.cgroup_fd >= 0) {
      // Started in the run's cgroup: no moment where the tree runs outside it (Linux 5.7).
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<std::uint64_t>(c.cgroup_fd);
    }
    // A raw clone3 is a fork: warden is single-threaded here, so the copy is consistent.
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && c.cgroup_fd >= 0 && explicit_limits.empty()) {
      // Perhaps the cgroup (delegation rules) rather than the namespaces: the process limit
      // falls back to RLIMIT_NPROC; if the namespaces fail again, that error stands.
      no_cgroup = "clone3 into " + cgroup->path() + ": " + std::strerror(errno);
      cgroup.reset();
      c.cgroup_fd = -1;
      args.flags &= ~static_cast<std::uint64_t>(CLONE_INTO_CGROUP);
      args.cgroup = 0;
      pid = ::syscall(SYS_clone3, &args, sizeof args);
    }
    if (pid < 0) {
      int err = errno;
      ::close(sv[0]);
      ::close(sv[1]);
      // With a memory or CPU limit the cgroup may be the cause as well: both are named.
      throw sandbox::SetupError(
          "namespaces",
          (c.cgroup_fd >= 0 ? "clone3 (into cgroup " + cgroup->path() + ")" : "clone3") + ": " +
              std::strerror(err),
          userns_hint(err));
    }
    if (pid == 0) {
      ::close(sv[0]);
      run_init(c);
    }
    ::close(sv[1]);
    auto starting = std::make_unique<LinuxStarting>(spec, static_cast<pid_t>(pid), pidfd, sv[0],
                                                    c.isolate, c.nproc, c.pid_max,
                                                    std::move(cgroup), std::move(no_cgroup));
    starting->continue_setup();
    return starting;
  }
};

}  // namespace

std::unique_ptr<sandbox::Launcher> make_launcher() {
  return std::make_unique<LinuxLauncher>();
}

}  // namespace warden::linux_backend
