// Codex's .rules files are Starlark evaluated by starlark-rust. warden reads the subset Codex's
// rules use (top-level prefix_rule / host_executable calls with keyword arguments whose values
// are strings and lists) with its own parser: the files are data, not programs, and every error
// must name FILE:LINE:COL. String escapes follow starlark-rust, the lexer Codex uses.
#include "warden/policy/exec_rules.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>
#include <set>
#include <sstream>
#include <utility>

namespace warden::policy {

namespace {

struct Pos {
  int line = 1;
  int col = 1;
};

enum class Tok {
  Word,  // identifiers, and anything else made of [A-Za-z0-9_] (numbers, True, None)
  String,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Equals,
  Semicolon,
  Newline,
  End
};

struct Token {
  Tok kind = Tok::End;
  std::string text;  // the word, or the decoded string
  Pos pos;
};

std::string where(const std::string& source, Pos p) {
  return source + ":" + std::to_string(p.line) + ":" + std::to_string(p.col);
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::Word:
      return "`" + t.text + "`";
    case Tok::String:
      return "a string";
    case Tok::LParen:
      return "`(`";
    case Tok::RParen:
      return "`)`";
    case Tok::LBracket:
      return "`[`";
    case Tok::RBracket:
      return "`]`";
    case Tok::Comma:
      return "`,`";
    case Tok::Equals:
      return "`=`";
    case Tok::Semicolon:
      return "`;`";
    case Tok::Newline:
      return "a new line";
    case Tok::End:
      return "the end of the file";
  }
  return "?";
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  [[noreturn]] void fail(Pos p, const std::string& what) const {
    throw RulesError(where(source_, p) + ": " + what);
  }

  // Newlines inside brackets are not tokens (Starlark's implicit line joining), so the parser
  // only sees the ones that end a statement.
  Token next() {
    for (;;) {
      while (i_ < text_.size() && (at(' ') || at('\t') || at('\r') || at('\f'))) bump();
      if (at('\\') && i_ + 1 < text_.size() && text_[i_ + 1] == '\n') {
        bump();
        bump();
        continue;
      }
      if (at('#')) {
        while (i_ < text_.size() && !at('\n')) bump();
        continue;
      }
      if (i_ >= text_.size()) return {Tok::End, "", here()};
      if (at('\n')) {
        const Pos p = here();
        bump();
        if (depth_ == 0) return {Tok::Newline, "", p};
        continue;
      }
      break;
    }
    const Pos start = here();
    const char c = text_[i_];
    if (c == '"' || c == '\'') return lex_string(start, false);
    if (is_word_char(c)) {
      std::string word;
      while (i_ < text_.size() && is_word_char(text_[i_])) {
        word += text_[i_];
        bump();
      }
      if ((word == "r" || word == "R") && (at('"') || at('\''))) return lex_string(start, true);
      return {Tok::Word, word, start};
    }
    bump();
    switch (c) {
      case '(':
        ++depth_;
        return {Tok::LParen, "", start};
      case '[':
        ++depth_;
        return {Tok::LBracket, "", start};
      case ')':
        if (depth_ > 0) --depth_;
        return {Tok::RParen, "", start};
      case ']':
        if (depth_ > 0) --depth_;
        return {Tok::RBracket, "", start};
      case ',':
        return {Tok::Comma, "", start};
      case '=':
        return {Tok::Equals, "", start};
      case ';':
        return {Tok::Semicolon, "", start};
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7F) fail(start, std::string("unexpected character `") + c + "`");
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", u);
    fail(start, std::string("unexpected byte ") + hex);
  }

 private:
  bool at(char c) const { return i_ < text_.size() && text_[i_] == c; }

  // Columns count characters, not bytes, so a position after UTF-8 text matches an editor's.
  Pos here() const {
    int col = 1;
    for (std::size_t k = line_start_; k < i_; ++k) {
      if ((static_cast<unsigned char>(text_[k]) & 0xC0) != 0x80) ++col;
    }
    return {line_, col};
  }

