// Writes that leave the workspace, reads of hidden paths, and poisoned-workspace names: every
// attack is judged by the files the host sees afterwards, never by what the attack printed.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include "escape.hpp"

namespace warden::test::escape {
namespace {

// The relative way from the workspace to `target`, through "..".
std::string dotdot_path(const std::string& from, const std::string& target) {
  std::string up;
  for (char c : from)
    if (c == '/') up += "../";
  return from + "/" + up + target.substr(1);
}

// Class: the write floor itself (issue 5's list, before section B): open/openat.
TEST_F(Escape, WriteOutsideThroughOpen) {
  const std::string c = canary("existing");
  run(attack_cmd({"write", out_ / "created"}));
  run(attack_cmd({"write", c}));
  run(attack_cmd({"openat-dir", out_.path(), "by-dirfd"}));
  run(attack_cmd({"openat-dir", out_.path(), "existing"}));
  EXPECT_FALSE(exists(out_ / "created"));
  EXPECT_FALSE(exists(out_ / "by-dirfd"));
  EXPECT_EQ(read_text(c), "canary\n");
}

// Class: the write floor: creat.
TEST_F(Escape, WriteOutsideThroughCreat) {
  const std::string c = canary("existing");
  auto r = run(attack_cmd({"creat", out_ / "created"}));
  EXPECT_EQ(r.out, "creat=errno=EACCES\n") << r.err;
  run(attack_cmd({"creat", c}));
  EXPECT_FALSE(exists(out_ / "created"));
  EXPECT_EQ(read_text(c), "canary\n");
}

// Class: the write floor: rename, both ways across the boundary.
TEST_F(Escape, WriteOutsideThroughRename) {
  const std::string c = canary("existing");
  write_text(ws_ / "mine", "from the sandbox\n");
  ::mkdir((ws_ / "dir").c_str(), 0755);
  run(attack_cmd({"rename", ws_ / "mine", out_ / "moved-out"}));
  run(attack_cmd({"rename", ws_ / "mine", c}));
  run(attack_cmd({"rename", ws_ / "dir", out_ / "dir-moved-out"}));
  run(attack_cmd({"rename", c, ws_ / "stolen"}));
  EXPECT_FALSE(exists(out_ / "moved-out"));
  EXPECT_FALSE(exists(out_ / "dir-moved-out"));
  EXPECT_FALSE(exists(ws_ / "stolen"));
  EXPECT_EQ(read_text(c), "canary\n");
  EXPECT_EQ(read_text(ws_ / "mine"), "from the sandbox\n");
}

// Class: the write floor: hard links, out of the workspace and into it (a second name inside
// for an outside inode would let ordinary inside writes change it).
TEST_F(Escape, WriteOutsideThroughLink) {
  const std::string c = canary("existing");
  write_text(ws_ / "mine", "from the sandbox\n");
  run(attack_cmd({"link", ws_ / "mine", out_ / "linked-out"}));
  run(attack_cmd({"link-write", c, ws_ / "alias"}));
  EXPECT_FALSE(exists(out_ / "linked-out"));
  EXPECT_EQ(read_text(c), "canary\n");
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(c.c_str(), &b), 0);
  if (::stat((ws_ / "alias").c_str(), &a) == 0) {
    EXPECT_NE(a.st_ino, b.st_ino) << "linked in";
  }
  EXPECT_EQ(b.st_nlink, 1u);
}

// B#23: symlinks made inside that point outside, written through (dangling and existing), and a
// symlink made outside.
TEST_F(Escape, WriteOutsideThroughSymlink) {
  const std::string c = canary("existing");
  run(attack_cmd({"symlink-write", out_ / "via-dangling", ws_ / "l1"}));
  run(attack_cmd({"symlink-write", c, ws_ / "l2"}));
  run(attack_cmd({"symlink", "/etc/passwd", out_ / "link-outside"}));
  // A link the host made, as a checked-out repository may hold one.
  ASSERT_EQ(::symlink(out_.path().c_str(), (ws_ / "host-link").c_str()), 0);
  run(attack_cmd({"write", ws_ / "host-link/through-dir"}));
  run(attack_cmd({"write", ws_ / "host-link/existing"}));
  EXPECT_FALSE(exists(out_ / "via-dangling"));
  EXPECT_FALSE(exists(out_ / "through-dir"));
  struct stat st {};
  EXPECT_NE(::lstat((out_ / "link-outside").c_str(), &st), 0);
  EXPECT_EQ(read_text(c), "canary\n");
}

// Class: the write floor: ".." out of the workspace, absolute and relative to the cwd.
TEST_F(Escape, WriteOutsideThroughDotDot) {
  const std::string c = canary("existing");
  run(attack_cmd({"write", dotdot_path(ws_.path(), out_ / "dotdot")}));
  run(attack_cmd({"write", dotdot_path(ws_.path(), c)}));
  std::string rel = dotdot_path(ws_.path(), out_ / "relative").substr(ws_.path().size() + 1);
  run(attack_cmd({"chdir-write", ws_.path(), rel}));
  EXPECT_FALSE(exists(out_ / "dotdot"));
  EXPECT_FALSE(exists(out_ / "relative"));
  EXPECT_EQ(read_text(c), "canary\n");
}

// B#23 (magic links): /proc/self/root and /proc/1/root lead to the same root, and must not be a
// way around it.
TEST_F(Escape, WriteOutsideThroughProcSelfRoot) {
  const std::string c = canary("existing");
  run(attack_cmd({"write", "/proc/self/root" + (out_ / "via-self-root")}));
  run(attack_cmd({"write", "/proc/1/root" + (out_ / "via-init-root")}));
  run(attack_cmd({"write", "/proc/self/root" + c}));
  run(attack_cmd({"openat-dir", "/proc/self/root" + out_.path(), "via-root-dirfd"}));
  EXPECT_FALSE(exists(out_ / "via-self-root"));
  EXPECT_FALSE(exists(out_ / "via-init-root"));
  EXPECT_FALSE(exists(out_ / "via-root-dirfd"));
  EXPECT_EQ(read_text(c), "canary\n");
}

// B#23 (magic links): the cwd of a process standing outside, by /proc/<pid>/cwd.
TEST_F(Escape, WriteOutsideThroughProcPidCwd) {
  const std::string c = canary("existing");
  const std::string a = attack();
  auto r =
      run({"/bin/sh", "-c",
           "cd " + out_.path() + " && (sleep 2 & p=$!; sleep 0.2; " + a +
               " write /proc/$p/cwd/via-pid-cwd; " + a + " write /proc/$$/cwd/via-shell-cwd; " + a +
               " write /proc/self/cwd/via-self-cwd; " + a + " write /proc/$p/cwd/existing; " + a +
               " chdir-write /proc/$p/cwd via-chdir; " + a + " write /proc/1/cwd/../" +
               out_.path().substr(1) + "/via-init-cwd; kill $p)"});
  EXPECT_NE(r.out.find("write=errno="), std::string::npos) << r.out << r.err;
  for (const char* name :
       {"via-pid-cwd", "via-shell-cwd", "via-self-cwd", "via-chdir", "via-init-cwd"})
    EXPECT_FALSE(exists(out_ / name)) << name;
  EXPECT_EQ(read_text(c), "canary\n");
}

// B#23: openat2, with and without RESOLVE_* flags (warden answers ENOSYS to the latter, and a
// program's fallback must not be a way out either).
TEST_F(Escape, WriteOutsideThroughOpenat2) {
  const std::string c = canary("existing");
  auto r = run(attack_cmd({"openat2", out_ / "plain", "0"}));
  EXPECT_EQ(r.out, "openat2=errno=EACCES\n") << r.err;
  // RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_BENEATH, RESOLVE_NO_XDEV
  for (const char* resolve : {"0x10", "0x02", "0x08", "0x01"}) {
    r = run(attack_cmd({"openat2", out_ / "resolved", resolve}));
    EXPECT_EQ(r.out, "openat2=errno=ENOSYS\n") << resolve << r.err;
  }
  run(attack_cmd({"openat2", c, "0"}));
  run(attack_cmd({"openat2", "/proc/self/root" + (out_ / "magic"), "0"}));
  EXPECT_FALSE(exists(out_ / "plain"));
  EXPECT_FALSE(exists(out_ / "resolved"));
  EXPECT_FALSE(exists(out_ / "magic"));
  EXPECT_EQ(read_text(c), "canary\n");
}

// B#29 (a descriptor reopened by its /proc/self/fd name): a read-only descriptor is allowed
// anywhere, and reopening it for writing must be judged like any write. A host FIFO outside the
// workspace (which the floor, Landlock, would refuse to open for writing) is read by the host.
TEST_F(Escape, WriteOutsideThroughProcSelfFd) {
  const std::string c = canary("existing");
  const std::string fifo = out_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  ::chmod(fifo.c_str(), 0666);
  int host_reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(host_reader, 0);
  git_init(ws_.path());
  const auto config = read_text(ws_ / ".git/config");
  auto r = run(attack_cmd({"reopen-write", c}));
  EXPECT_NE(r.out.find("reopen=errno="), std::string::npos) << r.out << r.err;
  run(attack_cmd({"reopen-write", ws_ / ".git/config"}));
  r = run(attack_cmd({"reopen-write", fifo}));
  char buf[256];
  ssize_t n = ::read(host_reader, buf, sizeof buf);
  ::close(host_reader);
  EXPECT_LE(n, 0) << "the host FIFO received: " << std::string(buf, n > 0 ? n : 0) << "\n" << r.out;
  EXPECT_EQ(read_text(c), "canary\n");
  EXPECT_EQ(read_text(ws_ / ".git/config"), config);
}

// What an attack could have planted under `dir` for git to run later: in every git directory
// wherever it now is (a directory with HEAD and objects/), a hook that is not a shipped sample
// or a config naming the payload.
std::vector<std::string> poison_in(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::end(it); it.increment(ec)) {
    const fs::path& d = it->path();
    if (!it->is_directory(ec) || !fs::exists(d / "HEAD", ec) ||
        !fs::is_directory(d / "objects", ec))
      continue;
    if (contains(read_text(d / "config"), "pwned")) found.push_back((d / "config").string());
    for (auto h = fs::directory_iterator(d / "hooks", ec); h != fs::end(h); h.increment(ec))
      if (h->path().extension() != ".sample") found.push_back(h->path().string());
  }
  return found;
}

