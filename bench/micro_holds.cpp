// Held writes through warden's real hold loop (HoldLoop: leader thread, placement, protected
// names, the broker, NOTIF_ADDFD or SEND): a child under a filter that holds O_CREAT opens,
// mkdir, rename and unlink works in a writable directory on tmpfs (/dev/shm, so the file
// system's own cost stays small), with relative names as git and tar use them. The child times
// its own calls, as in micro_notify.cpp; the bare figures are the same calls without a filter.
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "holds.hpp"
#include "warden/policy/config.hpp"
#include "warden/sandbox/spec.hpp"

#include "micro_util.hpp"

namespace {

enum class Op : std::uint32_t { Create, Mkdir, Rename, Unlink };

using warden::bench::die;
using warden::bench::now_ns;
using warden::bench::recv_fd;
using warden::bench::send_fd;

// The write-intent holds of warden's filter (linux/seccomp.cpp) that these calls meet.
bool load_filter(int& listener) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return false;
  for (unsigned bit : {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC})
    if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 1,
                         SCMP_A2_32(SCMP_CMP_MASKED_EQ, bit, bit)) != 0)
      return false;
  for (int nr : {SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(rename), SCMP_SYS(renameat),
                 SCMP_SYS(renameat2), SCMP_SYS(unlink), SCMP_SYS(unlinkat)})
    if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0) != 0) return false;
  if (seccomp_load(ctx) != 0) return false;
  listener = seccomp_notify_fd(ctx);
  return listener >= 0;
}

// The child: in dir, runs batches on request ({op, n} -> n calls -> elapsed ns).
[[noreturn]] void child_main(int sock, bool filtered, const std::string& dir) {
  if (::chdir(dir.c_str()) != 0) ::_exit(2);
  // No capabilities, as in the sandbox: warden's hold thread (no effective capability) may
  // open /proc/PID entries only of a process whose capabilities are a subset of its own.
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  if (::syscall(SYS_capset, &hdr, none) != 0) ::_exit(2);
  if (filtered) {
    int nfd = -1;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || !load_filter(nfd)) ::_exit(2);
    send_fd(sock, nfd);
    ::close(nfd);
  }
  std::uint64_t serial = 0;
  char a[64], b[64];
  for (;;) {
    std::uint32_t cmd[2] = {};
    if (::read(sock, cmd, sizeof cmd) != static_cast<ssize_t>(sizeof cmd) || cmd[1] == 0)
      ::_exit(0);
    const auto op = static_cast<Op>(cmd[0]);
    const std::uint32_t n = cmd[1];
    // Unlink and rename need names that exist: made first, untimed.
    const std::uint64_t first = serial;
    if (op == Op::Unlink || op == Op::Rename) {
      for (std::uint32_t i = 0; i < n; ++i) {
        std::snprintf(a, sizeof a, "sub/f%llu", static_cast<unsigned long long>(first + i));
        int fd = ::open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) ::_exit(5);
        ::close(fd);
      }
    }
    const std::uint64_t t0 = now_ns();
    for (std::uint32_t i = 0; i < n; ++i, ++serial) {
      const auto s = static_cast<unsigned long long>(serial);
      int rc = 0;
      switch (op) {
        case Op::Create: {
          std::snprintf(a, sizeof a, "sub/c%llu.tmp", s);
          int fd = ::open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
          rc = fd < 0 ? -1 : ::close(fd);
          break;
        }
        case Op::Mkdir:
          std::snprintf(a, sizeof a, "sub/d%llu", s);
          rc = ::mkdir(a, 0755);
          break;
        case Op::Rename:
          std::snprintf(a, sizeof a, "sub/f%llu", s);
          std::snprintf(b, sizeof b, "sub/r%llu", s);
          rc = ::rename(a, b);
          break;
        case Op::Unlink:
          std::snprintf(a, sizeof a, "sub/f%llu", s);
          rc = ::unlink(a);
          break;
      }
      if (rc != 0) ::_exit(6);
    }
    const std::uint64_t ns = now_ns() - t0;
    if (::write(sock, &ns, sizeof ns) != static_cast<ssize_t>(sizeof ns)) ::_exit(4);
  }
}

