#include "config_values.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "toml.hpp"

namespace warden::policy::detail {

namespace {

// Where nodes of one parsed document come from: a file (positions from toml++) or a label that
// every node of the document shares ("-c KEY=VALUE", "--sandbox").
struct Origin {
  std::string file;
  std::string label;

  Source at(const toml::source_region& r) const {
    if (!label.empty()) return Source{"", 0, 0, label};
    return Source{file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column), ""};
  }
};

Val from_node(const toml::node& n, const Origin& o) {
  Val v;
  v.source = o.at(n.source());
  switch (n.type()) {
    case toml::node_type::table:
      v.type = VType::Table;
      for (auto&& [k, child] : *n.as_table()) {
        v.tab.push_back(Entry{std::string(k.str()), o.at(k.source()), from_node(child, o)});
      }
      break;
    case toml::node_type::array:
      v.type = VType::Array;
      for (auto&& child : *n.as_array()) v.arr.push_back(from_node(child, o));
      break;
    case toml::node_type::string:
      v.type = VType::String;
      v.s = n.as_string()->get();
      break;
    case toml::node_type::integer:
      v.type = VType::Integer;
      v.i = n.as_integer()->get();
      break;
    case toml::node_type::floating_point:
      v.type = VType::Float;
      v.f = n.as_floating_point()->get();
      break;
    case toml::node_type::boolean:
      v.type = VType::Boolean;
      v.b = n.as_boolean()->get();
      break;
    case toml::node_type::date:
      v.type = VType::Date;
      break;
    case toml::node_type::time:
      v.type = VType::Time;
      break;
    case toml::node_type::date_time:
      v.type = VType::DateTime;
      break;
    case toml::node_type::none:
      break;
  }
  return v;
}

std::string position(const std::string& file, const toml::source_region& r) {
  return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

Val Val::table(const Source& at) {
  Val v;
  v.type = VType::Table;
  v.source = at;
  return v;
}

Val Val::string(std::string value, const Source& at) {
  Val v;
  v.type = VType::String;
  v.s = std::move(value);
  v.source = at;
  return v;
}

const Val* Val::find(std::string_view key) const {
  for (const auto& e : tab) {
    if (e.key == key) return &e.val;
  }
  return nullptr;
}

Val* Val::find(std::string_view key) {
  for (auto& e : tab) {
    if (e.key == key) return &e.val;
  }
  return nullptr;
}

void fail(const Source& at, const std::string& what) {
  throw ConfigError(at.describe() + ": " + what);
}

const char* type_name(VType t) {
  switch (t) {
    case VType::Table:
      return "table";
    case VType::Array:
      return "array";
    case VType::String:
      return "string";
    case VType::Integer:
      return "integer";
    case VType::Float:
      return "float";
    case VType::Boolean:
      return "boolean";
    case VType::Date:
      return "date";
    case VType::Time:
      return "time";
    case VType::DateTime:
      return "date-time";
  }
  return "value";
}

std::string got(const Val& v) {
  return v.type == VType::String ? quote(v.s) : std::string(type_name(v.type));
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        // TOML forbids raw control characters (and DEL) in basic strings.
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string toml_key(std::string_view k) {
  if (k.empty()) return "\"\"";
  for (char c : k) {
    if (!is_bare_key_char(c)) return quote(k);
  }
  return std::string(k);
}

std::string quote_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += quote(items[i]);
  }
  return out + "]";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = c;
    if (c < 0x80) {
      n = 0;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 (and TOML rejects them).
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

Val parse_document(std::string_view text, const std::string& file) {
  try {
    toml::table t = toml::parse(text, std::string_view(file));
    return from_node(t, Origin{file, ""});
  } catch (const toml::parse_error& e) {
    throw ConfigError(position(file, e.source()) + ": " + std::string(e.description()));
  }
}

std::optional<std::string> read_text(const std::string& path, bool required,
                                     const std::string& flag) {
  std::string prefix = flag.empty() ? path + ": cannot read" : flag + ": cannot read " + path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (!required && (err == ENOENT || err == ENOTDIR)) return std::nullopt;
    throw ConfigError(prefix + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) throw ConfigError(prefix + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(prefix + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(prefix + ": read error");
  return text.str();
}

std::vector<std::string> parse_key(const std::string& key, const Source& at) {
  // Let toml++ parse the key so quoting ("projects.\"/x\".trust_level") works as in a file.
  std::vector<std::string> path;
  toml::table t;
  try {
    const std::string doc = key + " = 0";
    t = toml::parse(std::string_view(doc), std::string_view("-c"));
  } catch (const toml::parse_error&) {
    fail(at, "invalid key " + quote(key));
  }
  const toml::table* cur = &t;
  while (cur && cur->size() == 1) {
    auto it = cur->begin();
    path.emplace_back(it->first.str());
    if (it->second.is_integer()) return path;
    cur = it->second.as_table();
  }
  fail(at, "invalid key " + quote(key));
}

Val parse_value(const std::string& value, const Source& at) {
  try {
    const std::string doc = "k = " + value;
    toml::table t = toml::parse(std::string_view(doc), std::string_view("-c"));
    if (t.size() == 1 && t.contains("k")) return from_node(*t.get("k"), Origin{"", at.label});
  } catch (const toml::parse_error&) {
    // Not TOML: a plain string, as codex -c does (`-c model=o3`).
  }
  // Trimmed as codex -c does, so `-c sandbox_mode= read-only` means "read-only".
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t");
  std::string plain = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  if (!valid_utf8(plain)) fail(at, "value is not valid UTF-8");
  return Val::string(std::move(plain), at);
}

void set_path(Val& root, const std::vector<std::string>& path, Val value, const Source& at) {
  Val* cur = &root;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    Val* next = cur->find(path[i]);
    if (!next) {
      cur->tab.push_back(Entry{path[i], at, Val::table(at)});
      next = &cur->tab.back().val;
    } else if (next->type != VType::Table) {
      *next = Val::table(at);
    }
    cur = next;
  }
  if (Val* leaf = cur->find(path.back())) {
    *leaf = std::move(value);
  } else {
    cur->tab.push_back(Entry{path.back(), at, std::move(value)});
  }
}

bool get_bool(const Val& v, const std::string& key) {
  if (v.type != VType::Boolean) fail(v.source, key + ": expected a boolean, got " + got(v));
  return v.b;
}

const std::string& get_string(const Val& v, const std::string& key) {
  if (v.type != VType::String) fail(v.source, key + ": expected a string, got " + got(v));
  return v.s;
}

std::int64_t get_int(const Val& v, const std::string& key) {
  if (v.type != VType::Integer) fail(v.source, key + ": expected an integer, got " + got(v));
  return v.i;
}

const Val& get_table(const Val& v, const std::string& key) {
  if (v.type != VType::Table) fail(v.source, key + ": expected a table, got " + got(v));
  return v;
}

std::vector<std::string> get_strings(const Val& v, const std::string& key) {
  if (v.type != VType::Array) {
    fail(v.source, key + ": expected an array of strings, got " + got(v));
  }
  std::vector<std::string> out;
  for (const Val& e : v.arr) {
    if (e.type != VType::String) {
      fail(e.source, key + ": expected an array of strings, got " + std::string(type_name(e.type)));
    }
    out.push_back(e.s);
  }
  return out;
}

std::uint64_t get_memory_size(const Val& v, const std::string& key) {
  static const std::string kExpected =
      ": expected a size such as \"512M\", \"4G\" or \"1073741824\" (bytes; K, M, G, T are "
      "powers of 1024), or \"\" for no limit, got ";
  // Below this nothing runs at all; a typo ("64" for "64M") should not look like a working limit.
  constexpr std::uint64_t kMin = 1 << 20;
  std::uint64_t bytes = 0;
  if (v.type == VType::Integer) {
    if (v.i < 0) fail(v.source, key + kExpected + std::to_string(v.i));
    bytes = static_cast<std::uint64_t>(v.i);
  } else if (v.type == VType::String) {
    if (v.s.empty()) return 0;
    std::string_view digits = v.s;
    unsigned shift = 0;
    switch (digits.back()) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      case 'T':
      case 't':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) digits.remove_suffix(1);
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size())
      fail(v.source, key + kExpected + quote(v.s));
    if (ec == std::errc::result_out_of_range || (n << shift) >> shift != n ||
        (n << shift) > static_cast<std::uint64_t>(INT64_MAX))
      fail(v.source, key + ": " + quote(v.s) + " is too large");
    bytes = n << shift;
  } else {
    fail(v.source, key + kExpected + got(v));
  }
  if (bytes < kMin) {
    fail(v.source, key + ": expected at least 1M (1048576 bytes), or \"\" for no limit, got " +
                       (v.type == VType::String ? quote(v.s) : std::to_string(v.i)));
  }
  return bytes;
}

std::string memory_size_text(std::uint64_t bytes) {
  if (bytes == 0) return "";
  static constexpr struct {
    unsigned shift;
    char suffix;
  } kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (const auto& u : kUnits) {
    if (bytes % (std::uint64_t{1} << u.shift) == 0)
      return std::to_string(bytes >> u.shift) + u.suffix;
  }
  return std::to_string(bytes);
}

double get_cpus(const Val& v, const std::string& key) {
  static const std::string kExpected =
      ": expected a number of CPUs from 0.01 to 4096 (1.5: one and a half), or 0 for no limit, "
      "got ";
  double d = 0;
  if (v.type == VType::Integer) {
    d = static_cast<double>(v.i);
  } else if (v.type == VType::Float) {
    d = v.f;
  } else {
    fail(v.source, key + kExpected + got(v));
  }
  // The kernel's smallest CFS quota is 1 ms of each 100 ms period: 0.01 CPU.
  if (!std::isfinite(d) || d < 0 || d > 4096 || (d > 0 && d < 0.01)) {
    fail(v.source,
         key + kExpected + (v.type == VType::Integer ? std::to_string(v.i) : number_text(v.f)));
  }
  return d;
}

std::string number_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(d);
}

std::optional<std::string> expand_home(const std::string& path, const std::string& home) {
  if (path == "~" || path.starts_with("~/")) {
    if (home.empty()) return std::nullopt;
    std::string base = home;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    return path == "~" ? base : base + path.substr(1);
  }
  return path;
}

std::vector<std::string> get_paths(const Val& v, const std::string& key, const std::string& home,
                                   bool expand_tilde, bool require_absolute) {
  get_strings(v, key);
  std::vector<std::string> out;
  for (const Val& e : v.arr) {
    if (e.s.empty()) fail(e.source, key + ": expected a non-empty path, got \"\"");
    std::string p = e.s;
    if (expand_tilde) {
      auto expanded = expand_home(e.s, home);
      if (!expanded) fail(e.source, key + ": cannot expand " + quote(e.s) + ": HOME is unknown");
      p = *expanded;
    }
    if (require_absolute && p.front() != '/') {
      fail(e.source, key + ": expected an absolute path (or ~/...), got " + quote(e.s));
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace warden::policy::detail
