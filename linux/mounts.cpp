// The sandbox's filesystem view. Planned in warden (plain path logic, testable), applied in the
// child inside fresh user and mount namespaces with the new mount API (fd-based, so nothing is
// resolved twice), in this order:
//   capture clones of the roots -> make the whole inherited tree read-only, nosuid, nodev ->
//   fresh /proc, private /tmp, minimal /dev -> binds, masks and protections, parents first.
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "internal.hpp"

namespace warden::linux_backend {
namespace {

int depth(const std::string& p) {
  return static_cast<int>(std::count(p.begin(), p.end(), '/'));
}

bool is_under(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

bool has_glob(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

std::string real(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return {};
  return buf;
}

// Expands a relative protected name under root, one directory level per glob component.
// Bounded by the pattern, never a walk of the tree.
void expand_protected(const std::string& root, const std::string& name,
                      std::vector<std::string>& out) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    if (slash > start) parts.push_back(name.substr(start, slash - start));
    start = slash + 1;
  }
  std::vector<std::string> current{root};
  for (const auto& part : parts) {
    std::vector<std::string> next;
    for (const auto& dir : current) {
      if (!has_glob(part)) {
        next.push_back(dir + "/" + part);
        continue;
      }
      DIR* d = ::opendir(dir.c_str());
      if (d == nullptr) continue;
      while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        if (::fnmatch(part.c_str(), e->d_name, FNM_PERIOD) == 0)
          next.push_back(dir + "/" + e->d_name);
      }
      ::closedir(d);
    }
    current = std::move(next);
  }
  for (const auto& p : current) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;  // absent: the broker's job (creation is held)
    if (S_ISLNK(st.st_mode)) {
      // Protect what the link names when that lies in the same root; a link out of the root
      // points at something the read-only floor already covers.
      std::string target = real(p);
      if (!target.empty() && is_under(target, root)) out.push_back(target);
      continue;
    }
    out.push_back(p);
  }
}

int open_tree_clone(const std::string& path, unsigned extra) {
  int fd = ::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | extra);
  if (fd < 0) fail_errno("mount namespace", "cannot clone the mount tree of " + path);
  return fd;
}

void set_attr(int dfd, const char* path, unsigned flags, std::uint64_t set,
              const std::string& what) {
  struct mount_attr attr {};
  attr.attr_set = set;
  if (::mount_setattr(dfd, path, flags, &attr, sizeof attr) != 0)
    fail_errno("mount namespace", "cannot make " + what + " read-only");
}

// A new detached filesystem instance (tmpfs, proc, devpts) ready for move_mount.
int new_fs(const char* type, std::initializer_list<std::pair<const char*, const char*>> options,
           unsigned mount_attrs, const char* part, const char* hint = "") {
  int fs = ::fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0) fail_errno(part, std::string("fsopen(") + type + ")", hint);
  for (const auto& [key, value] : options) {
    if (::fsconfig(fs, FSCONFIG_SET_STRING, key, value, 0) != 0)
      fail_errno(part, std::string(type) + " option " + key + "=" + value, hint);
  }
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    fail_errno(part, std::string("cannot create a ") + type + " instance", hint);
  int mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, mount_attrs);
  ::close(fs);
  if (mnt < 0) fail_errno(part, std::string("cannot mount a ") + type + " instance", hint);
  return mnt;
}

void attach(int mnt, int dfd, const std::string& path, const char* part) {
  if (::move_mount(mnt, "", dfd, path.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    fail_errno(part, "cannot mount on " + path);
  ::close(mnt);
}

// Creates a missing mount point. Only succeeds on the tmpfs instances warden made itself
// (/tmp, masks): the inherited tree is read-only by now.
void ensure_mountpoint(const std::string& path, bool dir) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return;
  std::string prefix;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    prefix = path.substr(0, slash);
    bool last = slash == path.size();
    if (::stat(prefix.c_str(), &st) != 0) {
      int rc = (last && !dir) ? ::open(prefix.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0)
                              : ::mkdir(prefix.c_str(), 0755);
      if (rc < 0) fail_errno("mount namespace", "cannot create mount point " + prefix);
      if (last && !dir) ::close(rc);
    }
    pos = slash + 1;
  }
}

