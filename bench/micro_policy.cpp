// Per-request policy work on warden's hot paths: exec-rule matching (every held execve when rules
// exist), protected-name matching (every held write), and the granular gate (every request).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "warden/broker/path.hpp"
#include "warden/policy/config.hpp"
#include "warden/policy/exec_rules.hpp"
#include "warden/policy/request.hpp"

namespace {

using Argv = std::vector<std::string>;

// A team's rules file of the kind Codex users write: git and package managers that reach the
// network prompt, destructive and privileged commands are forbidden, read-only tools allowed.
constexpr const char* kRules = R"RULES(# Team rules.
prefix_rule(pattern = ["git", ["push", "fetch", "pull", "clone"]], decision = "prompt",
            justification = "network access from git needs a look")
prefix_rule(pattern = ["git", "push", ["--force", "-f", "--force-with-lease"]],
            decision = "forbidden", justification = "no force pushes")
prefix_rule(pattern = ["git", "reset", "--hard"], decision = "prompt")
prefix_rule(pattern = ["git", "clean", ["-fdx", "-xdf", "-fd"]], decision = "prompt")
prefix_rule(pattern = ["git", ["status", "log", "diff", "show", "branch", "rev-parse"]])
prefix_rule(pattern = ["npm", ["install", "i", "ci", "publish"]], decision = "prompt")
prefix_rule(pattern = ["npm", ["test", "run"]])
prefix_rule(pattern = ["yarn", ["add", "install", "publish"]], decision = "prompt")
prefix_rule(pattern = ["pnpm", ["add", "install", "publish"]], decision = "prompt")
prefix_rule(pattern = [["pip", "pip3"], ["install", "download"]], decision = "prompt")
prefix_rule(pattern = ["python3", "-m", "pip", "install"], decision = "prompt")
prefix_rule(pattern = ["cargo", ["install", "publish", "login"]], decision = "prompt")
prefix_rule(pattern = ["cargo", ["build", "test", "check", "clippy", "fmt"]])
prefix_rule(pattern = ["go", ["get", "install"]], decision = "prompt")
prefix_rule(pattern = ["go", ["build", "test", "vet"]])
prefix_rule(pattern = [["curl", "wget"]], decision = "prompt",
            justification = "downloads are reviewed")
prefix_rule(pattern = [["ssh", "scp", "sftp", "rsync"]], decision = "prompt")
prefix_rule(pattern = [["sudo", "su", "doas"]], decision = "forbidden",
            justification = "no privilege changes")
prefix_rule(pattern = ["rm", ["-rf", "-fr", "-r"]], decision = "prompt")
prefix_rule(pattern = ["rm", "-rf", ["/", "~", "/home"]], decision = "forbidden")
prefix_rule(pattern = [["mkfs", "dd", "shred", "fdisk"]], decision = "forbidden")
prefix_rule(pattern = ["chmod", ["-R", "777"]], decision = "prompt")
prefix_rule(pattern = ["docker", ["run", "exec", "build", "push", "login"]], decision = "prompt")
prefix_rule(pattern = ["kubectl", ["apply", "delete", "exec", "edit"]], decision = "forbidden")
prefix_rule(pattern = ["terraform", ["apply", "destroy"]], decision = "forbidden")
prefix_rule(pattern = ["gh", ["pr", "release", "repo"]], decision = "prompt")
prefix_rule(pattern = [["ls", "cat", "head", "tail", "wc", "grep", "rg", "find", "stat"]])
prefix_rule(pattern = [["make", "cmake", "ninja"]])
prefix_rule(pattern = [["node", "python3", "ruby", "perl"], "-e"], decision = "prompt")
prefix_rule(pattern = ["bash", "-c"], decision = "prompt")
)RULES";

namespace policy = warden::policy;
namespace broker = warden::broker;

const policy::ExecRules& rules() {
  static const policy::ExecRules r = [] {
    policy::ExecRules x;
    x.load_text(kRules, "team.rules");
    return x;
  }();
  return r;
}

// A command no rule names (the common case: most execs match nothing), an allowed one, a prompt
// found through an alternative, a forbidden one behind a longer pattern, and an absolute argv[0].
const std::vector<Argv>& commands() {
  static const std::vector<Argv> c = {
      {"cc", "-O1", "-c", "-o", "u17.o", "u17.c"},
      {"git", "status", "--short"},
      {"npm", "install", "left-pad"},
      {"git", "push", "--force", "origin", "main"},
      {"/usr/bin/curl", "-fsSL", "https://example.com/install.sh"},
  };
  return c;
}

void BM_exec_rules_match(benchmark::State& state) {
  const auto& r = rules();
  const Argv& argv = commands()[static_cast<std::size_t>(state.range(0))];
  for (auto _ : state) {
    auto m = r.match(argv);
    benchmark::DoNotOptimize(m);
  }
  state.SetLabel(argv[0] + (argv.size() > 1 ? " " + argv[1] : std::string()) + " (" +
                 std::to_string(r.size()) + " rules)");
}
BENCHMARK(BM_exec_rules_match)->DenseRange(0, 4);

// warden's default protected names ([warden] protected), taken from the built-in defaults so
// the benchmark follows them, and one writable root.
std::vector<std::string> default_protected() {
  policy::LoadOptions o;
  o.config_file = "/dev/null";  // an empty file: nothing but the defaults
  o.default_requirements_file = "/nonexistent/requirements.toml";
  o.home = "/home/dev";
  o.warden_home = "/home/dev/.warden";
  return policy::load_config(o).protected_paths.value;
}
// Made on first use: at static initialisation the library's own defaults may not exist yet.
const std::vector<std::string>& protected_names() {
  static const std::vector<std::string> names = default_protected();
  return names;
}
const std::vector<std::string> kRoots = {"/home/dev/src/project"};

// What a build writes (no match, the common case), a deep object file, a hook, a submodule's
// config (through a glob), and a path outside every root.
const std::vector<std::string> kPaths = {
    "/home/dev/src/project/build/u17.o",
    "/home/dev/src/project/third_party/lib/src/deep/dir/tree/generated/file_0042.c",
    "/home/dev/src/project/sub/.git/hooks/pre-commit",
    "/home/dev/src/project/.git/modules/vendor/config",
    "/home/dev/.bashrc",
};

void BM_protected_match(benchmark::State& state) {
  const std::string& path = kPaths[static_cast<std::size_t>(state.range(0))];
  for (auto _ : state) {
    auto m = broker::protected_match(path, kRoots, protected_names());
    benchmark::DoNotOptimize(m);
  }
  auto m = broker::protected_match(path, kRoots, protected_names());
  state.SetLabel(path.substr(path.rfind('/') + 1) + (m ? " -> " + *m : std::string(" (none)")));
}
BENCHMARK(BM_protected_match)->DenseRange(0, 4);

void BM_gate(benchmark::State& state) {
  policy::Config config;
  config.approval_policy.value.kind =
      state.range(0) == 0 ? policy::ApprovalKind::OnRequest : policy::ApprovalKind::Never;
  for (auto _ : state) {
    auto g = policy::gate(config, policy::Category::SandboxApproval);
    benchmark::DoNotOptimize(g);
  }
  state.SetLabel(state.range(0) == 0 ? "on-request (ask)" : "never (refuse, with reason)");
}
BENCHMARK(BM_gate)->Arg(0)->Arg(1);

}  // namespace
