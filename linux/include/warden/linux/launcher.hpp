// The Linux backend: user, mount, pid, ipc, uts and net namespaces, a read-only root with
// writable binds and masks, Landlock, a baseline seccomp filter, no capabilities, no_new_privs.
#pragma once

#include <memory>
#include <string>

#include "warden/sandbox/launcher.hpp"

namespace warden::linux_backend {

// What this kernel offers, probed at run time (never trust uname).
struct KernelFeatures {
  int landlock_abi = 0;  // 0: Landlock missing or disabled
};
KernelFeatures probe_kernel();

std::unique_ptr<sandbox::Launcher> make_launcher();

}  // namespace warden::linux_backend
