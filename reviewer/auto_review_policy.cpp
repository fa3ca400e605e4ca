// The auto_review policy: Markdown lines starting with APPROVE, DENY or ESCALATE compiled into
// rules (grammar in auto_review.hpp), and matching rules against a request.
#include <algorithm>
#include <array>
#include <optional>

#include "auto_review_internal.hpp"

namespace warden::reviewer {

using policy::Category;
using policy::Kind;
using policy::Verdict;

namespace {

using namespace detail;

const char* verb_name(Verdict v) {
  switch (v) {
    case Verdict::Approve:
      return "APPROVE";
    case Verdict::Deny:
      return "DENY";
    case Verdict::Escalate:
      return "ESCALATE";
  }
  return "?";
}

bool in(std::string_view w, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

// The text after "[marker] VERB[:]" when the line is a rule, nullopt for prose.
std::optional<std::string_view> rule_body(std::string_view line, Verdict* verdict) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  for (int guard = 0; guard < 4; ++guard) {
    skip_space();
    if (i + 1 < line.size() &&
        (line[i] == '-' || line[i] == '*' || line[i] == '+' || line[i] == '>') &&
        (line[i + 1] == ' ' || line[i + 1] == '\t')) {
      i += 2;
      continue;
    }
    std::size_t d = i;
    while (d < line.size() && line[d] >= '0' && line[d] <= '9') ++d;
    if (d > i && d + 1 < line.size() && (line[d] == '.' || line[d] == ')') &&
        (line[d + 1] == ' ' || line[d + 1] == '\t')) {
      i = d + 2;
      continue;
    }
    break;
  }
  std::string_view bold;
  if (line.substr(i).starts_with("**") || line.substr(i).starts_with("__")) {
    bold = line.substr(i, 2);
    i += 2;
  }
  static constexpr std::array<std::pair<std::string_view, Verdict>, 3> kVerbs{
      {{"approve", Verdict::Approve}, {"deny", Verdict::Deny}, {"escalate", Verdict::Escalate}}};
  for (const auto& [name, v] : kVerbs) {
    if (line.size() - i < name.size() || !iequals(line.substr(i, name.size()), name)) continue;
    std::size_t j = i + name.size();
    if (!bold.empty() && line.substr(j).starts_with(bold)) j += 2;
    if (j < line.size() && line[j] == ':') ++j;
    if (!bold.empty() && line.substr(j).starts_with(bold)) j += 2;
    if (j < line.size() && line[j] != ' ' && line[j] != '\t') return std::nullopt;  // "Denying"
    *verdict = v;
    return line.substr(j);
  }
  return std::nullopt;
}

struct Token {
  enum class Type { Word, Operand, Comma };
  Type type;
  std::string text;  // words lower case; operands as written
};

// A bare chunk that is an operand: a path, a glob, a dotted name or a number.
bool operand_like(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] == '/' || s[0] == '~' || s[0] == '*' || s.starts_with("$HOME") ||
      s.find('/') != std::string_view::npos)
    return true;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  if (s[0] == '.' && s.size() > 1) return true;
  const auto dot = s.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < s.size();
}

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '\'' || static_cast<unsigned char>(c) >= 0x80;
}

// Splits a rule body into words, operands and commas; stops at a comment. Returns an error
// message, or "" when fine.
std::string tokenize(std::string_view body, std::vector<Token>& out) {
  std::string chunk;
  bool stop = false;
  auto flush = [&] {
    if (chunk.empty()) return;
    std::string_view c = chunk;
    bool comma = false;
    while (!c.empty() && std::string_view(".,;:!?").find(c.back()) != std::string_view::npos) {
      if (c.back() == ',') comma = true;
      if (c.back() == '.' || c.back() == ';' || c.back() == '!' || c.back() == '?') stop = true;
      c.remove_suffix(1);
    }
    const std::string low = lowered(c);
    if (low == "e.g" || low == "i.e" || low == "etc" || low == "e.g.") {
      stop = false;
    } else if (operand_like(c)) {
      out.push_back({Token::Type::Operand, std::string(c)});
    } else {
      std::string w;
      for (char ch : c) {
        if (word_char(ch)) {
          w += lower(ch);
        } else if (!w.empty()) {
          out.push_back({Token::Type::Word, std::move(w)});
          w.clear();
        }
      }
      if (!w.empty()) out.push_back({Token::Type::Word, std::move(w)});
    }
    if (comma) out.push_back({Token::Type::Comma, ","});
    chunk.clear();
  };
  std::size_t i = 0;
  while (i < body.size() && !stop) {
    const char c = body[i];
    if (c == '`') {
      flush();
      if (stop) break;
      std::size_t n = 0;
      while (i + n < body.size() && body[i + n] == '`') ++n;
      const std::string fence(n, '`');
      const auto close = body.find(fence, i + n);
      if (close == std::string_view::npos) return "unclosed backtick";
      std::string_view code = body.substr(i + n, close - i - n);
      while (!code.empty() && code.front() == ' ') code.remove_prefix(1);
      while (!code.empty() && code.back() == ' ') code.remove_suffix(1);
      if (code.empty()) return "empty code span";
      out.push_back({Token::Type::Operand, std::string(code)});
      i = close + n;
      continue;
    }
    if (c == '(') {
      flush();
      int depth = 0;
      while (i < body.size()) {
        if (body[i] == '(') ++depth;
        if (body[i] == ')' && --depth == 0) break;
        ++i;
      }
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      flush();
      // " -- ", " — ", " – " start a comment
      std::string_view rest = body.substr(i + 1);
      for (std::string_view dash : {"-- ", "\xE2\x80\x94", "\xE2\x80\x93"}) {
        if (rest.starts_with(dash) &&
            (dash.size() == 3 ? true : rest.size() == dash.size() || rest[dash.size()] == ' '))
          stop = true;
      }
      ++i;
      continue;
    }
    if (c == ';') {
      flush();
      break;
    }
    chunk += c;
    ++i;
  }
  if (!stop) flush();
  return "";
}

