// Every capability goes, including from the bounding set, and securebits are locked so that
// exec as uid 0 (a root caller maps to root inside) gives nothing back.
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>

#include "internal.hpp"

namespace warden::linux_backend {

void drop_all_capabilities() {
  const unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                        SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                        SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (cap_set_secbits(bits) != 0) fail_errno("capabilities", "lock securebits");
  for (cap_value_t c = 0; c <= CAP_LAST_CAP || ::prctl(PR_CAPBSET_READ, c) >= 0; ++c) {
    if (cap_drop_bound(c) != 0 && errno != EINVAL) fail_errno("capabilities", "drop bounding set");
    if (c > 63) break;
  }
  if (cap_reset_ambient() != 0) fail_errno("capabilities", "clear ambient set");
  cap_t none = cap_init();
  if (none == nullptr || cap_set_proc(none) != 0) fail_errno("capabilities", "clear sets");
  cap_free(none);
  // Verify rather than trust: any capability left is a failure to set up.
  cap_t now = cap_get_proc();
  cap_t empty = cap_init();
  bool clean = now != nullptr && empty != nullptr && cap_compare(now, empty) == 0;
  cap_free(now);
  cap_free(empty);
  if (!clean || ::prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN) != 0)
    fail("capabilities", "capabilities remain after dropping them");
}

}  // namespace warden::linux_backend
