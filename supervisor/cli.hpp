// The command line of `warden`. Parsing stops at the first word that is not an option (or at
// `--`): everything after it belongs to the command, so a command named `--something` can never
// be read as a warden option.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "warden/policy/config.hpp"

namespace warden::supervisor {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Verb {
  Help,
  Version,
  Run,
  Config,
  Review,
  Pending,
  Approve,
  Deny,
  RequestPermissions,
  McpProxy
};

struct Invocation {
  Verb verb = Verb::Help;
  std::string verb_name;
  policy::LoadOptions load;              // --config, --requirements, -p, -c and the dedicated flags
  std::optional<std::string> workspace;  // -C
  std::optional<std::string> audit;      // --audit FILE, "-" for stderr
  std::optional<std::string> action;     // review: --action FILE (default: stdin)
  int verbosity = 0;                     // -v: 1, -q: -1
  std::vector<std::string> command;      // run: COMMAND [ARG...]
  std::string request_id;                // approve/deny: ID or RUN:ID
  bool always = false;                   // approve --always
  bool json = false;                     // pending --json
};

// Throws UsageError with a message naming the offending word.
Invocation parse_command_line(const std::vector<std::string>& args);

std::string usage();

}  // namespace warden::supervisor
