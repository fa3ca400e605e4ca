// The auto_review risk checks on command lines: what a program is asked to do with its
// arguments, one simple command at a time (scripts and wrappers already split by
// simple_commands).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include "auto_review_internal.hpp"

namespace warden::reviewer::detail {

using policy::Risk;

namespace {

bool one_of(std::string_view w, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

bool is_option(std::string_view w) {
  return w.size() > 1 && w[0] == '-';
}

bool private_ip_like(std::string_view h) {
  return h.starts_with("10.") || h.starts_with("192.168.") || h.starts_with("172.16.") ||
         h.ends_with(".local") || h.ends_with(".internal") || h.ends_with(".lan");
}

// One simple command being judged.
struct Cmd {
  Ctx& ctx;
  Scorer& s;
  const Simple& c;
  const std::vector<std::string>& w;  // words
  std::string prog;                   // basename of words[0], "python3.11" -> "python"
  std::vector<bool> done;             // words already judged (write targets, URLs, ...)

  Cmd(Ctx& x, Scorer& sc, const Simple& simple)
      : ctx(x), s(sc), c(simple), w(simple.words), done(simple.words.size(), false) {
    if (!w.empty()) {
      prog = std::string(base_name(w[0]));
      for (std::string_view interp : {"python", "node", "ruby", "perl", "php"}) {
        if (prog.starts_with(interp) &&
            std::all_of(prog.begin() + static_cast<std::ptrdiff_t>(interp.size()), prog.end(),
                        [](char ch) { return (ch >= '0' && ch <= '9') || ch == '.'; }))
          prog = std::string(interp);
      }
    }
  }

  std::string_view sub(std::size_t i = 1) const {
    // the i-th plain word (1 = the subcommand)
    std::size_t n = 0;
    for (std::size_t k = 1; k < w.size(); ++k) {
      if (is_option(w[k])) continue;
      if (++n == i) return w[k];
    }
    return {};
  }
  bool has(std::string_view opt) const {
    for (std::size_t k = 1; k < w.size(); ++k) {
      if (w[k] == opt || (w[k].starts_with(opt) && w[k].size() > opt.size() &&
                          w[k][opt.size()] == '=' && opt.starts_with("--")))
        return true;
    }
    return false;
  }
  bool has_short(char ch) const {
    for (std::size_t k = 1; k < w.size(); ++k) {
      if (w[k].size() > 1 && w[k][0] == '-' && w[k][1] != '-' &&
          w[k].find(ch, 1) != std::string::npos)
        return true;
    }
    return false;
  }
  bool has_word(std::string_view word) const {
    return std::find(w.begin() + 1, w.end(), word) != w.end();
  }
  // Value of "--opt VALUE", "--opt=VALUE" or "-o VALUE".
  std::optional<std::string> value(std::initializer_list<std::string_view> opts) {
    for (std::size_t k = 1; k < w.size(); ++k) {
      for (std::string_view o : opts) {
        if (w[k] == o && k + 1 < w.size()) {
          done[k + 1] = true;
          return w[k + 1];
        }
        if (o.starts_with("--") && w[k].starts_with(o) && w[k].size() > o.size() &&
            w[k][o.size()] == '=')
          return w[k].substr(o.size() + 1);
      }
    }
    return std::nullopt;
  }
  // Plain words after the program, skipping the values of the options listed.
  std::vector<std::size_t> positional(std::initializer_list<std::string_view> with_value = {}) {
    std::vector<std::size_t> out;
    for (std::size_t k = 1; k < w.size(); ++k) {
      if (w[k] == "--") {
        for (++k; k < w.size(); ++k) out.push_back(k);
        break;
      }
      if (is_option(w[k])) {
        if (std::find(with_value.begin(), with_value.end(), w[k]) != with_value.end()) {
          if (k + 1 < w.size()) done[k + 1] = true;
          ++k;
        }
        continue;
      }
      out.push_back(k);
    }
    return out;
  }
  std::optional<std::string> resolve(std::string_view word) const {
    return resolve_word(word, ctx.v.home, ctx.v.cwd);
  }
  bool outside(std::string_view path) const {
    return !ctx.v.in_workspace(path) && !is_cache_or_tmp(ctx, path) && path != "/dev/null";
  }
  void hit(Risk r, Family f, std::string check, std::string reason) {
    s.hit(r, f, std::move(check), std::move(reason));
  }

  void write_target(std::string_view word, bool del = false) {
    auto p = resolve(word);
    if (!p) return;
    check_path(ctx, s, *p, del ? Use::Delete : Use::Write, prog);
    if (!outside(*p)) return;
    if (del) {
      hit(Risk::High, Family::Destructive, "delete-outside-workspace",
          prog + " deletes " + shown_path(ctx, *p) + " outside the workspace");
    } else {
      hit(Risk::Medium, Family::None, "write-outside-workspace",
          prog + " writes " + shown_path(ctx, *p) + " outside the workspace");
    }
  }
  void write_index(std::size_t k, bool del = false) {
    if (k >= w.size()) return;
    done[k] = true;
    write_target(w[k], del);
  }
};

constexpr std::string_view kProbe[] = {
    "ls",       "stat", "find",   "tree",    "du",    "file",  "test",  "[",     "realpath",
    "readlink", "wc",   "lsattr", "getfacl", "namei", "exa",   "eza",   "fd",    "dirname",
    "basename", "cd",   "pushd",  "mkdir",   "touch", "chmod", "chown", "chgrp", "ssh-keygen"};

bool secretish_word(std::string_view word) {
  const std::string l = lowered(word);
  for (std::string_view k :
       {"password", "passwd",      "secret",      "token",     "api_key",       "apikey",
        "api-key",  "private key", "private_key", "begin rsa", "begin openssh", "aws_secret",
        "akia",     "ghp_",        "credential",  "id_rsa",    "id_ed25519",    ".pem",
        ".env",     "*.key",       "auth.json",   "cookies"}) {
    if (l.find(k) != std::string::npos) return true;
  }
  return false;
}

bool broad_root(const Ctx& ctx, std::string_view p) {
  return p == "/" || (!ctx.v.home.empty() && p == ctx.v.home) || p == "/home" || p == "/etc" ||
         p == "/root" || p == "/Users";
}

// Trailing glob components do not change what is at stake: "/*" is "/".
std::string glob_base(std::string p) {
  while (p.size() > 1) {
    const auto slash = p.rfind('/');
    const std::string_view last = std::string_view(p).substr(slash + 1);
    if (!has_glob(last)) break;
    p.erase(slash == 0 ? 1 : slash);
  }
  return p;
}

bool system_dir(std::string_view p) {
  for (std::string_view d :
       {"/etc",  "/usr",  "/bin", "/sbin",  "/lib",    "/lib64",   "/lib32",
        "/boot", "/var",  "/opt", "/srv",   "/root",   "/home",    "/snap",
        "/sys",  "/proc", "/dev", "/Users", "/System", "/Library", "/Applications"}) {
    if (p == d) return true;
  }
  for (std::string_view d : {"/etc", "/usr", "/boot", "/bin", "/sbin", "/lib", "/System"}) {
    if (under(p, d)) return true;
  }
  return false;
}

// ---- deletion

void check_rm(Cmd& m) {
  Ctx& ctx = m.ctx;
  const bool recursive =
      m.prog == "rm" && (m.has_short('r') || m.has_short('R') || m.has("--recursive"));
  if (m.has("--no-preserve-root"))
    m.hit(Risk::Critical, Family::Destructive, "rm-root", "rm --no-preserve-root");
  for (std::size_t k : m.positional()) {
    m.done[k] = true;
    const std::string& t = m.w[k];
    auto resolved = m.resolve(t);
    if (!resolved) {
      if (t.starts_with('$'))
        m.hit(recursive && (t.find('/') != std::string::npos) ? Risk::High : Risk::Medium,
              Family::Destructive, "rm-unresolved-target",
              m.prog + " deletes " + t + ", which depends on a variable (empty means /)");
      continue;
    }
    const std::string p = glob_base(*resolved);
    const std::string shown = shown_path(ctx, p);
    if (p == "/") {
      m.hit(Risk::Critical, Family::Destructive, "rm-root", m.prog + " deletes everything (/)");
    } else if (!ctx.v.home.empty() && (p == ctx.v.home || under(ctx.v.home, p))) {
      m.hit(Risk::Critical, Family::Destructive, "rm-home",
            m.prog + " deletes the home directory (" + shown + ")");
    } else if (system_dir(p)) {
      m.hit(recursive || p.find('/', 1) == std::string::npos ? Risk::Critical : Risk::High,
            Family::Destructive, "rm-system:" + p, m.prog + " deletes system files (" + p + ")");
    } else if (ctx.v.in_workspace(p)) {
      if (recursive && (p == ctx.v.workspace || under(ctx.v.workspace, p)))
        m.hit(Risk::High, Family::Destructive, "rm-workspace-root",
              m.prog + " deletes the whole workspace (" + shown + ")");
      else
        check_path(ctx, m.s, p, Use::Delete, m.prog);
    } else if (!is_cache_or_tmp(ctx, p)) {
      check_path(ctx, m.s, p, Use::Delete, m.prog);
      m.hit(Risk::High, Family::Destructive,
            recursive ? "rm-outside-workspace" : "delete-outside-workspace",
            m.prog + (recursive ? " -r" : "") + " deletes " + shown + " outside the workspace");
    }
  }
}

void check_find(Cmd& m) {
  const bool deletes = m.has("-delete") || m.has_word("rm");
  std::vector<std::string> roots;
  for (std::size_t k = 1; k < m.w.size() && !is_option(m.w[k]) && m.w[k] != "!" && m.w[k] != "(";
       ++k) {
    m.done[k] = true;
    if (auto p = m.resolve(m.w[k])) roots.push_back(std::move(*p));
  }
  if (roots.empty()) roots.push_back(m.ctx.v.cwd);
  bool secret_name = false;
  for (auto opt : {"-name", "-iname", "-path", "-ipath", "-regex", "-wholename"}) {
    if (auto v = m.value({opt}); v && secretish_word(*v)) secret_name = true;
  }
  for (const auto& r : roots) {
    const bool broad = broad_root(m.ctx, r) || !m.ctx.v.in_workspace(r);
    if (secret_name && broad && !is_cache_or_tmp(m.ctx, r))
      m.hit(Risk::High, Family::Credentials, "credential-search",
            "find searches " + shown_path(m.ctx, r) + " for key or secret files");
    if (deletes && broad && !is_cache_or_tmp(m.ctx, r))
      m.hit(Risk::High, Family::Destructive, "find-delete:" + shown_path(m.ctx, r),
            "find deletes files under " + shown_path(m.ctx, r));
  }
}

// ---- git

bool protected_branch(std::string_view b) {
  return one_of(b, {"main", "master", "trunk", "develop", "development", "production", "prod",
                    "release", "stable", "live", "HEAD:main", "HEAD:master"}) ||
         b.starts_with("release/") || b.starts_with("prod/");
}

void check_git_push(Cmd& m, const std::vector<std::string_view>& plain) {
  const bool force = m.has("--force") || m.has_short('f');
  const bool lease = m.has("--force-with-lease") || m.has("--force-if-includes");
  const bool mirror = m.has("--mirror");
  const bool all = m.has("--all") || m.has("--branches");
  const bool del = m.has("--delete") || m.has_short('d');
  bool plus = false;
  std::vector<std::string> dest;
  bool colon_delete = false;
  for (std::size_t i = 2; i < plain.size(); ++i) {
    std::string_view ref = plain[i];
    if (ref.starts_with('+')) {
      plus = true;
      ref.remove_prefix(1);
    }
    if (auto colon = ref.find(':'); colon != std::string_view::npos) {
      if (colon == 0) colon_delete = true;
      ref = ref.substr(colon + 1);
    }
    if (ref.starts_with("refs/heads/")) ref.remove_prefix(11);
    if (!ref.empty()) dest.emplace_back(ref);
  }
  if (plain.size() >= 2) {
    if (auto h = host_of_url(plain[1])) {
      if (!code_host(*h))
        m.hit(sink_host(*h) ? Risk::Critical : Risk::High, Family::Exfiltration,
              "git-push-unverified-remote:" + *h,
              "git push sends the repository to " + *h + ", not a known code host");
    }
  }
  std::string prot;
  for (const auto& d : dest) {
    if (protected_branch(d)) prot = d;
  }
  const std::string list = dest.empty() ? std::string("current-branch") : dest.front();
  if (mirror) {
    m.hit(Risk::Critical, Family::Destructive, "git-push-mirror",
          "git push --mirror overwrites every ref of the remote");
  }
  if (del || colon_delete) {
    m.hit(prot.empty() ? Risk::High : Risk::Critical, Family::Destructive,
          "git-delete-branch:" + (prot.empty() ? list : prot),
          "git push deletes remote branch " + (prot.empty() ? list : prot));
  }
  if (force || plus) {
    if (!prot.empty() || all) {
      m.hit(Risk::Critical, Family::Destructive, "git-force-push:" + (all ? "--all" : prot),
            "git push --force rewrites " + (all ? std::string("every branch") : prot) +
                " (history is lost)");
    } else if (dest.empty()) {
      m.hit(Risk::High, Family::Destructive, "git-force-push:unknown-branch",
            "git push --force to a branch that cannot be told from the command line");
    } else {
      m.hit(Risk::Medium, Family::Destructive, "git-force-push:" + list,
            "git push --force to feature branch " + list);
    }
  } else if (lease) {
    m.hit(!prot.empty() ? Risk::High : Risk::Medium, Family::Destructive,
          "git-force-push:" + (prot.empty() ? list : prot),
          "git push --force-with-lease to " + (prot.empty() ? list : prot));
  } else if (!prot.empty() || all) {
    m.hit(Risk::High, Family::Destructive, "git-push-protected:" + (all ? "--all" : prot),
          "git push straight to " + (all ? std::string("every branch") : prot));
  }
  if (m.has("--no-verify"))
    m.hit(Risk::High, Family::Persistence, "git-hook-bypass", "git push --no-verify skips hooks");
  if (m.has("--prune"))
    m.hit(Risk::High, Family::Destructive, "git-push-prune",
          "git push --prune deletes remote branches");
  m.hit(Risk::Medium, Family::None, "git-push:" + list, "git push to " + list);
}

// Keys whose values git runs or that redirect where git talks to.
bool dangerous_git_key(std::string_view key) {
  const std::string k = lowered(key);
  if (one_of(k, {"core.hookspath", "core.fsmonitor", "core.sshcommand", "core.pager", "core.editor",
                 "core.askpass", "core.gitproxy", "credential.helper", "http.sslverify",
                 "http.sslcainfo", "http.proxy", "sequence.editor", "include.path", "gpg.program",
                 "protocol.allow", "uploadpack.packobjectshook", "receive.denycurrentbranch"}))
    return true;
  for (std::string_view p :
       {"url.", "alias.", "filter.", "diff.", "merge.", "includeif.", "protocol.", "credential."}) {
    if (k.starts_with(p)) return true;
  }
  return false;
}

void check_git(Cmd& m) {
  // plain words, skipping git's global options and their values
  std::vector<std::string_view> plain;
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    const std::string& a = m.w[k];
    if (is_option(a)) {
      if (plain.empty() && (a == "-C" || a == "-c" || a == "--git-dir" || a == "--work-tree")) {
        if (a == "-c" && k + 1 < m.w.size()) {
          const std::string& kv = m.w[k + 1];
          if (dangerous_git_key(kv.substr(0, kv.find('='))))
            m.hit(Risk::Medium, Family::Persistence,
                  "git-config-oneshot:" + kv.substr(0, kv.find('=')),
                  "git -c " + kv + " for one command");
        }
        ++k;
      }
      continue;
    }
    plain.push_back(a);
  }
  if (plain.empty()) return;
  const std::string_view sub = plain[0];
  if (sub == "push") {
    check_git_push(m, plain);
  } else if (sub == "config") {
    // git config [scope] KEY VALUE sets; KEY alone or --get reads
    const bool reading = m.has("--get") || m.has("--get-all") || m.has("-l") || m.has("--list") ||
                         m.has("--get-regexp") || m.has("--unset") || plain.size() < 3;
    if (!reading && plain.size() >= 2 && dangerous_git_key(plain[1])) {
      const std::string key(plain[1]);
      const std::string val = plain.size() > 2 ? std::string(plain[2]) : "";
      const bool alias_shell = lowered(key).starts_with("alias.") && !val.starts_with('!');
      if (!alias_shell)
        m.hit(Risk::High, Family::Persistence, "git-config:" + key,
              "git config sets " + key + (val.empty() ? "" : " = " + val) +
                  " (runs code or redirects git)");
    }
    if (!reading && (m.has("--global") || m.has("--system")))
      m.hit(Risk::Medium, Family::Persistence, "git-config-global",
            "git config changes the user's global git configuration");
  } else if (sub == "reset" && m.has("--hard")) {
    m.hit(Risk::Medium, Family::Destructive, "git-reset-hard",
          "git reset --hard discards uncommitted changes");
  } else if (sub == "clean") {
    if (m.has_short('x') || m.has_short('X'))
      m.hit(Risk::High, Family::Destructive, "git-clean-ignored",
            "git clean -x deletes untracked and ignored files (.env, local data)");
    else if (m.has_short('f') || m.has("--force"))
      m.hit(Risk::Medium, Family::Destructive, "git-clean", "git clean deletes untracked files");
  } else if ((sub == "checkout" || sub == "restore") && (m.has_word(".") || m.has_word(":/"))) {
    m.hit(Risk::Medium, Family::Destructive, "git-discard-changes",
          "git " + std::string(sub) + " . discards local changes");
  } else if (sub == "stash" && plain.size() > 1 && (plain[1] == "clear" || plain[1] == "drop")) {
    m.hit(Risk::Medium, Family::Destructive, "git-stash-drop", "git stash drops saved work");
  } else if (sub == "branch" && (m.has_short('D') || m.has("--delete") || m.has_short('d'))) {
    for (std::size_t i = 1; i < plain.size(); ++i) {
      if (protected_branch(plain[i]))
        m.hit(Risk::High, Family::Destructive, "git-branch-delete:" + std::string(plain[i]),
              "git branch deletes " + std::string(plain[i]));
    }
  } else if (sub == "filter-branch" || sub == "filter-repo") {
    m.hit(Risk::High, Family::Destructive, "git-history-rewrite",
          "git " + std::string(sub) + " rewrites the whole history");
  } else if ((sub == "reflog" && m.has("--expire=now")) ||
             (sub == "gc" && (m.has("--prune=now") || m.has("--prune=all")))) {
    m.hit(Risk::High, Family::Destructive, "git-reflog-expire",
          "git drops unreachable commits for good");
  } else if (sub == "remote" && plain.size() >= 4 && (plain[1] == "set-url" || plain[1] == "add")) {
    if (auto h = host_of_url(plain[3]); h && !code_host(*h))
      m.hit(plain[1] == "set-url" ? Risk::High : Risk::Medium, Family::Exfiltration,
            "git-remote:" + *h,
            "git remote " + std::string(plain[1]) + " points at " + *h + ", not a known code host");
  } else if (sub == "commit" && (m.has("--no-verify") || m.has_short('n'))) {
    m.hit(Risk::Medium, Family::Persistence, "git-commit-no-verify",
          "git commit --no-verify skips hooks");
  } else if (sub == "send-email") {
    m.ctx.traits.egress = "git send-email";
    m.hit(Risk::High, Family::Exfiltration, "email-egress", "git send-email mails patches out");
  } else if (sub == "credential" && plain.size() > 1 && plain[1] == "fill") {
    m.hit(Risk::High, Family::Credentials, "token-extraction:git credential fill",
          "git credential fill prints stored credentials");
  } else if ((sub == "clone" || sub == "fetch" || sub == "pull" || sub == "ls-remote") &&
             plain.size() > 1) {
    for (std::size_t i = 1; i < plain.size(); ++i) {
      if (auto h = host_of_url(plain[i]))
        check_host(m.ctx, m.s, *h, port_of_url(plain[i]).value_or(443), "git");
    }
  }
  for (std::size_t k = 1; k < m.w.size(); ++k) m.done[k] = true;  // refs and remotes, not paths
}

// ---- network tools

// "$GITHUB_TOKEN", "${AWS_SECRET_ACCESS_KEY}" in a word: the variable's name, or "".
std::string secret_var(std::string_view word) {
  for (std::size_t i = word.find('$'); i != std::string_view::npos; i = word.find('$', i + 1)) {
    std::size_t b = i + 1;
    if (b < word.size() && word[b] == '{') ++b;
    std::size_t e = b;
    while (e < word.size() && (std::isalnum(static_cast<unsigned char>(word[e])) || word[e] == '_'))
      ++e;
    std::string name(word.substr(b, e - b));
    std::string up = name;
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (std::string_view k : {"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY",
                               "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL"}) {
      if (up.find(k) != std::string::npos) return name;
    }
  }
  return {};
}

// Whether a host belongs to the vendor a variable is named after (OPENAI_API_KEY and
// api.openai.com): a token used with its own service.
bool vendor_host(std::string_view var, std::string_view host) {
  std::string vendor = lowered(var.substr(0, var.find('_')));
  static constexpr std::pair<std::string_view, std::string_view> kAlias[] = {
      {"gh", "github"},     {"hf", "huggingface"}, {"aws", "amazonaws"},  {"npm", "npmjs"},
      {"cf", "cloudflare"}, {"dd", "datadoghq"},   {"gcp", "googleapis"}, {"google", "googleapis"}};
  for (const auto& [a, b] : kAlias) {
    if (vendor == a) vendor = b;
  }
  return vendor.size() >= 2 && host.find(vendor) != std::string_view::npos;
}

// A secret variable in a command that sends to hosts: fine for the variable's own vendor.
void secret_vars_to(Cmd& m, const std::vector<std::string>& hosts) {
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    const std::string var = secret_var(m.w[k]);
    if (var.empty()) continue;
    for (const auto& h : hosts) {
      if (h == "localhost" || h.starts_with("127.") || vendor_host(var, h)) continue;
      const bool bad = sink_host(h) || is_ip(h);
      m.hit(bad ? Risk::Critical : Risk::High, Family::Exfiltration, "secret-env-egress:" + var,
            m.prog + " sends $" + var + " to " + h + ", which is not that secret's service");
    }
  }
}

void upload_to(Cmd& m, const std::string& host, bool upload, std::string_view tool) {
  if (!upload) return;
  const std::string h = normalize_host(host);
  if (h == "localhost" || h.starts_with("127.") || h == "::1") return;
  // data for a known registry or code host is that service's business; anywhere else, a
  // secret read in the same request makes it exfiltration
  if (h.empty() || !(known_host(h) || code_host(h))) m.ctx.traits.egress = std::string(tool);
  if (h.empty()) return;
  if (sink_host(h)) {
    m.hit(Risk::Critical, Family::Exfiltration, "exfil-upload:" + h,
          std::string(tool) + " uploads data to " + h + ", a paste or request-catcher service");
  } else if (is_ip(h) && !h.starts_with("10.") && !h.starts_with("192.168.")) {
    m.hit(Risk::High, Family::Exfiltration, "upload-raw-ip:" + h,
          std::string(tool) + " uploads data to the raw IP address " + h);
  } else if (known_host(h) || code_host(h)) {
    m.hit(Risk::Medium, Family::Exfiltration, "upload:" + h,
          std::string(tool) + " sends data to " + h);
  } else {
    m.hit(Risk::High, Family::Exfiltration, "upload-unknown-host:" + h,
          std::string(tool) + " uploads data to " + h + ", an unknown host");
  }
}

void payload_file(Cmd& m, std::string_view value) {
  // "@file", "name=@file", "name=<file"; "@-" is stdin
  auto at = value.find('@');
  if (at == std::string_view::npos) at = value.find('<');
  if (at == std::string_view::npos) return;
  std::string_view f = value.substr(at + 1);
  if (auto semi = f.find(';'); semi != std::string_view::npos) f = f.substr(0, semi);
  if (f.empty() || f == "-") return;
  if (auto p = m.resolve(f)) check_path(m.ctx, m.s, *p, Use::Mention, m.prog);
}

// clang-format off
constexpr std::string_view kCurlData[] = {
    "-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--data-ascii", "--json",
    "-F", "--form", "--form-string", "-T", "--upload-file"};
const std::initializer_list<std::string_view> kCurlValued = {
    "-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--data-ascii", "--json",
    "-F", "--form", "--form-string", "-T", "--upload-file", "-X", "--request", "-H", "--header",
    "-o", "--output", "-u", "--user", "-x", "--proxy", "-e", "--referer", "-A", "--user-agent",
    "-b", "--cookie", "-c", "--cookie-jar", "-K", "--config", "--url", "-w", "--write-out", "-m",
    "--max-time", "--connect-timeout", "--retry", "-r", "--range", "--cacert", "--cert", "--key",
    "-E", "--resolve", "--connect-to", "--interface", "--limit-rate", "-C", "--output-dir",
    "--unix-socket", "-U", "--proxy-user", "--retry-delay", "-z", "--proto", "--proto-redir",
    "--proto-default", "--ciphers", "--pinnedpubkey", "--max-redirs", "--keepalive-time",
    "--noproxy"};
// clang-format on

void check_curl(Cmd& m) {
  bool upload = false;
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    const std::string& a = m.w[k];
    for (std::string_view d : kCurlData) {
      if (a == d && k + 1 < m.w.size()) {
        upload = true;
        payload_file(m, m.w[k + 1]);
        if (d == "-T" || d == "--upload-file") {
          if (auto p = m.resolve(m.w[k + 1])) check_path(m.ctx, m.s, *p, Use::Mention, m.prog);
        }
      } else if (d.starts_with("--") && a.starts_with(std::string(d) + "=")) {
        upload = true;
        payload_file(m, a.substr(d.size() + 1));
      }
    }
    if ((a == "-X" || a == "--request") && k + 1 < m.w.size() &&
        one_of(lowered(m.w[k + 1]), {"post", "put", "patch"}))
      upload = true;
  }
  if (auto out = m.value({"-o", "--output"})) m.write_target(*out);
  if (m.has("-k") || m.has("--insecure") || m.has_short('k'))
    m.hit(Risk::Medium, Family::Persistence, "tls-verify-off",
          "curl -k skips certificate checks (this once)");
  std::vector<std::string> urls;
  if (auto u = m.value({"--url"})) urls.push_back(*u);
  for (std::size_t k : m.positional(kCurlValued)) {
    if (m.done[k]) continue;
    m.done[k] = true;
    urls.push_back(m.w[k]);
  }
  std::vector<std::pair<std::string, std::optional<int>>> targets;
  std::vector<std::string> hosts;
  for (const auto& u : urls) {
    std::string url = u.find("://") == std::string::npos ? "https://" + u : u;
    if (auto h = host_of_url(url)) {
      targets.emplace_back(*h, port_of_url(url));
      hosts.push_back(*h);
    }
  }
  secret_vars_to(m, hosts);  // first: on a tie it says more than "an unknown host"
  for (const auto& [h, port] : targets) {
    check_host(m.ctx, m.s, h, port, m.prog);
    upload_to(m, h, upload, m.prog);
  }
}

