#include "cli.hpp"

#include <cstring>

namespace warden::supervisor {
namespace {

struct VerbName {
  const char* name;
  Verb verb;
};
constexpr VerbName kVerbs[] = {{"run", Verb::Run},
                               {"config", Verb::Config},
                               {"review", Verb::Review},
                               {"pending", Verb::Pending},
                               {"approve", Verb::Approve},
                               {"deny", Verb::Deny},
                               {"request-permissions", Verb::RequestPermissions},
                               {"mcp-proxy", Verb::McpProxy}};

// Options that take a value: long name, short letter (0 if none).
struct ValueOption {
  const char* name;
  char letter;
};
constexpr ValueOption kValueOptions[] = {
    {"config", 0},    {"requirements", 0},   {"profile", 'p'}, {"workspace", 'C'},
    {"sandbox", 's'}, {"approval", 'a'},     {"reviewer", 0},  {"audit", 0},
    {"on-deny", 0},   {"review-timeout", 0}, {"action", 0},    {"", 'c'}};

const ValueOption* find_value_option(std::string_view name, char letter) {
  for (const auto& o : kValueOptions) {
    if (letter != 0 ? o.letter == letter : (name == o.name && !name.empty())) return &o;
  }
  return nullptr;
}

void apply(Invocation& inv, const ValueOption& o, const std::string& value) {
  std::string_view n = o.name;
  auto flag = [&](const char* key) {
    inv.load.flags.push_back({key, value, std::string("--") + o.name});
  };
  if (o.letter == 'c') {
    if (value.find('=') == std::string::npos)
      throw UsageError("-c " + value + ": expected KEY=VALUE");
    inv.load.overrides.push_back(value);
  } else if (n == "config") {
    inv.load.config_file = value;
  } else if (n == "requirements") {
    inv.load.requirements_file = value;
  } else if (n == "profile") {
    inv.load.profile = value;
  } else if (n == "workspace") {
    inv.workspace = value;
  } else if (n == "audit") {
    inv.audit = value;
  } else if (n == "action") {
    if (inv.verb != Verb::Review) throw UsageError("--action belongs to 'warden review'");
    inv.action = value;
  } else if (n == "sandbox") {
    flag("sandbox_mode");
  } else if (n == "approval") {
    flag("approval_policy");
  } else if (n == "reviewer") {
    flag("approvals_reviewer");
  } else if (n == "on-deny") {
    flag("warden.on_deny");
  } else if (n == "review-timeout") {
    flag("warden.review_timeout_s");
  }
}

}  // namespace

std::string usage() {
  return R"(usage: warden run    [OPTIONS] [--] COMMAND [ARG...]   run COMMAND in the sandbox
       warden config [OPTIONS]                        validate; print the effective configuration
       warden review [OPTIONS] [--action FILE]        one request (JSON, stdin by default) through
                                                      policy and reviewer; decision JSON on stdout
       warden pending [--json]                        requests of running wardens waiting for you
       warden approve ID [--always]                   answer one (ID or RUN:ID, as pending shows)
       warden deny ID

options:
  --config FILE          configuration (default: $WARDEN_HOME/config.toml, WARDEN_HOME=~/.warden)
  --requirements FILE    managed requirements (default: /etc/warden/requirements.toml if present)
  -p, --profile NAME     select a profile
  -c KEY=VALUE           override a configuration key (dotted KEY, VALUE in TOML or plain text)
  -C, --workspace DIR    the workspace (default: the current directory)
  -s, --sandbox MODE     read-only | workspace-write | danger-full-access
  -a, --approval POLICY  untrusted | on-request | never
  --reviewer R           user | auto_review
  --audit FILE           append JSON-lines audit events to FILE (- for stderr)
  --on-deny ACTION       errno | kill
  --review-timeout SECONDS
  -v, -q                 more or less talk on stderr
  -h, --help, --version

exit status of run: the command's own; 128+N when it died of signal N; 125 usage or
configuration error; 126 the sandbox could not be set up (the command did not run).
)";
}

Invocation parse_command_line(const std::vector<std::string>& args) {
  Invocation inv;
  if (args.empty()) throw UsageError("missing command (try 'warden run -- COMMAND')");
  const std::string& first = args[0];
  if (first == "-h" || first == "--help" || first == "help") return inv;
  if (first == "--version") {
    inv.verb = Verb::Version;
    return inv;
  }
  bool known = false;
  for (const auto& v : kVerbs) {
    if (first == v.name) {
      inv.verb = v.verb;
      inv.verb_name = v.name;
      known = true;
    }
  }
  if (!known)
    throw UsageError("unknown command '" + first +
                     "' (expected run, config, review, pending, approve or deny)");
  if (inv.verb == Verb::Pending || inv.verb == Verb::Approve || inv.verb == Verb::Deny) {
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "-h" || a == "--help") {
        inv.verb = Verb::Help;
        return inv;
      }
      if (inv.verb == Verb::Approve && a == "--always") {
        inv.always = true;
      } else if (inv.verb == Verb::Pending && a == "--json") {
        inv.json = true;
      } else if (inv.verb != Verb::Pending && inv.request_id.empty() && !a.empty() && a[0] != '-') {
        inv.request_id = a;
      } else {
        throw UsageError(inv.verb_name + ": unexpected argument '" + a + "'");
      }
    }
    if (inv.verb != Verb::Pending && inv.request_id.empty())
      throw UsageError(inv.verb_name + ": missing request ID (see warden pending)");
    return inv;
  }

  size_t i = 1;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // the command starts here
    if (a == "-h" || a == "--help") {
      inv.verb = Verb::Help;
      return inv;
    }
    if (a == "-v" || a == "--verbose") {
      inv.verbosity = 1;
      continue;
    }
    if (a == "-q" || a == "--quiet") {
      inv.verbosity = -1;
      continue;
    }
    const ValueOption* opt = nullptr;
    std::string value;
    bool has_value = false;
    if (a[1] == '-') {
      std::string name = a.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      opt = find_value_option(name, 0);
      if (opt == nullptr) throw UsageError("unknown option '--" + name + "' (see warden --help)");
    } else {
      opt = find_value_option({}, a[1]);
      if (opt == nullptr)
        throw UsageError("unknown option '" + a.substr(0, 2) + "' (see warden --help)");
      if (a.size() > 2) {
        value = a.substr(2);
        has_value = true;
      }
    }
    if (!has_value) {
      if (i + 1 >= args.size()) throw UsageError("option '" + a + "' needs a value");
      value = args[++i];
    }
    apply(inv, *opt, value);
  }
  inv.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (inv.verb == Verb::Run && inv.command.empty())
    throw UsageError("run: missing COMMAND (usage: warden run [OPTIONS] [--] COMMAND [ARG...])");
  if ((inv.verb == Verb::Config || inv.verb == Verb::Review) && !inv.command.empty())
    throw UsageError(inv.verb_name + ": unexpected argument '" + inv.command[0] + "'");
  return inv;
}

}  // namespace warden::supervisor
