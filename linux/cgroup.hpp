// A cgroup of one run's own that holds the sandbox's whole tree, with the run's limits written
// into it. Internal to the Linux backend.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "warden/sandbox/spec.hpp"

namespace warden::linux_backend {

// "4G", "1536M", "1048577": the largest unit that divides the size exactly.
std::string size_text(std::uint64_t bytes);

class RunCgroup {
 public:
  struct Made {
    std::unique_ptr<RunCgroup> cgroup;  // null when none could be made
    std::string why;                    // why not, for the limits layer and set-up errors
  };
  // Creates `warden-<pid>` in cgroup v2 (memory and CPU limits need it). Never throws.
  static Made create(const sandbox::Limits& limits);
  // For a pids limit alone, when create() made none: `warden-<pid>` in the cgroup v1 pids
  // hierarchy of a hybrid system. It takes a process by attach(), so it can be made after
  // clone3, while init sets up. Never throws.
  static Made create_v1(const sandbox::Limits& limits);
  static bool v1_may_help(const sandbox::Limits& limits) {
    return limits.max_processes > 0 && limits.memory_max_bytes == 0 && limits.cpu_max == 0;
  }

  ~RunCgroup();  // remove()
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  // cgroup v2: the directory for clone3's CLONE_INTO_CGROUP. -1 on cgroup v1 (see attach()).
  int clone_fd() const { return fd_; }
  // cgroup v1 only: moves `pid` (init, before it has forked anything) in. false and why on
  // failure.
  bool attach(pid_t pid, std::string& why);
  const std::string& path() const { return dir_; }
  // "cgroup /sys/fs/cgroup/a/warden-42: pids.max=4096, memory.max=4G, cpu.max=150000 100000"
  std::string describe() const;
  // Once the tree is gone: kills whatever is left, removes the cgroup (retrying briefly), and
  // when warden had moved itself to make room, moves it back. Idempotent.
  void remove();

 private:
  RunCgroup() = default;

  bool v1_ = false;
  int fd_ = -1;
  std::string dir_;
  std::vector<std::string> settings_;  // "pids.max=4096", ... as written, for describe()
  // Set when warden moved itself from `home_` into `self_leaf_` so that `home_` could enable
  // the controllers in `enabled_` for its children (cgroup v2's no-internal-process rule).
  std::string home_, self_leaf_;
  std::vector<std::string> enabled_;
  bool removed_ = false;

  friend struct CgroupMaker;
};

}  // namespace warden::linux_backend