void check_wget(Cmd& m) {
  bool upload = false;
  for (std::string_view o : {"--post-data", "--post-file", "--body-data", "--body-file"}) {
    if (auto v = m.value({o})) {
      upload = true;
      if (o.ends_with("file")) {
        if (auto p = m.resolve(*v)) check_path(m.ctx, m.s, *p, Use::Mention, m.prog);
      }
    }
  }
  if (auto method = m.value({"--method"}); method && one_of(lowered(*method), {"post", "put"}))
    upload = true;
  if (auto out = m.value({"-O", "--output-document"}); out && *out != "-") m.write_target(*out);
  if (m.has("--no-check-certificate"))
    m.hit(Risk::Medium, Family::Persistence, "tls-verify-off",
          "wget --no-check-certificate skips certificate checks (this once)");
  for (std::size_t k : m.positional({"-O", "-o", "-P", "-U", "--header", "-e", "-t", "-T"})) {
    if (m.done[k]) continue;
    m.done[k] = true;
    std::string url = m.w[k].find("://") == std::string::npos ? "http://" + m.w[k] : m.w[k];
    if (auto h = host_of_url(url)) {
      check_host(m.ctx, m.s, *h, port_of_url(url), m.prog);
      upload_to(m, *h, upload, m.prog);
      secret_vars_to(m, {*h});
    }
  }
}

