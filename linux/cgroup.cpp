// The run's cgroup. Where it goes, in cgroup v2 (C = warden's own cgroup, from /proc/self/cgroup
// and /proc/self/mountinfo, so a hybrid system's /sys/fs/cgroup/unified is found too):
//  1. Under C, when C is ours to write (root, or delegated: systemd's Delegate=yes). Controllers
//     reach a child only through C's cgroup.subtree_control, and cgroup v2's no-internal-process
//     rule refuses that (EBUSY) while C holds processes, unless C is the root. warden is in C, so:
//     if warden is C's only process (as under `systemd-run --scope -p Delegate=yes warden ...`),
//     it first moves itself into a leaf C/warden-<pid>-supervisor, and moves back and removes the
//     leaf at the end, leaving C as it found it. With other processes in C (the user's shell) it
//     does not: moving them is not warden's business.
//  2. Next to C, when C's parent is writable (root, or a parent delegated as a whole) and already
//     hands the controllers to its children (C's cgroup.controllers shows they do). Nothing is
//     enabled there: a parent that is not ours to configure stays as it is.
// init is started directly in it (clone3 CLONE_INTO_CGROUP), so no process of the sandbox ever
// runs outside it. On a hybrid system whose pids controller is on cgroup v1, a pids limit alone
// uses a cgroup of the v1 pids hierarchy instead (init is moved in before it forks anything).
#include "cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

namespace warden::linux_backend {

namespace {

constexpr long kCpuPeriodUs = 100000;  // the kernel's default CFS period

std::optional<std::string> slurp(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      if (n < 0) return std::nullopt;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

// cgroup files take one write each; returns 0 or the errno.
int put(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = n < 0 ? errno : (n == static_cast<ssize_t>(text.size()) ? 0 : EIO);
  ::close(fd);
  return err;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x == s) return true;
  return false;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

bool writable(const std::string& path) {
  return ::access(path.c_str(), W_OK) == 0;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out +=
          static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Own {
  std::string dir;    // warden's cgroup directory
  std::string mount;  // where the hierarchy is mounted
};

// warden's own cgroup in cgroup v2 (controller empty) or in the v1 hierarchy of `controller`.
std::optional<Own> own_cgroup(const std::string& controller, std::string& why) {
  const bool v2 = controller.empty();
  const std::string what = v2 ? "cgroup v2" : "cgroup v1 " + controller;
  std::optional<std::string> path;
  // Read once per process: create() looks in v2 and then perhaps v1, and mountinfo is not
  // small on every host.
  static const std::string self_cgroup = slurp("/proc/self/cgroup").value_or("");
  static const std::string self_mounts = slurp("/proc/self/mountinfo").value_or("");
  std::istringstream cg(self_cgroup);
  for (std::string line; std::getline(cg, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string id = line.substr(0, a), ctrls = line.substr(a + 1, b - a - 1);
    bool match = v2 ? (id == "0" && ctrls.empty()) : false;
    if (!v2) {
      std::istringstream list(ctrls);
      for (std::string c; std::getline(list, c, ',');) match = match || c == controller;
    }
    if (match) path = line.substr(b + 1);
  }
  if (!path || path->empty() || path->front() != '/') {
    why = "warden is in no " + what + " hierarchy";
    return std::nullopt;
  }
  std::istringstream mi(self_mounts);
  for (std::string line; std::getline(mi, line);) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto left = words(line.substr(0, dash)), right = words(line.substr(dash + 3));
    if (left.size() < 5 || right.size() < 3) continue;
    if (v2 ? right[0] != "cgroup2" : right[0] != "cgroup") continue;
    if (!v2) {
      bool has = false;
      std::istringstream opts(right[2]);
      for (std::string o; std::getline(opts, o, ',');) has = has || o == controller;
      if (!has) continue;
    }
    // A mount may show only a subtree (a container's): map warden's path into it.
    std::string root = unescape(left[3]), point = unescape(left[4]), rel;
    if (root == "/") {
      rel = *path;
    } else if (*path == root) {
      rel = "/";
    } else if (path->rfind(root + "/", 0) == 0) {
      rel = path->substr(root.size());
    } else {
      continue;
    }
    if (point == "/") point.clear();
    return Own{point + (rel == "/" ? "" : rel), point.empty() ? "/" : point};
  }
  why = "warden's " + what + " " + *path + " is not mounted here";
  return std::nullopt;
}

// Only warden itself in `dir` (cgroup.procs lists processes, not threads).
bool alone_in(const std::string& dir) {
  auto pids = words(slurp(dir + "/cgroup.procs").value_or(""));
  return pids.size() == 1 && pids[0] == std::to_string(::getpid());
}

// Removes what wardens that were killed (SIGKILL: no clean-up) left in `parent`: their init died
// with them (PDEATHSIG), so the cgroups are empty. Only those older than a few seconds, so that
// a warden of another pid namespace, whose pid means nothing here, is never caught between its
// mkdir and its clone3; rmdir refuses anything still populated.
void sweep(const std::string& parent) {
  DIR* d = ::opendir(parent.c_str());
  if (d == nullptr) return;
  const time_t now = ::time(nullptr);
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with("warden-")) continue;
    name.remove_prefix(7);
    if (name.ends_with("-supervisor")) name.remove_suffix(11);
    if (name.empty() || name.size() > 9 ||
        name.find_first_not_of("0123456789") != std::string_view::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(std::string(name)));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    const std::string path = parent + "/" + e->d_name;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && now - st.st_mtime > 10) ::rmdir(path.c_str());
  }
  ::closedir(d);
}

}  // namespace

