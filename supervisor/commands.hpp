// The verbs of `warden` and the translation from configuration to a sandbox description.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit.hpp"
#include "cli.hpp"
#include "warden/policy/config.hpp"
#include "warden/policy/exec_rules.hpp"
#include "warden/sandbox/spec.hpp"

namespace warden::supervisor {

// What the command line and environment say about where and what to run.
struct RunContext {
  std::string workspace;          // absolute, resolved
  std::vector<std::string> env;   // the command's environment, NAME=VALUE
  std::vector<std::string> argv;  // COMMAND [ARG...]
};

// Pure: configuration + context -> sandbox description.
sandbox::Spec build_spec(const policy::Config& config, const RunContext& context);

// What every verb reads first: the configuration (its warnings printed), the exec rules and the
// audit log. Bad input of any of them is reported here; the verb then exits 125.
struct Prepared {
  policy::Config config;
  policy::ExecRules exec_rules;
  std::unique_ptr<AuditLog> audit;  // null without --audit
};
std::optional<Prepared> prepare(const Invocation& inv);

// Fills LoadOptions::home and warden_home from the environment.
void resolve_homes(policy::LoadOptions& load);

int run_command(const Invocation& inv);
int config_command(const Invocation& inv);
int review_command(const Invocation& inv);

}  // namespace warden::supervisor
