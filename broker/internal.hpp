// Shared by resolve.cpp and ops.cpp; not part of the library's interface.
#pragma once

#include <string>
#include <string_view>

#include "warden/broker/fs.hpp"

namespace warden::broker::detail {

// "" -> -ENOENT, >= PATH_MAX -> -ENAMETOOLONG, relative -> -EINVAL, else 0.
int check_abs(std::string_view path);

// openat2 of an absolute path under root with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS; 0 or
// -errno ("" -> -ENOENT, relative -> -EINVAL, >= PATH_MAX -> -ENAMETOOLONG).
int open_in_root(int root_fd, std::string_view path, int flags, UniqueFd& out);

// "/proc/thread-self/fd/N": warden's own magic link to an fd it already holds, so reaching
// through it re-resolves nothing the target controls. thread-self, not self: a thread that
// unshared its fd table still finds its own fds.
std::string fd_link(int fd);

// -EACCES for objects on procfs or sysfs, else 0.
int refuse_kernel_fs(int fd);

}  // namespace warden::broker::detail
