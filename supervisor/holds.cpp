#include "holds.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdio>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <optional>

#include <netdb.h>
#include "dns.hpp"
#include "warden/broker/fs.hpp"
#include "warden/broker/path.hpp"
#include "warden/policy/json.hpp"
#include "warden/policy/safe_commands.hpp"

namespace warden::supervisor {

namespace json = policy::json;
using linux_backend::Listener;
using linux_backend::Notification;

// What warden knows about the process behind one held call. Opened per call: a pid names a
// process only while ID_VALID says so, and /proc entries are checked against it after opening.
struct HoldLoop::Target {
  pid_t pid = 0;
  broker::UniqueFd root;  // the process's own root: the sandbox's view
  std::string cwd;        // its working directory, as a path in that view
  mode_t umask = 022;
};

// One path argument of the call: the directory it is relative to, the bytes copied once, and
// where it really leads (resolved once; the operation acts on these fds, never on the text).
struct HoldLoop::Operand {
  enum Need { kParent, kObject, kOpen };
  Need need = kParent;
  int dirfd = AT_FDCWD;
  std::uint64_t addr = 0;
  bool follow = true;     // the call follows a symlink in the final component
  bool empty_ok = false;  // AT_EMPTY_PATH or a NULL path: the call acts on dirfd itself
  int open_flags = 0;     // kOpen
  std::string text;       // as the program passed it
  std::string path;       // absolute, lexically normalised, in the sandbox's view
  std::string real;       // symlinks resolved: what the decision is about
  std::optional<broker::Parent> parent;
  std::optional<broker::Object> object;
  bool inside = false;
  std::string protected_by;
};

// The held call with its non-path arguments, copied once.
struct HoldLoop::Call {
  Notification n;
  int count = 1;  // path operands
  bool is_open = false;
  int flags = 0;  // open flags, or the *at flags of unlinkat/linkat/fchownat/utimensat
  unsigned rename_flags = 0;
  mode_t mode = 0;
  dev_t dev = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  off_t length = 0;
  bool times_now = true;
  timespec times[2] = {};
  std::string text;   // symlink target, or xattr name
  std::string value;  // xattr value
};

namespace {

constexpr std::size_t kPathMax = 4096;
// perform(): the name appeared between placement and creation; place it again.
constexpr long kRetry = -100000;
// perform(): an existing FIFO, opened on a thread of its own.
constexpr long kFifo = -100001;

std::string readlink_str(const std::string& link) {
  char buf[kPathMax];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n <= 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// The umask is in /proc/PID/status only; read raw into the stack (it is near the top), as no
// other interface gives another process's umask and it may change without a held call.
mode_t read_umask(const char* proc) {
  char path[64];
  std::snprintf(path, sizeof path, "%s/status", proc);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 022;
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 022;
  buf[n] = '\0';
  const char* u = std::strstr(buf, "\nUmask:");
  if (u == nullptr) return 022;
  return static_cast<mode_t>(std::strtoul(u + 7, nullptr, 8));
}

std::vector<std::string> read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> out;
  std::string arg;
  while (std::getline(in, arg, '\0')) out.push_back(arg);
  return out;
}

bool under_any(const std::string& path, const std::vector<std::string>& roots) {
  for (const auto& r : roots)
    if (broker::is_under(path, r)) return true;
  return false;
}

const char* syscall_name(int nr) {
  switch (nr) {
    case __NR_open:
      return "open";
    case __NR_openat:
      return "openat";
    case __NR_openat2:
      return "openat2";
    case __NR_creat:
      return "creat";
    case __NR_connect:
      return "connect";
    case __NR_sendto:
      return "sendto";
    case __NR_sendmsg:
      return "sendmsg";
    case __NR_mkdir:
      return "mkdir";
    case __NR_mkdirat:
      return "mkdirat";
    case __NR_mknod:
      return "mknod";
    case __NR_mknodat:
      return "mknodat";
    case __NR_unlink:
      return "unlink";
    case __NR_unlinkat:
      return "unlinkat";
    case __NR_rmdir:
      return "rmdir";
    case __NR_rename:
      return "rename";
    case __NR_renameat:
      return "renameat";
    case __NR_renameat2:
      return "renameat2";
    case __NR_link:
      return "link";
    case __NR_linkat:
      return "linkat";
    case __NR_symlink:
      return "symlink";
    case __NR_symlinkat:
      return "symlinkat";
    case __NR_chmod:
      return "chmod";
    case __NR_fchmodat:
      return "fchmodat";
    case __NR_chown:
      return "chown";
    case __NR_lchown:
      return "lchown";
    case __NR_fchownat:
      return "fchownat";
    case __NR_truncate:
      return "truncate";
    case __NR_utime:
      return "utime";
    case __NR_utimes:
      return "utimes";
    case __NR_futimesat:
      return "futimesat";
    case __NR_utimensat:
      return "utimensat";
    case __NR_setxattr:
      return "setxattr";
    case __NR_lsetxattr:
      return "lsetxattr";
    case __NR_removexattr:
      return "removexattr";
    case __NR_lremovexattr:
      return "lremovexattr";
  }
  return "unknown";
}

// Copies `len` bytes of the target's memory once.
bool read_bytes(pid_t pid, std::uint64_t addr, void* out, std::size_t len) {
  iovec local{out, len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  return ::process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

// The loop thread keeps no effective capability: a root warden must not write, as broker, what
// the sandboxed root (which has none) could not. capset is per thread.
void drop_thread_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return;
  data[0].effective = data[1].effective = 0;
  (void)::syscall(SYS_capset, &hdr, data);
}

}  // namespace

HoldLoop::HoldLoop(int listener_fd, HoldSettings settings)
    : listener_(std::make_shared<Listener>(::fcntl(listener_fd, F_DUPFD_CLOEXEC, 3))),
      s_(std::move(settings)) {
  const auto& spec = *s_.spec;
  if (spec.mode == sandbox::Mode::WorkspaceWrite) {
    writable_.push_back(spec.workspace);
    writable_.insert(writable_.end(), spec.writable_roots.begin(), spec.writable_roots.end());
    protected_roots_ = writable_;
  }
  if (spec.tmp_writable) writable_.push_back("/tmp");
  writable_.push_back("/dev/shm");
  host_root_ = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (auto r = broker::root_path(host_root_); r.ok()) host_root_path_ = r.value;
  // What the masks cover: each deny_read entry as written and where it really is (a symlinked
  // entry is masked at its target).
  for (const auto& d : spec.deny_read) {
    masked_.push_back(d);
    char real[PATH_MAX];
    if (::realpath(d.c_str(), real) != nullptr && d != real) masked_.emplace_back(real);
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
}

HoldLoop::~HoldLoop() {
  std::uint64_t one = 1;
  if (stop_fd_ >= 0) (void)::write(stop_fd_, &one, sizeof one);
  {
    std::lock_guard lk(pool_mutex_);
    stopping_ = true;
  }
  pool_cv_.notify_all();
  // Threads are only added under the mutex, and none once stopping_ is set.
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  if (stop_fd_ >= 0) ::close(stop_fd_);
  if (host_root_ >= 0) ::close(host_root_);
  if (sandbox_root_ >= 0) ::close(sandbox_root_);
}

void HoldLoop::start() {
  std::lock_guard lk(pool_mutex_);
  threads_.emplace_back([this] { serve(); });
}

namespace {
thread_local bool t_leader = false;
// The last answer on this thread was `k`: the denial is not delivered, the tree is killed.
thread_local bool t_kill = false;
// The call last asked about is no longer held (its process died meanwhile).
thread_local bool t_gone = false;
}  // namespace

void HoldLoop::serve() {
  drop_thread_capabilities();
  // Created files get exactly the target's mode & ~umask, with no /proc read of warden's own
  // umask per creation (and control.cpp's brief umask(077) cannot leak into them).
  (void)broker::use_private_umask();
  Notification n;
  for (;;) {
    {
      std::unique_lock lk(pool_mutex_);
      ++parked_;
      pool_cv_.wait(lk, [&] { return !leader_taken_ || stopping_; });
      --parked_;
      if (stopping_) return;
      leader_taken_ = true;
      t_leader = true;
    }
    while (t_leader) {
      if (!listener_->receive(n, stop_fd_)) {
        std::lock_guard lk(pool_mutex_);
        stopping_ = true;
        t_leader = false;
        pool_cv_.notify_all();
        return;
      }
      handle(n);
    }
  }
}

void HoldLoop::release_leadership() {
  if (!t_leader) return;
  t_leader = false;
  std::lock_guard lk(pool_mutex_);
  leader_taken_ = false;
  if (stopping_) return;
  if (parked_ > 0) {
    pool_cv_.notify_one();
  } else if (threads_.size() < kMaxThreads) {
    threads_.emplace_back([this] { serve(); });
  } else {
    // Every thread waits for an answer: the next one to finish takes the lead. Calls queue in
    // the kernel meanwhile; none is lost.
  }
}

// Every process in the sandbox has init's root: the baseline filter refuses chroot,
// pivot_root, setns and the mount calls. So the root is opened from /proc once, kept once the
// caller is known to be still the one waiting (settle_root), and then duplicated: no /proc walk
// and no readlink per held call.
HoldLoop::SandboxRoot HoldLoop::open_root(pid_t pid) {
  SandboxRoot r;
  {
    std::lock_guard lk(root_mutex_);
    if (sandbox_root_ >= 0) {
      r.fd = broker::UniqueFd(::fcntl(sandbox_root_, F_DUPFD_CLOEXEC, 0));
      r.path = sandbox_root_path_;
      r.kept = true;
      return r;
    }
  }
  char link[48];
  std::snprintf(link, sizeof link, "/proc/%d/root", static_cast<int>(pid));
  r.fd = broker::UniqueFd(::open(link, O_PATH | O_DIRECTORY | O_CLOEXEC));
  return r;
}

bool HoldLoop::settle_root(SandboxRoot& r) {
  if (!r.fd) return false;
  if (r.kept) return true;
  // Every lookup reports real paths relative to it.
  auto path = broker::root_path(r.fd.get());
  if (!path.ok()) return false;
  r.path = path.value;
  std::lock_guard lk(root_mutex_);
  if (sandbox_root_ < 0) {
    sandbox_root_path_ = r.path;
    sandbox_root_ = ::fcntl(r.fd.get(), F_DUPFD_CLOEXEC, 0);
  }
  return true;
}

// Where an operand really leads, resolved in the view whose root is root_fd (the sandbox's, or
// the host's for an approved widening). Returns 0 or the errno the call fails with anyway.
int HoldLoop::place(int root_fd, std::string_view root_path, Operand& op, bool creates) {
  op.parent.reset();
  op.object.reset();
  bool exists = false;
  bool probed = false;
  if (op.need == Operand::kOpen && (op.open_flags & O_CREAT) != 0) {
    // The usual O_CREAT names a new file: the parent first, then one no-follow lookup of the
    // name, which also tells a dangling symlink apart. Anything else (a symlink, ".", "x/")
    // takes the general road below.
    auto parent = broker::resolve_parent(root_fd, root_path, op.path);
    if (!parent.ok()) return -parent.err;
    if (parent.value.last == broker::Last::Normal && !parent.value.trailing_slash) {
      auto obj = broker::probe_name(parent.value);
      if (obj.ok()) {
        op.real = obj.value.real_path;
        op.object.emplace(std::move(obj.value));
        exists = probed = true;
      } else if (obj.err == -ENOENT) {
        op.real = parent.value.real_path();
        op.parent.emplace(std::move(parent.value));
        probed = true;
      } else if (obj.err != -ELOOP) {
        return -obj.err;
      }
    }
  }
  if (!probed && op.need != Operand::kParent) {
    bool follow = op.need == Operand::kOpen ? (op.open_flags & O_NOFOLLOW) == 0 : op.follow;
    auto obj = broker::open_existing(root_fd, root_path, op.path, follow || op.text.empty());
    if (obj.ok()) {
      op.real = obj.value.real_path;
      op.object.emplace(std::move(obj.value));
      exists = true;
    } else if (op.need == Operand::kObject || obj.err != -ENOENT ||
               (op.open_flags & O_CREAT) == 0) {
      return -obj.err;
    }
  }
  if (!exists && !probed) {
    auto parent = broker::resolve_parent(root_fd, root_path, op.path);
    if (!parent.ok()) return -parent.err;
    if (op.need == Operand::kOpen) {
      // O_CREAT through a dangling symlink would create wherever the link points, outside any
      // judgement made here: refused.
      auto link = broker::open_existing(root_fd, root_path, op.path, false);
      if (link.ok()) return EACCES;
    }
    op.real = parent.value.real_path();
    op.parent.emplace(std::move(parent.value));
  }
  op.inside = under_any(op.real, writable_);
  // The sandbox's own /dev nodes (null, tty, ptys, ...) are part of its floor; /dev itself is a
  // read-only tmpfs, so nothing new can appear there.
  if (op.object && broker::is_under(op.real, "/dev")) op.inside = true;
  op.protected_by.clear();
  if (auto m = broker::protected_match(op.real, protected_roots_, s_.spec->protected_names))
    op.protected_by = *m;
  else if (creates && broker::names_git_metadata(op.real) && under_any(op.real, protected_roots_))
    op.protected_by = ".git (a new repository)";
  return 0;
}

// Fills the fields every request from a held call shares, then takes the road.
bool HoldLoop::ask(policy::Request req, pid_t pid, std::uint64_t id, const Refusal& refusal) {
  req.id = std::to_string(next_id_++);
  req.pid = pid;
  req.command = read_cmdline(pid);
  if (!req.cwd) req.cwd = readlink_str("/proc/" + std::to_string(pid) + "/cwd");
  req.workspace = s_.spec->workspace;
  if (!s_.intent.empty()) req.intent = s_.intent;
  Outcome out = s_.road->decide(req, refusal);
  t_kill = out.kill;
  // The asker may have died while a person thought: nothing is performed for a call that is
  // no longer held, and nobody is killed for it.
  t_gone = !listener_->valid(id);
  return out.approved() && !t_gone;
}

bool HoldLoop::decide(const Target& t, const Call& c, const Operand& op) {
  policy::Request req;
  req.category = policy::Category::SandboxApproval;
  req.kind = c.is_open && (c.flags & O_ACCMODE) == O_RDONLY && (c.flags & (O_CREAT | O_TRUNC)) == 0
                 ? policy::Kind::FileRead
                 : policy::Kind::FileWrite;
  req.syscall = syscall_name(c.n.nr);
  req.path = op.real;
  if (!t.cwd.empty()) req.cwd = t.cwd;  // else ask() reads it
  Refusal refusal;
  // Warden's own mounts are never widened: /proc/self there would be warden, /dev the host's.
  if (broker::is_under(op.real, "/proc") || broker::is_under(op.real, "/sys") ||
      (broker::is_under(op.real, "/dev") && !broker::is_under(op.real, "/dev/shm")))
    refusal.reason = op.real + " belongs to the sandbox's own /proc, /sys or /dev";
  if (!op.protected_by.empty()) refusal.note = "protected: " + op.protected_by;
  return ask(std::move(req), t.pid, c.n.id, refusal);
}

}  // namespace warden::supervisor

namespace warden::supervisor {
namespace {

int at_fd(std::uint64_t v) {
  return static_cast<int>(static_cast<std::int32_t>(v));
}

// /dev/stdout, /dev/fd/N, /proc/self/fd/N: the program means one of its own descriptors. Returns
// N, or -1 when the path is not such a name.
int own_fd_path(const std::string& p) {
  if (p == "/dev/stdin") return 0;
  if (p == "/dev/stdout") return 1;
  if (p == "/dev/stderr") return 2;
  for (const char* prefix : {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"}) {
    std::string_view pre(prefix);
    if (p.size() > pre.size() && p.compare(0, pre.size(), pre) == 0) {
      std::string rest = p.substr(pre.size());
      if (rest.find_first_not_of("0123456789") != std::string::npos || rest.size() > 9) return -1;
      return std::stoi(rest);
    }
  }
  return -1;
}

bool read_times(pid_t pid, int nr, std::uint64_t addr, timespec out[2]) {
  if (nr == __NR_utimensat) return read_bytes(pid, addr, out, sizeof(timespec) * 2);
  if (nr == __NR_utime) {
    long t[2];
    if (!read_bytes(pid, addr, t, sizeof t)) return false;
    out[0] = {t[0], 0};
    out[1] = {t[1], 0};
    return true;
  }
  timeval tv[2];
  if (!read_bytes(pid, addr, tv, sizeof tv)) return false;
  for (int i = 0; i < 2; ++i) out[i] = {tv[i].tv_sec, tv[i].tv_usec * 1000};
  return true;
}

}  // namespace

void HoldLoop::reply(const Listener& l, const Call& c, long result) {
  if (result < 0) {
    l.reply_error(c.n.id, static_cast<int>(-result));
  } else if (c.is_open) {
    int fd = static_cast<int>(result);
    int rc = l.reply_fd(c.n.id, fd, (c.flags & O_CLOEXEC) != 0, c.n.pid);
    ::close(fd);
    // e.g. EMFILE in the target; ENOENT: the call is no longer held, nobody to answer.
    if (rc < 0 && rc != -ENOENT) l.reply_error(c.n.id, -rc);
  } else {
    l.reply_value(c.n.id, result);
  }
}

void HoldLoop::handle(const Notification& n) {
  Call c;
  c.n = n;
  Operand ops[2];
  const auto* a = n.args;
  auto path_at = [&](Operand& op, Operand::Need need, int dirfd, std::uint64_t addr) {
    op.need = need;
    op.dirfd = dirfd;
    op.addr = addr;
  };
  using O = Operand;
  switch (n.nr) {
    case __NR_open:
      path_at(ops[0], O::kOpen, AT_FDCWD, a[0]);
      c.flags = static_cast<int>(a[1]);
      c.mode = static_cast<mode_t>(a[2]);
      c.is_open = true;
      break;
    case __NR_openat:
      path_at(ops[0], O::kOpen, at_fd(a[0]), a[1]);
      c.flags = static_cast<int>(a[2]);
      c.mode = static_cast<mode_t>(a[3]);
      c.is_open = true;
      break;
    case __NR_creat:
      path_at(ops[0], O::kOpen, AT_FDCWD, a[0]);
      c.flags = O_CREAT | O_WRONLY | O_TRUNC;
      c.mode = static_cast<mode_t>(a[1]);
      c.is_open = true;
      break;
    case __NR_openat2: {
      open_how how{};
      if (a[3] < sizeof how || a[3] > 4096) return listener_->reply_error(n.id, EINVAL);
      if (!read_bytes(n.pid, a[2], &how, sizeof how)) return listener_->reply_error(n.id, EFAULT);
      // RESOLVE_* constraints are the program's own hardening; programs fall back to openat.
      if (how.resolve != 0 || how.flags > 0xffffffffULL)
        return listener_->reply_error(n.id, ENOSYS);
      path_at(ops[0], O::kOpen, at_fd(a[0]), a[1]);
      c.flags = static_cast<int>(how.flags);
      c.mode = static_cast<mode_t>(how.mode);
      c.is_open = true;
      break;
    }
    case __NR_mkdir:
    case __NR_mkdirat: {
      bool at = n.nr == __NR_mkdirat;
      path_at(ops[0], O::kParent, at ? at_fd(a[0]) : AT_FDCWD, a[at ? 1 : 0]);
      c.mode = static_cast<mode_t>(a[at ? 2 : 1]);
      break;
    }
    case __NR_mknod:
    case __NR_mknodat: {
      bool at = n.nr == __NR_mknodat;
      path_at(ops[0], O::kParent, at ? at_fd(a[0]) : AT_FDCWD, a[at ? 1 : 0]);
      c.mode = static_cast<mode_t>(a[at ? 2 : 1]);
      c.dev = static_cast<dev_t>(a[at ? 3 : 2]);
      break;
    }
    case __NR_unlink:
    case __NR_rmdir:
      path_at(ops[0], O::kParent, AT_FDCWD, a[0]);
      c.flags = n.nr == __NR_rmdir ? AT_REMOVEDIR : 0;
      break;
    case __NR_unlinkat:
      path_at(ops[0], O::kParent, at_fd(a[0]), a[1]);
      c.flags = static_cast<int>(a[2]);
      break;
    case __NR_rename:
      path_at(ops[0], O::kParent, AT_FDCWD, a[0]);
      path_at(ops[1], O::kParent, AT_FDCWD, a[1]);
      c.count = 2;
      break;
    case __NR_renameat:
    case __NR_renameat2:
      path_at(ops[0], O::kParent, at_fd(a[0]), a[1]);
      path_at(ops[1], O::kParent, at_fd(a[2]), a[3]);
      c.rename_flags = n.nr == __NR_renameat2 ? static_cast<unsigned>(a[4]) : 0;
      c.count = 2;
      break;
    case __NR_link:
    case __NR_linkat: {
      bool at = n.nr == __NR_linkat;
      c.flags = at ? static_cast<int>(a[4]) : 0;
      path_at(ops[0], O::kObject, at ? at_fd(a[0]) : AT_FDCWD, a[at ? 1 : 0]);
      ops[0].follow = (c.flags & AT_SYMLINK_FOLLOW) != 0;
      ops[0].empty_ok = (c.flags & AT_EMPTY_PATH) != 0;
      path_at(ops[1], O::kParent, at ? at_fd(a[2]) : AT_FDCWD, a[at ? 3 : 1]);
      c.count = 2;
      break;
    }
    case __NR_symlink:
    case __NR_symlinkat: {
      bool at = n.nr == __NR_symlinkat;
      int err = Listener::read_string(n.pid, a[0], c.text, kPathMax);
      if (err != 0) return listener_->reply_error(n.id, err);
      path_at(ops[0], O::kParent, at ? at_fd(a[1]) : AT_FDCWD, a[at ? 2 : 1]);
      break;
    }
    case __NR_chmod:
    case __NR_fchmodat: {
      bool at = n.nr == __NR_fchmodat;
      path_at(ops[0], O::kObject, at ? at_fd(a[0]) : AT_FDCWD, a[at ? 1 : 0]);
      c.mode = static_cast<mode_t>(a[at ? 2 : 1]);
      break;
    }
    case __NR_chown:
    case __NR_lchown:
      path_at(ops[0], O::kObject, AT_FDCWD, a[0]);
      ops[0].follow = n.nr == __NR_chown;
      c.uid = static_cast<uid_t>(a[1]);
      c.gid = static_cast<gid_t>(a[2]);
      break;
    case __NR_fchownat:
      path_at(ops[0], O::kObject, at_fd(a[0]), a[1]);
      c.uid = static_cast<uid_t>(a[2]);
      c.gid = static_cast<gid_t>(a[3]);
      c.flags = static_cast<int>(a[4]);
      ops[0].follow = (c.flags & AT_SYMLINK_NOFOLLOW) == 0;
      ops[0].empty_ok = (c.flags & AT_EMPTY_PATH) != 0;
      break;
    case __NR_truncate:
      path_at(ops[0], O::kObject, AT_FDCWD, a[0]);
      c.length = static_cast<off_t>(a[1]);
      break;
    case __NR_utime:
    case __NR_utimes:
    case __NR_futimesat:
    case __NR_utimensat: {
      bool at = n.nr == __NR_futimesat || n.nr == __NR_utimensat;
      path_at(ops[0], O::kObject, at ? at_fd(a[0]) : AT_FDCWD, a[at ? 1 : 0]);
      std::uint64_t times = a[at ? 2 : 1];
      if (n.nr == __NR_utimensat) {
        c.flags = static_cast<int>(a[3]);
        ops[0].follow = (c.flags & AT_SYMLINK_NOFOLLOW) == 0;
      }
      ops[0].empty_ok = at;  // a NULL path means dirfd itself
      if (times != 0) {
        if (!read_times(n.pid, n.nr, times, c.times)) return listener_->reply_error(n.id, EFAULT);
        c.times_now = false;
      }
      break;
    }
    case __NR_setxattr:
    case __NR_lsetxattr:
    case __NR_removexattr:
    case __NR_lremovexattr: {
      path_at(ops[0], O::kObject, AT_FDCWD, a[0]);
      ops[0].follow = n.nr == __NR_setxattr || n.nr == __NR_removexattr;
      int err = Listener::read_string(n.pid, a[1], c.text, 256);
      if (err != 0) return listener_->reply_error(n.id, err == ENAMETOOLONG ? ERANGE : err);
      if (n.nr == __NR_setxattr || n.nr == __NR_lsetxattr) {
        if (a[3] > 65536) return listener_->reply_error(n.id, E2BIG);
        c.value.resize(a[3]);
        c.flags = static_cast<int>(a[4]);
        if (a[3] > 0 && !read_bytes(n.pid, a[2], c.value.data(), a[3]))
          return listener_->reply_error(n.id, EFAULT);
      }
      break;
    }
    case __NR_connect:
      return handle_connect(n);
    case __NR_execve:
    case __NR_execveat:
      return handle_exec(n);
    case __NR_sendto:
    case __NR_sendmsg:
    case __NR_sendmmsg:
      return handle_send(n);
    default:
      return listener_->reply_error(n.id, ENOSYS);
  }
  for (int i = 0; i < c.count; ++i) {
    Operand& op = ops[i];
    ops[i].open_flags = c.flags;
    if (op.addr == 0 && op.empty_ok) continue;
    int err = Listener::read_string(n.pid, op.addr, op.text, kPathMax);
    if (err != 0) return listener_->reply_error(n.id, err);
  }

  Target t;
  t.pid = n.pid;
  char proc_buf[32];
  std::snprintf(proc_buf, sizeof proc_buf, "/proc/%d", static_cast<int>(n.pid));
  const std::string proc = proc_buf;
  SandboxRoot root = open_root(n.pid);
  // The working directory only when a path is relative to it (a request reads it if needed).
  bool needs_cwd = false;
  for (int i = 0; i < c.count; ++i)
    if (ops[i].dirfd == AT_FDCWD && (ops[i].text.empty() || ops[i].text[0] != '/'))
      needs_cwd = true;
  if (needs_cwd) t.cwd = readlink_str(proc + "/cwd");
  const bool creates = (c.is_open && (c.flags & O_CREAT) != 0) || n.nr == __NR_mkdir ||
                       n.nr == __NR_mkdirat || n.nr == __NR_mknod || n.nr == __NR_mknodat;
  if (creates) t.umask = read_umask(proc_buf);
  // Everything read from the process so far belongs to it only if it is still the one waiting.
  if (!listener_->valid(n.id)) return;
  if (!settle_root(root) || (needs_cwd && (t.cwd.empty() || t.cwd[0] != '/')))
    return listener_->reply_error(n.id, EACCES);
  t.root = std::move(root.fd);
  const std::string& root_path = root.path;

  for (int i = 0; i < c.count; ++i) {
    Operand& op = ops[i];
    std::string base = t.cwd;
    if (op.dirfd != AT_FDCWD) {
      base = readlink_str(proc + "/fd/" + std::to_string(op.dirfd));
      if (base.empty() || base[0] != '/') return listener_->reply_error(n.id, EBADF);
    }
    if (op.text.empty()) {
      if (!op.empty_ok) return listener_->reply_error(n.id, ENOENT);
      op.path = base;
    } else {
      auto joined = broker::join_lexically(base, op.text);
      if (!joined.ok()) return listener_->reply_error(n.id, -joined.err);
      op.path = joined.value.path;
    }
  }
  // The program's own descriptors by name: reopened from its fd table, as the kernel would.
  if (c.is_open) {
    int own = own_fd_path(ops[0].path);
    if (own >= 0) {
      // Probed first: warden is not under Landlock, so a write-intent reopen of a regular
      // file (stdin redirected from the user's own file, say) must lead inside the writable
      // roots, as the floor would demand of the program.
      const std::string link = proc + "/fd/" + std::to_string(own);
      broker::UniqueFd probe(::open(link.c_str(), O_PATH | O_CLOEXEC));
      if (!probe) return listener_->reply_error(n.id, errno);
      struct stat st {};
      const bool writes = (c.flags & O_ACCMODE) != O_RDONLY || (c.flags & O_TRUNC) != 0;
      if (::fstat(probe.get(), &st) != 0) return listener_->reply_error(n.id, errno);
      // Named FIFOs too: a host FIFO opened read-only must not come back writable. Only
      // anonymous pipes ("pipe:[N]") and character devices (the terminal, /dev/null; device
      // nodes elsewhere are on nodev mounts) have no such place to check.
      if (writes && !S_ISCHR(st.st_mode)) {
        const std::string where = readlink_str("/proc/self/fd/" + std::to_string(probe.get()));
        if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || where.rfind('/', 0) == 0) &&
            !under_any(where, writable_))
          return listener_->reply_error(n.id, EACCES);
      }
      if (S_ISFIFO(st.st_mode) && (c.flags & O_NONBLOCK) == 0)
        return open_fifo_later(c, std::move(probe));  // a pipe whose writer is gone blocks
      int fd = ::open(("/proc/self/fd/" + std::to_string(probe.get())).c_str(),
                      (c.flags & ~(O_CREAT | O_EXCL)) | O_NOCTTY | O_CLOEXEC);
      if (!listener_->valid(n.id)) {
        if (fd >= 0) ::close(fd);
        return;
      }
      return reply(*listener_, c, fd >= 0 ? fd : -errno);
    }
  }