constexpr std::array<std::pair<std::string_view, Category>, 5> kCategoryNames{
    {{"sandbox_approval", Category::SandboxApproval},
     {"rules", Category::Rules},
     {"mcp_elicitations", Category::McpElicitations},
     {"request_permissions", Category::RequestPermissions},
     {"skill_approval", Category::SkillApproval}}};
constexpr std::array<std::pair<std::string_view, Kind>, 7> kKindNames{
    {{"file_write", Kind::FileWrite},
     {"file_read", Kind::FileRead},
     {"network", Kind::Network},
     {"exec", Kind::Exec},
     {"permissions", Kind::Permissions},
     {"mcp_tool", Kind::McpTool},
     {"skill", Kind::Skill}}};

bool is_write_word(std::string_view w) {
  return in(w,
            {"write",       "writes",       "writing",       "written",   "modify",    "modifies",
             "modifying",   "modification", "modifications", "create",    "creates",   "creating",
             "creation",    "edit",         "edits",         "editing",   "change",    "changes",
             "changing",    "delete",       "deletes",       "deleting",  "deletion",  "deletions",
             "remove",      "removes",      "removing",      "removal",   "overwrite", "overwrites",
             "overwriting", "append",       "appends",       "appending", "rename",    "renames",
             "renaming",    "save",         "saves",         "saving"});
}
bool is_read_word(std::string_view w) {
  return in(w, {"read", "reads", "reading", "open", "opens", "opening"});
}
bool is_network_word(std::string_view w) {
  return in(w, {"connection", "connections", "connect", "connects", "connecting", "networking",
                "egress", "traffic", "outbound", "download", "downloads", "downloading", "upload",
                "uploads", "uploading", "fetch", "fetches", "fetching"});
}
bool is_exec_word(std::string_view w) {
  return in(w, {"run",        "runs",        "running",   "execute",  "executes", "executing",
                "execution",  "executions",  "execs",     "invoke",   "invokes",  "invoking",
                "invocation", "invocations", "command",   "commands", "program",  "programs",
                "launch",     "launches",    "launching", "spawn",    "spawns",   "spawning"});
}
bool is_filler(std::string_view w) {
  return in(
      w,
      {"a",          "an",        "the",         "any",       "all",     "every",     "each",
       "of",         "to",        "into",        "in",        "on",      "at",        "by",
       "from",       "for",       "with",        "via",       "under",   "below",     "beneath",
       "within",     "inside",    "and",         "or",        "files",   "file",      "paths",
       "path",       "directory", "directories", "dir",       "dirs",    "folder",    "folders",
       "tree",       "trees",     "subtree",     "contents",  "that",    "which",     "are",
       "is",         "be",        "being",       "made",      "done",    "access",    "accesses",
       "accessing",  "request",   "requests",    "requested", "call",    "calls",     "operation",
       "operations", "attempt",   "attempts",    "such",      "as",      "like",      "named",
       "called",     "matching",  "hosts",       "host",      "domains", "domain",    "addresses",
       "address",    "urls",      "url",         "sites",     "site",    "endpoints", "endpoint",
       "also",       "only",      "their",       "its",       "it",      "them",      "these",
       "those",      "e",         "g",           "eg",        "ie",      "including", "anywhere",
       "over",       "using",     "through",     "raw",       "non",     "category",  "categories",
       "kind",       "kinds",     "always",      "tool",      "tools",   "server",    "servers",
       "branch",     "branches"});
}
bool is_negation(std::string_view w) {
  return in(w, {"not",     "no",      "never", "except", "excluding", "exclude", "unless",
                "without", "but",     "other", "others", "nor",       "neither", "don't",
                "dont",    "doesn't", "isn't", "aren't", "besides",   "apart"});
}

// Top-level domains that make a bare dotted name a host rather than a file.
bool host_tld(std::string_view s) {
  const auto dot = s.rfind('.');
  if (dot == std::string_view::npos) return false;
  const std::string tld = lowered(s.substr(dot + 1));
  return in(tld, {"com",    "org",  "net",  "io", "dev", "co",  "ai",    "app",  "me",
                  "xyz",    "site", "info", "us", "uk",  "de",  "cloud", "run",  "gg",
                  "st",     "moe",  "ee",   "tk", "ru",  "cn",  "fun",   "pro",  "live",
                  "online", "link", "page", "so", "lt",  "fr",  "eu",    "biz",  "tech",
                  "edu",    "gov",  "ly",   "to", "is",  "pub", "ms",    "land", "sh"}) ||
         is_ipv4(s);
}

