#include "auto_review_util.hpp"

#include <algorithm>
#include <span>

namespace warden::reviewer::detail {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.starts_with(prefix);
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.ends_with(suffix);
}
bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

bool icontains(std::string_view s, std::string_view part) {
  if (part.empty()) return true;
  if (s.size() < part.size()) return false;
  for (std::size_t i = 0; i + part.size() <= s.size(); ++i) {
    std::size_t j = 0;
    while (j < part.size() && lower(s[i + j]) == part[j]) ++j;
    if (j == part.size()) return true;
  }
  return false;
}

std::string normalize_path(std::string_view path) {
  const bool absolute = path.starts_with('/');
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part.empty() || part == ".") {
      // nothing
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  out.reserve(path.size());
  if (absolute) out += '/';
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

bool under(std::string_view path, std::string_view root) {
  if (root.empty()) return false;
  if (root == "/") return path.starts_with('/');
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

std::string_view base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

namespace {

bool var_prefix(std::string_view word, std::string_view name, std::string_view* rest) {
  for (std::string_view form : {std::string_view("$"), std::string_view("${")}) {
    if (!word.starts_with(form)) continue;
    std::string_view after = word.substr(form.size());
    if (!after.starts_with(name)) continue;
    after.remove_prefix(name.size());
    if (form.size() == 2) {
      if (!after.starts_with('}')) continue;
      after.remove_prefix(1);
    } else if (!after.empty() && after[0] != '/') {
      continue;  // $HOMEX is another variable
    }
    *rest = after;
    return true;
  }
  return false;
}

bool path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/' || c == '~' || c == '+' || c == '@' || c == '%' ||
         c == '*' || c == '?' || c == '[' || c == ']' || c == '#';
}

}  // namespace

std::optional<std::string> resolve_word(std::string_view word, std::string_view home,
                                        std::string_view cwd) {
  if (word.empty() || word.find("://") != std::string_view::npos) return std::nullopt;
  std::string_view rest;
  std::string base;
  if (word == "~" || word.starts_with("~/")) {
    if (home.empty()) return std::nullopt;
    base = home;
    rest = word.substr(1);
  } else if (var_prefix(word, "HOME", &rest)) {
    if (home.empty()) return std::nullopt;
    base = home;
  } else if (var_prefix(word, "TMPDIR", &rest) || var_prefix(word, "TMP", &rest) ||
             var_prefix(word, "TEMP", &rest)) {
    base = "/tmp";
  } else if (var_prefix(word, "PWD", &rest)) {
    if (cwd.empty()) return std::nullopt;
    base = cwd;
  } else if (word[0] == '~' || word[0] == '$') {
    return std::nullopt;  // ~user or another variable: unknown
  } else if (word[0] == '/') {
    return normalize_path(word);
  } else {
    // "host:path" is remote (scp, rsync); a relative word is local.
    const auto colon = word.find(':');
    if (colon != std::string_view::npos &&
        word.substr(0, colon).find('/') == std::string_view::npos)
      return std::nullopt;
    if (cwd.empty()) return std::nullopt;
    std::string joined(cwd);
    joined += '/';
    joined += word;
    return normalize_path(joined);
  }
  std::string joined = base;
  joined += rest;
  return normalize_path(joined);
}

std::vector<std::string> paths_in_text(std::string_view text, std::string_view home) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < 64) {
    const char c = text[i];
    const bool boundary = i == 0 || !path_char(text[i - 1]) || text[i - 1] == '=';
    if (!boundary || (c != '/' && c != '~' && c != '$')) {
      ++i;
      continue;
    }
    if (c == '/' && i > 0 && text[i - 1] == ':' && i + 1 < text.size() && text[i + 1] == '/') {
      // a URL: skip it whole
      while (i < text.size() && text[i] != ' ' && text[i] != '"' && text[i] != '\'') ++i;
      continue;
    }
    std::size_t j = i;
    if (c == '$') {
      // $HOME/..., ${HOME}/...
      std::size_t k = i + 1;
      if (k < text.size() && text[k] == '{') ++k;
      while (k < text.size() && ((text[k] >= 'A' && text[k] <= 'Z') || text[k] == '_' ||
                                 (text[k] >= '0' && text[k] <= '9')))
        ++k;
      if (k < text.size() && text[k] == '}') ++k;
      j = k;
    }
    while (j < text.size() && path_char(text[j])) ++j;
    std::string_view word = text.substr(i, j - i);
    if (c == '~' && word.size() > 1 && word[1] != '/') word = {};
    if (!word.empty() && word != "/" && word != "$") {
      if (auto p = resolve_word(word, home, {})) out.push_back(std::move(*p));
    } else if (word == "/" && (j == text.size() || text[j] == ' ' || text[j] == '"')) {
      out.emplace_back("/");
    }
    i = std::max(j, i + 1);
  }
  return out;
}

