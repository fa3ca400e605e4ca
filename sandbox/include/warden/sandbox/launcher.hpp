// The launcher interface that each platform backend implements.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "warden/sandbox/spec.hpp"

namespace warden::sandbox {

// A part of the sandbox that could not be set up. The command never runs; warden exits 126.
class SetupError : public std::runtime_error {
 public:
  SetupError(std::string part, const std::string& why, std::string hint = {})
      : std::runtime_error(part + ": " + why), part_(std::move(part)), hint_(std::move(hint)) {}
  const std::string& part() const { return part_; }
  const std::string& hint() const { return hint_; }

 private:
  std::string part_;
  std::string hint_;
};

// What one layer of isolation does on this machine, for the audit `start` event and -v.
struct Layer {
  std::string name;  // "user_namespace", "landlock", "seccomp", ...
  bool active = false;
  std::string detail;  // "abi 7", "uid 1000 -> 1000", ...
};

struct ExitStatus {
  bool signaled = false;
  int code = 0;       // exit code, or the signal number when signaled
  std::string error;  // set when the command could not be executed (then code is 126 or 127)

  // The contract's exit status of `warden run`: the command's own, or 128+N.
  int warden_code() const { return signaled ? 128 + code : code; }
};

class Running {
 public:
  virtual ~Running() = default;
  virtual int pid() const = 0;  // as seen by warden
  virtual std::vector<Layer> layers() const = 0;
  // The sandbox is set up and waiting; this lets the command run.
  virtual void start() = 0;
  virtual void forward_signal(int sig) = 0;
  virtual void kill_tree() = 0;
  // The seccomp user-notification listener holding the calls in Spec::holds; -1 when none.
  // Still owned by Running.
  virtual int notify_fd() const { return -1; }
  // The UDP socket bound to 127.0.0.1:53 inside the sandbox when Holds::dns; -1 otherwise.
  virtual int dns_fd() const { return -1; }
  // Becomes readable when the command has ended (for poll alongside warden's other fds).
  virtual int event_fd() const = 0;
  // Blocks until the command ended; returns its status.
  virtual ExitStatus wait() = 0;
  // When event_fd() is readable because the command was stopped (job control on its terminal),
  // consumes that report and returns the stop signal; otherwise 0 (it ended: call wait()).
  virtual int take_stop() { return 0; }
};

// A sandbox being built: its init sets it up while warden gets on with its own start-up (the
// two overlap on a second CPU). Destroying it before ready() kills and reaps what was started.
class Starting {
 public:
  virtual ~Starting() = default;
  // Waits until the sandbox is set up and the command can be started. Throws SetupError when
  // any part of it could not be; never runs the command then. Call once.
  virtual std::unique_ptr<Running> ready() = 0;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts building the sandbox described by `spec`, which must outlive what is returned.
  // Throws SetupError when that cannot begin.
  virtual std::unique_ptr<Starting> begin(const Spec& spec) = 0;
  std::unique_ptr<Running> launch(const Spec& spec) { return begin(spec)->ready(); }
};

}  // namespace warden::sandbox
