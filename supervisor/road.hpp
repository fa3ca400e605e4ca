// The approval road every request takes, whether it comes from a held syscall or from
// `warden review`: a refusal known before asking (by whom), else the granular gate, else the
// reviewer. Every decision is audited.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "audit.hpp"
#include "people.hpp"
#include "warden/policy/config.hpp"
#include "warden/policy/request.hpp"
#include "warden/reviewer/reviewer.hpp"

namespace warden::supervisor {

// A refusal known before asking anyone, or what to say when nobody gives a reason.
struct Refusal {
  std::string reason;  // non-empty: refused without asking
  std::string by = "granular";
  std::string rule;
  std::string gate_prefix;  // prepended to the granular gate's reason
  std::string note;         // the reason when the decision came without one
};

struct Outcome {
  policy::Decision decision;
  std::string decided_by;
  bool kill = false;  // the person answered `k`: the whole tree goes
  bool approved() const { return decision.verdict == policy::Verdict::Approve; }
};

// Who may answer, besides the granular table: the built-in auto_review stage (always consulted
// before an external reviewer, whose approval cannot overturn it), an external reviewer_command,
// and people (the prompt and `warden approve`). Any of them may be null.
struct Reviewers {
  std::unique_ptr<reviewer::Reviewer> builtin;
  std::unique_ptr<reviewer::Reviewer> external;
  People* people = nullptr;
};

class ApprovalRoad {
 public:
  ApprovalRoad(const policy::Config& config, Reviewers* reviewers, AuditLog* audit)
      : config_(config), reviewers_(reviewers), audit_(audit) {}
  Outcome decide(const policy::Request& req, const Refusal& refusal = {});
  // Called on the deciding thread before it may wait (a person, an external command), so the
  // caller can keep serving other requests meanwhile.
  void set_before_wait(std::function<void()> f) { before_wait_ = std::move(f); }

 private:
  Outcome review(const policy::Request& req, const Refusal& refusal);
  Outcome ask_people(const policy::Request& req, const std::string& why);
  const policy::Config& config_;
  Reviewers* reviewers_;
  AuditLog* audit_;
  std::function<void()> before_wait_;
};

// The reviewers the configuration names. people: null where nobody can be asked.
Reviewers make_reviewers(const policy::Config& config, People* people);

// The audit `request` event: the request's fields, then how it was decided, on one line.
std::string request_event(const policy::Request& req, const Outcome& outcome,
                          std::chrono::milliseconds elapsed);

}  // namespace warden::supervisor
