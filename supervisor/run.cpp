#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <optional>
#include "audit.hpp"
#include "commands.hpp"
#include "control.hpp"
#include "dns.hpp"
#include "holds.hpp"
#include "people.hpp"
#include "terminal.hpp"
#include "warden/linux/launcher.hpp"
#include "warden/policy/exec_rules.hpp"
#include "warden/policy/json.hpp"
#include "warden/reviewer/auto_review.hpp"
#include "warden/reviewer/reviewer.hpp"

extern char** environ;

namespace warden::supervisor {
namespace {

namespace json = policy::json;

constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
                              SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
constexpr int kUsageError = 125;
constexpr int kSetupError = 126;

std::string resolve(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return {};
  return buf;
}

void print_warnings(const policy::Config& config, int verbosity) {
  if (verbosity < 0) return;
  for (const auto& w : config.warnings) std::fprintf(stderr, "warden: warning: %s\n", w.c_str());
}

void write_strings(json::Writer& w, const char* key, const std::vector<std::string>& v) {
  w.key(key).begin_array();
  for (const auto& s : v) w.string(s);
  w.end_array();
}

std::string start_event(const policy::Config& config, const sandbox::Spec& spec,
                        const std::vector<sandbox::Layer>& layers, const std::string& error) {
  json::Writer w;
  w.begin_object().key("event").string("start").key("time").string(utc_now());
  w.key("warden_pid").number(static_cast<std::int64_t>(::getpid()));
  write_strings(w, "command", spec.argv);
  w.key("cwd").string(spec.cwd).key("workspace").string(spec.workspace);
  write_strings(w, "config_sources", config.sources);
  w.key("profile");
  if (config.profile)
    w.string(*config.profile);
  else
    w.null();
  w.key("sandbox_mode").string(policy::to_string(config.sandbox_mode.value));
  const auto& ap = config.approval_policy.value;
  w.key("approval_policy").string(policy::to_string(ap.kind));
  w.key("granular").begin_object();
  w.key("sandbox_approval").boolean(ap.granular.sandbox_approval);
  w.key("rules").boolean(ap.granular.rules);
  w.key("mcp_elicitations").boolean(ap.granular.mcp_elicitations);
  w.key("request_permissions").boolean(ap.granular.request_permissions);
  w.key("skill_approval").boolean(ap.granular.skill_approval);
  w.end_object();
  w.key("approvals_reviewer").string(policy::to_string(config.approvals_reviewer.value));
  w.key("network_access").boolean(spec.network);
  write_strings(w, "writable_roots", spec.writable_roots);
  write_strings(w, "deny_read", spec.deny_read);
  write_strings(w, "protected", spec.protected_names);
  w.key("on_deny").string(policy::to_string(config.on_deny.value));
  w.key("layers").begin_object();
  for (const auto& l : layers) {
    w.key(l.name).begin_object().key("active").boolean(l.active).key("detail").string(l.detail);
    w.end_object();
  }
  w.end_object();
  if (!error.empty()) w.key("setup_error").string(error);
  w.end_object();
  return w.take();
}

std::string exit_event(int status, int signal, std::int64_t elapsed_ms, const std::string& error) {
  json::Writer w;
  w.begin_object().key("event").string("exit").key("time").string(utc_now());
  w.key("status").number(static_cast<std::int64_t>(status));
  w.key("signal");
  if (signal > 0)
    w.number(static_cast<std::int64_t>(signal));
  else
    w.null();
  w.key("elapsed_ms").number(elapsed_ms);
  if (!error.empty()) w.key("error").string(error);
  w.end_object();
  return w.take();
}

}  // namespace

void resolve_homes(policy::LoadOptions& load) {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    const passwd* pw = ::getpwuid(::getuid());
    home = pw != nullptr ? pw->pw_dir : "/";
  }
  load.home = home;
  const char* wh = std::getenv("WARDEN_HOME");
  load.warden_home = (wh != nullptr && *wh != '\0') ? std::string(wh) : load.home + "/.warden";
}

sandbox::Spec build_spec(const policy::Config& config, const RunContext& context) {
  sandbox::Spec spec;
  switch (config.sandbox_mode.value) {
    case policy::SandboxMode::ReadOnly:
      spec.mode = sandbox::Mode::ReadOnly;
      break;
    case policy::SandboxMode::WorkspaceWrite:
      spec.mode = sandbox::Mode::WorkspaceWrite;
      break;
    case policy::SandboxMode::DangerFullAccess:
      spec.mode = sandbox::Mode::FullAccess;
      break;
  }
  spec.workspace = context.workspace;
  spec.cwd = context.workspace;
  spec.argv = context.argv;
  spec.env = context.env;
  spec.env.push_back(std::string("WARDEN_SANDBOX=") + sandbox::to_string(spec.mode));
  const bool write = spec.mode == sandbox::Mode::WorkspaceWrite;
  if (write) {
    spec.writable_roots = config.writable_roots.value;
    if (!config.exclude_tmpdir_env_var.value) {
      for (const auto& e : context.env) {
        if (e.rfind("TMPDIR=", 0) != 0) continue;
        std::string tmpdir = resolve(e.substr(7));
        // /tmp itself is the sandbox's private tmpfs already.
        if (!tmpdir.empty() && tmpdir != "/tmp") spec.writable_roots.push_back(tmpdir);
      }
    }
    spec.protected_names = config.protected_paths.value;
  }
  spec.tmp_writable = write && !config.exclude_slash_tmp.value;
  spec.deny_read = config.deny_read.value;
  spec.network = spec.mode == sandbox::Mode::FullAccess || (write && config.network_access.value);
  spec.holds.reads = config.hold_reads.value;
  spec.limits.max_processes = config.max_processes.value;
  spec.limits.memory_max_bytes = config.memory_max.value;
  spec.limits.cpu_max = config.cpu_max.value;
  return spec;
}

