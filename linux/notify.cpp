#include "warden/linux/notify.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace warden::linux_backend {
namespace {

// Linux 6.6; newer than Debian 12's headers.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
constexpr std::uint64_t kSyncWakeUp = 1;  // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP

}  // namespace

Listener::Listener(int fd) : fd_(fd) {
  sync_wakeup_ = ::ioctl(fd_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, kSyncWakeUp) == 0;
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

bool Listener::receive(Notification& n, int stop_fd) {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int rc = ::poll(fds, stop_fd >= 0 ? 2 : 1, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (stop_fd >= 0 && fds[1].revents != 0) return false;
    if ((fds[0].revents & POLLIN) == 0) return false;  // POLLHUP: no process left to hold
    seccomp_notif req{};
    if (::ioctl(fd_, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      // ENOENT: the caller died (or a signal cut the wait short) between poll and recv.
      if (errno == ENOENT || errno == EINTR) continue;
      return false;
    }
    n.id = req.id;
    n.pid = static_cast<pid_t>(req.pid);
    n.nr = req.data.nr;
    for (int i = 0; i < 6; ++i) n.args[i] = req.data.args[i];
    return true;
  }
}

bool Listener::valid(std::uint64_t id) const {
  return ::ioctl(fd_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void Listener::reply_error(std::uint64_t id, int err) const {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.error = -err;
  (void)::ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller is gone
}

void Listener::reply_value(std::uint64_t id, std::int64_t value) const {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = value;
  (void)::ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

void Listener::reply_continue(std::uint64_t id) const {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  (void)::ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

namespace {

// NOTIF_ADDFD wakes the target with a plain complete() even under SYNC_WAKE_UP (Linux 6.18), and
// waits for it to install the fd: the scheduler puts the target on an idle CPU (this one is busy
// with the caller), an IPI and, on a VM, a hypervisor exit (~30-50 us), and the caller is woken
// back across CPUs too. Narrowing the target thread's affinity to this CPU for the ioctl makes
// that a local wake-up. Only a hint: any step that fails leaves the scheduler alone, and the
// call's answer never depends on it.
class WakeHere {
 public:
  explicit WakeHere(pid_t tid) {
    if (tid <= 0) return;
    const int cpu = ::sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    if (::sched_getaffinity(tid, sizeof old_, &old_) != 0) return;
    // A CPU the thread does not allow is not ours to add; a thread already there needs nothing.
    if (!CPU_ISSET(cpu, &old_) || CPU_COUNT(&old_) == 1) return;
    CPU_ZERO(&one_);
    CPU_SET(cpu, &one_);
    if (::sched_setaffinity(tid, sizeof one_, &one_) == 0) tid_ = tid;
  }
  // Puts back exactly the mask read before, unless someone (another thread of the program)
  // set a mask of its own meanwhile: that one is left as set.
  ~WakeHere() {
    if (tid_ == 0) return;
    cpu_set_t now;
    if (::sched_getaffinity(tid_, sizeof now, &now) == 0 && CPU_EQUAL(&now, &one_))
      (void)::sched_setaffinity(tid_, sizeof old_, &old_);
  }
  WakeHere(const WakeHere&) = delete;
  WakeHere& operator=(const WakeHere&) = delete;

 private:
  pid_t tid_ = 0;
  cpu_set_t old_{};
  cpu_set_t one_{};
};

}  // namespace

int Listener::reply_fd(std::uint64_t id, int fd, bool cloexec, pid_t tid) const {
  seccomp_notif_addfd add{};
  add.id = id;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<std::uint32_t>(fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  WakeHere here(tid);
  int rc = ::ioctl(fd_, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  return rc < 0 ? -errno : rc;
}

int Listener::read_string(pid_t pid, std::uint64_t addr, std::string& out, std::size_t max) {
  out.clear();
  if (addr == 0) return EFAULT;
  char buf[4096];
  while (out.size() < max) {
    // Never cross a page boundary in one read: the next page may be unmapped even though the
    // string ends before it.
    std::size_t in_page = 4096 - (addr % 4096);
    std::size_t want = std::min({in_page, sizeof buf, max - out.size()});
    iovec local{buf, want};
    iovec remote{reinterpret_cast<void*>(addr), want};
    ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return errno == ESRCH ? ESRCH : EFAULT;
    const char* nul = static_cast<const char*>(std::memchr(buf, '\0', static_cast<size_t>(n)));
    if (nul != nullptr) {
      out.append(buf, static_cast<size_t>(nul - buf));
      return 0;
    }
    out.append(buf, static_cast<size_t>(n));
    addr += static_cast<std::uint64_t>(n);
  }
  return ENAMETOOLONG;
}

}  // namespace warden::linux_backend