void check_httpie(Cmd& m) {
  bool upload = false;
  std::string host;
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    const std::string& a = m.w[k];
    if (one_of(lowered(a), {"post", "put", "patch"})) upload = true;
    if (a.find('@') != std::string::npos && !a.starts_with('-') &&
        a.find("://") == std::string::npos) {
      upload = true;
      payload_file(m, a);
      m.done[k] = true;
    } else if (a.find("://") != std::string::npos ||
               (host.empty() && a.find('.') != std::string::npos && !is_option(a) &&
                a.find('=') == std::string::npos)) {
      const std::string url = a.find("://") == std::string::npos ? "https://" + a : a;
      if (auto h = host_of_url(url)) {
        host = *h;
        check_host(m.ctx, m.s, *h, port_of_url(url), m.prog);
      }
      m.done[k] = true;
    } else if (a.find(":=") != std::string::npos ||
               (a.find('=') != std::string::npos && !is_option(a))) {
      upload = true;
    }
  }
  upload_to(m, host, upload, m.prog);
}

void check_netcat(Cmd& m) {
  if (m.has_short('e') || m.has_short('c') || m.has("--exec") || m.has("--sh-exec")) {
    m.hit(Risk::Critical, Family::Exfiltration, "reverse-shell:" + m.prog,
          m.prog + " -e hands a shell to the network");
    return;
  }
  if (m.has_short('l') || m.has("--listen")) {
    m.hit(Risk::Medium, Family::None, "listener:" + m.prog, m.prog + " listens for connections");
    return;
  }
  auto pos = m.positional({"-p", "-s", "-w", "-i", "-q", "-x", "-X", "-W", "-T", "-I", "-O"});
  if (pos.empty()) return;
  const std::string& host = m.w[pos[0]];
  std::optional<std::int64_t> port;
  if (pos.size() > 1) {
    if (auto p = parse_port(m.w[pos[1]])) port = *p;
  }
  for (std::size_t k : pos) m.done[k] = true;
  const std::string h = normalize_host(host);
  check_host(m.ctx, m.s, h, port, m.prog);
  if (h != "localhost" && !h.starts_with("127.")) {
    m.ctx.traits.egress = m.prog;
    m.hit(Risk::High, Family::Exfiltration, "raw-socket:" + m.prog,
          m.prog + " opens a raw connection to " + h);
  }
}

void check_socat(Cmd& m) {
  bool exec = false;
  std::string host;
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    const std::string l = lowered(m.w[k]);
    if (l.starts_with("exec:") || l.starts_with("system:")) exec = true;
    if (l.starts_with("tcp-listen:") || l.starts_with("tcp4-listen:") ||
        l.starts_with("tcp6-listen:"))
      host = "0.0.0.0";  // a bind shell is as bad as a reverse one
    for (std::string_view p : {"tcp:", "tcp4:", "tcp6:", "udp:", "openssl:", "tcp-connect:"}) {
      if (l.starts_with(p)) {
        std::string rest = m.w[k].substr(p.size());
        host = rest.substr(0, rest.find(':'));
      }
    }
    m.done[k] = true;
  }
  if (exec && !host.empty()) {
    m.hit(Risk::Critical, Family::Exfiltration, "reverse-shell:socat",
          "socat joins a program to a network connection");
  } else if (!host.empty() && host != "localhost" && !host.starts_with("127.") &&
             host != "0.0.0.0") {
    m.ctx.traits.egress = "socat";
    m.hit(Risk::High, Family::Exfiltration, "raw-socket:socat",
          "socat opens a raw connection to " + host);
  }
}

