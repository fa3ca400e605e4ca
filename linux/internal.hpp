// Pieces of the Linux backend shared between its files. Not a public interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "warden/sandbox/launcher.hpp"
#include "warden/sandbox/spec.hpp"

namespace warden::linux_backend {

// Thrown inside the sandbox's init while setting up; sent to warden and rethrown as SetupError.
struct StepError {
  std::string part;
  std::string why;
  std::string hint;
};
[[noreturn]] void fail(std::string part, std::string why, std::string hint = {});
[[noreturn]] void fail_errno(std::string part, const std::string& what, std::string hint = {});

// --- mounts.cpp: the filesystem view, computed before clone, applied inside the new namespaces.
struct PathOp {
  // Pin: a directory bound onto itself so it becomes a mount point, which cannot be renamed or
  // removed (EBUSY): the ancestors of protected paths, so `mv .git x` cannot carry the
  // protection away and leave a fresh, writable .git/config behind.
  enum Kind { BindRw, BindRo, MaskDir, MaskFile, Protect, Pin } kind;
  std::string path;    // absolute; where the op applies in the sandbox's view (same as on the host)
  int source_fd = -1;  // BindRw/BindRo: a detached clone of the host tree, captured in the child
};
struct MountPlan {
  std::vector<PathOp> ops;            // applied in order (parents before children)
  std::vector<std::string> writable;  // Landlock: paths with every right
  bool tmp_writable = false;
  std::string resolv_conf;  // where /etc/resolv.conf really is, when the DNS stub replaces it
};
// Decides what to bind, mask and protect. Reads only the top of each root (no tree scan).
MountPlan plan_mounts(const sandbox::Spec& spec);
// Runs inside the new user+mount namespace, with the namespace's capabilities.
void apply_mounts(MountPlan& plan);

// --- landlock.cpp
int landlock_abi();  // 0 when unavailable
// Restricts the calling process (no_new_privs must be set). Returns a description for the audit.
std::string apply_landlock(const MountPlan& plan, int abi, bool scope_abstract_unix);

// --- seccomp.cpp: the baseline filter, compiled by warden while init sets up.
struct BaselineFilter;
struct FilterDeleter {
  void operator()(BaselineFilter* f) const;
};
using FilterPtr = std::unique_ptr<BaselineFilter, FilterDeleter>;
// The baseline refusals plus, when holds ask for it, the calls held for warden.
FilterPtr build_filter(const sandbox::Holds& holds);  // throws sandbox::SetupError
// The exported program as init receives it (warden compiles it while init builds the
// filesystem): one byte, 1 when calls are held, then the instructions.
std::string filter_bytes(const BaselineFilter* filter);
// In init: loads what filter_bytes() made; returns the listener fd (-1 when nothing is held);
// fails via fail(), also when the bytes are not a whole program.
int load_filter_bytes(std::string_view bytes);
std::string describe_filter(const BaselineFilter* filter);
std::string describe_baseline_filter();

// --- caps.cpp
void drop_all_capabilities();  // bounding set, securebits, ambient, permitted, effective

// --- diagnose.cpp: why a namespace could not be created, and what to change.
std::string userns_hint(int err);

}  // namespace warden::linux_backend