void build_dev(std::vector<std::pair<std::string, int>>& nodes) {
  attach(new_fs("tmpfs", {{"mode", "0755"}, {"size", "1m"}}, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
                "/dev"),
         AT_FDCWD, "/dev", "/dev");
  int dev = ::open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0) fail_errno("/dev", "open /dev");
  for (auto& [name, fd] : nodes) {
    int f = ::openat(dev, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (f < 0) fail_errno("/dev", "create /dev/" + name);
    ::close(f);
    attach(fd, dev, name, "/dev");
    fd = -1;
  }
  if (::mkdirat(dev, "pts", 0755) != 0 || ::mkdirat(dev, "shm", 01777) != 0)
    fail_errno("/dev", "mkdir /dev/pts, /dev/shm");
  // A devpts instance of the sandbox's own: its ptys are not the host's.
  attach(new_fs("devpts", {{"ptmxmode", "0666"}, {"mode", "0620"}},
                MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "/dev/pts"),
         dev, "pts", "/dev/pts");
  attach(new_fs("tmpfs", {{"mode", "1777"}}, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "/dev/shm"), dev,
         "shm", "/dev/shm");
  const std::pair<const char*, const char*> links[] = {{"pts/ptmx", "ptmx"},
                                                       {"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"}};
  for (const auto& [target, name] : links) {
    if (::symlinkat(target, dev, name) != 0)
      fail_errno("/dev", std::string("symlink /dev/") + name);
  }
  set_attr(dev, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, "/dev");
  ::close(dev);
}

}  // namespace

MountPlan plan_mounts(const sandbox::Spec& spec) {
  MountPlan plan;
  const bool write = spec.mode == sandbox::Mode::WorkspaceWrite;
  plan.tmp_writable = spec.tmp_writable && spec.mode != sandbox::Mode::ReadOnly;

  std::vector<std::string> rw;
  auto add_root = [&](const std::string& path, bool writable) {
    for (const auto& r : rw)
      if (is_under(path, r)) return;  // already writable through an enclosing root
    plan.ops.push_back({writable ? PathOp::BindRw : PathOp::BindRo, path});
    if (writable) rw.push_back(path);
  };
  add_root(spec.workspace, write);
  if (write) {
    for (const auto& root : spec.writable_roots) {
      struct stat st {};
      if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // as Codex: skip
      add_root(root, true);
    }
    for (const auto& root : rw)
      for (const auto& name : spec.protected_names) {
        std::vector<std::string> found;
        expand_protected(root, name, found);
        for (auto& p : found) {
          for (size_t slash = p.find('/', root.size() + 1); slash != std::string::npos;
               slash = p.find('/', slash + 1))
            plan.ops.push_back({PathOp::Pin, p.substr(0, slash)});
          plan.ops.push_back({PathOp::Protect, std::move(p)});
        }
      }
  }
  for (const auto& pattern : spec.deny_read) {
    std::vector<std::string> paths;
    if (has_glob(pattern)) {
      glob_t g{};
      if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
      ::globfree(&g);
    } else {
      paths.push_back(pattern);
    }
    for (auto& p : paths) {
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) continue;  // nothing there to hide
      // Mask what the path resolves to: a symlinked ~/.aws hides its real target.
      std::string target = real(p);
      if (target.empty()) continue;
      plan.ops.push_back({S_ISDIR(st.st_mode) ? PathOp::MaskDir : PathOp::MaskFile, target});
    }
  }
  // Parents before children; at one path, binds before masks and protections (deny wins).
  std::stable_sort(plan.ops.begin(), plan.ops.end(), [](const PathOp& a, const PathOp& b) {
    int da = depth(a.path), db = depth(b.path);
    if (da != db) return da < db;
    auto rank = [](PathOp::Kind k) {
      return k == PathOp::BindRw || k == PathOp::BindRo ? 0 : k == PathOp::Pin ? 1 : 2;
    };
    if (rank(a.kind) != rank(b.kind)) return rank(a.kind) < rank(b.kind);
    return a.path < b.path;  // so duplicates are adjacent for unique()
  });
  plan.ops.erase(std::unique(plan.ops.begin(), plan.ops.end(),
                             [](const PathOp& a, const PathOp& b) {
                               return a.kind == b.kind && a.path == b.path;
                             }),
                 plan.ops.end());
  plan.writable = rw;
  if (spec.holds.dns && !spec.network) plan.resolv_conf = real("/etc/resolv.conf");
  return plan;
}

