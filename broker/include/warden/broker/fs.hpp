// Performing a held write-like syscall on the target's behalf, TOCTOU-safely.
//
// Every path is resolved once, with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) under a root
// fd (the target's /proc/PID/root, or warden's "/" for approved operations): ".." and symlinks,
// absolute or relative, stay inside that root, and /proc/*/fd-style magic links are refused
// (-ELOOP). Operations then act on the resolved fds, following a final symlink only when the
// syscall would. Objects on procfs or sysfs are refused (-EACCES): in the host view /proc/self is
// warden itself. Results are 0, a new fd, or -errno as the syscall would have returned.
//
// The file system view: the fd returned by open_file is warden's (O_CLOEXEC); hand it over with
// SECCOMP_IOCTL_NOTIF_ADDFD and the target's cloexec choice. uid/gid are warden's (init
// namespace) ids: mapping the target's ids is the caller's job.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>
#include <string_view>

#include "warden/broker/path.hpp"

namespace warden::broker {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// How the path ended: the kernel answers "." , ".." and "/" differently per syscall.
enum class Last { Normal, Dot, DotDot, Root };

struct Parent {
  UniqueFd fd;       // O_PATH|O_DIRECTORY: the directory holding name
  std::string name;  // the final component, without slashes; "." when last is Root
  Last last = Last::Normal;
  bool trailing_slash = false;  // "name/": the operation must find or make a directory
  std::string real_parent;      // where fd really is, symlinks resolved, as a path in the view
  // real_parent/name (just real_parent unless last is Normal): what policy decides on.
  std::string real_path() const;
};

struct Object {
  UniqueFd fd;  // O_PATH; the symlink itself when not following and the final is one
  std::string real_path;
};

// The directory holding abs_path's final component, and that component. abs_path is the raw
// absolute path (".." and symlinks are resolved by the kernel, as the syscall would).
// "" -> -ENOENT, relative -> -EINVAL, >= PATH_MAX -> -ENAMETOOLONG.
Result<Parent> resolve_parent(int root_fd, std::string_view abs_path);

// abs_path itself, following a final symlink only if follow_final (a trailing slash always
// follows, as in the kernel).
Result<Object> open_existing(int root_fd, std::string_view abs_path, bool follow_final);

// Where root_fd is as warden's readlink prints it: what resolution strips from the paths it
// reports. A caller resolving several paths under one root reads it once and passes it to the
// overloads below, which then skip that readlink per lookup.
Result<std::string> root_path(int root_fd);
Result<Parent> resolve_parent(int root_fd, std::string_view root_path, std::string_view abs_path);
Result<Object> open_existing(int root_fd, std::string_view root_path, std::string_view abs_path,
                             bool follow_final);

// The final component of a resolved parent (Last::Normal, no trailing slash), not following a
// symlink: an Object when something other than a symlink has the name, -ENOENT when nothing
// does, -ELOOP when a symlink does (resolve that one with open_existing). One lookup where
// open_existing + resolve_parent would take three, for the common O_CREAT of a new name.
Result<Object> probe_name(const Parent& at);

// Creates at's name as a new file (O_CREAT | O_EXCL: -EEXIST if anything, a symlink too, has
// the name), opened with flags; mode & ~umask as open_file does. For plain flags only: no
// O_PATH, O_TMPFILE or O_DIRECTORY (open_file answers those).
Result<UniqueFd> create_file(const Parent& at, int flags, mode_t mode, mode_t umask);

// Gives the calling thread its own umask (unshare(CLONE_FS)) and sets it to 0, so creation
// modes computed here are applied exactly and warden's umask need not be read back from /proc
// per creation. Threads created by this thread afterwards share it. false: not done (the
// process-wide umask keeps being read).
bool use_private_umask();

// open/openat/creat/openat2 (flags as open(2); O_CLOEXEC is ignored, O_NOCTTY always added).
// FIFOs and device nodes are refused with -EACCES and never opened (an open could block warden
// or wake a driver); sockets give -ENXIO as the kernel does. Existing files are probed with
// O_PATH and reopened through that fd, so what was checked is what is opened. Creation uses
// mode & ~umask (the target's umask), or mode as given under a default ACL, as the kernel would.
Result<UniqueFd> open_file(int root_fd, std::string_view abs_path, int flags, mode_t mode,
                           mode_t umask);

// mkdir/mkdirat, mknod/mknodat (regular files, FIFOs and sockets; devices -> -EPERM).
int make_dir(const Parent& at, mode_t mode, mode_t umask);
int make_node(const Parent& at, mode_t mode, dev_t dev, mode_t umask);
// unlink/unlinkat/rmdir; flags is 0 or AT_REMOVEDIR.
int remove(const Parent& at, int flags);
// rename/renameat/renameat2; flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT.
int rename(const Parent& from, const Parent& to, unsigned flags);
// link/linkat. from is open_existing(old, flags & AT_SYMLINK_FOLLOW): the link is made through
// /proc/thread-self/fd/N with AT_SYMLINK_FOLLOW, which works unprivileged and links exactly that
// inode (the symlink itself when from is one); linkat(AT_EMPTY_PATH) would need
// CAP_DAC_READ_SEARCH.
int link(const Object& from, const Parent& to);
// symlink/symlinkat; target is stored as text, never resolved.
int symlink(std::string_view target, const Parent& at);

// These act on an Object from open_existing with the syscall's own following rule
// (chmod/chown/truncate/utimes/setxattr follow; lchown, fchmodat2 and utimensat with
// AT_SYMLINK_NOFOLLOW, lsetxattr do not), so "l" variants need no separate entry point.
int chmod(const Object& obj, mode_t mode);           // on a symlink: -EOPNOTSUPP, as fchmodat2
int chown(const Object& obj, uid_t uid, gid_t gid);  // -1 leaves an id unchanged
int truncate(const Object& obj, off_t length);
int utimens(const Object& obj, const struct timespec times[2]);  // nullptr: now
int set_xattr(const Object& obj, const std::string& name, std::string_view value, int flags);
int remove_xattr(const Object& obj, const std::string& name);

}  // namespace warden::broker