namespace {

// Matches one class at pattern[pi] == '['; sets *end past it. False when it is no class.
bool class_match(std::string_view pattern, std::size_t pi, char c, std::size_t* end,
                 bool* matched) {
  std::size_t k = pi + 1;
  bool negate = false;
  if (k < pattern.size() && (pattern[k] == '!' || pattern[k] == '^')) {
    negate = true;
    ++k;
  }
  bool found = false;
  bool first = true;
  while (k < pattern.size() && (first || pattern[k] != ']')) {
    first = false;
    char lo = pattern[k];
    char hi = lo;
    if (k + 2 < pattern.size() && pattern[k + 1] == '-' && pattern[k + 2] != ']') {
      hi = pattern[k + 2];
      k += 2;
    }
    if (c >= lo && c <= hi) found = true;
    ++k;
  }
  if (k >= pattern.size()) return false;  // no closing ']': a literal '['
  *end = k + 1;
  *matched = found != negate;
  return true;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool slash_stops) {
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?' && !(slash_stops && text[t] == '/')) {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        std::size_t end = 0;
        bool matched = false;
        if (class_match(pattern, p, text[t], &end, &matched)) {
          if (matched) {
            p = end;
            ++t;
            continue;
          }
        } else if (text[t] == '[') {
          ++p;
          ++t;
          continue;
        }
      } else if (pc == text[t] && pc != '?') {
        ++p;
        ++t;
        continue;
      }
    }
    if (star_p != std::string_view::npos && !(slash_stops && text[star_t] == '/')) {
      p = star_p;
      t = ++star_t;
      continue;
    }
    return false;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool has_glob(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

namespace {

bool components_from(std::span<const std::string> pattern, std::span<const std::string_view> path,
                     bool prefix_ok, int budget) {
  if (budget <= 0) return false;  // pathological "**/**/**" patterns
  if (pattern.empty()) return path.empty() || prefix_ok;
  if (pattern[0] == "**") {
    for (std::size_t k = 0; k <= path.size(); ++k) {
      if (components_from(pattern.subspan(1), path.subspan(k), prefix_ok, budget - 1)) return true;
    }
    return false;
  }
  if (path.empty()) return false;
  if (!glob_match(pattern[0], path[0], true)) return false;
  return components_from(pattern.subspan(1), path.subspan(1), prefix_ok, budget - 1);
}

}  // namespace

bool glob_components(std::span<const std::string> pattern, std::span<const std::string_view> path,
                     bool prefix_ok) {
  return components_from(pattern, path, prefix_ok, 4096);
}

std::optional<int> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > 65535) return std::nullopt;
  return v;
}

std::string normalize_host(std::string_view host) {
  std::string h = lowered(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  while (!h.empty() && h.back() == '.') h.pop_back();
  return h;
}

bool is_ipv4(std::string_view host) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= host.size()) {
    std::size_t j = host.find('.', i);
    if (j == std::string_view::npos) j = host.size();
    std::string_view part = host.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    int v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    ++parts;
    i = j + 1;
    if (j == host.size()) break;
  }
  return parts == 4;
}

