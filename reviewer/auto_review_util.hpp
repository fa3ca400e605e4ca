// Text helpers shared by the auto_review policy compiler and risk classifier: lexical paths,
// globs, hosts, and a rough shell reading of argv. Nothing here does I/O; paths are never
// resolved against the filesystem, only lexically.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden::reviewer::detail {

// ASCII lower case (paths and hosts are bytes; locale must not matter).
char lower(char c);
std::string lowered(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
bool contains(std::string_view s, std::string_view part);
bool icontains(std::string_view s, std::string_view part);  // part must be lower case

// "/a//b/./c/../d/" -> "/a/b/d". Relative input stays relative; ".." above "/" stays at "/".
std::string normalize_path(std::string_view path);
// path == root or path lies below root (both normalized, root without a trailing slash).
bool under(std::string_view path, std::string_view root);
// The last component of a path ("/usr/bin/git" -> "git").
std::string_view base_name(std::string_view path);
// Components of a normalized absolute or relative path, without empty ones.
std::vector<std::string_view> components(std::string_view path);

// A word of a command as a path: "~", "~/x", "$HOME/x", "${HOME}/x" use home; $TMPDIR, $TMP and
// $TEMP mean /tmp; $PWD and relative words use cwd. nullopt when the word holds another
// variable or cannot be a local path (a URL, "host:path"), or home/cwd is needed but unknown.
std::optional<std::string> resolve_word(std::string_view word, std::string_view home,
                                        std::string_view cwd);
// Absolute or ~ paths embedded in free text ("--file=/etc/x", "open('/home/u/.env')").
std::vector<std::string> paths_in_text(std::string_view text, std::string_view home);

// Glob over one string: '*' any run (also '/' unless slash_stops), '?' one character,
// "[abc]"/"[a-z]"/"[!x]" a class. No escapes.
bool glob_match(std::string_view pattern, std::string_view text, bool slash_stops = false);
bool has_glob(std::string_view s);
// Glob over components: "**" matches zero or more components, other components go through
// glob_match. prefix_ok: pattern may match a leading part of the path (a plain directory
// covers what lies below it).
bool glob_components(std::span<const std::string> pattern, std::span<const std::string_view> path,
                     bool prefix_ok);

// A TCP/UDP port: 1 to 5 digits, at most 65535; nullopt otherwise (never overflows).
std::optional<int> parse_port(std::string_view text);

// Hosts: lower case, no trailing dot, no IPv6 brackets.
std::string normalize_host(std::string_view host);
bool is_ipv4(std::string_view host);
bool is_ip(std::string_view host);
// "*.github.com" matches "api.github.com" (not "github.com"); "*" any; otherwise exact.
bool host_match(std::string_view pattern, std::string_view host);
// Host of a URL or "user@host:path"/"host:path" word; nullopt when there is none.
std::optional<std::string> host_of_url(std::string_view word);
// Port written in a URL ("https://x:8443/" -> 8443; scheme default otherwise), nullopt if none.
std::optional<int> port_of_url(std::string_view word);

// One simple command out of argv or a shell script: its words and its redirections.
struct Simple {
  std::vector<std::string> words;
  std::vector<std::string> out;         // "> f", ">> f", "&> f" targets
  std::vector<std::string> in;          // "< f" sources
  std::string data;                     // here-documents and here-strings: what it reads on stdin
  std::vector<std::string> piped_from;  // words of the command whose output it reads ("a | b")
  bool from_script = false;             // came out of "sh -c", "$(...)", an ssh remote command...
};

// Every simple command argv runs, as far as it can be told without running it: argv itself,
// the script of "sh -c SCRIPT" (split at ; && || | & and newlines, $(...) and `...` included),
// "eval", ssh's remote command, and each of those again without leading wrappers (sudo, env
// VAR=x, nohup, nice, timeout N, xargs, ...). Bounded in depth and count.
std::vector<Simple> simple_commands(const std::vector<std::string>& argv);
// simple_commands() for a script: split, then each command expanded like argv.
std::vector<Simple> script_commands(std::string_view script);
// Splits a shell script into simple commands (no wrapper stripping); appends to out.
void split_script(std::string_view script, std::vector<Simple>& out, int depth = 0);
// Leading wrappers and VAR=value words removed; the wrapper names go to `wrappers`.
std::vector<std::string> strip_wrappers(const std::vector<std::string>& words,
                                        std::vector<std::string>* wrappers = nullptr);

// Lower-cased words of text, split at anything that is not a letter or digit.
void words_of(std::string_view text, std::vector<std::string>& out);

}  // namespace warden::reviewer::detail