std::optional<Prepared> prepare(const Invocation& inv) {
  Prepared p;
  try {
    policy::LoadOptions load = inv.load;
    resolve_homes(load);
    p.config = policy::load_config(load);
    // Exec rules are configuration: a broken .rules file is an error naming file:line:col.
    p.exec_rules = policy::load_exec_rules(p.config.exec_rules.value);
    p.exec_rules.add_required(p.config.required_prefix_rules);
    if (inv.audit) p.audit = AuditLog::open(*inv.audit);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warden: %s\n", e.what());
    return std::nullopt;
  }
  print_warnings(p.config, inv.verbosity);
  return p;
}

int config_command(const Invocation& inv) {
  auto p = prepare(inv);
  if (!p) return kUsageError;
  std::string text = policy::to_toml(p->config);
  // How auto_review reads the policy in force, line by line, and what it had to ignore.
  const auto compiled =
      reviewer::compile_policy(reviewer::effective_policy(p->config.auto_review_policy.value,
                                                          p->config.auto_review_extra_policy.value),
                               reviewer::default_home());
  text += "\n# auto_review policy, as compiled";
  text += p->config.auto_review_policy.value.find_first_not_of(" \t\r\n") == std::string::npos
              ? " (the shipped default):\n"
              : ":\n";
  for (const auto& line : reviewer::render_policy(compiled)) text += "#   " + line + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (inv.verbosity >= 0)
    for (const auto& w : compiled.warnings)
      std::fprintf(stderr, "warden: warning: [auto_review] policy %s\n", w.message.c_str());
  return 0;
}

