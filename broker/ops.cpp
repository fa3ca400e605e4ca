#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "internal.hpp"
#include "warden/broker/fs.hpp"

namespace warden::broker {
namespace {

using detail::fd_link;

constexpr int kKnownOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE |
                                O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH |
                                O_TMPFILE;

// The kernel's symlink budget for one lookup.
constexpr int kMaxSymlinks = 40;

int ret(int r) {
  return r == 0 ? 0 : -errno;
}

// A trailing slash is passed on to the *at call: for creation, removal and rename the kernel
// never follows the final component, and answers "name/" itself (ENOENT, ENOTDIR, EEXIST).
std::string at_name(const Parent& p) {
  return p.trailing_slash ? p.name + "/" : p.name;
}

// warden's own umask, which the kernel applies on top of the mode passed (4.7+ prints it).
mode_t process_umask() {
  FILE* f = std::fopen("/proc/thread-self/status", "re");
  if (f == nullptr) return 0;
  char line[256];
  unsigned mask = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "Umask: %o", &mask) == 1) break;
  }
  std::fclose(f);
  return static_cast<mode_t>(mask);
}

// Set on a thread that has its own fs_struct with umask 0 (use_private_umask): nothing warden's
// umask could strip, so nothing to read back or restore.
thread_local bool t_private_umask = false;

struct CreateMode {
  mode_t mode = 0;  // to pass to the *at call
  mode_t lost = 0;  // bits warden's umask will strip that the target's umask keeps
};

// Under a default ACL the kernel ignores the umask and applies the ACL to the raw mode;
// otherwise the target's umask applies, and warden's own must be undone afterwards.
CreateMode create_mode(int dir_fd, mode_t mode, mode_t umask) {
  CreateMode c;
  mode &= 07777;
  if (::getxattr(fd_link(dir_fd).c_str(), "system.posix_acl_default", nullptr, 0) >= 0) {
    c.mode = mode;
    return c;
  }
  c.mode = mode & ~umask;
  if (!t_private_umask) c.lost = c.mode & 0777 & process_umask();
  return c;
}

// Adds back permission bits warden's umask stripped; keeps bits the kernel set (setgid from the
// parent). Best effort: the object was created either way, as the syscall would have.
void restore_lost_bits(int fd, mode_t lost) {
  if (lost == 0) return;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return;
  ::chmod(fd_link(fd).c_str(), (st.st_mode & 07777) | lost);
}

