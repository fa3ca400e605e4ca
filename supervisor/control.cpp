#include "control.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "warden/policy/json.hpp"

namespace warden::supervisor {

namespace {

namespace json = policy::json;

constexpr std::size_t kMaxLine = 512;
constexpr int kClientTimeoutMs = 250;  // a silent or slow peer is dropped, never waited on

std::string readlink_str(const std::string& p) {
  char buf[256];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Reads one line within the time limit; false on timeout, EOF first or an overlong line.
bool read_line(int fd, std::string& line) {
  line.clear();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kClientTimeoutMs);
  char buf[256];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, static_cast<int>(left)) <= 0) return false;
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0) return false;
    line.append(buf, static_cast<std::size_t>(r));
    auto nl = line.find('\n');
    if (nl != std::string::npos) {
      line.resize(nl);
      return true;
    }
    if (line.size() > kMaxLine) return false;
  }
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t w = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (w <= 0) return;
    off += static_cast<std::size_t>(w);
  }
}

// A private directory of ours, made if missing; throws when it is anything else.
void ensure_private_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("control socket: cannot create " + dir + ": " + std::strerror(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() ||
      (st.st_mode & 077) != 0)
    throw std::runtime_error("control socket: " + dir +
                             " is not a private directory of this user (mode 0700)");
}

int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) {
    ::close(fd);
    return -1;
  }
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Every running warden's socket: {run pid, path}.
std::vector<std::pair<std::string, std::string>> sockets() {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string dir = control_dir();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 6 || name.compare(name.size() - 5, 5, ".sock") != 0) continue;
    out.emplace_back(name.substr(0, name.size() - 5), dir + "/" + name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string ask_socket(const std::string& path, const std::string& line) {
  int fd = connect_to(path);
  if (fd < 0) return {};
  send_all(fd, line + "\n");
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 5000) <= 0) break;
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  return out;
}

}  // namespace

std::string control_dir() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && xdg[0] == '/') {
    struct stat st {};
    if (::stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid())
      return std::string(xdg) + "/warden";
  }
  return "/tmp/warden-" + std::to_string(::getuid());
}

ControlServer::ControlServer(PendingQueue& queue) : queue_(queue) {
  const std::string dir = control_dir();
  ensure_private_dir(dir);
  path_ = dir + "/" + std::to_string(::getpid()) + ".sock";
  ::unlink(path_.c_str());  // a pid's earlier run that died without cleaning up
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (listen_fd_ < 0 || path_.size() >= sizeof sa.sun_path)
    throw std::runtime_error("control socket: cannot create " + path_);
  std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
  mode_t old = ::umask(077);
  int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::umask(old);
  if (rc != 0 || ::chmod(path_.c_str(), 0600) != 0 || ::listen(listen_fd_, 16) != 0) {
    int e = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("control socket: " + path_ + ": " + std::strerror(e));
  }
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
}

ControlServer::~ControlServer() {
  std::uint64_t one = 1;
  if (stop_fd_ >= 0) (void)::write(stop_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void ControlServer::start() {
  thread_ = std::thread([this] { serve(); });
}

void ControlServer::serve() {
  const std::string my_pidns = readlink_str("/proc/self/ns/pid");
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    ucred cred{};
    socklen_t cl = sizeof cred;
    bool ok =
        ::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 && cred.uid == ::getuid();
    // A sandboxed process has its own pid namespace (and user namespace): it may never
    // answer, whatever route it found to the socket.
    if (ok && (cred.pid <= 0 || my_pidns.empty() ||
               readlink_str("/proc/" + std::to_string(cred.pid) + "/ns/pid") != my_pidns ||
               readlink_str("/proc/" + std::to_string(cred.pid) + "/ns/user") !=
                   readlink_str("/proc/self/ns/user")))
      ok = false;
    if (!ok) {
      send_all(conn, "error: refused: only this user, outside the sandbox, may answer\n");
    } else {
      handle(conn);
    }
    ::close(conn);
  }
}

void ControlServer::handle(int conn) {
  std::string line;
  if (!read_line(conn, line)) return;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < line.size();) {
    auto sp = line.find(' ', i);
    if (sp == std::string::npos) sp = line.size();
    if (sp > i) words.push_back(line.substr(i, sp - i));
    i = sp + 1;
  }
  if (words.size() == 1 && words[0] == "pending") {
    std::string out;
    for (const auto& e : queue_.list()) {
      json::Writer w;
      w.begin_object().key("id").string(e.id).key("summary").string(e.summary);
      w.key("request").raw(policy::to_json(e.request)).end_object();
      out += w.take() + "\n";
    }
    send_all(conn, out);
    return;
  }
  const bool approve = !words.empty() && words[0] == "approve";
  const bool deny = !words.empty() && words[0] == "deny";
  const bool always = words.size() == 3 && words[2] == "always";
  if ((approve && (words.size() == 2 || always)) || (deny && words.size() == 2)) {
    Answer a = deny ? Answer::Deny : always ? Answer::Always : Answer::Once;
    send_all(conn,
             queue_.answer(words[1], a) ? "ok\n" : "error: no pending request " + words[1] + "\n");
    return;
  }
  send_all(conn, "error: expected 'pending', 'approve ID [always]' or 'deny ID'\n");
}

