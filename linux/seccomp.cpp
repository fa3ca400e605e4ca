// The baseline seccomp filter: calls a sandboxed command has no business making, refused in the
// kernel before any policy runs. Only the native x86_64 ABI is accepted: i386 (int 0x80) and x32
// calls kill the process, since a filter written for one ABI says nothing about another.
#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>
#include <string>

#include "internal.hpp"

namespace warden::linux_backend {

struct BaselineFilter {
  scmp_filter_ctx ctx = nullptr;
  int refused = 0;
};

namespace {

#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467  // 6.15; newer than Debian 12's headers
#endif

// Each entry: the call and the errno it gets. ENOSYS where a program should fall back (io_uring,
// clone3 -> clone), EPERM where it should see a refusal.
struct Refusal {
  int nr;
  int err;
};
constexpr Refusal kRefused[] = {
    {__NR_io_uring_setup, ENOSYS},
    {__NR_io_uring_enter, ENOSYS},
    {__NR_io_uring_register, ENOSYS},
    // clone3 takes its flags in memory BPF cannot read; libc falls back to clone on ENOSYS.
    {__NR_clone3, ENOSYS},
    {__NR_bpf, EPERM},
    {__NR_perf_event_open, EPERM},
    {__NR_userfaultfd, EPERM},
    {__NR_keyctl, EPERM},
    {__NR_add_key, EPERM},
    {__NR_request_key, EPERM},
    {__NR_kexec_load, EPERM},
    {__NR_kexec_file_load, EPERM},
    {__NR_init_module, EPERM},
    {__NR_finit_module, EPERM},
    {__NR_delete_module, EPERM},
    {__NR_mount, EPERM},
    {__NR_umount2, EPERM},
    {__NR_pivot_root, EPERM},
    {__NR_move_mount, EPERM},
    {__NR_open_tree, EPERM},
    {__NR_open_tree_attr, EPERM},
    {__NR_fsopen, EPERM},
    {__NR_fsconfig, EPERM},
    {__NR_fsmount, EPERM},
    {__NR_fspick, EPERM},
    {__NR_mount_setattr, EPERM},
    {__NR_chroot, EPERM},
    {__NR_setns, EPERM},
    {__NR_open_by_handle_at, EPERM},
    {__NR_name_to_handle_at, EPERM},
    {__NR_ptrace, EPERM},
    {__NR_process_vm_readv, EPERM},
    {__NR_process_vm_writev, EPERM},
    {__NR_acct, EPERM},
    {__NR_swapon, EPERM},
    {__NR_swapoff, EPERM},
    {__NR_reboot, EPERM},
    {__NR_settimeofday, EPERM},
    {__NR_clock_settime, EPERM},
    {__NR_clock_adjtime, EPERM},
    {__NR_adjtimex, EPERM},
    {__NR_syslog, EPERM},
    {__NR_quotactl, EPERM},
    {__NR_quotactl_fd, EPERM},
    {__NR_lookup_dcookie, EPERM},
    {__NR_vhangup, EPERM},
    {__NR_iopl, EPERM},
    {__NR_ioperm, EPERM},
    {__NR_uselib, EPERM},
    {__NR_ustat, EPERM},
    {__NR_sysfs, EPERM},
    {__NR__sysctl, EPERM},
    {__NR_nfsservctl, EPERM},
    {__NR_create_module, EPERM},
    {__NR_get_kernel_syms, EPERM},
    {__NR_query_module, EPERM},
};

constexpr unsigned long kNamespaceFlags[] = {CLONE_NEWUSER,   CLONE_NEWNS,  CLONE_NEWPID,
                                             CLONE_NEWNET,    CLONE_NEWIPC, CLONE_NEWUTS,
                                             CLONE_NEWCGROUP, 0x80 /* CLONE_NEWTIME */};

// TIOCSTI pushes bytes into the terminal's input (the shell runs them after we exit), TIOCLINUX
// pastes the console selection, TIOCCONS redirects console output. The kernel reads the request
// as 32 bits, so compare only the low 32 (CVE-2019-7303: high bits set slipped past filters).
constexpr unsigned long kTtyIoctls[] = {TIOCSTI, TIOCLINUX, TIOCCONS};

// Socket families a command may create; everything else (AF_VSOCK reaches the hypervisor host,
// AF_PACKET, AF_ALG, rarely used protocols with a history of bugs) gets EAFNOSUPPORT.
constexpr int kMaxFamily = AF_NETLINK;
bool family_allowed(int f) {
  return f == AF_UNIX || f == AF_INET || f == AF_INET6 || f == AF_NETLINK;
}

void check(int rc, const char* what) {
  if (rc < 0) throw sandbox::SetupError("seccomp", std::string(what) + ": " + std::strerror(-rc));
}

}  // namespace

void FilterDeleter::operator()(BaselineFilter* f) const {
  seccomp_release(f->ctx);
  delete f;
}

FilterPtr build_baseline_filter() {
  FilterPtr f(new BaselineFilter);
  f->ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (f->ctx == nullptr) throw sandbox::SetupError("seccomp", "seccomp_init failed");
  scmp_filter_ctx ctx = f->ctx;
  check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "badarch action");
  check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "nnp attribute");  // we set it ourselves
  for (const auto& r : kRefused) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r.err), r.nr, 0), "rule");
    ++f->refused;
  }
  for (unsigned long flag : kNamespaceFlags) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                           SCMP_A0_64(SCMP_CMP_MASKED_EQ, flag, flag)),
          "unshare rule");
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                           SCMP_A0_64(SCMP_CMP_MASKED_EQ, flag, flag)),
          "clone rule");
  }
  for (unsigned long req : kTtyIoctls) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                           SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffUL, req)),
          "ioctl rule");
  }
  // personality: only the query (0xffffffff); no ADDR_NO_RANDOMIZE, no 32-bit personas.
  // (libseccomp 2.5 allows one comparison per argument, so setting plain PER_LINUX, a no-op,
  // is refused too.)
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                         SCMP_A0_32(SCMP_CMP_NE, 0xffffffffU)),
        "personality rule");
  for (int family = 0; family <= kMaxFamily; ++family) {
    if (family_allowed(family)) continue;
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                           SCMP_A0_32(SCMP_CMP_EQ, static_cast<unsigned>(family))),
          "socket rule");
  }
  check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                         SCMP_A0_32(SCMP_CMP_GT, static_cast<unsigned>(kMaxFamily))),
        "socket rule");
  f->refused += 8;  // unshare/clone flags, tty ioctls, personality, socket families
  return f;
}

void load_baseline_filter(BaselineFilter* filter) {
  int rc = seccomp_load(filter->ctx);
  if (rc < 0) {
    errno = -rc;
    fail_errno("seccomp", "load the baseline filter");
  }
}

std::string describe_baseline_filter() {
  return "baseline: native x86_64 only (i386 and x32 killed); io_uring and clone3 ENOSYS; "
         "bpf, perf, userfaultfd, keys, modules, kexec, mount family, chroot, namespaces, "
         "handles, ptrace, TIOCSTI/TIOCLINUX refused; socket families unix, inet, inet6, netlink";
}

}  // namespace warden::linux_backend