bool host_chars(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const char l = lower(c);
    return (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '.' || l == '-' || l == '*' ||
           l == ':' || l == '_';
  });
}

enum class Mode { None, Path, Host, Command, Tool, Server, Skill, Port, Branch };

// Programs a rule may name without backticks. Kept short on purpose: any other bare word is
// an error, not a guess.
bool plain_program(std::string_view w) {
  return in(w, {"git",    "npm",     "npx",       "pnpm", "yarn",    "pip",       "pip3",
                "cargo",  "go",      "make",      "sudo", "rm",      "curl",      "wget",
                "docker", "kubectl", "terraform", "ssh",  "scp",     "rsync",     "nc",
                "chmod",  "chown",   "dd",        "mkfs", "crontab", "systemctl", "gh",
                "python", "python3", "node",      "bash", "sh",      "psql",      "mysql"});
}

struct Compiler {
  std::string_view home;
  Rule rule;
  std::vector<std::string> errors;
  Mode mode = Mode::None;
  bool mcp = false;
  bool outside_pending = false;
  bool non_pending = false;
  bool category_word = false;
  std::vector<std::string> pending_rules_words;  // "rules" waiting for "category"
  CommandPattern* branch_target = nullptr;
  std::size_t branch_index = 0;

  void add_kind(Kind k) {
    if (std::find(rule.kinds.begin(), rule.kinds.end(), k) == rule.kinds.end())
      rule.kinds.push_back(k);
  }
  void add_category(Category c) {
    if (std::find(rule.categories.begin(), rule.categories.end(), c) == rule.categories.end())
      rule.categories.push_back(c);
  }

  bool literal(std::string_view text) {
    for (const auto& [name, c] : kCategoryNames) {
      if (text == name) {
        add_category(c);
        return true;
      }
    }
    for (const auto& [name, k] : kKindNames) {
      if (text == name) {
        add_kind(k);
        if (k == Kind::McpTool) mcp = true;
        return true;
      }
    }
    return false;
  }

  void add_path(std::string_view text) {
    PathPattern p;
    p.text = std::string(text);
    std::string expanded;
    if (text == "~" || text.starts_with("~/") || text.starts_with("$HOME")) {
      if (home.empty()) {
        errors.push_back("`" + p.text + "` names the home directory, which is unknown");
        return;
      }
      expanded = std::string(home) + std::string(text.substr(text[0] == '~' ? 1 : 5));
      p.anchor = PathPattern::Anchor::Absolute;
    } else if (text.starts_with('~')) {
      errors.push_back("`" + p.text + "`: only `~` (this user's home) is understood");
      return;
    } else if (text.starts_with("./")) {
      expanded = std::string(text.substr(2));
      p.anchor = PathPattern::Anchor::Workspace;
    } else if (text.starts_with('/')) {
      expanded = std::string(text);
      p.anchor = PathPattern::Anchor::Absolute;
    } else if (text.starts_with("../") || text == "..") {
      errors.push_back("`" + p.text + "`: a path cannot start with ..");
      return;
    } else {
      expanded = std::string(text);
      p.anchor = PathPattern::Anchor::AnyDepth;
    }
    for (auto part : components(expanded)) {
      if (part == "." || part == "..") {
        errors.push_back("`" + p.text + "`: . and .. are not allowed inside a path pattern");
        return;
      }
      p.parts.emplace_back(part);
    }
    if (p.parts.empty() && p.anchor != PathPattern::Anchor::Absolute) {
      errors.push_back("`" + p.text + "` is not a path");
      return;
    }
    p.covers_below = !has_glob(expanded);
    rule.paths.push_back(std::move(p));
  }

  void add_host(std::string_view text) {
    std::string h = lowered(text);
    if (h.find("://") != std::string::npos) {
      errors.push_back("`" + std::string(text) + "`: write a host, not a URL");
      return;
    }
    if (!host_chars(h) || h.front() == '.' || h.front() == ':') {
      errors.push_back("`" + std::string(text) + "` is not a host name");
      return;
    }
    if (const auto colon = h.find(':');
        colon != std::string::npos &&
        (h.find(':', colon + 1) != std::string::npos || !parse_port(h.substr(colon + 1)))) {
      errors.push_back("`" + std::string(text) + "`: the part after ':' is not a port number");
      return;
    }
    rule.hosts.push_back(std::move(h));
  }

