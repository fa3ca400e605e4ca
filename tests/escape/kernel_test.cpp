// Kernel interfaces a sandboxed program could use to get around the sandbox: syscalls seccomp
// cannot see or that reach unnamespaced kernel state, foreign ABIs, namespaces, privileges.
// Judged by files, keys and namespaces as the host sees them; where the kernel leaves nothing
// for the host to see (bpf, perf, userfaultfd), by the refusal, next to a control run on the host
// showing that the same call is otherwise answered.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "escape.hpp"

namespace warden::test::escape {
namespace {

std::string line_of(const std::string& out, const std::string& key) {
  auto at = out.find(key + "=");
  if (at == std::string::npos) return {};
  auto nl = out.find('\n', at);
  return out.substr(at + key.size() + 1, nl - at - key.size() - 1);
}

// A secret under a deny_read mask, for attacks that would unmask it.
struct Masked {
  TempDir dir{"/var/tmp"};
  std::string secret = "SECRET-k3rn3l";
  Masked() {
    write_text(dir / "key", secret);
    ::chmod((dir / "key").c_str(), 0644);
  }
  std::vector<std::string> option() const {
    return {"-c", "warden.deny_read=[\"" + dir.path() + "\"]"};
  }
};

// B#5: an io_uring OPENAT would create a file outside without a syscall seccomp sees.
TEST_F(Escape, IoUring) {
  auto r = run_attack({"io_uring", out_ / "via-io-uring"});
  EXPECT_EQ(r.out, "io_uring=errno=ENOSYS\n") << r.err;
  EXPECT_FALSE(exists(out_ / "via-io-uring"));
}

// B#6: i386 int 0x80 and x32 calls, each a creat() outside: the process is killed first.
TEST_F(Escape, ForeignAbi) {
  auto r = run_attack({"int80-creat", out_ / "via-int80"});
  EXPECT_EQ(r.code, 128 + SIGSYS) << r.out << r.err;
  r = run_attack({"x32-creat", out_ / "via-x32"});
  EXPECT_EQ(r.code, 128 + SIGSYS) << r.out << r.err;
  EXPECT_FALSE(exists(out_ / "via-int80"));
  EXPECT_FALSE(exists(out_ / "via-x32"));
}

// B#7: clone3 hides CLONE_NEWUSER from BPF; the child would unmount a mask in its namespace.
TEST_F(Escape, Clone3) {
  Masked m;
  auto r = run_attack({"nest", "clone3", m.dir.path(), m.dir / "key", ws_ / "leak"}, m.option());
  EXPECT_NE(r.out.find("clone3=errno=ENOSYS"), std::string::npos) << r.out << r.err;
  EXPECT_FALSE(contains(read_text(ws_ / "leak"), m.secret));
}

// B#15: a nested user namespace (unshare, clone) gives full capabilities over a new mount
// namespace, where the mask could be unmounted or covered.
TEST_F(Escape, NestedUserNamespace) {
  Masked m;
  for (const char* how : {"unshare", "clone"}) {
    auto r = run_attack({"nest", how, m.dir.path(), m.dir / "key", ws_ / "leak"}, m.option());
    EXPECT_NE(r.out.find(std::string(how) + "=errno=EPERM"), std::string::npos) << r.out << r.err;
  }
  EXPECT_FALSE(contains(read_text(ws_ / "leak"), m.secret));
  // And by a program that does it for real.
  run({"/bin/sh", "-c",
       "unshare -Urm sh -c 'umount -l " + m.dir.path() + "; cat " + (m.dir / "key") + "' > leak2"},
      m.option());
  EXPECT_FALSE(contains(read_text(ws_ / "leak2"), m.secret));
}

// B#17: umount of a deny_read mask (and of a protected bind) in the sandbox itself.
TEST_F(Escape, UmountOfAMask) {
  Masked m;
  git_init(ws_.path());
  const auto config = read_text(ws_ / ".git/config");
  auto r = run_attack({"nest", "plain", m.dir.path(), m.dir / "key", ws_ / "leak"}, m.option());
  EXPECT_NE(r.out.find("umount=errno=EPERM"), std::string::npos) << r.out << r.err;
  run({"/bin/sh", "-c",
       "umount -l .git/config; umount -l .git/hooks; echo '[core] fsmonitor = pwned' > "
       ".git/config; echo pwned > .git/hooks/pre-commit"},
      {"-a", "never"});
  EXPECT_FALSE(contains(read_text(ws_ / "leak"), m.secret));
  EXPECT_EQ(read_text(ws_ / ".git/config"), config);
  EXPECT_FALSE(exists(ws_ / ".git/hooks/pre-commit"));
}

// B#16: setns into init's namespaces, the sandbox's own, and a host pid's (not visible in the
// sandbox's /proc, but tried by number). The host reads the command's namespaces meanwhile.
TEST_F(Escape, Setns) {
  std::vector<std::string> cmd{attack(), "setns"};
  for (const char* ns : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"}) {
    cmd.push_back(std::string("/proc/1/ns/") + ns);
    cmd.push_back(std::string("/proc/self/ns/") + ns);
    cmd.push_back("/proc/" + std::to_string(::getpid()) + "/ns/" + ns);
  }
  Process p(env_.argv(ws_.path(), {}, cmd), env_.options());
  ASSERT_TRUE(p.wait_for_output("attempted")) << p.output_so_far();
  auto pids = sandbox_pids(p.pid());
  ASSERT_GT(pids.command, 0);
  for (const char* ns : {"user", "mnt", "pid", "net", "ipc", "uts"}) {
    EXPECT_EQ(ns_link(pids.command, ns), ns_link(pids.init, ns)) << ns;
    EXPECT_NE(ns_link(pids.command, ns), ns_link(::getpid(), ns)) << ns << ": the host's";
  }
  auto r = p.finish();
  EXPECT_EQ(r.out.find("setns-/proc/1/ns/user=ok"), std::string::npos) << r.out;
}

// B#18: keyrings are not namespaced: a key the host user holds, read by its serial number or
// found by search, must not reach the sandbox.
TEST_F(Escape, Keyctl) {
  const std::string desc = "warden-escape-" + std::to_string(::getpid());
  const std::string payload = "SECRET-k3y";
  long serial = ::syscall(__NR_add_key, "user", desc.c_str(), payload.data(), payload.size(),
                          KEY_SPEC_USER_KEYRING);
  if (serial < 0) GTEST_SKIP() << "add_key on the host: " << std::strerror(errno);
  // Readable by the owner's uid, not only by possessors: what the sandbox's same uid would need.
  ::syscall(__NR_keyctl, KEYCTL_SETPERM, serial, 0x3f030000);  // possessor: all; user: view, read
  char buf[64] = {};
  ASSERT_GT(::syscall(__NR_keyctl, KEYCTL_READ, serial, buf, sizeof buf), 0) << "control";
  auto r = run_attack({"keys", std::to_string(serial), desc, ws_ / "leak"});
  ::syscall(__NR_keyctl, KEYCTL_INVALIDATE, serial);
  EXPECT_EQ(line_of(r.out, "read"), "errno=EPERM") << r.out << r.err;
  EXPECT_EQ(line_of(r.out, "add_key"), "errno=EPERM") << r.out;
  EXPECT_FALSE(contains(read_text(ws_ / "leak"), payload));
}

// B#19, B#20, B#21: no file or process on the host shows their use; the refusal is the verdict,
// and a control run of the same attack on the host shows the calls are otherwise answered.
void kernel_surface(Escape& t, const std::string& key) {
  auto r = t.run_attack({"kernel"});
  EXPECT_EQ(line_of(r.out, key), "errno=EPERM") << r.out << r.err;
  if (::geteuid() == 0) {
    auto host = test::run({attack(), "kernel"});
    EXPECT_NE(line_of(host.out, key), "errno=EPERM") << "control: " << host.out;
  }
}

TEST_F(Escape, Bpf) {
  kernel_surface(*this, "bpf");
}

TEST_F(Escape, Userfaultfd) {
  kernel_surface(*this, "userfaultfd");
  auto r = run_attack({"kernel"});
  EXPECT_NE(line_of(r.out, "dev-userfaultfd"), "ok") << r.out;
}

TEST_F(Escape, PerfEventOpen) {
  kernel_surface(*this, "perf_event_open");
}

// B#11 ("Shocker"): a file handle the host computed for a hidden secret and for a file outside,
// opened by handle to read the one and write the other.
TEST_F(Escape, OpenByHandleAt) {
  Masked m;
  const std::string c = canary("existing");
  auto handle = [](const std::string& path, int& type) {
    std::vector<char> storage(sizeof(file_handle) + MAX_HANDLE_SZ);
    auto* fh = reinterpret_cast<file_handle*>(storage.data());
    fh->handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    if (::name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0) != 0) return std::string();
    type = fh->handle_type;
    std::string hex;
    char b[3];
    for (unsigned i = 0; i < fh->handle_bytes; ++i) {
      std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(fh->f_handle[i]));
      hex += b;
    }
    return hex;
  };
  int secret_type = 0, canary_type = 0;
  std::string secret = handle(m.dir / "key", secret_type), out = handle(c, canary_type);
  if (secret.empty() || out.empty()) GTEST_SKIP() << "no file handles on this filesystem";
  auto r =
      run_attack({"handle", secret, std::to_string(secret_type), "read", ws_ / "leak"}, m.option());
  EXPECT_EQ(r.out, "open_by_handle_at=errno=EPERM\n") << r.err;
  run_attack({"handle", out, std::to_string(canary_type), "write", ""});
  EXPECT_FALSE(contains(read_text(ws_ / "leak"), m.secret));
  EXPECT_EQ(read_text(c), "canary\n");
  if (::geteuid() == 0) {
    // Control: the host (with CAP_DAC_READ_SEARCH) opens the same handle.
    test::run({attack(), "handle", secret, std::to_string(secret_type), "read", ws_ / "control"});
    EXPECT_TRUE(contains(read_text(ws_ / "control"), m.secret));
  }
}