std::string size_text(std::uint64_t bytes) {
  static constexpr struct {
    unsigned shift;
    char suffix;
  } kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (const auto& u : kUnits)
    if (bytes % (std::uint64_t{1} << u.shift) == 0)
      return std::to_string(bytes >> u.shift) + u.suffix;
  return std::to_string(bytes);
}

struct CgroupMaker {
  // mkdir `dir` and write the limits; false and why on failure (the caller's RunCgroup then
  // removes what was made).
  static bool make_child(RunCgroup& rc, const std::string& dir, const sandbox::Limits& l,
                         std::string& why) {
    sweep(dir.substr(0, dir.rfind('/')));
    int made = ::mkdir(dir.c_str(), 0755);
    if (made != 0 && errno == EEXIST) {
      // Left by an earlier warden with this pid that was killed: reused only once emptied.
      ::rmdir(dir.c_str());
      made = ::mkdir(dir.c_str(), 0755);
    }
    if (made != 0) {
      why = "cannot create " + dir + ": " + std::strerror(errno);
      return false;
    }
    rc.dir_ = dir;
    auto write = [&](const std::string& file, const std::string& value) {
      int err = put(dir + "/" + file, value);
      if (err != 0)
        why = "cannot write " + file + " = " + value + " in " + dir + ": " + std::strerror(err);
      return err;
    };
    if (l.max_processes > 0) {
      if (write("pids.max", std::to_string(l.max_processes)) != 0) return false;
      rc.settings_.push_back("pids.max=" + std::to_string(l.max_processes));
    }
    if (l.memory_max_bytes > 0) {
      if (write("memory.max", std::to_string(l.memory_max_bytes)) != 0) return false;
      rc.settings_.push_back("memory.max=" + size_text(l.memory_max_bytes));
      // Without this the limit only moves the excess to swap. The file is absent when the
      // kernel does no swap accounting, and then there is nothing to move.
      int err = put(dir + "/memory.swap.max", "0");
      if (err == 0) {
        rc.settings_.push_back("memory.swap.max=0");
      } else if (err != ENOENT) {
        why = "cannot write memory.swap.max = 0 in " + dir + ": " + std::strerror(err);
        return false;
      }
    }
    if (l.cpu_max > 0) {
      const std::string quota = std::to_string(std::llround(l.cpu_max * kCpuPeriodUs)) + " " +
                                std::to_string(kCpuPeriodUs);
      if (write("cpu.max", quota) != 0) return false;
      rc.settings_.push_back("cpu.max=" + quota);
    }
    if (!rc.v1_) {
      rc.fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (rc.fd_ < 0) {
        why = "cannot open " + dir + ": " + std::strerror(errno);
        return false;
      }
    }
    return true;
  }