bool is_ip(std::string_view host) {
  if (is_ipv4(host)) return true;
  if (host.find(':') == std::string_view::npos) return false;
  for (char c : host) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '.') return false;
  }
  return true;
}

bool host_match(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return !host.empty();
  if (pattern.starts_with("*.")) {
    const std::string_view suffix = pattern.substr(1);  // ".github.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  if (has_glob(pattern)) return glob_match(pattern, host);
  return pattern == host;
}

namespace {

// scheme, host and port of "scheme://[user@]host[:port]/..."
bool split_url(std::string_view word, std::string_view* scheme, std::string_view* host,
               std::string_view* port) {
  const auto sep = word.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  *scheme = word.substr(0, sep);
  std::string_view rest = word.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  *port = {};
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    *host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') *port = rest.substr(close + 2);
  } else {
    const auto colon = rest.find(':');
    *host = rest.substr(0, colon);
    if (colon != std::string_view::npos) *port = rest.substr(colon + 1);
  }
  return !host->empty();
}

}  // namespace

std::optional<std::string> host_of_url(std::string_view word) {
  std::string_view scheme, host, port;
  if (split_url(word, &scheme, &host, &port)) return normalize_host(host);
  // "[user@]host:path" (scp, rsync, git): a host part without '/' before the ':'
  if (word.empty() || word[0] == '-' || word[0] == '/' || word[0] == '.' || word[0] == '~')
    return std::nullopt;
  const auto colon = word.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view left = word.substr(0, colon);
  if (left.find_first_of("/= \"'$") != std::string_view::npos) return std::nullopt;
  if (auto at = left.rfind('@'); at != std::string_view::npos) left = left.substr(at + 1);
  if (left.empty()) return std::nullopt;
  return normalize_host(left);
}

std::optional<int> port_of_url(std::string_view word) {
  std::string_view scheme, host, port;
  if (!split_url(word, &scheme, &host, &port)) return std::nullopt;
  if (!port.empty()) return parse_port(port);
  const std::string s = lowered(scheme);
  if (s == "https" || s == "wss") return 443;
  if (s == "http" || s == "ws") return 80;
  if (s == "ftp") return 21;
  if (s == "ssh" || s == "sftp" || s == "scp" || s == "git+ssh") return 22;
  if (s == "git") return 9418;
  return std::nullopt;
}

