// Held connect(): loopback stays inside the sandbox, host unix sockets and other addresses are
// requests, metadata addresses need an explicit allow, and a host loopback port named in
// network_allow is reached through warden with the program none the wiser.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common.hpp"

namespace warden::test {
namespace {

// An echo server on the host's loopback, counting the connections it accepted.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        ++accepted_;
        char buf[64];
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n > 0) (void)::write(c, buf, static_cast<size_t>(n));
        ::close(c);
      }
    });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_;
  int port_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

class Network : public ::testing::Test {
 protected:
  Result run(const std::vector<std::string>& cmd, std::vector<std::string> options = {}) {
    options.insert(options.begin(), {"--audit", ws_ / "audit.jsonl"});
    return test::run(env_.argv(ws_.path(), options, cmd), env_.options());
  }
  Env env_;
  TempDir ws_;
};

TEST_F(Network, HostLoopbackPortInNetworkAllowIsReachedThroughWarden) {
  EchoServer server;
  std::string port = std::to_string(server.port());
  std::vector<std::string> allow{"-c", "warden.network_allow=[\"127.0.0.1:" + port + "\"]"};
  for (bool nb : {false, true}) {
    std::vector<std::string> cmd = probe_cmd({"peer", "127.0.0.1", port});
    if (nb) cmd.push_back("nb");
    auto r = run(cmd, allow);
    EXPECT_EQ(r.out,
              "peer=127.0.0.1:" + port + " nonblocking=" + (nb ? "1" : "0") + "\necho=ping\n")
        << r.err;
  }
  EXPECT_EQ(server.accepted(), 2);
  // Not named: loopback stays the sandbox's own, where nothing listens.
  auto r = run(probe_cmd({"peer", "127.0.0.1", port}));
  EXPECT_EQ(r.out, "errno=ECONNREFUSED\n");
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(Network, HostUnixSocketIsARequest) {
  TempDir dir("/var/tmp");
  std::string path = dir / "daemon.sock";
  int l = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 1), 0);
  auto r = run(probe_cmd({"unix", path}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EPERM\n") << r.err;
  auto audit = read_text(ws_ / "audit.jsonl");
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->find("\"kind\":\"network\""), std::string::npos);
  EXPECT_NE(audit->find("\"path\":\"" + path + "\""), std::string::npos);
  ::fcntl(l, F_SETFL, O_NONBLOCK);
  EXPECT_LT(::accept(l, nullptr, nullptr), 0) << "the host socket was reached";
  ::close(l);
}

TEST_F(Network, OutsideAddressesAreRequestsAndMetadataNeedsAnExplicitAllow) {
  write_text(env_.home() / "yes.sh",
             "#!/bin/sh\ncat >/dev/null\necho '{\"decision\":\"approve\"}'\n");
  ::chmod((env_.home() / "yes.sh").c_str(), 0755);
  std::vector<std::string> approve{
      "-c", "warden.reviewer_command=[\"" + (env_.home() / "yes.sh") + "\"]"};
  // Even an approving reviewer is not asked about the metadata address.
  auto r = run(probe_cmd({"connect", "169.254.169.254", "80"}), approve);
  EXPECT_EQ(r.out, "errno=EPERM\n") << r.err;
  auto audit = read_text(ws_ / "audit.jsonl");
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->find("169.254.0.0/16"), std::string::npos) << *audit;
  r = run(probe_cmd({"connect", "192.0.2.1", "443"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EPERM\n");
  audit = read_text(ws_ / "audit.jsonl");
  EXPECT_NE(audit->find("\"host\":\"192.0.2.1\",\"port\":443"), std::string::npos) << *audit;
}

TEST_F(Network, NamesAreAnsweredInsideAndConnectsByNameAreRequests) {
  // Nothing is forwarded: every name gets a stand-in address, stable for the run.
  auto r =
      run({"getent", "hosts", "example.com", "api.example.org", "example.com"}, {"-a", "never"});
  EXPECT_EQ(
      r.out,
      "198.18.0.1      example.com\n198.18.0.2      api.example.org\n198.18.0.1      example.com\n")
      << r.err;
  r = run({"python3", "-c",
           "import socket\ntry:\n  socket.create_connection(('api.example.org', 443), timeout=5)\n"
           "except OSError as e: print(e.errno)"},
          {"-a", "never"});
  EXPECT_EQ(r.out, "1\n") << r.err;  // EPERM
  auto audit = read_text(ws_ / "audit.jsonl");
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->find("\"host\":\"api.example.org\",\"port\":443"), std::string::npos) << *audit;
}

TEST_F(Network, AllowedNameIsResolvedOnTheHostAndConnected) {
  EchoServer server;
  std::string port = std::to_string(server.port());
  auto r = run(probe_cmd({"dns-connect", "localhost", port}),
               {"-a", "never", "-c", "warden.network_allow=[\"localhost:" + port + "\"]"});
  EXPECT_EQ(r.out, "resolved=198.18.0.1\npeer=127.0.0.1:" + port + " nonblocking=0\necho=ping\n")
      << r.err;
  EXPECT_EQ(server.accepted(), 1);
  // Not allowed and never approved: refused, and the server sees nothing.
  r = run(probe_cmd({"dns-connect", "localhost", port}), {"-a", "never"});
  EXPECT_EQ(r.out, "resolved=198.18.0.1\nerrno=EPERM\n");
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(Network, DatagramsToHostUnixSocketsAreRequests) {
  TempDir dir("/var/tmp");
  std::string path = dir / "log.sock";
  int d = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(d, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(run(probe_cmd({"dgram", path}), {"-a", "never"}).out, "errno=EPERM\n");
  EXPECT_EQ(run(probe_cmd({"dgram-msg", path}), {"-a", "never"}).out, "errno=EPERM\n");
  char buf[16];
  EXPECT_LT(::recv(d, buf, sizeof buf, 0), 0) << "the host socket received a datagram";
  ::close(d);
  // Inside the workspace the same datagrams go through.
  auto r = run({"python3", "-c",
                "import socket,subprocess\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                "s.bind('in.sock')\n"
                "print(subprocess.run(['" +
                    std::string(probe()) +
                    "','dgram','in.sock'],capture_output=True,text=True).stdout.strip())\n"
                    "print(s.recv(16).decode())"},
               {"-a", "never"});
  EXPECT_EQ(r.out, "ok\ndgram\n") << r.err;
}

TEST_F(Network, SocketsInsideTheSandboxWork) {
  auto r =
      run({"/bin/sh", "-c",
           probe() + std::string(
                         " loopback && python3 -c \"import socket,os\n"
                         "s=socket.socket(socket.AF_UNIX); s.bind('u.sock'); s.listen(1)\n"
                         "c=socket.socket(socket.AF_UNIX); c.connect('u.sock'); print('unix ok')\n"
                         "a=socket.socket(socket.AF_UNIX); a.bind('\\0warden-test'); a.listen(1)\n"
                         "b=socket.socket(socket.AF_UNIX); b.connect('\\0warden-test'); "
                         "print('abstract ok')\"")},
          {"-a", "never"});
  EXPECT_EQ(r.out, "ok\nunix ok\nabstract ok\n") << r.err;
}

}  // namespace
}  // namespace warden::test
