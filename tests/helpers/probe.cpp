// warden-probe: runs inside the sandbox and tries exactly one thing, then prints "ok" or
// "errno=NAME" so the test judges the result from outside. Attacks that should kill the process
// (foreign ABIs) simply die, and the test reads the signal from warden's exit status.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

int report(long rc) {
  if (rc < 0) {
    int e = errno;
    std::printf("errno=%s\n", strerrorname_np(e) ? strerrorname_np(e) : std::to_string(e).c_str());
  } else {
    std::printf("ok\n");
  }
  return 0;
}

long write_file(const char* path) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  long n = ::write(fd, "probe\n", 6);
  ::close(fd);
  return n < 0 ? -1 : 0;
}

long read_file(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[64];
  long n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n < 0 ? -1 : 0;
}

long tcp_connect(const char* ip, int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  long rc = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int e = errno;
  ::close(s);
  errno = e;
  return rc;
}

// Microbenchmark: n iterations of open+close of path with the given flags; prints the median
// of 20 batches, in microseconds per iteration.
int bench_open(const char* path, int n, bool write) {
  std::vector<double> per;
  int flags = write ? (O_WRONLY | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC);
  for (int batch = 0; batch < 20; ++batch) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      int fd = ::open(path, flags, 0644);
      if (fd < 0) return report(-1);
      ::close(fd);
    }
    auto t1 = std::chrono::steady_clock::now();
    per.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / n);
  }
  std::sort(per.begin(), per.end());
  std::printf("%.2f\n", per[per.size() / 2]);
  return 0;
}

// Connects (blocking or not), then reports the peer address and one echoed message.
int peer(const char* ip, int port, bool nonblocking) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  int rc = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && nonblocking && errno == EINPROGRESS) {
    pollfd p{s, POLLOUT, 0};
    ::poll(&p, 1, 5000);
    int err = 0;
    socklen_t el = sizeof err;
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
    errno = err;
    rc = err == 0 ? 0 : -1;
  }
  if (rc != 0) return report(-1);
  int flags = ::fcntl(s, F_GETFL);
  sockaddr_in p{};
  socklen_t len = sizeof p;
  ::getpeername(s, reinterpret_cast<sockaddr*>(&p), &len);
  char buf[64] = {};
  ::inet_ntop(AF_INET, &p.sin_addr, buf, sizeof buf);
  std::printf("peer=%s:%d nonblocking=%d\n", buf, ntohs(p.sin_port), (flags & O_NONBLOCK) != 0);
  if (nonblocking) ::fcntl(s, F_SETFL, flags & ~O_NONBLOCK);
  char reply[16] = {};
  if (::write(s, "ping", 4) != 4 || ::read(s, reply, sizeof reply - 1) <= 0) return report(-1);
  std::printf("echo=%s\n", reply);
  return 0;
}

// Asks the sandbox's resolver (127.0.0.1:53) for NAME's A record, prints the address, then
// connects to it on PORT and echoes once, as peer() does.
int dns_connect(const std::string& name, int port) {
  unsigned char q[512] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t n = 12;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q[n++] = static_cast<unsigned char>(dot - start);
    std::memcpy(q + n, name.data() + start, dot - start);
    n += dot - start;
    start = dot + 1;
  }
  q[n++] = 0;
  q[n++] = 0;
  q[n++] = 1;  // A
  q[n++] = 0;
  q[n++] = 1;  // IN
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in ns{};
  ns.sin_family = AF_INET;
  ns.sin_port = htons(53);
  ns.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::sendto(s, q, n, 0, reinterpret_cast<sockaddr*>(&ns), sizeof ns) < 0) return report(-1);
  unsigned char r[512];
  ssize_t got = ::recv(s, r, sizeof r, 0);
  if (got < static_cast<ssize_t>(n + 16) || r[7] != 1) {
    std::printf("no answer\n");
    return 0;
  }
  char ip[32];
  std::snprintf(ip, sizeof ip, "%d.%d.%d.%d", r[got - 4], r[got - 3], r[got - 2], r[got - 1]);
  std::printf("resolved=%s\n", ip);
  return peer(ip, port, false);
}

