// The platform-neutral description of a sandbox: what the command may read, write and reach.
// linux/ and macos/ turn a Spec into kernel (or Seatbelt) enforcement.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace warden::sandbox {

enum class Mode { ReadOnly, WorkspaceWrite, FullAccess };

const char* to_string(Mode m);

// Which calls are held (seccomp user-notification) so warden can perform, ask about or refuse
// them, instead of leaving them to the kernel floor alone.
struct Holds {
  bool writes = true;  // write-intent opens and metadata changes (mkdir, rename, chmod, ...)
  bool reads = false;  // every open (config: [warden] hold_reads)
  // connect(): performed by warden (a read-only mount does not stop a unix-socket connect to a
  // host daemon); outside the sandbox it is an approval request.
  bool connects = true;
  // execve/execveat: checked against exec rules and skill roots, then let through (an exec
  // cannot be performed on the program's behalf). Only when there are rules or skill roots.
  bool execs = false;
  // sendto/sendmsg/sendmmsg: a unix datagram could be addressed to a host daemon.
  bool sends = false;
  // A resolver inside the sandbox's network (127.0.0.1:53, named by /etc/resolv.conf there)
  // that hands out stand-in addresses, so a connect names the host it is for. Only without
  // network_access.
  bool dns = false;
};

// Resource limits for the whole sandboxed tree (config: [warden] max_processes, memory_max,
// cpu_max). Linux: a cgroup of the run's own where one can be made, else RLIMIT_NPROC for the
// process count; a memory or CPU limit that cannot be applied is a set-up error.
struct Limits {
  std::int64_t max_processes = 4096;   // tasks at once, init included; 0: none
  std::uint64_t memory_max_bytes = 0;  // 0: none
  double cpu_max = 0;                  // CPUs (1.5 = one and a half); 0: none
};

struct Spec {
  Mode mode = Mode::WorkspaceWrite;
  // Absolute, normalised paths. The workspace is writable in workspace-write and readable
  // otherwise.
  std::string workspace;
  // Besides the workspace: writable_roots and $TMPDIR (unless excluded). Only used in
  // workspace-write.
  std::vector<std::string> writable_roots;
  // /tmp is always a private tmpfs (host sockets such as tmux's live there); it is writable unless
  // the mode is read-only or exclude_slash_tmp is set.
  bool tmp_writable = true;
  // Names relative to each writable root that stay read-only: ".git/hooks", ".git/modules/*/hooks".
  std::vector<std::string> protected_names;
  // Absolute paths (already ~-expanded) made unreadable. Glob characters are expanded at start.
  std::vector<std::string> deny_read;
  // true: the host network; false: a network namespace with only loopback.
  bool network = false;

  Holds holds;
  Limits limits;

  std::vector<std::string> argv;  // argv[0] is looked up in PATH of env
  std::string cwd;                // absolute
  std::vector<std::string> env;   // NAME=VALUE, the complete environment of the command
  // A pseudo-terminal's slave that warden relays, or -1. The command gets it as its controlling
  // terminal (in a new session) and in place of those of fds 0-2 that are terminals.
  int terminal = -1;
};

}  // namespace warden::sandbox