  void add_command(std::string_view text) {
    CommandPattern c;
    c.text = std::string(text);
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && text[i] == ' ') ++i;
      std::size_t j = i;
      while (j < text.size() && text[j] != ' ') ++j;
      if (j > i) {
        std::string w(text.substr(i, j - i));
        if (w.size() > 1 && w[0] == '-' && !c.words.empty()) {
          c.options.push_back(std::move(w));
        } else {
          c.words.push_back(std::move(w));
        }
      }
      i = j;
    }
    if (c.words.empty()) {
      errors.push_back("`" + c.text + "` names no program");
      return;
    }
    rule.commands.push_back(std::move(c));
  }

  void add_port(std::string_view text) {
    const auto port = parse_port(text);
    if (!port) {
      errors.push_back("`" + std::string(text) + "` is not a port number");
      return;
    }
    rule.port = PortFilter::Listed;
    rule.ports.push_back(*port);
  }

  void add_branch(std::string_view name) {
    auto& b = rule.commands[branch_index].branches;
    if (std::find(b.begin(), b.end(), name) == b.end()) b.emplace_back(name);
  }

  void operand(const std::string& text) {
    if (mode == Mode::Branch) {
      add_branch(text);
      return;
    }
    if (literal(text)) return;
    const bool space = text.find(' ') != std::string::npos;
    const bool rooted = text.starts_with('/') || text.starts_with('~') ||
                        text.starts_with("$HOME") || text.starts_with("./");
    const bool pathish = rooted || text.starts_with('.') || text.find('/') != std::string::npos;
    switch (mode) {
      case Mode::Port:
        add_port(text);
        return;
      case Mode::Tool:
        rule.tools.push_back(text);
        return;
      case Mode::Server:
        rule.servers.push_back(text);
        return;
      case Mode::Skill:
        rule.skills.push_back(text);
        return;
      case Mode::Path:
        if (space && !rooted) {
          add_command(text);
        } else {
          add_path(text);
        }
        return;
      case Mode::Host:
        if (space) {
          add_command(text);
        } else if (pathish) {
          errors.push_back("`" + text + "` is a path, but the words before it are about hosts");
        } else {
          add_host(text);
        }
        return;
      case Mode::Command:
        add_command(text);
        return;
      case Mode::None:
      case Mode::Branch:
        break;
    }
    if (space) {
      add_command(text);
    } else if (pathish) {
      add_path(text);
    } else if (text.find('.') != std::string::npos || text.find(':') != std::string::npos) {
      // a dotted name: a host when it ends like one (or is "*.a.b"), a file otherwise
      const bool star_host = text.starts_with("*.") &&
                             std::count(text.begin(), text.end(), '.') >= 2 && host_tld(text);
      if ((host_tld(text.substr(0, text.find(':'))) && !text.starts_with("*.")) || star_host) {
        add_host(text);
      } else {
        add_path(text);
      }
    } else if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      errors.push_back("`" + text + "`: a number needs the word \"port\" before it");
    } else {
      add_command(text);
    }
  }

  // False when the word is not understood.
  bool word(const std::string& w, const std::string& prev, const std::string& next) {
    if (mode == Mode::Branch) {
      if (in(w, {"or", "and", "the", "a", "branch", "branches", "to"})) return true;
      if (w == "default" || w == "protected") {
        add_branch("main");
        add_branch("master");
        return true;
      }
      if (!is_known(w)) {
        add_branch(w);
        return true;
      }
      mode = Mode::None;
    }
    if (w == "non-https" || w == "nonhttps" || w == "http" || w == "plain-http" ||
        w == "unencrypted" || w == "plaintext" || w == "cleartext") {
      rule.port = PortFilter::NonHttps;
      return true;
    }
    if (w == "https") {
      rule.port = non_pending ? PortFilter::NonHttps : PortFilter::Https;
      non_pending = false;
      return true;
    }
    if (w == "non") {
      non_pending = true;
      return true;
    }
    if (non_pending) {
      errors.push_back("\"non\" is understood only in \"non-HTTPS\"");
      non_pending = false;
    }
    // As a plain word "rules" is a category only next to the word "category".
    if (w == "rules" && prev != "category" && next != "category" && prev != "categories")
      return false;
    if (literal(w)) {
      if (w == "network") mode = Mode::Host;
      if (w == "skill") mode = Mode::Skill;
      if (w == "exec") mode = Mode::Command;
      if (w == "permissions" || w == "file_write" || w == "file_read") mode = Mode::Path;
      return true;
    }
    if (is_write_word(w)) {
      add_kind(Kind::FileWrite);
      mode = Mode::Path;
      return true;
    }
    if (is_read_word(w)) {
      add_kind(Kind::FileRead);
      mode = Mode::Path;
      return true;
    }
    if (is_network_word(w)) {
      add_kind(Kind::Network);
      mode = Mode::Host;
      return true;
    }
    if (is_exec_word(w)) {
      add_kind(Kind::Exec);
      mode = Mode::Command;
      return true;
    }
    if (w == "permission") {
      add_kind(Kind::Permissions);
      mode = Mode::Path;
      return true;
    }
    if (w == "skills") {
      add_kind(Kind::Skill);
      mode = Mode::Skill;
      return true;
    }
    if (w == "mcp") {
      mcp = true;
      add_kind(Kind::McpTool);
      return true;
    }
    if (mcp && (w == "tool" || w == "tools")) {
      mode = Mode::Tool;
      return true;
    }
    if (mcp && (w == "server" || w == "servers")) {
      mode = Mode::Server;
      return true;
    }
    if (w == "port" || w == "ports") {
      mode = Mode::Port;
      return true;
    }
    if (w == "ip" || w == "ips" || w == "ip-address" || w == "ip-addresses") {
      rule.raw_ip = true;
      return true;
    }
    if (w == "everything" || w == "anything") {
      rule.everything = true;
      return true;
    }
    if (w == "outside") {
      outside_pending = true;
      return true;
    }
    if (w == "workspace" || w == "workspaces") {
      rule.where = outside_pending ? Where::OutsideWorkspace : Where::InsideWorkspace;
      outside_pending = false;
      return true;
    }
    if (w == "to" && !rule.commands.empty() && mode != Mode::Path && mode != Mode::Host) {
      const auto& c = rule.commands.back();
      if (c.words.size() >= 2 && base_name(c.words[0]) == "git" && c.words[1] == "push") {
        mode = Mode::Branch;
        branch_index = rule.commands.size() - 1;
        return true;
      }
    }
    if (is_negation(w)) {
      errors.push_back("\"" + w + "\" (a negation or exception) cannot be expressed");
      return true;
    }
    return is_filler(w);
  }

  static bool is_known(std::string_view w) {
    return is_write_word(w) || is_read_word(w) || is_network_word(w) || is_exec_word(w) ||
           is_filler(w) || is_negation(w) ||
           in(w, {"network", "permission", "permissions", "skill", "skills", "mcp", "port", "ports",
                  "ip", "ips", "everything", "anything", "outside", "workspace", "https",
                  "non-https", "http", "non"});
  }
};