void apply_mounts(MountPlan& plan) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail_errno("mount namespace", "cannot make / private");

  // Capture before anything is covered: roots may live under /tmp, devices under /dev.
  for (auto& op : plan.ops) {
    if (op.kind != PathOp::BindRw && op.kind != PathOp::BindRo) continue;
    op.source_fd = open_tree_clone(op.path, AT_RECURSIVE);
    std::uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (op.kind == PathOp::BindRo) attrs |= MOUNT_ATTR_RDONLY;
    set_attr(op.source_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, attrs, op.path);
  }
  std::vector<std::pair<std::string, int>> nodes;
  for (const char* name : {"null", "zero", "full", "random", "urandom", "tty"})
    nodes.emplace_back(name, open_tree_clone(std::string("/dev/") + name, 0));

  set_attr(AT_FDCWD, "/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
           "/ and its submounts");

  attach(new_fs("proc", {}, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "/proc",
                "a fresh /proc cannot be mounted over a partly masked one: a container runtime's "
                "masked /proc paths (Docker: run with --security-opt systempaths=unconfined)"),
         AT_FDCWD, "/proc", "/proc");
  attach(new_fs("tmpfs", {{"mode", "1777"}}, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "/tmp"),
         AT_FDCWD, "/tmp", "/tmp");
  build_dev(nodes);

  int empty_file_mnt = -1;  // a tmpfs holding one mode-000 file, the source of file masks
  std::vector<std::string> make_ro;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    auto& op = plan.ops[i];
    struct stat st {};
    // A mask or protection whose path is not in the sandbox's view (under the private /tmp, or
    // inside another mask) has nothing left to hide.
    if (op.kind != PathOp::BindRw && op.kind != PathOp::BindRo && ::stat(op.path.c_str(), &st) != 0)
      continue;
    switch (op.kind) {
      case PathOp::BindRw:
      case PathOp::BindRo:
        ensure_mountpoint(op.path, true);
        attach(op.source_fd, AT_FDCWD, op.path, "mount namespace");
        op.source_fd = -1;
        break;
      case PathOp::MaskDir: {
        // Mode 0 hides everything; 0111 only when a root inside must stay reachable.
        bool passthrough = false;
        for (size_t j = i + 1; j < plan.ops.size(); ++j)
          if (is_under(plan.ops[j].path, op.path)) passthrough = true;
        attach(new_fs("tmpfs", {{"mode", passthrough ? "0111" : "0000"}, {"size", "64k"}},
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "deny_read"),
               AT_FDCWD, op.path, "deny_read");
        make_ro.push_back(op.path);
        break;
      }
      case PathOp::MaskFile: {
        if (empty_file_mnt < 0) {
          empty_file_mnt =
              new_fs("tmpfs", {{"mode", "0000"}, {"size", "4k"}},
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "deny_read");
          int f = ::openat(empty_file_mnt, "empty", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
          if (f < 0) fail_errno("deny_read", "cannot create the mask file");
          ::close(f);
          set_attr(empty_file_mnt, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, "the mask file");
        }
        int clone = ::open_tree(empty_file_mnt, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (clone < 0) fail_errno("deny_read", "cannot clone the mask file");
        attach(clone, AT_FDCWD, op.path, "deny_read");
        break;
      }
      case PathOp::Pin:
      case PathOp::Protect: {
        int clone =
            ::open_tree(AT_FDCWD, op.path.c_str(),
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
        if (clone < 0) {
          if (errno == ENOENT) break;  // vanished since planning: nothing left to protect
          fail_errno("protected", "cannot clone " + op.path);
        }
        if (op.kind == PathOp::Protect)
          set_attr(clone, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY, op.path);
        attach(clone, AT_FDCWD, op.path, "protected");
        break;
      }
    }
  }
  if (empty_file_mnt >= 0) ::close(empty_file_mnt);
  if (!plan.resolv_conf.empty()) {
    // The sandbox's resolver is warden's stub on its own loopback.
    int mnt = new_fs("tmpfs", {{"mode", "0755"}, {"size", "4k"}},
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, "resolv.conf");
    int f = ::openat(mnt, "resolv.conf", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    static const char kText[] =
        "# warden: DNS answered by warden inside the sandbox\nnameserver 127.0.0.1\n";
    if (f < 0 || ::write(f, kText, sizeof kText - 1) != sizeof kText - 1)
      fail_errno("resolv.conf", "write the sandbox's resolv.conf");
    ::close(f);
    set_attr(mnt, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, "resolv.conf");
    int clone = ::open_tree(mnt, "resolv.conf", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    ::close(mnt);
    if (clone < 0) fail_errno("resolv.conf", "clone the sandbox's resolv.conf");
    attach(clone, AT_FDCWD, plan.resolv_conf, "resolv.conf");
  }
  if (!plan.tmp_writable) make_ro.push_back("/tmp");
  for (const auto& p : make_ro) set_attr(AT_FDCWD, p.c_str(), 0, MOUNT_ATTR_RDONLY, p);
}

}  // namespace warden::linux_backend