// scp, rsync, sftp: which side is remote decides upload or download.
void check_copy(Cmd& m) {
  const bool rsync = m.prog == "rsync";
  auto pos = rsync ? m.positional({"-e", "--rsh", "--exclude", "--include", "--filter", "-f",
                                   "--port", "--password-file", "--rsync-path", "--files-from",
                                   "--log-file", "--backup-dir", "--chmod", "--timeout",
                                   "--bwlimit", "--exclude-from", "--include-from"})
                   : m.positional({"-i", "-P", "-o", "-F", "-c", "-l", "-J", "-S", "-p"});
  if (pos.empty()) return;
  const std::string& dest = m.w[pos.back()];
  auto remote = [&](const std::string& word) -> std::optional<std::string> {
    if (word.starts_with('/') || word.starts_with('.') || word.starts_with('~')) return {};
    return host_of_url(word);
  };
  const auto dest_host = remote(dest);
  for (std::size_t k : pos) m.done[k] = true;
  if (dest_host) {
    m.ctx.traits.egress = m.prog;
    for (std::size_t i = 0; i + 1 < pos.size(); ++i) {
      const std::string& src = m.w[pos[i]];
      if (remote(src)) continue;
      if (auto p = m.resolve(src)) {
        check_path(m.ctx, m.s, *p, Use::Mention, m.prog);
        if (broad_root(m.ctx, glob_base(*p))) m.ctx.traits.home_archive = true;
      }
    }
    const std::string& h = *dest_host;
    if (h == "localhost" || h.starts_with("127.")) return;
    if (private_ip_like(h)) {
      m.hit(Risk::Medium, Family::Exfiltration, "copy-to-remote:" + h,
            m.prog + " copies files to " + h + " on the local network");
    } else {
      m.hit(Risk::High, Family::Exfiltration, "copy-to-remote:" + h,
            m.prog + " copies files to " + h + ", outside this machine");
    }
  } else {
    for (std::size_t i = 0; i + 1 < pos.size(); ++i) {
      const std::string& src = m.w[pos[i]];
      if (auto h = remote(src)) {
        check_host(m.ctx, m.s, *h, 22, m.prog);
      } else if (auto p = m.resolve(src)) {
        check_path(m.ctx, m.s, *p, Use::Mention, m.prog);
      }
    }
    if (rsync && m.has("--delete")) {
      if (auto p = m.resolve(dest); p && m.outside(*p))
        m.hit(Risk::High, Family::Destructive, "rsync-delete",
              "rsync --delete removes files under " + shown_path(m.ctx, *p));
    }
    m.write_target(dest);
  }
}

// ---- programs given as text: inline code, here-documents, scripts piped into a shell

bool shell_prog(std::string_view p) {
  return one_of(p, {"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish"});
}
bool interp_prog(std::string_view p) {
  return one_of(p, {"python", "node", "perl", "ruby", "php"});
}

// The host a "curl URL" or "wget URL" fetches from; "" when it names none.
std::string fetched_host(std::string_view text) {
  for (std::size_t i = text.find("://"); i != std::string_view::npos; i = text.find("://", i + 3)) {
    std::size_t b = i;
    while (b > 0 && std::isalpha(static_cast<unsigned char>(text[b - 1]))) --b;
    std::size_t e = i + 3;
    while (e < text.size() && !one_of(text.substr(e, 1), {" ", "\"", "'", ")", "`", "|", ";"})) ++e;
    if (auto h = host_of_url(text.substr(b, e - b))) return *h;
  }
  return {};
}

// Code fetched from the network and run at once.
void remote_code(Cmd& m, std::string_view fetch_text) {
  const std::string h = fetched_host(fetch_text);
  if (!h.empty() && (known_host(h) || code_host(h) || h == "localhost")) {
    m.hit(Risk::Medium, Family::None, "pipe-to-shell:" + h,
          m.prog + " runs a script fetched from " + h);
  } else {
    check_host(m.ctx, m.s, h, 443, m.prog);
    m.hit(Risk::High, Family::Persistence, "remote-code:" + (h.empty() ? "?" : h),
          m.prog + " runs code fetched from " + (h.empty() ? std::string("the network") : h) +
              " without anyone reading it");
  }
}

void program_text(Cmd& m, const std::string& text);

void inline_code(Cmd& m, const std::string& code) {
  for (const auto& p : paths_in_text(code, m.ctx.v.home))
    check_path(m.ctx, m.s, p, Use::Mention, m.prog);
  check_secret_material(m.ctx, m.s, code, "inline code");
  auto has = [&](std::initializer_list<std::string_view> keys) {
    for (std::string_view k : keys) {
      if (code.find(k) != std::string::npos) return true;
    }
    return false;
  };
  const bool net =
      has({"socket", "requests.post", "requests.put", "urlopen", "http.client", "fetch(", "axios",
           "net.connect", "XMLHttpRequest", "IO::Socket", "LWP::", "Net::HTTP", "curl_exec",
           "smtplib", "ftplib", "httpx.post", "fsockopen", "TCPSocket", "net.Socket"});
  if (net && has({"/bin/sh", "/bin/bash", "pty.spawn", "os.dup2", "child_process", "exec(\"/bin",
                  "cmd.exe", "subprocess.call([\"/bin", "subprocess.call(['/bin"})) {
    m.hit(Risk::Critical, Family::Exfiltration, "reverse-shell:" + m.prog,
          m.prog + " code connects out and hands over a shell");
  }
  for (std::size_t i = code.find("://"); i != std::string::npos; i = code.find("://", i + 3)) {
    std::size_t b = i;
    while (b > 0 && std::isalpha(static_cast<unsigned char>(code[b - 1]))) --b;
    std::size_t e = i + 3;
    while (e < code.size() && !one_of(std::string_view(&code[e], 1), {" ", "\"", "'", ")"})) ++e;
    const std::string url = code.substr(b, e - b);
    if (auto h = host_of_url(url)) {
      check_host(m.ctx, m.s, *h, port_of_url(url), m.prog);
      if (net) upload_to(m, *h, true, m.prog);
    }
  }
  // IPv4 literals: a script that talks to a bare address
  for (std::size_t i = 0; i < code.size();) {
    if (!std::isdigit(static_cast<unsigned char>(code[i])) ||
        (i > 0 && (std::isalnum(static_cast<unsigned char>(code[i - 1])) || code[i - 1] == '.'))) {
      ++i;
      continue;
    }
    std::size_t e = i;
    while (e < code.size() && (std::isdigit(static_cast<unsigned char>(code[e])) || code[e] == '.'))
      ++e;
    const std::string_view ip(code.data() + i, e - i);
    if (is_ipv4(ip)) check_host(m.ctx, m.s, ip, std::nullopt, m.prog);
    i = e;
  }
  if (net && m.ctx.traits.egress.empty()) m.ctx.traits.egress = m.prog;
  // string literals that are shell commands ("os.system('rm -rf ~')")
  if (m.ctx.depth < 3) {
    for (std::size_t i = 0; i < code.size(); ++i) {
      const char q = code[i];
      if (q != '"' && q != '\'' && q != '`') continue;
      const std::size_t e = code.find(q, i + 1);
      if (e == std::string::npos) break;
      const std::string_view lit(code.data() + i + 1, e - i - 1);
      if (lit.find(' ') != std::string_view::npos && lit.size() < 4096) {
        ++m.ctx.depth;
        check_commands(m.ctx, m.s, script_commands(lit));
        --m.ctx.depth;
      }
      i = e;
    }
  }
}

// A program handed over as text to a shell or an interpreter.
void program_text(Cmd& m, const std::string& text) {
  if (m.ctx.depth >= 3 || text.empty()) return;
  ++m.ctx.depth;
  if (shell_prog(m.prog)) {
    check_commands(m.ctx, m.s, script_commands(text));
  } else {
    inline_code(m, text);
  }
  --m.ctx.depth;
}

// Whether a shell or interpreter reads its program from stdin ("curl x | sh", "python3 - <<EOF").
bool program_on_stdin(Cmd& m) {
  const bool shell = shell_prog(m.prog);
  if (!shell && !interp_prog(m.prog)) return false;
  if (shell && (m.has_short('c') || m.has("--command"))) return false;
  if (!shell && (m.has("-c") || m.has("-m") || m.has("-e") || m.has("-E") || m.has("-r") ||
                 m.has("-p") || m.has("--eval") || m.has("--print")))
    return false;
  const auto pos = m.positional();
  return pos.empty() || m.w[pos[0]] == "-" || (shell && m.has("-s"));
}

void check_program_text(Cmd& m) {
  // inline code: python -c, node -e, perl -e, ruby -e, php -r
  std::optional<std::string> code;
  if (m.prog == "python") code = m.value({"-c"});
  if (m.prog == "node") code = m.value({"-e", "--eval", "-p", "--print"});
  if (m.prog == "perl" || m.prog == "ruby") code = m.value({"-e", "-E"});
  if (m.prog == "php") code = m.value({"-r"});
  if (code) inline_code(m, *code);

  const bool runs_stdin = program_on_stdin(m);
  if (runs_stdin && !m.c.data.empty()) program_text(m, m.c.data);
  if (runs_stdin && !m.c.piped_from.empty()) {
    const auto& from = m.c.piped_from;
    std::string src(base_name(from[0]));
    auto src_has = [&](std::string_view w) {
      return std::find(from.begin() + 1, from.end(), w) != from.end();
    };
    if (one_of(src, {"curl", "wget", "fetch", "http", "https"})) {
      std::string joined;
      for (const auto& w : from) joined += w + " ";
      remote_code(m, joined);
    } else if ((src == "base64" && (src_has("-d") || src_has("--decode") || src_has("-D"))) ||
               (src == "xxd" && src_has("-r")) || (src == "openssl" && src_has("-d")) ||
               src == "rev" || src == "base32") {
      m.hit(Risk::High, Family::Persistence, "obfuscated-exec:" + src,
            m.prog + " runs a program decoded by " + src + " (hidden from review)");
    } else if (src == "echo" || src == "printf") {
      std::string text;
      for (std::size_t i = 1; i < from.size(); ++i) text += from[i] + " ";
      program_text(m, text);
    }
  }
  // "bash <(curl ...)", "sh -c "$(curl ...)"", "source <(wget -O- ...)", "eval $(echo .. | base64
  // -d)"
  if (shell_prog(m.prog) || m.prog == "source" || m.prog == "." || m.prog == "eval") {
    for (std::size_t k = 1; k < m.w.size(); ++k) {
      const std::string& a = m.w[k];
      for (std::string_view open : {"$(curl", "$(wget", "<(curl", "<(wget", "`curl", "`wget"}) {
        if (a.find(open) != std::string::npos) {
          remote_code(m, a);
          break;
        }
      }
      if (a.find("base64") != std::string::npos &&
          (a.find(" -d") != std::string::npos || a.find("--decode") != std::string::npos) &&
          (a.find("$(") != std::string::npos || a.find('`') != std::string::npos ||
           m.prog == "eval"))
        m.hit(Risk::High, Family::Persistence, "obfuscated-exec:base64",
              m.prog + " runs a program decoded from base64 (hidden from review)");
    }
  }
}

// ---- everything else, by program

