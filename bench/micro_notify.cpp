// One held-and-answered system call, end to end: a child process under a seccomp filter that
// holds getppid (SCMP_ACT_NOTIFY), and a supervisor thread answering through warden's own
// Listener, as warden's hold loop does. Compared with the bare call and with an unheld call under
// the same filter. The child times its own calls (a batch per iteration), so the pipe that
// drives it is not in the figures.
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "warden/linux/notify.hpp"

#include "micro_util.hpp"

namespace {

using warden::linux_backend::Listener;
using warden::linux_backend::Notification;

// Linux 6.6; newer than Debian 12's headers (as in linux/notify.cpp).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

enum class Mode {
  Bare,           // no filter at all
  FilterAllowed,  // the filter is loaded, the call is not one it holds
  HeldError,      // held; answered with reply_error (a refusal)
  HeldContinue,   // held; answered with reply_continue (the kernel then runs it)
};

using warden::bench::die;
using warden::bench::now_ns;
using warden::bench::recv_fd;
using warden::bench::send_fd;

// The child: optionally load the filter and hand its listener to the parent, then run batches of
// `nr` on request ("N" -> N calls -> elapsed ns) until asked for 0.
[[noreturn]] void child_main(int sock, bool filtered, long nr) {
  if (filtered) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(2);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == nullptr || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0) != 0 ||
        seccomp_load(ctx) != 0)
      ::_exit(2);
    const int nfd = seccomp_notify_fd(ctx);
    if (nfd < 0) ::_exit(2);
    send_fd(sock, nfd);
    ::close(nfd);
  }
  for (;;) {
    std::uint32_t n = 0;
    if (::read(sock, &n, sizeof n) != static_cast<ssize_t>(sizeof n) || n == 0) ::_exit(0);
    const std::uint64_t t0 = now_ns();
    for (std::uint32_t i = 0; i < n; ++i) ::syscall(nr);
    const std::uint64_t ns = now_ns() - t0;
    if (::write(sock, &ns, sizeof ns) != static_cast<ssize_t>(sizeof ns)) ::_exit(4);
  }
}

class Trapped {
 public:
  Trapped(Mode mode, bool sync_wakeup) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
    const bool filtered = mode != Mode::Bare;
    // FilterAllowed calls getpid, which the filter lets through.
    const long nr = mode == Mode::FilterAllowed ? SYS_getpid : SYS_getppid;
    pid_ = ::fork();
    if (pid_ < 0) die("fork");
    if (pid_ == 0) {
      ::close(sv[0]);
      child_main(sv[1], filtered, nr);
    }
    ::close(sv[1]);
    sock_ = sv[0];
    if (!filtered) return;
    try {
      serve(mode, sync_wakeup);
    } catch (...) {
      stop();  // the destructor does not run after a throwing constructor
      throw;
    }
  }

  ~Trapped() { stop(); }
  Trapped(const Trapped&) = delete;
  Trapped& operator=(const Trapped&) = delete;

  // Runs n calls in the child; their wall time in ns.
  std::uint64_t run(std::uint32_t n) {
    if (::write(sock_, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) die("write");
    std::uint64_t ns = 0;
    if (::read(sock_, &ns, sizeof ns) != static_cast<ssize_t>(sizeof ns)) die("child died");
    return ns;
  }

  bool has_listener() const { return listener_ != nullptr; }
  bool sync() const { return sync_; }

 private:
  // Takes the child's listener and starts answering on a thread of our own.
  void serve(Mode mode, bool sync_wakeup) {
    listener_ = std::make_unique<Listener>(recv_fd(sock_));
    // The Listener always asks for same-CPU wake-ups; switching them off again is the baseline.
    if (!sync_wakeup && listener_->sync_wakeup()) {
      const std::uint64_t none = 0;
      if (::ioctl(listener_->fd(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, none) != 0)
        die("SECCOMP_IOCTL_NOTIF_SET_FLAGS");
    }
    sync_ = sync_wakeup && listener_->sync_wakeup();
    stop_ = ::eventfd(0, EFD_CLOEXEC);
    if (stop_ < 0) die("eventfd");
    const bool refuse = mode == Mode::HeldError;
    server_ = std::thread([this, refuse] {
      Notification n;
      while (listener_->receive(n, stop_)) {
        if (refuse)
          listener_->reply_error(n.id, EPERM);
        else
          listener_->reply_continue(n.id);
      }
    });
  }

  // Ends the child (a 0 batch, then EOF) and the answering thread.
  void stop() {
    const std::uint32_t zero = 0;
    (void)!::write(sock_, &zero, sizeof zero);
    ::close(sock_);
    ::waitpid(pid_, nullptr, 0);
    if (server_.joinable()) {
      const std::uint64_t one = 1;
      (void)!::write(stop_, &one, sizeof one);
      server_.join();
    }
    if (stop_ >= 0) ::close(stop_);
  }

  pid_t pid_ = -1;
  int sock_ = -1;
  int stop_ = -1;
  bool sync_ = false;
  std::unique_ptr<Listener> listener_;
  std::thread server_;
};

void BM_getppid(benchmark::State& state, Mode mode, bool sync_wakeup) {
  try {
    Trapped t(mode, sync_wakeup);
    if (sync_wakeup && !t.sync()) {
      state.SkipWithError("SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP unsupported (Linux < 6.6)");
      return;
    }
    // Batches big enough that reading the clock and the pipe round trip vanish.
    const std::uint32_t batch = t.has_listener() && mode != Mode::FilterAllowed ? 200 : 20000;
    while (state.KeepRunningBatch(batch))
      state.SetIterationTime(static_cast<double>(t.run(batch)) / 1e9);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

BENCHMARK_CAPTURE(BM_getppid, bare, Mode::Bare, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_getppid, filter_not_held, Mode::FilterAllowed, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_getppid, held_reply_error_sync_wakeup, Mode::HeldError, true)->UseManualTime();
BENCHMARK_CAPTURE(BM_getppid, held_reply_error_no_sync, Mode::HeldError, false)->UseManualTime();
BENCHMARK_CAPTURE(BM_getppid, held_reply_continue_sync_wakeup, Mode::HeldContinue, true)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_getppid, held_reply_continue_no_sync, Mode::HeldContinue, false)
    ->UseManualTime();

}  // namespace
