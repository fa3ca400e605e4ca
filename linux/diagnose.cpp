// A 126 must say what to change. These are the usual reasons a user namespace is refused.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

#include "internal.hpp"

namespace warden::linux_backend {
namespace {

std::string read_first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::string userns_hint(int err) {
  // warden's own filter answers clone3 with ENOSYS and refuses new user namespaces.
  if (const char* inside = std::getenv("WARDEN_SANDBOX"); inside != nullptr && *inside != '\0')
    return "this is already inside a warden sandbox, which does not allow nested sandboxes: run "
           "warden outside it";
  if (read_first_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
    return "AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): run "
           "'sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0', or install an AppArmor "
           "profile for warden granting 'userns,' (see README, \"It does not start\")";
  if (read_first_line("/proc/sys/kernel/unprivileged_userns_clone") == "0")
    return "unprivileged user namespaces are disabled: run "
           "'sudo sysctl kernel.unprivileged_userns_clone=1'";
  if (read_first_line("/proc/sys/user/max_user_namespaces") == "0")
    return "user namespaces are disabled: run 'sudo sysctl user.max_user_namespaces=15000'";
  if (err == ENOSPC) return "the user namespace limit is reached (user.max_user_namespaces)";
  if (::access("/.dockerenv", F_OK) == 0 || ::access("/run/.containerenv", F_OK) == 0)
    return "inside a container: the runtime's seccomp profile refuses new namespaces (Docker: "
           "--security-opt seccomp=unconfined, or a profile allowing clone with CLONE_NEWUSER)";
  if (err == EPERM)
    return "a seccomp filter or security module refuses new namespaces; warden cannot run "
           "nested inside another sandbox that forbids them";
  return {};
}

}  // namespace warden::linux_backend
