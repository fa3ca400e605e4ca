// The control socket: `warden pending`, `warden approve ID [--always]` and `warden deny ID` from
// another terminal answer the requests of a running warden. It lives in the user's runtime dir
// (a 0700 directory, the socket 0600); a peer must have warden's uid and be outside every
// sandbox (in warden's own pid namespace), so a sandboxed command can never answer for itself.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "pending.hpp"

namespace warden::supervisor {

// $XDG_RUNTIME_DIR/warden, else /tmp/warden-UID.
std::string control_dir();

class ControlServer {
 public:
  // Throws std::runtime_error when the directory is unsafe (not ours, or open to others) or the
  // socket cannot be made.
  explicit ControlServer(PendingQueue& queue);
  ~ControlServer();  // stops, removes the socket
  const std::string& path() const { return path_; }
  void start();

 private:
  void serve();
  void handle(int conn);
  PendingQueue& queue_;
  std::string path_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

// The client verbs. Return the exit status: 0 done, 1 no such request, 2 no warden running.
int pending_command(bool json);
int answer_command(const std::string& id, bool approve, bool always);

}  // namespace warden::supervisor
