// Each program's check looks only for what makes it write, delete or run other programs; the
// rest of its options are read-only. Options are matched the way getopt reads them: short options
// cluster ("-nro"), long options may be abbreviated ("--out" is --output), and options may follow
// operands, so every word is looked at.
#include "warden/policy/safe_commands.hpp"

#include <cstddef>
#include <string_view>
#include <utility>

namespace warden::policy {

namespace {

using Argv = std::vector<std::string>;
using std::string_view;

constexpr string_view kSafe = "known-safe read-only command";
// Each `bash -c` or `env CMD` adds a level; real commands need one or two.
constexpr int kMaxDepth = 4;

SafetyVerdict safe() {
  return {true, std::string(kSafe)};
}
SafetyVerdict unsafe(std::string why) {
  return {false, std::move(why)};
}

// `s` in backticks, printable and short: the words come from the sandboxed program and end up on
// the user's terminal.
std::string code(string_view s) {
  constexpr std::size_t kMax = 60;
  std::size_t n = s.size();
  if (n > kMax) {
    n = kMax;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 only
  }
  std::string out = "`";
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f || c == '`') ? '?' : s[i];
  }
  if (n < s.size()) out += "...";
  return out + '`';
}

std::string cat(string_view a, string_view b) {
  return std::string(a) + " " + std::string(b);
}

bool starts_with(string_view s, string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_short(string_view a) {
  return a.size() >= 2 && a[0] == '-' && a[1] != '-';
}
bool is_long(string_view a) {
  return a.size() > 2 && starts_with(a, "--");
}

// getopt_long takes any unambiguous prefix of a long option; taking every prefix as the option
// can only err towards unsafe.
bool long_is(string_view a, string_view name) {
  if (!is_long(a)) return false;
  const auto given = a.substr(2, a.find('=') - 2);
  return !given.empty() && starts_with(name, given);
}

// A short-option cluster holds one of `letters` before any letter of `with_arg`, whose argument
// is the rest of the word.
bool short_has(string_view a, string_view letters, string_view with_arg = {}) {
  if (!is_short(a)) return false;
  for (const char c : a.substr(1)) {
    if (letters.find(c) != string_view::npos) return true;
    if (with_arg.find(c) != string_view::npos) return false;
  }
  return false;
}

SafetyVerdict judge(const Argv& argv, int depth);

SafetyVerdict check_find(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (a == "-exec" || a == "-execdir" || a == "-ok" || a == "-okdir")
      return unsafe("`find " + a + "` runs commands");
    if (a == "-delete") return unsafe("`find -delete` deletes files");
    if (a == "-fls" || a == "-fprint" || a == "-fprint0" || a == "-fprintf")
      return unsafe("`find " + a + "` writes a file");
  }
  return safe();
}

SafetyVerdict check_rg(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (long_is(a, "pre")) return unsafe("`rg --pre` runs a command on each file");
    if (long_is(a, "hostname-bin")) return unsafe("`rg --hostname-bin` runs a command");
    // A `z` anywhere in a cluster counts, even as another option's argument (`-ez`).
    if (long_is(a, "search-zip") || short_has(a, "z"))
      return unsafe("`rg -z` runs decompression programs");
  }
  return safe();
}

// N, $, N,M with each side a number or $, then p: Codex's `sed -n 1,5p`, plus `$` for the last
// line.
bool sed_print_script(string_view s) {
  if (s.empty() || s.back() != 'p') return false;
  s.remove_suffix(1);
  const auto address = [](string_view a) {
    return a == "$" || (!a.empty() && a.find_first_not_of("0123456789") == string_view::npos);
  };
  const auto comma = s.find(',');
  if (comma == string_view::npos) return address(s);
  return address(s.substr(0, comma)) && address(s.substr(comma + 1));
}

SafetyVerdict check_sed(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (short_has(argv[i], "i", "efl") || long_is(argv[i], "in-place"))
      return unsafe("`sed -i` edits files");
  }
  // Only `sed -n SCRIPT FILE...`; a file word that starts with `-` could be -f or -e adding a
  // script with `w` or `e` commands.
  bool ok = argv.size() >= 3 && argv[1] == "-n" && sed_print_script(argv[2]);
  for (std::size_t i = 3; ok && i < argv.size(); ++i) ok = !argv[i].empty() && argv[i][0] != '-';
  return ok ? safe() : unsafe("`sed` is known-safe only as `sed -n N,Mp FILE`");
}