  for (int attempt = 0; attempt < 3; ++attempt) {
    bool all_inside = true;
    Operand* leaving = nullptr;
    for (int i = 0; i < c.count; ++i) {
      // A rename's or link's destination, like every creation, may not name a protected path.
      bool creates = c.count == 1 || i == 1;
      bool read_only =
          c.is_open && (c.flags & O_ACCMODE) == O_RDONLY && (c.flags & (O_CREAT | O_TRUNC)) == 0;
      // hold_reads: a read under a deny_read path cannot even be resolved in the sandbox's view
      // (the mask hides it); it goes straight to the approval road, judged by its text.
      if (read_only && under_any(ops[i].path, s_.spec->deny_read)) {
        ops[i].real = ops[i].path;
        ops[i].inside = false;
        if (leaving == nullptr) leaving = &ops[i];
        all_inside = false;
        continue;
      }
      int err = place(t.root.get(), root_path, ops[i], creates);
      if (err != 0) return listener_->reply_error(n.id, err);
      bool moves = (c.count == 2 && i == 0 && c.n.nr != __NR_link && c.n.nr != __NR_linkat) ||
                   c.n.nr == __NR_rmdir || (c.n.nr == __NR_unlinkat && (c.flags & AT_REMOVEDIR));
      // A deny_read mask is a mount point in the sandbox, which the kernel would not let move
      // or go (EBUSY); warden renames and unlinks in its own view, where it is not one. Moving
      // a masked path (or a directory above one) would unmask it for the next run; removing
      // or replacing it would destroy the user's secret.
      const bool renames =
          c.n.nr == __NR_rename || c.n.nr == __NR_renameat || c.n.nr == __NR_renameat2;
      const bool removes = c.n.nr == __NR_unlink || c.n.nr == __NR_unlinkat || c.n.nr == __NR_rmdir;
      if (renames || removes) {
        for (const auto& masked : masked_)
          if (broker::is_under(masked, ops[i].real)) return listener_->reply_error(n.id, EBUSY);
      }
      if (moves && ops[i].protected_by.empty()) {
        if (auto p =
                broker::protected_prefix(ops[i].real, protected_roots_, s_.spec->protected_names))
          ops[i].protected_by = "a directory holding protected names (" + *p + ")";
      }
      if (read_only) {
        // Protected names are about writes: reading .git/config is ordinary git work.
        ops[i].inside = !under_any(ops[i].real, s_.spec->deny_read);
        ops[i].protected_by.clear();
      }
      if (!ops[i].inside || !ops[i].protected_by.empty()) {
        all_inside = false;
        if (leaving == nullptr) leaving = &ops[i];
      }
    }
    if (!all_inside) {
      if (!decide(t, c, *leaving)) {
        if ((t_kill || (s_.config->on_deny.value == policy::OnDeny::Kill && !t_gone)) &&
            s_.kill_tree) {
          // No answer: the call stays held until SIGKILL takes the tree, so nothing after the
          // denied call runs.
          s_.kill_tree();
          return;
        }
        return listener_->reply_error(n.id, EACCES);
      }
      // Approved: performed in the host's view, on the path the reviewer saw.
      for (int i = 0; i < c.count; ++i) {
        ops[i].path = ops[i].real;
        int err = place(host_root_, host_root_path_, ops[i], true);
        if (err != 0) return listener_->reply_error(n.id, err);
      }
    }
    long result = perform(c, t, ops);
    if (result == kRetry) continue;  // the name appeared meanwhile: place it again
    if (result == kFifo) return open_fifo_later(c, std::move(ops[0].object->fd));
    // No ID_VALID here: an answer to a call no longer held fails in the kernel (ENOENT), and an
    // fd not installed is closed by reply().
    return reply(*listener_, c, result);
  }
  listener_->reply_error(n.id, EAGAIN);
}

// A FIFO's open blocks until the other end comes, so it must not hold up the loop: a thread of
// its own owns the judged FIFO's fd (and shares the listener). If the program dies first, the
// open simply never completes.
void HoldLoop::open_fifo_later(const Call& c, broker::UniqueFd fifo) {
  std::thread([l = listener_, c, fifo = std::move(fifo)]() {
    std::string self = "/proc/self/fd/" + std::to_string(fifo.get());
    int fd =
        ::open(self.c_str(), (c.flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NOCTTY | O_CLOEXEC);
    reply(*l, c, fd >= 0 ? fd : -errno);
  }).detach();
}

long HoldLoop::perform(const Call& c, const Target& t, Operand* ops) {
  Operand& op = ops[0];
  switch (c.n.nr) {
    case __NR_open:
    case __NR_openat:
    case __NR_openat2:
    case __NR_creat: {
      if (op.object) {
        if ((c.flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return -EEXIST;
        struct stat st {};
        if (::fstat(op.object->fd.get(), &st) != 0) return -errno;
        // A FIFO's open blocks until the other end comes: handle() does it on a thread.
        if (S_ISFIFO(st.st_mode) && (c.flags & O_NONBLOCK) == 0) return kFifo;
        // /dev/tty opened by warden would be warden's own terminal, which the command must not
        // reach past the pty: it gets its pty.
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0) && s_.open_tty) {
          int fd = s_.open_tty(c.flags);
          return fd >= 0 ? fd : -errno;
        }
        // O_NOFOLLOW was honoured when the object was resolved: what is left is the link
        // itself, which only an O_PATH open may have.
        if (S_ISLNK(st.st_mode) && (c.flags & O_PATH) == 0) return -ELOOP;
        // Reopened through the very object that was judged: no second lookup by name (and no
        // O_NOFOLLOW, which would refuse the /proc magic link itself).
        std::string self = "/proc/self/fd/" + std::to_string(op.object->fd.get());
        int fd = ::open(self.c_str(),
                        (c.flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NOCTTY | O_CLOEXEC);
        return fd >= 0 ? fd : -errno;
      }
      // Plain flags: created right in the parent place() resolved, no second resolution.
      auto created = (c.flags & (O_PATH | O_TMPFILE | O_DIRECTORY)) == 0
                         ? broker::create_file(*op.parent, c.flags, c.mode, t.umask)
                         : broker::open_file(op.parent->fd.get(), "/" + op.parent->name,
                                             c.flags | O_EXCL, c.mode, t.umask);
      if (created.ok()) return created.value.release();
      if (created.err == -EEXIST && (c.flags & O_EXCL) == 0) return kRetry;
      return created.err;
    }
    case __NR_mkdir:
    case __NR_mkdirat:
      return broker::make_dir(*op.parent, c.mode, t.umask);
    case __NR_mknod:
    case __NR_mknodat:
      return broker::make_node(*op.parent, c.mode, c.dev, t.umask);
    case __NR_unlink:
    case __NR_unlinkat:
    case __NR_rmdir:
      return broker::remove(*op.parent, c.flags);
    case __NR_rename:
    case __NR_renameat:
    case __NR_renameat2:
      return broker::rename(*op.parent, *ops[1].parent, c.rename_flags);
    case __NR_link:
    case __NR_linkat:
      return broker::link(*op.object, *ops[1].parent);
    case __NR_symlink:
    case __NR_symlinkat:
      return broker::symlink(c.text, *op.parent);
    case __NR_chmod:
    case __NR_fchmodat:
      return broker::chmod(*op.object, c.mode);
    case __NR_chown:
    case __NR_lchown:
    case __NR_fchownat:
      return broker::chown(*op.object, c.uid, c.gid);
    case __NR_truncate:
      return broker::truncate(*op.object, c.length);
    case __NR_utime:
    case __NR_utimes:
    case __NR_futimesat:
    case __NR_utimensat:
      return broker::utimens(*op.object, c.times_now ? nullptr : c.times);
    case __NR_setxattr:
    case __NR_lsetxattr:
      return broker::set_xattr(*op.object, c.text, c.value, c.flags);
    case __NR_removexattr:
    case __NR_lremovexattr:
      return broker::remove_xattr(*op.object, c.text);
  }
  return -ENOSYS;
}

}  // namespace warden::supervisor

// connect(): performed by warden on a duplicate of the program's own socket, with the address
// it copied, so a rewritten sockaddr (another family, another path) never reaches the kernel.
// Inside: loopback in the sandbox's network, unix sockets under the writable roots, abstract
// sockets (scoped to the sandbox's network namespace). Anything else is a request; an approved
// connection is made from the host's network and swapped onto the program's fd number.
namespace warden::supervisor {
namespace {

// Connects a socket of the same family, type and protocol from warden's (the host's) network,
// with the program's blocking mode. Returns the socket or -errno.
int host_connect(int domain, int type, int protocol, const sockaddr_storage& ss, socklen_t len,
                 bool nonblocking) {
  int s = ::socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (s < 0) return -errno;
  int rc = ::connect(s, reinterpret_cast<const sockaddr*>(&ss), len);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{s, POLLOUT, 0};
    rc = ::poll(&p, 1, 30000) == 1 ? 0 : -1;
    int err = 0;
    socklen_t el = sizeof err;
    if (rc == 0 && ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0) {
      errno = err;
      rc = -1;
    } else if (rc != 0) {
      errno = ETIMEDOUT;
    }
  }
  if (rc != 0) {
    int err = errno;
    ::close(s);
    return -err;
  }
  if (!nonblocking) ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) & ~O_NONBLOCK);
  return s;
}

}  // namespace

bool HoldLoop::decide_network(const Notification& n, const std::string& path,
                              const std::string& host, int port, std::string forced_denial) {
  policy::Request req;
  req.category = policy::Category::SandboxApproval;
  req.kind = policy::Kind::Network;
  req.syscall = syscall_name(n.nr);
  if (!path.empty()) req.path = path;
  if (!host.empty()) req.host = host;
  if (port >= 0) req.port = port;
  Refusal refusal;
  refusal.reason = std::move(forced_denial);
  return ask(std::move(req), n.pid, n.id, refusal);
}

void HoldLoop::handle_connect(const Notification& n) {
  const int sockfd = at_fd(n.args[0]);
  const socklen_t len = static_cast<socklen_t>(n.args[2]);
  sockaddr_storage ss{};
  if (len < sizeof(sa_family_t) || len > sizeof ss) return listener_->reply_error(n.id, EINVAL);
  if (!read_bytes(n.pid, n.args[1], &ss, len)) return listener_->reply_error(n.id, EFAULT);
  broker::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, n.pid, 0)));
  if (!pidfd) return listener_->reply_error(n.id, ESRCH);
  broker::UniqueFd sock(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), sockfd, 0)));
  if (!listener_->valid(n.id)) return;
  if (!sock) return listener_->reply_error(n.id, EBADF);
  int domain = 0, type = 0, protocol = 0;
  socklen_t ol = sizeof domain;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &domain, &ol) != 0)
    return listener_->reply_error(n.id, ENOTSOCK);
  ol = sizeof type;
  ::getsockopt(sock.get(), SOL_SOCKET, SO_TYPE, &type, &ol);
  ol = sizeof protocol;
  ::getsockopt(sock.get(), SOL_SOCKET, SO_PROTOCOL, &protocol, &ol);
  const bool nonblocking = (::fcntl(sock.get(), F_GETFL) & O_NONBLOCK) != 0;
  auto reply_connect = [&](int rc, int err) {
    if (rc == 0)
      listener_->reply_value(n.id, 0);
    else
      listener_->reply_error(n.id, err);
  };

  if (ss.ss_family == AF_UNIX) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
    size_t path_len = len - offsetof(sockaddr_un, sun_path);
    if (path_len == 0 || un.sun_path[0] == '\0') {
      // Unnamed or abstract: abstract names live in the socket's own network namespace. That is
      // the sandbox's own unless network_access shares the host's: then the name may be a host
      // daemon's, and warden (outside Landlock's abstract-socket scope) must not reach it
      // unasked.
      if (s_.spec->network && path_len > 0) {
        std::string name = "@";
        for (size_t i = 1; i < path_len; ++i) name += un.sun_path[i];
        if (!decide_network(n, name, {}, -1, {})) return deny_network(n);
      }
      int rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len);
      return reply_connect(rc, errno);
    }
    std::string text(un.sun_path, strnlen(un.sun_path, path_len));
    Target t;
    SandboxRoot root = open_root(n.pid);
    t.cwd = readlink_str("/proc/" + std::to_string(n.pid) + "/cwd");
    if (!listener_->valid(n.id)) return;
    if (!settle_root(root) || t.cwd.empty()) return listener_->reply_error(n.id, EACCES);
    t.root = std::move(root.fd);
    Operand op;
    op.need = Operand::kObject;
    auto joined = broker::join_lexically(t.cwd, text);
    if (!joined.ok()) return listener_->reply_error(n.id, -joined.err);
    op.path = joined.value.path;
    op.text = text;
    if (int err = place(t.root.get(), root.path, op, false); err != 0)
      return listener_->reply_error(n.id, err == ENOENT ? ENOENT : err);
    for (const auto& dir : s_.unreachable)
      if (broker::is_under(op.real, dir)) {
        decide_network(n, op.real, {}, -1,
                       "warden's own sockets are never reachable from the sandbox");
        return deny_network(n);
      }
    if (!op.inside) {
      if (!decide_network(n, op.real, {}, -1, {})) return deny_network(n);
      op.path = op.real;
      if (int err = place(host_root_, host_root_path_, op, false); err != 0)
        return listener_->reply_error(n.id, err);
    }
    // The socket inode judged above, reached through its own fd: no second lookup by name.
    sockaddr_un via{};
    via.sun_family = AF_UNIX;
    std::snprintf(via.sun_path, sizeof via.sun_path, "/proc/self/fd/%d", op.object->fd.get());
    int rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&via), sizeof via);
    return reply_connect(rc, errno);
  }
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
    int rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len);
    return reply_connect(rc, errno);
  }
  auto address = broker::net::from_sockaddr(&ss, len);
  if (!address) return listener_->reply_error(n.id, EINVAL);
  const auto kind = broker::net::classify(*address);
  if (!s_.spec->network && s_.dns != nullptr && DnsStub::is_standin(*address))
    return connect_by_name(n, sockfd, domain, type, protocol, nonblocking, *address);
  const bool allowed = s_.network_allow != nullptr && s_.network_allow->allows({}, *address);
  if (s_.spec->network || (kind == broker::net::AddressClass::Loopback && !allowed)) {
    // The socket belongs to the sandbox's network (only loopback there, unless network_access
    // is on): connecting it there is what the program asked and all it can reach.
    int rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&ss), len);
    return reply_connect(rc, errno);
  }
  if (!allowed) {
    std::string forced;
    if (kind == broker::net::AddressClass::LinkLocal)
      forced =
          "link-local and metadata addresses (169.254.0.0/16, fe80::/10) need an explicit "
          "network_allow";
    if (!decide_network(n, {}, broker::net::ip_string(*address), address->port, forced))
      return deny_network(n);
  }
  int s = host_connect(domain, type, protocol, ss, len, nonblocking);
  if (s < 0) return listener_->reply_error(n.id, -s);
  swap_in(n, sockfd, s);
}

