// Reviewers: whoever answers an approval request once the granular gate (policy::gate) has let it
// through. Every reviewer fails closed: when it cannot give a real answer the request is denied.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/policy/request.hpp"

namespace warden::reviewer {

class Reviewer {
 public:
  virtual ~Reviewer();
  // The reviewer's decision. Escalate is passed back as is: what it means is the caller's call.
  virtual policy::Decision review(const policy::Request& request) = 0;
};

// Denies everything, for when nobody can answer (no terminal, no reviewer configured).
class DenyAll : public Reviewer {
 public:
  // e.g. "no reviewer is available: stdin is not a terminal"
  explicit DenyAll(std::string reason);
  policy::Decision review(const policy::Request& request) override;

 private:
  std::string reason_;
};

// Runs `[warden] reviewer_command` once per request. The command gets the request JSON with an
// extra "policy" field (the auto_review policy text) on stdin, then EOF, and must print one
// decision JSON on stdout and exit 0. Its stderr is warden's. It runs in its own process group,
// with default signal dispositions, an empty signal mask and only fds 0-2 open.
//
// Any misbehaviour of the command (cannot be executed, exits non-zero, dies of a signal, runs
// past the timeout, prints more than kMaxAnswer bytes or an invalid answer) is a Deny whose reason
// says which. When the command exits, whatever is left of its process group is killed too.
//
// review() throws std::system_error only for warden's own failures (no pipes, cannot fork); the
// caller must treat that as a deny. Safe to call from several threads at once. Children are
// reaped with waitpid(pid), so nothing else in warden may reap them (waitpid(-1), SIGCHLD
// ignored).
class ExternalCommand : public Reviewer {
 public:
  static constexpr std::size_t kMaxAnswer = 64 * 1024;

  // argv must not be empty and timeout_s must be positive (std::invalid_argument otherwise).
  // argv[0] is looked up in PATH when it has no slash.
  ExternalCommand(std::vector<std::string> argv, std::string policy, std::int64_t timeout_s);
  policy::Decision review(const policy::Request& request) override;

 private:
  std::vector<std::string> argv_;
  std::string policy_;
  std::int64_t timeout_s_;
};

}  // namespace warden::reviewer