SafetyVerdict check_sort(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (short_has(a, "o", "kStTy") || long_is(a, "output"))
      return unsafe("`sort -o` writes a file");
    if (long_is(a, "compress-program")) return unsafe("`sort --compress-program` runs a program");
  }
  return safe();
}

SafetyVerdict check_date(string_view, const Argv& argv, int) {
  const auto sets = unsafe("`date -s` sets the clock");
  bool options = true;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (options && a == "--") {
      options = false;
    } else if (options && is_long(a)) {
      if (long_is(a, "set")) return sets;
      const bool takes_next = a.find('=') == std::string::npos &&
                              (long_is(a, "date") || long_is(a, "file") || long_is(a, "reference"));
      if (takes_next) ++i;
    } else if (options && is_short(a)) {
      for (std::size_t k = 1; k < a.size(); ++k) {
        if (a[k] == 's') return sets;
        if (a[k] == 'd' || a[k] == 'f' || a[k] == 'r') {
          if (k + 1 == a.size()) ++i;  // the argument is the next word
          break;
        }
        if (a[k] == 'I') break;  // -I[FMT]: the rest is its argument
      }
    } else if (a.empty() || a[0] != '+') {
      return unsafe("`date` with an operand sets the clock");  // date MMDDhhmm
    }
  }
  return safe();
}

SafetyVerdict check_uniq(string_view, const Argv& argv, int) {
  // uniq INPUT OUTPUT writes OUTPUT: count operands, skipping option arguments.
  std::size_t operands = 0;
  bool options = true;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (options && a == "--") {
      options = false;
    } else if (options && is_long(a)) {
      const bool takes_next =
          a.find('=') == std::string::npos &&
          (long_is(a, "skip-fields") || long_is(a, "skip-chars") || long_is(a, "check-chars"));
      if (takes_next) ++i;
    } else if (options && is_short(a)) {
      const auto k = a.find_first_of("fsw", 1);
      if (k == a.size() - 1) ++i;
    } else {
      ++operands;
    }
  }
  return operands > 1 ? unsafe("`uniq` with two operands writes the second") : safe();
}

SafetyVerdict check_base64(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (short_has(argv[i], "o", "w") || long_is(argv[i], "output"))
      return unsafe("`base64 -o` writes a file");
  }
  return safe();
}

SafetyVerdict check_tree(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (short_has(argv[i], "o") || long_is(argv[i], "output"))
      return unsafe("`tree -o` writes a file");
    if (short_has(argv[i], "R")) return unsafe("`tree -R` writes files");  // 00Tree.html in each
  }
  return safe();
}

SafetyVerdict check_file(string_view, const Argv& argv, int) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (short_has(a, "C", "efFmP") || long_is(a, "compile"))
      return unsafe("`file -C` writes a file");  // magic.mgc
    if (short_has(a, "zZ", "efFmP") || long_is(a, "uncompress") ||
        long_is(a, "uncompress-noreport"))
      return unsafe("`file -z` runs decompression programs");
  }
  return safe();
}

SafetyVerdict check_env(string_view, const Argv& argv, int depth) {
  std::size_t i = 1;
  for (; i < argv.size(); ++i) {
    const auto& a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-') break;
    if (a == "-" || a == "-i" || a == "--ignore-environment" || a == "-0" || a == "--null" ||
        a == "-v" || a == "--debug")
      continue;
    if (a == "-u" || a == "--unset" || a == "-C" || a == "--chdir") {
      if (++i == argv.size()) return unsafe(code(cat("env", a)) + " needs an argument");
      continue;
    }
    if (starts_with(a, "-u") || starts_with(a, "-C") || starts_with(a, "--unset=") ||
        starts_with(a, "--chdir="))
      continue;
    if (short_has(a, "S", "uCa") || long_is(a, "split-string"))
      return unsafe("`env -S` is not supported");  // it splits one word into a command
    return unsafe(code(cat("env", a.substr(0, a.find('=')))) + " is not understood");
  }
  const std::size_t assignments = i;
  while (i < argv.size() && argv[i].find('=') != std::string::npos) ++i;
  if (i == argv.size()) return safe();  // prints the environment
  if (i != assignments) {
    // LD_PRELOAD, GIT_EXTERNAL_DIFF, BASH_ENV and the like run other programs.
    const auto& a = argv[assignments];
    return unsafe(code("env " + a.substr(0, a.find('=')) + "=...") + " can change what " +
                  code(argv[i]) + " runs");
  }
  return judge(Argv(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end()), depth + 1);
}

