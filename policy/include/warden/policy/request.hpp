// An approval request (what `warden review` reads and an external reviewer receives), the
// reviewer's decision, and the granular gate that decides whether a request is asked at all.
//
// Request, one JSON object per line:
//   {"id":"17","category":"sandbox_approval","kind":"file_write","syscall":"openat","pid":4242,
//    "path":"/home/u/.bashrc","host":null,"port":null,"argv":null,"command":["npm","install"],
//    "cwd":"/home/u/proj","workspace":"/home/u/proj","intent":"install deps",
//    "access":null,"reason":null,"server":null,"tool":null,"arguments":null,"annotations":null,
//    "skill":null}
// Decision: {"decision":"approve"|"deny"|"escalate","risk":"low"|"medium"|"high"|"critical",
//            "reason":"...","rule":"..."}
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "warden/policy/config.hpp"
#include "warden/policy/json.hpp"

namespace warden::policy {

// A request or decision that is not valid JSON or breaks the contract. For malformed JSON what()
// is the parser's "LINE:COL: message"; otherwise it names the field and what was expected.
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The five approval categories, as in approval_policy.granular.
enum class Category { SandboxApproval, Rules, McpElicitations, RequestPermissions, SkillApproval };
enum class Kind { FileWrite, FileRead, Network, Exec, Permissions, McpTool, Skill };
// What a `permissions` request asks for.
enum class Access { Read, Write, Network };

struct Request {
  std::string id;
  Category category = Category::SandboxApproval;
  Kind kind = Kind::FileWrite;
  std::optional<std::string> syscall;
  std::optional<std::int64_t> pid;
  std::optional<std::string> path;
  std::optional<std::string> host;
  std::optional<std::int64_t> port;                 // 0..65535
  std::optional<std::vector<std::string>> argv;     // the program being executed (exec, skill)
  std::optional<std::vector<std::string>> command;  // argv of the process that asked
  std::optional<std::string> cwd;
  std::optional<std::string> workspace;
  std::optional<std::string> intent;  // the user's stated task (WARDEN_INTENT)
  // permissions
  std::optional<Access> access;
  std::optional<std::string> reason;
  // mcp_tool: arguments is the call's JSON object; both are null when absent.
  std::optional<std::string> server;
  std::optional<std::string> tool;
  json::Value arguments;
  json::Value annotations;
  // skill
  std::optional<std::string> skill;

  bool operator==(const Request&) const = default;
};

enum class Verdict { Approve, Deny, Escalate };
enum class Risk { Low, Medium, High, Critical };

struct Decision {
  Verdict verdict = Verdict::Deny;  // a forgotten assignment fails closed
  std::optional<Risk> risk;
  std::string reason;
  std::string rule;

  bool operator==(const Decision&) const = default;
};

const char* to_string(Category c);  // "sandbox_approval", ...: the granular key
const char* to_string(Kind k);      // "file_write", ...
const char* to_string(Access a);    // "read", "write", "network"
const char* to_string(Verdict v);   // "approve", "deny", "escalate"
const char* to_string(Risk r);      // "low", "medium", "high", "critical"
std::optional<Category> category_from_string(std::string_view s);
std::optional<Kind> kind_from_string(std::string_view s);
std::optional<Access> access_from_string(std::string_view s);
std::optional<Verdict> verdict_from_string(std::string_view s);
std::optional<Risk> risk_from_string(std::string_view s);

// One line, no newline; every field present (null where missing), in the order shown above.
std::string to_json(const Request& request);
// Strict: id, category and kind are required; known fields must have their type (null counts as
// missing for the optional ones); unknown fields are ignored. Throws RequestError.
Request request_from_json(std::string_view text);

// One line: decision, risk (null when unset), reason, rule.
std::string to_json(const Decision& decision);
// Strict: decision is required; risk, reason and rule may be absent or null; unknown fields are
// ignored. Throws RequestError.
Decision decision_from_json(std::string_view text);

// Whether a category's requests go to the reviewer. When not, `reason` says which key refused.
struct Gate {
  bool ask = false;
  std::string reason;  // empty when ask
};
Gate gate(const Config& config, Category category);

}  // namespace warden::policy