// For what was just created by name: reopen it without following, check it is of the kind made.
void restore_lost_bits(const Parent& at, mode_t lost, mode_t kind) {
  if (lost == 0) return;
  UniqueFd fd(::openat(at.fd.get(), at.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || (st.st_mode & S_IFMT) != kind) return;
  restore_lost_bits(fd.get(), lost);
}

// Opens the object an O_PATH probe found, through that probe, so no second lookup happens.
Result<UniqueFd> reopen(const UniqueFd& probe, int flags) {
  struct stat st {};
  if (::fstat(probe.get(), &st) != 0) return {.err = -errno};
  if (S_ISLNK(st.st_mode)) return {.err = -ELOOP};  // probed with O_NOFOLLOW
  if ((flags & O_CREAT) && S_ISDIR(st.st_mode)) return {.err = -EISDIR};
  if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) return {.err = -ENOTDIR};
  if (S_ISSOCK(st.st_mode)) return {.err = -ENXIO};
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return {.err = -EACCES};
  if (int e = detail::refuse_kernel_fs(probe.get()); e != 0) return {.err = e};
  int f = (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC | O_NOCTTY;
  int fd = ::open(fd_link(probe.get()).c_str(), f);
  if (fd < 0) return {.err = -errno};
  return {.value = UniqueFd(fd)};
}

Result<UniqueFd> open_tmpfile(int root_fd, std::string_view abs_path, int flags, mode_t mode,
                              mode_t umask) {
  auto dir = open_existing(root_fd, abs_path, true);
  if (!dir.ok()) return {.err = dir.err};
  struct stat st {};
  if (::fstat(dir.value.fd.get(), &st) != 0) return {.err = -errno};
  if (!S_ISDIR(st.st_mode)) return {.err = -ENOTDIR};
  CreateMode c = create_mode(dir.value.fd.get(), mode, umask);
  int fd = ::openat(dir.value.fd.get(), ".", flags | O_CLOEXEC | O_NOCTTY, c.mode);
  if (fd < 0) return {.err = -errno};
  UniqueFd out(fd);
  restore_lost_bits(out.get(), c.lost);
  return {.value = std::move(out)};
}

Result<UniqueFd> open_creating(int root_fd, std::string_view abs_path, int flags, mode_t mode,
                               mode_t umask) {
  const bool excl = flags & O_EXCL;
  std::string path(abs_path);
  // Follows a final symlink by hand, one component at a time, so that a dangling one creates
  // its target inside the root (as the kernel would) and creation is always O_EXCL by name.
  int symlinks = 0;
  for (int round = 0; round < 4 * kMaxSymlinks; ++round) {
    auto parent = resolve_parent(root_fd, path);
    if (!parent.ok()) return {.err = parent.err};
    const Parent& at = parent.value;
    if (at.last == Last::Normal && at.trailing_slash) return {.err = -EISDIR};
    // ".", ".." and "/" name directories that exist.
    if (at.last != Last::Normal) return {.err = excl ? -EEXIST : -EISDIR};

    UniqueFd probe(::openat(at.fd.get(), at.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (probe) {
      if (excl) return {.err = -EEXIST};
      struct stat st {};
      if (::fstat(probe.get(), &st) != 0) return {.err = -errno};
      if (!S_ISLNK(st.st_mode)) return reopen(probe, flags);
      if (flags & O_NOFOLLOW) return {.err = -ELOOP};
      if (++symlinks > kMaxSymlinks) return {.err = -ELOOP};
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(at.fd.get(), at.name.c_str(), buf, sizeof buf);
      if (n < 0) continue;  // replaced meanwhile: look again
      std::string target(buf, static_cast<size_t>(n));
      if (target.empty()) return {.err = -ENOENT};
      if (target.front() == '/')
        path = target;
      else
        path = (at.real_parent == "/" ? "" : at.real_parent) + "/" + target;
      if (path.size() >= PATH_MAX) return {.err = -ENAMETOOLONG};
      continue;
    }
    if (errno != ENOENT) return {.err = -errno};

    CreateMode c = create_mode(at.fd.get(), mode, umask);
    int f = (flags & ~O_NOFOLLOW) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
    int fd = ::openat(at.fd.get(), at.name.c_str(), f, c.mode);
    if (fd >= 0) {
      UniqueFd out(fd);
      restore_lost_bits(out.get(), c.lost);
      return {.value = std::move(out)};
    }
    if (errno != EEXIST || excl) return {.err = -errno};
    // Created by someone else between probe and create: look again.
  }
  return {.err = -ELOOP};
}

}  // namespace

Result<UniqueFd> open_file(int root_fd, std::string_view abs_path, int flags, mode_t mode,
                           mode_t umask) {
  flags &= kKnownOpenFlags & ~O_CLOEXEC;
  if (flags & O_PATH) {
    Result<UniqueFd> r;
    r.err = detail::open_in_root(root_fd, abs_path, flags & (O_PATH | O_NOFOLLOW | O_DIRECTORY),
                                 r.value);
    if (r.ok()) r.err = detail::refuse_kernel_fs(r.value.get());
    if (!r.ok()) r.value = UniqueFd();
    return r;
  }
  if (flags & (O_TMPFILE & ~O_DIRECTORY)) {
    // Checked before any lookup, as build_open_flags does.
    if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || (flags & O_ACCMODE) == O_RDONLY)
      return {.err = -EINVAL};
    return open_tmpfile(root_fd, abs_path, flags, mode, umask);
  }
  if ((flags & O_CREAT) && (flags & O_DIRECTORY)) return {.err = -EINVAL};
  if (flags & O_CREAT) return open_creating(root_fd, abs_path, flags, mode, umask);

  UniqueFd probe;
  int probe_flags = O_PATH | (flags & (O_NOFOLLOW | O_DIRECTORY));
  if (int e = detail::open_in_root(root_fd, abs_path, probe_flags, probe); e != 0)
    return {.err = e};
  return reopen(probe, flags);
}

Result<UniqueFd> create_file(const Parent& at, int flags, mode_t mode, mode_t umask) {
  flags &= kKnownOpenFlags & ~O_CLOEXEC;
  if (flags & (O_PATH | O_TMPFILE | O_DIRECTORY)) return {.err = -EINVAL};
  if (at.last != Last::Normal) return {.err = -EEXIST};
  if (at.trailing_slash) return {.err = -EISDIR};  // as open("name/", O_CREAT)
  CreateMode c = create_mode(at.fd.get(), mode, umask);
  // O_EXCL never follows a final symlink and fails on any existing name: what exists is the
  // caller's to judge and open.
  int f = flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  int fd = ::openat(at.fd.get(), at.name.c_str(), f, c.mode);
  if (fd < 0) return {.err = -errno};
  UniqueFd out(fd);
  restore_lost_bits(out.get(), c.lost);
  return {.value = std::move(out)};
}

bool use_private_umask() {
  if (t_private_umask) return true;
  if (::unshare(CLONE_FS) != 0) return false;
  ::umask(0);
  t_private_umask = true;
  return true;
}

int make_dir(const Parent& at, mode_t mode, mode_t umask) {
  if (at.last != Last::Normal) return -EEXIST;
  CreateMode c = create_mode(at.fd.get(), mode & 01777, umask);
  if (::mkdirat(at.fd.get(), at_name(at).c_str(), c.mode) != 0) return -errno;
  restore_lost_bits(at, c.lost, S_IFDIR);
  return 0;
}

int make_node(const Parent& at, mode_t mode, dev_t dev, mode_t umask) {
  mode_t kind = mode & S_IFMT;
  if (kind == 0) kind = S_IFREG;
  switch (kind) {
    case S_IFREG:
    case S_IFIFO:
    case S_IFSOCK:
      break;
    case S_IFCHR:
    case S_IFBLK: {
      // Never made here (the sandbox has no CAP_MKNOD); answer as the kernel would.
      if (at.last != Last::Normal) return -EEXIST;
      struct stat st {};
      if (::fstatat(at.fd.get(), at.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return -EEXIST;
      if (errno != ENOENT) return -errno;
      return at.trailing_slash ? -ENOENT : -EPERM;
    }
    default:
      return -EINVAL;
  }
  if (at.last != Last::Normal) return -EEXIST;
  CreateMode c = create_mode(at.fd.get(), mode & 07777, umask);
  if (::mknodat(at.fd.get(), at_name(at).c_str(), kind | c.mode, kind == S_IFREG ? 0 : dev) != 0)
    return -errno;
  restore_lost_bits(at, c.lost, kind);
  return 0;
}

int remove(const Parent& at, int flags) {
  if ((flags & ~AT_REMOVEDIR) != 0) return -EINVAL;
  if (flags & AT_REMOVEDIR) {
    switch (at.last) {
      case Last::Normal:
        break;
      case Last::Dot:
        return -EINVAL;
      case Last::DotDot:
        return -ENOTEMPTY;
      case Last::Root:
        return -EBUSY;
    }
  } else if (at.last != Last::Normal) {
    return -EISDIR;
  }
  return ret(::unlinkat(at.fd.get(), at_name(at).c_str(), flags));
}

int rename(const Parent& from, const Parent& to, unsigned flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -EINVAL;
  if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE)) return -EINVAL;
  if (from.last != Last::Normal) return -EBUSY;
  if (to.last != Last::Normal) return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
  return ret(
      ::renameat2(from.fd.get(), at_name(from).c_str(), to.fd.get(), at_name(to).c_str(), flags));
}

int link(const Object& from, const Parent& to) {
  if (to.last != Last::Normal) return -EEXIST;
  return ret(::linkat(AT_FDCWD, fd_link(from.fd.get()).c_str(), to.fd.get(), at_name(to).c_str(),
                      AT_SYMLINK_FOLLOW));
}

int symlink(std::string_view target, const Parent& at) {
  if (target.empty()) return -ENOENT;
  if (target.size() >= PATH_MAX) return -ENAMETOOLONG;
  if (at.last != Last::Normal) return -EEXIST;
  return ret(::symlinkat(std::string(target).c_str(), at.fd.get(), at_name(at).c_str()));
}

int chmod(const Object& obj, mode_t mode) {
  return ret(::chmod(fd_link(obj.fd.get()).c_str(), mode & 07777));
}

int chown(const Object& obj, uid_t uid, gid_t gid) {
  return ret(::fchownat(obj.fd.get(), "", uid, gid, AT_EMPTY_PATH));
}

int truncate(const Object& obj, off_t length) {
  if (length < 0) return -EINVAL;
  return ret(::truncate(fd_link(obj.fd.get()).c_str(), length));
}

int utimens(const Object& obj, const struct timespec times[2]) {
  return ret(::utimensat(obj.fd.get(), "", times, AT_EMPTY_PATH));
}

// The path variants reach the inode through warden's magic link; for an Object that is a
// symlink they act on the symlink itself, as the l-variants do.
int set_xattr(const Object& obj, const std::string& name, std::string_view value, int flags) {
  return ret(
      ::setxattr(fd_link(obj.fd.get()).c_str(), name.c_str(), value.data(), value.size(), flags));
}

int remove_xattr(const Object& obj, const std::string& name) {
  return ret(::removexattr(fd_link(obj.fd.get()).c_str(), name.c_str()));
}

}  // namespace warden::broker
