// Path text for the broker: pure functions on strings, no file system access. Policy decisions
// are made on the real paths that resolution (fs.hpp) reports, never on these alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warden::broker {

// err is 0 or a negative errno, ready to hand back as the held syscall's result.
template <class T>
struct Result {
  T value{};
  int err = 0;
  bool ok() const { return err == 0; }
};

struct LexicalPath {
  std::string path;  // absolute, normalised: no "//", "." or ".."
  // The original named a directory: it ended in "/", "/." or "/..".
  bool trailing_slash = false;
};

// path if absolute, else base_dir/path, normalised textually ("/.." stays "/"). Errors as the
// kernel gives them for the raw path: "" -> -ENOENT, >= PATH_MAX -> -ENAMETOOLONG; a relative
// path with a relative base_dir -> -EINVAL. Textual ".." differs from the kernel's after a
// symlink: hand resolve_parent/open_existing the unnormalised join, not this.
Result<LexicalPath> join_lexically(std::string_view base_dir, std::string_view path);

// path equals root or lies below it, on component boundaries. Both absolute and normalised.
bool is_under(std::string_view path, std::string_view root);

// The first pattern (relative, like ".git/hooks" or ".git/modules/*/hooks") such that abs_path,
// under some root, is that pattern or lies inside it, starting at any depth below the root.
// A glob (*, ?, [...]) matches within one component; "*" also matches dot names.
std::optional<std::string> protected_match(std::string_view abs_path,
                                           const std::vector<std::string>& roots,
                                           const std::vector<std::string>& patterns);

// The final component is ".git": creating a repository's metadata anywhere is itself a request.
// The path begins a protected name without being one (`.git` for `.git/hooks`, `.git/modules/x`
// for `.git/modules/*/config`): moving it would carry what the name protects out from under the
// protection, which is by name. Returns the pattern.
std::optional<std::string> protected_prefix(std::string_view abs_path,
                                            const std::vector<std::string>& roots,
                                            const std::vector<std::string>& patterns);

bool names_git_metadata(std::string_view abs_path);

}  // namespace warden::broker
