#include "terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <system_error>

namespace warden::supervisor {

namespace {

constexpr std::size_t kMaxHeld = 1 << 20;      // command output held back during a prompt
constexpr std::size_t kMaxPending = 64 << 10;  // user input not yet taken by the pty
// Input that arrives this soon after a prompt appears is dropped: it was typed before the
// person could read the prompt, or it is the terminal answering an escape sequence.
constexpr auto kArmDelay = std::chrono::milliseconds(250);

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd pf{fd, POLLOUT, 0};
        ::poll(&pf, 1, 100);
        continue;
      }
      return;  // the user's terminal is gone: nothing left to show
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_all(int fd, const std::string& s) {
  write_all(fd, s.data(), s.size());
}

// Raw mode has no output processing: lines need their carriage return.
std::string crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

struct Terminal::State {
  std::mutex m;
  std::condition_variable cv;
  termios saved{};
  bool raw = false;
  bool stopping = false;
  bool suspended = false;
  // The open prompt, if any.
  enum class Phase { None, New, Open } phase = Phase::None;
  std::string text, keys;
  std::chrono::steady_clock::time_point deadline, armed_at;
  int cancel_fd = -1;
  bool answered = false;
  char answer = 0;
  std::mutex ask_mutex;  // one prompt at a time
};

std::unique_ptr<Terminal> Terminal::open_if_tty() {
  // Any of stdin, stdout or stderr on a terminal: otherwise the command could write to (and
  // through /dev/tty read from) the very terminal that shows prompts.
  const int which = ::isatty(0) ? 0 : ::isatty(1) ? 1 : ::isatty(2) ? 2 : -1;
  if (which < 0) return nullptr;
  std::unique_ptr<Terminal> t(new Terminal());
  t->st_ = std::make_unique<State>();
  // The terminal itself, for reading and writing (stdin may have been opened read-only).
  const std::string fd_path = "/proc/self/fd/" + std::to_string(which);
  t->tty_ = ::open(fd_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t->tty_ < 0) t->tty_ = ::fcntl(which, F_DUPFD_CLOEXEC, 3);
  if (t->tty_ < 0) fail("terminal");
  if (::tcgetattr(t->tty_, &t->st_->saved) != 0) fail("tcgetattr");
  t->master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t->master_ < 0 || ::grantpt(t->master_) != 0 || ::unlockpt(t->master_) != 0)
    fail("posix_openpt");
  char name[128];
  if (::ptsname_r(t->master_, name, sizeof name) != 0) fail("ptsname");
  t->slave_name_ = name;
  t->slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (t->slave_ < 0) fail("open pty");
  // The command starts with the user's settings and size.
  ::tcsetattr(t->slave_, TCSANOW, &t->st_->saved);
  t->resize();
  ::fcntl(t->master_, F_SETFL, ::fcntl(t->master_, F_GETFL) | O_NONBLOCK);
  t->wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (t->wake_ < 0) fail("eventfd");
  return t;
}

Terminal::~Terminal() {
  finish();
  for (int fd : {tty_, master_, slave_, wake_})
    if (fd >= 0) ::close(fd);
}

void Terminal::close_slave() {
  if (slave_ >= 0) ::close(slave_);
  slave_ = -1;
}

int Terminal::reopen_slave(int flags) const {
  return ::open(slave_name_.c_str(), (flags & ~O_CREAT) | O_NOCTTY | O_CLOEXEC);
}

void Terminal::resize() {
  winsize ws{};
  if (::ioctl(tty_, TIOCGWINSZ, &ws) == 0) ::ioctl(master_, TIOCSWINSZ, &ws);
}

void Terminal::start() {
  {
    std::lock_guard lk(st_->m);
    termios raw = st_->saved;
    ::cfmakeraw(&raw);
    if (::tcsetattr(tty_, TCSADRAIN, &raw) == 0) st_->raw = true;
  }
  thread_ = std::thread([this] { relay(); });
}

void Terminal::finish() {
  if (!st_) return;
  {
    std::lock_guard lk(st_->m);
    st_->stopping = true;
  }
  std::uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  std::lock_guard lk(st_->m);
  if (st_->raw) ::tcsetattr(tty_, TCSADRAIN, &st_->saved);
  st_->raw = false;
}

void Terminal::suspend() {
  std::lock_guard lk(st_->m);
  st_->suspended = true;
  if (st_->raw) ::tcsetattr(tty_, TCSADRAIN, &st_->saved);
  std::uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
}

void Terminal::resume() {
  std::lock_guard lk(st_->m);
  if (!st_->suspended) return;
  st_->suspended = false;
  if (st_->raw) {
    termios raw = st_->saved;
    ::cfmakeraw(&raw);
    ::tcsetattr(tty_, TCSADRAIN, &raw);
  }
  std::uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
}

char Terminal::ask(const std::string& text, const std::string& keys,
                   std::chrono::steady_clock::time_point deadline, int cancel_fd) {
  std::lock_guard serial(st_->ask_mutex);
  std::unique_lock lk(st_->m);
  if (st_->stopping || !thread_.joinable()) return 0;
  st_->phase = State::Phase::New;
  st_->text = text;
  st_->keys = keys;
  st_->deadline = deadline;
  st_->cancel_fd = cancel_fd;
  st_->answered = false;
  std::uint64_t one = 1;
  (void)::write(wake_, &one, sizeof one);
  st_->cv.wait(lk, [&] { return st_->answered; });
  return st_->answer;
}