// B#27: memfd_create + execveat runs code no path names. What warden guarantees (decided here,
// for the README): without exec rules the floor allows executing a memfd like any file the
// sandbox can read, and what runs is as sandboxed as anything else; when execs are held (exec
// rules, skill roots, `untrusted`) an exec of a descriptor with no path in the sandbox is
// refused, since no rule could judge it.
TEST_F(Escape, MemfdExec) {
  const std::string ran = ws_ / "memfd-ran", escaped = out_ / "memfd-escaped";
  const std::string script = "echo ran >> " + ran + "; echo x > " + escaped;
  for (const char* how : {"execveat", "proc-fd"}) {
    auto r = run_attack({"memfd-exec", how, script}, {"-a", "never"});
    EXPECT_NE(r.out.find("status=2"), std::string::npos) << how << r.out << r.err;
  }
  EXPECT_EQ(read_text(ran), "ran\nran\n") << "without exec rules a memfd runs (sandboxed)";
  EXPECT_FALSE(exists(escaped));
  ::unlink(ran.c_str());
  write_text(env_.home() / "t.rules", "prefix_rule(pattern=[\"date\"], decision=\"forbidden\")\n");
  for (const char* how : {"execveat", "proc-fd"}) {
    auto r = run_attack(
        {"memfd-exec", how, script},
        {"-a", "never", "-c", "warden.exec_rules=[\"" + (env_.home() / "t.rules") + "\"]"});
    EXPECT_NE(r.out.find("exec=errno="), std::string::npos) << how << r.out << r.err;
  }
  EXPECT_FALSE(exists(ran)) << "with exec rules a memfd exec is refused";
  EXPECT_FALSE(exists(escaped));
}