  // 1. Under warden's own cgroup `dir`.
  static std::unique_ptr<RunCgroup> under(const std::string& dir,
                                          const std::vector<std::string>& need,
                                          const sandbox::Limits& l, const std::string& name,
                                          std::string& why) {
    const std::string control = dir + "/cgroup.subtree_control";
    if (!writable(dir) || !writable(control)) {
      why = dir + " is not delegated to uid " + std::to_string(::getuid());
      return nullptr;
    }
    std::unique_ptr<RunCgroup> rc(new RunCgroup);
    const auto have = words(slurp(control).value_or(""));
    std::vector<std::string> missing;
    for (const auto& c : need)
      if (!contains(have, c)) missing.push_back(c);
    if (!missing.empty()) {
      const std::string plus = "+" + join(missing, " +");
      // At the root this just works, and the controllers stay enabled: others may use them.
      int err = put(control, plus);
      if (err == EBUSY) {
        // The no-internal-process rule: dir holds processes and is not the root.
        if (!alone_in(dir) || !writable(dir + "/cgroup.procs")) {
          why = dir + " holds other processes than warden, so it cannot pass controllers on";
          return nullptr;
        }
        const std::string leaf = dir + "/" + name + "-supervisor";
        if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
          why = "cannot create " + leaf + ": " + std::strerror(errno);
          return nullptr;
        }
        rc->home_ = dir;
        rc->self_leaf_ = leaf;
        rc->enabled_ = missing;  // remove() disables them again before moving back
        err = put(leaf + "/cgroup.procs", std::to_string(::getpid()));
        if (err == 0) err = put(control, plus);
      }
      if (err != 0) {
        why = "cannot enable " + plus + " in " + control + ": " + std::strerror(err);
        return nullptr;  // rc's remove() moves warden back if it had moved
      }
    }
    if (!make_child(*rc, dir + "/" + name, l, why)) return nullptr;
    return rc;
  }

  // 2. Next to it, in `parent`.
  static std::unique_ptr<RunCgroup> next_to(const std::string& parent, const sandbox::Limits& l,
                                            const std::string& name, std::string& why) {
    // CLONE_INTO_CGROUP moves init from warden's cgroup to the new one: that takes write access
    // to the cgroup.procs of their common ancestor, the parent.
    if (!writable(parent) || !writable(parent + "/cgroup.procs")) {
      why = "nor is its parent";
      return nullptr;
    }
    std::unique_ptr<RunCgroup> rc(new RunCgroup);
    if (!make_child(*rc, parent + "/" + name, l, why)) return nullptr;
    return rc;
  }

  static RunCgroup::Made v2(const std::vector<std::string>& need, const sandbox::Limits& l) {
    std::string why;
    auto own = own_cgroup("", why);
    if (!own) return {nullptr, why};
    const auto avail = words(slurp(own->dir + "/cgroup.controllers").value_or(""));
    std::vector<std::string> absent;
    for (const auto& c : need)
      if (!contains(avail, c)) absent.push_back(c);
    if (!absent.empty()) {
      return {nullptr, "cgroup v2 " + own->dir + " lacks the " + join(absent, " and ") +
                           (absent.size() > 1 ? " controllers" : " controller") + " (has: " +
                           (avail.empty() ? std::string("none") : join(avail, " ")) + ")"};
    }
    const std::string name = "warden-" + std::to_string(::getpid());
    if (auto rc = under(own->dir, need, l, name, why)) return {std::move(rc), {}};
    std::string why_next = "it is the top of the hierarchy";
    if (own->dir != own->mount) {
      const std::string parent = own->dir.substr(0, own->dir.rfind('/'));
      if (auto rc = next_to(parent, l, name, why_next)) return {std::move(rc), {}};
    }
    return {nullptr, why + "; " + why_next};
  }

  static RunCgroup::Made v1_pids(const sandbox::Limits& l) {
    std::string why;
    auto own = own_cgroup("pids", why);
    if (!own) return {nullptr, why};
    if (!writable(own->dir)) {
      return {nullptr, "cgroup v1 pids " + own->dir + " is not writable by uid " +
                           std::to_string(::getuid())};
    }
    std::unique_ptr<RunCgroup> rc(new RunCgroup);
    rc->v1_ = true;
    if (!make_child(*rc, own->dir + "/warden-" + std::to_string(::getpid()), l, why))
      return {nullptr, why};
    return {std::move(rc), {}};
  }
};

RunCgroup::Made RunCgroup::create(const sandbox::Limits& limits) {
  std::vector<std::string> need;
  if (limits.max_processes > 0) need.push_back("pids");
  if (limits.memory_max_bytes > 0) need.push_back("memory");
  if (limits.cpu_max > 0) need.push_back("cpu");
  if (need.empty()) return {nullptr, "no limits asked for"};
  return CgroupMaker::v2(need, limits);
}

RunCgroup::Made RunCgroup::create_v1(const sandbox::Limits& limits) {
  if (!v1_may_help(limits)) return {nullptr, "not for these limits"};
  return CgroupMaker::v1_pids(limits);
}

RunCgroup::~RunCgroup() {
  remove();
}

bool RunCgroup::attach(pid_t pid, std::string& why) {
  // Takes the global threadgroup lock, whose RCU sync makes about 1 start in 10 wait 5-14 ms
  // here (Linux 6.18): why the default process limit is the pid namespace's pid_max instead.
  int err = put(dir_ + "/cgroup.procs", std::to_string(pid));
  if (err != 0) why = "cannot move init into " + dir_ + ": " + std::strerror(err);
  return err == 0;
}

std::string RunCgroup::describe() const {
  return std::string(v1_ ? "cgroup v1 " : "cgroup ") + dir_ + ": " + join(settings_, ", ");
}

void RunCgroup::remove() {
  if (removed_) return;
  removed_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!dir_.empty()) {
    // Called once init is reaped: in a pid namespace nothing is left, but a tree without one
    // (danger-full-access) may have left processes behind, and exits are not instant.
    for (int i = 0; i < 200; ++i) {
      if (::rmdir(dir_.c_str()) == 0 || errno != EBUSY) break;
      if (v1_ || put(dir_ + "/cgroup.kill", "1") != 0) {  // cgroup.kill: Linux 5.14
        for (const auto& p : words(slurp(dir_ + "/cgroup.procs").value_or("")))
          ::kill(static_cast<pid_t>(std::stol(p)), SIGKILL);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (!self_leaf_.empty()) {
    // Back to where warden was, leaving its cgroup as it was: controllers off, leaf gone.
    if (!enabled_.empty()) put(home_ + "/cgroup.subtree_control", "-" + join(enabled_, " -"));
    put(home_ + "/cgroup.procs", std::to_string(::getpid()));
    ::rmdir(self_leaf_.c_str());
  }
}

}  // namespace warden::linux_backend