SafetyVerdict check_git_branch(const Argv& argv, std::size_t i) {
  constexpr string_view kFlags[] = {"-a",      "--all",         "-r",           "--remotes",
                                    "-v",      "-vv",           "--verbose",    "--show-current",
                                    "--color", "--no-color",    "--column",     "--no-column",
                                    "-i",      "--ignore-case", "--omit-empty", "--no-abbrev"};
  constexpr string_view kValued[] = {"--sort=", "--format=", "--color=", "--column=", "--abbrev="};
  constexpr string_view kFilters[] = {"--contains", "--no-contains", "--merged", "--no-merged",
                                      "--points-at"};
  const auto in = [](string_view a, const auto& set) {
    for (const string_view s : set)
      if (a == s) return true;
    return false;
  };
  bool list = false;
  bool name = false;
  for (; i < argv.size(); ++i) {
    const string_view a = argv[i];
    bool valued = false;
    for (const string_view v : kValued) valued = valued || starts_with(a, v);
    if (a == "--list" || a == "-l") {
      list = true;
    } else if (in(a, kFlags) || valued || in(a.substr(0, a.find('=')), kFilters)) {
      // A filter's commit may be the next word.
      if (in(a, kFilters) && i + 1 < argv.size() && !starts_with(argv[i + 1], "-")) ++i;
    } else if (starts_with(a, "-")) {
      return unsafe(code(cat("git branch", a.substr(0, a.find('=')))) + " is not read-only");
    } else {
      name = true;
    }
  }
  // Without --list a name creates a branch.
  return name && !list ? unsafe("`git branch NAME` creates a branch") : safe();
}

SafetyVerdict check_git(string_view, const Argv& argv, int) {
  constexpr string_view kSafeGlobals[] = {"--no-pager",          "-P",
                                          "--no-optional-locks", "--literal-pathspecs",
                                          "--glob-pathspecs",    "--noglob-pathspecs",
                                          "--icase-pathspecs",   "--no-replace-objects",
                                          "--no-lazy-fetch",     "--no-advice"};
  std::size_t i = 1;
  for (; i < argv.size() && starts_with(argv[i], "-"); ++i) {
    const std::string& a = argv[i];
    bool known = false;
    for (const string_view g : kSafeGlobals) known = known || a == g;
    if (known) continue;
    const auto opt = a.substr(0, a.find('='));
    // Config names programs git runs: core.pager, core.fsmonitor, diff.external, ...
    if (opt == "-c" || opt == "--config-env")
      return unsafe(code("git " + opt) + " can set core.pager");
    if (opt == "-C" || opt == "--git-dir" || opt == "--work-tree" || opt == "--bare")
      return unsafe(code("git " + opt) + " can use another repository's config");
    if (opt == "--exec-path") return unsafe("`git --exec-path` changes the programs git runs");
    if (opt == "-p" || opt == "--paginate") return unsafe("`git -p` runs a pager");
    return unsafe(code("git " + opt) + " is not understood");
  }
  if (i == argv.size())
    return unsafe("`git` without a subcommand is not a known read-only command");
  const std::string& sub = argv[i];
  constexpr string_view kReadOnly[] = {"status",    "log",      "diff",  "show", "branch",
                                       "rev-parse", "ls-files", "blame", "grep"};
  bool read_only = false;
  for (const string_view s : kReadOnly) read_only = read_only || sub == s;
  if (!read_only) return unsafe(code("git " + sub) + " is not a known read-only command");

  struct Risky {
    string_view option;
    string_view why;
  };
  constexpr Risky kRisky[] = {{"output", "writes a file"},
                              {"ext-diff", "runs an external diff program"},
                              {"textconv", "runs textconv filters"},
                              {"exec", "runs commands"},
                              {"open-files-in-pager", "runs a pager program"},
                              {"paginate", "runs a pager"}};
  for (std::size_t j = i + 1; j < argv.size(); ++j) {
    const auto& a = argv[j];
    for (const auto& r : kRisky) {
      if (long_is(a, r.option))
        return unsafe(code("git " + sub + " --" + std::string(r.option)) + " " +
                      std::string(r.why));
    }
    if (sub == "grep" && short_has(a, "O", "efABCm"))
      return unsafe("`git grep -O` runs a pager program");
  }
  return sub == "branch" ? check_git_branch(argv, i + 1) : safe();
}

