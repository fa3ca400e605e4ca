#include "warden/policy/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace warden::policy::json {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence at s[i], or 0. Rejects overlongs, surrogates
// (ED A0..BF) and code points above U+10FFFF, per the Unicode table of well-formed sequences.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100u;
  };
  auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xbf; };
  const unsigned c = at(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(at(1)) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    const unsigned c1 = at(1);
    return c1 >= lo && c1 <= hi && cont(at(2)) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    const unsigned c1 = at(1);
    return c1 >= lo && c1 <= hi && cont(at(2)) && cont(at(3)) ? 4 : 0;
  }
  return 0;
}

void append_u_escape(std::string& out, unsigned code) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xf];
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  (void)ec;  // 32 bytes always hold the shortest form
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  // Keep it a double when read back: "2" would come back as an integer.
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

class Parser {
 public:
  Parser(std::string_view text) : s_(text) {}

  Value document() {
    Value v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail(pos_, "expected end of input after the value");
    return v;
  }

  [[noreturn]] void fail(std::size_t at, const std::string& message) const {
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < at && i < s_.size(); ++i)
      if (s_[i] == '\n') ++line, line_start = i + 1;
    throw ParseError(line, at - line_start + 1, message);
  }

 private:
  bool eof() const { return pos_ >= s_.size(); }
  char peek() const { return eof() ? '\0' : s_[pos_]; }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void skip_ws() {
    while (!eof() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  Value value(int depth) {
    skip_ws();
    switch (peek()) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return Value(string());
      case 't':
        return literal("true", Value(true));
      case 'f':
        return literal("false", Value(false));
      case 'n':
        return literal("null", Value());
      default:
        if (peek() == '-' || is_digit(peek())) return number();
        fail(pos_, "expected a value");
    }
  }

  Value literal(std::string_view word, Value v) {
    if (s_.substr(pos_, word.size()) != word) fail(pos_, "expected a value");
    pos_ += word.size();
    return v;
  }

  void enter(int depth) const {
    if (depth >= kMaxDepth)
      fail(pos_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  Value object(int depth) {
    enter(depth);
    ++pos_;
    Value::Object members;
    std::unordered_set<std::string> seen;  // filled only for large objects, see below
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return Value(std::move(members));
    }
    for (;;) {
      skip_ws();
      if (peek() != '"')
        fail(pos_,
             members.empty() ? "expected string key or '}'" : "expected string key after ','");
      const std::size_t key_at = pos_;
      std::string key = string();
      // Linear search is cheapest for the small objects we expect; a set keeps a hostile
      // megabyte of keys from going quadratic.
      bool duplicate;
      if (members.size() < 16) {
        duplicate = false;
        for (const auto& m : members) duplicate = duplicate || m.first == key;
      } else {
        if (seen.empty())
          for (const auto& m : members) seen.insert(m.first);
        duplicate = !seen.insert(key).second;
      }
      if (duplicate) fail(key_at, "duplicate key " + quote(key));
      skip_ws();
      if (peek() != ':') fail(pos_, "expected ':' after object key");
      ++pos_;
      Value v = value(depth + 1);
      members.emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() == '}') {
        ++pos_;
        return Value(std::move(members));
      } else {
        fail(pos_, "expected ',' or '}' after object member");
      }
    }
  }

  Value array(int depth) {
    enter(depth);
    ++pos_;
    Value::Array items;
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return Value(std::move(items));
    }
    for (;;) {
      items.push_back(value(depth + 1));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() == ']') {
        ++pos_;
        return Value(std::move(items));
      } else {
        fail(pos_, "expected ',' or ']' after array element");
      }
    }
  }

  // Four hex digits at s_[at], or -1.
  long hex4(std::size_t at) const {
    if (at + 4 > s_.size()) return -1;
    long v = 0;
    for (std::size_t i = at; i < at + 4; ++i) {
      const char c = s_[i];
      int d;
      if (is_digit(c))
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return -1;
      v = v * 16 + d;
    }
    return v;
  }

  std::string string() {
    const std::size_t start = pos_++;
    std::string out;
    for (;;) {
      if (eof()) fail(start, "unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) fail(start, "unterminated string");
        escape(out);
      } else if (c < 0x20) {
        fail(pos_, "control character in string must be escaped");
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
      } else {
        const std::size_t n = utf8_length(s_, pos_);
        if (n == 0) fail(pos_, "invalid UTF-8 in string");
        out.append(s_.substr(pos_, n));
        pos_ += n;
      }
    }
  }

  void escape(std::string& out) {
    const std::size_t at = pos_++;
    const char c = s_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'u':
        break;
      default:
        fail(at, "invalid escape");
    }
    const long cp = hex4(pos_);
    if (cp < 0) fail(at, "expected 4 hex digits after \\u");
    pos_ += 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (peek() == '\\' && pos_ + 1 < s_.size() && s_[pos_ + 1] == 'u') {
        const long low = hex4(pos_ + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
          pos_ += 6;
          append_utf8(out, 0x10000 + ((static_cast<std::uint32_t>(cp) - 0xd800) << 10) +
                               (static_cast<std::uint32_t>(low) - 0xdc00));
          return;
        }
      }
      fail(at, "lone surrogate " + std::string(s_.substr(at, 6)));
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      // The inverse of append_string: \udc80..\udcff stand for raw bytes 0x80..0xff.
      if (cp < 0xdc80 || cp > 0xdcff) fail(at, "lone surrogate " + std::string(s_.substr(at, 6)));
      out += static_cast<char>(cp & 0xff);
      return;
    }
    append_utf8(out, static_cast<std::uint32_t>(cp));
  }

  Value number() {
    const std::size_t start = pos_;
    if (peek() == '-') {
      ++pos_;
      if (!is_digit(peek())) fail(pos_, "expected digit after '-'");
    }
    if (peek() == '0') {
      ++pos_;
      if (is_digit(peek())) fail(pos_ - 1, "leading zeros are not allowed");
    } else {
      while (is_digit(peek())) ++pos_;
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!is_digit(peek())) fail(pos_, "expected digit after '.'");
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) fail(pos_, "expected digit in exponent");
      while (is_digit(peek())) ++pos_;
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    if (integral) {
      std::int64_t n = 0;
      auto r = std::from_chars(first, last, n);
      if (r.ec == std::errc() && r.ptr == last) return Value(n);
      // Too large for int64: a double, like every other JSON reader.
    }
    double d = 0;
    auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars leaves d unset. A finite decimal is out of range either because it rounds to
      // zero (accepted as zero, as strtod does) or to infinity (rejected).
      if (decimal_exponent(std::string_view(first, last - first)) > 0)
        fail(start, "number out of range");
      d = *first == '-' ? -0.0 : 0.0;
    } else if (r.ec != std::errc() || r.ptr != last) {
      fail(start, "invalid number");
    }
    return Value(d);
  }

  // The power of ten of the leading significant digit of a validated non-zero number literal,
  // saturated: enough to tell overflow from underflow.
  static long decimal_exponent(std::string_view num) {
    std::size_t i = num[0] == '-' ? 1 : 0;
    const std::size_t int_start = i;
    while (i < num.size() && is_digit(num[i])) ++i;
    const long int_len = static_cast<long>(i - int_start);
    long lead = 0;
    bool found = false;
    for (std::size_t k = int_start; k < i && !found; ++k)
      if (num[k] != '0') found = true, lead = int_len - 1 - static_cast<long>(k - int_start);
    if (i < num.size() && num[i] == '.') {
      const std::size_t frac_start = ++i;
      for (; i < num.size() && is_digit(num[i]); ++i)
        if (!found && num[i] != '0') found = true, lead = -static_cast<long>(i - frac_start + 1);
    }
    long exp = 0;
    if (i < num.size() && (num[i] == 'e' || num[i] == 'E')) {
      ++i;
      const bool negative = num[i] == '-';
      if (num[i] == '+' || num[i] == '-') ++i;
      for (; i < num.size(); ++i) exp = std::min(exp * 10 + (num[i] - '0'), 100000L);
      if (negative) exp = -exp;
    }
    return lead + exp;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

void append_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy the common run of plain printable ASCII in one go.
    std::size_t run = i;
    while (run < s.size()) {
      const unsigned char c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
      ++run;
    }
    out.append(s.substr(i, run - i));
    i = run;
    if (i == s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\b':
        out += "\\b";
        ++i;
        continue;
      case '\f':
        out += "\\f";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x80) {  // the other control characters and DEL
      append_u_escape(out, c);
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      append_u_escape(out, 0xdc00 | c);  // surrogateescape; the next byte starts afresh
      ++i;
    } else if (n == 3 && c == 0xe2 && s[i + 1] == '\x80' &&
               (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
      // U+2028 and U+2029 end lines in JavaScript and some log viewers.
      append_u_escape(out, s[i + 2] == '\xa8' ? 0x2028 : 0x2029);
      i += 3;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
}

std::string quote(std::string_view bytes) {
  std::string out;
  append_string(out, bytes);
  return out;
}

// ---- Writer

void Writer::separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}

Writer& Writer::key(std::string_view k) {
  separate();
  append_string(out_, k);
  out_ += ':';
  need_comma_ = false;  // the value follows the colon directly
  return *this;
}

Writer& Writer::string(std::string_view s) {
  separate();
  append_string(out_, s);
  return *this;
}

Writer& Writer::number(std::int64_t n) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out_.append(buf, end);
  return *this;
}

