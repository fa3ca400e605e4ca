// Resolution and operations on real temporary trees. The "root" is a directory opened O_PATH,
// standing for the target's /proc/PID/root; base/ above it holds decoys an escape would reach.
#include "warden/broker/fs.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace warden::broker {
namespace {

int sys(long r) {
  return r < 0 ? -errno : 0;
}

class Fs : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/warden-broker-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = std::filesystem::canonical(tmpl).string();
    root_ = base_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    root_fd_ = UniqueFd(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_);
    host_fd_ = UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(host_fd_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
  }

  int root() const { return root_fd_.get(); }
  // The host path of an in-root path.
  std::string H(const std::string& p) const { return root_ + p; }

  void file(const std::string& p, const std::string& content = "") {
    int fd = ::open(H(p).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << p;
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  void dir(const std::string& p) { std::filesystem::create_directories(H(p)); }
  void link_at(const std::string& target, const std::string& p) {
    ASSERT_EQ(::symlink(target.c_str(), H(p).c_str()), 0) << p;
  }
  static std::string read_fd(int fd) {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(out.size()))) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }
  static bool exists(const std::string& host_path) {
    struct stat st {};
    return ::lstat(host_path.c_str(), &st) == 0;
  }
  static struct stat lst(const std::string& host_path) {
    struct stat st {};
    EXPECT_EQ(::lstat(host_path.c_str(), &st), 0) << host_path;
    return st;
  }

  Parent P(const std::string& p) {
    auto r = resolve_parent(root(), p);
    EXPECT_TRUE(r.ok()) << p << ": " << r.err;
    return std::move(r.value);
  }
  Object O(const std::string& p, bool follow = true) {
    auto r = open_existing(root(), p, follow);
    EXPECT_TRUE(r.ok()) << p << ": " << r.err;
    return std::move(r.value);
  }

  std::string base_, root_;
  UniqueFd root_fd_, host_fd_;
};

// --- UniqueFd ---

TEST(UniqueFdTest, ClosesMovesAndReleases) {
  int raw = ::open("/", O_PATH | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_EQ(a.get(), -1);
    EXPECT_EQ(b.get(), raw);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_EQ(::fcntl(raw, F_GETFD), FD_CLOEXEC);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed once c went out of scope
  int raw2 = ::open("/", O_PATH | O_CLOEXEC);
  UniqueFd d(raw2);
  EXPECT_EQ(d.release(), raw2);
  EXPECT_FALSE(d);
  EXPECT_EQ(::fcntl(raw2, F_GETFD), FD_CLOEXEC);  // released, still open
  ::close(raw2);
}

// --- resolution ---

TEST_F(Fs, ResolveParentSplitsNameAndRealParent) {
  dir("/a/b");
  Parent p = P("/a/b/c");
  EXPECT_EQ(p.name, "c");
  EXPECT_EQ(p.last, Last::Normal);
  EXPECT_FALSE(p.trailing_slash);
  EXPECT_EQ(p.real_parent, "/a/b");
  EXPECT_EQ(p.real_path(), "/a/b/c");
  struct stat st {};
  ASSERT_EQ(::fstat(p.fd.get(), &st), 0);
  EXPECT_EQ(st.st_ino, lst(H("/a/b")).st_ino);
  EXPECT_EQ(P("/top").real_path(), "/top");
}

TEST_F(Fs, ResolveParentTrailingSlashDotsAndRoot) {
  dir("/a");
  Parent s = P("/a//");
  EXPECT_EQ(s.name, "a");
  EXPECT_TRUE(s.trailing_slash);
  EXPECT_EQ(s.real_parent, "/");
  Parent dot = P("/a/.");
  EXPECT_EQ(dot.last, Last::Dot);
  EXPECT_EQ(dot.real_parent, "/a");
  EXPECT_EQ(P("/a/..").last, Last::DotDot);
  Parent r = P("/");
  EXPECT_EQ(r.last, Last::Root);
  EXPECT_EQ(r.name, ".");
  EXPECT_EQ(r.real_parent, "/");
  EXPECT_EQ(P("//").last, Last::Root);
}

TEST_F(Fs, ResolveErrorsMatchTheKernel) {
  file("/f");
  EXPECT_EQ(resolve_parent(root(), "").err, -ENOENT);
  EXPECT_EQ(resolve_parent(root(), "a/b").err, -EINVAL);
  EXPECT_EQ(resolve_parent(root(), "/" + std::string(PATH_MAX, 'a')).err, -ENAMETOOLONG);
  EXPECT_EQ(open_existing(root(), "", true).err, -ENOENT);
  EXPECT_EQ(resolve_parent(root(), "/missing/x").err, sys(::mkdir(H("/missing/x").c_str(), 0)));
  EXPECT_EQ(resolve_parent(root(), "/f/x").err, sys(::mkdir(H("/f/x").c_str(), 0)));
  EXPECT_EQ(resolve_parent(root(), "/missing/x").err, -ENOENT);
  EXPECT_EQ(resolve_parent(root(), "/f/x").err, -ENOTDIR);
  EXPECT_EQ(open_existing(root(), "/f/", true).err, -ENOTDIR);
  EXPECT_EQ(open_existing(root(), "/" + std::string(NAME_MAX + 1, 'n'), true).err, -ENAMETOOLONG);
}

TEST_F(Fs, DotDotCannotLeaveTheRoot) {
  ASSERT_EQ(::mkdir((base_ + "/victim").c_str(), 0755), 0);
  dir("/victim");
  dir("/a");
  file("/victim/f", "inside");
  for (const char* p : {"/../victim/f", "/../../../../victim/f", "/a/../../victim/f",
                        "/a/../../../../../../../victim/f"}) {
    auto o = open_existing(root(), p, true);
    ASSERT_TRUE(o.ok()) << p;
    EXPECT_EQ(o.value.real_path, "/victim/f") << p;
    Parent parent = P(p);
    EXPECT_EQ(parent.real_parent, "/victim") << p;
  }
  EXPECT_EQ(make_dir(P("/../../made"), 0755, 0), 0);
  EXPECT_TRUE(exists(H("/made")));
  EXPECT_FALSE(exists(base_ + "/made"));
}

TEST_F(Fs, AbsoluteSymlinksResolveInsideTheRoot) {
  dir("/etc");
  file("/etc/passwd", "fake passwd");
  link_at("/", "/escape");
  link_at(base_, "/escape-abs");  // the real host path of base/: inside the root it is absent
  auto o = open_existing(root(), "/escape/etc/passwd", true);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value.real_path, "/etc/passwd");
  auto fd = open_file(root(), "/escape/etc/passwd", O_RDONLY, 0, 0);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(read_fd(fd.value.get()), "fake passwd");
  EXPECT_EQ(open_existing(root(), "/escape-abs/root/etc/passwd", true).err, -ENOENT);
  EXPECT_EQ(make_dir(P("/escape/made"), 0755, 0), 0);
  EXPECT_TRUE(exists(H("/made")));
}

