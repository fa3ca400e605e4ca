// The user reviewer: requests that need a person wait in one queue, answered from warden's
// terminal (a prompt, one at a time) or by `warden approve/deny` over the control socket,
// whichever comes first. "Always" answers are remembered for the run, narrowly scoped.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pending.hpp"
#include "terminal.hpp"

namespace warden::supervisor {

class People {
 public:
  // terminal may be null (no prompt; the control socket alone can answer).
  People(Terminal* terminal, std::chrono::seconds timeout);
  ~People();  // closes the queue: whatever still waits is denied

  // Blocks until answered, timed out or closed. why: the reason shown on the prompt.
  Answer ask(const policy::Request& req, const std::string& why);
  bool has_terminal() const { return terminal_ != nullptr; }
  PendingQueue& queue() { return queue_; }
  SessionCache& session() { return session_; }
  void close();

 private:
  void prompt_loop();
  Terminal* terminal_;
  std::chrono::seconds timeout_;
  PendingQueue queue_;
  SessionCache session_;
  std::mutex shown_mutex_;
  std::string shown_id_;  // the request on the prompt now
  int cancel_fd_ = -1;
  std::thread prompter_;
};

// The prompt's text (several lines, every field neutralised).
std::string prompt_text(const policy::Request& req, const std::string& why, const Scope& always);

}  // namespace warden::supervisor