// B#39: a setuid-root copy and a file-capability copy of the attack, made by the host in a
// directory the sandbox sees; each tries to read a file its user may not read. Run as root and
// as the unprivileged test user.
TEST_F(Escape, SetuidAndFileCapabilities) {
  if (::geteuid() != 0) GTEST_SKIP() << "making setuid-root and file-capability copies needs root";
  const std::string suid = out_ / "suid", caps = out_ / "caps";
  ASSERT_EQ(::system(("cp " + attack() + " " + suid + " && chown 0:0 " + suid + " && chmod 4755 " +
                      suid + " && cp " + attack() + " " + caps +
                      " && setcap cap_dac_override,cap_dac_read_search,cap_setuid+ep " + caps)
                         .c_str()),
            0);
  const std::string secret = "SECRET-5u1d";
  for (const auto& user : users()) {
    TempDir ws;
    ws.give_to(user);
    // Root's own 0600 file (only euid 0 may read it) and the runner's own mode-0000 file (only
    // CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH may read it).
    write_text(ws / "root-only", secret);
    ::chmod((ws / "root-only").c_str(), 0600);
    write_text(ws / "no-perms", secret);
    ::chmod((ws / "no-perms").c_str(), 0);
    if (user) {
      ASSERT_EQ(::chown((ws / "no-perms").c_str(), user->first, user->second), 0);
    }
    std::string script;
    for (const auto& bin : {suid, caps})
      for (const char* f : {"root-only", "no-perms"}) {
        if (!user && std::string(f) == "root-only") continue;  // root reads its own file
        script += bin + " privileged-read " + f + " leak; ";
      }
    auto r = run_in(ws.path(), {"/bin/sh", "-c", script + "true"}, {}, user);
    EXPECT_FALSE(contains(read_text(ws / "leak"), secret)) << who(user) << r.out << r.err;
    if (user) {
      EXPECT_EQ(r.out.find("euid=0 "), std::string::npos) << r.out;
    }
    for (auto at = r.out.find("CapEff:"); at != std::string::npos;
         at = r.out.find("CapEff:", at + 1))
      EXPECT_EQ(r.out.compare(at, 24, "CapEff:\t0000000000000000"), 0) << r.out;
    if (user) {
      // Control: on the host the setuid copy does read root's file.
      RunOptions o;
      o.user = user;
      test::run({suid, "privileged-read", ws / "root-only", ws / "control"}, o);
      EXPECT_TRUE(contains(read_text(ws / "control"), secret)) << "control (nosuid /var/tmp?)";
    }
  }
}