// ---- shell scripts

struct Word {
  std::string text;
  bool glob = false;    // holds an unquoted *, ? or [
  bool literal = true;  // nothing in it was quoted or escaped
};
using Command = std::vector<Word>;

// The subset of sh that `bash -lc` scripts from agents use: plain words, quotes and backslashes,
// joined by && || ; | and newlines. Everything else fails, naming the construct.
class ScriptParser {
 public:
  explicit ScriptParser(string_view s) : s_(s) {}

  bool parse() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      switch (c) {
        case ' ':
        case '\t':
          end_word();
          ++i_;
          break;
        case '\n':
          end_word();
          if ((!cmd_.empty() || redirected_) && !close("a newline")) return false;
          ++i_;
          break;
        case ';':
          if (peek(1) == ';') return fail("`;;` is not supported");
          if (!close("`;`")) return false;
          ++i_;
          break;
        case '&':
          if (peek(1) == '&') {
            if (!close("`&&`")) return false;
            pending_ = "&&";
            i_ += 2;
            break;
          }
          // dash reads `&>` as `&` then `>`.
          if (peek(1) == '>') return fail("redirection `&>` writes a file");
          return fail("background `&` is not supported");
        case '|':
          if (peek(1) == '&') return fail("`|&` is not supported");
          if (!close(peek(1) == '|' ? "`||`" : "`|`")) return false;
          pending_ = peek(1) == '|' ? "||" : "|";
          i_ += pending_.size();
          break;
        case '(':
        case ')':
          return fail(std::string("subshell `") + c + "` is not supported");
        case '{':
        case '}':
          return fail(std::string("braces `") + c + "` are not supported");
        case '`':
          return fail("command substitution with backticks is not supported");
        case '$':
          return fail(dollar());
        case '<':
        case '>':
          if (!redirect()) return false;
          break;
        case '\'': {
          const auto end = s_.find('\'', i_ + 1);
          if (end == string_view::npos) return fail("unterminated quote");
          add(s_.substr(i_ + 1, end - i_ - 1));
          word_.literal = false;
          i_ = end + 1;
          break;
        }
        case '"':
          if (!double_quoted()) return false;
          break;
        case '\\':
          if (i_ + 1 == s_.size()) return fail("trailing `\\` is not supported");
          if (s_[i_ + 1] != '\n') {  // backslash-newline joins lines
            add(s_.substr(i_ + 1, 1));
            word_.literal = false;
          }
          i_ += 2;
          break;
        case '#':
          // A comment would hide the rest of the line from bash but not from this parser.
          if (!in_word_) return fail("comment `#` is not supported");
          add(s_.substr(i_++, 1));
          break;
        case '*':
        case '?':
        case '[':
          word_.glob = true;
          add(s_.substr(i_++, 1));
          break;
        default:
          add(s_.substr(i_++, 1));
      }
    }
    end_word();
    if (!cmd_.empty() || redirected_) return close("the end");
    if (!pending_.empty()) return fail("script ends with " + code(pending_));
    return true;
  }

  const std::vector<Command>& commands() const { return commands_; }
  const std::string& why() const { return why_; }

 private:
  char peek(std::size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }

  bool fail(std::string why) {
    why_ = std::move(why);
    return false;
  }

  std::string dollar() const {
    return peek(1) == '(' ? "command substitution `$(` is not supported"
                          : "expansion `$` is not supported";
  }

  void add(string_view s) {
    word_.text += s;
    in_word_ = true;
  }

  void end_word() {
    if (!in_word_) return;
    if (word_.text == "[") word_.glob = false;  // the test command, not a bracket expression
    cmd_.push_back(std::move(word_));
    word_ = {};
    in_word_ = false;
  }

  // Ends the command before operator `op`; bash refuses an empty one.
  bool close(string_view op) {
    end_word();
    if (cmd_.empty()) {
      if (redirected_) return fail("redirection without a command is not supported");
      return fail("empty command before " + std::string(op));
    }
    commands_.push_back(std::move(cmd_));
    cmd_.clear();
    redirected_ = false;
    pending_.clear();
    return true;
  }

  bool double_quoted() {
    word_.literal = false;
    in_word_ = true;
    for (++i_;; ++i_) {
      if (i_ == s_.size()) return fail("unterminated quote");
      const char c = s_[i_];
      if (c == '"') break;
      if (c == '$') return fail(dollar());
      if (c == '`') return fail("command substitution with backticks is not supported");
      // Inside double quotes a backslash escapes only these; before anything else it stays.
      if (c == '\\' && string_view("$`\"\\\n").find(peek(1)) != string_view::npos &&
          peek(1) != '\0') {
        if (peek(1) != '\n') word_.text += peek(1);
        ++i_;
        continue;
      }
      word_.text += c;
    }
    ++i_;
    return true;
  }

  // The word after a redirection operator, if it is made of plain characters and ends there.
  std::string target() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    const auto start = i_;
    const auto plain = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '/' || c == '.' || c == '_' || c == '-';
    };
    while (i_ < s_.size() && plain(s_[i_])) ++i_;
    const bool ends = i_ == s_.size() || string_view(" \t\n;&|").find(s_[i_]) != string_view::npos;
    return ends ? std::string(s_.substr(start, i_ - start)) : std::string();
  }

  bool redirect() {
    // `2>`: a bare number right before the operator is its file descriptor; `a2>` is not.
    std::string fd;
    if (in_word_ && word_.literal && !word_.text.empty() &&
        word_.text.find_first_not_of("0123456789") == std::string::npos) {
      fd = std::move(word_.text);
      word_ = {};
      in_word_ = false;
    } else {
      end_word();
    }
    std::string op(1, s_[i_++]);
    const char next = peek(0);
    if (op == ">" && (next == '>' || next == '|' || next == '&' || next == '(')) {
      op += s_[i_++];
    } else if (op == "<" && next == '<') {
      op += s_[i_++];
      if (peek(0) == '<' || peek(0) == '-') op += s_[i_++];
    } else if (op == "<" && (next == '>' || next == '&' || next == '(')) {
      op += s_[i_++];
    }
    // Only what writes no file: to /dev/null, or between stdout and stderr.
    if ((op == ">" || op == ">&") && (fd.empty() || fd == "1" || fd == "2")) {
      const auto t = target();
      if (op == ">" ? t == "/dev/null" : (t == "1" || t == "2")) {
        redirected_ = true;
        return true;
      }
    }
    if (op.find('(') != std::string::npos)
      return fail("process substitution " + code(op) + " is not supported");
    if (starts_with(op, "<<<")) return fail("here-string `<<<` is not supported");
    if (starts_with(op, "<<")) return fail("heredoc " + code(op) + " is not supported");
    if (op.find('>') != std::string::npos)
      return fail("redirection " + code(fd + op) + " writes a file");
    return fail("redirection " + code(fd + op) + " is not supported");
  }

  string_view s_;
  std::size_t i_ = 0;
  Word word_;
  bool in_word_ = false;
  Command cmd_;
  bool redirected_ = false;  // cmd_ has an accepted redirection
  std::string pending_;      // the operator that still needs a command after it
  std::vector<Command> commands_;
  std::string why_;
};

