// The sandbox, end to end: real commands run by the real warden binary, judged from outside (files
// on the host, a listener's log, exit statuses), never by the command's own word alone.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common.hpp"

namespace warden::test {
namespace {

// Each behavioural test runs as the current user and, when the tests run as root with
// WARDEN_TEST_USER set (CI creates one), again as that unprivileged user.
class Sandbox : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      user_ = test_user();
      if (!user_) GTEST_SKIP() << "no unprivileged test user (run as root with WARDEN_TEST_USER)";
    }
    ws_.give_to(user_);
  }
  Result run(const std::vector<std::string>& cmd, const std::vector<std::string>& options = {}) {
    return test::run(env_.argv(ws_.path(), options, cmd), env_.options(user_));
  }
  Env env_;
  TempDir ws_;
  std::optional<std::pair<uid_t, gid_t>> user_;
};

INSTANTIATE_TEST_SUITE_P(Users, Sandbox, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "unprivileged" : "self"; });

TEST_P(Sandbox, WriteInsideWorkspaceSucceeds) {
  auto r = run(probe_cmd({"write", ws_ / "inside.txt"}));
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(read_text(ws_ / "inside.txt"), "probe\n");
}

TEST_P(Sandbox, WriteOutsideWorkspaceFails) {
  TempDir outside("/var/tmp");
  // Refused as a request nobody approved (EACCES); the read-only floor alone would say EROFS.
  auto r = run(probe_cmd({"write", outside / "escape.txt"}));
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  EXPECT_FALSE(exists(outside / "escape.txt"));
  r = run(probe_cmd({"mkdir", outside / "dir"}));
  EXPECT_EQ(r.out, "errno=EACCES\n");
  EXPECT_FALSE(exists(outside / "dir"));
}

