#include "road.hpp"

#include "warden/reviewer/auto_review.hpp"

#include "warden/policy/json.hpp"

namespace warden::supervisor {

namespace json = policy::json;

namespace {

policy::Decision deny(std::string reason, std::string rule = {}) {
  return {policy::Verdict::Deny, std::nullopt, std::move(reason), std::move(rule)};
}

}  // namespace

Outcome ApprovalRoad::decide(const policy::Request& req, const Refusal& refusal) {
  const auto started = std::chrono::steady_clock::now();
  Outcome out;  // deny unless someone approves
  out.decided_by = "granular";
  policy::Decision& d = out.decision;
  if (!refusal.reason.empty()) {
    d.reason = refusal.reason;
    d.rule = refusal.rule;
    out.decided_by = refusal.by;
  } else if (auto gate = policy::gate(config_, req.category); !gate.ask) {
    d.reason = refusal.gate_prefix + gate.reason;
  } else if (auto scope = reviewers_ != nullptr && reviewers_->people != nullptr
                              ? reviewers_->people->session().find(req)
                              : std::nullopt) {
    d = {policy::Verdict::Approve, std::nullopt, "approved for this run: " + scope->describe(), ""};
    out.decided_by = "session";
  } else {
    out = review(req, refusal);
  }
  if (d.reason.empty()) d.reason = refusal.note;
  if (audit_ != nullptr &&
      !audit_->write(request_event(req, out,
                                   std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started)))) {
    // A decision nobody can account for is not taken: the audit log could not record it.
    if (out.approved()) {
      d = deny("the audit log could not record the decision: " + d.reason);
      out.decided_by = "audit";
    }
  }
  return out;
}

Outcome ApprovalRoad::review(const policy::Request& req, const Refusal& refusal) {
  Outcome out;
  policy::Decision& d = out.decision;
  Reviewers* r = reviewers_;
  const bool automatic = config_.approvals_reviewer.value == policy::ReviewerKind::AutoReview ||
                         (r != nullptr && r->external != nullptr);
  if (!automatic) {
    out.decided_by = "user";
    return ask_people(req, refusal.note);
  }
  out.decided_by = "auto_review";
  if (r == nullptr || (r->builtin == nullptr && r->external == nullptr)) {
    d = deny("auto_review is not available");
    return out;
  }
  if (r->builtin != nullptr) {
    try {
      d = r->builtin->review(req);
    } catch (const std::exception& e) {
      d = deny(std::string("auto_review failed: ") + e.what());
    }
  } else {
    d = {policy::Verdict::Approve, std::nullopt, "", ""};  // nothing built in to object
  }
  if (r->external != nullptr) {
    if (d.verdict == policy::Verdict::Deny || d.risk == policy::Risk::Critical) {
      // The external reviewer may be an LLM: what the built-in stage refused it never sees, so
      // it cannot be talked into approving it.
      d.verdict = policy::Verdict::Deny;
      d.reason = "built-in check: " + d.reason + " (the external reviewer was not asked)";
      return out;
    }
    const auto builtin_risk = d.risk;
    if (before_wait_) before_wait_();
    try {
      d = r->external->review(req);
    } catch (const std::exception& e) {
      d = deny(std::string("reviewer failed: ") + e.what());
    }
    if (!d.risk || (builtin_risk && *builtin_risk > *d.risk)) d.risk = builtin_risk;
  }
  if (d.verdict == policy::Verdict::Escalate) {
    if (r->people == nullptr || !r->people->has_terminal()) {
      d.verdict = policy::Verdict::Deny;
      d.reason = "escalated (" + d.reason + ") and no user terminal to ask: denied";
      return out;
    }
    const auto risk = d.risk;
    const std::string why = "auto_review escalated: " + d.reason;
    out = ask_people(req, why);
    out.decision.risk = risk;
  }
  return out;
}

Outcome ApprovalRoad::ask_people(const policy::Request& req, const std::string& why) {
  Outcome out;
  out.decided_by = "user";
  People* people = reviewers_ != nullptr ? reviewers_->people : nullptr;
  if (people == nullptr) {
    out.decision = deny("no user can be asked here");
    return out;
  }
  if (before_wait_) before_wait_();
  Answer a = people->ask(req, why);
  switch (a) {
    case Answer::Once:
      out.decision = {policy::Verdict::Approve, std::nullopt, "approved once by the user", ""};
      break;
    case Answer::Always:
      out.decision = {policy::Verdict::Approve, std::nullopt,
                      "approved by the user for this run: " + scope_for(req, false).describe(), ""};
      break;
    case Answer::Deny:
      out.decision = deny("denied by the user");
      break;
    case Answer::Kill:
      out.decision = deny("denied by the user, who killed the command");
      out.kill = true;
      break;
    case Answer::Timeout:
      out.decision = deny("no answer within " + std::to_string(config_.review_timeout_s.value) +
                          " s (review_timeout_s)");
      break;
    case Answer::Cancelled:
      out.decision = deny("the run ended, or too many requests were waiting");
      break;
  }
  return out;
}

std::string request_event(const policy::Request& req, const Outcome& outcome,
                          std::chrono::milliseconds elapsed) {
  // The decision's reason takes the contract's "reason" key; a request's own reason (kind
  // permissions) is kept as request_reason.
  policy::Request shown = req;
  shown.reason.reset();
  std::string fields = policy::to_json(shown);
  if (auto pos = fields.find(",\"reason\":null"); pos != std::string::npos)
    fields.replace(pos, 14, req.reason ? ",\"request_reason\":" + json::quote(*req.reason) : "");
  const auto& d = outcome.decision;
  std::string line = "{\"event\":\"request\",\"time\":" + json::quote(utc_now()) + "," +
                     fields.substr(1, fields.size() - 2);
  line += ",\"decision\":" + json::quote(policy::to_string(d.verdict));
  line += ",\"decided_by\":" + json::quote(outcome.decided_by);
  line += ",\"risk\":" + (d.risk ? json::quote(policy::to_string(*d.risk)) : std::string("null"));
  line += ",\"reason\":" + json::quote(d.reason);
  line += ",\"elapsed_ms\":" + std::to_string(elapsed.count()) + "}";
  return line;
}

Reviewers make_reviewers(const policy::Config& config, People* people) {
  Reviewers r;
  r.people = people;
  // A blank policy is the shipped default; extra_policy is appended to whichever is in force.
  const std::string text = reviewer::effective_policy(config.auto_review_policy.value,
                                                      config.auto_review_extra_policy.value);
  r.builtin = std::make_unique<reviewer::AutoReview>(text);
  if (!config.reviewer_command.value.empty())
    r.external = std::make_unique<reviewer::ExternalCommand>(config.reviewer_command.value, text,
                                                             config.review_timeout_s.value);
  return r;
}

}  // namespace warden::supervisor