std::string path_note(const PathPattern& p) {
  std::vector<std::string> notes;
  if (p.anchor == PathPattern::Anchor::AnyDepth) notes.emplace_back("at any depth");
  if (p.anchor == PathPattern::Anchor::Workspace) notes.emplace_back("in the workspace");
  if (!p.parts.empty() && p.parts.back() == "**") {
    notes.emplace_back("any depth");
  } else if (p.covers_below) {
    notes.emplace_back("and below");
  }
  if (notes.empty()) return p.text;
  std::string out = p.text + " (";
  for (std::size_t i = 0; i < notes.size(); ++i) out += (i ? ", " : "") + notes[i];
  return out + ")";
}

template <class T, class F>
std::string join(const std::vector<T>& items, F f, const char* sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += f(items[i]);
  }
  return out;
}

std::string describe(const Rule& r) {
  std::string d = verb_name(r.verdict);
  auto add = [&](const std::string& s) {
    d += ' ';
    d += s;
  };
  if (r.everything && r.kinds.empty()) {
    add("everything");
  } else if (r.kinds.empty()) {
    add("any kind");
  } else {
    add(join(r.kinds, [](Kind k) { return std::string(policy::to_string(k)); }));
  }
  if (!r.categories.empty())
    add(std::string(r.categories.size() > 1 ? "in categories " : "in category ") +
        join(r.categories, [](Category c) { return std::string(policy::to_string(c)); }));
  if (!r.paths.empty()) add((r.paths.size() > 1 ? "paths " : "path ") + join(r.paths, path_note));
  if (!r.hosts.empty())
    add((r.hosts.size() > 1 ? "hosts " : "host ") +
        join(r.hosts, [](const std::string& h) { return h; }));
  if (!r.commands.empty())
    add((r.commands.size() > 1 ? "commands " : "command ") +
        join(r.commands, [](const CommandPattern& c) {
          std::string s = "`" + c.text + "`";
          if (!c.branches.empty())
            s += " to " + join(
                              c.branches, [](const std::string& b) { return b; }, "|");
          return s;
        }));
  auto names = [](const std::vector<std::string>& v) {
    return join(v, [](const std::string& s) { return s; });
  };
  if (!r.servers.empty()) add("MCP server " + names(r.servers));
  if (!r.tools.empty()) add("MCP tool " + names(r.tools));
  if (!r.skills.empty()) add("skill " + names(r.skills));
  switch (r.port) {
    case PortFilter::Https:
      add("on port 443 (HTTPS)");
      break;
    case PortFilter::NonHttps:
      add("on a port other than 443 (non-HTTPS)");
      break;
    case PortFilter::Listed:
      add((r.ports.size() > 1 ? "on ports " : "on port ") +
          join(r.ports, [](int p) { return std::to_string(p); }));
      break;
    case PortFilter::Any:
      break;
  }
  if (r.raw_ip) add("to a raw IP address");
  if (r.where == Where::InsideWorkspace) add("inside the workspace");
  if (r.where == Where::OutsideWorkspace) add("outside the workspace");
  return d;
}

bool has_kind(const Rule& r, std::initializer_list<Kind> ks) {
  for (Kind k : ks) {
    if (std::find(r.kinds.begin(), r.kinds.end(), k) != r.kinds.end()) return true;
  }
  return false;
}

// Fills in implied kinds and checks that operands fit the kinds. Returns an error or "".
std::string finish(Rule& r) {
  if (r.kinds.empty()) {
    if (!r.paths.empty()) {
      r.kinds = {Kind::FileRead, Kind::FileWrite};
    } else if (!r.hosts.empty() || r.port != PortFilter::Any || r.raw_ip) {
      r.kinds = {Kind::Network};
    } else if (!r.tools.empty() || !r.servers.empty()) {
      r.kinds = {Kind::McpTool};
    } else if (!r.skills.empty()) {
      r.kinds = {Kind::Skill};
    }
  }
  const bool any = r.kinds.empty();
  if (!r.paths.empty() && !any &&
      !has_kind(r, {Kind::FileRead, Kind::FileWrite, Kind::Permissions, Kind::Exec, Kind::Skill}))
    return "a path cannot match " +
           join(r.kinds, [](Kind k) { return std::string(policy::to_string(k)); }) + " requests";
  if ((!r.hosts.empty() || r.port != PortFilter::Any || r.raw_ip) && !any &&
      !has_kind(r, {Kind::Network, Kind::Permissions}))
    return "hosts and ports only match network requests";
  if ((!r.tools.empty() || !r.servers.empty()) && !has_kind(r, {Kind::McpTool}))
    return "MCP tools and servers only match mcp_tool requests";
  if (!r.skills.empty() && !has_kind(r, {Kind::Skill}))
    return "skill names only match skill requests";
  const bool selects = r.everything || !r.kinds.empty() || !r.categories.empty() ||
                       !r.paths.empty() || !r.hosts.empty() || !r.commands.empty() ||
                       r.where != Where::Anywhere;
  if (!selects) return "names nothing to match (put paths, hosts or commands in `backticks`)";
  return "";
}

}  // namespace

