#include "warden/policy/request.hpp"

#include <array>
#include <limits>
#include <utility>

namespace warden::policy {

namespace {

template <class E, std::size_t N>
using Names = std::array<std::pair<E, const char*>, N>;

constexpr Names<Category, 5> kCategories{{{Category::SandboxApproval, "sandbox_approval"},
                                          {Category::Rules, "rules"},
                                          {Category::McpElicitations, "mcp_elicitations"},
                                          {Category::RequestPermissions, "request_permissions"},
                                          {Category::SkillApproval, "skill_approval"}}};
constexpr Names<Kind, 7> kKinds{{{Kind::FileWrite, "file_write"},
                                 {Kind::FileRead, "file_read"},
                                 {Kind::Network, "network"},
                                 {Kind::Exec, "exec"},
                                 {Kind::Permissions, "permissions"},
                                 {Kind::McpTool, "mcp_tool"},
                                 {Kind::Skill, "skill"}}};
constexpr Names<Access, 3> kAccesses{
    {{Access::Read, "read"}, {Access::Write, "write"}, {Access::Network, "network"}}};
constexpr Names<Verdict, 3> kVerdicts{
    {{Verdict::Approve, "approve"}, {Verdict::Deny, "deny"}, {Verdict::Escalate, "escalate"}}};
constexpr Names<Risk, 4> kRisks{{{Risk::Low, "low"},
                                 {Risk::Medium, "medium"},
                                 {Risk::High, "high"},
                                 {Risk::Critical, "critical"}}};

template <class E, std::size_t N>
const char* name_of(const Names<E, N>& names, E e) {
  for (const auto& [value, name] : names) {
    if (value == e) return name;
  }
  return "?";  // only for a value cast from outside the enum
}

template <class E, std::size_t N>
std::optional<E> value_of(const Names<E, N>& names, std::string_view s) {
  for (const auto& [value, name] : names) {
    if (s == name) return value;
  }
  return std::nullopt;
}

// "one of \"a\", \"b\" or \"c\"", for messages.
template <class E, std::size_t N>
std::string one_of(const Names<E, N>& names) {
  std::string out = "one of ";
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += json::quote(names[i].second);
  }
  return out;
}

std::string describe(const json::Value& v) {
  if (v.is_string()) return "the string " + json::quote(v.as_string());
  return v.type_name();
}

json::Value parse_object(std::string_view text, const char* what) {
  json::Value root;
  try {
    root = json::parse(text);
  } catch (const json::ParseError& e) {
    throw RequestError(e.what());
  }
  if (!root.is_object()) {
    throw RequestError(std::string(what) + ": expected a JSON object, got " + root.type_name());
  }
  return root;
}

// Typed access to an object's members; every failure names the field.
class Fields {
 public:
  explicit Fields(const json::Value& object) : object_(object) {}

  [[noreturn]] static void fail(std::string_view key, const std::string& expected,
                                const json::Value& got) {
    throw RequestError(std::string(key) + ": expected " + expected + ", got " + describe(got));
  }

  // nullptr when absent or null: both mean "missing".
  const json::Value* get(std::string_view key) const {
    const json::Value* v = object_.find(key);
    return v && !v->is_null() ? v : nullptr;
  }

  const json::Value& required(std::string_view key) const {
    const json::Value* v = get(key);
    if (!v) throw RequestError("missing required field " + json::quote(key));
    return *v;
  }

  std::optional<std::string> string(std::string_view key) const {
    const json::Value* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, "a string", *v);
    return v->as_string();
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo,
                                      std::int64_t hi) const {
    const json::Value* v = get(key);
    if (!v) return std::nullopt;
    const std::string expected =
        "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (!v->is_int()) fail(key, expected, *v);
    const std::int64_t n = v->as_int();
    if (n < lo || n > hi) fail(key, expected, *v);
    return n;
  }

  std::optional<std::vector<std::string>> strings(std::string_view key) const {
    const json::Value* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_array()) fail(key, "an array of strings", *v);
    std::vector<std::string> out;
    const json::Value::Array& items = v->as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        fail(std::string(key) + "[" + std::to_string(i) + "]", "a string", items[i]);
      }
      out.push_back(items[i].as_string());
    }
    return out;
  }

  json::Value object(std::string_view key) const {
    const json::Value* v = get(key);
    if (!v) return {};
    if (!v->is_object()) fail(key, "an object", *v);
    return *v;
  }

  template <class E, std::size_t N>
  std::optional<E> enumerated(std::string_view key, const Names<E, N>& names) const {
    const json::Value* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, one_of(names), *v);
    std::optional<E> e = value_of(names, v->as_string());
    if (!e) fail(key, one_of(names), *v);
    return e;
  }

  template <class E, std::size_t N>
  E required_enum(std::string_view key, const Names<E, N>& names) const {
    required(key);
    return *enumerated(key, names);
  }

 private:
  const json::Value& object_;
};

void put(json::Writer& w, std::string_view key, const std::optional<std::string>& s) {
  w.key(key);
  if (s) {
    w.string(*s);
  } else {
    w.null();
  }
}

