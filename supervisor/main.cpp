#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "control.hpp"

int main(int argc, char** argv) {
  using namespace warden::supervisor;
  std::vector<std::string> args(argv + 1, argv + argc);
  Invocation inv;
  try {
    inv = parse_command_line(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "warden: %s\n", e.what());
    return 125;
  }
  switch (inv.verb) {
    case Verb::Help:
      std::fputs(usage().c_str(), stdout);
      return 0;
    case Verb::Version:
      std::puts("warden 0.1.0");
      return 0;
    case Verb::Run:
      return run_command(inv);
    case Verb::Config:
      return config_command(inv);
    case Verb::Review:
      return review_command(inv);
    case Verb::Pending:
      return pending_command(inv.json);
    case Verb::Approve:
    case Verb::Deny:
      return answer_command(inv.request_id, inv.verb == Verb::Approve, inv.always);
    default:
      std::fprintf(stderr, "warden: '%s' is not available in this version yet\n",
                   inv.verb_name.c_str());
      return 125;
  }
}