class Workspace {
 public:
  Workspace() {
    char tmpl[] = "/dev/shm/warden-micro-holds.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
    path_ = tmpl;
    if (::mkdir((path_ + "/sub").c_str(), 0755) != 0) die("mkdir");
  }
  ~Workspace() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class HeldChild {
 public:
  HeldChild(const std::string& dir, bool filtered) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
    pid_ = ::fork();
    if (pid_ < 0) die("fork");
    if (pid_ == 0) {
      ::close(sv[0]);
      child_main(sv[1], filtered, dir);
    }
    ::close(sv[1]);
    sock_ = sv[0];
    if (!filtered) return;
    try {
      const int nfd = recv_fd(sock_);
      spec_.mode = warden::sandbox::Mode::WorkspaceWrite;
      spec_.workspace = dir;
      spec_.protected_names = config_.protected_paths.value;
      warden::supervisor::HoldSettings hs;
      hs.config = &config_;
      hs.spec = &spec_;
      // No road: every call here stays inside the workspace, so none becomes a request.
      loop_ = std::make_unique<warden::supervisor::HoldLoop>(nfd, std::move(hs));
      ::close(nfd);  // the loop holds its own duplicate
      loop_->start();
    } catch (...) {
      stop();
      throw;
    }
  }
  ~HeldChild() { stop(); }
  HeldChild(const HeldChild&) = delete;
  HeldChild& operator=(const HeldChild&) = delete;

  std::uint64_t run(Op op, std::uint32_t n) {
    const std::uint32_t cmd[2] = {static_cast<std::uint32_t>(op), n};
    std::uint64_t ns = 0;
    if (::send(sock_, cmd, sizeof cmd, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof cmd) ||
        ::read(sock_, &ns, sizeof ns) != static_cast<ssize_t>(sizeof ns)) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("the child failed (exit " + std::to_string(WEXITSTATUS(status)) +
                               "; 5, 6: a held call was refused)");
    }
    return ns;
  }

 private:
  void stop() {
    const std::uint32_t zero[2] = {0, 0};
    (void)!::send(sock_, zero, sizeof zero, MSG_NOSIGNAL);
    ::close(sock_);
    if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
    loop_.reset();  // the child is gone: the listener hangs up and the loop ends
  }

  pid_t pid_ = -1;
  int sock_ = -1;
  warden::policy::Config config_ = [] {
    warden::policy::LoadOptions o;
    o.config_file = "/dev/null";  // warden's defaults, protected names included
    o.default_requirements_file = "/nonexistent/requirements.toml";
    o.home = "/nonexistent-home";
    o.warden_home = "/nonexistent-home/.warden";
    return warden::policy::load_config(o);
  }();
  warden::sandbox::Spec spec_;
  std::unique_ptr<warden::supervisor::HoldLoop> loop_;
};

void BM_held_write(benchmark::State& state, Op op, bool held) {
  try {
    Workspace ws;
    HeldChild child(ws.path(), held);
    const std::uint32_t batch = held ? 100 : 1000;
    while (state.KeepRunningBatch(batch))
      state.SetIterationTime(static_cast<double>(child.run(op, batch)) / 1e9);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

BENCHMARK_CAPTURE(BM_held_write, create_bare, Op::Create, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, create_held_addfd, Op::Create, true)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, mkdir_bare, Op::Mkdir, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, mkdir_held, Op::Mkdir, true)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, rename_bare, Op::Rename, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, rename_held, Op::Rename, true)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, unlink_bare, Op::Unlink, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_held_write, unlink_held, Op::Unlink, true)->UseManualTime();

}  // namespace