namespace {

constexpr int kMaxDepth = 4;
constexpr std::size_t kMaxCommands = 256;

std::size_t closing_paren(std::string_view s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth == 0) return i;
  }
  return s.size();
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void split_script(std::string_view s, std::vector<Simple>& out, int depth) {
  if (depth > kMaxDepth) return;
  enum class Pending { Word, Out, In, Skip, Data };
  Simple cur;
  std::string word;
  bool in_word = false;
  Pending pending = Pending::Word;
  bool piped = false;                  // the next command reads the last one's output
  std::vector<std::string> last;       // words of the last command
  std::vector<std::string_view> subs;  // bodies of $(...), `...`, <(...)
  std::vector<std::string> heredocs;   // delimiters whose bodies start at the next newline

  auto finish_word = [&] {
    if (!in_word) return;
    switch (pending) {
      case Pending::Out:
        cur.out.push_back(std::move(word));
        break;
      case Pending::In:
        cur.in.push_back(std::move(word));
        break;
      case Pending::Skip:
        break;
      case Pending::Data:
        cur.data += word;
        cur.data += '\n';
        break;
      case Pending::Word:
        cur.words.push_back(std::move(word));
        break;
    }
    pending = Pending::Word;
    word.clear();
    in_word = false;
  };
  auto finish_cmd = [&] {
    finish_word();
    if ((!cur.words.empty() || !cur.out.empty() || !cur.in.empty()) && out.size() < kMaxCommands) {
      cur.from_script = true;
      if (piped) cur.piped_from = last;
      piped = false;
      last = cur.words;
      out.push_back(std::move(cur));
    }
    cur = Simple{};
    pending = Pending::Word;
  };
  auto substitution = [&](std::size_t open, std::size_t* i) {
    // s[open] == '(' of "$(" or "<(": the body is split later as a script of its own
    const std::size_t close = closing_paren(s, open);
    subs.push_back(s.substr(open + 1, close > open ? close - open - 1 : 0));
    word.append(s.substr(open - 1, close + 1 - (open - 1)));
    in_word = true;
    *i = close;
  };

  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    if (c == '\\' && i + 1 < s.size()) {
      if (next != '\n') {
        word += next;
        in_word = true;
      }
      ++i;
      continue;
    }
    if (c == '\'') {
      std::size_t j = s.find('\'', i + 1);
      if (j == std::string_view::npos) j = s.size();
      word.append(s.substr(i + 1, j - i - 1));
      in_word = true;
      i = j;
      continue;
    }
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '"') {
        if (s[j] == '\\' && j + 1 < s.size()) {
          word += s[j + 1];
          j += 2;
        } else if (s[j] == '$' && j + 1 < s.size() && s[j + 1] == '(') {
          substitution(j + 1, &j);
          ++j;
        } else if (s[j] == '`') {
          std::size_t e = s.find('`', j + 1);
          if (e == std::string_view::npos) e = s.size();
          subs.push_back(s.substr(j + 1, e - j - 1));
          word.append(s.substr(j, e - j + 1));
          j = e + 1;
        } else {
          word += s[j++];
        }
      }
      in_word = true;
      i = j;
      continue;
    }
    if ((c == '$' || c == '<') && next == '(') {
      if (c == '<') finish_word();
      substitution(i + 1, &i);
      continue;
    }
    if (c == '`') {
      std::size_t e = s.find('`', i + 1);
      if (e == std::string_view::npos) e = s.size();
      subs.push_back(s.substr(i + 1, e - i - 1));
      word.append(s.substr(i, e - i + 1));
      in_word = true;
      i = e;
      continue;
    }
    if (c == '#' && !in_word) {
      while (i + 1 < s.size() && s[i + 1] != '\n') ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      finish_word();
      continue;
    }
    if (c == '&' && next == '>') {
      finish_word();
      pending = Pending::Out;
      ++i;
      if (i + 1 < s.size() && s[i + 1] == '>') ++i;
      continue;
    }
    if (c == '|' || c == '&') {
      // "a | b" and "a |& b" feed b; "a || b" and "a && b" do not
      const bool pipe = c == '|' && next != '|';
      if (next == c || (c == '|' && next == '&')) ++i;
      finish_cmd();
      piped = pipe;
      continue;
    }
    if (c == '\n' || c == ';' || c == '(' || c == ')' || c == '{' || c == '}') {
      if ((c == '{' || c == '}') && (in_word || (next != ' ' && next != '\n' && next != '\0'))) {
        word += c;  // brace expansion or ${...}, not a group
        in_word = true;
        continue;
      }
      finish_cmd();
      if (c == '\n' && !heredocs.empty()) {
        // the here-documents' bodies are data for the command, not commands
        std::string body;
        for (const auto& delim : heredocs) {
          std::size_t line = i + 1;
          while (line < s.size()) {
            std::size_t end = s.find('\n', line);
            if (end == std::string_view::npos) end = s.size();
            std::string_view text = s.substr(line, end - line);
            line = end + 1;
            std::string_view trimmed = text;
            while (!trimmed.empty() && (trimmed[0] == '\t' || trimmed[0] == ' '))
              trimmed.remove_prefix(1);
            if (trimmed == delim) break;
            body += text;
            body += '\n';
          }
          i = std::min(line, s.size()) - 1;
        }
        if (!out.empty()) out.back().data += body;
        heredocs.clear();
      }
      continue;
    }
    if (c == '>' || c == '<') {
      if (in_word && all_digits(word)) {
        word.clear();
        in_word = false;
      } else {
        finish_word();
      }
      if (c == '<' && next == '<') {
        if (i + 2 < s.size() && s[i + 2] == '<') {
          i += 2;  // here-string: the word is data
          pending = Pending::Data;
          continue;
        }
        i += 1;
        if (i + 1 < s.size() && s[i + 1] == '-') ++i;
        // the here-document's delimiter, possibly quoted
        std::size_t k = i + 1;
        while (k < s.size() && s[k] == ' ') ++k;
        std::size_t e = k;
        while (e < s.size() && s[e] != ' ' && s[e] != '\n' && s[e] != ';' && s[e] != '>' &&
               s[e] != '|')
          ++e;
        std::string delim(s.substr(k, e - k));
        std::erase_if(delim, [](char ch) { return ch == '\'' || ch == '"'; });
        heredocs.push_back(std::move(delim));
        i = e - 1;
        continue;
      }
      if (c == '>' && next == '&') {
        ++i;
        const char after = i + 1 < s.size() ? s[i + 1] : '\0';
        pending = (after >= '0' && after <= '9') || after == '-' ? Pending::Skip : Pending::Out;
        continue;
      }
      if (c == '>' && (next == '>' || next == '|')) ++i;
      pending = c == '>' ? Pending::Out : Pending::In;
      continue;
    }
    word += c;
    in_word = true;
  }
  finish_cmd();
  for (std::string_view body : subs) split_script(body, out, depth + 1);
}