// B#36 (poisoned workspace): moving the parent of protected names away (or a protected
// directory itself), then writing them at their new place or making them again at the old one.
TEST_F(Escape, RenameParentOfProtectedDirectory) {
  const std::string hook = "#!/bin/sh\\ntouch /tmp/pwned\\n";
  const std::string conf = "[core]\\n\\tfsmonitor = touch /tmp/pwned\\n";
  // Each move from a fresh repository, then the poison wherever .git may now be.
  for (const std::string move :
       {"mv .git moved", "mv .git/hooks moved", "mv sub/repo moved", "mv sub moved",
        "mkdir moved && mv sub/repo/.git moved/", "mv sub/repo/.git/hooks moved"}) {
    TempDir ws;
    git_init(ws.path());
    git_init(ws / "sub/repo");
    std::string script = move +
                         "; for d in moved moved/.git moved/repo/.git moved/hooks .git "
                         "sub/repo/.git; do mkdir -p $d/hooks; printf '" +
                         hook + "' > $d/hooks/pre-commit; printf '" + hook +
                         "' > $d/pre-commit; printf '" + conf + "' > $d/config; done; true";
    run_in(ws.path(), {"/bin/sh", "-c", script}, {"-a", "never"});
    auto found = poison_in(ws.path());
    EXPECT_TRUE(found.empty()) << move << ": " << ::testing::PrintToString(found);
    // The repositories' own metadata never moves (a move of a plain ancestor is allowed: the
    // names stay protected wherever they are).
    EXPECT_TRUE(exists(ws / ".git/config")) << move;
    EXPECT_TRUE(exists(ws / ".git/hooks")) << move;
  }
}