CompiledPolicy compile_policy(std::string_view text, std::string_view home) {
  CompiledPolicy out;
  int line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    ++line_no;
    start = end + 1;

    Verdict verdict{};
    const auto body = rule_body(line, &verdict);
    if (!body) {
      if (end == text.size()) break;
      continue;
    }
    auto warn = [&](const std::string& why) {
      out.warnings.push_back({line_no, "line " + std::to_string(line_no) + ": " +
                                           verb_name(verdict) + " not understood: " + why +
                                           "; the line is ignored"});
    };
    std::vector<Token> tokens;
    if (auto err = tokenize(*body, tokens); !err.empty()) {
      warn(err);
      if (end == text.size()) break;
      continue;
    }
    Compiler c;
    c.home = home;
    c.rule.line = line_no;
    c.rule.verdict = verdict;
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      if (t.type == Token::Type::Comma) continue;
      if (t.type == Token::Type::Operand) {
        c.operand(t.text);
        continue;
      }
      // A well-known program named without backticks ("DENY git push to main"): the command
      // runs to the next word of the grammar, comma or end of the line.
      if (plain_program(t.text) && !Compiler::is_known(t.text) &&
          (c.mode == Mode::None || c.mode == Mode::Command || c.mode == Mode::Path ||
           c.mode == Mode::Host)) {
        std::string cmd = t.text;
        while (i + 1 < tokens.size() && tokens[i + 1].type != Token::Type::Comma &&
               (tokens[i + 1].type == Token::Type::Operand ||
                !Compiler::is_known(tokens[i + 1].text))) {
          cmd += ' ';
          cmd += tokens[++i].text;
        }
        c.add_command(cmd);
        continue;
      }
      const std::string& prev =
          i > 0 && tokens[i - 1].type == Token::Type::Word ? tokens[i - 1].text : std::string();
      const std::string& next = i + 1 < tokens.size() && tokens[i + 1].type == Token::Type::Word
                                    ? tokens[i + 1].text
                                    : std::string();
      if (!c.word(t.text, prev, next)) unknown.push_back(t.text);
    }
    if (c.outside_pending) c.errors.emplace_back("\"outside\" needs \"the workspace\" after it");
    if (!unknown.empty()) {
      std::string list;
      for (std::size_t i = 0; i < unknown.size() && i < 4; ++i)
        list += (i ? ", \"" : "\"") + unknown[i] + "\"";
      c.errors.push_back("cannot understand " + list);
    }
    if (c.errors.empty()) {
      if (auto err = finish(c.rule); !err.empty()) c.errors.push_back(err);
    }
    if (!c.errors.empty()) {
      warn(c.errors.front());
    } else {
      c.rule.description = describe(c.rule);
      out.understood.push_back("line " + std::to_string(line_no) + ": " + c.rule.description);
      out.rules.push_back(std::move(c.rule));
    }
    if (end == text.size()) break;
  }
  return out;
}

std::vector<std::string> render_policy(const CompiledPolicy& policy) {
  std::vector<std::string> out;
  if (policy.rules.empty())
    out.emplace_back("no rules: every request is decided by the built-in risk checks alone");
  out.insert(out.end(), policy.understood.begin(), policy.understood.end());
  for (const auto& w : policy.warnings) out.push_back("warning: " + w.message);
  return out;
}

namespace detail {

bool match_path(const PathPattern& p, std::string_view path,
                const std::vector<std::string_view>& parts, std::string_view workspace) {
  if (path.empty()) return false;
  switch (p.anchor) {
    case PathPattern::Anchor::Absolute:
      return glob_components(p.parts, parts, p.covers_below);
    case PathPattern::Anchor::Workspace: {
      if (workspace.empty() || !under(path, workspace)) return false;
      const std::size_t skip = components(workspace).size();
      return glob_components(p.parts, std::span(parts).subspan(skip), p.covers_below);
    }
    case PathPattern::Anchor::AnyDepth:
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (glob_components(p.parts, std::span(parts).subspan(i), p.covers_below)) return true;
      }
      return false;
  }
  return false;
}

namespace {

bool is_option(std::string_view w) {
  return w.size() > 1 && w[0] == '-';
}

// The plain words after the program, skipping options (and git's global options' values).
std::vector<std::string_view> plain_words(const std::vector<std::string>& words) {
  std::vector<std::string_view> out;
  const bool git = base_name(words[0]) == "git";
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") {
      for (++i; i < words.size(); ++i) out.push_back(words[i]);
      break;
    }
    if (is_option(w)) {
      if (git && out.empty() &&
          (w == "-C" || w == "-c" || w == "--git-dir" || w == "--work-tree" || w == "--namespace"))
        ++i;
      continue;
    }
    out.push_back(w);
  }
  return out;
}