// B#40: a listener of the attack's own would CONTINUE its calls past warden's; the kernel allows
// one listener per filter chain. And warden run inside warden must not run its command.
TEST_F(Escape, StackedListener) {
  auto r = run_attack({"stack-listener", out_ / "via-own-listener"});
  EXPECT_NE(r.out.find("new_listener=errno=EBUSY"), std::string::npos) << r.out << r.err;
  EXPECT_FALSE(exists(out_ / "via-own-listener"));
  const std::string inner =
      "echo ran > " + (ws_ / "inner-ran") + "; echo x > " + (out_ / "via-inner-warden");
  for (const char* mode : {"workspace-write", "danger-full-access"}) {
    // Leak checking needs ptrace, which the outer sandbox refuses: in a sanitizer build the
    // inner warden would otherwise turn its 126 into LeakSanitizer's failure.
    r = run({"/usr/bin/env", "ASAN_OPTIONS=detect_leaks=0", staged_warden(), "run",
             "--requirements", "/dev/null", "-s", mode, "-C", ws_.path(), "--", "/bin/sh", "-c",
             inner});
    EXPECT_EQ(r.code, 126) << mode << r.out << r.err;
  }
  EXPECT_FALSE(exists(ws_ / "inner-ran"));
  EXPECT_FALSE(exists(out_ / "via-inner-warden"));
}

// B#43 (resource exhaustion): a bounded fork bomb, 20000 forks attempted inside the sandbox. The
// host must keep working, warden must end the run, and nothing of the tree may survive it. When
// warden's configuration has a process limit (`max_processes`), the tree must also stay within it.
TEST_F(Escape, ForkBomb) {
  HostSleep host(std::nullopt);
  long limit = 0;
  auto config = test::run({warden(), "config", "--requirements", env_.home() / "requirements.toml"},
                          env_.options());
  if (auto at = config.out.find("\nmax_processes = "); at != std::string::npos)
    limit = std::atol(config.out.c_str() + at + 17);
  Process p(env_.argv(ws_.path(), {}, attack_cmd({"forkbomb", "20000", "4"})), env_.options());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto tree = descendants(p.pid());
  EXPECT_EQ(test::run({"/bin/true"}).code, 0) << "the host cannot start a process";
  auto r = p.finish();
  std::cout << "[ forkbomb ] " << r.out << "[ forkbomb ] " << tree.size()
            << " processes in the sandbox at 2 s\n";
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(host.alive_and_running());
  if (limit > 0) {
    EXPECT_LE(static_cast<long>(tree.size()), limit + 1) << "max_processes = " << limit;
  } else {
    std::cout << "[ forkbomb ] no process limit in warden's configuration\n";
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  // A pid may be reused meanwhile: only a live process of the attack counts.
  auto survivor = [](pid_t pid) {
    return alive(pid) &&
           contains(read_text("/proc/" + std::to_string(pid) + "/cmdline"), "warden-escape-attack");
  };
  size_t left = tree.size();
  while (left > 0 && std::chrono::steady_clock::now() < deadline) {
    left = 0;
    for (pid_t pid : tree) left += survivor(pid);
    if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(left, 0u) << "processes of the bomb outlived warden";
}

}  // namespace
}  // namespace warden::test::escape
