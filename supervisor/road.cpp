#include "road.hpp"

#include "warden/policy/json.hpp"

namespace warden::supervisor {

namespace json = policy::json;

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
  } else if (reviewer_ == nullptr) {
    d.reason = "no reviewer is available";
    out.decided_by = "user";
  } else {
    try {
      d = reviewer_->review(req);
    } catch (const std::exception& e) {
      d = {policy::Verdict::Deny, std::nullopt, std::string("reviewer failed: ") + e.what(), ""};
    }
    out.decided_by = config_.reviewer_command.value.empty()
                         ? policy::to_string(config_.approvals_reviewer.value)
                         : "auto_review";
    // Nobody to escalate to yet: an escalation is a denial.
    if (d.verdict == policy::Verdict::Escalate) d.verdict = policy::Verdict::Deny;
  }
  if (d.reason.empty()) d.reason = refusal.note;
  if (audit_ != nullptr)
    audit_->write(request_event(req, out,
                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)));
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

std::unique_ptr<reviewer::Reviewer> make_reviewer(const policy::Config& config) {
  if (!config.reviewer_command.value.empty()) {
    std::string text = config.auto_review_policy.value;
    if (!config.auto_review_extra_policy.value.empty())
      text += "\n" + config.auto_review_extra_policy.value;
    return std::make_unique<reviewer::ExternalCommand>(config.reviewer_command.value, text,
                                                       config.review_timeout_s.value);
  }
  return std::make_unique<reviewer::DenyAll>(
      config.approvals_reviewer.value == policy::ReviewerKind::User
          ? "no reviewer answered: the interactive prompt is not available in this version"
          : "no reviewer answered: auto_review is not available in this version");
}

}  // namespace warden::supervisor
