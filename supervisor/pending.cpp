#include "pending.hpp"

#include <algorithm>
#include <cstdio>

namespace warden::supervisor {

const char* to_string(Answer a) {
  switch (a) {
    case Answer::Once:
      return "once";
    case Answer::Always:
      return "always";
    case Answer::Deny:
      return "deny";
    case Answer::Kill:
      return "kill";
    case Answer::Timeout:
      return "timeout";
    case Answer::Cancelled:
      return "cancelled";
  }
  return "deny";
}

namespace {

std::string basename_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Tools whose first word names what they do ("git push", "npm install"): an "always" for them
// covers that subcommand. Any other program is remembered with its whole argv.
bool has_subcommands(const std::string& prog) {
  static const char* const kTools[] = {"git",     "npm",  "pnpm", "yarn",   "cargo",  "go",
                                       "pip",     "pip3", "uv",   "poetry", "make",   "docker",
                                       "kubectl", "gh",   "bun",  "deno",   "rustup", "apt-get"};
  return std::any_of(std::begin(kTools), std::end(kTools),
                     [&](const char* t) { return prog == t; });
}

bool is_word(const std::string& s) {
  if (s.empty() || s.size() > 40) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                              c == '_';
                     }) &&
         s[0] != '-';
}

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
    });
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

}  // namespace

Scope scope_for(const policy::Request& req, bool path_is_dir) {
  Scope s;
  s.category = req.category;
  s.kind = req.kind;
  const auto& argv = req.argv;
  if ((req.kind == policy::Kind::Exec || req.kind == policy::Kind::Skill) && argv &&
      !argv->empty()) {
    std::string prog = basename_of((*argv)[0]);
    if (has_subcommands(prog) && argv->size() >= 2 && is_word((*argv)[1])) {
      s.argv_prefix = {prog, (*argv)[1]};
    } else {
      s.argv_prefix = *argv;
      s.argv_prefix[0] = prog;
    }
    return s;
  }
  if (req.host) {
    s.host = *req.host;
    s.port = req.port.value_or(-1);
  }
  if (req.path) {
    s.path = *req.path;
    s.dir = path_is_dir;
  }
  return s;
}

bool in_scope(const Scope& s, const policy::Request& req) {
  if (s.category != req.category || s.kind != req.kind) return false;
  if (!s.argv_prefix.empty()) {
    if (!req.argv || req.argv->size() < s.argv_prefix.size()) return false;
    if (basename_of((*req.argv)[0]) != s.argv_prefix[0]) return false;
    const bool whole = !has_subcommands(s.argv_prefix[0]) || s.argv_prefix.size() != 2;
    if (whole && req.argv->size() != s.argv_prefix.size()) return false;
    return std::equal(s.argv_prefix.begin() + 1, s.argv_prefix.end(), req.argv->begin() + 1);
  }
  if (!s.host.empty() || req.host) {
    if (!req.host || *req.host != s.host || req.port.value_or(-1) != s.port) return false;
  }
  if (!s.path.empty() || req.path) {
    if (!req.path) return false;
    if (s.dir ? !under(*req.path, s.path) : *req.path != s.path) return false;
  }
  return !s.host.empty() || !s.path.empty();
}

std::string Scope::describe() const {
  std::string what = policy::to_string(kind);
  if (!argv_prefix.empty())
    return what + " `" + shell_join(argv_prefix) +
           (has_subcommands(argv_prefix[0]) && argv_prefix.size() == 2 ? " ...`" : "`");
  if (!host.empty()) return what + " " + host + ":" + std::to_string(port);
  return what + " " + path + (dir ? "/..." : "");
}

void SessionCache::add(Scope s) {
  std::lock_guard lk(m_);
  scopes_.push_back(std::move(s));
}

std::optional<Scope> SessionCache::find(const policy::Request& req) const {
  std::lock_guard lk(m_);
  for (const auto& s : scopes_)
    if (in_scope(s, req)) return s;
  return std::nullopt;
}

Answer PendingQueue::wait(const policy::Request& req,
                          std::chrono::steady_clock::time_point deadline) {
  auto slot = std::make_shared<Slot>();
  slot->entry = {req.id, req, summarize(req), std::chrono::system_clock::now(), deadline};
  std::unique_lock lk(m_);
  if (closed_ || slots_.size() >= kMaxPending) return Answer::Cancelled;
  slots_.push_back(slot);
  cv_.notify_all();
  cv_.wait_until(lk, deadline, [&] { return slot->answer.has_value(); });
  Answer a = slot->answer.value_or(Answer::Timeout);
  std::erase(slots_, slot);
  const bool timed_out = !slot->answer;
  slot->answer = a;  // late answers find it gone
  auto notify = on_answer_;
  lk.unlock();
  if (timed_out && notify) notify(req.id);
  return a;
}

