// policy::load_config on fuzzed TOML.
//
// Input: the first line is one `-c KEY=VALUE` override (none when the line is empty), the rest is
// config.toml. A line "%%requirements" splits off a managed requirements.toml after it.
// Properties: only ConfigError escapes, and a loaded config's to_toml() loads back (without
// requirements, which it has already applied) to the same values, as config_emit.cpp promises.
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "warden/policy/config.hpp"

namespace {

using namespace warden::policy;
using warden::fuzz::fail;

const warden::fuzz::ScratchDir& scratch() {
  static const warden::fuzz::ScratchDir dir;
  return dir;
}

LoadOptions base_options() {
  LoadOptions opt;
  // Nothing of the machine's may leak in: no HOME, no /etc/warden/requirements.toml.
  opt.home = "/nonexistent";
  opt.warden_home = "/nonexistent/.warden";
  opt.default_requirements_file = scratch().path("absent-requirements.toml");
  return opt;
}

template <class T>
bool same(const Sourced<T>& a, const Sourced<T>& b) {
  return a.value == b.value;
}

bool same(const Sourced<ApprovalPolicy>& a, const Sourced<ApprovalPolicy>& b) {
  const Granular &x = a.value.granular, &y = b.value.granular;
  return a.value.kind == b.value.kind && x.sandbox_approval == y.sandbox_approval &&
         x.rules == y.rules && x.mcp_elicitations == y.mcp_elicitations &&
         x.request_permissions == y.request_permissions && x.skill_approval == y.skill_approval;
}

// The first field whose value differs, or nullptr. Sources and warnings differ by design.
const char* differs(const Config& a, const Config& b) {
#define WARDEN_FUZZ_FIELD(f) \
  if (!same(a.f, b.f)) return #f;
  WARDEN_FUZZ_FIELD(sandbox_mode)
  WARDEN_FUZZ_FIELD(approval_policy)
  WARDEN_FUZZ_FIELD(approvals_reviewer)
  WARDEN_FUZZ_FIELD(writable_roots)
  WARDEN_FUZZ_FIELD(network_access)
  WARDEN_FUZZ_FIELD(exclude_tmpdir_env_var)
  WARDEN_FUZZ_FIELD(exclude_slash_tmp)
  WARDEN_FUZZ_FIELD(auto_review_policy)
  WARDEN_FUZZ_FIELD(auto_review_extra_policy)
  WARDEN_FUZZ_FIELD(deny_read)
  WARDEN_FUZZ_FIELD(protected_paths)
  WARDEN_FUZZ_FIELD(network_allow)
  WARDEN_FUZZ_FIELD(skill_roots)
  WARDEN_FUZZ_FIELD(exec_rules)
  WARDEN_FUZZ_FIELD(on_deny)
  WARDEN_FUZZ_FIELD(hold_reads)
  WARDEN_FUZZ_FIELD(review_timeout_s)
  WARDEN_FUZZ_FIELD(reviewer_command)
#undef WARDEN_FUZZ_FIELD
  return nullptr;
}

void check_round_trip(const Config& cfg) {
  const std::string emitted = to_toml(cfg);
  LoadOptions opt = base_options();
  opt.config_file = scratch().write("emitted.toml", emitted);
  Config again;
  try {
    again = load_config(opt);
  } catch (const ConfigError& e) {
    fail(std::string("to_toml() output does not load: ") + e.what(), emitted);
  }
  if (const char* field = differs(cfg, again)) {
    fail(std::string("to_toml() output loads back with a different ") + field, emitted);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = warden::fuzz::text(data, size);
  const auto nl = input.find('\n');
  const std::string_view override_line = input.substr(0, nl);
  std::string_view config = nl == std::string_view::npos ? "" : input.substr(nl + 1);
  std::string_view requirements;
  bool has_requirements = false;
  static constexpr std::string_view kSplit = "\n%%requirements\n";
  if (const auto at = config.find(kSplit); at != std::string_view::npos) {
    requirements = config.substr(at + kSplit.size());
    config = config.substr(0, at);
    has_requirements = true;
  }

  LoadOptions opt = base_options();
  opt.config_file = scratch().write("config.toml", config);
  if (has_requirements) opt.requirements_file = scratch().write("requirements.toml", requirements);
  if (!override_line.empty()) opt.overrides.emplace_back(override_line);

  Config cfg;
  try {
    cfg = load_config(opt);
  } catch (const ConfigError&) {
    return 0;
  } catch (const std::exception& e) {
    fail(std::string("load_config threw something other than ConfigError: ") + e.what());
  }
  check_round_trip(cfg);
  return 0;
}