void check_chmod(Cmd& m) {
  auto pos = m.positional({"--reference"});
  if (pos.empty()) return;
  const std::string& mode = m.w[pos[0]];
  m.done[pos[0]] = true;
  const bool recursive = m.has_short('R') || m.has("--recursive");
  const bool setid = (mode.size() == 4 && (mode[0] == '2' || mode[0] == '4' || mode[0] == '6')) ||
                     (mode.find('s') != std::string::npos && mode.find('+') != std::string::npos);
  const bool world = mode == "777" || mode == "0777" || mode == "666" || mode == "0666" ||
                     mode.ends_with("77") || mode.find("o+w") != std::string::npos ||
                     mode.find("a+w") != std::string::npos || mode == "+w" ||
                     mode.find("o=rwx") != std::string::npos;
  for (std::size_t i = 1; i < pos.size(); ++i) {
    m.done[pos[i]] = true;
    auto p = m.resolve(m.w[pos[i]]);
    if (!p) continue;
    const std::string b = glob_base(*p);
    const std::string shown = shown_path(m.ctx, b);
    if (setid) {
      m.hit(Risk::Critical, Family::Persistence, "setuid-bit",
            "chmod " + mode + " makes " + shown + " run with its owner's rights");
    } else if (world && (b == "/" || system_dir(b) || broad_root(m.ctx, b))) {
      m.hit(Risk::Critical, Family::Persistence, "chmod-world-writable:" + shown,
            "chmod " + mode + " opens " + shown + " to every user");
    } else if (world && m.outside(b)) {
      m.hit(Risk::High, Family::Persistence, "chmod-world-writable",
            "chmod " + mode + " opens " + shown + " to every user");
    } else if (world) {
      m.hit(Risk::Medium, Family::Persistence, "chmod-world-writable-workspace",
            "chmod " + mode + " on " + shown + " in the workspace");
    } else if (recursive && (system_dir(b) || broad_root(m.ctx, b))) {
      m.hit(Risk::High, Family::Persistence, "chmod-recursive-system",
            "chmod -R " + mode + " on " + shown);
    } else {
      std::string label;
      if (secret_path(m.ctx, b, &label) && mode.find('4') == std::string::npos &&
          (mode.ends_with("44") || mode.ends_with("55") || mode.find("+r") != std::string::npos))
        m.hit(Risk::High, Family::Credentials, "key-permissions:" + label,
              "chmod " + mode + " makes " + shown + " readable by others");
    }
  }
}

void check_services(Cmd& m) {
  // systemctl [--user] VERB UNIT... / service UNIT VERB
  std::string verb, unit;
  auto pos = m.positional({"-H", "--host", "-M", "--machine", "-t", "--type", "-p", "--property"});
  if (m.prog == "systemctl" && !pos.empty()) {
    verb = m.w[pos[0]];
    if (pos.size() > 1) unit = m.w[pos[1]];
  } else if (m.prog == "service" && pos.size() >= 2) {
    unit = m.w[pos[0]];
    verb = m.w[pos[1]];
  }
  for (std::size_t k : pos) m.done[k] = true;
  if (verb.empty()) return;
  const std::string u = lowered(unit);
  bool security = false;
  for (std::string_view s :
       {"apparmor",  "firewalld",   "ufw",      "auditd",   "selinux",  "fail2ban",
        "clamav",    "crowdstrike", "falcon",   "osquery",  "wazuh",    "sshguard",
        "ossec",     "aide",        "falco",    "tetragon", "nftables", "iptables",
        "netfilter", "sentinel",    "defender", "mdatp",    "lynis",    "sysdig"}) {
    if (u.find(s) != std::string::npos) security = true;
  }
  if (one_of(verb, {"poweroff", "reboot", "halt", "kexec", "suspend", "hibernate"})) {
    m.hit(Risk::High, Family::Destructive, "shutdown", m.prog + " " + verb + " stops the machine");
  } else if (security && one_of(verb, {"stop", "disable", "mask", "kill"})) {
    m.hit(Risk::Critical, Family::Persistence, "security-service-stop:" + unit,
          m.prog + " " + verb + " " + unit + " switches off a security service");
  } else if (one_of(verb, {"enable", "link", "edit", "set-property", "preset", "revert"})) {
    m.hit(Risk::High, Family::Persistence, "service-persistence:" + unit,
          m.prog + " " + verb + " " + unit + " makes a service start on its own");
  } else if (one_of(verb, {"stop", "disable", "mask", "kill"})) {
    m.hit(Risk::High, Family::Destructive, "service-stop:" + unit,
          m.prog + " " + verb + " " + unit + " stops a service");
  } else if (one_of(verb, {"start", "restart", "reload", "daemon-reload"})) {
    m.hit(Risk::Medium, Family::None, "service-start:" + unit, m.prog + " " + verb + " " + unit);
  }
}

void check_cloud(Cmd& m) {
  const std::string p = m.prog;
  const std::string s1(m.sub(1)), s2(m.sub(2)), s3(m.sub(3));
  auto crit = [&](const std::string& what) {
    m.hit(Risk::Critical, Family::Destructive, "cloud-destroy:" + p + " " + what,
          p + " " + what + " destroys cloud resources");
  };
  auto high = [&](const std::string& what) {
    m.hit(Risk::High, Family::Destructive, "cloud-delete:" + p + " " + what,
          p + " " + what + " deletes cloud resources");
  };
  if (p == "aws") {
    if (s1 == "s3" && (s2 == "cp" || s2 == "sync" || s2 == "mv")) {
      const auto pos = m.positional();
      const bool to_s3 = !pos.empty() && m.w[pos.back()].starts_with("s3://");
      const bool from_local = pos.size() >= 2 && !m.w[pos[pos.size() - 2]].starts_with("s3://");
      if (to_s3 && from_local) {
        m.ctx.traits.egress = "aws s3";
        if (auto f = m.resolve(m.w[pos[pos.size() - 2]])) {
          check_path(m.ctx, m.s, *f, Use::Mention, "aws");
          if (broad_root(m.ctx, *f)) m.ctx.traits.home_archive = true;
        }
        m.hit(Risk::High, Family::Exfiltration, "cloud-upload:s3",
              "aws s3 " + s2 + " uploads local files to a bucket");
      }
    } else if (s1 == "s3" && s2 == "rm") {
      m.has("--recursive") ? crit("s3 rm --recursive") : high("s3 rm");
    } else if (s1 == "s3" && s2 == "rb") {
      crit("s3 rb");
    } else if (s1 == "configure" && (s2 == "get" || s2 == "export-credentials")) {
      m.hit(Risk::High, Family::Credentials, "token-extraction:aws configure",
            "aws configure " + s2 + " prints credentials");
    } else if (s1 == "sts" && s2 == "get-session-token") {
      m.hit(Risk::High, Family::Credentials, "token-extraction:aws sts",
            "aws sts get-session-token mints credentials");
    } else if (s1 == "iam" &&
               (s2.starts_with("create-") || s2.starts_with("attach-") || s2.starts_with("put-"))) {
      m.hit(Risk::High, Family::Persistence, "cloud-iam:" + s2, "aws iam " + s2 + " grants access");
    } else if (one_of(s2, {"terminate-instances", "delete-db-instance", "delete-db-cluster",
                           "delete-stack", "delete-bucket", "delete-table", "delete-cluster"})) {
      crit(s1 + " " + s2);
    } else if (s2.starts_with("delete-") || s2.starts_with("terminate-")) {
      high(s1 + " " + s2);
    }
  } else if (p == "gcloud") {
    if (s1 == "projects" && s2 == "delete") {
      crit("projects delete");
    } else if (s1 == "auth" && (s2 == "print-access-token" || s2 == "print-identity-token")) {
      m.hit(Risk::High, Family::Credentials, "token-extraction:gcloud auth",
            "gcloud auth " + s2 + " prints a token");
    } else if (m.has_word("delete")) {
      high(s1 + " ... delete");
    }
  } else if (p == "gsutil") {
    if (s1 == "rm" && (m.has_short('r') || m.has_short('R'))) {
      crit("rm -r");
    } else if ((s1 == "cp" || s1 == "rsync" || s1 == "mv")) {
      const auto pos = m.positional();
      if (pos.size() >= 3 && m.w[pos.back()].starts_with("gs://") &&
          !m.w[pos[pos.size() - 2]].starts_with("gs://")) {
        m.ctx.traits.egress = "gsutil";
        m.hit(Risk::High, Family::Exfiltration, "cloud-upload:gs",
              "gsutil uploads local files to a bucket");
      }
    }
  } else if (p == "az") {
    if (s1 == "group" && s2 == "delete") {
      crit("group delete");
    } else if (m.has_word("delete")) {
      high(s1 + " ... delete");
    } else if (s1 == "storage" && m.has_word("upload")) {
      m.ctx.traits.egress = "az storage";
      m.hit(Risk::High, Family::Exfiltration, "cloud-upload:azure", "az storage uploads files");
    }
  } else if (p == "kubectl" || p == "oc") {
    if (s1 == "delete") {
      if (one_of(s2, {"ns", "namespace", "namespaces", "pv", "pvc", "node", "nodes", "crd"}) ||
          m.has("--all") || m.has("-A") || m.has("--all-namespaces"))
        crit("delete " + s2);
      else
        high("delete " + s2);
    } else if (s1 == "drain") {
      high("drain");
    } else if (s1 == "get" && (s2 == "secret" || s2 == "secrets")) {
      m.hit(Risk::High, Family::Credentials, "token-extraction:kubectl get secret",
            p + " get secret reads cluster secrets");
    }
  } else if (p == "helm" && (s1 == "uninstall" || s1 == "delete")) {
    high(s1);
  } else if ((p == "terraform" || p == "tofu" || p == "pulumi") && s1 == "destroy") {
    crit("destroy");
  } else if ((p == "terraform" || p == "tofu") && s1 == "state" && s2 == "rm") {
    high("state rm");
  } else if (p == "heroku" && (s1 == "apps:destroy" || s1 == "pg:reset")) {
    crit(s1);
  } else if ((p == "flyctl" || p == "fly") && s1 == "apps" && s2 == "destroy") {
    crit("apps destroy");
  } else if (p == "doctl" && m.has_word("delete")) {
    high("delete");
  } else if (p == "vercel" && (s1 == "remove" || s1 == "rm")) {
    high(s1);
  }
}

void check_gh(Cmd& m) {
  const std::string s1(m.sub(1)), s2(m.sub(2));
  if (s1 == "gist" && s2 == "create") {
    m.ctx.traits.egress = "gh gist";
    for (std::size_t k : m.positional({"-d", "--desc", "-f", "--filename"})) {
      if (auto p = m.resolve(m.w[k]); p && k > 2) check_path(m.ctx, m.s, *p, Use::Mention, "gh");
    }
    m.hit(Risk::High, Family::Exfiltration, "gist-create", "gh gist create publishes files");
  } else if (s1 == "auth" && s2 == "token") {
    m.hit(Risk::High, Family::Credentials, "token-extraction:gh auth token",
          "gh auth token prints the GitHub token");
  } else if (s1 == "repo" && s2 == "delete") {
    m.hit(Risk::Critical, Family::Destructive, "gh-repo-delete", "gh repo delete");
  } else if (s1 == "repo" && (s2 == "edit" || s2 == "create") &&
             (m.has("--public") || m.has("--visibility=public") ||
              (m.value({"--visibility"}).value_or("") == "public"))) {
    m.hit(Risk::High, Family::Exfiltration, "repo-made-public",
          "gh repo " + s2 + " makes a repository public");
  } else if (s1 == "release" && s2 == "delete") {
    m.hit(Risk::High, Family::Destructive, "gh-release-delete", "gh release delete");
  } else if (s1 == "api" && one_of(lowered(m.value({"-X", "--method"}).value_or("")), {"delete"})) {
    m.hit(Risk::High, Family::Destructive, "gh-api-delete", "gh api -X DELETE");
  } else if (s1 == "ssh-key" && s2 == "add") {
    m.hit(Risk::High, Family::Persistence, "gh-ssh-key-add", "gh ssh-key add grants SSH access");
  } else if (s1 == "secret" && (s2 == "set" || s2 == "delete")) {
    m.hit(Risk::Medium, Family::Credentials, "gh-secret:" + s2, "gh secret " + s2);
  }
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    if (s1 != "gist") m.done[k] = true;
  }
}

