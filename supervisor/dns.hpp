// The sandbox's resolver: a stub on 127.0.0.1:53 inside its network namespace that never sends
// a query anywhere. Each name gets a stand-in IPv4 address from 198.18.0.0/15 (reserved for
// benchmarking, never routed), so a later connect() to it tells warden which host the program
// meant. Only when that connect is approved (or network_allow names the host) does warden
// resolve the name on the host and connect to the address it got: no query leaves the machine
// before an approval (DNS cannot carry data out), and no rebinding between check and connect.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "warden/broker/net.hpp"

namespace warden::supervisor {

class DnsStub {
 public:
  explicit DnsStub(int fd);  // a bound UDP socket; duplicated, the caller keeps its own
  ~DnsStub();
  DnsStub(const DnsStub&) = delete;
  DnsStub& operator=(const DnsStub&) = delete;
  void start();

  // The name a stand-in address was handed out for.
  std::optional<std::string> name_for(const broker::net::Address& a) const;
  static bool is_standin(const broker::net::Address& a);

  // One query in, one reply out (exposed for tests).
  std::vector<std::uint8_t> answer(std::span<const std::uint8_t> query);

 private:
  void run();
  int fd_;
  int stop_fd_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::uint32_t> by_name_;
  std::vector<std::string> names_;
};

}  // namespace warden::supervisor
