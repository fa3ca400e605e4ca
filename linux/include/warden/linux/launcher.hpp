// The Linux backend: user, mount, pid, ipc, uts and net namespaces, a read-only root with
// writable binds and masks, Landlock, a baseline seccomp filter, no capabilities, no_new_privs.
#pragma once

#include <memory>
#include <string>

#include "warden/sandbox/launcher.hpp"

namespace warden::linux_backend {

std::unique_ptr<sandbox::Launcher> make_launcher();

}  // namespace warden::linux_backend