// Onto the program's own fd number, then the call returns 0: the program keeps its socket
// number, type and blocking mode, now connected through the host.
void HoldLoop::swap_in(const Notification& n, int sockfd, int s) {
  seccomp_notif_addfd add{};
  add.id = n.id;
  add.flags = SECCOMP_ADDFD_FLAG_SETFD;
  add.srcfd = static_cast<std::uint32_t>(s);
  add.newfd = static_cast<std::uint32_t>(sockfd);
  int rc = ::ioctl(listener_->fd(), SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  ::close(s);
  if (rc < 0) return listener_->reply_error(n.id, errno == ENOENT ? EINTR : errno);
  listener_->reply_value(n.id, 0);
}

// EPERM (network and exec refusals), or with on_deny = "kill" no answer and the tree killed.
// A connect to a stand-in address from the sandbox's resolver: the request names the host; once
// allowed, warden resolves the name on the host and connects to what it got.
void HoldLoop::connect_by_name(const Notification& n, int sockfd, int domain, int type,
                               int protocol, bool nonblocking,
                               const broker::net::Address& standin) {
  auto name = s_.dns->name_for(standin);
  if (!name) return listener_->reply_error(n.id, ENETUNREACH);  // not an address it handed out
  const int port = standin.port;
  const bool allowed = s_.network_allow != nullptr && s_.network_allow->allows(*name, standin);
  if (!allowed && !decide_network(n, {}, *name, port, {})) return deny_network(n);
  addrinfo hints{};
  hints.ai_family = domain;
  hints.ai_socktype = type & 0xf;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (::getaddrinfo(name->c_str(), service.c_str(), &hints, &res) != 0 || res == nullptr)
    return listener_->reply_error(n.id, EHOSTUNREACH);
  int last = EHOSTUNREACH;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    auto real = broker::net::from_sockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!real) continue;
    // An allowed name that resolves to a link-local (metadata) address still needs that
    // address allowed explicitly.
    if (broker::net::classify(*real) == broker::net::AddressClass::LinkLocal &&
        (s_.network_allow == nullptr || !s_.network_allow->allows({}, *real)))
      continue;
    sockaddr_storage rss{};
    std::memcpy(&rss, ai->ai_addr, ai->ai_addrlen);
    int s = host_connect(domain, type, protocol, rss, static_cast<socklen_t>(ai->ai_addrlen),
                         nonblocking);
    if (s >= 0) {
      ::freeaddrinfo(res);
      return swap_in(n, sockfd, s);
    }
    last = -s;
  }
  ::freeaddrinfo(res);
  listener_->reply_error(n.id, last);
}

