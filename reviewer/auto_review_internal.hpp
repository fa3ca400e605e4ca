// What the auto_review policy matcher and the risk classifier share: one normalized view of a
// request, built once per review so that neither parses the same argv twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auto_review_util.hpp"
#include "warden/reviewer/auto_review.hpp"

namespace warden::reviewer::detail {

struct View {
  explicit View(const policy::Request& request, std::string_view home);
  View(const View&) = delete;  // path_parts point into path
  View& operator=(const View&) = delete;

  const policy::Request& r;
  std::string_view home;
  std::string path;  // normalized; empty when the request has none
  std::vector<std::string_view> path_parts;
  std::string workspace;             // normalized; empty when unknown
  std::string cwd;                   // normalized; the workspace when unknown
  std::string host;                  // normalized; empty when none
  std::vector<Simple> argv_cmds;     // simple_commands(argv)
  std::vector<Simple> command_cmds;  // simple_commands(command)

  bool in_workspace(std::string_view p) const { return !workspace.empty() && under(p, workspace); }
  // The words of exec/skill argv, else of the command that made the request.
  const std::vector<Simple>& actor_cmds() const;
};

// The best finding so far: the highest risk, the first one on a tie.
class Scorer {
 public:
  bool beats(policy::Risk risk) const { return !found_ || risk > best_.risk; }
  void hit(policy::Risk risk, Family family, std::string check, std::string reason) {
    if (!beats(risk)) return;
    found_ = true;
    best_ = {risk, family, std::move(check), std::move(reason)};
  }
  bool found() const { return found_; }
  const Assessment& best() const { return best_; }

 private:
  bool found_ = false;
  Assessment best_;
};

// What one request's commands do, gathered while they are checked; combinations of these
// (a secret read piped into an upload) are worse than either alone.
struct Traits {
  std::string egress;  // the tool that sends data out ("curl", "nc", "scp"), empty when none
  std::string secret;  // label of a secret the commands touch
  bool env_dump = false;
  bool home_archive = false;
  bool secret_grep = false;  // a search for passwords, tokens, keys
};

// Per-request state of the classifier.
struct Ctx {
  const View& v;
  std::size_t home_depth = 0;  // components of home
  Traits traits;
  int depth = 0;  // nesting of scripts found inside commands (inline code, here-documents)
};

// Risky things the commands do (auto_review_commands.cpp).
void check_commands(Ctx& ctx, Scorer& s, const std::vector<Simple>& cmds);
// Network risk of reaching host:port (auto_review_classify.cpp); `via` names the tool, if any.
void check_host(Ctx& ctx, Scorer& s, std::string_view host, std::optional<std::int64_t> port,
                std::string_view via);
// Sensitive-path findings for a read, a mention in argv, or a write.
enum class Use { Read, Probe, Mention, Write, Delete };
void check_path(Ctx& ctx, Scorer& s, std::string_view path, Use use, std::string_view actor);
// Whether a path is a secret (a credential store); sets *label.
bool secret_path(const Ctx& ctx, std::string_view path, std::string* label);
bool is_cache_or_tmp(const Ctx& ctx, std::string_view path);
bool known_host(std::string_view host);
std::string shown_path(const Ctx& ctx, std::string_view path);  // "~/x" under home
std::string injection_in(std::string_view text);                // the phrase found, or ""
bool sink_host(std::string_view host);
bool code_host(std::string_view host);
void check_sql(Scorer& s, std::string_view text, std::string_view where);
void check_secret_material(Ctx& ctx, Scorer& s, std::string_view text, std::string_view where);

bool match_path(const PathPattern& pattern, std::string_view path,
                const std::vector<std::string_view>& parts, std::string_view workspace);
// *why (when given) gets what matched: "file_read ~/.ssh/id_rsa", "exec `git push --force`".
bool match_rule(const Rule& rule, const View& view, std::string* why = nullptr);
Assessment assess(const View& view);

}  // namespace warden::reviewer::detail
