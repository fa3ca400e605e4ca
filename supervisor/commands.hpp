// The verbs of `warden` and the translation from configuration to a sandbox description.
#pragma once

#include <string>
#include <vector>

#include "cli.hpp"
#include "warden/policy/config.hpp"
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

// Fills LoadOptions::home and warden_home from the environment.
void resolve_homes(policy::LoadOptions& load);

int run_command(const Invocation& inv);
int config_command(const Invocation& inv);
int review_command(const Invocation& inv);

}  // namespace warden::supervisor