int run_command(const Invocation& inv) {
  const auto started = std::chrono::steady_clock::now();
  auto prepared = prepare(inv);
  if (!prepared) return kUsageError;
  const policy::Config& config = prepared->config;
  const policy::ExecRules& exec_rules = prepared->exec_rules;
  std::unique_ptr<AuditLog> audit = std::move(prepared->audit);
  std::optional<broker::net::HostPatterns> network_allow;
  try {
    network_allow.emplace(config.network_allow.value);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warden: %s: warden.network_allow: %s\n",
                 config.network_allow.source.describe().c_str(), e.what());
    return kUsageError;
  }
  std::vector<std::string> skill_roots;
  for (const auto& r : config.skill_roots.value) {
    std::string real = resolve(r);
    if (!real.empty()) skill_roots.push_back(real);
  }

  // When stdin is a terminal the command gets a pty of warden's, so prompts own the real one.
  std::unique_ptr<Terminal> terminal;
  try {
    terminal = Terminal::open_if_tty();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warden: warning: no pseudo-terminal (%s): prompts are not available\n",
                 e.what());
  }

  RunContext context;
  std::string ws = inv.workspace.value_or(".");
  context.workspace = resolve(ws);
  if (context.workspace.empty()) {
    std::fprintf(stderr, "warden: workspace %s: %s\n", ws.c_str(), std::strerror(errno));
    return kUsageError;
  }
  for (char** e = environ; *e != nullptr; ++e) context.env.emplace_back(*e);
  context.argv = inv.command;
  sandbox::Spec spec = build_spec(config, context);
  const bool untrusted = config.approval_policy.value.kind == policy::ApprovalKind::Untrusted;
  spec.holds.execs = exec_rules.size() > 0 || !skill_roots.empty() || untrusted;
  if (terminal) spec.terminal = terminal->slave();
  spec.holds.dns = !spec.network && spec.mode != sandbox::Mode::FullAccess;
  spec.holds.sends = !spec.network;

  auto elapsed_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  };

  auto setup_failed = [&](const sandbox::SetupError& e) {
    std::fprintf(stderr, "warden: the sandbox could not be set up, the command did not run\n");
    std::fprintf(stderr, "warden: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "warden: hint: %s\n", e.hint().c_str());
    if (audit) {
      audit->write(start_event(config, spec, {}, e.what()));
      audit->write(exit_event(kSetupError, 0, elapsed_ms(), e.what()));
    }
    return kSetupError;
  };
  // init builds the sandbox on one CPU while warden starts its own threads on the other. No
  // thread may exist before begin(): its clone3 is a fork.
  std::unique_ptr<sandbox::Starting> starting;
  try {
    starting = linux_backend::make_launcher()->begin(spec);
  } catch (const sandbox::SetupError& e) {
    return setup_failed(e);
  }

  // Forwarded signals are taken through a signalfd; the command was cloned with warden's mask.
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

  // Held calls are served before the command starts: its first write may already be one.
  if (terminal) terminal->close_slave();  // the command has it; its end is the pty's hang-up
  People people(terminal.get(), std::chrono::seconds(config.review_timeout_s.value));
  std::unique_ptr<ControlServer> control;
  try {
    control = std::make_unique<ControlServer>(people.queue());
    control->start();
  } catch (const std::exception& e) {
    if (inv.verbosity >= 0)
      std::fprintf(stderr, "warden: warning: %s; `warden approve` cannot reach this run\n",
                   e.what());
  }
  Reviewers reviewers = make_reviewers(config, &people);
  ApprovalRoad road(config, &reviewers, audit.get());
  std::unique_ptr<sandbox::Running> running;
  try {
    running = starting->ready();
  } catch (const sandbox::SetupError& e) {
    return setup_failed(e);
  }
  starting.reset();
  const auto layers = running->layers();
  if (inv.verbosity > 0) {
    for (const auto& l : layers)
      std::fprintf(stderr, "warden: %-18s %s %s\n", l.name.c_str(), l.active ? "on " : "off",
                   l.detail.c_str());
  }
  if (audit && !audit->write(start_event(config, spec, layers, {}))) {
    // An unrecorded run is a run nobody can account for: refuse it.
    running->kill_tree();
    return kSetupError;
  }

  std::unique_ptr<DnsStub> dns;
  std::unique_ptr<HoldLoop> holds;
  if (running->notify_fd() >= 0) {
    HoldSettings hs;
    hs.config = &config;
    hs.spec = &spec;
    hs.road = &road;
    if (const char* intent = std::getenv("WARDEN_INTENT")) hs.intent = intent;
    sandbox::Running* r = running.get();
    hs.kill_tree = [r] { r->kill_tree(); };
    hs.exec_rules = &exec_rules;
    hs.network_allow = &*network_allow;
    if (running->dns_fd() >= 0) {
      dns = std::make_unique<DnsStub>(running->dns_fd());
      dns->start();
      hs.dns = dns.get();
    }
    hs.skill_roots = skill_roots;
    hs.untrusted = untrusted;
    hs.unreachable.push_back(control_dir());
    if (terminal) {
      Terminal* t = terminal.get();
      hs.open_tty = [t](int flags) { return t->reopen_slave(flags); };
    }
    holds = std::make_unique<HoldLoop>(running->notify_fd(), std::move(hs));
    HoldLoop* h = holds.get();
    road.set_before_wait([h] { h->release_leadership(); });
    holds->start();
  }
  if (terminal) terminal->start();
  running->start();
  for (;;) {
    pollfd fds[2] = {{running->event_fd(), POLLIN, 0}, {sfd, POLLIN, 0}};
    int n = ::poll(fds, sfd >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) {
      if (running->take_stop() == 0) break;
      if (terminal) {
        // Stopped from its terminal (^Z): give the user's terminal back and stop too, as
        // sudo does; `fg` continues warden, which continues the command.
        terminal->suspend();
        ::raise(SIGTSTP);
      }
      continue;
    }
    if (sfd >= 0 && (fds[1].revents & POLLIN) != 0) {
      signalfd_siginfo si{};
      while (::read(sfd, &si, sizeof si) == sizeof si) {
        const int sig = static_cast<int>(si.ssi_signo);
        if (terminal && sig == SIGWINCH) {
          terminal->resize();  // the kernel tells the command
          continue;
        }
        if (terminal && sig == SIGCONT) terminal->resume();
        // Without a pty the terminal's own signals (SI_KERNEL) already reached the command's
        // process group; with one, they are warden's alone.
        if (terminal || si.ssi_code != SI_KERNEL) running->forward_signal(sig);
      }
    }
  }
  // The command has ended and init is taking the rest of the tree down; warden's threads stop
  // meanwhile, and a held call that is still made fails (ENOSYS once the listener is closed).
  people.close();  // whatever still waits for an answer is moot: denied
  holds.reset();
  control.reset();
  dns.reset();
  sandbox::ExitStatus st = running->wait();
  if (terminal) terminal->finish();
  if (sfd >= 0) ::close(sfd);
  if (!st.error.empty()) {
    std::fprintf(stderr, "warden: %s\n", st.error.c_str());
    const std::string& cmd = spec.argv[0];
    if (st.code == 127 && spec.mode != sandbox::Mode::FullAccess && cmd.rfind("/tmp/", 0) == 0 &&
        ::access(cmd.c_str(), F_OK) == 0)
      std::fprintf(stderr,
                   "warden: hint: the sandbox has a private /tmp; the host's %s is not in it "
                   "(add \"/tmp\" to sandbox_workspace_write.writable_roots to share it)\n",
                   cmd.c_str());
  }
  int code = st.warden_code();
  if (audit) audit->write(exit_event(code, st.signaled ? st.code : 0, elapsed_ms(), st.error));
  return code;
}

}  // namespace warden::supervisor