// B#36 (poisoned workspace): protected names that do not exist yet: a repository made inside,
// a missing hooks directory, editor and direnv files.
TEST_F(Escape, RecreateMissingProtectedName) {
  ASSERT_EQ(::system(("git init -q " + ws_.path() + " && rm -rf " + (ws_ / ".git/hooks")).c_str()),
            0);
  const std::string poison = "[core]\\n\\tfsmonitor = touch /tmp/pwned\\n";
  auto r = run({"/bin/sh", "-c",
                "git init -q sub; printf '" + poison +
                    "' > sub/.git/config; "
                    "mkdir -p sub/.git; printf '" +
                    poison +
                    "' > sub/.git/config; "
                    "mkdir -p deep/er/.git/hooks; echo 'touch /tmp/pwned' > "
                    "deep/er/.git/hooks/post-checkout; "
                    "mkdir .git/hooks; echo 'touch /tmp/pwned' > .git/hooks/pre-commit; "
                    "echo 'touch /tmp/pwned' > .envrc; mkdir -p .vscode; echo '{}' > "
                    ".vscode/tasks.json; mkdir -p x; echo 'touch /tmp/pwned' > x/.envrc; "
                    "mkdir -p .warden; echo 'sandbox_mode = \"danger-full-access\"' > "
                    ".warden/config.toml; true"},
               {"-a", "never"});
  EXPECT_FALSE(contains(read_text(ws_ / "sub/.git/config"), "fsmonitor")) << r.err;
  for (const char* p : {"deep/er/.git/hooks/post-checkout", ".git/hooks/pre-commit", ".envrc",
                        ".vscode/tasks.json", "x/.envrc", ".warden/config.toml"})
    EXPECT_FALSE(exists(ws_ / p)) << p;
  EXPECT_FALSE(exists(ws_ / ".git/hooks"));
}

