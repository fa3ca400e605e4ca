// Known-safe read-only commands, for the `untrusted` approval mode: an exec judged safe runs
// without asking, any other is held as a `rules` request. Codex's list (is_safe_command.rs) and
// its `bash -lc` rule, judged on arguments and failing closed: what is not understood is unsafe.
#pragma once

#include <string>
#include <vector>

namespace warden::policy {

struct SafetyVerdict {
  bool safe = false;
  // Shown in prompts and the audit log. "known-safe read-only command" when safe; otherwise the
  // first reason found, e.g. "`find -exec` runs commands", "redirection `>` writes a file",
  // "`rm` is not a known read-only command".
  std::string why;
};

// argv as the kernel sees it. argv[0] is matched by basename when it is a bare name or a path in
// a system directory (/usr/bin, /bin, /usr/local/bin and their sbin); any other path is unsafe,
// since an `ls` the sandboxed program wrote is not ls. `bash|sh|zsh|dash -c|-lc SCRIPT` is safe
// when SCRIPT is plain words and quotes, joined only by `&&`, `||`, `;`, `|` and newlines, and
// every command in it is safe. The only redirections accepted write no file: `>/dev/null`,
// `2>/dev/null` and the duplications `2>&1`, `>&2`.
SafetyVerdict judge_exec(const std::vector<std::string>& argv);

}  // namespace warden::policy
