#include "warden/reviewer/auto_review.hpp"

#include <utility>

#include "auto_review_internal.hpp"

namespace warden::reviewer {

using policy::Decision;
using policy::Risk;
using policy::Verdict;

namespace {

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string line_name(const Rule& r) {
  return "policy line " + std::to_string(r.line);
}

const char* verb(Verdict v) {
  return v == Verdict::Deny ? "DENY" : v == Verdict::Escalate ? "ESCALATE" : "APPROVE";
}

std::string risk_note(const Assessment& a) {
  return std::string(policy::to_string(a.risk)) + " risk (" + a.check + "): " + a.reason;
}

}  // namespace

std::string effective_policy(std::string_view policy, std::string_view extra) {
  std::string text(blank(policy) ? std::string_view(default_policy()) : policy);
  if (!blank(extra)) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += extra;
  }
  return text;
}

AutoReview::AutoReview(std::string_view policy_text, std::string home)
    : home_(home.empty() || home[0] != '/' ? std::string() : detail::normalize_path(home)),
      policy_(compile_policy(blank(policy_text) ? std::string_view(default_policy()) : policy_text,
                             home_)) {}

Assessment AutoReview::classify(const policy::Request& request) const {
  return reviewer::classify(request, home_);
}

Decision AutoReview::review(const policy::Request& request) {
  const detail::View v(request, home_);
  const Assessment a = detail::assess(v);
  // The first matching rule of each verb, in line order.
  const Rule* deny = nullptr;
  const Rule* escalate = nullptr;
  const Rule* approve = nullptr;
  std::string why[3];  // what matched, per verb
  for (const Rule& r : policy_.rules) {
    const int i = static_cast<int>(r.verdict);
    const Rule** slot = r.verdict == Verdict::Deny       ? &deny
                        : r.verdict == Verdict::Escalate ? &escalate
                                                         : &approve;
    if (*slot != nullptr || !detail::match_rule(r, v, &why[i])) continue;
    *slot = &r;
    if (deny != nullptr) break;  // nothing can beat it
  }
  auto cite = [&](const Rule& r) {
    return line_name(r) + " (" + verb(r.verdict) + " " + why[static_cast<int>(r.verdict)] + ")";
  };

  Decision d;
  d.risk = a.risk;
  if (deny != nullptr) {
    d.verdict = Verdict::Deny;
    d.rule = line_name(*deny);
    d.reason = cite(*deny) + "; " + risk_note(a);
  } else if (a.risk == Risk::Critical) {
    d.verdict = Verdict::Deny;
    d.rule = a.check;
    d.reason = risk_note(a);
  } else if (escalate != nullptr) {
    d.verdict = Verdict::Escalate;
    d.rule = line_name(*escalate);
    d.reason = cite(*escalate) + "; " + risk_note(a);
  } else if (a.risk == Risk::High) {
    d.verdict = Verdict::Escalate;
    d.rule = a.check;
    d.reason = risk_note(a);
  } else if (approve != nullptr) {
    d.verdict = Verdict::Approve;
    d.rule = line_name(*approve);
    d.reason = cite(*approve) + "; " + risk_note(a);
  } else {
    d.verdict = Verdict::Approve;
    d.rule = a.check;
    d.reason = risk_note(a);
  }
  if (approve != nullptr && d.verdict != Verdict::Approve)
    d.reason += "; " + cite(*approve) + " would approve, but cannot override this";
  return d;
}

}  // namespace warden::reviewer