  void bump() {
    if (text_[i_] == '\n') {
      ++line_;
      line_start_ = i_ + 1;
    }
    ++i_;
  }

  Token lex_string(Pos start, bool raw) {
    const char q = text_[i_];
    const bool triple = i_ + 2 < text_.size() && text_[i_ + 1] == q && text_[i_ + 2] == q;
    const std::string closing = triple ? std::string(3, q) : std::string(1, q);
    const std::string unterminated =
        "unterminated string: expected a closing " + closing +
        (triple ? " before the end of the file" : " before the end of the line");
    for (std::size_t k = 0; k < closing.size(); ++k) bump();
    std::string out;
    for (;;) {
      if (i_ >= text_.size()) fail(start, unterminated);
      const char c = text_[i_];
      if (c == q && (!triple || text_.compare(i_, 3, closing) == 0)) {
        for (std::size_t k = 0; k < closing.size(); ++k) bump();
        return {Tok::String, out, start};
      }
      if (c == '\n' && !triple) fail(start, unterminated);
      if (c == '\r') {  // starlark-rust drops CR inside strings (CRLF files)
        bump();
        continue;
      }
      if (c != '\\') {
        out += c;
        bump();
        continue;
      }
      const Pos esc = here();
      bump();
      if (i_ >= text_.size()) fail(start, unterminated);
      if (raw) {
        // As starlark-rust: a raw string keeps its backslashes, except before a quote.
        if (!at('"') && !at('\'')) out += '\\';
        out += text_[i_];
        bump();
        continue;
      }
      escape(esc, out);
    }
  }

  // After a backslash. Unknown escapes keep the backslash, as in starlark-rust (and Python).
  void escape(Pos esc, std::string& out) {
    const char e = text_[i_];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\n':  // line continuation inside the string
        break;
      case '"':
      case '\'':
      case '\\':
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        bump();
        const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        append_utf8(out, code_point(esc, e, digits, 16, digits));
        return;
      }
      default:
        if (e >= '0' && e <= '7') {
          append_utf8(out, code_point(esc, '\0', 1, 8, 3));
          return;
        }
        out += '\\';  // the character itself is read as ordinary text
        return;
    }
    bump();
  }

  // Reads min..max digits; \xNN and octal are code points (starlark-rust), not raw bytes.
  std::uint32_t code_point(Pos esc, char letter, std::size_t min, int radix, std::size_t max) {
    const std::size_t begin = i_;
    std::uint64_t value = 0;
    std::size_t n = 0;
    while (n < max && i_ < text_.size()) {
      const char c = text_[i_];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (radix == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (radix == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0 || d >= radix) break;
      value = value * radix + d;
      ++n;
      bump();
    }
    const std::string seq = "\\" + (letter ? std::string(1, letter) : "") +
                            std::string(text_.substr(begin, i_ - begin));
    if (n < min) {
      fail(esc, "invalid string escape sequence `" + seq + "`: expected " + std::to_string(min) +
                    " hex digits");
    }
    if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      fail(esc, "invalid string escape sequence `" + seq + "`: not a Unicode code point");
    }
    return static_cast<std::uint32_t>(value);
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t i_ = 0;
  int line_ = 1;
  std::size_t line_start_ = 0;
  int depth_ = 0;
};

struct Value {
  bool is_list = false;
  std::string str;
  std::vector<Value> items;
  Pos pos;
};

struct Arg {
  std::string name;
  Value value;
};