int pending_command(bool as_json) {
  auto socks = sockets();
  int shown = 0;
  for (const auto& [run, path] : socks) {
    std::string out = ask_socket(path, "pending");
    std::size_t i = 0;
    while (i < out.size()) {
      auto nl = out.find('\n', i);
      if (nl == std::string::npos) break;
      std::string line = out.substr(i, nl - i);
      i = nl + 1;
      if (as_json) {
        std::printf("{\"run\":%s,%s\n", run.c_str(), line.substr(1).c_str());
        ++shown;
        continue;
      }
      try {
        auto v = json::parse(line);
        const auto* id = v.find("id");
        const auto* summary = v.find("summary");
        if (id == nullptr || summary == nullptr) continue;
        std::printf("%s:%s\t%s\n", run.c_str(), id->as_string().c_str(),
                    neutralize(summary->as_string(), 300).c_str());
        ++shown;
      } catch (const std::exception&) {
      }
    }
  }
  if (shown == 0 && !as_json) std::fprintf(stderr, "warden: no pending requests\n");
  return 0;
}

int answer_command(const std::string& id, bool approve, bool always) {
  std::string run, rid = id;
  if (auto colon = id.find(':'); colon != std::string::npos) {
    run = id.substr(0, colon);
    rid = id.substr(colon + 1);
  }
  if (rid.empty() || rid.find_first_of(" \t\n") != std::string::npos) {
    std::fprintf(stderr, "warden: '%s' is not a request id (see warden pending)\n", id.c_str());
    return 125;
  }
  auto socks = sockets();
  if (socks.empty()) {
    std::fprintf(stderr, "warden: no running warden has a control socket in %s\n",
                 control_dir().c_str());
    return 2;
  }
  if (run.empty()) {
    // A bare ID must name one request: two runs may both have a request 3.
    int holders = 0;
    for (const auto& [r, path] : socks) {
      if (ask_socket(path, "pending").find("{\"id\":" + json::quote(rid) + ",") !=
          std::string::npos) {
        ++holders;
        run = r;
      }
    }
    if (holders > 1) {
      std::fprintf(
          stderr,
          "warden: several runs have a request %s: name one as RUN:ID (see warden pending)\n",
          rid.c_str());
      return 1;
    }
  }
  std::string line = std::string(approve ? "approve " : "deny ") + rid + (always ? " always" : "");
  std::string last_error;
  for (const auto& [r, path] : socks) {
    if (!run.empty() && r != run) continue;
    std::string reply = ask_socket(path, line);
    if (reply == "ok\n") return 0;
    if (reply.rfind("error: refused", 0) == 0) last_error = reply;
  }
  if (!last_error.empty()) {
    std::fprintf(stderr, "warden: %s", last_error.c_str());
    return 1;
  }
  std::fprintf(stderr, "warden: no pending request %s (see warden pending)\n", id.c_str());
  return 1;
}

}  // namespace warden::supervisor