TEST_P(Sandbox, FilesAreOwnedByTheCaller) {
  auto r = run(probe_cmd({"ids"}));
  uid_t uid = user_ ? user_->first : ::geteuid();
  EXPECT_NE(r.out.find("uid=" + std::to_string(uid) + " "), std::string::npos) << r.out;
  run(probe_cmd({"write", ws_ / "owned"}));
  struct stat st {};
  ASSERT_EQ(::stat((ws_ / "owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid);
}

TEST_P(Sandbox, ProtectedPathsStayReadOnlyWhileGitWorks) {
  ASSERT_EQ(::system(("git init -q " + ws_.path() + " && chown -R " +
                      std::to_string(user_ ? user_->first : ::geteuid()) + " " + ws_.path())
                         .c_str()),
            0);
  auto before = read_text(ws_ / ".git/config");
  auto r = run(probe_cmd({"write", ws_ / ".git/config"}));
  EXPECT_EQ(r.out, "errno=EACCES\n");
  r = run(probe_cmd({"write", ws_ / ".git/hooks/pre-commit"}));
  EXPECT_EQ(r.out, "errno=EACCES\n");
  EXPECT_FALSE(exists(ws_ / ".git/hooks/pre-commit"));
  EXPECT_EQ(read_text(ws_ / ".git/config"), before);
  // Renaming over the protected file is refused as well (it is a mount point).
  write_text(ws_ / "evil", "[core]\n\tfsmonitor = touch /tmp/pwned\n");
  r = run(probe_cmd({"rename", ws_ / "evil", ws_ / ".git/config"}));
  EXPECT_NE(r.out, "ok\n");
  EXPECT_EQ(read_text(ws_ / ".git/config"), before);
  // Moving the repository's metadata away to recreate it unprotected is refused too.
  r = run({"/bin/sh", "-c", "mv .git .git-moved"});
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(exists(ws_ / ".git-moved"));
  EXPECT_EQ(read_text(ws_ / ".git/config"), before);
  EXPECT_TRUE(exists(ws_ / ".git/hooks"));
  // Ordinary git work inside the repository: objects, refs, index, logs.
  write_text(ws_ / "a.txt", "hello\n");
  r = run({"/bin/sh", "-c",
           "git add a.txt && git -c user.name=t -c user.email=t@t commit -qm first && git log "
           "--oneline | wc -l"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n") << r.err;
}

TEST_P(Sandbox, DenyReadHidesFilesDirectoriesAndSymlinksToThem) {
  TempDir secrets("/var/tmp");
  ::chmod(secrets.path().c_str(), 0755);
  ::mkdir((secrets / "dir").c_str(), 0755);
  write_text(secrets / "dir/key", "SECRET");
  write_text(secrets / "token", "SECRET");
  ::chmod((secrets / "dir/key").c_str(), 0644);
  ::chmod((secrets / "token").c_str(), 0644);
  ASSERT_EQ(::symlink((secrets / "dir/key").c_str(), (ws_ / "link").c_str()), 0);
  std::vector<std::string> opts{
      "-c", "warden.deny_read=[\"" + (secrets / "dir") + "\", \"" + (secrets / "token") + "\"]"};
  EXPECT_EQ(run(probe_cmd({"read", secrets / "dir/key"}), opts).out, "errno=EACCES\n");
  EXPECT_EQ(run(probe_cmd({"read", secrets / "token"}), opts).out, "errno=EACCES\n");
  EXPECT_EQ(run(probe_cmd({"read", ws_ / "link"}), opts).out, "errno=EACCES\n");
  auto r = run({"/bin/sh", "-c", "ls " + (secrets / "dir") + "; cat " + (secrets / "token")}, opts);
  EXPECT_EQ(r.out.find("key"), std::string::npos);
  EXPECT_EQ(r.out.find("SECRET"), std::string::npos);
  // Without the rule the same reads succeed: the test can tell the difference.
  EXPECT_EQ(run(probe_cmd({"read", secrets / "token"})).out, "ok\n");
}

TEST_P(Sandbox, NoNetworkButLoopback) {
  // A listener on the host's loopback that must never see a connection.
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 4), 0);
  ASSERT_EQ(::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::string port = std::to_string(ntohs(a.sin_port));

  EXPECT_EQ(run(probe_cmd({"connect", "127.0.0.1", port})).out, "errno=ECONNREFUSED\n");
  // Another address is a request nobody approved: EPERM (the empty network alone says ENETUNREACH).
  EXPECT_EQ(run(probe_cmd({"connect", "192.0.2.1", "80"})).out, "errno=EPERM\n");
  EXPECT_EQ(run(probe_cmd({"loopback"})).out, "ok\n");  // a test server inside works
  ::fcntl(l, F_SETFL, O_NONBLOCK);
  EXPECT_LT(::accept(l, nullptr, nullptr), 0) << "the host listener was reached";

  // network_access = true: the host network, so the same connect reaches the listener.
  auto r = run(probe_cmd({"connect", "127.0.0.1", port}),
               {"-c", "sandbox_workspace_write.network_access=true"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
  ::close(l);
}

TEST_P(Sandbox, InitIsPidOneAndReapsOrphans) {
  auto r = run({"/bin/sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$"});
  EXPECT_NE(r.out.find(warden()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n2\n"), std::string::npos) << r.out;  // the command is pid 2
  r = run(probe_cmd({"orphans"}));
  EXPECT_EQ(r.out, "zombies=0\n") << r.err;
}

TEST_P(Sandbox, NoCapabilitiesNoNewPrivsOnlyStdioFds) {
  EXPECT_EQ(run(probe_cmd({"status", "CapEff"})).out, "CapEff:\t0000000000000000\n");
  EXPECT_EQ(run(probe_cmd({"status", "CapPrm"})).out, "CapPrm:\t0000000000000000\n");
  EXPECT_EQ(run(probe_cmd({"status", "CapBnd"})).out, "CapBnd:\t0000000000000000\n");
  EXPECT_EQ(run(probe_cmd({"status", "NoNewPrivs"})).out, "NoNewPrivs:\t1\n");
  EXPECT_EQ(run(probe_cmd({"fds"})).out, "fds=0 1 2\n");
}

TEST_P(Sandbox, ExitCodesAndSignalsPropagate) {
  EXPECT_EQ(run(probe_cmd({"exit", "7"})).code, 7);
  EXPECT_EQ(run(probe_cmd({"exit", "0"})).code, 0);
  EXPECT_EQ(run(probe_cmd({"kill-self", "9"})).code, 128 + 9);
  EXPECT_EQ(run(probe_cmd({"kill-self", "15"})).code, 128 + 15);
}

TEST_P(Sandbox, ReadOnlyModeRefusesWorkspaceAndTmpWrites) {
  auto r = run(probe_cmd({"write", ws_ / "x"}), {"-s", "read-only"});
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  EXPECT_FALSE(exists(ws_ / "x"));
  EXPECT_EQ(run(probe_cmd({"write", "/tmp/x"}), {"-s", "read-only"}).out, "errno=EACCES\n");
  EXPECT_EQ(run(probe_cmd({"write", "/tmp/x"})).out, "ok\n");  // workspace-write: private /tmp
}

TEST_P(Sandbox, WritableRootsAreWritable) {
  TempDir extra("/var/tmp");
  extra.give_to(user_);
  auto r = run(probe_cmd({"write", extra / "f"}),
               {"-c", "sandbox_workspace_write.writable_roots=[\"" + extra.path() + "\"]"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_EQ(read_text(extra / "f"), "probe\n");
}

}  // namespace
}  // namespace warden::test