// Long spellings of short options, for the commands where they are well known.
std::string_view long_form(std::string_view prog, char c) {
  if (prog == "rm" || prog == "cp" || prog == "chmod" || prog == "chown") {
    if (c == 'r' || c == 'R') return "--recursive";
    if (c == 'f') return "--force";
  }
  if (prog == "git" && c == 'f') return "--force";
  if (prog == "git" && c == 'd') return "--delete";
  return {};
}

bool option_present(std::string_view prog, std::string_view opt,
                    const std::vector<std::string>& words) {
  const bool git_push = prog == "git" && words.size() > 1;
  auto has_long = [&](std::string_view name) {
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w == name || (w.starts_with(name) && w.size() > name.size() && w[name.size()] == '='))
        return true;
      if (git_push && name == "--force" && w.size() > 1 && w[0] == '+') return true;
    }
    return false;
  };
  auto has_short = [&](char c) {
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.size() > 1 && w[0] == '-' && w[1] != '-') {
        if (w.find(c, 1) != std::string::npos) return true;
        if ((c == 'r' || c == 'R') && prog == "rm" &&
            w.find(c == 'r' ? 'R' : 'r', 1) != std::string::npos)
          return true;
      }
    }
    if (auto l = long_form(prog, c); !l.empty()) return has_long(l);
    return false;
  };
  if (opt.starts_with("--")) {
    if (has_long(opt)) return true;
    // "--force" is also satisfied by its short spelling
    for (char c : std::string_view("rRfd")) {
      if (long_form(prog, c) == opt && has_short(c)) return true;
    }
    return false;
  }
  for (std::size_t i = 1; i < opt.size(); ++i) {
    if (!has_short(opt[i])) return false;
  }
  return true;
}

// Destination branches of "git push [options] [remote] [refspec...]".
std::vector<std::string> push_destinations(const std::vector<std::string_view>& plain) {
  std::vector<std::string> out;
  // plain[0] == "push", plain[1] the remote
  for (std::size_t i = 2; i < plain.size(); ++i) {
    std::string_view ref = plain[i];
    if (ref.starts_with('+')) ref.remove_prefix(1);
    if (auto colon = ref.find(':'); colon != std::string_view::npos) ref = ref.substr(colon + 1);
    if (ref.starts_with("refs/heads/")) ref.remove_prefix(11);
    if (!ref.empty()) out.emplace_back(ref);
  }
  return out;
}

bool match_command(const CommandPattern& c, const Simple& s) {
  if (s.words.empty()) return false;
  const std::string_view prog = base_name(s.words[0]);
  const std::string& want = c.words[0];
  const bool prog_ok =
      want.find('/') != std::string::npos ? glob_match(want, s.words[0]) : glob_match(want, prog);
  if (!prog_ok) return false;
  if (c.words.size() > 1 || !c.branches.empty()) {
    const auto plain = plain_words(s.words);
    if (plain.size() < c.words.size() - 1) return false;
    for (std::size_t i = 1; i < c.words.size(); ++i) {
      if (!glob_match(c.words[i], plain[i - 1])) return false;
    }
    if (!c.branches.empty()) {
      const auto dest = push_destinations(plain);
      bool hit = false;
      for (const auto& d : dest) {
        if (std::find(c.branches.begin(), c.branches.end(), d) != c.branches.end()) hit = true;
      }
      if (!hit) return false;
    }
  }
  for (const auto& o : c.options) {
    if (!option_present(prog, o, s.words)) return false;
  }
  return true;
}

bool kind_ok(const Rule& rule, const policy::Request& r) {
  if (rule.kinds.empty()) return true;
  for (Kind k : rule.kinds) {
    if (k == r.kind) return true;
    if (r.kind == Kind::Permissions && r.access) {
      if ((*r.access == policy::Access::Read && k == Kind::FileRead) ||
          (*r.access == policy::Access::Write && k == Kind::FileWrite) ||
          (*r.access == policy::Access::Network && k == Kind::Network))
        return true;
    }
  }
  return false;
}

bool host_ok(const std::string& pattern, const View& v) {
  if (v.host.empty()) return false;
  std::string_view host = pattern;
  std::optional<int> port;
  if (auto colon = pattern.rfind(':');
      colon != std::string::npos && pattern.find(':') == colon && colon + 1 < pattern.size()) {
    host = std::string_view(pattern).substr(0, colon);
    port = parse_port(std::string_view(pattern).substr(colon + 1));
    if (!port) return false;
  }
  if (!host_match(host, v.host)) return false;
  return !port || (v.r.port && *v.r.port == *port);
}

bool name_ok(const std::vector<std::string>& patterns, const std::optional<std::string>& name) {
  if (!name) return false;
  for (const auto& p : patterns) {
    if (glob_match(p, *name)) return true;
  }
  return false;
}

