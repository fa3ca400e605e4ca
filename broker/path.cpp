#include "warden/broker/path.hpp"

#include <fnmatch.h>

#include <cerrno>
#include <climits>

namespace warden::broker {
namespace {

// Per-thread scratch for the matchers below, which run on every held write: splitting into
// vectors that keep their capacity allocates nothing after the first calls.
void split_into(std::string_view p, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (start < p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    if (slash > start) out.push_back(p.substr(start, slash - start));
    start = slash + 1;
  }
}

std::vector<std::string_view> components(std::string_view p) {
  std::vector<std::string_view> out;
  split_into(p, out);
  return out;
}

std::string_view strip_trailing_slashes(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return p;
}

bool component_matches(std::string_view pattern, std::string_view name) {
  // Most patterns are plain names (".git", "hooks"): compared as bytes, as fnmatch would.
  if (pattern.find_first_of("*?[\\") == std::string_view::npos) return pattern == name;
  // No FNM_PERIOD: "*" must cover ".hidden" module names too; protecting more is the safe side.
  // Both fit a component (NAME_MAX) in practice; the stack copies avoid two allocations per try.
  char pat[NAME_MAX + 2], nm[NAME_MAX + 2];
  if (pattern.size() < sizeof pat && name.size() < sizeof nm) {
    pattern.copy(pat, pattern.size());
    pat[pattern.size()] = '\0';
    name.copy(nm, name.size());
    nm[name.size()] = '\0';
    return ::fnmatch(pat, nm, 0) == 0;
  }
  return ::fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) == 0;
}

}  // namespace

Result<LexicalPath> join_lexically(std::string_view base_dir, std::string_view path) {
  if (path.empty()) return {.err = -ENOENT};
  if (path.size() >= PATH_MAX) return {.err = -ENAMETOOLONG};
  std::string full;
  if (path.front() == '/') {
    full = path;
  } else {
    if (base_dir.empty() || base_dir.front() != '/') return {.err = -EINVAL};
    full.append(base_dir).append("/").append(path);
  }
  LexicalPath out;
  auto parts = components(full);
  out.trailing_slash =
      full.back() == '/' || (!parts.empty() && (parts.back() == "." || parts.back() == ".."));
  std::vector<std::string_view> kept;
  for (auto part : parts) {
    if (part == ".") continue;
    if (part == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(part);
  }
  if (kept.empty()) out.path = "/";
  for (auto part : kept) {
    out.path += '/';  // two appends, not a chain: GCC 12 -O3 warns falsely (-Wrestrict) on that
    out.path += part;
  }
  return {.value = std::move(out)};
}

bool is_under(std::string_view path, std::string_view root) {
  root = strip_trailing_slashes(root);
  if (root == "/") return !path.empty() && path.front() == '/';
  if (path.size() < root.size() || path.compare(0, root.size(), root) != 0) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

namespace {

// A protected pattern as components; false for one that names nothing (empty: the whole root;
// "..": nothing below it).
bool pattern_parts(std::string_view pattern, std::vector<std::string_view>& pat) {
  split_into(pattern, pat);
  size_t kept = 0;
  for (auto part : pat) {
    if (part == ".") continue;
    if (part == "..") return false;
    pat[kept++] = part;
  }
  pat.resize(kept);
  return kept > 0;
}

}  // namespace

std::optional<std::string> protected_match(std::string_view abs_path,
                                           const std::vector<std::string>& roots,
                                           const std::vector<std::string>& patterns) {
  thread_local std::vector<std::string_view> rel, pat;
  for (const auto& root : roots) {
    if (!is_under(abs_path, root)) continue;
    split_into(abs_path.substr(strip_trailing_slashes(root).size()), rel);
    for (const auto& pattern : patterns) {
      if (!pattern_parts(pattern, pat) || pat.size() > rel.size()) continue;
      for (size_t start = 0; start + pat.size() <= rel.size(); ++start) {
        size_t i = 0;
        while (i < pat.size() && component_matches(pat[i], rel[start + i])) ++i;
        if (i == pat.size()) return pattern;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> protected_prefix(std::string_view abs_path,
                                            const std::vector<std::string>& roots,
                                            const std::vector<std::string>& patterns) {
  thread_local std::vector<std::string_view> rel, pat;
  for (const auto& root : roots) {
    if (!is_under(abs_path, root)) continue;
    split_into(abs_path.substr(strip_trailing_slashes(root).size()), rel);
    for (const auto& pattern : patterns) {
      if (!pattern_parts(pattern, pat)) continue;
      // Every proper prefix of the pattern, against the path's last components.
      for (size_t len = 1; len < pat.size() && len <= rel.size(); ++len) {
        size_t i = 0;
        while (i < len && component_matches(pat[i], rel[rel.size() - len + i])) ++i;
        if (i == len) return pattern;
      }
    }
  }
  return std::nullopt;
}

bool names_git_metadata(std::string_view abs_path) {
  auto parts = components(abs_path);
  return !parts.empty() && parts.back() == ".git";
}

}  // namespace warden::broker