// Programs whose check is nullptr are safe with any arguments.
using Check = SafetyVerdict (*)(string_view name, const Argv& argv, int depth);

SafetyVerdict judge_script(string_view script, int depth);

SafetyVerdict check_shell(string_view name, const Argv& argv, int depth) {
  bool dash_c = false;
  std::size_t i = 1;
  for (; i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-'; ++i) {
    const auto& a = argv[i];
    if (a == "--login") continue;
    if (a[1] != '-' && a.find_first_not_of("lc", 1) == std::string::npos) {
      dash_c = dash_c || a.find('c') != std::string::npos;
      continue;
    }
    return unsafe(code(cat(name, a)) + " is not supported");
  }
  if (!dash_c) return unsafe(code(name) + " without `-c` runs a script");
  if (i == argv.size()) return unsafe(code(cat(name, "-c")) + " without a script");
  // Codex refuses them too; they would only set $0, $1, ..., which scripts here cannot use.
  if (i + 1 != argv.size())
    return unsafe(code(cat(name, "-c")) + " with arguments after the script is not supported");
  return judge_script(argv[i], depth);
}

struct Program {
  string_view name;
  Check check;
};

constexpr Program kPrograms[] = {
    {"[", nullptr},        {"base64", check_base64}, {"basename", nullptr}, {"bash", check_shell},
    {"cat", nullptr},      {"cd", nullptr},          {"cmp", nullptr},      {"cut", nullptr},
    {"dash", check_shell}, {"date", check_date},     {"df", nullptr},       {"diff", nullptr},
    {"dirname", nullptr},  {"du", nullptr},          {"echo", nullptr},     {"env", check_env},
    {"expr", nullptr},     {"false", nullptr},       {"file", check_file},  {"find", check_find},
    {"git", check_git},    {"grep", nullptr},        {"head", nullptr},     {"id", nullptr},
    {"ls", nullptr},       {"nl", nullptr},          {"numfmt", nullptr},   {"paste", nullptr},
    {"printf", nullptr},   {"pwd", nullptr},         {"readlink", nullptr}, {"realpath", nullptr},
    {"rev", nullptr},      {"rg", check_rg},         {"sed", check_sed},    {"seq", nullptr},
    {"sh", check_shell},   {"sort", check_sort},     {"stat", nullptr},     {"tac", nullptr},
    {"tail", nullptr},     {"test", nullptr},        {"tr", nullptr},       {"tree", check_tree},
    {"true", nullptr},     {"uname", nullptr},       {"uniq", check_uniq},  {"wc", nullptr},
    {"which", nullptr},    {"whoami", nullptr},      {"zsh", check_shell},
};