void put(json::Writer& w, std::string_view key, const std::optional<std::int64_t>& n) {
  w.key(key);
  if (n) {
    w.number(*n);
  } else {
    w.null();
  }
}

void put(json::Writer& w, std::string_view key, const std::optional<std::vector<std::string>>& a) {
  w.key(key);
  if (!a) {
    w.null();
    return;
  }
  w.begin_array();
  for (const std::string& s : *a) w.string(s);
  w.end_array();
}

void put(json::Writer& w, std::string_view key, const json::Value& v) {
  w.key(key).raw(json::serialize(v));
}

}  // namespace

const char* to_string(Category c) {
  return name_of(kCategories, c);
}
const char* to_string(Kind k) {
  return name_of(kKinds, k);
}
const char* to_string(Access a) {
  return name_of(kAccesses, a);
}
const char* to_string(Verdict v) {
  return name_of(kVerdicts, v);
}
const char* to_string(Risk r) {
  return name_of(kRisks, r);
}
std::optional<Category> category_from_string(std::string_view s) {
  return value_of(kCategories, s);
}
std::optional<Kind> kind_from_string(std::string_view s) {
  return value_of(kKinds, s);
}
std::optional<Access> access_from_string(std::string_view s) {
  return value_of(kAccesses, s);
}
std::optional<Verdict> verdict_from_string(std::string_view s) {
  return value_of(kVerdicts, s);
}
std::optional<Risk> risk_from_string(std::string_view s) {
  return value_of(kRisks, s);
}

std::string to_json(const Request& r) {
  json::Writer w;
  w.begin_object();
  w.key("id").string(r.id);
  w.key("category").string(to_string(r.category));
  w.key("kind").string(to_string(r.kind));
  put(w, "syscall", r.syscall);
  put(w, "pid", r.pid);
  put(w, "path", r.path);
  put(w, "host", r.host);
  put(w, "port", r.port);
  put(w, "argv", r.argv);
  put(w, "command", r.command);
  put(w, "cwd", r.cwd);
  put(w, "workspace", r.workspace);
  put(w, "intent", r.intent);
  put(w, "access", r.access ? std::optional<std::string>(to_string(*r.access)) : std::nullopt);
  put(w, "reason", r.reason);
  put(w, "server", r.server);
  put(w, "tool", r.tool);
  put(w, "arguments", r.arguments);
  put(w, "annotations", r.annotations);
  put(w, "skill", r.skill);
  w.end_object();
  return w.take();
}

Request request_from_json(std::string_view text) {
  const json::Value root = parse_object(text, "request");
  const Fields f(root);
  Request r;
  // The required fields first, so a request missing one is reported for that.
  const json::Value& id = f.required("id");
  if (!id.is_string()) Fields::fail("id", "a string", id);
  r.id = id.as_string();
  r.category = f.required_enum("category", kCategories);
  r.kind = f.required_enum("kind", kKinds);
  r.syscall = f.string("syscall");
  r.pid = f.integer("pid", 0, std::numeric_limits<std::int32_t>::max());  // pid_t
  r.path = f.string("path");
  r.host = f.string("host");
  r.port = f.integer("port", 0, 65535);
  r.argv = f.strings("argv");
  r.command = f.strings("command");
  r.cwd = f.string("cwd");
  r.workspace = f.string("workspace");
  r.intent = f.string("intent");
  r.access = f.enumerated("access", kAccesses);
  r.reason = f.string("reason");
  r.server = f.string("server");
  r.tool = f.string("tool");
  r.arguments = f.object("arguments");
  r.annotations = f.object("annotations");
  r.skill = f.string("skill");
  return r;
}

std::string to_json(const Decision& d) {
  json::Writer w;
  w.begin_object();
  w.key("decision").string(to_string(d.verdict));
  w.key("risk");
  if (d.risk) {
    w.string(to_string(*d.risk));
  } else {
    w.null();
  }
  w.key("reason").string(d.reason);
  w.key("rule").string(d.rule);
  w.end_object();
  return w.take();
}

Decision decision_from_json(std::string_view text) {
  const json::Value root = parse_object(text, "decision");
  const Fields f(root);
  Decision d;
  d.verdict = f.required_enum("decision", kVerdicts);
  d.risk = f.enumerated("risk", kRisks);
  d.reason = f.string("reason").value_or("");
  d.rule = f.string("rule").value_or("");
  return d;
}

Gate gate(const Config& config, Category category) {
  const ApprovalPolicy& policy = config.approval_policy.value;
  if (policy.kind == ApprovalKind::Never) {
    return {false, "approval required by policy, but approval_policy is never"};
  }
  const Granular& g = policy.granular;
  bool allowed = false;
  switch (category) {
    case Category::SandboxApproval:
      allowed = g.sandbox_approval;
      break;
    case Category::Rules:
      allowed = g.rules;
      break;
    case Category::McpElicitations:
      allowed = g.mcp_elicitations;
      break;
    case Category::RequestPermissions:
      allowed = g.request_permissions;
      break;
    case Category::SkillApproval:
      allowed = g.skill_approval;
      break;
  }
  if (allowed) return {true, {}};
  return {false, std::string("approval required by policy, but approval_policy.granular.") +
                     to_string(category) + " is false"};
}

}  // namespace warden::policy
