// Internal to policy/: a TOML document as a tree whose every node carries its Source, so that
// values keep their origin through -c overrides, profile layering and error messages. toml++ nodes
// cannot carry a "-c KEY=VALUE" or "--sandbox" origin, hence this copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/policy/config.hpp"

namespace warden::policy::detail {

enum class VType { Table, Array, String, Integer, Float, Boolean, Date, Time, DateTime };

struct Entry;

struct Val {
  VType type = VType::Table;
  Source source;
  std::string s;
  std::int64_t i = 0;
  double f = 0;
  bool b = false;
  std::vector<Val> arr;
  std::vector<Entry> tab;  // in toml++'s (sorted) key order

  static Val table(const Source& at);
  static Val string(std::string value, const Source& at);
  const Val* find(std::string_view key) const;
  Val* find(std::string_view key);
};

struct Entry {
  std::string key;
  Source key_source;
  Val val;
};

// Throws ConfigError("<at>: <what>").
[[noreturn]] void fail(const Source& at, const std::string& what);

// "integer", "string", ...
const char* type_name(VType t);
// For "got ..." in messages: a string's quoted value, otherwise the type name.
std::string got(const Val& v);
// A TOML basic string, escaped ("a\"b\n").
std::string quote(std::string_view s);
// A key as TOML spells it: bare when it can be, quoted otherwise.
std::string toml_key(std::string_view k);
// ["a", "b"]
std::string quote_list(const std::vector<std::string>& items);
bool valid_utf8(std::string_view s);

// Parses a whole document; syntax errors become "FILE:LINE:COL: <description>".
Val parse_document(std::string_view text, const std::string& file);
// Reads a file. A missing file is std::nullopt when !required; any other failure throws, prefixed
// with `flag` when the path came from one ("--config: cannot read ...").
std::optional<std::string> read_text(const std::string& path, bool required,
                                     const std::string& flag);

// Dotted KEY of -c or a flag, parsed as TOML does (so quoted segments work).
std::vector<std::string> parse_key(const std::string& key, const Source& at);
// VALUE of -c or a flag: TOML if it parses as a value, otherwise the plain string.
Val parse_value(const std::string& value, const Source& at);
// Sets root[path] = value, creating (or replacing non-table) intermediate tables.
void set_path(Val& root, const std::vector<std::string>& path, Val value, const Source& at);

// Typed accessors: each fails with "<source>: <key>: expected ..., got ...".
bool get_bool(const Val& v, const std::string& key);
const std::string& get_string(const Val& v, const std::string& key);
std::int64_t get_int(const Val& v, const std::string& key);
const Val& get_table(const Val& v, const std::string& key);
std::vector<std::string> get_strings(const Val& v, const std::string& key);

// Resource sizes: "4G", "512M", "1073741824" (K, M, G, T: powers of 1024, either case) or an
// integer of bytes; "" is 0 (no limit). Fails with "<source>: <key>: expected ...".
std::uint64_t get_memory_size(const Val& v, const std::string& key);
// The shortest text that reads back as the same size: "4G", "1536M", "1000000"; "" for 0.
std::string memory_size_text(std::uint64_t bytes);
// A number of CPUs, integer or float: 0 (no limit) or 0.01 to 4096.
double get_cpus(const Val& v, const std::string& key);
// The shortest decimal that reads back as the same double ("1.5", "0", "2").
std::string number_text(double d);

// Path lists: non-empty strings, `~` and `~/...` expanded with home, optionally absolute.
std::vector<std::string> get_paths(const Val& v, const std::string& key, const std::string& home,
                                   bool expand_tilde, bool require_absolute);
// `~` and `~/...` expanded; nullopt when home is needed but empty.
std::optional<std::string> expand_home(const std::string& path, const std::string& home);

// The last stage of load_config: reads managed requirements (if any) and constrains `config`.
void apply_requirements(Config& config, const LoadOptions& options);

}  // namespace warden::policy::detail