// Shell words as the shlex crate splits them (Codex tokenizes string examples with it).
std::optional<std::vector<std::string>> shlex_split(std::string_view s) {
  std::vector<std::string> words;
  std::size_t i = 0;
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  while (i < s.size()) {
    while (i < s.size() && blank(s[i])) ++i;
    if (i >= s.size()) break;
    if (s[i] == '#') {  // a comment only at the start of a word
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    std::string w;
    while (i < s.size() && !blank(s[i])) {
      const char c = s[i++];
      if (c == '\'') {
        const std::size_t end = s.find('\'', i);
        if (end == std::string_view::npos) return std::nullopt;
        w.append(s.substr(i, end - i));
        i = end + 1;
      } else if (c == '"') {
        for (;;) {
          if (i >= s.size()) return std::nullopt;
          const char d = s[i++];
          if (d == '"') break;
          if (d != '\\') {
            w += d;
            continue;
          }
          if (i >= s.size()) return std::nullopt;
          const char e = s[i++];
          if (e == '$' || e == '`' || e == '"' || e == '\\') {
            w += e;
          } else if (e != '\n') {
            w += '\\';
            w += e;
          }
        }
      } else if (c == '\\') {
        if (i >= s.size()) return std::nullopt;
        const char e = s[i++];
        if (e != '\n') w += e;
      } else {
        w += c;
      }
    }
    words.push_back(std::move(w));
  }
  return words;
}

// The shlex crate's quoting (Codex renders commands with shlex::try_join): the longest runs that
// can stay bare, go in single quotes, or go in double quotes, in that order of preference.
std::string shlex_quote(std::string_view w) {
  if (w.empty()) return "''";
  constexpr int kBare = 1, kSingle = 2, kDouble = 4;
  const auto bare_ok = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("+-./:@]_", c) != nullptr;
  };
  std::string out;
  std::size_t i = 0;
  while (i < w.size()) {
    int ok = kBare | kSingle | kDouble;
    std::size_t j = i;
    if (w[j] == '^') {  // bash history expansion: only safe right after an opening '
      ok = kSingle;
      ++j;
    }
    for (; j < w.size(); ++j) {
      const auto c = static_cast<unsigned char>(w[j]);
      int cur = ok;
      if (c >= 0x80 || !bare_ok(c)) cur &= ~kBare;
      if (c == '\'' || c == '^' || c == '\\') cur &= ~kSingle;
      if (c == '`' || c == '$' || c == '!' || c == '^') cur &= ~kDouble;
      if (cur == 0) break;
      ok = cur;
    }
    const std::string_view chunk = w.substr(i, j - i);
    if (ok & kBare) {
      out += chunk;
    } else if (ok & kSingle) {
      out += '\'';
      out += chunk;
      out += '\'';
    } else {
      out += '"';
      for (char c : chunk) {
        if (c == '$' || c == '`' || c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    i = j;
  }
  return out;
}

std::string shell_join(const std::vector<std::string>& words) {
  // shlex refuses NUL; Codex then joins with spaces.
  const bool nul =
      std::any_of(words.begin(), words.end(), [](const auto& w) { return w.find('\0') != w.npos; });
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i) out += ' ';
    out += nul ? words[i] : shlex_quote(words[i]);
  }
  return out;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// As written in a rules file: ["git", ["push", "fetch"]].
std::string render_pattern(const std::vector<std::vector<std::string>>& pattern) {
  std::string out = "[";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (i) out += ", ";
    if (pattern[i].size() == 1) {
      out += quoted(pattern[i][0]);
      continue;
    }
    out += "[";
    for (std::size_t k = 0; k < pattern[i].size(); ++k)
      out += (k ? ", " : "") + quoted(pattern[i][k]);
    out += "]";
  }
  return out + "]";
}

std::optional<ExecDecision> parse_decision(const std::string& s) {
  if (s == "allow") return ExecDecision::Allow;
  if (s == "prompt") return ExecDecision::Prompt;
  if (s == "forbidden") return ExecDecision::Forbidden;
  return std::nullopt;
}

bool blank_string(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

struct Function {
  const char* name;
  std::vector<std::string> args;
};

const Function kPrefixRule{"prefix_rule",
                           {"pattern", "decision", "justification", "match", "not_match"}};
const Function kHostExecutable{"host_executable", {"name", "paths"}};

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : lex_(text, source), source_(source) {}

  std::vector<ExecRule> parse() {
    std::vector<ExecRule> rules;
    for (;;) {
      const Token t = take();
      if (t.kind == Tok::Newline || t.kind == Tok::Semicolon) continue;
      if (t.kind == Tok::End) break;
      if (t.kind != Tok::Word) {
        fail(t.pos, "expected prefix_rule(...) or host_executable(...), got " + describe(t));
      }
      const Function* fn = t.text == kPrefixRule.name       ? &kPrefixRule
                           : t.text == kHostExecutable.name ? &kHostExecutable
                                                            : nullptr;
      if (!fn)
        fail(t.pos, "unknown function `" + t.text + "`: expected prefix_rule or host_executable");
      const std::vector<Arg> args = parse_args(*fn, t.pos);
      if (fn == &kPrefixRule) {
        rules.push_back(prefix_rule(args, t.pos));
      } else {
        host_executable(args, t.pos);
      }
      // Starlark needs a statement per line (or `;`); two calls on one line are a typo.
      const Token after = take();
      if (after.kind == Tok::End) break;
      if (after.kind != Tok::Newline && after.kind != Tok::Semicolon) {
        fail(after.pos, "expected a new line after `)`, got " + describe(after));
      }
    }
    return rules;
  }

 private:
  [[noreturn]] void fail(Pos p, const std::string& what) const { lex_.fail(p, what); }

  const Token& peek() {
    if (!peeked_) {
      next_ = lex_.next();
      peeked_ = true;
    }
    return next_;
  }
  Token take() {
    peek();
    peeked_ = false;
    return std::move(next_);
  }

  std::vector<Arg> parse_args(const Function& fn, Pos call) {
    const std::string name = fn.name;
    const Token open = take();
    if (open.kind != Tok::LParen)
      fail(open.pos, "expected `(` after " + name + ", got " + describe(open));
    const auto unclosed = [&](const Token& got) {
      fail(got.pos, "expected `)` to close " + name + "( at " + std::to_string(call.line) + ":" +
                        std::to_string(call.col) + ", got " + describe(got));
    };
    std::vector<Arg> args;
    for (;;) {
      Token t = take();
      if (t.kind == Tok::RParen) break;
      if (t.kind == Tok::End) unclosed(t);
      if (t.kind == Tok::String || t.kind == Tok::LBracket) {
        fail(t.pos, name + ": positional arguments are not accepted: expected NAME = VALUE");
      }
      if (t.kind != Tok::Word) fail(t.pos, "expected an argument name or `)`, got " + describe(t));
      if (std::find(fn.args.begin(), fn.args.end(), t.text) == fn.args.end()) {
        if (peek().kind == Tok::LParen) unclosed(t);  // the next call: this one never closed
        std::string known;
        for (const auto& a : fn.args) known += (known.empty() ? "" : ", ") + a;
        fail(t.pos, name + ": unknown argument `" + t.text + "`: expected one of " + known);
      }
      for (const auto& a : args) {
        if (a.name == t.text) fail(t.pos, name + ": argument `" + t.text + "` given twice");
      }
      const Token eq = take();
      if (eq.kind != Tok::Equals) {
        fail(eq.pos, "expected `=` after `" + t.text + "`, got " + describe(eq));
      }
      args.push_back({std::move(t.text), parse_value()});
      const Token sep = take();
      if (sep.kind == Tok::RParen) break;
      if (sep.kind == Tok::End) unclosed(sep);
      if (sep.kind != Tok::Comma) fail(sep.pos, "expected `,` or `)`, got " + describe(sep));
    }
    return args;
  }

  Value parse_value() {
    Token t = take();
    if (t.kind == Tok::String) return {false, std::move(t.text), {}, t.pos};
    if (t.kind != Tok::LBracket) fail(t.pos, "expected a string or a list, got " + describe(t));
    Value list{true, "", {}, t.pos};
    for (;;) {
      if (peek().kind == Tok::RBracket) {
        take();
        break;
      }
      list.items.push_back(parse_value());
      const Token sep = take();
      if (sep.kind == Tok::RBracket) break;
      if (sep.kind != Tok::Comma) fail(sep.pos, "expected `,` or `]`, got " + describe(sep));
    }
    return list;
  }

  const std::string& want_string(const Value& v, const std::string& what) const {
    if (v.is_list) fail(v.pos, what + ": expected a string, got a list");
    return v.str;
  }
  const std::vector<Value>& want_list(const Value& v, const std::string& what) const {
    if (!v.is_list) fail(v.pos, what + ": expected a list, got a string");
    return v.items;
  }

  std::vector<std::string> example(const Value& v, const std::string& what) const {
    if (!v.is_list) {
      auto words = shlex_split(v.str);
      if (!words)
        fail(v.pos, what + ": expected a shell command, got an unterminated quote or `\\`");
      if (words->empty()) fail(v.pos, what + ": expected a non-empty command");
      return *words;
    }
    if (v.items.empty()) fail(v.pos, what + ": expected a non-empty list of tokens");
    std::vector<std::string> words;
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      words.push_back(want_string(v.items[i], what + "[" + std::to_string(i) + "]"));
    }
    return words;
  }

  ExecRule prefix_rule(const std::vector<Arg>& args, Pos call) const {
    ExecRule rule;
    rule.source = where(source_, call);
    const Value* pattern = nullptr;
    const Value* matches = nullptr;
    const Value* not_matches = nullptr;
    for (const auto& a : args) {
      const std::string what = "prefix_rule: " + a.name;
      if (a.name == "pattern") {
        pattern = &a.value;
      } else if (a.name == "decision") {
        const std::string& d = want_string(a.value, what);
        const auto parsed = parse_decision(d);
        if (!parsed) {
          fail(a.value.pos,
               what + ": expected one of \"allow\", \"prompt\", \"forbidden\", got " + quoted(d));
        }
        rule.decision = *parsed;
      } else if (a.name == "justification") {
        rule.justification = want_string(a.value, what);
        if (blank_string(rule.justification))
          fail(a.value.pos, what + ": expected a non-empty string");
      } else if (a.name == "match") {
        want_list(a.value, what);
        matches = &a.value;
      } else {
        want_list(a.value, what);
        not_matches = &a.value;
      }
    }
    if (!pattern) fail(call, "prefix_rule: missing required argument `pattern`");
    const auto& elements = want_list(*pattern, "prefix_rule: pattern");
    if (elements.empty()) fail(pattern->pos, "prefix_rule: pattern: expected a non-empty list");
    for (std::size_t i = 0; i < elements.size(); ++i) {
      const Value& e = elements[i];
      const std::string what = "prefix_rule: pattern[" + std::to_string(i) + "]";
      if (!e.is_list) {
        rule.pattern.push_back({e.str});
        continue;
      }
      if (e.items.empty()) fail(e.pos, what + ": expected a non-empty list of alternatives");
      std::vector<std::string> alternatives;
      for (std::size_t k = 0; k < e.items.size(); ++k) {
        alternatives.push_back(want_string(e.items[k], what + "[" + std::to_string(k) + "]"));
      }
      rule.pattern.push_back(std::move(alternatives));
    }
    // The examples are the rule's own unit tests: one that misbehaves means the pattern is not
    // what its author meant, so the file is refused.
    if (matches) {
      for (std::size_t i = 0; i < matches->items.size(); ++i) {
        const Value& v = matches->items[i];
        const auto argv = example(v, "prefix_rule: match[" + std::to_string(i) + "]");
        if (!rule_matches(rule, argv)) {
          fail(v.pos, "prefix_rule: match example `" + shell_join(argv) +
                          "` does not match pattern " + render_pattern(rule.pattern));
        }
      }
    }
    if (not_matches) {
      for (std::size_t i = 0; i < not_matches->items.size(); ++i) {
        const Value& v = not_matches->items[i];
        const auto argv = example(v, "prefix_rule: not_match[" + std::to_string(i) + "]");
        if (rule_matches(rule, argv)) {
          fail(v.pos, "prefix_rule: not_match example `" + shell_join(argv) + "` matches pattern " +
                          render_pattern(rule.pattern));
        }
      }
    }
    return rule;
  }

  // Codex uses these to pin a bare program name to absolute paths; warden matches any absolute
  // argv[0] by basename instead, so the call is checked for shape and otherwise ignored.
  void host_executable(const std::vector<Arg>& args, Pos call) const {
    const Value* name = nullptr;
    const Value* paths = nullptr;
    for (const auto& a : args) (a.name == "name" ? name : paths) = &a.value;
    if (!name) fail(call, "host_executable: missing required argument `name`");
    if (!paths) fail(call, "host_executable: missing required argument `paths`");
    const std::string& n = want_string(*name, "host_executable: name");
    if (n.empty() || n.find('/') != std::string::npos) {
      fail(name->pos, "host_executable: name: expected a bare executable name, got " + quoted(n));
    }
    const auto& items = want_list(*paths, "host_executable: paths");
    for (std::size_t i = 0; i < items.size(); ++i) {
      want_string(items[i], "host_executable: paths[" + std::to_string(i) + "]");
    }
  }

  Lexer lex_;
  const std::string& source_;
  Token next_;
  bool peeked_ = false;
};

