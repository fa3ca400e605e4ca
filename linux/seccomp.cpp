// The baseline seccomp filter: calls a sandboxed command has no business making, refused in the
// kernel before any policy runs. Only the native x86_64 ABI is accepted: i386 (int 0x80) and x32
// calls kill the process, since a filter written for one ABI says nothing about another.
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "internal.hpp"

namespace warden::linux_backend {

struct BaselineFilter {
  scmp_filter_ctx ctx = nullptr;
  std::vector<sock_filter> program;  // exported in warden; init only loads it
  bool listener = false;             // some calls are held for warden (SCMP_ACT_NOTIFY)
};

namespace {

// 5.19; Debian 12's headers have it, older ones may not.
constexpr unsigned long kWaitKillableRecv = 1UL << 5;

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
  if (f->ctx != nullptr) seccomp_release(f->ctx);
  delete f;
}

namespace {

// Calls held for warden: each either stays inside the sandbox (warden performs it at once) or
// becomes an approval request. Writes are recognised in BPF by the open flags, so read-only
// opens never leave the kernel unless hold_reads asks for it.
void add_holds(scmp_filter_ctx ctx, const sandbox::Holds& holds) {
  const unsigned kWriteBits[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC};
  auto notify_flags = [&](int nr, unsigned arg) {
    for (unsigned bit : kWriteBits) {
      scmp_arg_cmp cmp = arg == 1 ? SCMP_A1_32(SCMP_CMP_MASKED_EQ, bit, bit)
                                  : SCMP_A2_32(SCMP_CMP_MASKED_EQ, bit, bit);
      check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1, cmp), "hold rule");
    }
  };
  if (holds.reads) {
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(open), 0), "hold rule");
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 0), "hold rule");
  } else if (holds.writes) {
    notify_flags(SCMP_SYS(open), 1);
    notify_flags(SCMP_SYS(openat), 2);
  }
  if (holds.connects)
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0), "hold rule");
  if (holds.sends) {
    // sendto without an address needs no look; with one, or sendmsg/sendmmsg (the address is
    // in memory), it is held.
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 1, SCMP_A4_64(SCMP_CMP_NE, 0)),
          "hold rule");
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmsg), 0), "hold rule");
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sendmmsg), 0), "hold rule");
  }
  if (holds.execs) {
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0), "hold rule");
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0), "hold rule");
  }
  if (!holds.writes) return;
  // openat2 keeps its flags in memory BPF cannot read: always held.
  for (int nr : {__NR_creat,     __NR_openat2,   __NR_mkdir,       __NR_mkdirat,     __NR_mknod,
                 __NR_mknodat,   __NR_unlink,    __NR_unlinkat,    __NR_rmdir,       __NR_rename,
                 __NR_renameat,  __NR_renameat2, __NR_link,        __NR_linkat,      __NR_symlink,
                 __NR_symlinkat, __NR_chmod,     __NR_fchmodat,    __NR_chown,       __NR_lchown,
                 __NR_fchownat,  __NR_truncate,  __NR_utime,       __NR_utimes,      __NR_futimesat,
                 __NR_setxattr,  __NR_lsetxattr, __NR_removexattr, __NR_lremovexattr})
    check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0), "hold rule");
  // utimensat(fd, NULL, ...) is futimens(): it names no path, only a descriptor the program
  // already has, like fchmod and fchown, which are not held either; the floor decides (EROFS
  // outside the writable roots). A null pointer is a register, not memory: no race. tar sets
  // the times of every file it writes this way.
  check(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(utimensat), 1, SCMP_A1_64(SCMP_CMP_NE, 0)),
        "hold rule");
}

}  // namespace

FilterPtr build_filter(const sandbox::Holds& holds) {
  FilterPtr f(new BaselineFilter);
  f->ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (f->ctx == nullptr) throw sandbox::SetupError("seccomp", "seccomp_init failed");
  scmp_filter_ctx ctx = f->ctx;
  check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "badarch action");
  check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "nnp attribute");  // we set it ourselves
  for (const auto& r : kRefused) {
    check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r.err), r.nr, 0), "rule");
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
  if (holds.writes || holds.reads || holds.connects || holds.execs || holds.sends) {
    add_holds(ctx, holds);
    f->listener = true;
  }
  // Compiled here; init loads the program with the listener flags libseccomp 2.5
  // cannot set (WAIT_KILLABLE_RECV).
  int mem = ::memfd_create("warden-filter", MFD_CLOEXEC);
  if (mem < 0) throw sandbox::SetupError("seccomp", std::string("memfd: ") + std::strerror(errno));
  int rc = seccomp_export_bpf(ctx, mem);
  off_t size = ::lseek(mem, 0, SEEK_END);
  if (rc < 0 || size <= 0 || size % sizeof(sock_filter) != 0) {
    ::close(mem);
    throw sandbox::SetupError("seccomp", "cannot export the filter program");
  }
  f->program.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  ssize_t n = ::pread(mem, f->program.data(), static_cast<size_t>(size), 0);
  ::close(mem);
  if (n != size) throw sandbox::SetupError("seccomp", "cannot read the filter program back");
  seccomp_release(f->ctx);
  f->ctx = nullptr;
  return f;
}

namespace {

int load_program(sock_filter* insns, size_t count, bool listener) {
  sock_fprog prog{static_cast<unsigned short>(count), insns};
  unsigned long flags = 0;
  if (listener) flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | kWaitKillableRecv;
  long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (fd >= 0) return listener ? static_cast<int>(fd) : -1;
  if (errno == EBUSY)
    fail("seccomp",
         "another seccomp listener already supervises this process (warden cannot run inside "
         "syd, LXD syscall interception or another warden)",
         "run warden outside the other supervisor; it will not run a command unsupervised");
  if (errno == EINVAL && listener)
    fail_errno("seccomp", "install the filter with a killable-wait listener",
               "Linux 5.19 or newer is needed (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)");
  fail_errno("seccomp", "install the filter");
}

}  // namespace

std::string filter_bytes(const BaselineFilter* filter) {
  std::string out(1, filter->listener ? '\1' : '\0');
  out.append(reinterpret_cast<const char*>(filter->program.data()),
             filter->program.size() * sizeof(sock_filter));
  return out;
}

int load_filter_bytes(std::string_view bytes) {
  const size_t size = bytes.empty() ? 0 : bytes.size() - 1;
  if (size == 0 || size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS)
    fail("seccomp", "the filter program reached init incomplete");
  std::vector<sock_filter> insns(size / sizeof(sock_filter));
  std::memcpy(insns.data(), bytes.data() + 1, size);
  return load_program(insns.data(), insns.size(), bytes[0] == '\1');
}

std::string describe_filter(const BaselineFilter* filter) {
  std::string held =
      filter->listener ? "; held for warden: writes, metadata changes, connects" : "";
  return describe_baseline_filter() + held;
}

std::string describe_baseline_filter() {
  return "baseline: native x86_64 only (i386 and x32 killed); io_uring and clone3 ENOSYS; "
         "bpf, perf, userfaultfd, keys, modules, kexec, mount family, chroot, namespaces, "
         "handles, ptrace, TIOCSTI/TIOCLINUX refused; socket families unix, inet, inet6, netlink";
}

}  // namespace warden::linux_backend