std::vector<std::string> strip_wrappers(const std::vector<std::string>& words,
                                        std::vector<std::string>* wrappers) {
  std::size_t i = 0;
  auto skip_options = [&](std::initializer_list<std::string_view> with_value) {
    while (i < words.size() && words[i].starts_with('-') && words[i].size() > 1) {
      const std::string& w = words[i++];
      if (w == "--") break;
      for (std::string_view v : with_value) {
        if (w == v) {
          ++i;
          break;
        }
      }
    }
  };
  for (int guard = 0; guard < 16 && i < words.size(); ++guard) {
    const std::string& w0 = words[i];
    const auto eq = w0.find('=');
    if (eq != std::string::npos && eq > 0 && w0.find('/') > eq &&
        std::all_of(w0.begin(), w0.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_';
        })) {
      ++i;  // VAR=value before the command
      continue;
    }
    const std::string_view w = base_name(w0);
    auto note = [&] {
      if (wrappers != nullptr) wrappers->emplace_back(w);
    };
    if (w == "sudo" || w == "doas") {
      note();
      ++i;
      skip_options({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "-R"});
    } else if (w == "env") {
      note();
      ++i;
      skip_options({"-u", "-C", "-S", "--unset", "--chdir"});
    } else if (w == "nohup" || w == "time" || w == "command" || w == "exec" || w == "setsid" ||
               w == "builtin" || w == "unbuffer" || w == "busybox" || w == "caffeinate") {
      note();
      ++i;
      skip_options({"-a"});
    } else if (w == "nice" || w == "ionice" || w == "chrt" || w == "taskset") {
      note();
      ++i;
      skip_options({"-n", "-c", "-p"});
      if (w != "nice" && w != "ionice" && i < words.size() && all_digits(words[i])) ++i;
    } else if (w == "timeout") {
      note();
      ++i;
      skip_options({"-s", "-k", "--signal", "--kill-after"});
      if (i < words.size()) ++i;  // the duration
    } else if (w == "stdbuf") {
      note();
      ++i;
      skip_options({"-i", "-o", "-e"});
    } else if ((w == "bundle" && i + 1 < words.size() && words[i + 1] == "exec") ||
               ((w == "poetry" || w == "pipenv" || w == "uv" || w == "pdm" || w == "hatch") &&
                i + 1 < words.size() && words[i + 1] == "run")) {
      note();
      i += 2;
      skip_options({});
    } else if (w == "npx" || w == "pnpx" || w == "bunx") {
      note();
      ++i;
      skip_options({"-p", "--package"});
    } else if (w == "xargs") {
      note();
      ++i;
      skip_options({"-I", "-n", "-P", "-d", "-a", "-L", "-s", "-E", "-i"});
    } else {
      break;
    }
  }
  return {words.begin() + static_cast<std::ptrdiff_t>(std::min(i, words.size())), words.end()};
}