bool token_in(const std::vector<std::string>& alternatives, std::string_view token) {
  return std::find(alternatives.begin(), alternatives.end(), token) != alternatives.end();
}

// glob(3)'s error callback takes no user data, so the failure is recorded here.
thread_local std::string g_glob_error_path;
thread_local int g_glob_errno = 0;

int on_glob_error(const char* path, int err) {
  if (err == ENOENT || err == ENOTDIR) return 0;  // a missing directory just has no rules
  g_glob_error_path = path;
  g_glob_errno = err;
  return 1;
}

struct GlobGuard {
  glob_t g{};
  ~GlobGuard() { globfree(&g); }
};

}  // namespace

const char* to_string(ExecDecision d) {
  switch (d) {
    case ExecDecision::Allow:
      return "allow";
    case ExecDecision::Prompt:
      return "prompt";
    case ExecDecision::Forbidden:
      return "forbidden";
  }
  return "?";
}

// Codex resolves an absolute argv[0] through host_executable() entries; warden takes the simple
// form, any absolute path matching by its basename (/usr/bin/git and /tmp/x/git both match "git").
bool rule_matches(const ExecRule& rule, const std::vector<std::string>& argv) {
  if (rule.pattern.empty() || argv.size() < rule.pattern.size()) return false;
  for (std::size_t i = 0; i < rule.pattern.size(); ++i) {
    if (token_in(rule.pattern[i], argv[i])) continue;
    if (i == 0 && !argv[0].empty() && argv[0][0] == '/') {
      const std::string_view base = std::string_view(argv[0]).substr(argv[0].rfind('/') + 1);
      if (!base.empty() && token_in(rule.pattern[0], base)) continue;
    }
    return false;
  }
  return true;
}

