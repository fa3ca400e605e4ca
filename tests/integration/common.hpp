// Shared by the integration tests: an isolated warden configuration.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "warden/policy/json.hpp"

namespace warden::test {

// Its own WARDEN_HOME and an empty requirements file, so the machine's configuration never
// leaks into a test.
class Env {
 public:
  Env() {
    write_text(home_ / "requirements.toml", "");
    ::chmod(home_.path().c_str(), 0755);
  }
  const TempDir& home() const { return home_; }
  std::vector<std::string> argv(const std::string& ws, const std::vector<std::string>& options,
                                const std::vector<std::string>& cmd) const {
    // Nobody answers the user reviewer in tests (no terminal, no `warden approve`): requests
    // that reach it are denied after this wait instead of the default 60 s.
    std::vector<std::string> a{
        warden(),           "run", "-C", ws, "--requirements", home_ / "requirements.toml",
        "--review-timeout", "1"};
    a.insert(a.end(), options.begin(), options.end());
    a.push_back("--");
    a.insert(a.end(), cmd.begin(), cmd.end());
    return a;
  }
  RunOptions options(std::optional<std::pair<uid_t, gid_t>> user = std::nullopt) const {
    RunOptions o;
    o.env = {"WARDEN_HOME=" + home_.path()};
    o.user = user;
    return o;
  }

 private:
  TempDir home_;
};

// The audit log's events of one kind ("request", "start", "exit"), parsed.
inline std::vector<policy::json::Value> audit_events(const std::string& path, const char* event) {
  std::vector<policy::json::Value> out;
  auto text = read_text(path);
  if (!text) return out;
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    auto v = policy::json::parse(text->substr(start, nl - start));
    if (v.find("event")->as_string() == event) out.push_back(std::move(v));
    start = nl + 1;
  }
  return out;
}

inline std::vector<std::string> probe_cmd(std::initializer_list<std::string> args) {
  std::vector<std::string> v{probe()};
  v.insert(v.end(), args);
  return v;
}

}  // namespace warden::test