void HoldLoop::deny_network(const Notification& n) {
  if ((t_kill || (s_.config->on_deny.value == policy::OnDeny::Kill && !t_gone)) && s_.kill_tree) {
    s_.kill_tree();
    return;
  }
  listener_->reply_error(n.id, EPERM);
}

}  // namespace warden::supervisor

// execve: the program and its arguments are read once and checked against exec rules and skill
// roots. The exec itself cannot be done on the program's behalf, so an allowed one continues in
// the kernel; the kernel floor allows executing anything the sandbox can read, so this widens
// nothing. The check is policy, not a boundary: a racing thread can change what is executed
// after the check, and interpreters run code without an exec of it (README says so).
namespace warden::supervisor {

void HoldLoop::handle_exec(const Notification& n) {
  const bool at = n.nr == __NR_execveat;
  std::string file;
  int err = Listener::read_string(n.pid, n.args[at ? 1 : 0], file, kPathMax);
  if (err != 0) return listener_->reply_error(n.id, err);
  std::vector<std::string> argv;
  std::uint64_t argv_addr = n.args[at ? 2 : 1];
  std::size_t total = 0;
  for (std::size_t i = 0; argv_addr != 0 && i < 4096; ++i) {
    std::uint64_t ptr = 0;
    if (!read_bytes(n.pid, argv_addr + i * sizeof ptr, &ptr, sizeof ptr))
      return listener_->reply_error(n.id, EFAULT);
    if (ptr == 0) break;
    std::string arg;
    if (int e = Listener::read_string(n.pid, ptr, arg, 131072); e != 0)
      return listener_->reply_error(n.id, e == ENAMETOOLONG ? E2BIG : e);
    total += arg.size();
    if (total > (1u << 20)) return listener_->reply_error(n.id, E2BIG);
    argv.push_back(std::move(arg));
  }
  const std::string proc = "/proc/" + std::to_string(n.pid);
  std::string cwd = readlink_str(proc + "/cwd");
  broker::UniqueFd root(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!listener_->valid(n.id)) return;
  if (argv.empty()) argv.push_back(file);

  // Where the program file really is, for skill roots and the request.
  std::string real = file;
  if (root && !cwd.empty()) {
    std::string base = cwd;
    int dirfd = at ? at_fd(n.args[0]) : AT_FDCWD;
    if (dirfd != AT_FDCWD) base = readlink_str(proc + "/fd/" + std::to_string(dirfd));
    if (!base.empty() && base[0] == '/') {
      auto joined = broker::join_lexically(base, file.empty() ? "." : file);
      if (!joined.ok()) return listener_->reply_error(n.id, -joined.err);
      auto obj = broker::open_existing(root.get(), joined.value.path, true);
      // No such program: the plain answer (a shell searching PATH asks several), and no
      // CONTINUE that a racing thread could point at something else.
      if (!obj.ok()) return listener_->reply_error(n.id, -obj.err);
      real = obj.value.real_path;
    }
  }

  policy::Request req;
  req.kind = policy::Kind::Exec;
  std::string forced, skill, untrusted_why;
  std::optional<policy::ExecRules::Match> m;
  if (s_.exec_rules != nullptr) m = s_.exec_rules->match(argv);
  if (m && m->decision == policy::ExecDecision::Forbidden) {
    forced = policy::describe_match(*m, argv);
    req.category = policy::Category::Rules;
  } else if (m && m->decision == policy::ExecDecision::Prompt) {
    req.category = policy::Category::Rules;
  } else if (!m) {
    for (const auto& r : s_.skill_roots) {
      if (!broker::is_under(real, r) || real == r) continue;
      std::string rest = real.substr(r.size() + 1);
      skill = rest.substr(0, rest.find('/'));
      break;
    }
    if (skill.empty()) {
      if (!s_.untrusted) return listener_->reply_continue(n.id);
      // untrusted: only known-safe, read-only commands run without asking.
      // Judged by the file really executed: argv[0] is whatever the caller chose.
      std::vector<std::string> judged = argv;
      judged[0] = real;
      auto safety = policy::judge_exec(judged);
      if (safety.safe) return listener_->reply_continue(n.id);
      req.category = policy::Category::Rules;
      untrusted_why = "untrusted: " + safety.why;
    } else {
      req.category = policy::Category::SkillApproval;
      req.kind = policy::Kind::Skill;
      req.skill = skill;
    }
  } else {
    return listener_->reply_continue(n.id);  // an allow rule
  }

  // A shell searching PATH retries a refused exec under another name for the same file
  // (/bin/date, /usr/bin/date): the same process asking the same exec gets the same answer.
  {
    std::lock_guard lk(last_exec_mutex_);
    if (last_exec_.pid == n.pid && last_exec_.real == real && last_exec_.argv == argv) {
      if (last_exec_.approved) return listener_->reply_continue(n.id);
      return deny_network(n);
    }
  }
  req.syscall = at ? "execveat" : "execve";
  req.path = real;
  req.argv = argv;
  req.cwd = cwd;
  Refusal refusal;
  if (!forced.empty()) {
    refusal.reason = forced;
    refusal.by = "exec_rule";
    if (m) refusal.rule = m->rule->source;
  } else if (m) {
    refusal.gate_prefix = policy::describe_match(*m, argv) + "; ";
    refusal.note = policy::describe_match(*m, argv);
  } else if (!untrusted_why.empty()) {
    refusal.gate_prefix = untrusted_why + "; ";
    refusal.note = untrusted_why;
  }
  const bool approved = ask(std::move(req), n.pid, n.id, refusal);
  {
    std::lock_guard lk(last_exec_mutex_);
    last_exec_ = {n.pid, real, argv, approved};
  }
  if (approved) return listener_->reply_continue(n.id);
  deny_network(n);  // EPERM, or the tree killed with on_deny = "kill"
}

}  // namespace warden::supervisor