void check_db(Cmd& m) {
  std::string all;
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    all += m.w[k];
    all += ' ';
  }
  check_sql(m.s, all, m.prog);
  if (m.prog == "dropdb")
    m.hit(Risk::Critical, Family::Destructive, "sql:dropdb", "dropdb drops a database");
}

void check_framework_db(Cmd& m) {
  std::string task;
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    const std::string& a = m.w[k];
    if (one_of(a, {"db:drop", "db:reset", "db:schema:load", "db:purge", "migrate:fresh",
                   "migrate:reset", "db:wipe", "flush", "reset_db", "sqlflush"}))
      task = a;
    if (m.prog == "prisma" && a == "reset") task = "migrate reset";
    if (a == "--force-reset") task = "--force-reset";
  }
  if (task.empty()) return;
  bool production = false;
  for (const auto& a : m.w) {
    if (lowered(a).find("production") != std::string::npos) production = true;
  }
  m.hit(production ? Risk::Critical : Risk::High, Family::Destructive, "db-reset:" + task,
        m.prog + " " + task + " wipes a database" + (production ? " (production)" : ""));
}

void check_search(Cmd& m) {
  // grep/rg PATTERN [PATH...]: a credential hunt when the pattern names secrets and the search
  // leaves the workspace
  auto pos = m.positional({"-e", "-f", "-m", "-A", "-B", "-C", "--include", "--exclude", "-g",
                           "--glob", "-t", "--type", "--max-count"});
  std::optional<std::string> pattern = m.value({"-e", "--regexp"});
  std::size_t first_path = 0;
  if (!pattern && !pos.empty()) {
    pattern = m.w[pos[0]];
    first_path = 1;
  }
  if (!pattern || !secretish_word(*pattern)) return;
  m.ctx.traits.secret_grep = true;
  bool outside = pos.size() <= first_path && !m.ctx.v.in_workspace(m.ctx.v.cwd);
  for (std::size_t i = first_path; i < pos.size(); ++i) {
    if (auto p = m.resolve(m.w[pos[i]]); p && (m.outside(*p) || broad_root(m.ctx, *p)))
      outside = true;
  }
  if (outside)
    m.hit(Risk::High, Family::Credentials, "credential-search",
          m.prog + " searches outside the workspace for \"" + *pattern + "\"");
}

void check_secrets_tools(Cmd& m) {
  const std::string s1(m.sub(1));
  if (m.prog == "security" &&
      (s1 == "find-generic-password" || s1 == "find-internet-password" || s1 == "dump-keychain"))
    m.hit(Risk::Critical, Family::Credentials, "keychain-dump", "security " + s1);
  if (m.prog == "secret-tool" && (s1 == "lookup" || s1 == "search"))
    m.hit(Risk::High, Family::Credentials, "keyring-read", "secret-tool " + s1);
  if ((m.prog == "gpg" || m.prog == "gpg2") &&
      (m.has("--export-secret-keys") || m.has("--export-secret-subkeys")))
    m.hit(Risk::Critical, Family::Credentials, "gpg-export-secret", "gpg exports private keys");
  if (m.prog == "op" && (s1 == "read" || (s1 == "item" && m.sub(2) == "get")))
    m.hit(Risk::High, Family::Credentials, "token-extraction:op", "1Password CLI reads a secret");
  if (m.prog == "vault" && (s1 == "read" || (s1 == "kv" && m.sub(2) == "get")))
    m.hit(Risk::High, Family::Credentials, "token-extraction:vault", "vault reads a secret");
  if (m.prog == "pass" && (s1 == "show" || (!s1.empty() && s1 != "ls" && s1 != "insert")))
    m.hit(Risk::High, Family::Credentials, "token-extraction:pass", "pass shows a password");
  if (m.prog.starts_with("docker-credential-") && s1 == "get")
    m.hit(Risk::High, Family::Credentials, "token-extraction:docker-credential",
          m.prog + " get prints registry credentials");
  if (m.prog == "keyctl" && (s1 == "print" || s1 == "pipe" || s1 == "read"))
    m.hit(Risk::High, Family::Credentials, "keyring-read", "keyctl " + s1);
  // "set -e", "export -n X" and friends are everyday shell; only the bare forms print it all
  const bool bare = m.w.size() == 1 || ((m.prog == "export" || m.prog == "declare") &&
                                        m.w.size() == 2 && (m.w[1] == "-p" || m.w[1] == "-x"));
  if ((m.prog == "env" || m.prog == "printenv" || m.prog == "export" || m.prog == "declare" ||
       m.prog == "set") &&
      (bare || ((m.prog == "env" || m.prog == "printenv") && m.positional().empty()))) {
    m.ctx.traits.env_dump = true;
    m.hit(Risk::Medium, Family::Credentials, "env-dump",
          m.prog + " prints the whole environment (tokens included)");
  }
  if (m.prog == "printenv") {
    for (std::size_t k : m.positional()) {
      if (secretish_word(m.w[k]) || lowered(m.w[k]).find("key") != std::string::npos)
        m.hit(Risk::High, Family::Credentials, "secret-env-read",
              "printenv " + m.w[k] + " prints a secret");
    }
  }
}

// Every program check_misc names, sorted: most commands are none of them.
// clang-format off
constexpr std::string_view kMiscPrograms[] = {
    "7z", "7za", "aa-complain", "aa-disable", "aa-teardown", "ack", "adduser", "ag", "aider",
    "apparmor_parser", "at", "auditctl", "batch", "blkdiscard", "bore", "bun", "cargo", "cfdisk",
    "chpasswd", "claude", "clickhouse-client", "cloudflared", "cockroach", "codex", "conda",
    "cpio", "cqlsh", "crontab", "cryptsetup", "cursor-agent", "dd", "declare", "deluser", "delv",
    "detect-secrets", "dig", "django-admin", "doas", "docker", "dotnet", "drill", "dropdb",
    "duckdb", "egrep", "env", "export", "fdisk", "fgrep", "flit", "ftp", "gdisk", "gem", "gemini",
    "git-grep", "gitleaks", "gpasswd", "gpg", "gpg2", "grep", "groupadd", "halt", "host", "init",
    "insmod", "ip6tables", "iptables", "iptables-legacy", "iptables-nft", "kdig", "keyctl", "kill",
    "killall5", "launchctl", "lftp", "localtunnel", "locate", "lt", "lvremove", "mail", "mailx",
    "mariadb", "mkdosfs", "mke2fs", "mkfs", "mkntfs", "mkswap", "mlocate", "modprobe", "mongo",
    "mongosh", "msmtp", "mutt", "mvn", "mysql", "ncftpput", "nft", "ngrok", "npm", "nslookup",
    "op", "parted", "pass", "passwd", "php", "pip", "pkexec", "plocate", "pnpm", "podman",
    "poetry", "poweroff", "printenv", "prisma", "psql", "pvremove", "python", "rails", "rake",
    "rar", "rclone", "reboot", "redis-cli", "resolvectl", "rg", "rmmod", "run0", "s-nail",
    "secret-tool", "security", "sendmail", "set", "setenforce", "sfdisk", "sgdisk", "shutdown",
    "smbclient", "sqlcmd", "sqlite3", "ssh", "ssh-copy-id", "su", "sudo", "swaks", "sysctl",
    "systemd-run", "tailscale", "tar", "telnet", "tftp", "trufflehog", "twine", "ufw", "useradd",
    "userdel", "usermod", "uv", "vault", "vgremove", "vipw", "visudo", "warden", "wipefs", "yarn",
    "zfs", "zip", "zpool", "zrok"};
// clang-format on
static_assert(std::is_sorted(std::begin(kMiscPrograms), std::end(kMiscPrograms)));