bool PendingQueue::answer(const std::string& id, Answer a) {
  std::unique_lock lk(m_);
  for (auto& s : slots_) {
    if (s->entry.id != id || s->answer) continue;
    s->answer = a;
    cv_.notify_all();
    auto notify = on_answer_;
    lk.unlock();
    if (notify) notify(id);
    return true;
  }
  return false;
}

std::vector<PendingEntry> PendingQueue::list() const {
  std::lock_guard lk(m_);
  std::vector<PendingEntry> out;
  for (const auto& s : slots_)
    if (!s->answer) out.push_back(s->entry);
  return out;
}

bool PendingQueue::is_pending(const std::string& id) const {
  std::lock_guard lk(m_);
  return std::any_of(slots_.begin(), slots_.end(),
                     [&](const auto& s) { return s->entry.id == id && !s->answer; });
}

std::optional<PendingEntry> PendingQueue::next_for_terminal() {
  std::unique_lock lk(m_);
  for (;;) {
    if (closed_) return std::nullopt;
    for (auto& s : slots_) {
      if (s->shown || s->answer) continue;
      s->shown = true;
      return s->entry;
    }
    cv_.wait(lk);
  }
}

void PendingQueue::close() {
  std::vector<std::string> ids;
  std::function<void(const std::string&)> notify;
  {
    std::lock_guard lk(m_);
    closed_ = true;
    for (auto& s : slots_) {
      if (s->answer) continue;
      s->answer = Answer::Cancelled;
      ids.push_back(s->entry.id);
    }
    notify = on_answer_;
    cv_.notify_all();
  }
  if (notify)
    for (const auto& id : ids) notify(id);
}

void PendingQueue::set_on_answer(std::function<void(const std::string&)> f) {
  std::lock_guard lk(m_);
  on_answer_ = std::move(f);
}

std::string neutralize(std::string_view text, std::size_t max) {
  std::string out;
  auto hex = [&](unsigned v, int digits, const char* prefix) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%0*x", prefix, digits, v);
    out += buf;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f)
        hex(c, 2, "\\x");
      else if (c == '\\')
        out += "\\\\";
      else
        out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence strictly; anything malformed is shown byte by byte.
    int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (c >= 0xf5) len = 0;
    unsigned cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    bool ok = len > 0 && i + static_cast<std::size_t>(len) <= text.size();
    for (int k = 1; ok && k < len; ++k) {
      auto cc = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10ffff))))
      ok = false;
    if (!ok) {
      hex(c, 2, "\\x");
      ++i;
      continue;
    }
    const bool hidden = (cp >= 0x80 && cp <= 0x9f) ||                      // C1 controls
                        cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||  // zero-width, marks
                        (cp >= 0x202a && cp <= 0x202e) ||                  // bidi embeddings
                        (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||  // isolates, BOM
                        cp == 0x2028 || cp == 0x2029;                      // line separators
    if (hidden)
      hex(cp, 4, "\\u");
    else
      out.append(text.substr(i, static_cast<std::size_t>(len)));
    i += static_cast<std::size_t>(len);
  }
  return out;
}

std::string summarize(const policy::Request& req) {
  std::string what;
  switch (req.kind) {
    case policy::Kind::FileWrite:
      what = "write " + req.path.value_or("?");
      break;
    case policy::Kind::FileRead:
      what = "read " + req.path.value_or("?");
      break;
    case policy::Kind::Network:
      what =
          "connect to " + (req.host ? *req.host + (req.port ? ":" + std::to_string(*req.port) : "")
                                    : req.path.value_or("?"));
      break;
    case policy::Kind::Exec:
    case policy::Kind::Skill:
      what = "run " + (req.argv ? shell_join(*req.argv) : req.path.value_or("?"));
      if (req.skill) what += " (skill " + *req.skill + ")";
      break;
    case policy::Kind::Permissions:
      what =
          "widen the sandbox: " + std::string(req.access ? policy::to_string(*req.access) : "?") +
          " " + req.path.value_or(req.host.value_or("?"));
      break;
    case policy::Kind::McpTool:
      what = "call tool " + req.server.value_or("?") + "/" + req.tool.value_or("?");
      break;
  }
  return neutralize(what, 300);
}

}  // namespace warden::supervisor