// A server on the sandbox's own loopback, reached by a client in the same sandbox.
long loopback_echo() {
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 1) != 0 ||
      ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  int s = ::accept(l, nullptr, nullptr);
  if (s < 0 || ::write(c, "x", 1) != 1) return -1;
  char ch = 0;
  return ::read(s, &ch, 1) == 1 && ch == 'x' ? 0 : -1;
}

long abstract_connect(const char* name) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  size_t n = std::strlen(name);
  std::memcpy(a.sun_path + 1, name, n);
  return ::connect(s, reinterpret_cast<sockaddr*>(&a),
                   static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n));
}

long unix_dgram(const char* path, bool use_sendmsg) {
  int s = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (!use_sendmsg) return ::sendto(s, "dgram", 5, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  iovec iov{const_cast<char*>("dgram"), 5};
  msghdr mh{};
  mh.msg_name = &a;
  mh.msg_namelen = sizeof a;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  return ::sendmsg(s, &mh, 0);
}

long unix_connect(const char* path) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  return ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
}

// Counts zombies left after an orphan (a grandchild whose parent exited) ends.
int orphans() {
  pid_t a = ::fork();
  if (a == 0) {
    if (::fork() == 0) {
      ::usleep(100 * 1000);
      ::_exit(0);
    }
    ::_exit(0);
  }
  ::waitpid(a, nullptr, 0);
  ::usleep(500 * 1000);
  int zombies = 0;
  DIR* d = ::opendir("/proc");
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream st(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    std::getline(st, line);
    size_t rp = line.rfind(')');
    if (rp != std::string::npos && rp + 2 < line.size() && line[rp + 2] == 'Z') ++zombies;
  }
  ::closedir(d);
  std::printf("zombies=%d\n", zombies);
  return 0;
}

int status_field(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      std::printf("%s\n", line.c_str());
      return 0;
    }
  }
  return 1;
}

int list_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  int self = ::dirfd(d);
  std::string out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.' || std::atoi(e->d_name) == self) continue;
    out += std::string(out.empty() ? "" : " ") + e->d_name;
  }
  ::closedir(d);
  std::printf("fds=%s\n", out.c_str());
  return 0;
}

int wait_for_signal() {
  static volatile sig_atomic_t got = 0;
  struct sigaction sa {};
  sa.sa_handler = [](int s) { got = s; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
  std::printf("ready\n");
  std::fflush(stdout);
  for (int i = 0; i < 1000 && got == 0; ++i) ::usleep(10 * 1000);
  std::printf("got=%s\n", got == SIGTERM ? "TERM" : got == SIGUSR1 ? "USR1" : "none");
  return got != 0 ? 42 : 1;
}

// Races a path: one thread flips the bytes of `path` between an inside and another name while
// this thread keeps calling OP on it, for `seconds`.
int race(const std::string& op, const std::string& inside, const std::string& other, int seconds) {
  static char path[4096];
  std::string a = inside, b = other;
  std::atomic<bool> stop{false};
  std::strcpy(path, a.c_str());
  std::thread flipper([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      std::memcpy(path, b.c_str(), b.size() + 1);
      std::memcpy(path, a.c_str(), a.size() + 1);
    }
  });
  std::string src = inside + ".src";
  long attempts = 0, successes = 0;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    ++attempts;
    long rc = -1;
    if (op == "open") {
      rc = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (rc >= 0) ::close(static_cast<int>(rc));
    } else if (op == "creat") {
      rc = ::creat(path, 0644);
      if (rc >= 0) ::close(static_cast<int>(rc));
    } else if (op == "rename") {
      int fd = ::open(src.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) ::close(fd);
      rc = ::rename(src.c_str(), path);
    } else if (op == "mkdir") {
      rc = ::mkdir(path, 0755);
      if (rc == 0) ::rmdir(inside.c_str());
    }
    if (rc >= 0) ++successes;
  }
  stop = true;
  flipper.join();
  std::printf("attempts=%ld successes=%ld\n", attempts, successes);
  return 0;
}

