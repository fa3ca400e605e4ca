// The user's terminal, when warden's stdin, stdout or stderr is one: the command runs on a
// pseudo-terminal that warden relays (as sudo's use_pty does), so warden can put a prompt on the
// real terminal that the command can neither answer, draw over nor read. While a prompt is open the
// user's input goes to the prompt only and the command's output is held back.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace warden::supervisor {

class Terminal {
 public:
  // nullptr when none of fds 0-2 is a terminal. Throws std::system_error when a pty cannot be
  // made.
  static std::unique_ptr<Terminal> open_if_tty();
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // The slave, for the command (Spec::terminal). Close it with close_slave() once launched.
  int slave() const { return slave_; }
  void close_slave();
  // A fresh open of the slave, for a program in the sandbox that opens /dev/tty through warden.
  int reopen_slave(int flags) const;

  // Raw mode on the user's terminal and the relay thread.
  void start();
  // Relays what the command still wrote, then restores the user's terminal.
  void finish();
  // Job control: the command stopped from its terminal (restore the user's mode) / continues.
  void suspend();
  void resume();
  // The user's terminal changed size: the pty follows (the kernel signals the command).
  void resize();

  // One question, answered by one key of `keys`. Returns that key, or 0 when the deadline
  // passed or cancel_fd became readable (answered elsewhere). Input that arrives before the
  // prompt is armed, and escape sequences (a terminal's answerbacks), never answer it.
  // Blocks; callers are serialised.
  char ask(const std::string& text, const std::string& keys,
           std::chrono::steady_clock::time_point deadline, int cancel_fd);

 private:
  Terminal() = default;
  void relay();
  struct State;
  std::unique_ptr<State> st_;
  int tty_ = -1;     // the user's terminal (read and written by warden)
  int master_ = -1;  // non-blocking
  int slave_ = -1;
  std::string slave_name_;
  int wake_ = -1;  // eventfd: the relay thread re-reads its state
  std::thread thread_;
};

}  // namespace warden::supervisor