void check_misc(Cmd& m) {
  const std::string& p = m.prog;
  if (!std::binary_search(std::begin(kMiscPrograms), std::end(kMiscPrograms),
                          std::string_view(p)) &&
      !p.starts_with("mkfs.") && !p.starts_with("docker-credential-"))
    return;
  if (one_of(p, {"mkfs", "mke2fs", "mkswap", "wipefs", "sfdisk", "sgdisk", "gdisk", "cfdisk",
                 "blkdiscard", "mkntfs", "mkdosfs"}) ||
      p.starts_with("mkfs.") ||
      ((p == "fdisk" || p == "parted") && !m.has("-l") && !m.has("--list")) ||
      (p == "cryptsetup" && (m.has_word("luksFormat") || m.has_word("erase"))) ||
      (p == "zpool" && m.has_word("destroy")) || (p == "zfs" && m.has_word("destroy")) ||
      one_of(p, {"lvremove", "vgremove", "pvremove"})) {
    m.hit(Risk::Critical, Family::Destructive, "disk-format:" + p, p + " formats or erases a disk");
  } else if (p == "dd") {
    for (std::size_t k = 1; k < m.w.size(); ++k) {
      const std::string& a = m.w[k];
      m.done[k] = true;
      if (a.starts_with("of=")) {
        auto t = m.resolve(a.substr(3));
        if (t && t->starts_with("/dev/") && *t != "/dev/null" && *t != "/dev/stdout")
          m.hit(Risk::Critical, Family::Destructive, "dd-device:" + *t,
                "dd writes straight onto the device " + *t);
        else if (t)
          m.write_target(a.substr(3));
      } else if (a.starts_with("if=")) {
        if (auto t = m.resolve(a.substr(3))) check_path(m.ctx, m.s, *t, Use::Mention, "dd");
      }
    }
  } else if (one_of(p, {"shutdown", "reboot", "halt", "poweroff"}) ||
             (p == "init" && (m.has_word("0") || m.has_word("6")))) {
    m.hit(Risk::High, Family::Destructive, "shutdown", p + " stops the machine");
  } else if ((p == "kill" && m.w.size() > 2 && m.w.back() == "-1") || p == "killall5") {
    m.hit(Risk::High, Family::Destructive, "kill-all", p + " kills every process it can");
  } else if (p == "setenforce" && (m.has_word("0") || m.has_word("Permissive"))) {
    m.hit(Risk::Critical, Family::Persistence, "selinux-disable", "setenforce 0 turns SELinux off");
  } else if (p == "ufw") {
    if (m.has_word("disable") || m.has_word("reset"))
      m.hit(Risk::Critical, Family::Persistence, "firewall-disable:ufw", "ufw disable");
    else if (m.has_word("allow") || m.has_word("delete") || m.has_word("default"))
      m.hit(Risk::High, Family::Persistence, "firewall-change:ufw", "ufw changes firewall rules");
  } else if (one_of(p, {"iptables", "ip6tables", "iptables-legacy", "iptables-nft", "nft"})) {
    const bool flush = m.has("-F") || m.has("--flush") || m.has("-X") ||
                       (m.has("-P") && m.has_word("ACCEPT")) || (p == "nft" && m.has_word("flush"));
    if (flush)
      m.hit(Risk::Critical, Family::Persistence, "firewall-disable:" + p,
            p + " flushes the firewall");
    else if (m.has("-A") || m.has("-I") || m.has("-D") || m.has("-R") || m.has_word("add") ||
             m.has_word("delete"))
      m.hit(Risk::High, Family::Persistence, "firewall-change:" + p, p + " changes the firewall");
  } else if (one_of(p, {"aa-disable", "aa-teardown", "aa-complain"}) ||
             (p == "apparmor_parser" && (m.has("-R") || m.has("--remove")))) {
    m.hit(Risk::Critical, Family::Persistence, "apparmor-disable", p + " turns AppArmor off");
  } else if (p == "auditctl" && (m.has("-D") || (m.has("-e") && m.has_word("0")))) {
    m.hit(Risk::Critical, Family::Persistence, "audit-disable", "auditctl stops auditing");
  } else if (p == "sysctl" && (m.has("-w") || m.w.size() > 1)) {
    for (std::size_t k = 1; k < m.w.size(); ++k) {
      const std::string& a = m.w[k];
      if (a.find('=') == std::string::npos) continue;
      const std::string key = a.substr(0, a.find('='));
      const bool weak =
          one_of(key, {"kernel.randomize_va_space", "kernel.yama.ptrace_scope",
                       "kernel.kptr_restrict", "kernel.dmesg_restrict",
                       "kernel.unprivileged_bpf_disabled", "kernel.modules_disabled"}) ||
          key.starts_with("fs.protected_");
      m.hit(weak ? Risk::Critical : Risk::High, Family::Persistence, "sysctl:" + key,
            "sysctl changes " + key);
    }
  } else if (one_of(p, {"modprobe", "insmod", "rmmod"}) && !m.has("-n") && !m.has("--dry-run")) {
    m.hit(Risk::Critical, Family::Persistence, "kernel-module", p + " changes kernel modules");
  } else if (one_of(p, {"useradd", "adduser", "usermod", "userdel", "groupadd", "gpasswd",
                        "chpasswd", "visudo", "vipw", "deluser", "passwd"})) {
    m.hit(p == "passwd" && m.positional().empty() ? Risk::High : Risk::Critical,
          p == "userdel" || p == "deluser" ? Family::Destructive : Family::Persistence,
          "account-change:" + p, p + " changes user accounts or sudo rights");
  } else if (p == "crontab") {
    if (m.has("-l")) return;
    if (m.has("-r"))
      m.hit(Risk::High, Family::Destructive, "crontab-remove", "crontab -r deletes all cron jobs");
    else
      m.hit(Risk::High, Family::Persistence, "crontab-install",
            "crontab installs scheduled jobs that outlive the session");
  } else if (p == "at" || p == "batch" ||
             (p == "systemd-run" && (m.has("--on-calendar") || m.has("--on-active") ||
                                     m.has("--on-boot") || m.has("--on-unit-active")))) {
    m.hit(Risk::High, Family::Persistence, "scheduled-job", p + " schedules a job for later");
  } else if (p == "launchctl" && (m.has_word("load") || m.has_word("bootstrap"))) {
    m.hit(Risk::High, Family::Persistence, "launch-agent", "launchctl loads a launch agent");
  } else if (p == "ssh-copy-id") {
    m.hit(Risk::High, Family::Persistence, "ssh-copy-id",
          "ssh-copy-id installs an SSH key remotely");
  } else if (one_of(p, {"sudo", "doas", "pkexec", "run0"}) || (p == "su" && m.w.size() >= 1)) {
    m.hit(Risk::High, Family::Persistence, "privilege-escalation:" + p,
          p + " asks for root rights");
  } else if ((p == "docker" || p == "podman") &&
             (m.sub(1) == "run" || m.sub(1) == "create" || m.sub(1) == "exec")) {
    bool broad = m.has("--privileged") || m.has("--pid=host") || m.has("--cap-add=ALL") ||
                 m.has("--cap-add=SYS_ADMIN") || m.has("--security-opt=seccomp=unconfined") ||
                 m.has("--security-opt=apparmor=unconfined");
    for (std::size_t k = 1; k + 1 < m.w.size(); ++k) {
      if (m.w[k] != "-v" && m.w[k] != "--volume" && m.w[k] != "--mount") continue;
      const std::string& v = m.w[k + 1];
      m.done[k + 1] = true;
      if (auto host_side = m.resolve(v.substr(0, v.find(':'))))
        check_path(m.ctx, m.s, *host_side, Use::Mention, p);
      if (v.starts_with("/:") || v.find("docker.sock") != std::string::npos ||
          (!m.ctx.v.home.empty() && v.starts_with(std::string(m.ctx.v.home) + ":")) ||
          v.find("source=/,") != std::string::npos)
        broad = true;
    }
    if (broad)
      m.hit(Risk::High, Family::Persistence, "unsandboxed-execution:" + p,
            p + " runs a container with host-level access");
  } else if ((p == "docker" || p == "podman") && m.sub(1) == "system" && m.sub(2) == "prune" &&
             (m.has("-a") || m.has("--all") || m.has("--volumes"))) {
    m.hit(Risk::High, Family::Destructive, "docker-prune",
          p + " system prune deletes images and volumes");
  } else if ((p == "docker" || p == "podman") && m.sub(1) == "volume" &&
             (m.sub(2) == "rm" || m.sub(2) == "prune")) {
    m.hit(Risk::High, Family::Destructive, "docker-volume-rm", p + " deletes volumes (data)");
  } else if ((p == "docker" || p == "podman") && m.sub(1) == "push") {
    m.hit(Risk::High, Family::Exfiltration, "publish:" + p + " push",
          p + " push publishes an image");
  } else if ((one_of(p, {"npm", "pnpm", "yarn", "bun"}) && m.sub(1) == "publish") ||
             (p == "cargo" && m.sub(1) == "publish") || (p == "twine" && m.sub(1) == "upload") ||
             (p == "poetry" && m.sub(1) == "publish") || (p == "gem" && m.sub(1) == "push") ||
             (p == "mvn" && m.has_word("deploy")) || (p == "dotnet" && m.has_word("push")) ||
             (p == "uv" && m.sub(1) == "publish") || (p == "flit" && m.sub(1) == "publish")) {
    if (!m.has("--dry-run"))
      m.hit(Risk::High, Family::Exfiltration, "publish:" + p,
            p + " publishes the package to a public registry");
  } else if (p == "npm" && m.sub(1) == "unpublish") {
    m.hit(m.has("--force") ? Risk::Critical : Risk::High, Family::Destructive, "npm-unpublish",
          "npm unpublish removes a published package");
  } else if ((one_of(p, {"npm", "pnpm", "yarn"}) && m.sub(1) == "config" &&
              (m.sub(2) == "set" || m.sub(2) == "edit")) ||
             (p == "npm" && m.sub(1) == "set")) {
    const std::string key = lowered(std::string(m.sub(m.sub(1) == "set" ? 2 : 3)));
    const std::string val = lowered(std::string(m.sub(m.sub(1) == "set" ? 3 : 4)));
    if (key.find("strict-ssl") != std::string::npos ||
        (key.find("registry") != std::string::npos &&
         val.find("registry.npmjs.org") == std::string::npos &&
         val.find("registry.yarnpkg.com") == std::string::npos) ||
        key.find("script-shell") != std::string::npos || key.find("cafile") != std::string::npos)
      m.hit(Risk::High, Family::Persistence, "package-config:" + p + " " + key,
            p + " config sets " + key + " for every later install");
  } else if (p == "pip" && m.sub(1) == "config" && m.sub(2) == "set") {
    const std::string key = lowered(std::string(m.sub(3)));
    if (key.find("trusted-host") != std::string::npos ||
        key.find("index-url") != std::string::npos || key.find("cert") != std::string::npos)
      m.hit(Risk::High, Family::Persistence, "package-config:pip " + key,
            "pip config sets " + key + " for every later install");
  } else if (p == "conda" && m.has_word("ssl_verify")) {
    m.hit(Risk::High, Family::Persistence, "package-config:conda ssl_verify",
          "conda turns off certificate checks");
  } else if (one_of(p, {"mail", "mailx", "mutt", "sendmail", "swaks", "msmtp", "s-nail"})) {
    m.ctx.traits.egress = p;
    m.hit(Risk::High, Family::Exfiltration, "email-egress", p + " sends mail");
  } else if (one_of(p, {"ftp", "lftp", "tftp", "smbclient", "ncftpput"})) {
    m.ctx.traits.egress = p;
    m.hit(Risk::High, Family::Exfiltration, "ftp-egress:" + p, p + " transfers files out");
  } else if (one_of(p, {"dig", "nslookup", "host", "drill", "kdig", "resolvectl", "delv"})) {
    for (std::size_t k : m.positional({"-p", "-t", "-c", "-q"})) {
      const std::string& a = m.w[k];
      m.done[k] = true;
      if (a.find("$(") != std::string::npos || a.find('`') != std::string::npos) {
        m.hit(Risk::High, Family::Exfiltration, "dns-exfil:command-substitution",
              p + " looks up a name built from command output");
      } else if (!a.starts_with('@') && a.find('.') != std::string::npos) {
        Scorer tmp;
        check_host(m.ctx, tmp, a, 443, p);
        if (tmp.best().check.starts_with("dns-exfil") || tmp.best().check.starts_with("exfil-sink"))
          m.hit(Risk::High, Family::Exfiltration, tmp.best().check, tmp.best().reason);
      }
    }
  } else if (one_of(p, {"tar", "zip", "7z", "7za", "rar", "cpio"})) {
    for (std::size_t k : m.positional({"-C", "-f", "--file", "-X", "--exclude-from"})) {
      auto r = m.resolve(m.w[k]);
      if (r && broad_root(m.ctx, glob_base(*r)) && !m.has("-x") && !m.has_short('x')) {
        m.ctx.traits.home_archive = true;
        m.hit(Risk::High, Family::Exfiltration, "archive-home",
              p + " packs up " + shown_path(m.ctx, *r) + " (the whole home or system)");
      }
    }
  } else if (one_of(p,
                    {"ngrok", "cloudflared", "lt", "localtunnel", "bore", "zrok", "tailscale"}) &&
             (p != "tailscale" || m.has_word("funnel")) &&
             (p != "cloudflared" || m.has_word("tunnel"))) {
    m.ctx.traits.egress = p;
    m.hit(Risk::High, Family::Exfiltration, "tunnel:" + p,
          p + " exposes a local service to the internet");
  } else if (p == "python" && m.has_word("http.server")) {
    const std::string dir = m.value({"-d", "--directory"}).value_or(".");
    if (auto r = m.resolve(dir); r && broad_root(m.ctx, *r))
      m.hit(Risk::High, Family::Exfiltration, "serve-home",
            "python -m http.server serves " + shown_path(m.ctx, *r) + " to the network");
  } else if (p == "rclone") {
    const std::string s1(m.sub(1));
    const auto pos = m.positional();
    if (one_of(s1, {"copy", "sync", "move", "copyto", "moveto"}) && pos.size() >= 3) {
      const std::string& src = m.w[pos[pos.size() - 2]];
      const std::string& dst = m.w[pos.back()];
      if (!host_of_url(src) && host_of_url(dst)) {
        m.ctx.traits.egress = "rclone";
        if (auto f = m.resolve(src)) {
          check_path(m.ctx, m.s, *f, Use::Mention, "rclone");
          if (broad_root(m.ctx, glob_base(*f))) m.ctx.traits.home_archive = true;
        }
        m.hit(Risk::High, Family::Exfiltration, "cloud-upload:rclone",
              "rclone " + s1 + " uploads local files to " + dst);
      }
    } else if (one_of(s1, {"purge", "delete", "deletefile"})) {
      m.hit(Risk::High, Family::Destructive, "cloud-delete:rclone " + s1,
            "rclone " + s1 + " deletes remote files");
    }
  } else if (one_of(p, {"codex", "claude", "gemini", "aider", "warden", "cursor-agent"})) {
    for (std::size_t k = 1; k < m.w.size(); ++k) {
      const std::string& a = m.w[k];
      const std::string next = k + 1 < m.w.size() ? m.w[k + 1] : "";
      if (a == "--dangerously-bypass-approvals-and-sandbox" ||
          a == "--dangerously-skip-permissions" || a == "--yolo" ||
          ((a == "-s" || a == "--sandbox") && next == "danger-full-access") ||
          a == "--sandbox=danger-full-access" || a == "--yes-always")
        m.hit(Risk::High, Family::Persistence, "unsandboxed-execution:" + p + " " + a,
              p + " " + a + " runs an agent without a sandbox or approvals");
    }
  } else if (one_of(p, {"rails", "rake", "php", "prisma", "django-admin"}) ||
             (p == "python" && m.has_word("manage.py"))) {
    check_framework_db(m);
  } else if (p == "redis-cli" || p == "psql" || p == "mysql" || p == "mariadb" || p == "sqlite3" ||
             p == "sqlcmd" || p == "mongo" || p == "mongosh" || p == "cqlsh" ||
             p == "clickhouse-client" || p == "cockroach" || p == "duckdb" || p == "dropdb") {
    check_db(m);
  } else if (one_of(p, {"security", "secret-tool", "gpg", "gpg2", "op", "vault", "pass", "keyctl",
                        "env", "printenv", "export", "declare", "set"}) ||
             p.starts_with("docker-credential-")) {
    check_secrets_tools(m);
  } else if (one_of(p, {"grep", "egrep", "fgrep", "rg", "ag", "ack", "git-grep"})) {
    check_search(m);
  } else if (one_of(p, {"locate", "mlocate", "plocate"})) {
    for (std::size_t k : m.positional()) {
      if (secretish_word(m.w[k]))
        m.hit(Risk::High, Family::Credentials, "credential-search",
              p + " looks for " + m.w[k] + " across the disk");
    }
  } else if (one_of(p, {"trufflehog", "gitleaks", "detect-secrets"})) {
    for (std::size_t k : m.positional()) {
      if (auto r = m.resolve(m.w[k]); r && broad_root(m.ctx, *r))
        m.hit(Risk::High, Family::Credentials, "credential-search",
              p + " scans " + shown_path(m.ctx, *r) + " for secrets");
      m.done[k] = true;
    }
  } else if (p == "telnet") {
    auto pos = m.positional();
    if (!pos.empty()) {
      m.ctx.traits.egress = "telnet";
      check_host(m.ctx, m.s, m.w[pos[0]],
                 pos.size() > 1 ? parse_port(m.w[pos[1]]).value_or(23) : 23, "telnet");
      m.hit(Risk::High, Family::Exfiltration, "raw-socket:telnet", "telnet opens a raw connection");
    }
  } else if (p == "ssh") {
    // host is the first plain word; -R opens a way in, -D a proxy
    if (m.has("-R"))
      m.hit(Risk::High, Family::Exfiltration, "ssh-reverse-tunnel",
            "ssh -R opens a tunnel into this machine");
    auto pos = m.positional({"-i", "-p", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-b", "-c",
                             "-E", "-e", "-I", "-m", "-O", "-Q", "-S", "-W", "-w", "-B"});
    if (!pos.empty()) {
      std::string target = m.w[pos[0]];
      if (auto at = target.rfind('@'); at != std::string::npos) target = target.substr(at + 1);
      const auto port = m.value({"-p"});
      check_host(m.ctx, m.s, target, port ? parse_port(*port).value_or(22) : 22, "ssh");
      for (std::size_t k = pos[0]; k < m.w.size(); ++k) m.done[k] = true;
    }
  }
}