// sendto/sendmsg/sendmmsg without network_access. The socket is fixed (a duplicate is held), so
// its family and type decide: an inet socket can reach only the sandbox's loopback whatever
// address is written, and a unix stream socket cannot be redirected by an address; those
// continue. A unix datagram or seqpacket socket could be aimed at a host daemon (journald's
// socket sits under a read-only path), so warden sends it itself, with its own copy of the
// address and the data, after judging the destination as a connect would be.
namespace warden::supervisor {

void HoldLoop::handle_send(const Notification& n) {
  const int sockfd = at_fd(n.args[0]);
  broker::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, n.pid, 0)));
  broker::UniqueFd sock(pidfd ? static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), sockfd, 0))
                              : -1);
  if (!listener_->valid(n.id)) return;
  if (!sock) return listener_->reply_error(n.id, EBADF);
  int domain = 0, type = 0;
  socklen_t ol = sizeof domain;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_DOMAIN, &domain, &ol) != 0)
    return listener_->reply_error(n.id, ENOTSOCK);
  ol = sizeof type;
  ::getsockopt(sock.get(), SOL_SOCKET, SO_TYPE, &type, &ol);
  if (domain != AF_UNIX || type == SOCK_STREAM) return listener_->reply_continue(n.id);
  if (n.nr == __NR_sendmmsg) return listener_->reply_error(n.id, EPERM);  // not brokered (rare)

  // Copy the address and the data once.
  std::uint64_t name_addr = 0, name_len = 0;
  std::vector<char> data;
  int flags = 0;
  constexpr std::size_t kMax = 256 * 1024;
  if (n.nr == __NR_sendto) {
    if (n.args[2] > kMax) return listener_->reply_error(n.id, EMSGSIZE);
    data.resize(n.args[2]);
    if (!data.empty() && !read_bytes(n.pid, n.args[1], data.data(), data.size()))
      return listener_->reply_error(n.id, EFAULT);
    flags = static_cast<int>(n.args[3]);
    name_addr = n.args[4];
    name_len = n.args[5];
  } else {
    msghdr mh{};
    if (!read_bytes(n.pid, n.args[1], &mh, sizeof mh)) return listener_->reply_error(n.id, EFAULT);
    // Passing descriptors or credentials would need translating between processes: refused.
    if (mh.msg_controllen != 0) return listener_->reply_error(n.id, EPERM);
    if (mh.msg_iovlen > 1024) return listener_->reply_error(n.id, EMSGSIZE);
    std::vector<iovec> iov(mh.msg_iovlen);
    if (!iov.empty() && !read_bytes(n.pid, reinterpret_cast<std::uint64_t>(mh.msg_iov), iov.data(),
                                    iov.size() * sizeof(iovec)))
      return listener_->reply_error(n.id, EFAULT);
    for (const auto& v : iov) {
      if (data.size() + v.iov_len > kMax) return listener_->reply_error(n.id, EMSGSIZE);
      size_t at = data.size();
      data.resize(at + v.iov_len);
      if (v.iov_len > 0 && !read_bytes(n.pid, reinterpret_cast<std::uint64_t>(v.iov_base),
                                       data.data() + at, v.iov_len))
        return listener_->reply_error(n.id, EFAULT);
    }
    flags = static_cast<int>(n.args[2]);
    name_addr = reinterpret_cast<std::uint64_t>(mh.msg_name);
    name_len = mh.msg_namelen;
  }
  flags &= ~MSG_DONTWAIT;  // warden's own send must not block either way: see below
  if (name_addr == 0 || name_len == 0) {
    // Connected: to the peer the socket was connected to (a connect warden judged).
    ssize_t rc = ::send(sock.get(), data.data(), data.size(), flags | MSG_DONTWAIT);
    return rc >= 0 ? listener_->reply_value(n.id, rc) : listener_->reply_error(n.id, errno);
  }
  sockaddr_storage ss{};
  if (name_len > sizeof(sockaddr_un)) return listener_->reply_error(n.id, EINVAL);
  if (!read_bytes(n.pid, name_addr, &ss, name_len)) return listener_->reply_error(n.id, EFAULT);
  const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
  size_t path_len = name_len - offsetof(sockaddr_un, sun_path);
  if (ss.ss_family != AF_UNIX || path_len == 0 || un.sun_path[0] == '\0') {
    // Abstract names are scoped to the sandbox's network namespace, where the socket lives.
    ssize_t rc = ::sendto(sock.get(), data.data(), data.size(), flags | MSG_DONTWAIT,
                          reinterpret_cast<const sockaddr*>(&ss), static_cast<socklen_t>(name_len));
    return rc >= 0 ? listener_->reply_value(n.id, rc) : listener_->reply_error(n.id, errno);
  }
  SandboxRoot root = open_root(n.pid);
  std::string cwd = readlink_str("/proc/" + std::to_string(n.pid) + "/cwd");
  if (!listener_->valid(n.id)) return;
  if (!settle_root(root) || cwd.empty()) return listener_->reply_error(n.id, EACCES);
  Operand op;
  op.need = Operand::kObject;
  op.text.assign(un.sun_path, strnlen(un.sun_path, path_len));
  auto joined = broker::join_lexically(cwd, op.text);
  if (!joined.ok()) return listener_->reply_error(n.id, -joined.err);
  op.path = joined.value.path;
  if (int err = place(root.fd.get(), root.path, op, false); err != 0)
    return listener_->reply_error(n.id, err);
  if (!op.inside) {
    if (!decide_network(n, op.real, {}, -1, {})) return deny_network(n);
    op.path = op.real;
    if (int err = place(host_root_, host_root_path_, op, false); err != 0)
      return listener_->reply_error(n.id, err);
  }
  sockaddr_un via{};
  via.sun_family = AF_UNIX;
  std::snprintf(via.sun_path, sizeof via.sun_path, "/proc/self/fd/%d", op.object->fd.get());
  // Datagram sends complete at once or fail with EAGAIN; never block the loop.
  ssize_t rc = ::sendto(sock.get(), data.data(), data.size(), flags | MSG_DONTWAIT,
                        reinterpret_cast<const sockaddr*>(&via), sizeof via);
  return rc >= 0 ? listener_->reply_value(n.id, rc) : listener_->reply_error(n.id, errno);
}

}  // namespace warden::supervisor
