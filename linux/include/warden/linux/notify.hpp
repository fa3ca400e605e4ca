// The seccomp user-notification listener, from warden's side: receive a held call, read its
// arguments once, answer it. Everything here is per held syscall: no allocation beyond the
// strings read, no logging.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace warden::linux_backend {

struct Notification {
  std::uint64_t id = 0;
  pid_t pid = 0;  // in warden's pid namespace
  int nr = -1;    // native x86_64 syscall number (the filter kills every other ABI)
  std::uint64_t args[6] = {};
};

class Listener {
 public:
  // Takes ownership of fd. Asks the kernel to wake the other side on the same CPU (Linux 6.6+,
  // ~10x cheaper on a VM); quietly keeps the default where that is missing.
  explicit Listener(int fd);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int fd() const { return fd_; }
  bool sync_wakeup() const { return sync_wakeup_; }

  // Blocks until a held call arrives (true), or the sandbox is gone or stop_fd became
  // readable (false).
  bool receive(Notification& n, int stop_fd);
  // Still the same, still waiting process? Asked after reading its memory or opening its /proc
  // entries: a pid may have been reused.
  bool valid(std::uint64_t id) const;

  void reply_error(std::uint64_t id, int err) const;  // the call returns -1 with errno = err
  void reply_value(std::uint64_t id, std::int64_t value) const;
  // Lets the kernel run the call as it stands. Only for calls whose every possible argument the
  // kernel floor judges on its own (an exec: the floor allows executing anything it can read).
  void reply_continue(std::uint64_t id) const;
  // Installs fd in the target and makes it the call's result, atomically (ADDFD_FLAG_SEND).
  // Returns the fd number in the target, or -errno. tid (the notification's pid, a thread):
  // the target is woken on this thread's CPU (see notify.cpp); 0 leaves the scheduler alone.
  int reply_fd(std::uint64_t id, int fd, bool cloexec, pid_t tid = 0) const;

  // Copies a NUL-terminated string (at most max bytes) out of the target, once.
  // Returns 0, or an errno: EFAULT (bad pointer), ENAMETOOLONG (no NUL within max), ESRCH.
  static int read_string(pid_t pid, std::uint64_t addr, std::string& out, std::size_t max);

 private:
  int fd_;
  bool sync_wakeup_ = false;
};

}  // namespace warden::linux_backend