void ExecRules::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RulesError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw RulesError(path + ": cannot read: " + std::strerror(errno));
  load_text(text.str(), path);
}

void ExecRules::load_text(std::string_view text, const std::string& source_name) {
  auto parsed = Parser(text, source_name).parse();  // all or nothing
  rules_.insert(rules_.end(), std::make_move_iterator(parsed.begin()),
                std::make_move_iterator(parsed.end()));
}

void ExecRules::add_required(const std::vector<RequiredPrefixRule>& rules) {
  std::vector<ExecRule> out;
  for (const auto& r : rules) {
    const std::string at = r.source.describe();
    ExecRule rule;
    // The config loader already refuses "allow": an admin-level allow would bypass every reviewer.
    if (r.decision == "prompt") {
      rule.decision = ExecDecision::Prompt;
    } else if (r.decision == "forbidden") {
      rule.decision = ExecDecision::Forbidden;
    } else {
      throw RulesError(at + ": decision: expected one of \"prompt\", \"forbidden\", got " +
                       quoted(r.decision));
    }
    if (r.pattern.empty()) throw RulesError(at + ": pattern: expected a non-empty list");
    for (std::size_t i = 0; i < r.pattern.size(); ++i) {
      if (r.pattern[i].empty()) {
        throw RulesError(at + ": pattern[" + std::to_string(i) +
                         "]: expected a non-empty list of alternatives");
      }
    }
    rule.pattern = r.pattern;
    rule.justification = r.justification;
    rule.source = at;
    out.push_back(std::move(rule));
  }
  rules_.insert(rules_.end(), std::make_move_iterator(out.begin()),
                std::make_move_iterator(out.end()));
}

