#include "warden/macos/seatbelt.hpp"

#include <glob.h>

#include <algorithm>
#include <stdexcept>

namespace warden::macos {

namespace {

using warden::sandbox::Mode;
using warden::sandbox::Spec;

// Codex's base policy (itself from Chrome's): what ordinary tools need under (deny default).
constexpr const char* kBase = R"((version 1)
(deny default)

; Children inherit the profile, so they may be started and signalled freely.
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

(allow user-preference-read)
; Python's multiprocessing needs POSIX semaphores.
(allow ipc-posix-sem)
; getpwuid() and friends.
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo"))

(allow sysctl-read
  (sysctl-name "hw.activecpu")
  (sysctl-name "hw.byteorder")
  (sysctl-name "hw.cachelinesize_compat")
  (sysctl-name "hw.cpufamily")
  (sysctl-name "hw.cputype")
  (sysctl-name "hw.logicalcpu_max")
  (sysctl-name "hw.machine")
  (sysctl-name "hw.memsize")
  (sysctl-name "hw.ncpu")
  (sysctl-name "hw.nperflevels")
  (sysctl-name "hw.pagesize_compat")
  (sysctl-name "hw.physicalcpu_max")
  (sysctl-name "kern.argmax")
  (sysctl-name "kern.hostname")
  (sysctl-name "kern.maxfilesperproc")
  (sysctl-name "kern.osproductversion")
  (sysctl-name "kern.osrelease")
  (sysctl-name "kern.ostype")
  (sysctl-name "kern.osversion")
  (sysctl-name "kern.usrstack64")
  (sysctl-name "kern.version")
  (sysctl-name "sysctl.proc_cputype")
  (sysctl-name-prefix "hw.optional.")
  (sysctl-name-prefix "hw.perflevel"))

; Terminals: new ptys, and ttys opened before the sandbox (which lack the pty extension).
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))
(allow file-read* file-write*
  (require-all (regex #"^/dev/ttys[0-9]+$") (extension "com.apple.sandbox.pty")))
(allow file-ioctl (regex #"^/dev/ttys[0-9]+$"))
(allow file-read* file-write-data file-ioctl (literal "/dev/tty"))

(allow file-read*)
(allow file-write-data (require-all (literal "/dev/null") (vnode-type CHARACTER-DEVICE)))
)";

constexpr const char* kNetwork = R"(
(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup
  (global-name "com.apple.bsd.dirhelper")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.networkd")
  (global-name "com.apple.ocspd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd"))
(allow sysctl-read (sysctl-name-regex #"^net.routetable"))
)";

// Splits a protected name into components after checking it can be put in a regex literal.
std::vector<std::string> protected_components(const std::string& name) {
  auto bad = [&](const char* why) {
    throw std::invalid_argument("protected name \"" + name + "\": " + why);
  };
  std::string trimmed = name;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  if (trimmed.empty()) bad("empty");
  if (trimmed.front() == '/') bad("must be relative to the writable root");
  for (unsigned char c : trimmed) {
    // A quote would end the #"..." literal; a backslash's meaning there is unclear; a newline
    // or other control byte has no business in a name. Non-ASCII could be invalid UTF-8.
    if (c == '"') bad("contains a double quote");
    if (c == '\n') bad("contains a newline");
    if (c == '\\') bad("contains a backslash");
    if (c < 0x20 || c >= 0x7f) bad("contains a control or non-ASCII byte");
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = trimmed.find('/', start);
    parts.push_back(trimmed.substr(start, slash - start));
    const std::string& part = parts.back();
    if (part.empty()) bad("has an empty component");
    if (part == "." || part == "..") bad("has a '.' or '..' component");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string component_regex(const std::string& part) {
  if (part == "*") return "[^/]+";
  std::string out;
  for (char c : part) {
    if (c == '*') {
      out += "[^/]*";  // a glob inside a component, as fnmatch on the Linux side
    } else {
      // The ERE specials; ']' and '}' are literal on their own and escaping them is undefined.
      if (std::string_view(".^$|()[{+?").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

bool has_glob(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

class Builder {
 public:
  // Adds a path parameter NAMEi and returns the expression naming it.
  std::string param(const char* prefix, std::size_t& counter, const std::string& value) {
    const std::string name = prefix + std::to_string(counter++);
    params.emplace_back(name, value);
    return "(param \"" + name + "\")";
  }

  std::vector<std::pair<std::string, std::string>> params;
};

void add_unique(std::vector<std::string>& list, const std::string& s) {
  if (!s.empty() && std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
}

}  // namespace

std::string protected_name_regex(const std::string& name) {
  std::string re = "^(.*/)?";
  bool first = true;
  for (const auto& part : protected_components(name)) {
    if (!first) re += '/';
    first = false;
    re += component_regex(part);
  }
  return re + "(/.*)?$";
}

SeatbeltProfile seatbelt_profile(const Spec& spec) {
  SeatbeltProfile out;
  if (spec.mode == Mode::FullAccess) {
    out.text = "(version 1)\n(allow default)\n";
    return out;
  }
  Builder b;
  std::string& t = out.text;
  t = kBase;

  std::vector<std::string> roots;
  if (spec.mode == Mode::WorkspaceWrite) {
    add_unique(roots, spec.workspace);
    for (const auto& r : spec.writable_roots) add_unique(roots, r);
    if (spec.tmp_writable) add_unique(roots, "/private/tmp");
  }
  // Validated even without roots, so a bad name fails the same way in every mode.
  std::vector<std::string> regexes;
  for (const auto& name : spec.protected_names) regexes.push_back(protected_name_regex(name));

  if (!roots.empty()) {
    std::size_t n = 0;
    t += "\n; Writable roots, less the protected names at any depth beneath them.\n";
    t += "(allow file-write*\n";
    const char* indent = "  ";
    if (!regexes.empty()) {
      t += "  (require-all\n    (require-any\n";
      indent = "      ";
    }
    for (const auto& root : roots)
      t += indent + ("(subpath " + b.param("WRITABLE_ROOT_", n, root)) + ")\n";
    if (!regexes.empty()) {
      t += "    )\n";
      for (const auto& re : regexes) t += "    (require-not (regex #\"" + re + "\"))\n";
      t += "  )\n";
    }
    t += ")\n";

    // A protected name's parents directly under a root (".git" for ".git/hooks") may not be
    // renamed or replaced: otherwise `mv .git x; edit x/hooks; mv x .git` walks around the regex.
    std::vector<std::string> parents;
    for (const auto& name : spec.protected_names) {
      const auto parts = protected_components(name);
      std::string prefix;
      for (std::size_t i = 0; i + 1 < parts.size() && !has_glob(parts[i]); ++i) {
        prefix += (i ? "/" : "") + parts[i];
        for (const auto& root : roots)
          add_unique(parents, (root == "/" ? "" : root) + "/" + prefix);
      }
    }
    if (!parents.empty()) {
      std::size_t p = 0;
      t += "(deny file-write*\n";
      for (const auto& path : parents)
        t += "  (literal " + b.param("PROTECTED_PARENT_", p, path) + ")\n";
      t += ")\n";
    }
  }

  if (spec.network) t += kNetwork;

  // Last, so they override the broad allows whether Seatbelt resolves by order or specificity.
  std::vector<std::string> denied;
  for (const auto& pattern : spec.deny_read) {
    if (!has_glob(pattern)) {
      add_unique(denied, pattern);
      continue;
    }
    // Expanded now, as the Linux side does at start: a glob cannot be a parameter. With no match
    // the pattern itself is denied, in case the name really holds those characters.
    glob_t g{};
    if (::glob(pattern.c_str(), GLOB_NOSORT | GLOB_NOCHECK, nullptr, &g) == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) add_unique(denied, g.gl_pathv[i]);
    ::globfree(&g);
  }
  if (!denied.empty()) {
    std::size_t n = 0;
    // Writes too: a path that may not be read may not be replaced either.
    t += "\n; deny_read\n(deny file-read* file-write*\n";
    for (const auto& path : denied) t += "  (subpath " + b.param("DENY_READ_", n, path) + ")\n";
    t += ")\n";
  }

  out.params = std::move(b.params);
  return out;
}

std::vector<std::string> seatbelt_argv(const Spec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("seatbelt_argv: empty command");
  SeatbeltProfile profile = seatbelt_profile(spec);
  std::vector<std::string> argv{"/usr/bin/sandbox-exec", "-p", std::move(profile.text)};
  for (auto& [name, value] : profile.params) {
    argv.emplace_back("-D");
    argv.push_back(name + "=" + value);
  }
  argv.emplace_back("--");
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  return argv;
}

}  // namespace warden::macos
