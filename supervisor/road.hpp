// The approval road every request takes, whether it comes from a held syscall or from
// `warden review`: a refusal known before asking (by whom), else the granular gate, else the
// reviewer. Every decision is audited.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "audit.hpp"
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
  bool approved() const { return decision.verdict == policy::Verdict::Approve; }
};

class ApprovalRoad {
 public:
  ApprovalRoad(const policy::Config& config, reviewer::Reviewer* reviewer, AuditLog* audit)
      : config_(config), reviewer_(reviewer), audit_(audit) {}
  Outcome decide(const policy::Request& req, const Refusal& refusal = {});

 private:
  const policy::Config& config_;
  reviewer::Reviewer* reviewer_;
  AuditLog* audit_;
};

// Who answers requests the granular gate lets through. The user prompt and auto_review arrive
// later; until then an external reviewer_command is the only one that can approve, and
// everything else is denied (fail closed).
std::unique_ptr<reviewer::Reviewer> make_reviewer(const policy::Config& config);

// The audit `request` event: the request's fields, then how it was decided, on one line.
std::string request_event(const policy::Request& req, const Outcome& outcome,
                          std::chrono::milliseconds elapsed);

}  // namespace warden::supervisor