const Program* find_program(string_view name) {
  for (const auto& p : kPrograms)
    if (p.name == name) return &p;
  return nullptr;
}

// Read-only to the sandbox, so a program found there is the one its name says.
bool system_dir(string_view dir) {
  constexpr string_view kDirs[] = {"/usr/bin",  "/bin",  "/usr/local/bin",
                                   "/usr/sbin", "/sbin", "/usr/local/sbin"};
  for (const auto d : kDirs)
    if (dir == d) return true;
  return false;
}

// `glob`: the first word of argv[1..] that the shell will expand, or nullptr.
SafetyVerdict judge(const Argv& argv, int depth, const std::string* glob) {
  if (argv.empty()) return unsafe("empty command");
  if (depth > kMaxDepth) return unsafe("commands nested too deeply");
  string_view name = argv[0];
  if (const auto slash = name.rfind('/'); slash != string_view::npos) {
    if (!system_dir(name.substr(0, slash)))
      return unsafe(code(argv[0]) + " is not in a system directory");
    name.remove_prefix(slash + 1);
  }
  const Program* p = find_program(name);
  if (!p) return unsafe(code(name) + " is not a known read-only command");
  if (!p->check) return safe();
  // The checks read the words as written; an expansion could add options or operands.
  if (glob)
    return unsafe("glob " + code(*glob) + " in " + code(name) + " arguments is not supported");
  return p->check(name, argv, depth);
}

SafetyVerdict judge(const Argv& argv, int depth) {
  return judge(argv, depth, nullptr);
}

SafetyVerdict judge_script(string_view script, int depth) {
  ScriptParser parser(script);
  if (!parser.parse()) return unsafe(parser.why());
  if (parser.commands().empty()) return unsafe("empty script");
  for (const auto& cmd : parser.commands()) {
    const Word& first = cmd.front();
    if (first.glob) return unsafe("glob " + code(first.text) + " as a command is not supported");
    // FOO=bar cmd: the variable can change what cmd runs (LD_PRELOAD, GIT_PAGER, ...).
    if (first.text.find('=') != std::string::npos)
      return unsafe("assignment " + code(first.text.substr(0, first.text.find('=') + 1)) +
                    " is not supported");
    Argv argv;
    const std::string* glob = nullptr;
    for (const auto& w : cmd) {
      argv.push_back(w.text);
      if (w.glob && !glob && argv.size() > 1) glob = &w.text;
    }
    auto verdict = judge(argv, depth + 1, glob);
    if (!verdict.safe) return verdict;
  }
  return safe();
}

}  // namespace

SafetyVerdict judge_exec(const std::vector<std::string>& argv) {
  return judge(argv, 0);
}

}  // namespace warden::policy
