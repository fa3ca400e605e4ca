// The notification loop: every held syscall is read once, placed (inside the sandbox or not),
// and then performed by warden, refused, or turned into an approval request that goes through
// the granular policy and the reviewer. It runs on its own thread, blocking in the listener.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "road.hpp"
#include "warden/broker/fs.hpp"
#include "warden/broker/net.hpp"
#include "warden/linux/notify.hpp"
#include "warden/policy/config.hpp"
#include "warden/policy/exec_rules.hpp"
#include "warden/policy/request.hpp"
#include "warden/reviewer/reviewer.hpp"
#include "warden/sandbox/spec.hpp"

namespace warden::supervisor {

struct HoldSettings {
  const policy::Config* config = nullptr;
  const sandbox::Spec* spec = nullptr;
  ApprovalRoad* road = nullptr;                   // every request's way to a decision
  std::string intent;                             // WARDEN_INTENT
  std::function<void()> kill_tree;                // on_deny = "kill"
  const policy::ExecRules* exec_rules = nullptr;  // may be null: no rules
  std::vector<std::string> skill_roots;           // existing ones, resolved
  const broker::net::HostPatterns* network_allow = nullptr;
  const class DnsStub* dns = nullptr;  // the sandbox's resolver, when it has one
  // Opens the command's terminal (the pty) for a program that opens /dev/tty; unset: no pty.
  std::function<int(int flags)> open_tty;
  // Directories of warden's own sockets (the control socket): never connected to, never asked.
  std::vector<std::string> unreachable;
  // exec: in `untrusted`, every exec that is not known-safe and read-only is a `rules` request.
  bool untrusted = false;
};

class HoldLoop {
 public:
  HoldLoop(int listener_fd, HoldSettings settings);
  ~HoldLoop();  // stops and joins
  void start();

  // One held call, exposed for tests of the dispatch.
  void handle(const linux_backend::Notification& n);

 private:
  struct Target;
  struct Operand;
  struct Call;
  // root_path: broker::root_path(root_fd), read once per call.
  int place(int root_fd, std::string_view root_path, Operand& op, bool creates);
  bool ask(policy::Request req, pid_t pid, std::uint64_t id, const Refusal& refusal);
  bool decide(const Target& t, const Call& c, const Operand& op);
  // Performs the call on the resolved operands; returns the syscall's result (>= 0) or -errno.
  // An open's result is a new fd in warden, installed in the target by the caller.
  long perform(const Call& c, const Target& t, Operand* ops);
  void handle_connect(const linux_backend::Notification& n);
  void handle_exec(const linux_backend::Notification& n);
  void deny_network(const linux_backend::Notification& n);
  void connect_by_name(const linux_backend::Notification& n, int sockfd, int domain, int type,
                       int protocol, bool nonblocking, const broker::net::Address& standin);
  void handle_send(const linux_backend::Notification& n);
  void swap_in(const linux_backend::Notification& n, int sockfd, int s);
  bool decide_network(const linux_backend::Notification& n, const std::string& path,
                      const std::string& host, int port, std::string forced_denial);
  static void reply(const linux_backend::Listener& l, const Call& c, long result);
  void open_fifo_later(const Call& c, broker::UniqueFd fifo);

  // Shared with threads that outlive a call (a FIFO's open), so the fd outlives them too.
  std::shared_ptr<linux_backend::Listener> listener_;
  HoldSettings s_;
  std::vector<std::string> writable_;         // where the sandbox may write, in its own view
  std::vector<std::string> protected_roots_;  // where protected names apply
  std::vector<std::string> masked_;           // deny_read paths, as written and resolved
  int host_root_ = -1;
  std::string host_root_path_ = "/";
  // The sandbox's root for one held call. open_root() before ID_VALID; settle_root() after it
  // (reads the path, keeps the root for later calls); false: EACCES.
  struct SandboxRoot {
    broker::UniqueFd fd;
    std::string path;
    bool kept = false;  // duplicated from the kept one
  };
  SandboxRoot open_root(pid_t pid);
  bool settle_root(SandboxRoot& r);
  // The sandbox's root (every process in it shares init's), once a held call has shown it.
  std::mutex root_mutex_;
  int sandbox_root_ = -1;
  std::string sandbox_root_path_;
  int stop_fd_ = -1;
  std::atomic<std::uint64_t> next_id_{1};
  struct LastExec {
    pid_t pid = 0;
    std::string real;
    std::vector<std::string> argv;
    bool approved = false;
  } last_exec_;
  std::mutex last_exec_mutex_;

  // Leader/followers: one thread at a time receives and handles calls itself, so the fast path
  // has no hand-off. A thread about to wait for a reviewer gives up the lead first (waking or
  // starting another), so a slow answer never stalls the other held calls.
  void serve();
  std::mutex pool_mutex_;
  std::condition_variable pool_cv_;
  bool leader_taken_ = false;
  bool stopping_ = false;
  int parked_ = 0;
  std::vector<std::thread> threads_;

 public:
  // Called on the thread handling a call before it may wait for an answer.
  void release_leadership();
  static constexpr std::size_t kMaxThreads = 256;
};

}  // namespace warden::supervisor