void Terminal::relay() {
  std::string to_master;  // user input not yet written to the pty
  std::string held;       // command output held back while a prompt is open
  bool master_open = true;
  char buf[16384];
  auto close_prompt = [&](char answer, const char* shown) {
    write_all(tty_, std::string(shown) + "\r\n");
    if (!held.empty()) write_all(tty_, held);
    held.clear();
    std::lock_guard lk(st_->m);
    st_->phase = State::Phase::None;
    st_->answer = answer;
    st_->answered = true;
    st_->cv.notify_all();
  };
  for (;;) {
    bool stopping, suspended;
    State::Phase phase;
    std::chrono::steady_clock::time_point deadline, armed_at;
    int cancel_fd;
    {
      std::lock_guard lk(st_->m);
      stopping = st_->stopping;
      suspended = st_->suspended;
      phase = st_->phase;
      deadline = st_->deadline;
      armed_at = st_->armed_at;
      cancel_fd = st_->cancel_fd;
    }
    const bool prompting = phase != State::Phase::None;
    if (phase == State::Phase::New) {
      // Whatever was typed before the prompt appeared is not an answer.
      ::tcflush(tty_, TCIFLUSH);
      std::string text;
      {
        std::lock_guard lk(st_->m);
        text = st_->text;
        st_->armed_at = std::chrono::steady_clock::now() + kArmDelay;
        st_->phase = State::Phase::Open;
      }
      write_all(tty_, "\r\n" + crlf(text));
      continue;
    }
    if (stopping) {
      if (prompting) {
        close_prompt(0, "(the run ended: denied)");
        continue;
      }
      // Relay the command's last words, then leave.
      while (master_open) {
        ssize_t r = ::read(master_, buf, sizeof buf);
        if (r <= 0) break;
        write_all(tty_, buf, static_cast<std::size_t>(r));
      }
      if (!to_master.empty()) to_master.clear();
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (phase == State::Phase::Open && now >= deadline) {
      close_prompt(0, "(no answer in time: denied)");
      continue;
    }
    pollfd fds[4];
    int nf = 0;
    fds[nf++] = {wake_, POLLIN, 0};
    const int i_master = master_open ? nf++ : -1;
    if (i_master >= 0) {
      short ev = 0;
      if (!prompting || held.size() < kMaxHeld) ev |= POLLIN;
      if (!to_master.empty() && !prompting) ev |= POLLOUT;
      fds[i_master] = {master_, ev, 0};
    }
    const int i_tty = nf++;
    fds[i_tty] = {tty_, 0, 0};
    if (!suspended && (prompting || to_master.size() < kMaxPending)) fds[i_tty].events = POLLIN;
    const int i_cancel = prompting && cancel_fd >= 0 ? nf++ : -1;
    if (i_cancel >= 0) fds[i_cancel] = {cancel_fd, POLLIN, 0};
    int timeout = -1;
    if (prompting) {
      auto until = std::max(now, std::min(deadline, armed_at > now ? armed_at : deadline));
      timeout = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1);
    }
    int rc = ::poll(fds, static_cast<nfds_t>(nf), timeout);
    if (rc < 0 && errno != EINTR) return;
    if (rc <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      (void)::read(wake_, &v, sizeof v);
    }
    if (i_cancel >= 0 && fds[i_cancel].revents != 0) {
      close_prompt(0, "(answered elsewhere, or no longer pending)");
      continue;
    }
    if (i_master >= 0 && (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(master_, buf, sizeof buf);
      if (r > 0) {
        if (prompting)
          held.append(buf, static_cast<std::size_t>(r));
        else
          write_all(tty_, buf, static_cast<std::size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        master_open = false;  // EIO: no process has the pty open any more
      }
    }
    if (i_master >= 0 && master_open && (fds[i_master].revents & POLLOUT) && !to_master.empty()) {
      ssize_t w = ::write(master_, to_master.data(), to_master.size());
      if (w > 0) to_master.erase(0, static_cast<std::size_t>(w));
    }
    if (fds[i_tty].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(tty_, buf, sizeof buf);
      if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          // The user's terminal is gone: nobody can answer, and nothing more to relay.
          if (prompting) close_prompt(0, "");
          std::lock_guard lk(st_->m);
          st_->suspended = true;
        }
        continue;
      }
      const std::string in(buf, static_cast<std::size_t>(r));
      if (!prompting) {
        to_master += in;
        if (master_open) {
          ssize_t w = ::write(master_, to_master.data(), to_master.size());
          if (w > 0) to_master.erase(0, static_cast<std::size_t>(w));
        }
        continue;
      }
      if (std::chrono::steady_clock::now() < armed_at) continue;  // typed ahead: dropped
      // An escape sequence is a key the prompt does not take, or the terminal answering one.
      if (in.find('\x1b') != std::string::npos) continue;
      std::string keys;
      {
        std::lock_guard lk(st_->m);
        keys = st_->keys;
      }
      for (char c : in) {
        char k = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c == 0x03 || c == 0x04) k = 'n';  // ^C, ^D: no
        if (keys.find(k) == std::string::npos) continue;
        const char* word = k == 'y'   ? "y: approved once"
                           : k == 'a' ? "a: approved for this run"
                           : k == 'k' ? "k: denied, and the command is killed"
                                      : "n: denied";
        close_prompt(k, word);
        break;
      }
    }
  }
}

}  // namespace warden::supervisor
