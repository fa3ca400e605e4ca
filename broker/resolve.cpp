#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>

#include "internal.hpp"
#include "warden/broker/fs.hpp"

namespace warden::broker {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace detail {

int check_abs(std::string_view p) {
  if (p.empty()) return -ENOENT;
  if (p.size() >= PATH_MAX) return -ENAMETOOLONG;
  if (p.front() != '/') return -EINVAL;
  return 0;
}

int open_in_root(int root_fd, std::string_view path_text, int flags, UniqueFd& out) {
  if (int e = check_abs(path_text); e != 0) return e;
  const std::string path(path_text);
  open_how how{};
  how.flags = static_cast<unsigned>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // IN_ROOT answers EAGAIN when a rename raced a ".." walk; a hostile target can keep racing,
  // so the retries are bounded and the EAGAIN is then passed on.
  for (int attempt = 0; attempt < 32; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0) {
      out = UniqueFd(static_cast<int>(fd));
      return 0;
    }
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
  return -EAGAIN;
}

std::string fd_link(int fd) {
  return "/proc/thread-self/fd/" + std::to_string(fd);
}

int refuse_kernel_fs(int fd) {
  struct statfs sfs {};
  if (::fstatfs(fd, &sfs) != 0) return -errno;
  if (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC) return -EACCES;
  return 0;
}

}  // namespace detail

namespace {

// This thread's /proc/thread-self/fd, opened once per thread: a readlink per resolved fd then
// looks up one component instead of walking /proc, thread-self and fd again.
int own_fd_dir() {
  thread_local UniqueFd dir(::open("/proc/thread-self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
  return dir.get();
}

int fd_path(int fd, std::string& out) {
  char buf[PATH_MAX + 1];
  char name[16];
  std::snprintf(name, sizeof name, "%d", fd);
  const int dir = own_fd_dir();
  ssize_t n = dir >= 0 ? ::readlinkat(dir, name, buf, sizeof buf)
                       : ::readlink(detail::fd_link(fd).c_str(), buf, sizeof buf);
  if (n < 0) return -errno;
  if (static_cast<size_t>(n) >= sizeof buf) return -ENAMETOOLONG;
  out.assign(buf, static_cast<size_t>(n));
  return 0;
}

// Where fd is, as a path in root's view (root_path: where the root is, as fd_path prints it).
// The kernel prints it relative to warden's root, or, for another mount namespace's tree,
// relative to that namespace's root; stripping the root's own path covers both, and a root that
// is a plain directory (tests).
int real_path_in(std::string_view root, int fd, std::string& out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -errno;
  // Unlinked since resolution: the printed path would carry " (deleted)", meaning nothing.
  if (st.st_nlink == 0) return -ENOENT;
  std::string abs;
  if (int e = fd_path(fd, abs); e != 0) return e;
  if (root == "/") {
    out = std::move(abs);
  } else if (abs == root) {
    out = "/";
  } else if (abs.size() > root.size() && abs.compare(0, root.size(), root) == 0 &&
             abs[root.size()] == '/') {
    out = abs.substr(root.size());
  } else {
    // Moved out from under the root after resolution (only possible when the root is not the
    // top of its mount namespace): no path in the view names it.
    return -EXDEV;
  }
  return 0;
}

}  // namespace

std::string Parent::real_path() const {
  if (last != Last::Normal) return real_parent;
  return real_parent == "/" ? "/" + name : real_parent + "/" + name;
}

Result<std::string> root_path(int root_fd) {
  Result<std::string> r;
  r.err = fd_path(root_fd, r.value);
  return r;
}

Result<Parent> resolve_parent(int root_fd, std::string_view abs_path) {
  auto root = root_path(root_fd);
  if (!root.ok()) return {.err = root.err};
  return resolve_parent(root_fd, root.value, abs_path);
}

Result<Object> open_existing(int root_fd, std::string_view abs_path, bool follow_final) {
  auto root = root_path(root_fd);
  if (!root.ok()) return {.err = root.err};
  return open_existing(root_fd, root.value, abs_path, follow_final);
}

Result<Parent> resolve_parent(int root_fd, std::string_view root, std::string_view abs_path) {
  if (int e = detail::check_abs(abs_path); e != 0) return {.err = e};
  Parent p;
  std::string_view rest = abs_path;
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string dir;
  if (rest.empty()) {
    p.last = Last::Root;
    p.name = ".";
    dir = "/";
  } else {
    p.trailing_slash = rest.size() != abs_path.size();
    size_t slash = rest.rfind('/');  // exists: abs_path starts with '/'
    p.name = rest.substr(slash + 1);
    dir = slash == 0 ? "/" : std::string(rest.substr(0, slash));
    if (p.name == ".") p.last = Last::Dot;
    if (p.name == "..") p.last = Last::DotDot;
  }
  if (int e = detail::open_in_root(root_fd, dir, O_PATH | O_DIRECTORY, p.fd); e != 0)
    return {.err = e};
  if (int e = detail::refuse_kernel_fs(p.fd.get()); e != 0) return {.err = e};
  if (int e = real_path_in(root, p.fd.get(), p.real_parent); e != 0) return {.err = e};
  return {.value = std::move(p)};
}

Result<Object> open_existing(int root_fd, std::string_view root, std::string_view abs_path,
                             bool follow_final) {
  Object o;
  int flags = O_PATH | (follow_final ? 0 : O_NOFOLLOW);
  if (int e = detail::open_in_root(root_fd, abs_path, flags, o.fd); e != 0) return {.err = e};
  if (int e = detail::refuse_kernel_fs(o.fd.get()); e != 0) return {.err = e};
  if (int e = real_path_in(root, o.fd.get(), o.real_path); e != 0) return {.err = e};
  return {.value = std::move(o)};
}

Result<Object> probe_name(const Parent& at) {
  if (at.last != Last::Normal || at.trailing_slash) return {.err = -EINVAL};
  Object o;
  o.fd = UniqueFd(::openat(at.fd.get(), at.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!o.fd) return {.err = -errno};
  struct stat st {};
  if (::fstat(o.fd.get(), &st) != 0) return {.err = -errno};
  if (S_ISLNK(st.st_mode)) return {.err = -ELOOP};
  // A mount point under the name (a /proc below the parent) is judged by what it is.
  if (int e = detail::refuse_kernel_fs(o.fd.get()); e != 0) return {.err = e};
  // Found by name in the resolved parent, not through a symlink: the parent's real path and
  // the name are where it is.
  o.real_path = at.real_path();
  return {.value = std::move(o)};
}

}  // namespace warden::broker