// Section B has no line of its own for reads (B#41: secrets are mount masks): a deny_read path
// reached through symlinks, hard links, renames and magic links. Whatever the attack reads it
// copies into the workspace, where the host looks for the secret.
TEST_F(Escape, ReadDenyReadThroughLinks) {
  TempDir secrets("/var/tmp");
  const std::string secret = "SECRET-e5c4p3";
  ::mkdir((secrets / "dir").c_str(), 0755);
  write_text(secrets / "dir/key", secret);
  write_text(secrets / "token", secret);
  write_text(ws_ / ".env", secret);
  ::mkdir((ws_ / "private").c_str(), 0755);
  write_text(ws_ / "private/key", secret);
  for (const char* f : {"dir/key", "token"}) ::chmod((secrets / f).c_str(), 0644);
  ASSERT_EQ(::symlink((secrets / "dir/key").c_str(), (ws_ / "host-link").c_str()), 0);
  const std::vector<std::string> deny{"-c", "warden.deny_read=[\"" + (secrets / "dir") + "\", \"" +
                                                (secrets / "token") + "\", \"" + (ws_ / ".env") +
                                                "\", \"" + (ws_ / "private") + "\"]"};
  const std::string a = attack(), leak = ws_ / "leak";
  std::string script;
  auto copy = [&](const std::string& src) { script += a + " copy '" + src + "' " + leak + "; "; };
  copy(secrets / "token");
  copy(secrets / "dir/key");
  copy(ws_ / "host-link");
  script += "ln -s " + (secrets / "token") + " made-link; ";
  copy(ws_ / "made-link");
  script += "ln -s " + (secrets / "dir") + " made-dir-link; ";
  copy(ws_ / "made-dir-link/key");
  script += a + " link " + (secrets / "token") + " hard1; ";
  copy(ws_ / "hard1");
  script += a + " link " + (ws_ / ".env") + " hard2; ";
  copy(ws_ / "hard2");
  script += a + " link " + (ws_ / "private/key") + " hard3; ";
  copy(ws_ / "hard3");
  script += a + " rename " + (ws_ / ".env") + " renamed; ";
  copy(ws_ / "renamed");
  script += a + " rename " + (ws_ / "private") + " private2; ";
  copy(ws_ / "private2/key");
  copy("/proc/self/root" + (secrets / "token"));
  copy("/proc/1/root" + (secrets / "dir/key"));
  script += "exec 3< " + secrets.path() + "; ";
  copy("/proc/self/fd/3/token");
  copy("/proc/self/fd/3/dir/key");
  script += "cd " + (secrets / "dir") + " 2>/dev/null && " + a + " copy key " + leak + "; cd " +
            ws_.path() + "; ";
  copy("/proc/self/cwd/../" + (ws_ / ".env").substr(1));
  script += "true";
  auto r = run({"/bin/sh", "-c", script}, deny);
  EXPECT_FALSE(contains(read_text(leak), secret)) << r.out << r.err;
  // The host's files stay where they were, under their masks: a secret moved to another name
  // is unmasked in the next run with the same configuration.
  EXPECT_EQ(read_text(ws_ / ".env"), secret);
  EXPECT_EQ(read_text(ws_ / "private/key"), secret);
  r = run({"/bin/sh", "-c", "find . -type f ! -name leak -exec cat {} + > next-run-leak"}, deny);
  EXPECT_FALSE(contains(read_text(ws_ / "next-run-leak"), secret))
      << "a later run with the same deny_read reads the secret under a new name";
  // Without the rule the same copy succeeds: the judge can see a leak when there is one.
  run(attack_cmd({"copy", secrets / "token", ws_ / "control"}));
  EXPECT_EQ(read_text(ws_ / "control"), secret);
}

}  // namespace
}  // namespace warden::test::escape