namespace {

bool is_shell(std::string_view prog) {
  return prog == "sh" || prog == "bash" || prog == "zsh" || prog == "dash" || prog == "ksh" ||
         prog == "ash" || prog == "mksh" || prog == "fish" || prog == "su";
}

void expand(Simple s, std::vector<Simple>& out, int depth) {
  if (out.size() >= kMaxCommands) return;
  std::vector<std::string> stripped = strip_wrappers(s.words);
  const bool changed = stripped.size() != s.words.size() && !stripped.empty();
  // The unwrapped command first: on a tie its finding is the more telling one.
  if (changed) {
    Simple t = s;
    t.words = stripped;
    out.push_back(std::move(t));
  }
  out.push_back(s);
  if (depth > kMaxDepth || stripped.empty()) return;
  const std::string_view prog = base_name(stripped[0]);
  std::vector<Simple> inner;
  if (is_shell(prog)) {
    // "-c" alone or inside a cluster ("-lc", "-euc"); the script is the next word
    for (std::size_t i = 1; i + 1 < stripped.size(); ++i) {
      const std::string& w = stripped[i];
      if (!w.starts_with('-') || w.starts_with("--")) {
        if (prog != "su") break;
        continue;  // su USER -c CMD
      }
      if (w.find('c') != std::string::npos) {
        split_script(stripped[i + 1], inner, depth + 1);
        break;
      }
    }
  } else if (prog == "eval") {
    std::string script;
    for (std::size_t i = 1; i < stripped.size(); ++i) script += (i > 1 ? " " : "") + stripped[i];
    split_script(script, inner, depth + 1);
  } else if (prog == "ssh") {
    // ssh [options] host command...: the remote command is a script too
    static constexpr std::string_view kWithValue = "bcDEeFIiJLlmOopQRSWw";
    std::size_t i = 1;
    while (i < stripped.size() && stripped[i].starts_with('-')) {
      const std::string& w = stripped[i++];
      if (w.size() == 2 && kWithValue.find(w[1]) != std::string_view::npos) ++i;
    }
    if (i + 1 < stripped.size()) {
      std::string script;
      for (std::size_t k = i + 1; k < stripped.size(); ++k)
        script += (k > i + 1 ? " " : "") + stripped[k];
      split_script(script, inner, depth + 1);
    }
  } else if (prog == "find") {
    for (std::size_t i = 1; i < stripped.size(); ++i) {
      if (stripped[i] != "-exec" && stripped[i] != "-execdir" && stripped[i] != "-ok") continue;
      Simple e;
      e.from_script = true;
      for (++i; i < stripped.size() && stripped[i] != ";" && stripped[i] != "+"; ++i)
        e.words.push_back(stripped[i]);
      if (!e.words.empty()) inner.push_back(std::move(e));
    }
  }
  for (auto& t : inner) expand(std::move(t), out, depth + 1);
}

}  // namespace

std::vector<Simple> simple_commands(const std::vector<std::string>& argv) {
  std::vector<Simple> out;
  if (argv.empty()) return out;
  Simple top;
  top.words = argv;
  expand(std::move(top), out, 0);
  return out;
}

std::vector<Simple> script_commands(std::string_view script) {
  std::vector<Simple> parts;
  split_script(script, parts, 1);
  std::vector<Simple> out;
  for (auto& c : parts) expand(std::move(c), out, 1);
  return out;
}

void words_of(std::string_view text, std::vector<std::string>& out) {
  std::string cur;
  for (char c : text) {
    const char l = lower(c);
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      cur += l;
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
}

}  // namespace warden::reviewer::detail
