#include "warden/reviewer/reviewer.hpp"

#include <utility>

namespace warden::reviewer {

Reviewer::~Reviewer() = default;

DenyAll::DenyAll(std::string reason) : reason_(std::move(reason)) {}

policy::Decision DenyAll::review(const policy::Request&) {
  return {policy::Verdict::Deny, std::nullopt, reason_, {}};
}

}  // namespace warden::reviewer