TEST_F(Fs, SymlinkChainsStayInsideTheRoot) {
  ASSERT_EQ(::mkdir((base_ + "/victim").c_str(), 0755), 0);
  dir("/victim");
  dir("/sub");
  link_at("l2", "/l1");
  link_at("sub/l3", "/l2");
  link_at("../../../../victim", "/sub/l3");
  auto o = open_existing(root(), "/l1", true);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value.real_path, "/victim");
  Parent p = P("/l1/new");
  EXPECT_EQ(p.real_parent, "/victim");
  EXPECT_EQ(make_dir(p, 0755, 0), 0);
  EXPECT_TRUE(exists(H("/victim/new")));
  EXPECT_FALSE(exists(base_ + "/victim/new"));
  link_at("loop2", "/loop1");
  link_at("loop1", "/loop2");
  EXPECT_EQ(open_existing(root(), "/loop1", true).err, -ELOOP);
}

TEST_F(Fs, MagicLinksAreRefused) {
  UniqueFd mine(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(mine);
  const std::string n = std::to_string(mine.get());
  for (const std::string& p :
       std::vector<std::string>{"/proc/self/fd/" + n, "/proc/thread-self/fd/" + n, "/proc/self/cwd",
                                "/proc/self/root", "/proc/self/exe"}) {
    EXPECT_EQ(open_existing(host_fd_.get(), p, true).err, -ELOOP) << p;
    EXPECT_EQ(open_existing(host_fd_.get(), p + "/x", true).err, -ELOOP) << p;
    EXPECT_EQ(resolve_parent(host_fd_.get(), p + "/x").err, -ELOOP) << p;
    EXPECT_EQ(open_file(host_fd_.get(), p, O_RDONLY, 0, 0).err, -ELOOP) << p;
  }
  // Planted by the target as an ordinary symlink: still refused.
  ASSERT_EQ(::symlink("/proc/self/root/etc", (base_ + "/magic").c_str()), 0);
  EXPECT_EQ(open_existing(host_fd_.get(), base_ + "/magic/passwd", true).err, -ELOOP);
}

TEST_F(Fs, ProcAndSysfsAreRefused) {
  EXPECT_EQ(open_existing(host_fd_.get(), "/proc/version", true).err, -EACCES);
  EXPECT_EQ(open_file(host_fd_.get(), "/proc/self/status", O_RDONLY, 0, 0).err, -EACCES);
  EXPECT_EQ(open_file(host_fd_.get(), "/proc/self/comm", O_WRONLY, 0, 0).err, -EACCES);
  EXPECT_EQ(resolve_parent(host_fd_.get(), "/proc/self/x").err, -EACCES);
  if (exists("/sys/kernel")) {
    EXPECT_EQ(open_existing(host_fd_.get(), "/sys/kernel", true).err, -EACCES);
  }
  EXPECT_EQ(open_existing(host_fd_.get(), "/proc", true).err, -EACCES);  // the mounted procfs
  EXPECT_TRUE(resolve_parent(host_fd_.get(), "/proc").ok());  // the mount point's parent is /
}

TEST_F(Fs, RealPathsFollowSymlinksSoPolicySeesProtectedPaths) {
  dir("/.git/hooks");
  link_at(".git/hooks", "/h");
  Parent p = P("/h/pre-commit");
  EXPECT_EQ(p.real_path(), "/.git/hooks/pre-commit");
  EXPECT_TRUE(protected_match(p.real_path(), {"/"}, {".git/hooks"}).has_value());
  EXPECT_FALSE(protected_match("/h/pre-commit", {"/"}, {".git/hooks"}).has_value());
}

TEST_F(Fs, OpenExistingFollowsOnlyWhenAsked) {
  file("/f");
  link_at("f", "/l");
  Object followed = O("/l", true);
  EXPECT_EQ(followed.real_path, "/f");
  Object link = O("/l", false);
  EXPECT_EQ(link.real_path, "/l");
  struct stat st {};
  ASSERT_EQ(::fstat(link.fd.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  dir("/d");
  link_at("d", "/ld");
  EXPECT_EQ(O("/ld/", false).real_path, "/d");  // a trailing slash follows, as in the kernel
}

TEST_F(Fs, RealPathInTheHostViewIsTheHostPath) {
  file("/f");
  auto o = open_existing(host_fd_.get(), H("/f"), true);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value.real_path, H("/f"));
  auto p = resolve_parent(host_fd_.get(), H("/f"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value.real_parent, root_);
}

// --- a final symlink is never followed where the syscall would not ---

TEST_F(Fs, MakeDirAndMakeNodeDoNotFollowAFinalSymlink) {
  link_at("target", "/l");
  EXPECT_EQ(make_dir(P("/l"), 0755, 0), -EEXIST);
  EXPECT_EQ(make_dir(P("/l/"), 0755, 0), -EEXIST);
  EXPECT_EQ(make_node(P("/l"), S_IFIFO | 0644, 0, 0), -EEXIST);
  EXPECT_EQ(make_node(P("/l"), S_IFREG | 0644, 0, 0), -EEXIST);
  EXPECT_EQ(symlink("x", P("/l")), -EEXIST);
  file("/f");
  EXPECT_EQ(link(O("/f"), P("/l")), -EEXIST);
  EXPECT_FALSE(exists(H("/target")));
  EXPECT_TRUE(S_ISLNK(lst(H("/l")).st_mode));
}

TEST_F(Fs, RemoveDoesNotFollowAFinalSymlink) {
  dir("/d");
  file("/d/keep");
  link_at("d", "/l");
  link_at("d", "/l2");
  EXPECT_EQ(remove(P("/l2"), AT_REMOVEDIR), -ENOTDIR);
  EXPECT_EQ(remove(P("/l2/"), AT_REMOVEDIR), -ENOTDIR);
  EXPECT_EQ(remove(P("/l"), 0), 0);
  EXPECT_FALSE(exists(H("/l")));
  EXPECT_TRUE(exists(H("/d/keep")));
  EXPECT_TRUE(exists(H("/l2")));
}

TEST_F(Fs, RenameDoesNotFollowFinalSymlinks) {
  file("/f", "content");
  link_at("f", "/l");
  EXPECT_EQ(rename(P("/l"), P("/m"), 0), 0);
  EXPECT_TRUE(S_ISLNK(lst(H("/m")).st_mode));
  EXPECT_TRUE(S_ISREG(lst(H("/f")).st_mode));
  // Onto a symlink: the symlink is replaced, its target untouched.
  file("/g", "new");
  EXPECT_EQ(rename(P("/g"), P("/m"), 0), 0);
  EXPECT_TRUE(S_ISREG(lst(H("/m")).st_mode));
  auto f = open_file(root(), "/f", O_RDONLY, 0, 0);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(read_fd(f.value.get()), "content");
}

TEST_F(Fs, ChownWithoutFollowChangesOnlyTheLink) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root";
  file("/f");
  link_at("f", "/l");
  EXPECT_EQ(chown(O("/l", false), 4242, 4343), 0);
  EXPECT_EQ(lst(H("/l")).st_uid, 4242u);
  EXPECT_EQ(lst(H("/l")).st_gid, 4343u);
  EXPECT_EQ(lst(H("/f")).st_uid, ::geteuid());
  EXPECT_EQ(chown(O("/l", true), 4444, static_cast<gid_t>(-1)), 0);
  EXPECT_EQ(lst(H("/f")).st_uid, 4444u);
  EXPECT_EQ(lst(H("/f")).st_gid, ::getegid());
}

TEST_F(Fs, ObjectOperationsOnASymlinkActOnTheSymlink) {
  file("/f");
  ::chmod(H("/f").c_str(), 0644);
  link_at("f", "/l");
  EXPECT_EQ(chmod(O("/l", false), 0600), -EOPNOTSUPP);
  EXPECT_EQ(lst(H("/f")).st_mode & 07777, 0644u);
  // user.* xattrs are not allowed on symlinks: proof the symlink, not f, was addressed.
  EXPECT_EQ(set_xattr(O("/l", false), "user.t", "v", 0), -EPERM);
  const struct timespec times[2] = {{1000, 0}, {2000, 0}};
  EXPECT_EQ(utimens(O("/l", false), times), 0);
  EXPECT_EQ(lst(H("/l")).st_mtim.tv_sec, 2000);
  EXPECT_NE(lst(H("/f")).st_mtim.tv_sec, 2000);
}

// --- open_file ---

TEST_F(Fs, CreateThroughADanglingSymlinkStaysInTheRoot) {
  link_at("../escaped", "/rel");
  link_at("/../../escaped-abs", "/abs");
  link_at("chain", "/c1");
  link_at("/sub/../made-by-chain", "/chain");
  dir("/sub");
  for (const char* p : {"/rel", "/abs", "/c1"}) {
    auto fd = open_file(root(), p, O_WRONLY | O_CREAT, 0644, 0);
    ASSERT_TRUE(fd.ok()) << p << ": " << fd.err;
  }
  EXPECT_TRUE(S_ISREG(lst(H("/escaped")).st_mode));
  EXPECT_TRUE(S_ISREG(lst(H("/escaped-abs")).st_mode));
  EXPECT_TRUE(S_ISREG(lst(H("/made-by-chain")).st_mode));
  EXPECT_FALSE(exists(base_ + "/escaped"));
  EXPECT_FALSE(exists(base_ + "/escaped-abs"));
  EXPECT_TRUE(S_ISLNK(lst(H("/rel")).st_mode));
}

TEST_F(Fs, CreateHonoursExclAndNoFollowOnSymlinks) {
  file("/f");
  link_at("f", "/l");
  link_at("target", "/dangling");
  EXPECT_EQ(open_file(root(), "/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644, 0).err,
            sys(::open(H("/dangling").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644)));
  EXPECT_EQ(open_file(root(), "/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644, 0).err, -EEXIST);
  EXPECT_EQ(open_file(root(), "/dangling", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644, 0).err, -ELOOP);
  EXPECT_FALSE(exists(H("/target")));
  EXPECT_EQ(open_file(root(), "/l", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644, 0).err,
            sys(::open(H("/l").c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW, 0644)));
  EXPECT_EQ(open_file(root(), "/l", O_RDONLY | O_NOFOLLOW, 0, 0).err, -ELOOP);
  EXPECT_EQ(open_file(root(), "/f", O_WRONLY | O_CREAT | O_EXCL, 0644, 0).err, -EEXIST);
  EXPECT_TRUE(open_file(root(), "/l", O_WRONLY | O_CREAT, 0644, 0).ok());
}

TEST_F(Fs, CreateAppliesTheTargetsUmask) {
  auto fd = open_file(root(), "/new", O_WRONLY | O_CREAT | O_EXCL, 0666, 027);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(lst(H("/new")).st_mode, S_IFREG | 0640);
  EXPECT_EQ(::write(fd.value.get(), "x", 1), 1);
  EXPECT_EQ(make_dir(P("/d"), 0777, 022), 0);
  EXPECT_EQ(lst(H("/d")).st_mode, S_IFDIR | 0755);
  EXPECT_EQ(make_node(P("/fifo"), S_IFIFO | 0666, 0, 077), 0);
  EXPECT_EQ(lst(H("/fifo")).st_mode, S_IFIFO | 0600);
  EXPECT_EQ(make_node(P("/reg"), 0644, 0, 0), 0);
  EXPECT_EQ(lst(H("/reg")).st_mode, S_IFREG | 0644);
}

TEST_F(Fs, WardensOwnUmaskDoesNotNarrowTheMode) {
  mode_t old = ::umask(077);
  auto fd = open_file(root(), "/new", O_WRONLY | O_CREAT, 0666, 0);
  int d = make_dir(P("/d"), 0775, 002);
  int n = make_node(P("/sock"), S_IFSOCK | 0666, 0, 0);
  auto tmp = open_file(root(), "/", O_TMPFILE | O_RDWR, 0640, 0);
  ::umask(old);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(lst(H("/new")).st_mode, S_IFREG | 0666);
  EXPECT_EQ(d, 0);
  EXPECT_EQ(lst(H("/d")).st_mode, S_IFDIR | 0775);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(lst(H("/sock")).st_mode, S_IFSOCK | 0666);
  ASSERT_TRUE(tmp.ok()) << tmp.err;
  struct stat st {};
  ASSERT_EQ(::fstat(tmp.value.get(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFREG | 0640);
}

TEST_F(Fs, DefaultAclReplacesTheUmaskAsInTheKernel) {
  dir("/acl");
  // A minimal default ACL (user::rwx group::rwx other::rwx), in the kernel's xattr format.
  struct Entry {
    std::uint16_t tag, perm;
    std::uint32_t id;
  };
  struct {
    std::uint32_t version = 2;
    Entry e[3] = {{0x01, 7, ~0u}, {0x04, 7, ~0u}, {0x20, 7, ~0u}};
  } acl;
  if (::setxattr(H("/acl").c_str(), "system.posix_acl_default", &acl, sizeof acl, 0) != 0)
    GTEST_SKIP() << "no POSIX ACLs here: " << std::strerror(errno);
  auto fd = open_file(root(), "/acl/b", O_WRONLY | O_CREAT, 0666, 077);
  ASSERT_TRUE(fd.ok());
  mode_t old = ::umask(077);
  int kfd = ::open(H("/acl/k").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  ::umask(old);
  ASSERT_GE(kfd, 0);
  ::close(kfd);
  EXPECT_EQ(lst(H("/acl/b")).st_mode, lst(H("/acl/k")).st_mode);
  EXPECT_EQ(lst(H("/acl/b")).st_mode, S_IFREG | 0666);
}

TEST_F(Fs, OpenHonoursTruncAppendAndStatusFlags) {
  file("/f", "hello");
  auto a = open_file(root(), "/f", O_WRONLY | O_APPEND | O_CLOEXEC, 0, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(::write(a.value.get(), " world", 6), 6);
  int fl = ::fcntl(a.value.get(), F_GETFL);
  EXPECT_TRUE(fl & O_APPEND);
  EXPECT_FALSE(fl & O_NONBLOCK);
  EXPECT_EQ(::fcntl(a.value.get(), F_GETFD), FD_CLOEXEC);  // warden's copy never leaks
  auto r = open_file(root(), "/f", O_RDONLY, 0, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(read_fd(r.value.get()), "hello world");
  EXPECT_EQ(::write(r.value.get(), "x", 1), -1);  // opened read-only, as asked
  auto t = open_file(root(), "/f", O_WRONLY | O_TRUNC, 0, 0);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(lst(H("/f")).st_size, 0);
  auto d = open_file(root(), "/", O_RDONLY | O_DIRECTORY, 0, 0);
  EXPECT_TRUE(d.ok());
}

TEST_F(Fs, OpenErrorsMatchTheKernel) {
  file("/f");
  dir("/d");
  struct Case {
    const char* path;
    int flags;
  };
  const Case cases[] = {
      {"/f", O_RDONLY | O_DIRECTORY},
      {"/f/", O_RDONLY},
      {"/d", O_WRONLY},
      {"/d", O_WRONLY | O_CREAT},
      {"/d", O_RDONLY | O_CREAT},
      {"/new/", O_WRONLY | O_CREAT},
      {"/new/", O_WRONLY | O_CREAT | O_EXCL},
      {"/d/..", O_WRONLY | O_CREAT},
      {"/d/.", O_WRONLY | O_CREAT | O_EXCL},
      {"/missing", O_RDONLY},
      {"/missing/x", O_WRONLY | O_CREAT},
      {"/f/x", O_WRONLY | O_CREAT},
      {"/x", O_WRONLY | O_CREAT | O_DIRECTORY},
      {"/d", O_RDONLY | O_TMPFILE},
      {"/f", O_RDWR | O_TMPFILE},
  };
  for (const auto& c : cases) {
    int want = sys(::open(H(c.path).c_str(), c.flags | O_CLOEXEC, 0644));
    ASSERT_NE(want, 0) << c.path;
    EXPECT_EQ(open_file(root(), c.path, c.flags, 0644, 0).err, want) << c.path << " " << c.flags;
  }
  EXPECT_EQ(open_file(root(), "/", O_WRONLY | O_CREAT, 0644, 0).err, -EISDIR);
  EXPECT_EQ(open_file(root(), "/", O_WRONLY | O_CREAT | O_EXCL, 0644, 0).err, -EEXIST);
  EXPECT_EQ(open_file(root(), "", O_RDONLY, 0, 0).err, -ENOENT);
  EXPECT_FALSE(exists(H("/x")));
}

// Runs f in a child so that a blocking open fails the test instead of hanging it.
int in_child_with_timeout(const std::function<int()>& f) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(-f() & 0xff);
  for (int i = 0; i < 500; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? -WEXITSTATUS(status) : -1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -2000;  // hung
}

TEST_F(Fs, FifosAreRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(H("/fifo").c_str(), 0644), 0);
  link_at("fifo", "/to-fifo");
  for (int flags : {O_WRONLY, O_RDONLY, O_RDWR, O_WRONLY | O_CREAT, O_WRONLY | O_TRUNC}) {
    for (const char* p : {"/fifo", "/to-fifo"}) {
      int r = in_child_with_timeout([&] { return open_file(root(), p, flags, 0644, 0).err; });
      EXPECT_EQ(r, -EACCES) << p << " " << flags;
    }
  }
}

TEST_F(Fs, DevicesAreRefusedAndSocketsAnswerENXIO) {
  EXPECT_EQ(open_file(host_fd_.get(), "/dev/null", O_WRONLY, 0, 0).err, -EACCES);
  EXPECT_EQ(open_file(host_fd_.get(), "/dev/null", O_RDONLY, 0, 0).err, -EACCES);
  EXPECT_EQ(open_file(host_fd_.get(), "/dev/null", O_WRONLY | O_CREAT, 0644, 0).err, -EACCES);
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = H("/sock");
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(s);
  EXPECT_EQ(open_file(root(), "/sock", O_WRONLY, 0, 0).err,
            sys(::open(path.c_str(), O_WRONLY | O_CLOEXEC)));
  EXPECT_EQ(open_file(root(), "/sock", O_WRONLY, 0, 0).err, -ENXIO);
}

TEST_F(Fs, TmpFileIsUnnamedAndLinkable) {
  dir("/d");
  auto fd = open_file(root(), "/d", O_TMPFILE | O_RDWR, 0600, 0);
  ASSERT_TRUE(fd.ok()) << fd.err;
  struct stat st {};
  ASSERT_EQ(::fstat(fd.value.get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_mode, S_IFREG | 0600);
  Object o{UniqueFd(::dup(fd.value.get())), "/d/(unnamed)"};
  EXPECT_EQ(link(o, P("/d/named")), 0);
  EXPECT_EQ(lst(H("/d/named")).st_ino, st.st_ino);
}

// --- operations: success ---

TEST_F(Fs, OperationsDoWhatTheSyscallsDo) {
  dir("/d");
  file("/f", "0123456789");
  EXPECT_EQ(make_dir(P("/d/sub/"), 0700, 0), 0);
  EXPECT_TRUE(S_ISDIR(lst(H("/d/sub")).st_mode));
  EXPECT_EQ(remove(P("/d/sub/"), AT_REMOVEDIR), 0);
  EXPECT_FALSE(exists(H("/d/sub")));

  EXPECT_EQ(link(O("/f"), P("/d/hard")), 0);
  EXPECT_EQ(lst(H("/f")).st_nlink, 2u);
  link_at("f", "/l");
  EXPECT_EQ(link(O("/l", true), P("/hard2")), 0);  // AT_SYMLINK_FOLLOW: the file
  EXPECT_EQ(lst(H("/hard2")).st_ino, lst(H("/f")).st_ino);
  EXPECT_EQ(link(O("/l", false), P("/l-hard")), 0);  // no follow: the symlink itself
  EXPECT_EQ(lst(H("/l-hard")).st_ino, lst(H("/l")).st_ino);

  EXPECT_EQ(symlink("../anything/at/all", P("/d/s")), 0);
  char buf[64] = {};
  ASSERT_GT(::readlink(H("/d/s").c_str(), buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "../anything/at/all");

  file("/g", "g");
  EXPECT_EQ(rename(P("/f"), P("/g"), RENAME_EXCHANGE), 0);
  EXPECT_EQ(lst(H("/g")).st_size, 10);
  EXPECT_EQ(rename(P("/g"), P("/d/g"), RENAME_NOREPLACE), 0);
  EXPECT_TRUE(exists(H("/d/g")));

  EXPECT_EQ(chmod(O("/d/g"), 0604), 0);
  EXPECT_EQ(lst(H("/d/g")).st_mode, S_IFREG | 0604);
  EXPECT_EQ(truncate(O("/d/g"), 3), 0);
  EXPECT_EQ(lst(H("/d/g")).st_size, 3);
  const struct timespec times[2] = {{1000, 0}, {1234, 5}};
  EXPECT_EQ(utimens(O("/d/g"), times), 0);
  EXPECT_EQ(lst(H("/d/g")).st_mtim.tv_sec, 1234);
  EXPECT_EQ(lst(H("/d/g")).st_mtim.tv_nsec, 5);
  EXPECT_EQ(utimens(O("/d/g"), nullptr), 0);
  EXPECT_GT(lst(H("/d/g")).st_mtim.tv_sec, 1234);

  EXPECT_EQ(remove(P("/d/g"), 0), 0);
  EXPECT_FALSE(exists(H("/d/g")));
}

TEST_F(Fs, ExtendedAttributes) {
  file("/f");
  link_at("f", "/l");
  int r = set_xattr(O("/l"), "user.warden", "yes", 0);
  if (r == -EOPNOTSUPP) GTEST_SKIP() << "no user xattrs here";
  ASSERT_EQ(r, 0);
  char buf[8] = {};
  EXPECT_EQ(::getxattr(H("/f").c_str(), "user.warden", buf, sizeof buf), 3);
  EXPECT_STREQ(buf, "yes");
  EXPECT_EQ(set_xattr(O("/f"), "user.warden", "no", XATTR_CREATE),
            sys(::setxattr(H("/f").c_str(), "user.warden", "no", 2, XATTR_CREATE)));
  EXPECT_EQ(remove_xattr(O("/f"), "user.warden"), 0);
  EXPECT_EQ(remove_xattr(O("/f"), "user.warden"), -ENODATA);
}

// --- operations: errors, side by side with the plain syscall on the same tree ---

TEST_F(Fs, OperationErrorsMatchTheKernel) {
  dir("/d/sub");
  dir("/e");
  file("/d/sub/x");
  file("/f");
  file("/g");
  ASSERT_EQ(::mkfifo(H("/fifo").c_str(), 0644), 0);
  link_at("d", "/ld");
  struct Case {
    const char* what;
    std::function<int()> broker;
    std::function<int()> kernel;
  };
  auto h = [&](const char* p) { return H(p); };
  auto parent_err = [&](const char* p) { return resolve_parent(root(), p).err; };
  const Case cases[] = {
      {"mkdir missing parent", [&] { return parent_err("/missing/x"); },
       [&] { return sys(::mkdir(h("/missing/x").c_str(), 0755)); }},
      {"mkdir existing", [&] { return make_dir(P("/d"), 0755, 0); },
       [&] { return sys(::mkdir(h("/d").c_str(), 0755)); }},
      {"mkdir d/.", [&] { return make_dir(P("/d/."), 0755, 0); },
       [&] { return sys(::mkdir(h("/d/.").c_str(), 0755)); }},
      {"mkdir d/..", [&] { return make_dir(P("/d/.."), 0755, 0); },
       [&] { return sys(::mkdir(h("/d/..").c_str(), 0755)); }},
      {"mkdir /", [&] { return make_dir(P("/"), 0755, 0); },
       [&] { return sys(::mkdir("/", 0755)); }},
      {"mkdir under a file", [&] { return parent_err("/f/x"); },
       [&] { return sys(::mkdir(h("/f/x").c_str(), 0755)); }},
      {"rmdir non-empty", [&] { return remove(P("/d"), AT_REMOVEDIR); },
       [&] { return sys(::rmdir(h("/d").c_str())); }},
      {"rmdir through link/", [&] { return remove(P("/ld/"), AT_REMOVEDIR); },
       [&] { return sys(::rmdir(h("/ld/").c_str())); }},
      {"rmdir d/.", [&] { return remove(P("/d/."), AT_REMOVEDIR); },
       [&] { return sys(::rmdir(h("/d/.").c_str())); }},
      {"rmdir d/..", [&] { return remove(P("/d/sub/.."), AT_REMOVEDIR); },
       [&] { return sys(::rmdir(h("/d/sub/..").c_str())); }},
      {"rmdir /", [&] { return remove(P("/"), AT_REMOVEDIR); }, [&] { return sys(::rmdir("/")); }},
      {"rmdir file", [&] { return remove(P("/f"), AT_REMOVEDIR); },
       [&] { return sys(::rmdir(h("/f").c_str())); }},
      {"rmdir missing", [&] { return remove(P("/nope"), AT_REMOVEDIR); },
       [&] { return sys(::rmdir(h("/nope").c_str())); }},
      {"unlink dir", [&] { return remove(P("/d"), 0); },
       [&] { return sys(::unlink(h("/d").c_str())); }},
      {"unlink f/", [&] { return remove(P("/f/"), 0); },
       [&] { return sys(::unlink(h("/f/").c_str())); }},
      {"unlink missing/", [&] { return remove(P("/nope/"), 0); },
       [&] { return sys(::unlink(h("/nope/").c_str())); }},
      {"unlink d/..", [&] { return remove(P("/d/.."), 0); },
       [&] { return sys(::unlink(h("/d/..").c_str())); }},
      {"unlinkat bad flags", [&] { return remove(P("/f"), 0x4000); },
       [&] { return sys(::unlinkat(AT_FDCWD, h("/f").c_str(), 0x4000)); }},
      {"rename missing", [&] { return rename(P("/nope"), P("/e/x"), 0); },
       [&] { return sys(::rename(h("/nope").c_str(), h("/e/x").c_str())); }},
      {"rename noreplace", [&] { return rename(P("/f"), P("/g"), RENAME_NOREPLACE); },
       [&] {
         return sys(
             ::renameat2(AT_FDCWD, h("/f").c_str(), AT_FDCWD, h("/g").c_str(), RENAME_NOREPLACE));
       }},
      {"rename onto non-empty dir", [&] { return rename(P("/e"), P("/d"), 0); },
       [&] { return sys(::rename(h("/e").c_str(), h("/d").c_str())); }},
      {"rename file onto dir", [&] { return rename(P("/f"), P("/e"), 0); },
       [&] { return sys(::rename(h("/f").c_str(), h("/e").c_str())); }},
      {"rename dir onto file", [&] { return rename(P("/e"), P("/f"), 0); },
       [&] { return sys(::rename(h("/e").c_str(), h("/f").c_str())); }},
      {"rename into itself", [&] { return rename(P("/d"), P("/d/sub/d"), 0); },
       [&] { return sys(::rename(h("/d").c_str(), h("/d/sub/d").c_str())); }},
      {"rename f/", [&] { return rename(P("/f/"), P("/x"), 0); },
       [&] { return sys(::rename(h("/f/").c_str(), h("/x").c_str())); }},
      {"rename d/..", [&] { return rename(P("/d/sub/.."), P("/x"), 0); },
       [&] { return sys(::rename(h("/d/sub/..").c_str(), h("/x").c_str())); }},
      {"rename onto d/. noreplace", [&] { return rename(P("/f"), P("/d/."), RENAME_NOREPLACE); },
       [&] {
         return sys(
             ::renameat2(AT_FDCWD, h("/f").c_str(), AT_FDCWD, h("/d/.").c_str(), RENAME_NOREPLACE));
       }},
      {"rename exchange+noreplace",
       [&] { return rename(P("/f"), P("/g"), RENAME_EXCHANGE | RENAME_NOREPLACE); },
       [&] {
         return sys(::renameat2(AT_FDCWD, h("/f").c_str(), AT_FDCWD, h("/g").c_str(),
                                RENAME_EXCHANGE | RENAME_NOREPLACE));
       }},
      {"rename exchange missing", [&] { return rename(P("/f"), P("/nope"), RENAME_EXCHANGE); },
       [&] {
         return sys(
             ::renameat2(AT_FDCWD, h("/f").c_str(), AT_FDCWD, h("/nope").c_str(), RENAME_EXCHANGE));
       }},
      {"link a directory", [&] { return link(O("/d"), P("/d2")); },
       [&] { return sys(::link(h("/d").c_str(), h("/d2").c_str())); }},
      {"link onto existing", [&] { return link(O("/f"), P("/g")); },
       [&] { return sys(::link(h("/f").c_str(), h("/g").c_str())); }},
      {"link to new/", [&] { return link(O("/f"), P("/new/")); },
       [&] { return sys(::link(h("/f").c_str(), h("/new/").c_str())); }},
      {"link missing source", [&] { return open_existing(root(), "/nope", false).err; },
       [&] { return sys(::link(h("/nope").c_str(), h("/new").c_str())); }},
      {"symlink onto existing", [&] { return symlink("t", P("/f")); },
       [&] { return sys(::symlink("t", h("/f").c_str())); }},
      {"symlink new/", [&] { return symlink("t", P("/new/")); },
       [&] { return sys(::symlink("t", h("/new/").c_str())); }},
      {"symlink empty target", [&] { return symlink("", P("/new")); },
       [&] { return sys(::symlink("", h("/new").c_str())); }},
      {"mknod fifo existing", [&] { return make_node(P("/f"), S_IFIFO | 0644, 0, 0); },
       [&] { return sys(::mknod(h("/f").c_str(), S_IFIFO | 0644, 0)); }},
      {"mknod new/", [&] { return make_node(P("/new/"), S_IFIFO | 0644, 0, 0); },
       [&] { return sys(::mknod(h("/new/").c_str(), S_IFIFO | 0644, 0)); }},
      {"mknod bad type", [&] { return make_node(P("/new"), 0170000 | 0644, 0, 0); },
       [&] { return sys(::mknod(h("/new").c_str(), 0170000 | 0644, 0)); }},
      {"mknod device over existing", [&] { return make_node(P("/f"), S_IFCHR | 0644, 0, 0); },
       [&] { return sys(::mknod(h("/f").c_str(), S_IFCHR | 0644, ::makedev(1, 3))); }},
      {"chmod symlink nofollow", [&] { return chmod(O("/ld", false), 0700); },
       [&] { return sys(::fchmodat(AT_FDCWD, h("/ld").c_str(), 0700, AT_SYMLINK_NOFOLLOW)); }},
      {"truncate dir", [&] { return truncate(O("/d"), 0); },
       [&] { return sys(::truncate(h("/d").c_str(), 0)); }},
      {"truncate fifo", [&] { return truncate(O("/fifo"), 0); },
       [&] { return sys(::truncate(h("/fifo").c_str(), 0)); }},
      {"truncate negative", [&] { return truncate(O("/f"), -1); },
       [&] { return sys(::truncate(h("/f").c_str(), -1)); }},
  };
  for (const auto& c : cases) {
    int b = c.broker();
    int k = c.kernel();
    EXPECT_NE(k, 0) << c.what << ": the kernel must fail this case";
    EXPECT_EQ(b, k) << c.what;
  }
  // Unprivileged, the kernel refuses every device node; warden never makes one.
  EXPECT_EQ(make_node(P("/dev0"), S_IFCHR | 0644, ::makedev(1, 3), 0), -EPERM);
  EXPECT_EQ(make_node(P("/dev1"), S_IFBLK | 0644, ::makedev(7, 0), 0), -EPERM);
  EXPECT_FALSE(exists(H("/dev0")));
  EXPECT_FALSE(exists(H("/new")));
  EXPECT_FALSE(exists(H("/x")));
}

}  // namespace
}  // namespace warden::broker