std::optional<ExecRules::Match> ExecRules::match(const std::vector<std::string>& argv) const {
  const ExecRule* best = nullptr;
  for (const auto& rule : rules_) {
    if (!rule_matches(rule, argv)) continue;
    if (!best || rule.decision > best->decision ||
        (rule.decision == best->decision && rule.pattern.size() > best->pattern.size())) {
      best = &rule;
    }
  }
  if (!best) return std::nullopt;
  return Match{best->decision, best};
}

ExecRules load_exec_rules(const std::vector<std::string>& globs) {
  ExecRules rules;
  std::set<std::string> loaded;  // a file matched by two globs counts once
  for (const auto& pattern : globs) {
    GlobGuard guard;
    g_glob_error_path.clear();
    g_glob_errno = 0;
    const int rc = glob(pattern.c_str(), 0, on_glob_error, &guard.g);
    if (rc == GLOB_NOMATCH) continue;
    if (rc == GLOB_NOSPACE) throw std::bad_alloc();
    if (rc == GLOB_ABORTED) {
      throw RulesError(g_glob_error_path +
                       ": cannot read directory: " + std::strerror(g_glob_errno));
    }
    if (rc != 0) throw RulesError(pattern + ": cannot expand the glob");
    for (std::size_t i = 0; i < guard.g.gl_pathc; ++i) {
      const std::string path = guard.g.gl_pathv[i];
      struct stat st {};
      if (stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // a dangling symlink: no file, no rules
        throw RulesError(path + ": cannot read: " + std::strerror(errno));
      }
      if (!S_ISREG(st.st_mode)) continue;  // e.g. a directory named x.rules, as Codex skips
      if (!loaded.insert(path).second) continue;
      rules.load_file(path);
    }
  }
  return rules;
}

std::string describe_match(const ExecRules::Match& m, const std::vector<std::string>& argv) {
  const std::string command = "`" + shell_join(argv) + "`";
  const std::string justification = m.rule ? m.rule->justification : "";
  switch (m.decision) {
    case ExecDecision::Forbidden: {
      if (!justification.empty()) return command + " rejected: " + justification;
      if (!m.rule) return command + " rejected: blocked by policy";
      const std::size_t n = std::min(m.rule->pattern.size(), argv.size());
      const std::vector<std::string> prefix(argv.begin(), argv.begin() + n);
      return command + " rejected: policy forbids commands starting with `" + shell_join(prefix) +
             "`";
    }
    case ExecDecision::Prompt:
      if (!justification.empty()) return command + " requires approval: " + justification;
      return command + " requires approval by policy";
    case ExecDecision::Allow:
      // Codex never words an allow; this is warden's, for logs.
      if (!justification.empty()) return command + " allowed: " + justification;
      return command + " allowed by policy";
  }
  return command;
}

}  // namespace warden::policy
