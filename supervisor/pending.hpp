// Requests waiting for a person: the user reviewer's queue. A request is answered by whichever
// comes first: the prompt on warden's terminal, `warden approve/deny` over the control socket,
// the timeout (deny), or the end of the run (deny). Several may wait at once; each is answered
// exactly once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/policy/request.hpp"

namespace warden::supervisor {

enum class Answer { Once, Always, Deny, Kill, Timeout, Cancelled };
const char* to_string(Answer a);

// An "always" answer, scoped narrowly: the same file or directory, host:port, or argv prefix.
struct Scope {
  policy::Category category = policy::Category::SandboxApproval;
  policy::Kind kind = policy::Kind::FileWrite;
  std::string path;  // exact, or a directory prefix when dir is set
  bool dir = false;  // path is a directory: what is under it matches too
  std::string host;  // with port
  std::int64_t port = -1;
  std::vector<std::string> argv_prefix;
  std::string describe() const;  // "writes to /x/y", "network to h:443", "exec `git push ...`"
};
// The scope an "always" answer to this request grants. dir: the path is a directory.
Scope scope_for(const policy::Request& req, bool path_is_dir);
bool in_scope(const Scope& s, const policy::Request& req);

// Answers this run has remembered ("always").
class SessionCache {
 public:
  void add(Scope s);
  // The scope that covers req, if any.
  std::optional<Scope> find(const policy::Request& req) const;

 private:
  mutable std::mutex m_;
  std::vector<Scope> scopes_;
};

struct PendingEntry {
  std::string id;
  policy::Request request;
  std::string summary;  // one line, already neutralised
  std::chrono::system_clock::time_point since;
  std::chrono::steady_clock::time_point deadline;  // when the wait ends (denied)
};

class PendingQueue {
 public:
  static constexpr std::size_t kMaxPending = 1024;

  // Waits for an answer until the deadline. Never returns Once/Always for a request that was
  // not answered so: Timeout and Cancelled are denials. A full queue answers Cancelled at once.
  Answer wait(const policy::Request& req, std::chrono::steady_clock::time_point deadline);
  // First answer wins: false when id is not pending (never was, already answered, timed out).
  bool answer(const std::string& id, Answer a);
  std::vector<PendingEntry> list() const;
  // The oldest request not yet shown on the terminal; waits until there is one, or returns
  // nullopt once closed. `generation` lets the terminal notice that an answer came elsewhere.
  std::optional<PendingEntry> next_for_terminal();
  bool is_pending(const std::string& id) const;
  // Ends the run: every waiting request is Cancelled, next_for_terminal() returns nullopt.
  void close();
  // Called whenever an entry is answered or closed, from the answering thread (the terminal
  // uses it to stop a prompt answered elsewhere).
  void set_on_answer(std::function<void(const std::string& id)> f);

 private:
  struct Slot {
    PendingEntry entry;
    std::optional<Answer> answer;
    bool shown = false;
  };
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Slot>> slots_;
  bool closed_ = false;
  std::function<void(const std::string&)> on_answer_;
};

// One line for a person: "write /home/u/.bashrc (openat) by `bash -c ...`", with control
// characters, bidi marks and overlong text neutralised.
std::string summarize(const policy::Request& req);
// Makes text safe to show on a terminal: C0/C1 controls, DEL, bidi and zero-width marks and
// invalid UTF-8 become visible escapes (\x1b, \u202e); longer than max bytes is cut with "...".
std::string neutralize(std::string_view text, std::size_t max = 200);

}  // namespace warden::supervisor
