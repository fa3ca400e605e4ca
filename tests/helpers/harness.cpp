#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace warden::test {

const char* warden() {
  return WARDEN_BIN;
}
// The sandbox's /tmp is private, so a build tree under the host's /tmp is invisible inside it:
// the probe runs from a copy under /var/tmp, made once per test process.
namespace {
// /tmp is private inside the sandbox (and a CI checkout may live there): helper programs are
// copied to /var/tmp, which the sandbox sees read-only.
std::string visible_copy(const char* built, const char* name) {
  char dir[] = "/var/tmp/warden-helper-XXXXXX";
  if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp /var/tmp");
  ::chmod(dir, 0755);
  std::string copy = std::string(dir) + "/" + name;
  {
    std::ifstream in(built, std::ios::binary);
    std::ofstream out(copy, std::ios::binary);
    out << in.rdbuf();
  }
  ::chmod(copy.c_str(), 0755);
  static std::vector<std::string> cleanup;
  if (cleanup.empty())
    std::atexit([] {
      for (const auto& d : cleanup) (void)std::system(("rm -rf " + d).c_str());
    });
  cleanup.push_back(dir);
  return copy;
}
}  // namespace

const char* probe() {
  static const std::string path = visible_copy(WARDEN_PROBE, "warden-probe");
  return path.c_str();
}

const char* warden_visible() {
  static const std::string path = visible_copy(WARDEN_BIN, "warden");
  return path.c_str();
}

#ifdef WARDEN_STORM
const char* storm() {
  static const std::string path = visible_copy(WARDEN_STORM, "warden-storm");
  return path.c_str();
}
#endif

Process::Process(const std::vector<std::string>& argv, const RunOptions& options)
    : timeout_s_(options.timeout_s) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe");
  int master = -1;
  std::string slave_name;
  if (options.use_pty) {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[128];
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0 ||
        ::ptsname_r(master, name, sizeof name) != 0)
      throw std::runtime_error("pty");
    slave_name = name;
    winsize ws{};
    ws.ws_row = 40;
    ws.ws_col = 120;
    ::ioctl(master, TIOCSWINSZ, &ws);
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s = *e;
    bool overridden = false;
    for (const auto& o : options.env)
      if (s.substr(0, s.find('=') + 1) == o.substr(0, o.find('=') + 1)) overridden = true;
    if (!overridden) env.push_back(s);
  }
  env.insert(env.end(), options.env.begin(), options.env.end());
  if (options.user) {
    const passwd* pw = ::getpwuid(options.user->first);
    for (auto& e : env)
      if (e.rfind("HOME=", 0) == 0) e = std::string("HOME=") + (pw ? pw->pw_dir : "/");
  }
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  scmp_filter_ctx filter = nullptr;
  if (!options.refuse.empty()) {
    filter = seccomp_init(SCMP_ACT_ALLOW);
    for (auto [nr, err_no] : options.refuse)
      seccomp_rule_add(filter, SCMP_ACT_ERRNO(err_no), nr, 0);
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    if (master >= 0) {
      // A session of its own whose controlling terminal is the pty, as in a terminal emulator.
      ::setsid();
      int slave = ::open(slave_name.c_str(), O_RDWR);
      if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0) ::_exit(205);
      for (int fd = 0; fd <= 2; ++fd) ::dup2(slave, fd);
      if (slave > 2) ::close(slave);
    }
    if (master < 0) ::setpgid(0, 0);  // its own group: the test can signal the whole tree
    int devnull =
        ::open(options.stdin_path.empty() ? "/dev/null" : options.stdin_path.c_str(), O_RDONLY);
    if (master < 0) {
      ::dup2(devnull, 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(200);
    if (options.user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(options.user->second) != 0 ||
          ::setuid(options.user->first) != 0)
        ::_exit(201);
    }
    if (filter != nullptr && seccomp_load(filter) != 0) ::_exit(202);
    if (options.foreign_listener) {
      scmp_filter_ctx other = seccomp_init(SCMP_ACT_ALLOW);
      seccomp_rule_add(other, SCMP_ACT_NOTIFY, SCMP_SYS(uselib), 0);
      if (seccomp_load(other) != 0) ::_exit(204);
      // Kept open across exec: the kernel forgets a listener whose fd is closed.
      ::fcntl(seccomp_notify_fd(other), F_SETFD, 0);
    }
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(203);
  }
  if (filter != nullptr) seccomp_release(filter);
  ::close(out[1]);
  ::close(err[1]);
  out_ = out[0];
  err_ = err[0];
  if (master >= 0) {
    ::close(out_);
    ::close(err_);
    out_ = master;
    err_ = -1;
  }
}

void Process::send(const std::string& bytes) {
  if (out_ >= 0) (void)!::write(out_, bytes.data(), bytes.size());
}

Process::~Process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) ::close(out_);
  if (err_ >= 0) ::close(err_);
}

namespace {
// Reads what is available from the open pipes; closes a pipe at EOF.
void pump(int& out, std::string& out_buf, int& err, std::string& err_buf, int timeout_ms) {
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  if (::poll(fds, 2, timeout_ms) <= 0) return;
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      (i == 0 ? out_buf : err_buf).append(buf, static_cast<size_t>(n));
    } else {
      ::close(fds[i].fd);
      (i == 0 ? out : err) = -1;
    }
  }
}
}  // namespace

bool Process::wait_for_output(const std::string& needle, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out_buf_.find(needle) == std::string::npos) {
    if (out_ < 0 || std::chrono::steady_clock::now() > end) return false;
    pump(out_, out_buf_, err_, err_buf_, 50);
  }
  return true;
}

Result Process::finish() {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s_);
  while (out_ >= 0 || err_ >= 0) {
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid_, SIGKILL);
      err_buf_ += "\n[harness: killed after timeout]";
      break;
    }
    pump(out_, out_buf_, err_, err_buf_, 100);
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  Result r;
  r.signaled = WIFSIGNALED(status);
  r.code = r.signaled ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  r.out = std::move(out_buf_);
  r.err = std::move(err_buf_);
  return r;
}

Result run(const std::vector<std::string>& argv, const RunOptions& options) {
  Process p(argv, options);
  return p.finish();
}

TempDir::TempDir(const char* base) {
  std::string tmpl = std::string(base) + "/warden-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
  path_ = tmpl;
  ::chmod(path_.c_str(), 0755);
}

void TempDir::give_to(std::optional<std::pair<uid_t, gid_t>> user) const {
  if (user && ::chown(path_.c_str(), user->first, user->second) != 0)
    throw std::runtime_error("chown " + path_);
}

TempDir::~TempDir() {
  ::nftw(
      path_.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::optional<std::pair<uid_t, gid_t>> test_user() {
  const char* name = std::getenv("WARDEN_TEST_USER");
  if (name == nullptr || ::geteuid() != 0) return std::nullopt;
  const passwd* pw = ::getpwnam(name);
  if (pw == nullptr) return std::nullopt;
  return std::make_pair(pw->pw_uid, pw->pw_gid);
}

std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/children");
    pid_t c;
    while (f >> c) {
      out.push_back(c);
      auto more = descendants(c);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  ::closedir(d);
  return out;
}

bool alive(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  size_t rp = line.rfind(')');
  return rp != std::string::npos && rp + 2 < line.size() && line[rp + 2] != 'Z';
}

}  // namespace warden::test