// Several threads creating, writing and renaming files at once.
int threads(const std::string& dir) {
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string p = dir + "/t" + std::to_string(t) + "-" + std::to_string(i);
        if (write_file(p.c_str()) != 0 || ::rename(p.c_str(), (p + ".done").c_str()) != 0)
          ++failures;
      }
    });
  }
  for (auto& t : ts) t.join();
  std::printf(failures == 0 ? "ok\n" : "failures=%d\n", failures.load());
  return 0;
}

[[noreturn]] void int80() {
  long ret;
  // i386 getpid through the 32-bit entry: a filter for x86_64 alone would not see it.
  asm volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
  std::printf("int80 returned %ld\n", ret);
  std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: warden-probe ACTION [ARG...]\n");
    return 2;
  }
  std::string a = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (a == "write") return report(write_file(arg));
  if (a == "read") return report(read_file(arg));
  if (a == "mkdir") return report(::mkdir(arg, 0755));
  if (a == "unlink") return report(::unlink(arg));
  if (a == "rename") return report(::rename(arg, argc > 3 ? argv[3] : ""));
  if (a == "connect") return report(tcp_connect(arg, argc > 3 ? std::atoi(argv[3]) : 80));
  if (a == "loopback") return report(loopback_echo());
  if (a == "dns-connect") return dns_connect(arg, std::atoi(argv[3]));
  if (a == "peer") return peer(arg, argc > 3 ? std::atoi(argv[3]) : 0, argc > 4);
  if (a == "abstract") return report(abstract_connect(arg));
  if (a == "unix") return report(unix_connect(arg));
  if (a == "dgram") return report(unix_dgram(arg, false));
  if (a == "dgram-msg") return report(unix_dgram(arg, true));
  if (a == "orphans") return orphans();
  if (a == "status") return status_field(arg);
  if (a == "fds") return list_fds();
  if (a == "signal") return wait_for_signal();
  if (a == "ids") {
    std::printf("uid=%d gid=%d pid=%d\n", ::getuid(), ::getgid(), ::getpid());
    return 0;
  }
  if (a == "exit") return std::atoi(arg);
  if (a == "kill-self") {
    ::kill(::getpid(), std::atoi(arg));
    ::pause();
  }
  // The baseline filter: each call once, with arguments that would succeed or fail differently
  // without the filter.
  if (a == "io_uring_setup") return report(::syscall(__NR_io_uring_setup, 1, nullptr));
  if (a == "clone3") {
    struct clone_args ca {};
    ca.exit_signal = SIGCHLD;
    long pid = ::syscall(__NR_clone3, &ca, sizeof ca);
    if (pid == 0) ::_exit(0);
    if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
    return report(pid);
  }
  if (a == "bpf") return report(::syscall(__NR_bpf, 0, nullptr, 0));
  if (a == "perf_event_open") return report(::syscall(__NR_perf_event_open, nullptr, 0, -1, -1, 0));
  if (a == "userfaultfd") return report(::syscall(__NR_userfaultfd, 0));
  if (a == "keyctl") return report(::syscall(__NR_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
  if (a == "add_key") return report(::syscall(__NR_add_key, "user", "k", "v", 1, -3));
  if (a == "request_key") return report(::syscall(__NR_request_key, "user", "k", nullptr, 0));
  if (a == "kexec_load") return report(::syscall(__NR_kexec_load, 0, 0, nullptr, 0));
  if (a == "init_module") return report(::syscall(__NR_init_module, nullptr, 0, ""));
  if (a == "finit_module") return report(::syscall(__NR_finit_module, -1, "", 0));
  if (a == "delete_module") return report(::syscall(__NR_delete_module, "x", 0));
  if (a == "mount") return report(::mount("none", "/tmp", "tmpfs", 0, nullptr));
  if (a == "umount") return report(::umount2(arg, MNT_DETACH));
  if (a == "pivot_root") return report(::syscall(__NR_pivot_root, ".", "."));
  if (a == "open_tree") return report(::syscall(__NR_open_tree, AT_FDCWD, "/", 1));
  if (a == "fsopen") return report(::syscall(__NR_fsopen, "tmpfs", 0));
  if (a == "move_mount") return report(::syscall(__NR_move_mount, -1, "", -1, "", 0));
  if (a == "mount_setattr") return report(::syscall(__NR_mount_setattr, -1, "", 0, nullptr, 0));
  if (a == "chroot") return report(::chroot("/"));
  if (a == "unshare_user") return report(::unshare(CLONE_NEWUSER));
  if (a == "unshare_net") return report(::unshare(CLONE_NEWNET));
  if (a == "unshare_mnt") return report(::unshare(CLONE_NEWNS));
  if (a == "clone_newuser") {
    long pid = ::syscall(__NR_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
    if (pid == 0) ::_exit(0);
    if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
    return report(pid);
  }
  if (a == "setns") {
    int fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    return report(::setns(fd, 0));
  }
  if (a == "open_by_handle_at")
    return report(::syscall(__NR_open_by_handle_at, AT_FDCWD, nullptr, O_RDONLY));
  if (a == "name_to_handle_at")
    return report(::syscall(__NR_name_to_handle_at, AT_FDCWD, "/", nullptr, nullptr, 0));
  if (a == "tiocsti" || a == "tiocsti_high") {
    char c = '#';
    unsigned long req = TIOCSTI;
    if (a == "tiocsti_high") req |= 0xdead000000000000UL;
    return report(::syscall(__NR_ioctl, 0, req, &c));
  }
  if (a == "tioclinux") {
    char sub = 6;  // TIOCL_GETSHIFTSTATE
    return report(::syscall(__NR_ioctl, 0, TIOCLINUX, &sub));
  }
  if (a == "personality") return report(::personality(ADDR_NO_RANDOMIZE));
  if (a == "personality_query") return report(::personality(0xffffffff));
  if (a == "ptrace") return report(::syscall(__NR_ptrace, 0 /* TRACEME */, 0, 0, 0));
  if (a == "process_vm_readv")
    return report(::syscall(__NR_process_vm_readv, ::getpid(), nullptr, 0, nullptr, 0, 0));
  if (a == "socket_packet") return report(::socket(AF_PACKET, SOCK_RAW, 0));
  if (a == "socket_vsock") return report(::socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
  if (a == "socket_alg") return report(::socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0));
  if (a == "socket_inet") return report(::socket(AF_INET, SOCK_STREAM, 0));
  if (a == "acct") return report(::syscall(__NR_acct, nullptr));
  if (a == "reboot") return report(::syscall(__NR_reboot, 0, 0, 0, nullptr));
  if (a == "settimeofday") return report(::syscall(__NR_settimeofday, nullptr, nullptr));
  if (a == "swapon") return report(::syscall(__NR_swapon, "/x", 0));
  if (a == "syslog") return report(::syscall(__NR_syslog, 3, nullptr, 0));
  if (a == "int80") int80();
  if (a == "race" && argc > 5) return race(argv[2], argv[3], argv[4], std::atoi(argv[5]));
  if (a == "threads") return threads(arg);
  if (a == "bench-open") return bench_open(arg, std::atoi(argv[3]), std::string(argv[4]) == "w");
  if (a == "x32") {
    // x32 getpid: the x86_64 number with the x32 bit set.
    long r = ::syscall(0x40000000L | 39);
    std::printf("x32 returned %ld errno=%d\n", r, errno);
    return 0;
  }
  std::fprintf(stderr, "warden-probe: unknown action %s\n", a.c_str());
  return 2;
}