Writer& Writer::number(double d) {
  separate();
  append_double(out_, d);
  return *this;
}

Writer& Writer::boolean(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

Writer& Writer::null() {
  separate();
  out_ += "null";
  return *this;
}

Writer& Writer::begin_object() {
  separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

Writer& Writer::end_object() {
  out_ += '}';
  need_comma_ = true;  // the object was a value of its parent
  return *this;
}

Writer& Writer::begin_array() {
  separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

Writer& Writer::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

Writer& Writer::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

std::string Writer::take() {
  std::string s = std::move(out_);
  clear();
  return s;
}

void Writer::clear() {
  out_.clear();
  need_comma_ = false;
}

// ---- Errors and values

ParseError::ParseError(std::size_t line, std::size_t column, const std::string& message)
    : std::runtime_error(std::to_string(line) + ":" + std::to_string(column) + ": " + message),
      line_(line),
      column_(column),
      message_(message) {}

const char* Value::type_name() const {
  switch (type()) {
    case Type::Null:
      return "null";
    case Type::Bool:
      return "boolean";
    case Type::Int:
    case Type::Double:
      return "number";
    case Type::String:
      return "string";
    case Type::Array:
      return "array";
    case Type::Object:
      return "object";
  }
  return "?";
}

namespace {
[[noreturn]] void wrong_type(const char* expected, const Value& got) {
  throw TypeError(std::string("expected ") + expected + ", got " + got.type_name());
}
}  // namespace

bool Value::as_bool() const {
  if (!is_bool()) wrong_type("boolean", *this);
  return std::get<bool>(v_);
}

std::int64_t Value::as_int() const {
  if (!is_int()) wrong_type("integer", *this);
  return std::get<std::int64_t>(v_);
}

double Value::as_double() const {
  if (is_int()) return static_cast<double>(std::get<std::int64_t>(v_));
  if (!is_double()) wrong_type("number", *this);
  return std::get<double>(v_);
}

const std::string& Value::as_string() const {
  if (!is_string()) wrong_type("string", *this);
  return std::get<std::string>(v_);
}

const Value::Array& Value::as_array() const {
  if (!is_array()) wrong_type("array", *this);
  return std::get<Array>(v_);
}

const Value::Object& Value::as_object() const {
  if (!is_object()) wrong_type("object", *this);
  return std::get<Object>(v_);
}

Value::Array& Value::as_array() {
  if (!is_array()) wrong_type("array", *this);
  return std::get<Array>(v_);
}

Value::Object& Value::as_object() {
  if (!is_object()) wrong_type("object", *this);
  return std::get<Object>(v_);
}

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<Object>(v_))
    if (k == key) return &v;
  return nullptr;
}

Value parse(std::string_view text, std::size_t max_size) {
  Parser p(text);
  if (text.size() > max_size) p.fail(0, "input larger than " + std::to_string(max_size) + " bytes");
  return p.document();
}

void append_value(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::Null:
      out += "null";
      return;
    case Value::Type::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Type::Int:
      out += std::to_string(v.as_int());
      return;
    case Value::Type::Double:
      append_double(out, v.as_double());
      return;
    case Value::Type::String:
      append_string(out, v.as_string());
      return;
    case Value::Type::Array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.as_array()) {
        if (!first) out += ',';
        first = false;
        append_value(out, item);
      }
      out += ']';
      return;
    }
    case Value::Type::Object: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.as_object()) {
        if (!first) out += ',';
        first = false;
        append_string(out, k);
        out += ':';
        append_value(out, item);
      }
      out += '}';
      return;
    }
  }
}

std::string serialize(const Value& v) {
  std::string out;
  append_value(out, v);
  return out;
}

}  // namespace warden::policy::json
