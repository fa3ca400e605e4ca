// Test harness: runs real processes (warden, the probe) with pipes, timeouts, an optional
// unprivileged user and an optional seccomp filter that makes a kernel feature "missing".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace warden::test {

struct Result {
  int code = -1;  // exit code, or 128+N when killed by signal N (as a shell reports it)
  bool signaled = false;
  std::string out, err;
};

struct RunOptions {
  std::vector<std::string> env;  // extra NAME=VALUE, added to (and overriding) the environment
  std::optional<std::pair<uid_t, gid_t>> user;  // drop to this uid/gid before exec
  std::vector<std::pair<int, int>> refuse;      // {syscall nr, errno} refused in the child
  std::string cwd;
  int timeout_s = 60;
  // Start under a seccomp filter that already has a listener (as under syd or another warden).
  bool foreign_listener = false;
  std::string stdin_path;  // stdin from this file (read-only) instead of /dev/null
  // Run on a pseudo-terminal (its controlling terminal, as fds 0-2): stdout and stderr both
  // arrive in Result::out, and send() types.
  bool use_pty = false;
};

class Process {
 public:
  Process(const std::vector<std::string>& argv, const RunOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  pid_t pid() const { return pid_; }
  // Reads stdout until it contains `needle` (true) or the timeout/EOF (false).
  bool wait_for_output(const std::string& needle, int timeout_ms = 10000);
  Result finish();  // waits (killing it at the timeout) and collects all output
  // use_pty: types bytes on the terminal.
  void send(const std::string& bytes);
  const std::string& output_so_far() const { return out_buf_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  int timeout_s_;
  std::string out_buf_, err_buf_;
};

Result run(const std::vector<std::string>& argv, const RunOptions& options = {});

class TempDir {
 public:
  // /tmp is private inside the sandbox: a directory that must be visible there as "outside the
  // workspace" lives under /var/tmp.
  explicit TempDir(const char* base = "/tmp");
  ~TempDir();
  const std::string& path() const { return path_; }
  // Hands the directory to the unprivileged test user (no-op for nullopt). Root inside the
  // sandbox has no capabilities, so it cannot write into a directory it does not own.
  void give_to(std::optional<std::pair<uid_t, gid_t>> user) const;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_text(const std::string& path, const std::string& content);
std::optional<std::string> read_text(const std::string& path);
bool exists(const std::string& path);

const char* warden();
const char* probe();
// A copy of warden the sandbox can see (the build dir may be under the host's /tmp).
const char* warden_visible();
const char* storm();  // many processes and threads crossing at once (tests/helpers/storm.cpp)

// WARDEN_TEST_USER names an unprivileged user for the tests that must also pass without root;
// available only when the tests run as root.
std::optional<std::pair<uid_t, gid_t>> test_user();

// Descendants of pid (from /proc/<pid>/task/*/children), recursively.
std::vector<pid_t> descendants(pid_t pid);
bool alive(pid_t pid);  // exists and is not a zombie

}  // namespace warden::test
