// Sockets out of the sandbox and into warden: host unix sockets (plain, under a read-only path,
// abstract), host loopback, the metadata address, warden's control socket and resolver; and the
// command line. Judged by host listeners' accept counts and canaries that must not appear.
#include <sys/stat.h>
#include <unistd.h>

#include "escape.hpp"

namespace warden::test::escape {
namespace {

// B#12: a host daemon's unix socket outside the workspace (as docker.sock, D-Bus, ssh-agent).
TEST_F(Escape, HostUnixSocket) {
  HostListener daemon(HostListener::kPath, out_ / "daemon.sock");
  EXPECT_EQ(run({probe(), "unix", out_ / "daemon.sock"}, {"-a", "never"}).out, "errno=EPERM\n");
  // Through names that lead to it: a symlink in the workspace, /proc/self/root, "..".
  ASSERT_EQ(::symlink((out_ / "daemon.sock").c_str(), (ws_ / "link.sock").c_str()), 0);
  run({probe(), "unix", ws_ / "link.sock"}, {"-a", "never"});
  run({probe(), "unix", "/proc/self/root" + (out_ / "daemon.sock")}, {"-a", "never"});
  run({probe(), "dgram", out_ / "daemon.sock"}, {"-a", "never"});
  EXPECT_EQ(daemon.accepted(), 0);
}

// B#13: a read-only mount does not stop connect(): a socket under a read-only path (everything
// outside the writable roots), and in read-only mode one in the workspace itself.
TEST_F(Escape, UnixSocketUnderReadOnlyPath) {
  HostListener outside(HostListener::kPath, out_ / "ro.sock");
  HostListener in_ws(HostListener::kPath, ws_ / "ws.sock");
  run({probe(), "unix", out_ / "ro.sock"});
  run({probe(), "unix", ws_ / "ws.sock"}, {"-s", "read-only", "-a", "never"});
  EXPECT_EQ(outside.accepted(), 0);
  EXPECT_EQ(in_ws.accepted(), 0) << "read-only mode reached a socket in the workspace";
  // Control: in workspace-write mode the workspace socket is the sandbox's own, and reached.
  run({probe(), "unix", ws_ / "ws.sock"});
  EXPECT_EQ(in_ws.accepted(), 1);
}

// B#14: abstract unix sockets are named per network namespace, not per mount namespace. The
// host listens on one; without network_access the sandbox has its own namespace, and with it
// Landlock's scope (ABI 6+) is what README promises keeps the host's abstract sockets away.
TEST_F(Escape, AbstractUnixSocket) {
  const std::string name = "warden-escape-" + std::to_string(::getpid());
  HostListener host(HostListener::kAbstract, name);
  auto r = run({probe(), "abstract", name});
  EXPECT_EQ(r.out, "errno=ECONNREFUSED\n") << r.err;
  EXPECT_EQ(host.accepted(), 0) << "reached from the sandbox's own network namespace";
  r = run({probe(), "abstract", name}, {"-c", "sandbox_workspace_write.network_access=true"});
  EXPECT_EQ(host.accepted(), 0) << "with network_access = true the sandbox connected to a host "
                                   "abstract socket (the probe says: "
                                << r.out << ")";
}

// B#24, B#26: the host's loopback (a host TCP listener must see nothing), by every spelling of it
// and by name through the sandbox's resolver.
TEST_F(Escape, HostLoopback) {
  HostListener host(HostListener::kTcp);
  const std::string port = std::to_string(host.port());
  for (const char* addr : {"127.0.0.1", "127.0.0.2", "127.255.255.254", "0.0.0.0"})
    run({probe(), "connect", addr, port}, {"-a", "never"});
  run({probe(), "dns-connect", "localhost", port}, {"-a", "never"});
  run({"python3", "-c",
       "import socket\nfor a in ('::1', '::ffff:127.0.0.1', '::'):\n"
       "  try: socket.create_connection((a, " +
           port + "), timeout=2)\n  except OSError: pass"},
      {"-a", "never"});
  EXPECT_EQ(host.accepted(), 0);
}

// B#26: the cloud metadata address. Nothing listens on it here, so the host-side judge is
// warden's own record: refused before any connection, even with a reviewer approving all.
TEST_F(Escape, CloudMetadata) {
  write_text(env_.home() / "yes.sh",
             "#!/bin/sh\ncat >/dev/null\necho '{\"decision\":\"approve\"}'\n");
  ::chmod((env_.home() / "yes.sh").c_str(), 0755);
  const std::string audit = ws_ / "audit.jsonl";
  auto r = run(
      {probe(), "connect", "169.254.169.254", "80"},
      {"--audit", audit, "-c", "warden.reviewer_command=[\"" + (env_.home() / "yes.sh") + "\"]"});
  EXPECT_EQ(r.out, "errno=EPERM\n") << r.err;
  auto log = read_text(audit);
  EXPECT_TRUE(contains(log, "\"decision\":\"deny\"")) << log.value_or("");
  EXPECT_TRUE(contains(log, "169.254.0.0/16")) << log.value_or("");
  EXPECT_FALSE(contains(log, "\"decision\":\"approve\"")) << log.value_or("");
}

// B#33: self-approval. A write outside waits for an answer (nobody is at a terminal) while the
// command tries every socket warden owns: the control socket (by path, through a symlink, via
// /proc/self/root, as `warden approve` itself) and the resolver on 127.0.0.1:53 (UDP and TCP).
// With a terminal, it also types answers at its own pty. The write must never land.
TEST_F(Escape, SelfApproval) {
  TempDir runtime("/var/tmp");  // visible in the sandbox, as a user's runtime directory is
  ::chmod(runtime.path().c_str(), 0700);
  const std::string target = out_ / "self-approved", a = attack(), w = staged_warden();
  const std::string audit = ws_ / "audit.jsonl";
  const std::string attacks =
      "sleep 1; for s in " + runtime.path() + "/warden/*.sock; do ln -sf $s ws.sock; " + a +
      " unix-send $s 'approve 1'; " + a + " unix-send ws.sock 'approve 1'; " + a +
      " unix-send /proc/self/root$s 'approve 1'; " + a + " unix-send /proc/1/root$s 'approve 1'; " +
      "done; " + w + " approve 1; " + w + " approve 1 --always; " + a + " dns-approve; ";
  RunOptions o = env_.options();
  o.env.push_back("XDG_RUNTIME_DIR=" + runtime.path());
  Process p(env_.argv(ws_.path(), {"--audit", audit, "--review-timeout", "4"},
                      {"/bin/sh", "-c",
                       a + " write " + target + " & " + attacks + "ls " + runtime.path() +
                           "/warden; wait"}),
            o);
  auto r = p.finish();
  EXPECT_FALSE(exists(target)) << r.out << r.err;
  EXPECT_NE(r.out.find(".sock"), std::string::npos) << "no control socket was tried: " << r.out;
  EXPECT_FALSE(contains(read_text(audit), "\"decision\":\"approve\""));
  // On a terminal: the command answers its own prompt by typing at its pty and at /dev/tty.
  o.use_pty = true;
  Process q(env_.argv(ws_.path(), {"--review-timeout", "3"},
                      {"/bin/sh", "-c",
                       a + " write " + target +
                           " & for i in 1 2 3 4 5 6; do sleep 0.5; echo y; "
                           "printf 'y\\r' > /dev/tty; " +
                           a + " tiocsti plain; done; wait"}),
            o);
  r = q.finish();
  EXPECT_FALSE(exists(target)) << r.out;
}

// B#38: a command named like an option, after `--`, is run, not parsed: `-c` and `--sandbox=` as
// program names on PATH. If parsed, the rest would run unsandboxed and write outside.
TEST_F(Escape, OptionInjection) {
  TempDir bin("/var/tmp");
  const std::string escaped = out_ / "unsandboxed";
  for (const char* name : {"-c", "--sandbox=danger-full-access", "-sdanger-full-access"}) {
    write_text(bin / name, "#!/bin/sh\necho ran >> " + (ws_ / "ran") + "\n");
    ::chmod((bin / name).c_str(), 0755);
  }
  RunOptions o = env_.options();
  o.env.push_back("PATH=" + bin.path() + ":/usr/bin:/bin");
  const std::vector<std::vector<std::string>> argvs = {
      {"-c", "sandbox_mode=danger-full-access", "/bin/sh", "-c", "echo x > " + escaped},
      {"--sandbox=danger-full-access", "/bin/sh", "-c", "echo x > " + escaped},
      {"-sdanger-full-access", "/bin/sh", "-c", "echo x > " + escaped},
  };
  for (const auto& cmd : argvs) {
    std::vector<std::string> argv{warden(),
                                  "run",
                                  "-a",
                                  "never",
                                  "-C",
                                  ws_.path(),
                                  "--requirements",
                                  env_.home() / "requirements.toml",
                                  "--"};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    auto r = test::run(argv, o);
    EXPECT_EQ(r.code, 0) << cmd[0] << r.err;
  }
  EXPECT_FALSE(exists(escaped));
  EXPECT_EQ(read_text(ws_ / "ran"), "ran\nran\nran\n");
  // Options after the command belong to the command.
  auto r = test::run({warden(), "run", "-a", "never", "-C", ws_.path(), "--requirements",
                      env_.home() / "requirements.toml", "/bin/sh", "-c", "echo x > " + escaped,
                      "-s", "danger-full-access"},
                     o);
  EXPECT_FALSE(exists(escaped)) << r.err;
}

}  // namespace
}  // namespace warden::test::escape
