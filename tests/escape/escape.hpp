// Shared by the escape suite: the attack programs staged where the sandbox can see them, host
// listeners and host processes that must see nothing, and the host's view of a running sandbox.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"

namespace warden::test::escape {

// The sandbox's /tmp is private and the build tree may live under the host's: each program the
// sandbox runs is copied once per test process into a directory under /var/tmp.
inline std::string stage(const char* built, const char* name) {
  static const std::string dir = [] {
    char tmpl[] = "/var/tmp/warden-escape-bin-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    ::chmod(tmpl, 0755);
    static std::string cleanup = tmpl;
    std::atexit([] { (void)!std::system(("rm -rf " + cleanup).c_str()); });
    return std::string(tmpl);
  }();
  static std::map<std::string, std::string> staged;
  auto it = staged.find(name);
  if (it != staged.end()) return it->second;
  std::string copy = dir + "/" + name;
  {
    std::ifstream in(built, std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    out << in.rdbuf();
  }
  ::chmod(copy.c_str(), 0755);
  return staged[name] = copy;
}

inline std::string attack() {
  return stage(WARDEN_ESCAPE_ATTACK, "warden-escape-attack");
}
inline std::string exec_target() {
  return stage(WARDEN_ESCAPE_EXEC, "warden-escape-exec");
}
// warden itself, for attacks that run it inside the sandbox.
inline std::string staged_warden() {
  return stage(WARDEN_BIN, "warden");
}

inline std::vector<std::string> attack_cmd(std::initializer_list<std::string> args) {
  std::vector<std::string> v{attack()};
  v.insert(v.end(), args);
  return v;
}

inline bool contains(const std::optional<std::string>& text, const std::string& needle) {
  return text && text->find(needle) != std::string::npos;
}

// The current user, then the unprivileged test user when there is one (run as root with
// WARDEN_TEST_USER): for classes where who runs warden matters.
inline std::vector<std::optional<std::pair<uid_t, gid_t>>> users() {
  std::vector<std::optional<std::pair<uid_t, gid_t>>> out{std::nullopt};
  if (auto u = test_user()) out.push_back(u);
  return out;
}
inline std::string who(const std::optional<std::pair<uid_t, gid_t>>& user) {
  return user ? "as uid " + std::to_string(user->first) : "as self";
}

// One warden run per call, with its own workspace, an outside directory (under /var/tmp, so
// visible in the sandbox and read-only there) and an isolated configuration.
class Escape : public ::testing::Test {
 public:
  Result run(const std::vector<std::string>& cmd, const std::vector<std::string>& options = {},
             std::optional<std::pair<uid_t, gid_t>> user = std::nullopt,
             const std::vector<std::string>& env = {}) {
    return run_in(ws_.path(), cmd, options, user, env);
  }
  Result run_in(const std::string& ws, const std::vector<std::string>& cmd,
                const std::vector<std::string>& options = {},
                std::optional<std::pair<uid_t, gid_t>> user = std::nullopt,
                const std::vector<std::string>& env = {}) {
    RunOptions o = env_.options(user);
    o.env.insert(o.env.end(), env.begin(), env.end());
    o.timeout_s = 60;
    // Nobody answers in these tests: unless a test chooses its road, every request is refused
    // at once (`never`) instead of after the reviewer's timeout.
    bool chooses = false;
    for (const auto& opt : options)
      chooses |= opt == "-a" || opt.find("approval") != std::string::npos ||
                 opt.find("reviewer") != std::string::npos;
    std::vector<std::string> all = options;
    if (!chooses) all.insert(all.begin(), {"-a", "never"});
    return test::run(env_.argv(ws, all, cmd), o);
  }
  Result run_attack(std::initializer_list<std::string> args,
                    const std::vector<std::string>& options = {},
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> cmd{attack()};
    cmd.insert(cmd.end(), args);
    return run(cmd, options, std::nullopt, env);
  }
  // A file outside the workspace that the attack must not change; writable by anyone, so that
  // only the sandbox can be what stops a write.
  std::string canary(const std::string& name, const std::string& content = "canary\n") {
    std::string p = out_ / name;
    write_text(p, content);
    ::chmod(p.c_str(), 0666);
    return p;
  }
  // A repository in `dir`: protected names to attack.
  void git_init(const std::string& dir) {
    ASSERT_EQ(::system(("git init -q '" + dir + "'").c_str()), 0);
  }

  Env env_;
  TempDir ws_;
  TempDir out_{"/var/tmp"};
};

// Accepts and counts connections on a host socket (a path, an abstract name or a TCP port on
// loopback); the count is what the host saw, whatever the attacker reports.
class HostListener {
 public:
  enum Kind { kPath, kAbstract, kTcp };
  explicit HostListener(Kind kind, const std::string& name = {}) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (kind == kTcp) {
      auto& a = reinterpret_cast<sockaddr_in&>(ss);
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof a;
    } else {
      auto& a = reinterpret_cast<sockaddr_un&>(ss);
      a.sun_family = AF_UNIX;
      size_t off = kind == kAbstract ? 1 : 0;
      std::memcpy(a.sun_path + off, name.data(), std::min(name.size(), sizeof a.sun_path - 2));
      len = kind == kAbstract
                ? static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())
                : static_cast<socklen_t>(sizeof a);
    }
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::listen(fd_, 128) != 0)
      throw std::runtime_error("host listener " + name + ": " + std::strerror(errno));
    if (kind == kTcp) {
      sockaddr_in got{};
      socklen_t gl = sizeof got;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&got), &gl);
      port_ = ntohs(got.sin_port);
    }
    if (kind == kPath) ::chmod(name.c_str(), 0777);  // any sandboxed user may try it
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          ++accepted_;
          ::close(c);
          continue;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  HostListener(const HostListener&) = delete;
  HostListener& operator=(const HostListener&) = delete;
  ~HostListener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  // Waits for the accepting thread to drain the backlog, then counts.
  int accepted() const {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return accepted_.load();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A host process that must survive the attack: `sleep 60` as the given user, with an
// environment entry the sandbox must not be able to read.
class HostSleep {
 public:
  explicit HostSleep(std::optional<std::pair<uid_t, gid_t>> user, const std::string& secret = "") {
    pid_ = ::fork();
    if (pid_ == 0) {
      if (user && (::setgid(user->second) != 0 || ::setuid(user->first) != 0)) ::_exit(1);
      std::string env = "ESCAPE_HOST_SECRET=" + secret;
      char* envp[] = {env.data(), nullptr};
      char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("60"), nullptr};
      ::execve("/bin/sleep", argv, envp);
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~HostSleep() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }
  bool alive_and_running() const {
    auto st = read_text("/proc/" + std::to_string(pid_) + "/stat");
    if (!st) return false;
    size_t rp = st->rfind(')');
    return rp != std::string::npos && rp + 2 < st->size() && (*st)[rp + 2] != 'Z' &&
           (*st)[rp + 2] != 'T' && (*st)[rp + 2] != 't';
  }

 private:
  pid_t pid_;
};

// A field of /proc/<pid>/status, read on the host.
inline std::string status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      std::string v = line.substr(field.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return {};
}

// The sandbox's init (pid 1 inside) and command (pid 2) as host pids, found under warden.
struct SandboxPids {
  pid_t init = -1, command = -1;
};
inline SandboxPids sandbox_pids(pid_t warden_pid) {
  SandboxPids out;
  for (pid_t p : descendants(warden_pid)) {
    std::string ns = status_field(p, "NSpid");
    if (ns.size() >= 2 && ns.compare(ns.size() - 2, 2, "\t1") == 0) out.init = p;
    if (ns.size() >= 2 && ns.compare(ns.size() - 2, 2, "\t2") == 0) out.command = p;
  }
  return out;
}

inline std::string ns_link(pid_t pid, const char* ns) {
  char buf[128] = {};
  std::string p = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace warden::test::escape
