// `warden review`: one request (JSON, stdin by default or --action FILE) through the same road
// a held syscall takes: managed requirements and the configuration, exec rules, the granular
// gate, the reviewer. The decision JSON goes to stdout; no sandbox is involved.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.hpp"
#include "road.hpp"
#include "warden/policy/exec_rules.hpp"

namespace warden::supervisor {

int review_command(const Invocation& inv) {
  constexpr int kUsageError = 125;
  constexpr std::size_t kMax = 1 << 20;
  auto prepared = prepare(inv);
  if (!prepared) return kUsageError;
  const policy::Config& config = prepared->config;
  const policy::ExecRules& rules = prepared->exec_rules;
  std::string text;
  const std::string source = inv.action.value_or("stdin");
  if (inv.action) {
    std::ifstream in(*inv.action, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "warden: --action %s: %s\n", inv.action->c_str(), std::strerror(errno));
      return kUsageError;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  if (text.size() > kMax) {
    std::fprintf(stderr, "warden: %s: the request is larger than 1 MiB\n", source.c_str());
    return kUsageError;
  }
  policy::Request req;
  try {
    req = policy::request_from_json(text);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warden: %s: %s\n", source.c_str(), e.what());
    return kUsageError;
  }
  Refusal refusal;
  if (req.argv && !req.argv->empty()) {
    if (auto m = rules.match(*req.argv)) {
      if (m->decision == policy::ExecDecision::Forbidden) {
        refusal.reason = policy::describe_match(*m, *req.argv);
        refusal.by = "exec_rule";
        refusal.rule = m->rule->source;
      } else if (m->decision == policy::ExecDecision::Prompt) {
        refusal.gate_prefix = policy::describe_match(*m, *req.argv) + "; ";
      }
    }
  }
  // No sandbox and no run: nobody to prompt, so an escalation or a user review is denied.
  Reviewers reviewers = make_reviewers(config, nullptr);
  ApprovalRoad road(config, &reviewers, prepared->audit.get());
  Outcome out = road.decide(req, refusal);
  std::string answer = policy::to_json(out.decision) + "\n";
  std::fwrite(answer.data(), 1, answer.size(), stdout);
  return 0;
}

}  // namespace warden::supervisor