// Writes by the common file tools: which of their words are destinations.
void write_targets(Cmd& m) {
  const std::string& p = m.prog;
  if (p == "cp" || p == "install" || p == "ln" || p == "mv") {
    auto pos = m.positional({"-t", "--target-directory", "-S", "--suffix", "-m", "--mode", "-o",
                             "--owner", "-g", "--group"});
    std::optional<std::string> dir = m.value({"-t", "--target-directory"});
    if (dir) {
      m.write_target(*dir);
    } else if (pos.size() >= 2) {
      m.write_index(pos.back());
      pos.pop_back();
    }
    if (p == "mv") {
      for (std::size_t k : pos) m.write_index(k, true);  // the source is gone afterwards
    }
  } else if (p == "tee") {
    for (std::size_t k : m.positional()) m.write_index(k);
  } else if (p == "touch" || p == "mkdir") {
    for (std::size_t k : m.positional({"-m", "--mode", "-d", "-r", "-t"})) m.write_index(k);
  } else if (p == "truncate" || p == "shred" || p == "srm" || p == "wipe") {
    for (std::size_t k : m.positional({"-s", "--size", "-n", "--iterations"}))
      m.write_index(k, true);
  } else if ((p == "sed" || p == "perl") && (m.has_short('i') || m.has("--in-place"))) {
    auto pos = m.positional({"-e", "-f", "--expression", "--file"});
    const bool script_given = m.has("-e") || m.has("-f") || m.has("--expression");
    for (std::size_t i = script_given ? 0 : 1; i < pos.size(); ++i) m.write_index(pos[i]);
  } else if (p == "ssh-keygen") {
    if (auto f = m.value({"-f"}); f && !m.has("-y") && !m.has("-l") && !m.has("-F"))
      m.write_target(*f);
  }
}

void analyze(Ctx& ctx, Scorer& s, const Simple& simple) {
  Cmd m(ctx, s, simple);
  for (const auto& o : simple.out) m.write_target(o);
  for (const auto& i : simple.in) {
    if (auto p = m.resolve(i)) check_path(ctx, s, *p, Use::Mention, m.prog.empty() ? "<" : m.prog);
  }
  if (m.w.empty()) return;
  const std::string& p = m.prog;
  // fork bomb: a function piping into itself in the background
  for (const auto& a : m.w) {
    if (a.find(":|:") != std::string::npos || a.find(":(){") != std::string::npos)
      m.hit(Risk::High, Family::Destructive, "fork-bomb", "a fork bomb");
    if (a.find("/dev/tcp/") != std::string::npos || a.find("/dev/udp/") != std::string::npos) {
      ctx.traits.egress = "/dev/tcp";
      const bool shell = a.find("-i") != std::string::npos || a.find("0>&1") != std::string::npos ||
                         a.find("<&") != std::string::npos;
      m.hit(shell ? Risk::Critical : Risk::High, Family::Exfiltration,
            shell ? "reverse-shell:/dev/tcp" : "raw-socket:/dev/tcp",
            shell ? "an interactive shell over /dev/tcp" : "a raw connection through /dev/tcp");
    }
  }
  for (const auto& o : simple.out) {
    if (o.starts_with("/dev/tcp/") || o.starts_with("/dev/udp/")) ctx.traits.egress = "/dev/tcp";
  }
  // Secrets in the words themselves; tokens for the service they belong to are its own business.
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    Scorer tmp;
    check_secret_material(ctx, tmp, m.w[k], "command line");
    if (!tmp.found()) continue;
    bool github_only = tmp.best().check == "secret-material:github-token";
    for (std::size_t j = 1; j < m.w.size() && github_only; ++j) {
      if (auto h = host_of_url(m.w[j]); h && m.w[j].find("://") != std::string::npos &&
                                        !host_match("*.github.com", *h) && *h != "github.com")
        github_only = false;
    }
    if (github_only && (p == "curl" || p == "gh" || p == "git"))
      s.hit(Risk::Medium, Family::Credentials, tmp.best().check,
            tmp.best().reason + " (sent to GitHub only)");
    else
      s.hit(tmp.best().risk, tmp.best().family, tmp.best().check, tmp.best().reason);
  }

  if (p == "rm" || p == "rmdir" || p == "unlink") {
    check_rm(m);
  } else if (p == "find") {
    check_find(m);
  } else if (p == "git") {
    check_git(m);
  } else if (p == "curl") {
    check_curl(m);
  } else if (p == "wget") {
    check_wget(m);
  } else if (p == "http" || p == "https" || p == "xh" || p == "xhs") {
    check_httpie(m);
  } else if (one_of(p, {"nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "cryptcat"})) {
    check_netcat(m);
  } else if (p == "socat") {
    check_socat(m);
  } else if (p == "scp" || p == "rsync" || p == "sftp") {
    check_copy(m);
  } else if (p == "chmod") {
    check_chmod(m);
  } else if (p == "chown" || p == "chgrp") {
    if (m.has_short('R') || m.has("--recursive")) {
      for (std::size_t k : m.positional()) {
        auto r = m.resolve(m.w[k]);
        if (r && (system_dir(glob_base(*r)) || broad_root(ctx, glob_base(*r))))
          m.hit(Risk::High, Family::Persistence, "chown-system",
                p + " -R changes the owner of " + shown_path(ctx, *r));
      }
    }
  } else if (p == "systemctl" || p == "service") {
    check_services(m);
  } else if (one_of(p, {"aws", "gcloud", "gsutil", "az", "kubectl", "oc", "helm", "terraform",
                        "tofu", "pulumi", "heroku", "flyctl", "fly", "doctl", "vercel"})) {
    check_cloud(m);
  } else if (p == "gh") {
    check_gh(m);
  } else {
    check_misc(m);
  }
  check_program_text(m);
  // a secret variable printed into a pipeline
  if (p == "echo" || p == "printf") {
    for (std::size_t k = 1; k < m.w.size(); ++k) {
      if (auto var = secret_var(m.w[k]); !var.empty()) {
        ctx.traits.secret = "$" + var;
        m.hit(Risk::Medium, Family::Credentials, "secret-env-read:" + var, p + " prints $" + var);
      }
    }
  }
  write_targets(m);

  // Whatever else names a path: a read (or a look) by this program.
  const bool probe = std::find(std::begin(kProbe), std::end(kProbe), p) != std::end(kProbe);
  for (std::size_t k = 1; k < m.w.size(); ++k) {
    if (m.done[k]) continue;
    std::string_view a = m.w[k];
    if (a.find("://") != std::string_view::npos) continue;
    if (is_option(a)) {
      const auto eq = a.find('=');
      if (eq == std::string_view::npos) continue;
      a = a.substr(eq + 1);
    }
    if (a.starts_with('@')) a.remove_prefix(1);
    if (a.empty()) continue;
    if (auto r = m.resolve(a)) check_path(ctx, s, *r, probe ? Use::Probe : Use::Mention, p);
  }
}

}  // namespace

void check_commands(Ctx& ctx, Scorer& s, const std::vector<Simple>& cmds) {
  for (const auto& c : cmds) analyze(ctx, s, c);
}

}  // namespace warden::reviewer::detail