// Where a request acts, for "inside/outside the workspace".
std::vector<std::string> locations(const View& v) {
  std::vector<std::string> out;
  const Kind k = v.r.kind;
  if (!v.path.empty() && k != Kind::Exec && k != Kind::Skill) {
    out.push_back(v.path);
    return out;
  }
  if ((k == Kind::Exec || k == Kind::Skill) && v.r.argv) {
    for (const auto& s : v.argv_cmds) {
      for (std::size_t i = 1; i < s.words.size(); ++i) {
        const std::string& w = s.words[i];
        if (is_option(w) || w.find("://") != std::string::npos) continue;
        if (!(w.starts_with('/') || w.starts_with('~') || w.starts_with('.') ||
              w.starts_with('$') || w.find('/') != std::string::npos))
          continue;
        if (auto p = resolve_word(w, v.home, v.cwd)) out.push_back(std::move(*p));
      }
      for (const auto& w : s.out) {
        if (auto p = resolve_word(w, v.home, v.cwd)) out.push_back(std::move(*p));
      }
    }
  }
  if (out.empty() && !v.cwd.empty()) out.push_back(v.cwd);
  return out;
}

}  // namespace

bool match_rule(const Rule& rule, const View& v, std::string* why) {
  const policy::Request& r = v.r;
  if (!kind_ok(rule, r)) return false;
  if (!rule.categories.empty() && std::find(rule.categories.begin(), rule.categories.end(),
                                            r.category) == rule.categories.end())
    return false;
  std::vector<std::string_view> matched;
  if (!rule.paths.empty()) {
    auto it = std::find_if(rule.paths.begin(), rule.paths.end(), [&](const PathPattern& p) {
      return match_path(p, v.path, v.path_parts, v.workspace);
    });
    if (it == rule.paths.end()) return false;
    matched.push_back(it->text);
  }
  if (!rule.hosts.empty()) {
    auto it = std::find_if(rule.hosts.begin(), rule.hosts.end(),
                           [&](const std::string& h) { return host_ok(h, v); });
    if (it == rule.hosts.end()) return false;
    matched.push_back(*it);
  }
  switch (rule.port) {
    case PortFilter::Https:
      if (!r.port || *r.port != 443) return false;
      break;
    case PortFilter::NonHttps:
      if (v.host.empty() || (r.port && *r.port == 443)) return false;
      break;
    case PortFilter::Listed:
      if (!r.port || std::find(rule.ports.begin(), rule.ports.end(), *r.port) == rule.ports.end())
        return false;
      break;
    case PortFilter::Any:
      break;
  }
  if (rule.raw_ip && (v.host.empty() || !is_ip(v.host))) return false;
  if (!rule.commands.empty()) {
    const auto& cmds = v.actor_cmds();
    const CommandPattern* hit = nullptr;
    for (const auto& c : rule.commands) {
      if (std::any_of(cmds.begin(), cmds.end(),
                      [&](const Simple& s) { return match_command(c, s); })) {
        hit = &c;
        break;
      }
    }
    if (hit == nullptr) return false;
    matched.push_back(hit->text);
  }
  if (!rule.tools.empty() && !name_ok(rule.tools, r.tool)) return false;
  if (!rule.servers.empty() && !name_ok(rule.servers, r.server)) return false;
  if (!rule.skills.empty() && !name_ok(rule.skills, r.skill)) return false;
  if (rule.where != Where::Anywhere) {
    const auto locs = locations(v);
    // An unknown workspace counts as outside: "inside" then never matches.
    const bool all_inside =
        !locs.empty() && std::all_of(locs.begin(), locs.end(),
                                     [&](const std::string& p) { return v.in_workspace(p); });
    if (rule.where == Where::InsideWorkspace && !all_inside) return false;
    if (rule.where == Where::OutsideWorkspace && all_inside) return false;
  }
  if (why != nullptr) {
    *why = policy::to_string(r.kind);
    for (auto m : matched) {
      *why += ' ';
      *why += m;
    }
    if (rule.where == Where::InsideWorkspace) *why += " inside the workspace";
    if (rule.where == Where::OutsideWorkspace) *why += " outside the workspace";
    if (matched.empty() && rule.where == Where::Anywhere) *why = rule.description;
  }
  return true;
}

View::View(const policy::Request& request, std::string_view home_dir) : r(request), home(home_dir) {
  if (r.workspace && !r.workspace->empty()) workspace = normalize_path(*r.workspace);
  if (r.cwd && !r.cwd->empty()) {
    cwd = normalize_path(*r.cwd);
  } else {
    cwd = workspace;
  }
  if (r.path && !r.path->empty()) {
    // Paths in requests are absolute; a relative one is taken from the cwd.
    path = (*r.path)[0] == '/' || cwd.empty() ? normalize_path(*r.path)
                                              : normalize_path(cwd + "/" + *r.path);
    path_parts = components(path);
  }
  if (r.host) host = normalize_host(*r.host);
  if (r.argv) argv_cmds = simple_commands(*r.argv);
  if (r.command) command_cmds = simple_commands(*r.command);
}

const std::vector<Simple>& View::actor_cmds() const {
  return r.kind == Kind::Exec || r.kind == Kind::Skill ? argv_cmds : command_cmds;
}

}  // namespace detail

bool rule_matches(const Rule& rule, const policy::Request& request, std::string_view home) {
  const detail::View v(request, home);
  return detail::match_rule(rule, v);
}

}  // namespace warden::reviewer
